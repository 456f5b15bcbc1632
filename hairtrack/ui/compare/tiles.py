"""Image pyramids cut into tiles, and the graphics item that paints them.

A 12-megapixel photo must pan and zoom smoothly: rescaling it whole on every
event costs 50-100 ms. Instead the pyramid (each level half the previous one)
is built once in the background, cut into tiles, and each repaint draws only
the tiles that intersect the exposed area, from the coarsest level that still
has at least one image pixel per screen pixel. A repaint therefore touches
about as many pixels as the screen has, whatever the photo's size.

Scene coordinates are full-resolution pixels of a "frame" (an original photo,
or the baseline's frame for aligned images) in OpenCV's pixel-centre
convention: pixel (i, j) is centred on (i, j) and the image covers
[-0.5, W - 0.5] x [-0.5, H - 0.5]. A pyramid can be coarser than its frame
(the 2048-px analysis copies cover a 12-MP baseline frame); its levels then
carry a scale below 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

TILE = 512
#: Tiles reach this many pixels into their right and bottom neighbours: without the overlap,
#: rounding leaves a one-pixel gap between tiles at some zoom levels (seen at exactly 100 %).
OVERLAP = 2
#: Above this magnification (screen px per image px) pixels are drawn sharp, not smoothed,
#: so a clinician zoomed in sees the pixels that were measured.
SHARP_ABOVE = 2.5
_MIN_LEVEL_SIDE = 192


@dataclass(frozen=True)
class Tile:
    rect: QRectF  # in scene (frame) coordinates
    image: QImage


@dataclass(frozen=True)
class Level:
    scale: float  # level pixels per frame pixel (geometric mean of x and y)
    tiles: tuple[Tile, ...]


@dataclass(frozen=True)
class Pyramid:
    """Immutable once built, so it can be made on a worker and shared by several panes."""

    width: int  # frame size in scene units (full-resolution pixels)
    height: int
    levels: tuple[Level, ...]  # finest first
    nbytes: int

    @property
    def rect(self) -> QRectF:
        return QRectF(-0.5, -0.5, self.width, self.height)

    def level_for(self, lod: float) -> Level:
        """The coarsest level that still gives at least one image pixel per screen pixel."""
        chosen = self.levels[0]
        for level in self.levels:
            if level.scale >= lod * 0.999:
                chosen = level
            else:
                break
        return chosen


def build_pyramid(pixels: NDArray[np.uint8], frame_size: tuple[int, int] | None = None,
                  *, premultiplied_alpha: bool = False) -> Pyramid:
    """Tiles of every pyramid level of a BGR (or premultiplied BGRA) image.

    Thread-safe (QImage, not QPixmap), meant to run on a worker thread. The
    image is stretched over `frame_size` (defaults to its own size).
    """
    if pixels.ndim == 2:
        pixels = np.asarray(cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    h, w = pixels.shape[:2]
    fw, fh = frame_size if frame_size is not None else (w, h)
    if pixels.shape[2] == 3:
        bgra = cv2.cvtColor(pixels, cv2.COLOR_BGR2BGRA)
        fmt = QImage.Format.Format_RGB32
    else:
        bgra = np.ascontiguousarray(pixels)
        fmt = (QImage.Format.Format_ARGB32_Premultiplied if premultiplied_alpha
               else QImage.Format.Format_ARGB32)
    levels: list[Level] = []
    nbytes = 0
    current = bgra
    while True:
        lh, lw = current.shape[:2]
        sx, sy = lw / fw, lh / fh
        tiles = []
        for y0 in range(0, lh, TILE):
            for x0 in range(0, lw, TILE):
                block = np.ascontiguousarray(current[y0:y0 + TILE + OVERLAP,
                                                     x0:x0 + TILE + OVERLAP])
                bh, bw = block.shape[:2]
                image = QImage(block.data, bw, bh, block.strides[0], fmt).copy()
                rect = QRectF(-0.5 + x0 / sx, -0.5 + y0 / sy, bw / sx, bh / sy)
                tiles.append(Tile(rect, image))
                nbytes += block.nbytes
        levels.append(Level(float(np.sqrt(sx * sy)), tuple(tiles)))
        if max(lw, lh) <= _MIN_LEVEL_SIDE or min(lw, lh) < 4:
            break
        current = cv2.resize(current, (max(1, lw // 2), max(1, lh // 2)),
                             interpolation=cv2.INTER_AREA)
    return Pyramid(int(fw), int(fh), tuple(levels), nbytes)


class TiledImageItem(QGraphicsItem):
    """Paints a Pyramid; optionally clipped to one side of a vertical curtain on screen."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._pyramid: Pyramid | None = None
        self._curtain: tuple[float, bool] | None = None  # (viewport x, keep right side)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    @property
    def pyramid(self) -> Pyramid | None:
        return self._pyramid

    def set_pyramid(self, pyramid: Pyramid | None) -> None:
        if pyramid is self._pyramid:
            return
        self.prepareGeometryChange()
        self._pyramid = pyramid
        self.update()

    def set_curtain(self, curtain: tuple[float, bool] | None) -> None:
        """Show only right (True) or left (False) of viewport x; None shows everything."""
        if curtain != self._curtain:
            self._curtain = curtain
            self.update()

    def boundingRect(self) -> QRectF:
        return self._pyramid.rect if self._pyramid is not None else QRectF()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        pyramid = self._pyramid
        if pyramid is None:
            return
        world = painter.worldTransform()
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        # on a high-density screen each logical pixel has `ratio` device pixels to fill
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(world) * ratio
        level = pyramid.level_for(lod)
        magnification = lod / max(level.scale, 1e-9)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform,
                              magnification < SHARP_ABOVE)
        exposed = option.exposedRect if not option.exposedRect.isEmpty() else pyramid.rect
        if self._curtain is not None:
            exposed = exposed.intersected(self._curtain_rect(world, painter, pyramid.rect))
            if exposed.isEmpty():
                return
            painter.setClipRect(exposed, Qt.ClipOperation.IntersectClip)
        for tile in level.tiles:
            if tile.rect.intersects(exposed):
                painter.drawImage(tile.rect, tile.image)

    def _curtain_rect(self, world: QTransform, painter: QPainter, rect: QRectF) -> QRectF:
        """The part of `rect` on the kept side of the curtain, in item coordinates."""
        assert self._curtain is not None
        x, keep_right = self._curtain
        inverse, ok = world.inverted()
        if not ok:
            return rect
        height = painter.device().height() if painter.device() is not None else 10_000
        device = (QRectF(QPointF(x, -10.0), QPointF(1e7, height + 10.0)) if keep_right
                  else QRectF(QPointF(-1e7, -10.0), QPointF(x, height + 10.0)))
        return inverse.mapRect(device).intersected(rect)


def numpy_to_qimage(pixels: NDArray[np.uint8]) -> QImage:
    """A detached QImage copy of a BGR or BGRA array (thread-safe)."""
    data = np.ascontiguousarray(pixels)
    h, w = data.shape[:2]
    if data.ndim == 3 and data.shape[2] == 4:
        fmt = QImage.Format.Format_ARGB32
    else:
        fmt = QImage.Format.Format_BGR888
    return QImage(data.data, w, h, data.strides[0], fmt).copy()

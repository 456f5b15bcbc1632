"""Drawing primitives for report pages: millimetres, fonts, colours, wrapped text, images.

The painter works in device pixels of the PDF writer (its resolution is
RESOLUTION dpi); everything above this module thinks in millimetres and points.
Fonts are given in points, so Qt sizes them for the device and embeds them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPagedPaintDevice,
    QPainter,
    QPen,
)

RESOLUTION = 1200
FONT_FAMILY = "DejaVu Sans"  # shipped with Debian's fonts-dejavu-core; full Unicode coverage

INK = QColor("#1E262C")
MUTED = QColor("#5B6770")
RULE = QColor("#C7D0D6")
FAINT = QColor("#F1F4F6")
ACCENT = QColor("#1F5F8B")
ACCENT_LIGHT = QColor("#E6EEF4")
OK = QColor("#1B6E4E")


@dataclass
class Canvas:
    """A paint device plus the unit conversions and font metrics for it."""

    device: QPagedPaintDevice

    @property
    def dpi(self) -> float:
        return float(self.device.logicalDpiY())

    def mm(self, value: float) -> float:
        return value * self.dpi / 25.4

    def pt(self, value: float) -> float:
        return value * self.dpi / 72.0

    def metrics(self, font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font, self.device)

    def text_height(self, font: QFont, width: float, text: str,
                    flags: int = int(Qt.TextFlag.TextWordWrap)) -> float:
        if not text:
            return 0.0
        rect = self.metrics(font).boundingRect(QRectF(0, 0, width, 1e7), flags, text)
        return rect.height()

    def text_width(self, font: QFont, text: str) -> float:
        return self.metrics(font).horizontalAdvance(text)

    def line_height(self, font: QFont) -> float:
        return self.metrics(font).height()


def font(size_pt: float, *, bold: bool = False, italic: bool = False,
         weight: QFont.Weight | None = None) -> QFont:
    f = QFont(FONT_FAMILY)
    f.setPointSizeF(size_pt)
    if weight is not None:
        f.setWeight(weight)
    else:
        f.setBold(bold)
    f.setItalic(italic)
    f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)  # print: true metrics
    f.setKerning(True)
    for tag in ("liga", "clig"):  # "fi" as one glyph would break search and copy of "fi"
        f.setFeature(QFont.Tag(tag), 0)
    return f


def draw_text(painter: QPainter, rect: QRectF, text: str, f: QFont, colour: QColor = INK,
              flags: int = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
              | int(Qt.TextFlag.TextWordWrap)) -> None:
    if not text:
        return
    painter.setFont(f)
    painter.setPen(QPen(colour))
    painter.drawText(rect, flags, text)


def hline(painter: QPainter, canvas: Canvas, x0: float, x1: float, y: float,
          colour: QColor = RULE, width_pt: float = 0.5) -> None:
    painter.setPen(QPen(colour, canvas.pt(width_pt)))
    painter.drawLine(QPointF(x0, y), QPointF(x1, y))


def fill(painter: QPainter, rect: QRectF, colour: QColor) -> None:
    painter.fillRect(rect, QBrush(colour))


def frame(painter: QPainter, canvas: Canvas, rect: QRectF, colour: QColor = RULE,
          width_pt: float = 0.5) -> None:
    painter.setPen(QPen(colour, canvas.pt(width_pt)))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect)


def to_qimage(bgr: NDArray[np.uint8]) -> QImage:
    """An RGB QImage owning a copy of the pixels (the PDF writer encodes it as JPEG)."""
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def fit_rect(box: QRectF, width: float, height: float) -> QRectF:
    """The largest rectangle of the given aspect ratio centred in `box`."""
    scale = min(box.width() / width, box.height() / height)
    w, h = width * scale, height * scale
    return QRectF(box.x() + (box.width() - w) / 2, box.y() + (box.height() - h) / 2, w, h)


def draw_image(painter: QPainter, box: QRectF, image: QImage) -> QRectF:
    """Draw `image` fitted in `box` with a hairline frame; returns where it landed."""
    target = fit_rect(box, image.width(), image.height())
    painter.drawImage(target, image)
    return target


def swatch(painter: QPainter, canvas: Canvas, rect: QRectF, colour: QColor) -> None:
    painter.fillRect(rect, QBrush(colour))
    frame(painter, canvas, rect, QColor("#6F7A82"), 0.3)

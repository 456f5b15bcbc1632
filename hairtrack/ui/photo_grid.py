"""A patient's photos as thumbnail tiles, one section per visit, ordered by view.

One widget paints every tile itself and only the tiles in sight: a 300-photo
patient costs no more widgets than a 3-photo one, the layout is a few
rectangles computed on resize, and thumbnails are asked for only when their
tile is about to be seen (the loader decodes them off the GUI thread).
Badges come from the stored measurements: the view's baseline, capture
warnings, a refused alignment, and a measurement made against an older
baseline (so no stale number is shown as current).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QToolTip, QWidget

from hairtrack.core.domain import Photo, View, Visit
from hairtrack.ui import formatting as fmt
from hairtrack.ui.icons import Colours, pixmap
from hairtrack.ui.photo_state import SOURCE_WORDS, PhotoState, photo_state, tooltip
from hairtrack.ui.thumbnails import ThumbnailLoader

__all__ = ["SOURCE_WORDS", "PhotoGrid", "PhotoState", "photo_state"]

VIEW_ORDER = {view: index for index, view in enumerate(View)}


@dataclass
class _Tile:
    photo: Photo
    state: PhotoState
    rect: QRect = field(default_factory=QRect)


@dataclass
class _Section:
    visit: Visit
    title: str
    subtitle: str
    tiles: list[_Tile]
    rect: QRect = field(default_factory=QRect)


class PhotoGrid(QAbstractScrollArea):
    selectionChanged = Signal()
    photoActivated = Signal(int)  # photo id (double click or Enter)
    contextMenuWanted = Signal(QPoint)  # global position, over a selected tile

    THUMB = QSize(184, 138)
    CAPTION = 46
    SPACING = 14
    MARGIN = 22
    HEADER = 50

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoGrid")
        self.loader = loader
        self.sections: list[_Section] = []
        self._selected: list[int] = []
        self._view_filter: View | None = None
        self._content_height = 0
        self._all: tuple[Sequence[Visit], Sequence[Photo], dict[int, PhotoState],
                         date | None] = ((), (), {}, None)
        self.placeholder = "No photos yet. Drag photos here or use File › Import photos."
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.verticalScrollBar().setSingleStep(48)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setAutoFillBackground(False)
        loader.thumbnailReady.connect(self._thumbnail_ready)
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        self._title = QFont(self.font())
        self._title.setPointSizeF(self.font().pointSizeF() + 1.5)
        self._title.setBold(True)

    # ---- data ------------------------------------------------------------------------------
    def set_photos(self, visits: Sequence[Visit], photos: Sequence[Photo],
                   states: dict[int, PhotoState], start: date | None = None) -> None:
        self._all = (visits, photos, states, start)
        present = {p.id for p in photos}
        self._selected = [i for i in self._selected if i in present]
        self._build()
        self.selectionChanged.emit()

    def set_view_filter(self, view: View | None) -> None:
        self._view_filter = view
        self._build()

    def _build(self) -> None:
        visits, photos, states, start = self._all
        by_visit: dict[int, list[Photo]] = {}
        for photo in photos:
            if self._view_filter is None or photo.view == self._view_filter:
                by_visit.setdefault(photo.visit_id, []).append(photo)
        self.sections = []
        for visit in sorted(visits, key=lambda v: v.visited_at):
            chosen = sorted(by_visit.get(visit.id, []),
                            key=lambda p: (VIEW_ORDER[p.view], p.captured_at, p.id))
            if not chosen and self._view_filter is not None:
                continue
            when = fmt.local_date(visit.visited_at)
            interval = fmt.since(start, when)
            subtitle = fmt.count(len(chosen), "photo")
            if interval:
                subtitle = f"{interval}  ·  {subtitle}"
            attention = sum(1 for p in chosen if states.get(p.id, PhotoState(False))
                            .needs_attention)
            if attention:
                subtitle += f"  ·  {attention} need{'s' if attention == 1 else ''} attention"
            tiles = [_Tile(p, states.get(p.id, PhotoState(p.is_baseline))) for p in chosen]
            self.sections.append(_Section(visit, fmt.day(visit.visited_at), subtitle, tiles))
        self._layout()

    def _layout(self) -> None:
        width = max(self.viewport().width(), self.THUMB.width() + 2 * self.MARGIN)
        tile_w = self.THUMB.width()
        tile_h = self.THUMB.height() + self.CAPTION
        columns = max(1, (width - 2 * self.MARGIN + self.SPACING) // (tile_w + self.SPACING))
        y = self.MARGIN // 2
        for section in self.sections:
            section.rect = QRect(self.MARGIN, y, width - 2 * self.MARGIN, self.HEADER)
            y += self.HEADER
            for index, tile in enumerate(section.tiles):
                row, col = divmod(index, columns)
                tile.rect = QRect(self.MARGIN + col * (tile_w + self.SPACING),
                                  y + row * (tile_h + self.SPACING), tile_w, tile_h)
            rows = (len(section.tiles) + columns - 1) // columns
            y += rows * (tile_h + self.SPACING) + (0 if rows else 8)
        self._content_height = y + self.MARGIN
        bar = self.verticalScrollBar()
        bar.setPageStep(self.viewport().height())
        bar.setRange(0, max(0, self._content_height - self.viewport().height()))
        self.viewport().update()

    # ---- queries ---------------------------------------------------------------------------
    def tiles(self) -> list[_Tile]:
        return [tile for section in self.sections for tile in section.tiles]

    def photo_count(self) -> int:
        return sum(len(s.tiles) for s in self.sections)

    def selected_ids(self) -> list[int]:
        return list(self._selected)

    def selected_photos(self) -> list[Photo]:
        chosen = set(self._selected)
        return [t.photo for t in self.tiles() if t.photo.id in chosen]

    def state_of(self, photo_id: int) -> PhotoState | None:
        return next((t.state for t in self.tiles() if t.photo.id == photo_id), None)

    def tile_rect(self, photo_id: int) -> QRect | None:
        """The tile's rectangle in viewport coordinates, scrolled into sight first."""
        tile = next((t for t in self.tiles() if t.photo.id == photo_id), None)
        if tile is None:
            return None
        self.ensure_visible(tile.rect)
        return tile.rect.translated(0, -self.verticalScrollBar().value())

    def visible_tiles(self) -> list[_Tile]:
        area = self._visible_area()
        return [t for s in self.sections for t in s.tiles if t.rect.intersects(area)]

    def _visible_area(self) -> QRect:
        return QRect(0, self.verticalScrollBar().value(), self.viewport().width(),
                     self.viewport().height())

    def _tile_at(self, pos: QPoint) -> _Tile | None:
        point = pos + QPoint(0, self.verticalScrollBar().value())
        return next((t for t in self.tiles() if t.rect.contains(point)), None)

    # ---- selection -------------------------------------------------------------------------
    def select_photo(self, photo_id: int, *, toggle: bool = False) -> None:
        if toggle:
            if photo_id in self._selected:
                self._selected.remove(photo_id)
            else:
                self._selected.append(photo_id)
        else:
            self._selected = [photo_id]
        rect = self.tile_rect(photo_id)
        del rect
        self.viewport().update()
        self.selectionChanged.emit()

    def clear_selection(self) -> None:
        self._selected = []
        self.viewport().update()
        self.selectionChanged.emit()

    def ensure_visible(self, rect: QRect) -> None:
        bar = self.verticalScrollBar()
        top, bottom = bar.value(), bar.value() + self.viewport().height()
        if rect.top() - 8 < top:
            bar.setValue(max(0, rect.top() - self.HEADER - 8))
        elif rect.bottom() + 8 > bottom:
            bar.setValue(rect.bottom() + 8 - self.viewport().height())

    # ---- events ----------------------------------------------------------------------------
    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._layout()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def mousePressEvent(self, event: Any) -> None:
        tile = self._tile_at(event.position().toPoint())
        self.setFocus()
        if tile is None:
            if event.button() == Qt.MouseButton.LeftButton:
                self.clear_selection()
            return
        toggle = bool(event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                           | Qt.KeyboardModifier.MetaModifier))
        if event.button() == Qt.MouseButton.RightButton:
            if tile.photo.id not in self._selected:
                self.select_photo(tile.photo.id)
            return
        self.select_photo(tile.photo.id, toggle=toggle)

    def mouseDoubleClickEvent(self, event: Any) -> None:
        tile = self._tile_at(event.position().toPoint())
        if tile is not None:
            self.photoActivated.emit(tile.photo.id)

    def contextMenuEvent(self, event: Any) -> None:
        if self._tile_at(event.pos()) is not None and self._selected:
            self.contextMenuWanted.emit(event.globalPos())

    def keyPressEvent(self, event: Any) -> None:
        tiles = self.tiles()
        if not tiles:
            return super().keyPressEvent(event)
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._selected:
            self.photoActivated.emit(self._selected[-1])
            return None
        ids = [t.photo.id for t in tiles]
        current = ids.index(self._selected[-1]) if self._selected and \
            self._selected[-1] in ids else -1
        columns = max(1, (self.viewport().width() - 2 * self.MARGIN + self.SPACING)
                      // (self.THUMB.width() + self.SPACING))
        step = {Qt.Key.Key_Right: 1, Qt.Key.Key_Left: -1, Qt.Key.Key_Down: columns,
                Qt.Key.Key_Up: -columns}.get(Qt.Key(key))
        if step is None:
            return super().keyPressEvent(event)
        target = min(len(ids) - 1, max(0, current + step if current >= 0 else 0))
        self.select_photo(ids[target])
        return None

    def event(self, event: Any) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            tile = self._tile_at(self.viewport().mapFrom(self, event.pos()))
            if tile is not None:
                QToolTip.showText(event.globalPos(), tooltip(tile.photo, tile.state), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def _thumbnail_ready(self, sha: str) -> None:
        area = self._visible_area()
        for tile in self.tiles():
            if tile.photo.sha256 == sha and tile.rect.intersects(area):
                self.viewport().update(tile.rect.translated(0, -area.top()))

    # ---- painting --------------------------------------------------------------------------
    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.viewport().rect(), QColor(Colours.WINDOW))
        if not self.sections:
            painter.setPen(QColor(Colours.MUTED))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                             self.placeholder)
            return
        area = self._visible_area()
        painter.translate(0, -area.top())
        wanted: list[Photo] = []
        prefetch = area.adjusted(0, 0, 0, area.height())
        selected = set(self._selected)
        for section in self.sections:
            if section.rect.intersects(area):
                self._paint_header(painter, section)
            for tile in section.tiles:
                if tile.rect.intersects(area):
                    if not self._paint_tile(painter, tile, tile.photo.id in selected):
                        wanted.append(tile.photo)
                elif tile.rect.intersects(prefetch) and self.loader.pixmap(tile.photo) is None:
                    wanted.insert(0, tile.photo)  # the visible ones stay last: served first
        painter.end()
        if wanted:
            self.loader.request(wanted)

    def _paint_header(self, painter: QPainter, section: _Section) -> None:
        rect = section.rect
        painter.setPen(QColor(Colours.TEXT))
        painter.setFont(self._title)
        metrics = QFontMetrics(self._title)
        baseline = rect.top() + 18 + metrics.ascent()
        painter.drawText(rect.left(), baseline, section.title)
        x = rect.left() + metrics.horizontalAdvance(section.title) + 14
        painter.setFont(self.font())
        painter.setPen(QColor(Colours.MUTED))
        painter.drawText(x, baseline, section.subtitle)
        painter.setPen(QPen(QColor(Colours.BORDER), 1))
        painter.drawLine(rect.left(), rect.bottom() - 4, rect.right(), rect.bottom() - 4)

    def _paint_tile(self, painter: QPainter, tile: _Tile, selected: bool) -> bool:
        rect = QRectF(tile.rect)
        card = QPainterPath()
        card.addRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        painter.fillPath(card, QColor(Colours.ACCENT_LIGHT if selected else Colours.PANEL))
        painter.setPen(QPen(QColor(Colours.ACCENT if selected else Colours.BORDER),
                            2.0 if selected else 1.0))
        painter.drawPath(card)
        thumb = QRectF(rect.left() + 6, rect.top() + 6, rect.width() - 12,
                       self.THUMB.height() - 12)
        clip = QPainterPath()
        clip.addRoundedRect(thumb, 5, 5)
        painter.save()
        painter.setClipPath(clip)
        painter.fillRect(thumb, QColor(Colours.PLACEHOLDER))
        image = self.loader.pixmap(tile.photo)
        loaded = image is not None
        if image is not None:
            size = image.size().scaled(thumb.size().toSize(),
                                       Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(thumb.center())
            painter.drawPixmap(target.toRect(), image)
        else:
            failure = self.loader.failure(tile.photo)
            loaded = failure is not None
            painter.setPen(QColor(Colours.FAINT))
            painter.setFont(self._small)
            painter.drawText(thumb, Qt.AlignmentFlag.AlignCenter,
                             "Image unavailable" if failure else "Loading…")
        painter.restore()
        self._paint_badges(painter, tile, thumb)
        text = QRectF(rect.left() + 10, thumb.bottom() + 6, rect.width() - 20, 18)
        painter.setPen(QColor(Colours.TEXT))
        painter.setFont(self._bold)
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         tile.photo.view.label)
        painter.setFont(self._small)
        painter.setPen(QColor(Colours.MUTED))
        detail = f"{tile.photo.captured_at.astimezone():%H:%M}"
        if tile.state.coverage is not None:
            detail += f"  ·  coverage {tile.state.coverage * 100:.1f}%"
        elif tile.state.stale:
            detail += "  ·  re-analysis needed"
        painter.drawText(text.translated(0, 18),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, detail)
        return loaded

    def _paint_badges(self, painter: QPainter, tile: _Tile, thumb: QRectF) -> None:
        state = tile.state
        if state.baseline:
            chip = QRectF(thumb.left() + 6, thumb.top() + 6, 78, 20)
            path = QPainterPath()
            path.addRoundedRect(chip, 10, 10)
            painter.fillPath(path, QColor(Colours.ACCENT))
            painter.drawPixmap(QRectF(chip.left() + 6, chip.top() + 3, 14, 14).toRect(),
                               pixmap("baseline", 28, "#ffffff"))
            painter.setPen(QColor("#ffffff"))
            painter.setFont(self._small)
            painter.drawText(chip.adjusted(23, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter,
                             "Baseline")
        x = thumb.right() - 6
        for shown, name, fill in ((state.refused is not None, "error", Colours.ERROR),
                                  (bool(state.warnings), "warning", Colours.WARNING),
                                  (state.stale, "analyse", Colours.MUTED)):
            if not shown:
                continue
            disc = QRectF(x - 24, thumb.top() + 6, 24, 24)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#ffffff"))
            painter.drawEllipse(disc)
            painter.drawPixmap(disc.adjusted(3, 3, -3, -3).toRect(), pixmap(name, 36, fill))
            x -= 28


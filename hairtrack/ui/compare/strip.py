"""The thumbnail strip of every visit of the shown view; picks the follow-up photo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from hairtrack.core.domain import Photo
from hairtrack.core.services import importer
from hairtrack.ui.context import AppContext

ICON = QSize(112, 84)
PHOTO_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class StripEntry:
    photo: Photo
    caption: str  # two short lines


class VisitStrip(QListWidget):
    photoChosen = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareVisitStrip")
        self._context = context
        self._icons: dict[str, QIcon] = {}
        self._placeholder = _placeholder_icon()
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(ICON)
        self.setGridSize(QSize(ICON.width() + 44, ICON.height() + 46))  # "Baseline · 10.0 %" fits
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(ICON.height() + 66)
        self.setWordWrap(True)
        self.setToolTip("Visits of this view: click one, or use the left and right arrow keys")
        self.currentItemChanged.connect(self._current_changed)
        self._quiet = False

    def set_entries(self, entries: Sequence[StripEntry], current_id: int | None) -> None:
        self._quiet = True
        try:
            self.clear()
            for entry in entries:
                item = QListWidgetItem(self._icons.get(entry.photo.sha256, self._placeholder),
                                       entry.caption)
                item.setData(PHOTO_ROLE, entry.photo.id)
                item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
                item.setToolTip(f"{entry.caption.replace(chr(10), ' · ')}\n"
                                f"{entry.photo.original_name}")
                self.addItem(item)
                if entry.photo.sha256 not in self._icons:
                    self._load_icon(entry.photo, item)
            self.select_photo(current_id)
        finally:
            self._quiet = False

    def select_photo(self, photo_id: int | None) -> None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(PHOTO_ROLE) == photo_id:
                if self.currentRow() != row:
                    was, self._quiet = self._quiet, True
                    self.setCurrentRow(row)
                    self._quiet = was
                self.scrollToItem(item)
                return

    def photo_ids(self) -> list[int]:
        return [int(self.item(r).data(PHOTO_ROLE)) for r in range(self.count())]

    def step(self, delta: int) -> bool:
        """Move the selection by `delta` visits; False at either end."""
        row = self.currentRow() + delta
        if self.count() == 0 or not 0 <= row < self.count():
            return False
        self.setCurrentRow(row)
        return True

    def _current_changed(self, current: QListWidgetItem | None,
                         _previous: QListWidgetItem | None) -> None:
        if current is not None and not self._quiet:
            self.photoChosen.emit(int(current.data(PHOTO_ROLE)))

    def _load_icon(self, photo: Photo, item: QListWidgetItem) -> None:
        library = self._context.library
        sha = photo.sha256

        def load() -> QImage:
            return QImage(str(importer.ensure_thumbnail(library, photo)))

        def done(image: QImage) -> None:
            if image.isNull():
                return
            pixmap = QPixmap.fromImage(image.scaled(
                ICON, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
            icon = QIcon(pixmap)
            icon.addPixmap(pixmap, QIcon.Mode.Selected)  # no selection tint over the photo
            self._icons[sha] = icon
            for row in range(self.count()):
                it = self.item(row)
                if it is not None and self._sha_of(it) == sha:
                    it.setIcon(icon)

        item.setData(PHOTO_ROLE + 1, sha)
        self._context.runner.call("thumbnail", load, on_done=done, on_error=lambda _e: None)

    @staticmethod
    def _sha_of(item: QListWidgetItem) -> str | None:
        value = item.data(PHOTO_ROLE + 1)
        return str(value) if value is not None else None


def _placeholder_icon() -> QIcon:
    pixmap = QPixmap(ICON)
    pixmap.fill(QColor("#d9dde2"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#9aa1a9"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "…")
    painter.end()
    return QIcon(pixmap)

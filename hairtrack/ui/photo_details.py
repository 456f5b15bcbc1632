"""The side panel of the Photos page: what is known about the selected photos.

It is also where a photo is corrected: its view, its visit, or made its view's
baseline. With several photos selected, the view and visit apply to all.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import Photo, View, Visit
from hairtrack.ui import formatting as fmt
from hairtrack.ui import forms
from hairtrack.ui.icons import Colours, icon
from hairtrack.ui.photo_state import SOURCE_WORDS, PhotoState
from hairtrack.ui.thumbnails import ThumbnailLoader


class PhotoDetails(QFrame):
    viewChosen = Signal(object)  # View, for every selected photo
    visitChosen = Signal(int)  # visit id, for every selected photo
    baselineRequested = Signal(int)  # photo id
    compareRequested = Signal(int)  # photo id

    PREVIEW = QSize(288, 216)

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidePanel")
        self.loader = loader
        self.photos: list[Photo] = []
        self.setMinimumWidth(270)
        self.setMaximumWidth(380)

        self.heading = QLabel("No photo selected")
        self.heading.setObjectName("panelTitle")
        self.heading.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setObjectName("preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(self.PREVIEW.height())
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.view = QComboBox()
        for view in View:
            self.view.addItem(view.label, view.value)
        self.view.activated.connect(lambda _i: self.viewChosen.emit(View(self.view.currentData())))
        self.visit = QComboBox()
        self.visit.activated.connect(
            lambda _i: self.visitChosen.emit(int(self.visit.currentData())))
        self.captured = QLabel()
        self.source = QLabel()
        self.file = QLabel()
        self.file.setWordWrap(True)
        self.file.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.size_label = QLabel()
        self.coverage = QLabel()
        self.alignment = QLabel()
        self.alignment.setWordWrap(True)
        for label in (self.captured, self.source, self.size_label, self.coverage):
            label.setObjectName("value")
        form = forms.prepare(QFormLayout(), right=False)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(2)
        forms.add_row(form, "View", self.view, right=False)
        forms.add_row(form, "Visit", self.visit, right=False)
        form.setVerticalSpacing(6)
        for text, field in (("Captured", self.captured), ("Time from", self.source),
                            ("File", self.file), ("Size", self.size_label),
                            ("Coverage", self.coverage), ("Analysis", self.alignment)):
            label = QLabel(text)
            label.setObjectName("fieldLabel")
            form.addRow(label, field)
        self.form = form

        self.warnings = QLabel()
        self.warnings.setObjectName("warningBox")
        self.warnings.setWordWrap(True)
        self.warnings.hide()
        self.baseline_button = QPushButton(icon("baseline"), "Mark as baseline")
        self.baseline_button.setToolTip("Make this photo the reference of its view (Ctrl+B)")
        self.baseline_button.clicked.connect(lambda: self._emit_single(self.baselineRequested))
        self.compare_button = QPushButton(icon("compare"), "Open in Compare")
        self.compare_button.setToolTip("Compare with the baseline (Enter)")
        self.compare_button.clicked.connect(lambda: self._emit_single(self.compareRequested))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 18)
        layout.setSpacing(12)
        layout.addWidget(self.heading)
        layout.addWidget(self.preview)
        layout.addLayout(form)
        layout.addWidget(self.warnings)
        layout.addStretch(1)
        layout.addWidget(self.baseline_button)
        layout.addWidget(self.compare_button)
        loader.thumbnailReady.connect(self._thumbnail_ready)
        self.set_selection([], {}, ())

    def _emit_single(self, signal: SignalInstance) -> None:
        if len(self.photos) == 1:
            signal.emit(self.photos[0].id)

    def set_selection(self, photos: Sequence[Photo], states: dict[int, PhotoState],
                      visits: Sequence[Visit]) -> None:
        self.photos = list(photos)
        self.visit.clear()
        ordered = sorted(visits, key=lambda v: v.visited_at)
        days = [fmt.day(v.visited_at) for v in ordered]
        for visit, day in zip(ordered, days, strict=True):
            label = fmt.moment(visit.visited_at) if days.count(day) > 1 else day
            self.visit.addItem(icon("visit"), label, visit.id)
        has = bool(self.photos)
        for widget in (self.view, self.visit):
            widget.setEnabled(has)
        single = len(self.photos) == 1
        self.compare_button.setEnabled(single)
        self.compare_button.setVisible(has)
        self.baseline_button.setVisible(has)
        for row in range(self.form.rowCount()):
            self.form.setRowVisible(row, single or (has and row < 2))
        self.warnings.hide()
        if not has:
            self.heading.setText("No photo selected")
            self.preview.setText("Select a photo to see its details")
            self.baseline_button.setEnabled(False)
            self.view.setCurrentIndex(-1)
            self.visit.setCurrentIndex(-1)
            return
        views = {p.view for p in self.photos}
        self.view.setCurrentIndex(self.view.findData(next(iter(views)).value)
                                  if len(views) == 1 else -1)
        visit_ids = {p.visit_id for p in self.photos}
        self.visit.setCurrentIndex(self.visit.findData(next(iter(visit_ids)))
                                   if len(visit_ids) == 1 else -1)
        if not single:
            self.heading.setText(f"{len(self.photos)} photos selected")
            self.preview.clear()
            self.preview.setText("View and visit changes apply to all of them")
            self.baseline_button.setEnabled(False)
            return
        photo = self.photos[0]
        state = states.get(photo.id, PhotoState(photo.is_baseline))
        self.heading.setText(f"{photo.view.label}  ·  {fmt.day(photo.captured_at)}")
        self._show_preview()
        self.captured.setText(fmt.moment(photo.captured_at))
        self.source.setText(SOURCE_WORDS.get(photo.capture_source.value, "unknown"))
        self.file.setText(photo.original_name)
        self.size_label.setText(f"{photo.width} × {photo.height} px, "
                          f"{photo.size_bytes / 1_048_576:.1f} MB")
        self.coverage.setText("—" if state.coverage is None else f"{state.coverage * 100:.1f}%")
        self.alignment.setText(_analysis_text(state))
        self.baseline_button.setEnabled(not state.baseline)
        self.baseline_button.setText("Baseline of its view" if state.baseline
                                     else "Mark as baseline")
        if state.warnings:
            items = "".join(f"<li>{fmt.humanise(w)}</li>" for w in state.warnings)
            self.warnings.setText(f"<b>Capture warnings</b><ul style='margin:0'>{items}</ul>")
            self.warnings.show()

    def _show_preview(self) -> None:
        if len(self.photos) != 1:
            return
        image = self.loader.pixmap(self.photos[0])
        if image is None:
            self.preview.setText("Loading…")
            self.loader.request([self.photos[0]])
            return
        width = max(120, self.preview.width() - 4)
        target = QSize(width, self.PREVIEW.height())
        self.preview.setPixmap(image.scaled(target, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.SmoothTransformation))

    def _thumbnail_ready(self, sha: str) -> None:
        if len(self.photos) == 1 and self.photos[0].sha256 == sha:
            self._show_preview()


def _analysis_text(state: PhotoState) -> str:
    if state.baseline:
        return "Baseline: the reference the other photos of this view are aligned to"
    if state.refused:
        return f"<span style='color:{Colours.ERROR}'>Alignment refused: {state.refused}</span>"
    if state.stale:
        return "Measured against an earlier baseline: analyse again"
    if state.coverage is None:
        return "Not analysed yet"
    return "Aligned to the baseline"

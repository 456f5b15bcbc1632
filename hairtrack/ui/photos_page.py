"""The Photos page: the grid, a view filter and the details panel, and their edits.

Corrections (view, visit, baseline) go through the writer; afterwards the
record is reloaded and, since a new baseline changes what every photo of the
view is measured against, `measurementsChanged` is emitted too.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import Measurement, View
from hairtrack.core.services import records, trash
from hairtrack.core.services.records import PatientRecord
from hairtrack.ui import formatting as fmt
from hairtrack.ui import messages
from hairtrack.ui.context import AppContext
from hairtrack.ui.icons import icon
from hairtrack.ui.photo_details import PhotoDetails
from hairtrack.ui.photo_grid import PhotoGrid
from hairtrack.ui.photo_state import PhotoState, photo_state
from hairtrack.ui.thumbnails import ThumbnailLoader


class PhotosPage(QWidget):
    compareRequested = Signal(int)  # photo id

    def __init__(self, context: AppContext, loader: ThumbnailLoader,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.record: PatientRecord | None = None
        self.states: dict[int, PhotoState] = {}

        title = QLabel("Photos")
        title.setObjectName("pageTitle")
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.filter = QComboBox()
        self.filter.addItem("All views", None)
        for view in View:
            self.filter.addItem(view.label, view.value)
        self.filter.setToolTip("Show one view only")
        header = QHBoxLayout()
        header.setContentsMargins(24, 18, 24, 6)
        header.addWidget(title)
        header.addSpacing(12)
        header.addWidget(self.summary)
        header.addStretch(1)
        header.addWidget(QLabel("Show"))
        header.addWidget(self.filter)

        self.grid = PhotoGrid(loader)
        self.filter.currentIndexChanged.connect(
            lambda _i: self.grid.set_view_filter(self.view_filter()))
        self.details = PhotoDetails(loader)
        self.grid.selectionChanged.connect(self._selection_changed)
        self.grid.photoActivated.connect(self.compareRequested)
        self.grid.contextMenuWanted.connect(self._context_menu)
        self.details.viewChosen.connect(self.set_view)
        self.details.visitChosen.connect(self.move_to_visit)
        self.details.baselineRequested.connect(self.mark_baseline)
        self.details.compareRequested.connect(self.compareRequested)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.grid)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)

    def view_filter(self) -> View | None:
        data = self.filter.currentData()
        return View(data) if data else None

    # ---- data ------------------------------------------------------------------------------
    def set_data(self, record: PatientRecord | None,
                 measurements: dict[int, Measurement]) -> None:
        self.record = record
        if record is None:
            self.states = {}
            self.grid.set_photos((), (), {})
            self.summary.clear()
            return
        baselines = {p.view: p.id for p in record.photos if p.is_baseline}
        self.states = {p.id: photo_state(p, measurements.get(p.id), baselines.get(p.view))
                       for p in record.photos}
        dates = [fmt.local_date(v.visited_at) for v in record.visits]
        dates += [t.date for t in record.treatments]
        self.grid.set_photos(record.visits, record.photos, self.states,
                             min(dates) if dates else None)
        attention = sum(1 for s in self.states.values() if s.needs_attention)
        views = len({p.view for p in record.photos})
        text = (f"{fmt.count(len(record.photos), 'photo')}  ·  "
                f"{fmt.count(len([v for v in record.visits if v.photo_count]), 'visit')}  ·  "
                f"{fmt.count(views, 'view')}")
        if attention:
            text += f"  ·  {attention} need{'s' if attention == 1 else ''} attention"
        self.summary.setText(text)

    def _selection_changed(self) -> None:
        visits = self.record.visits if self.record else ()
        self.details.set_selection(self.grid.selected_photos(), self.states, visits)

    # ---- edits -----------------------------------------------------------------------------
    def set_view(self, view: View) -> None:
        photos = [p for p in self.grid.selected_photos() if p.view != view]
        if not photos or self.record is None:
            return
        library = self.context.library
        ids = [p.id for p in photos]

        def work() -> None:
            for photo_id in ids:
                records.set_photo_view(library, photo_id, view)

        self._write("Changing view", work,
                    f"{fmt.count(len(ids), 'photo')} moved to {view.label}", analysis=True)

    def move_to_visit(self, visit_id: int) -> None:
        photos = [p for p in self.grid.selected_photos() if p.visit_id != visit_id]
        if not photos or self.record is None:
            return
        library = self.context.library
        ids = [p.id for p in photos]

        def work() -> None:
            for photo_id in ids:
                records.move_photo(library, photo_id, visit_id)

        visit = next((v for v in self.record.visits if v.id == visit_id), None)
        when = fmt.day(visit.visited_at) if visit else "another visit"
        self._write("Moving photos", work,
                    f"{fmt.count(len(ids), 'photo')} moved to the visit of {when}", analysis=True)

    def mark_baseline(self, photo_id: int | None = None) -> None:
        chosen = photo_id if photo_id is not None else (
            self.grid.selected_ids()[-1] if len(self.grid.selected_ids()) == 1 else None)
        if chosen is None or self.record is None:
            return
        photo = next(p for p in self.record.photos if p.id == chosen)
        if photo.is_baseline:
            return
        library = self.context.library
        self._write("Setting the baseline", lambda: records.set_baseline(library, chosen),
                    f"Baseline of {photo.view.label} set to {fmt.day(photo.captured_at)}",
                    analysis=True)

    def delete_selected(self) -> None:
        """Move the selected photos to the trash (after asking); File > Trash restores them."""
        chosen = list(self.grid.selected_photos())
        if not chosen or self.record is None:
            return
        baselines = sum(p.is_baseline for p in chosen)
        note = (" The next photo of its view becomes the baseline." if baselines == 1 else
                " The next photo of each view becomes its baseline." if baselines else "")
        if not messages.confirm(self, "Move photos to trash",
                                f"Move {fmt.count(len(chosen), 'photo')} to the trash?{note} You "
                                "can restore them from File > Trash.", "Move to trash"):
            return
        library, ids = self.context.library, [p.id for p in chosen]

        def work() -> None:
            for photo_id in ids:
                trash.delete_photo(library, photo_id)

        self._write("Moving photos to the trash", work,
                    f"Moved {fmt.count(len(ids), 'photo')} to the trash", analysis=True)

    def _write(self, label: str, work: Callable[[], None], message: str, *,
               analysis: bool) -> None:
        assert self.record is not None
        patient_id = self.record.patient.id

        def done(_result: object) -> None:
            self.context.statusMessage.emit(message)
            self.context.recordChanged.emit(patient_id)
            if analysis:
                self.context.measurementsChanged.emit(patient_id)

        self.context.runner.call(label, work, writes=True, on_done=done,
                                 on_error=messages.warner(self, label))

    def _context_menu(self, position: QPoint) -> None:
        menu = self.build_menu()
        menu.exec(position)

    def build_menu(self) -> QMenu:
        menu = QMenu(self)
        selected = self.grid.selected_photos()
        single = len(selected) == 1
        compare = menu.addAction(icon("compare"), "Open in Compare")
        compare.setEnabled(single)
        compare.triggered.connect(lambda: self.compareRequested.emit(selected[0].id))
        baseline = menu.addAction(icon("baseline"), "Mark as baseline")
        baseline.setEnabled(single and not selected[0].is_baseline)
        baseline.triggered.connect(lambda: self.mark_baseline(selected[0].id))
        menu.addSeparator()
        views = menu.addMenu("Set view")
        for view in View:
            action = views.addAction(view.label)
            action.setCheckable(True)
            action.setChecked(all(p.view == view for p in selected))
            action.triggered.connect(lambda _c=False, v=view: self.set_view(v))
        visits = menu.addMenu("Move to visit")
        for visit in (self.record.visits if self.record else ()):
            action = visits.addAction(fmt.moment(visit.visited_at))
            action.setCheckable(True)
            action.setChecked(all(p.visit_id == visit.id for p in selected))
            action.triggered.connect(lambda _c=False, v=visit.id: self.move_to_visit(v))
        return menu

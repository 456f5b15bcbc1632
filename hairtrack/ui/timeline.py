"""The patient's course in date order: visits and treatment events on one list.

Treatments sit next to the visits that bracket them, so a clinician sees what
was done between two sets of photos. Edits go through the writer with the
version of the entry on screen (another desktop's change in between is refused
and offered for reload, `ui/conflicts.py`); the view redraws from the new
record the workspace loads after `recordChanged`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import TreatmentEvent, Visit
from hairtrack.core.services import records
from hairtrack.core.services.records import PatientRecord, TreatmentFields
from hairtrack.settings import Settings
from hairtrack.ui import conflicts, messages
from hairtrack.ui import formatting as fmt
from hairtrack.ui.context import AppContext
from hairtrack.ui.icons import Colours, icon
from hairtrack.ui.record_dialogs import TreatmentDialog, VisitDialog, VisitFields

COLUMNS = ("Date", "Interval", "Event", "Details", "Clinician", "Notes")
KIND_ROLE = Qt.ItemDataRole.UserRole


class _EventTree(QTreeWidget):
    """A tree that says what to do when it is empty instead of showing a blank box."""

    def __init__(self) -> None:
        super().__init__()
        self.placeholder = ("No visits or treatments yet.\n"
                            "Add a visit, a treatment, or import photos.")

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if self.topLevelItemCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(Colours.MUTED))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                             self.placeholder)


class TimelinePage(QWidget):
    photosRequested = Signal(int)  # visit id: show its photos

    def __init__(self, context: AppContext, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.settings = settings
        self.record: PatientRecord | None = None
        self.dialog: VisitDialog | TreatmentDialog | None = None
        self._pending_select: tuple[str, int] | None = None

        title = QLabel("Timeline")
        title.setObjectName("pageTitle")
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.add_visit_button = QPushButton(icon("visit"), "Add visit")
        self.add_treatment_button = QPushButton(icon("treatment"), "Add treatment")
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.delete_button = QPushButton(icon("delete"), "Delete")
        self.add_visit_button.clicked.connect(self.add_visit)
        self.add_treatment_button.clicked.connect(self.add_treatment)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.add_visit_button.setToolTip("Add a visit (Ctrl+Shift+V)")
        self.add_treatment_button.setToolTip("Add a treatment event (Ctrl+Shift+T)")
        self.edit_button.setToolTip("Edit the selected entry (F2)")
        self.delete_button.setToolTip("Delete the selected entry (Del)")

        header = QHBoxLayout()
        header.addWidget(title)
        header.addSpacing(12)
        header.addWidget(self.summary)
        header.addStretch(1)
        for button in (self.add_visit_button, self.add_treatment_button, self.edit_button,
                       self.delete_button):
            header.addWidget(button)

        self.tree = _EventTree()
        self.tree.setObjectName("timelineTree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setIconSize(QSize(18, 18))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        head = self.tree.header()
        head.setStretchLastSection(False)
        for column, width in enumerate((150, 80, 200, 360, 130, 220)):
            self.tree.setColumnWidth(column, width)
        head.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.tree.itemDoubleClicked.connect(lambda *_: self.edit_selected())
        self.tree.itemSelectionChanged.connect(self._update_buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addLayout(header)
        layout.addWidget(self.tree, 1)
        self._update_buttons()

    # ---- data ------------------------------------------------------------------------------
    def set_record(self, record: PatientRecord | None) -> None:
        pending, selected = self._pending_select, self._pending_select or self.selected()
        self._pending_select = None
        top = self.tree.verticalScrollBar().value()  # a refresh keeps the place in the list
        self.record = record
        self.tree.clear()
        if record is None:
            self.summary.clear()
            self._update_buttons()
            return
        entries: list[tuple[date, int, QTreeWidgetItem]] = []
        start = _start_date(record)
        for visit in record.visits:
            entries.append((fmt.local_date(visit.visited_at), 0, self._visit_item(visit, start)))
        for event in record.treatments:
            entries.append((event.date, 1, self._treatment_item(event, start)))
        entries.sort(key=lambda e: (e[0], e[1]))
        self.tree.addTopLevelItems([item for *_, item in entries])
        self.summary.setText(f"{fmt.count(len(record.visits), 'visit')}  ·  "
                             f"{fmt.count(len(record.treatments), 'treatment')}  ·  "
                             f"{fmt.count(len(record.photos), 'photo')}")
        if selected is not None:
            self.select(*selected)
        if pending is None:  # an entry just saved here is scrolled to; otherwise stay put
            self.tree.verticalScrollBar().setValue(top)
        self._update_buttons()

    def _visit_item(self, visit: Visit, start: date | None) -> QTreeWidgetItem:
        views = sorted({p.view.label for p in self.record.photos if p.visit_id == visit.id}
                       if self.record else set())
        details = fmt.count(visit.photo_count, "photo")
        if views:
            details += "  —  " + ", ".join(views)
        item = QTreeWidgetItem([fmt.moment(visit.visited_at),
                                fmt.since(start, fmt.local_date(visit.visited_at)),
                                "Visit", details, "", _one_line(visit.notes)])
        item.setIcon(2, icon("visit", Colours.VISIT))
        bold = QFont(item.font(2))
        bold.setBold(True)
        item.setFont(2, bold)
        item.setData(0, KIND_ROLE, ("visit", visit.id))
        item.setToolTip(5, visit.notes)
        return item

    def _treatment_item(self, event: TreatmentEvent, start: date | None) -> QTreeWidgetItem:
        parts = [event.product, f"lot {event.lot}" if event.lot else "", event.dose,
                 event.device_settings]
        details = "  ·  ".join(p for p in parts if p)
        item = QTreeWidgetItem([fmt.day(event.date), fmt.since(start, event.date),
                                event.type_label, details, event.clinician,
                                _one_line(event.notes)])
        item.setIcon(2, icon("treatment", Colours.TREATMENT))
        item.setData(0, KIND_ROLE, ("treatment", event.id))
        item.setToolTip(3, "\n".join(p for p in parts if p))
        item.setToolTip(5, event.notes)
        return item

    # ---- selection -------------------------------------------------------------------------
    def selected(self) -> tuple[str, int] | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        kind, ident = items[0].data(0, KIND_ROLE)
        return str(kind), int(ident)

    def select(self, kind: str, ident: int) -> bool:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is not None and tuple(item.data(0, KIND_ROLE)) == (kind, ident):
                self.tree.setCurrentItem(item)
                return True
        return False

    def item_count(self) -> int:
        return self.tree.topLevelItemCount()

    def row_texts(self) -> list[tuple[str, ...]]:
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [tuple(item.text(c) for c in range(len(COLUMNS))) for item in items if item]

    def _update_buttons(self) -> None:
        has_patient = self.record is not None
        has_selection = self.selected() is not None
        self.add_visit_button.setEnabled(has_patient)
        self.add_treatment_button.setEnabled(has_patient)
        self.edit_button.setEnabled(has_selection)
        self.delete_button.setEnabled(has_selection)

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Delete:
            self.delete_selected()
        elif event.key() == Qt.Key.Key_F2 or event.key() in (Qt.Key.Key_Return,
                                                                 Qt.Key.Key_Enter):
            self.edit_selected()
        else:
            super().keyPressEvent(event)

    # ---- actions ---------------------------------------------------------------------------
    def add_visit(self) -> None:
        if self.record is not None:
            self._open(VisitDialog(parent=self), self._save_visit)

    def add_treatment(self) -> None:
        if self.record is None:
            return
        types = records.treatment_types(self.context.library)
        dialog = TreatmentDialog(types, clinician=self.settings.clinic.clinician, parent=self)
        self._open(dialog, self._save_treatment)

    def edit_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or self.record is None:
            return
        kind, ident = chosen
        if kind == "visit":
            visit = next(v for v in self.record.visits if v.id == ident)
            self._open(VisitDialog(visit, parent=self), self._save_visit)
        else:
            event = next(t for t in self.record.treatments if t.id == ident)
            types = records.treatment_types(self.context.library)
            dialog = TreatmentDialog(types, event, parent=self)
            self._open(dialog, self._save_treatment)

    def delete_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or self.record is None:
            return
        kind, ident = chosen
        library, patient_id = self.context.library, self.record.patient.id
        if kind == "visit":
            visit = next(v for v in self.record.visits if v.id == ident)
            held = (f" and its {fmt.count(visit.photo_count, 'photo')}" if visit.photo_count
                    else "")
            text = (f"Move the visit of {fmt.day(visit.visited_at)}{held} to the trash? "
                    "You can restore it from File > Trash until the trash is emptied.")
            work: Callable[[], None] = lambda: records.delete_visit(  # noqa: E731
                library, ident, expected_version=visit.version)  # the version on screen
        else:
            event = next(t for t in self.record.treatments if t.id == ident)
            text = f"Delete the {event.type_label} of {fmt.day(event.date)}?"
            work = lambda: records.delete_treatment(  # noqa: E731
                library, ident, expected_version=event.version)  # the version on screen
        if not messages.confirm(self, "Delete entry", text):
            return
        self.context.runner.call(
            "Deleting", work, writes=True,
            on_done=lambda _: self._changed(patient_id, "Entry deleted"),
            on_error=conflicts.action_failed(
                self, "Cannot delete", lambda: self.context.recordChanged.emit(patient_id)))

    def _open(self, dialog: VisitDialog | TreatmentDialog,
              save: Callable[[Any, Any, int], None]) -> None:
        assert self.record is not None
        patient_id = self.record.patient.id  # the dialog outlives a refresh of the view
        self.dialog = dialog
        dialog.submitted.connect(lambda fields: save(dialog, fields, patient_id))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _: setattr(self, "dialog", None))
        dialog.open()

    def _save_visit(self, dialog: VisitDialog, fields: VisitFields, patient_id: int) -> None:
        library, opened = self.context.library, dialog.visit  # the version on screen

        def work() -> Visit:
            if opened is None:
                return records.add_visit(library, patient_id, fields.visited_at, fields.notes)
            return records.update_visit(library, opened.id, fields.visited_at, fields.notes,
                                        expected_version=opened.version)

        def done(visit: Visit) -> None:
            dialog.accept()
            self._changed(patient_id, "Visit saved", ("visit", visit.id))

        def reload() -> None:
            if opened is not None:
                self._reload_dialog(dialog, patient_id, lambda r: r.visits, opened.id)

        self.context.runner.call("Saving visit", work, writes=True, on_done=done,
                                 on_error=lambda exc: conflicts.save_failed(dialog, exc, reload))

    def _save_treatment(self, dialog: TreatmentDialog, fields: TreatmentFields,
                        patient_id: int) -> None:
        library = self.context.library
        opened, new_type = dialog.treatment, dialog.is_new_type()

        def work() -> TreatmentEvent:
            if new_type:
                records.add_treatment_type(library, fields.type)
            if opened is None:
                return records.add_treatment(library, patient_id, fields)
            return records.update_treatment(library, opened.id, fields,
                                            expected_version=opened.version)

        def done(event: TreatmentEvent) -> None:
            dialog.accept()
            self._changed(patient_id, "Treatment saved", ("treatment", event.id))

        def reload() -> None:
            if opened is not None:
                self._reload_dialog(dialog, patient_id, lambda r: r.treatments, opened.id)

        self.context.runner.call("Saving treatment", work, writes=True, on_done=done,
                                 on_error=lambda exc: conflicts.save_failed(dialog, exc, reload))

    def _reload_dialog(self, dialog: VisitDialog | TreatmentDialog, patient_id: int,
                       entries: Callable[[PatientRecord], Sequence[Visit | TreatmentEvent]],
                       ident: int) -> None:
        """The form shows the current entry; the timeline behind it reloads too."""
        library = self.context.library

        def read() -> Visit | TreatmentEvent | None:
            record = records.patient_record(library, patient_id)
            return next((e for e in entries(record) if e.id == ident), None)

        conflicts.reload_form(self.context, dialog, read)
        self.context.recordChanged.emit(patient_id)

    def _changed(self, patient_id: int, message: str,
                 select: tuple[str, int] | None = None) -> None:
        self._pending_select = select  # selected again when the reloaded record arrives
        self.context.statusMessage.emit(message)
        self.context.recordChanged.emit(patient_id)


def _start_date(record: PatientRecord) -> date | None:
    dates = [fmt.local_date(v.visited_at) for v in record.visits]
    dates += [t.date for t in record.treatments]
    return min(dates) if dates else None


def _one_line(text: str) -> str:
    return " ".join(text.split())

"""Dialogs that add or edit a visit or a treatment event of the timeline.

Like the patient dialog they only collect and check fields and emit
`submitted` (`FormDialog`); the timeline saves through the writer, sending the
version each was opened with, and closes them on success or shows the
service's refusal in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from hairtrack.core.domain import TreatmentEvent, TreatmentType, Visit
from hairtrack.core.services.records import TreatmentFields
from hairtrack.ui import forms
from hairtrack.ui.form_dialog import FormDialog


@dataclass(frozen=True)
class VisitFields:
    visited_at: datetime  # timezone-aware, local zone
    notes: str


class VisitDialog(FormDialog):
    FIELD_LABELS = (("visited_at", "Date and time"), ("notes", "Notes"))

    def __init__(self, visit: Visit | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit visit" if visit else "New visit", parent)
        self.visit = visit
        self.when = QDateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("d MMM yyyy  HH:mm")
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Observations, patient-reported changes…")
        self.notes.setFixedHeight(100)
        forms.add_row(self.form, "Date and time", self.when)
        forms.add_row(self.form, "Notes", self.notes)
        if visit is None:
            self._show(datetime.now().astimezone(), "")
        else:
            self.load(visit)

    def load(self, record: object) -> None:
        assert isinstance(record, Visit)
        self.visit = record
        self._show(record.visited_at, record.notes)

    def _show(self, when: datetime, notes: str) -> None:
        moment = when.astimezone()
        self.when.setDateTime(QDateTime(QDate(moment.year, moment.month, moment.day),
                                        QTime(moment.hour, moment.minute)))
        self.notes.setPlainText(notes)

    def fields(self) -> VisitFields:
        value = self.when.dateTime().toPython()
        assert isinstance(value, datetime)
        return VisitFields(value.replace(second=0, microsecond=0).astimezone(),
                           self.notes.toPlainText().strip())


class TreatmentDialog(FormDialog):
    FIELD_LABELS = (("date", "Date"), ("type", "Treatment"), ("product", "Product"),
                    ("lot", "Lot"), ("dose", "Dose"), ("device_settings", "Device settings"),
                    ("clinician", "Clinician"), ("notes", "Notes"))

    def __init__(self, types: list[TreatmentType], event: TreatmentEvent | None = None,
                 clinician: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Edit treatment" if event else "New treatment", parent)
        self.treatment = event
        self.types = types
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("d MMM yyyy")
        self.type = QComboBox()
        self.type.setEditable(True)
        self.type.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for kind in types:
            self.type.addItem(kind.label, kind.code)
        line = self.type.lineEdit()
        if line is not None:
            line.setPlaceholderText("Choose or type a new treatment type")
        self.product = QLineEdit()
        self.product.setPlaceholderText("Product or device")
        self.lot = QLineEdit()
        self.lot.setPlaceholderText("Batch / lot number")
        self.dose = QLineEdit()
        self.dose.setPlaceholderText("e.g. 2 mL over 40 sites")
        self.device = QLineEdit()
        self.device.setPlaceholderText("e.g. 30G needle, 4 mm depth")
        self.clinician = QLineEdit(clinician)
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(80)
        for label, widget in (("Date", self.day), ("Treatment", self.type),
                              ("Product", self.product), ("Lot", self.lot),
                              ("Dose", self.dose), ("Device settings", self.device),
                              ("Clinician", self.clinician), ("Notes", self.notes)):
            forms.add_row(self.form, label, widget)
        today = date.today()
        self.day.setDate(QDate(today.year, today.month, today.day))
        if event is not None:
            self.load(event)

    def load(self, record: object) -> None:
        assert isinstance(record, TreatmentEvent)
        self.treatment = event = record
        self.day.setDate(QDate(event.date.year, event.date.month, event.date.day))
        index = self.type.findData(event.type_code)
        self.type.setCurrentIndex(index)
        if index < 0:
            self.type.setEditText(event.type_label)
        for widget, value in ((self.product, event.product), (self.lot, event.lot),
                              (self.dose, event.dose), (self.device, event.device_settings),
                              (self.clinician, event.clinician)):
            widget.setText(value)
        self.notes.setPlainText(event.notes)

    def type_text(self) -> str:
        return self.type.currentText().strip()

    def is_new_type(self) -> bool:
        """A typed label that matches no known type: the caller creates it first."""
        text = self.type_text().lower()
        return not any(text in (t.code.lower(), t.label.lower()) for t in self.types)

    def problem(self) -> str:
        return "" if self.type_text() else "Choose the kind of treatment."

    def fields(self) -> TreatmentFields:
        value = self.day.date().toPython()
        assert isinstance(value, date)
        text = self.type_text()
        match = next((t.code for t in self.types
                      if text.lower() in (t.code.lower(), t.label.lower())), text)
        return TreatmentFields(value, match, self.product.text().strip(),
                               self.lot.text().strip(), self.dose.text().strip(),
                               self.device.text().strip(), self.clinician.text().strip(),
                               self.notes.toPlainText().strip())

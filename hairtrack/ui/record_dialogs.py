"""Dialogs that add or edit a visit or a treatment event of the timeline.

Like the patient dialog they only collect and check fields and emit
`submitted`; the timeline saves through the writer and closes them on success
or shows the service's refusal in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import TreatmentEvent, TreatmentType, Visit
from hairtrack.core.services.records import TreatmentFields
from hairtrack.ui import forms


@dataclass(frozen=True)
class VisitFields:
    visited_at: datetime  # timezone-aware, local zone
    notes: str


class _RecordDialog(QDialog):
    submitted = Signal(object)

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.form = forms.prepare(QFormLayout())
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.setEnabled(True)

    def _check(self) -> None:
        message = self.problem()
        if message:
            self.show_error(message)
            return
        self.setEnabled(False)  # until the caller saved (accept) or refused (show_error)
        self.submitted.emit(self.fields())

    def problem(self) -> str:
        return ""

    def fields(self) -> object:
        raise NotImplementedError


class VisitDialog(_RecordDialog):
    def __init__(self, visit: Visit | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit visit" if visit else "New visit", parent)
        self.visit = visit
        self.when = QDateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("d MMM yyyy  HH:mm")
        moment = visit.visited_at.astimezone() if visit else datetime.now().astimezone()
        self.when.setDateTime(QDateTime(QDate(moment.year, moment.month, moment.day),
                                        QTime(moment.hour, moment.minute)))
        self.notes = QPlainTextEdit(visit.notes if visit else "")
        self.notes.setPlaceholderText("Observations, patient-reported changes…")
        self.notes.setFixedHeight(100)
        forms.add_row(self.form, "Date and time", self.when)
        forms.add_row(self.form, "Notes", self.notes)

    def fields(self) -> VisitFields:
        value = self.when.dateTime().toPython()
        assert isinstance(value, datetime)
        return VisitFields(value.replace(second=0, microsecond=0).astimezone(),
                           self.notes.toPlainText().strip())


class TreatmentDialog(_RecordDialog):
    def __init__(self, types: list[TreatmentType], event: TreatmentEvent | None = None,
                 clinician: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Edit treatment" if event else "New treatment", parent)
        self.treatment = event
        self.types = types
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("d MMM yyyy")
        when = event.date if event else date.today()
        self.day.setDate(QDate(when.year, when.month, when.day))
        self.type = QComboBox()
        self.type.setEditable(True)
        self.type.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for kind in types:
            self.type.addItem(kind.label, kind.code)
        line = self.type.lineEdit()
        if line is not None:
            line.setPlaceholderText("Choose or type a new treatment type")
        if event is not None:
            index = self.type.findData(event.type_code)
            self.type.setCurrentIndex(index)
            if index < 0:
                self.type.setEditText(event.type_label)
        self.product = QLineEdit(event.product if event else "")
        self.product.setPlaceholderText("Product or device")
        self.lot = QLineEdit(event.lot if event else "")
        self.lot.setPlaceholderText("Batch / lot number")
        self.dose = QLineEdit(event.dose if event else "")
        self.dose.setPlaceholderText("e.g. 2 mL over 40 sites")
        self.device = QLineEdit(event.device_settings if event else "")
        self.device.setPlaceholderText("e.g. 30G needle, 4 mm depth")
        self.clinician = QLineEdit(event.clinician if event else clinician)
        self.notes = QPlainTextEdit(event.notes if event else "")
        self.notes.setFixedHeight(80)
        for label, widget in (("Date", self.day), ("Treatment", self.type),
                              ("Product", self.product), ("Lot", self.lot),
                              ("Dose", self.dose), ("Device settings", self.device),
                              ("Clinician", self.clinician), ("Notes", self.notes)):
            forms.add_row(self.form, label, widget)

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

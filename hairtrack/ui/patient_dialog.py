"""Add or edit a patient: MRN, name, date of birth, sex and notes.

The dialog only collects and checks the fields and emits `submitted`; the
caller saves them through the task runner (one writer) and then calls
`accept()`, or `show_error()` on a clash of MRNs, so the dialog stays open
with what the user typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import Patient, Sex
from hairtrack.core.services import records
from hairtrack.ui import forms, messages
from hairtrack.ui.context import AppContext

SEX_LABELS = {Sex.UNKNOWN: "Not recorded", Sex.FEMALE: "Female", Sex.MALE: "Male",
              Sex.OTHER: "Other"}


@dataclass(frozen=True)
class PatientFields:
    mrn: str
    name: str
    date_of_birth: date | None
    sex: Sex
    notes: str


class PatientDialog(QDialog):
    submitted = Signal(object)  # PatientFields, valid

    def __init__(self, patient: Patient | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.patient = patient
        self.setWindowTitle("Edit patient" if patient else "New patient")
        self.setObjectName("patientDialog")
        self.setMinimumWidth(440)

        self.mrn = QLineEdit()
        self.mrn.setPlaceholderText("Medical record number")
        self.name = QLineEdit()
        self.name.setPlaceholderText("Family name, given name")
        self.dob = QDateEdit()
        self.dob.setCalendarPopup(True)
        self.dob.setDisplayFormat("d MMM yyyy")
        self.dob.setMaximumDate(QDate.currentDate())
        self.dob.setMinimumDate(QDate(1900, 1, 1))
        self.dob.setDate(QDate(1980, 1, 1))
        self.dob_known = QCheckBox("Known")
        self.dob_known.toggled.connect(self.dob.setEnabled)
        self.sex = QComboBox()
        for sex, label in SEX_LABELS.items():
            self.sex.addItem(label, sex)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Diagnosis, history, consent notes…")
        self.notes.setFixedHeight(90)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()

        dob_row = QHBoxLayout()
        dob_row.addWidget(self.dob, 1)
        dob_row.addWidget(self.dob_known)
        form = forms.prepare(QFormLayout())
        for label, field in (("MRN", self.mrn), ("Name", self.name), ("Date of birth", dob_row),
                             ("Sex", self.sex), ("Notes", self.notes)):
            forms.add_row(form, label, field)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        if patient is not None:
            self.mrn.setText(patient.mrn)
            self.name.setText(patient.name)
            self.sex.setCurrentIndex(max(0, self.sex.findData(patient.sex)))
            self.notes.setPlainText(patient.notes)
            if patient.date_of_birth is not None:
                dob = patient.date_of_birth
                self.dob.setDate(QDate(dob.year, dob.month, dob.day))
        self.dob_known.setChecked(patient is not None and patient.date_of_birth is not None)
        self.dob.setEnabled(self.dob_known.isChecked())
        for edit in (self.mrn, self.name):
            edit.textChanged.connect(self.error.hide)

    def fields(self) -> PatientFields:
        dob = self.dob.date().toPython() if self.dob_known.isChecked() else None
        return PatientFields(self.mrn.text().strip(), self.name.text().strip(),
                             dob if isinstance(dob, date) else None,
                             Sex(self.sex.currentData()), self.notes.toPlainText().strip())

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.setEnabled(True)

    def _check(self) -> None:
        fields = self.fields()
        if not fields.mrn:
            self.show_error("Enter the patient's medical record number (MRN).")
            self.mrn.setFocus()
            return
        if not fields.name:
            self.show_error("Enter the patient's name.")
            self.name.setFocus()
            return
        self.setEnabled(False)  # until the caller saved (accept) or refused (show_error)
        self.submitted.emit(fields)


def open_patient_dialog(context: AppContext, patient: Patient | None, parent: QWidget | None,
                        on_saved: Callable[[Patient], None]) -> PatientDialog:
    """Open the dialog; save through the writer; on success close it and tell every view."""
    dialog = PatientDialog(patient, parent=parent)
    library = context.library

    def save(fields: PatientFields) -> None:
        def work() -> Patient:
            if patient is None:
                return records.add_patient(library, fields.mrn, fields.name,
                                           fields.date_of_birth, fields.sex, fields.notes)
            return records.update_patient(library, patient.id, mrn=fields.mrn,
                                          name=fields.name, date_of_birth=fields.date_of_birth,
                                          sex=fields.sex, notes=fields.notes)

        context.runner.call("Saving the patient", work, writes=True, on_done=saved,
                            on_error=lambda exc: dialog.show_error(messages.error_text(exc)))

    def saved(result: Patient) -> None:
        dialog.accept()
        context.patientsChanged.emit()
        on_saved(result)

    dialog.submitted.connect(save)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog

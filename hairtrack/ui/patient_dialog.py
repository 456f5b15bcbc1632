"""Add or edit a patient: MRN, name, date of birth, sex and notes.

The dialog only collects and checks the fields and emits `submitted`
(`FormDialog`); the caller saves them through the task runner (one writer) and
then calls `accept()`, or `show_error()` on a clash of MRNs, so the dialog
stays open with what the user typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from hairtrack.core.domain import Patient, Sex
from hairtrack.core.services import records
from hairtrack.ui import conflicts, forms
from hairtrack.ui.context import AppContext
from hairtrack.ui.form_dialog import FormDialog

SEX_LABELS = {Sex.UNKNOWN: "Not recorded", Sex.FEMALE: "Female", Sex.MALE: "Male",
              Sex.OTHER: "Other"}


@dataclass(frozen=True)
class PatientFields:
    mrn: str
    name: str
    date_of_birth: date | None
    sex: Sex
    notes: str


class PatientDialog(FormDialog):
    FIELD_LABELS = (("mrn", "MRN"), ("name", "Name"), ("date_of_birth", "Date of birth"),
                    ("sex", "Sex"), ("notes", "Notes"))

    def __init__(self, patient: Patient | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit patient" if patient else "New patient", parent)
        self.patient = patient
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

        dob_row = QHBoxLayout()
        dob_row.addWidget(self.dob, 1)
        dob_row.addWidget(self.dob_known)
        for label, field in (("MRN", self.mrn), ("Name", self.name), ("Date of birth", dob_row),
                             ("Sex", self.sex), ("Notes", self.notes)):
            forms.add_row(self.form, label, field)

        if patient is not None:
            self.load(patient)
        self.dob.setEnabled(self.dob_known.isChecked())
        for edit in (self.mrn, self.name):
            edit.textChanged.connect(self.error.hide)

    def load(self, record: object) -> None:
        assert isinstance(record, Patient)
        self.patient = patient = record
        self.mrn.setText(patient.mrn)
        self.name.setText(patient.name)
        self.sex.setCurrentIndex(max(0, self.sex.findData(patient.sex)))
        self.notes.setPlainText(patient.notes)
        if patient.date_of_birth is not None:
            dob = patient.date_of_birth
            self.dob.setDate(QDate(dob.year, dob.month, dob.day))
        self.dob_known.setChecked(patient.date_of_birth is not None)

    def fields(self) -> PatientFields:
        dob = self.dob.date().toPython() if self.dob_known.isChecked() else None
        return PatientFields(self.mrn.text().strip(), self.name.text().strip(),
                             dob if isinstance(dob, date) else None,
                             Sex(self.sex.currentData()), self.notes.toPlainText().strip())

    def problem(self) -> str:
        fields = self.fields()
        if not fields.mrn:
            self.mrn.setFocus()
            return "Enter the patient's medical record number (MRN)."
        if not fields.name:
            self.name.setFocus()
            return "Enter the patient's name."
        return ""


def open_patient_dialog(context: AppContext, patient: Patient | None, parent: QWidget | None,
                        on_saved: Callable[[Patient], None]) -> PatientDialog:
    """Open the dialog; save through the writer; on success close it and tell every view.

    An edit sends the version the form was filled from: if another desktop saved
    the patient since, the save is refused and the user can reload the form.
    """
    dialog = PatientDialog(patient, parent=parent)
    library = context.library

    def save(fields: PatientFields) -> None:
        opened = dialog.patient  # the version on screen (a reload replaces it)

        def work() -> Patient:
            if opened is None:
                return records.add_patient(library, fields.mrn, fields.name,
                                           fields.date_of_birth, fields.sex, fields.notes)
            return records.update_patient(library, opened.id, mrn=fields.mrn,
                                          name=fields.name, date_of_birth=fields.date_of_birth,
                                          sex=fields.sex, notes=fields.notes,
                                          expected_version=opened.version)

        context.runner.call("Saving the patient", work, writes=True, on_done=saved,
                            on_error=lambda exc: conflicts.save_failed(dialog, exc, reload))

    def reload() -> None:
        if dialog.patient is not None:
            patient_id = dialog.patient.id
            conflicts.reload_form(context, dialog,
                                  lambda: records.patient_record(library, patient_id).patient)

    def saved(result: Patient) -> None:
        dialog.accept()
        context.patientsChanged.emit()
        on_saved(result)

    dialog.submitted.connect(save)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog

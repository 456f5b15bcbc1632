"""Edits on a copy another desktop changed since: refused, said so, reloadable, never lost.

`open_demo` (tests/ui/conftest.py) gives a window on the demo timeline and a
second `Library` on the same folder, which plays the other desktop.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from hairtrack.core.services import records
from hairtrack.ui import messages
from hairtrack.ui.patient_dialog import PatientDialog
from hairtrack.ui.record_dialogs import TreatmentDialog, VisitDialog


@pytest.fixture
def boxes(monkeypatch) -> list[QMessageBox]:
    """Every "changed on another desktop" box shown (the real box, opened as usual)."""
    shown: list[QMessageBox] = []
    real = messages.changed_elsewhere

    def record(*args, **kwargs) -> QMessageBox:
        box = real(*args, **kwargs)
        shown.append(box)
        return box

    monkeypatch.setattr(messages, "changed_elsewhere", record)
    return shown


def _save(dialog) -> None:
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()


def _reload(box: QMessageBox) -> None:
    button = next(b for b in box.buttons() if b.text() == "Reload")
    button.click()


def test_stale_patient_edit_is_refused_then_reloaded_and_redone(qtbot, open_demo, boxes):
    window, patient, other = open_demo
    window.edit_patient()
    dialog = window.dialog
    assert isinstance(dialog, PatientDialog)
    qtbot.waitExposed(dialog)  # laid out at its first size, as on screen
    dialog.name.setText("Mine, Renamed")
    dialog.notes.setPlainText("my notes")
    records.update_patient(other, patient.id, mrn=patient.mrn, name=patient.name,
                           date_of_birth=patient.date_of_birth, sex=patient.sex,
                           notes="desk 2 notes")
    _save(dialog)
    (box,) = boxes
    assert box.windowTitle() == "Changed on another desktop"
    assert f"(MRN {patient.mrn}) was changed by alice (desk 2) at" in box.text()
    assert "reload" in box.text().lower()
    stored = records.patient_by_mrn(other, patient.mrn)
    assert (stored.name, stored.notes) == (patient.name, "desk 2 notes")  # not overwritten
    assert dialog.isVisible() and dialog.isEnabled()
    assert dialog.name.text() == "Mine, Renamed"  # still what the user typed

    _reload(box)
    assert dialog.notes.toPlainText() == "desk 2 notes"  # their change, visible
    assert dialog.name.text() == patient.name
    notice = dialog.notice.text()
    assert dialog.notice.isVisible()
    assert "Name: “Mine, Renamed”" in notice and "Notes: “my notes”" in notice
    assert dialog.height() >= dialog.sizeHint().height()  # grown: Save still in sight

    dialog.name.setText("Mine, Renamed")  # made again on the current version
    _save(dialog)
    saved = records.patient_by_mrn(other, patient.mrn)
    assert (saved.name, saved.notes) == ("Mine, Renamed", "desk 2 notes")
    assert not dialog.isVisible()
    assert len(boxes) == 1


def test_stale_treatment_edit_and_delete_are_refused(open_demo, edit_entry, boxes,
                                                     monkeypatch):
    window, patient, other = open_demo
    timeline = window.workspace.timeline
    dialog, event = edit_entry(window, "treatment", 0)
    assert isinstance(dialog, TreatmentDialog)
    dialog.dose.setText("my dose")
    changed = records.update_treatment(other, event.id, records.TreatmentFields(
        event.date, event.type_code, product=event.product, dose="desk 2 dose"),
        expected_version=event.version)
    _save(dialog)
    assert len(boxes) == 1 and "This treatment was changed by alice (desk 2)" in boxes[0].text()
    current = next(t for t in records.patient_record(other, patient.id).treatments
                   if t.id == event.id)
    assert current.dose == "desk 2 dose" and current.version == changed.version
    _reload(boxes[0])
    assert dialog.dose.text() == "desk 2 dose" and dialog.treatment.version == changed.version
    assert "Dose: “my dose”" in dialog.notice.text()
    dialog.reject()

    records.update_treatment(other, event.id, records.TreatmentFields(
        event.date, event.type_code, dose="changed again"), expected_version=changed.version)
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    timeline.select("treatment", event.id)
    timeline.delete_selected()  # the timeline still shows the version before "changed again"
    assert len(boxes) == 2 and boxes[1].windowTitle() == "Changed on another desktop"
    assert any(t.id == event.id for t in records.patient_record(other, patient.id).treatments)
    _reload(boxes[1])
    row = next(r for r in timeline.row_texts() if "changed again" in r[3])
    assert row and timeline.selected() == ("treatment", event.id)


def test_stale_visit_edit_is_refused(open_demo, edit_entry, boxes):
    window, patient, other = open_demo
    timeline = window.workspace.timeline
    dialog, visit = edit_entry(window, "visit", 1)
    assert isinstance(dialog, VisitDialog)
    dialog.notes.setPlainText("mine")
    records.update_visit(other, visit.id, visit.visited_at, "theirs",
                         expected_version=visit.version)
    _save(dialog)
    assert len(boxes) == 1 and "was changed by alice (desk 2)" in boxes[0].text()
    assert records.patient_record(other, patient.id).visits[1].notes == "theirs"
    _reload(boxes[0])
    assert dialog.notes.toPlainText() == "theirs"
    assert "Notes: “mine”" in dialog.notice.text()
    assert any(r[5] == "theirs" for r in timeline.row_texts())  # the view behind it too


def test_an_entry_deleted_elsewhere_cannot_be_reloaded_into_the_form(open_demo, edit_entry,
                                                                      boxes):
    window, _patient, other = open_demo
    dialog, event = edit_entry(window, "treatment", 0)
    records.update_treatment(other, event.id, records.TreatmentFields(
        event.date, event.type_code, dose="x"), expected_version=event.version)
    _save(dialog)
    records.delete_treatment(other, event.id)
    _reload(boxes[0])
    assert dialog.error.isVisible() and "deleted on another desktop" in dialog.error.text()
    assert dialog.isVisible()


def test_a_refusal_that_is_not_a_conflict_stays_in_the_form(open_demo, boxes):
    window, patient, other = open_demo
    records.add_patient(other, "TAKEN-1", "Someone Else")
    window.edit_patient()
    dialog = window.dialog
    dialog.mrn.setText("TAKEN-1")
    _save(dialog)
    assert boxes == []
    assert dialog.error.isVisible() and "TAKEN-1" in dialog.error.text()
    assert records.patient_by_mrn(other, patient.mrn).name == patient.name
    assert dialog.isVisible()


def test_stale_visit_and_patient_deletes_are_refused(open_demo, boxes, monkeypatch):
    """The user confirmed a delete of what the screen showed; a record changed since stays."""
    window, patient, other = open_demo
    timeline = window.workspace.timeline
    visit = timeline.record.visits[1]
    records.update_visit(other, visit.id, visit.visited_at, "theirs",
                         expected_version=visit.version)
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    timeline.select("visit", visit.id)
    timeline.delete_selected()
    assert len(boxes) == 1 and "was changed by alice (desk 2)" in boxes[0].text()
    assert any(v.id == visit.id for v in records.patient_record(other, patient.id).visits)
    _reload(boxes[0])
    assert any(r[5] == "theirs" for r in timeline.row_texts())

    records.update_patient(other, patient.id, mrn=patient.mrn, name="Renamed Elsewhere",
                           date_of_birth=patient.date_of_birth, sex=patient.sex,
                           notes=patient.notes, expected_version=patient.version)
    window.delete_patient()  # the window still shows the name before the rename
    assert len(boxes) == 2 and "was changed by alice (desk 2)" in boxes[1].text()
    assert records.patient_by_mrn(other, patient.mrn).name == "Renamed Elsewhere"
    _reload(boxes[1])
    assert window.workspace.patient.name == "Renamed Elsewhere"

"""The timeline page: add, edit and delete visits and treatment events through the dialogs."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from PySide6.QtCore import QDate, QDateTime, Qt, QTime

from hairtrack.core.services import demo, records, trash
from hairtrack.ui import messages
from hairtrack.ui.record_dialogs import TreatmentDialog, VisitDialog


@pytest.fixture
def timeline(qtbot, demo_library, make_window):
    window = make_window(demo_library)
    patient = records.patient_by_mrn(demo_library, demo.DEMO_MRN)
    window.open_patient(patient, "timeline")
    return window.workspace.timeline, demo_library, patient.id


def _save(dialog) -> None:
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()


def test_lists_visits_and_treatments_in_date_order(timeline):
    page, library, patient_id = timeline
    record = records.patient_record(library, patient_id)
    assert page.item_count() == len(record.visits) + len(record.treatments) == 14
    kinds = [page.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)[0]
             for i in range(page.item_count())]
    assert kinds.count("visit") == 4 and kinds.count("treatment") == 10
    rows = page.row_texts()
    assert rows[0][1] == "Start" and rows[0][2] == "Visit"
    assert rows[-1][1] == "+12 mo"
    injection = next(r for r in rows if r[2] == "Exosome injection")
    assert "lot EX-24017" in injection[3] and injection[4] == "Dr. M. Keller"
    assert page.summary.text() == "4 visits  ·  10 treatments  ·  16 photos"


def test_add_edit_delete_treatment(qtbot, timeline, monkeypatch):
    page, library, patient_id = timeline
    qtbot.mouseClick(page.add_treatment_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, TreatmentDialog)
    dialog.day.setDate(QDate(2026, 1, 20))
    dialog.type.setEditText("Scalp micropigmentation")  # a type the clinic adds
    qtbot.keyClicks(dialog.product, "Pigment A")
    qtbot.keyClicks(dialog.lot, "L-9")
    qtbot.keyClicks(dialog.dose, "1 session")
    qtbot.keyClicks(dialog.device, "3-point needle")
    dialog.clinician.setText("Dr. Z")
    dialog.notes.setPlainText("Hairline density")
    _save(dialog)
    added = [t for t in records.patient_record(library, patient_id).treatments
             if t.product == "Pigment A"]
    assert len(added) == 1
    event = added[0]
    assert (event.date, event.type_label, event.lot, event.dose, event.device_settings,
            event.clinician, event.notes) == (date(2026, 1, 20), "Scalp micropigmentation", "L-9",
                                              "1 session", "3-point needle", "Dr. Z",
                                              "Hairline density")
    assert page.selected() == ("treatment", event.id)  # the new entry stays selected
    assert page.item_count() == 15

    qtbot.keyClick(page.tree, Qt.Key.Key_F2)
    dialog = page.dialog
    assert isinstance(dialog, TreatmentDialog) and dialog.product.text() == "Pigment A"
    dialog.type.setCurrentIndex(dialog.type.findData("prp"))
    dialog.dose.setText("4 mL")
    _save(dialog)
    edited = next(t for t in records.patient_record(library, patient_id).treatments
                  if t.id == event.id)
    assert (edited.type_code, edited.dose) == ("prp", "4 mL")

    monkeypatch.setattr(messages, "confirm", lambda *a, **k: False)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert page.item_count() == 15  # the user said no
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    page.tree.setFocus()
    qtbot.keyClick(page.tree, Qt.Key.Key_Delete)
    assert event.id not in {t.id for t in records.patient_record(library, patient_id).treatments}
    assert page.item_count() == 14


def test_add_edit_delete_visit(qtbot, timeline, monkeypatch):
    page, library, patient_id = timeline
    page.add_visit()
    dialog = page.dialog
    assert isinstance(dialog, VisitDialog)
    dialog.when.setDateTime(QDateTime(QDate(2026, 3, 4), QTime(14, 30)))
    dialog.notes.setPlainText("Patient reports less shedding")
    _save(dialog)
    visits = records.patient_record(library, patient_id).visits
    new = next(v for v in visits if v.notes == "Patient reports less shedding")
    local = new.visited_at.astimezone()
    assert (local.date(), local.hour, local.minute) == (date(2026, 3, 4), 14, 30)
    assert new.visited_at.tzinfo is not None
    assert page.selected() == ("visit", new.id)

    page.edit_selected()
    dialog = page.dialog
    assert isinstance(dialog, VisitDialog)
    dialog.notes.setPlainText("Edited")
    _save(dialog)
    assert next(v for v in records.patient_record(library, patient_id).visits
                if v.id == new.id).notes == "Edited"

    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    page.delete_selected()
    assert new.id not in {v.id for v in records.patient_record(library, patient_id).visits}


def test_visit_with_photos_goes_to_the_trash_after_asking(qtbot, timeline, monkeypatch):
    page, library, patient_id = timeline
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm",
                        lambda parent, title, text: asked.append(text) or True)
    visit = records.patient_record(library, patient_id).visits[0]
    assert page.select("visit", visit.id)
    page.delete_selected()
    assert asked and "its 4 photos to the trash" in asked[0]
    assert visit.id not in {v.id for v in records.patient_record(library, patient_id).visits}
    (entry,) = trash.list_trash(library)
    assert (entry.kind, entry.id, entry.photo_count) == (trash.Kind.VISIT, visit.id, 4)


def test_visit_times_are_timezone_aware(qtbot, timeline):
    page, _library, _patient_id = timeline
    page.add_visit()
    dialog = page.dialog
    fields = dialog.fields()
    assert fields.visited_at.tzinfo is not None
    assert abs(fields.visited_at - datetime.now(timezone.utc)).total_seconds() < 120
    dialog.reject()

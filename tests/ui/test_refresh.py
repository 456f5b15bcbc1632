"""Views follow what another desktop changes; forms being filled in are left alone.

A second `Library` on the same folder plays the other desktop (`open_demo`,
tests/ui/conftest.py). The window's runner is synchronous, so
`watcher.poll()` reads and applies at once.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from PySide6.QtCore import QDate, QPointF

from hairtrack.core.domain import View
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer, records, trash
from hairtrack.ui.patient_dialog import PatientDialog
from hairtrack.ui.record_dialogs import VisitDialog


def poll(window) -> None:
    assert window.refresher.watcher.poll()


def test_patient_list_follows_other_desktop_keeping_selection_and_scroll(
        library, make_window, other_desktop):
    for n in range(60):
        records.add_patient(library, f"L-{n:02}", f"Patient {n:02}")
    window = make_window(library)
    page = window.patients
    page.select(next(p.id for p in page.visible_patients() if p.mrn == "L-02"))
    # ... and scrolled out of sight: selecting it again must not scroll the list back
    bar = page.table.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    top = bar.value()
    assert top > 0
    other = other_desktop(library)
    records.add_patient(other, "L-99", "Patient 99, new")
    edited = records.patient_by_mrn(other, "L-31")
    records.update_patient(other, edited.id, mrn="L-31", name="Patient 31, renamed",
                           date_of_birth=None, sex=edited.sex, notes="")
    poll(window)
    names = [p.name for p in page.visible_patients()]
    assert "Patient 99, new" in names and "Patient 31, renamed" in names
    assert page.count.text() == "61 patients"
    assert page.selected().mrn == "L-02"
    assert bar.value() == top
    assert window.status_label.text() == "Updated: changes by alice (desk 2)"


def test_open_patient_pages_show_the_other_desktops_change(open_demo):
    window, patient, other = open_demo
    timeline = window.workspace.timeline
    before = timeline.item_count()
    records.add_treatment(other, patient.id, records.TreatmentFields(
        date(2025, 2, 3), "prp", product="Elsewhere PRP"))
    visit = records.patient_record(other, patient.id).visits[0]
    records.update_visit(other, visit.id, visit.visited_at, "noted on desk 2",
                         expected_version=visit.version)
    records.update_patient(other, patient.id, mrn=patient.mrn, name="Renamed, Elsewhere",
                           date_of_birth=patient.date_of_birth, sex=patient.sex,
                           notes=patient.notes)
    poll(window)
    assert timeline.item_count() == before + 1
    rows = timeline.row_texts()
    assert any("Elsewhere PRP" in row[3] for row in rows)
    assert any(row[5] == "noted on desk 2" for row in rows)
    assert window.workspace.name.text() == "Renamed, Elsewhere"
    assert window.workspace.patient.version == patient.version + 1
    assert "alice (desk 2)" in window.status_label.text()


def test_own_changes_do_not_count_as_changes_by_others(open_demo):
    window, patient, _other = open_demo
    library = window.context.library
    records.add_visit(library, patient.id, datetime(2025, 3, 1, 9, tzinfo=timezone.utc))
    window.show_message("Visit saved")
    before = window.refresher.watcher.marker
    poll(window)
    assert window.refresher.watcher.marker == before + 1  # seen, and known to be ours
    assert window.status_label.text() == "Visit saved"


def test_a_refresh_leaves_an_open_form_as_typed(open_demo, edit_entry):
    window, patient, other = open_demo
    visit_dialog, _visit = edit_entry(window, "visit", 0)
    assert isinstance(visit_dialog, VisitDialog)
    visit_dialog.notes.setPlainText("typing, not saved yet")
    window.edit_patient()
    patient_dialog = window.dialog
    assert isinstance(patient_dialog, PatientDialog)
    patient_dialog.name.setText("Half-typed name")
    patient_dialog.dob.setDate(QDate(1977, 7, 7))
    records.update_patient(other, patient.id, mrn=patient.mrn, name=patient.name,
                           date_of_birth=patient.date_of_birth, sex=patient.sex,
                           notes="desk 2 notes")
    records.add_treatment(other, patient.id, records.TreatmentFields(date(2025, 2, 3), "prp"))
    poll(window)
    assert window.workspace.patient.notes == "desk 2 notes"  # the view did refresh
    assert visit_dialog.isVisible() and patient_dialog.isVisible()
    assert visit_dialog.notes.toPlainText() == "typing, not saved yet"
    assert patient_dialog.name.text() == "Half-typed name"
    assert patient_dialog.dob.date() == QDate(1977, 7, 7)


def test_a_patient_deleted_elsewhere_closes_the_workspace(open_demo):
    window, patient, other = open_demo
    trash.delete_patient(other, patient.id)
    poll(window)
    assert window.workspace.patient is None
    assert window.current_page() in ("welcome", "patients")
    text = window.status_label.text()
    assert f"{patient.name} (MRN {patient.mrn}) was deleted on another desktop" in text
    assert "by alice (desk 2)" in text
    window.set_workspace_page("timeline")  # nothing to show: stays home, no error
    assert window.current_page() in ("welcome", "patients")


def test_the_timeline_keeps_its_scroll_position(qtbot, open_demo):
    window, patient, other = open_demo
    for day in range(1, 29):  # enough entries to scroll
        records.add_treatment(window.context.library, patient.id,
                              records.TreatmentFields(date(2025, 1, day), "prp"))
    window.workspace.reload()
    timeline = window.workspace.timeline
    qtbot.waitUntil(lambda: timeline.tree.verticalScrollBar().maximum() > 2)
    bar = timeline.tree.verticalScrollBar()
    timeline.tree.setCurrentItem(timeline.tree.topLevelItem(0))  # selected, then out of sight
    chosen = timeline.selected()
    bar.setValue(bar.maximum())
    top = bar.value()
    records.add_treatment(other, patient.id, records.TreatmentFields(date(2025, 2, 3), "prp"))
    poll(window)
    assert bar.value() == top
    assert timeline.selected() == chosen


def test_photos_compare_and_progress_pages_follow_an_import_elsewhere(
        open_demo, scalp_photos, wait_thumbnails):
    window, patient, other = open_demo
    workspace = window.workspace
    for name in ("compare", "progress", "photos"):  # each built and showing the patient
        window.set_workspace_page(name)
    wait_thumbnails(window)
    assert workspace.photos.grid.photo_count() == 16
    visit = records.patient_record(other, patient.id).visits[-1]
    item = importer.ImportItem(scalp_photos[0], view=View.VERTEX, visit_id=visit.id)
    (imported,) = run_task(importer.import_items(other, patient.id, [item])).imported
    poll(window)
    wait_thumbnails(window)
    assert workspace.photos.grid.photo_count() == 17
    compare = workspace.page("compare")
    assert compare.state.snapshot.photo(imported.photo.id) is not None
    progress = workspace.page("progress")
    vertex = next(s for s in progress.series.views if s.view == View.VERTEX)
    assert imported.photo.id in {pid for pid, _why in vertex.unmeasured}


@pytest.mark.parametrize("tool", ["landmarks", "region"])
def test_a_refresh_keeps_points_being_placed_in_compare(open_demo, tool):
    window, patient, other = open_demo
    record = records.patient_record(other, patient.id)
    follow = max((p for p in record.photos if p.view == View.VERTEX),
                 key=lambda p: p.captured_at)
    window.workspace.open_in_compare(follow.id)
    compare = window.workspace.page("compare")
    compare.editing.set_tool(tool)
    assert compare.editing.tool == tool
    if tool == "landmarks":
        compare.editing.landmarks.add_point(0, QPointF(100, 120))
        compare.editing.landmarks.add_point(1, QPointF(104, 118))
        placed = compare.editing.landmarks.pairs
    else:
        for point in ((80, 80), (300, 90), (200, 260)):
            compare.editing.region.add_point(QPointF(*point))
        placed = compare.editing.region.polygon
    before = placed()
    records.add_treatment(other, patient.id, records.TreatmentFields(date(2025, 2, 3), "prp"))
    poll(window)
    assert compare.editing.tool == tool and placed() == before

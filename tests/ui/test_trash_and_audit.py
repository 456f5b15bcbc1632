"""Deleting from the window, File > Trash and File > Audit log, on the small demo library."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from hairtrack.core.services import audit_log, demo, records, trash
from hairtrack.ui import messages
from hairtrack.ui.audit_dialog import AuditDialog
from hairtrack.ui.trash_dialog import TrashDialog


@pytest.fixture
def window_on_photos(qtbot, demo_library, make_window, wait_thumbnails, monkeypatch):
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    window = make_window(demo_library)
    patient = records.patient_by_mrn(demo_library, demo.DEMO_MRN)
    window.open_patient(patient, "photos")
    wait_thumbnails(window)
    return window, demo_library, patient.id


def test_delete_photos_then_restore_them_from_the_trash(qtbot, window_on_photos):
    window, library, patient_id = window_on_photos
    grid = window.workspace.photos.grid
    first_two = [t.photo.id for t in grid.sections[0].tiles[:2]]
    grid.select_photo(first_two[0])
    grid.select_photo(first_two[1], toggle=True)
    assert window.commands["delete_photos"].isEnabled()
    window.commands["delete_photos"].trigger()
    qtbot.waitUntil(lambda: len(window.workspace.photos.grid.sections[0].tiles) == 2)
    assert not set(first_two) & {p.id for p in records.patient_record(library, patient_id).photos}

    window.commands["trash"].trigger()
    dialog = window.dialog
    assert isinstance(dialog, TrashDialog)
    assert dialog.tree.topLevelItemCount() == 2
    assert "2 items holding 2 photos" in dialog.summary.text()
    dialog.tree.selectAll()
    dialog.restore_button.click()
    assert dialog.tree.topLevelItemCount() == 0
    assert "empty" in dialog.summary.text()
    qtbot.waitUntil(lambda: len(window.workspace.photos.grid.sections[0].tiles) == 4)
    dialog.close()


def test_delete_patient_closes_it_and_purging_removes_it(qtbot, window_on_photos):
    window, library, _patient_id = window_on_photos
    window.commands["delete_patient"].trigger()
    assert window.workspace.patient is None
    assert window.current_page() in ("welcome", "patients")
    assert records.list_patients(library) == []
    assert not window.commands["page_photos"].isEnabled()

    window.open_trash()
    dialog = window.dialog
    (item_text,) = [dialog.tree.topLevelItem(0).text(1)]
    assert demo.DEMO_MRN in item_text
    dialog.empty_button.click()
    assert dialog.tree.topLevelItemCount() == 0
    assert library.store.hashes() == set()
    assert trash.list_trash(library) == []
    dialog.close()


def test_audit_log_lists_changes_and_exports_csv(qtbot, window_on_photos, tmp_path: Path):
    window, library, patient_id = window_on_photos
    window.commands["audit"].trigger()
    dialog = window.dialog
    assert isinstance(dialog, AuditDialog)
    assert dialog.only_patient.isChecked()  # opened from a patient: that patient's entries
    assert dialog.tree.topLevelItemCount() == len(audit_log.entries(library, patient_id))
    assert "intact" in dialog.status.text()
    top = dialog.tree.topLevelItem(0)
    assert top.text(3) in ("import", "create", "edit")
    target = tmp_path / "audit.csv"
    dialog.export_to(target)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(audit_log.entries(library, patient_id)) - 1  # minus the export
    assert dialog.tree.topLevelItem(0).text(3) == "export"
    dialog.only_patient.setChecked(False)
    assert dialog.tree.topLevelItemCount() == len(audit_log.entries(library))
    dialog.close()


def test_broken_chain_is_shown(qtbot, window_on_photos):
    window, library, _patient_id = window_on_photos
    connection = sqlite3.connect(library.root / "library.sqlite")
    connection.execute("DROP TRIGGER audit_log_no_delete")
    connection.execute("DELETE FROM audit_log WHERE seq = 1")
    connection.commit()
    connection.close()
    window.open_audit_log()
    assert "altered outside HairTrack" in window.dialog.status.text()
    window.dialog.close()

"""Deleting moves patients, visits and photos to a trash they can be restored from."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer, records, trash
from hairtrack.core.services.records import Conflict, NotFound
from hairtrack.core.storage import audit


@pytest.fixture
def database_url(backend_database_url: str | None) -> str | None:
    """The trash is a service: it must behave the same on SQLite and PostgreSQL."""
    return backend_database_url


@pytest.fixture
def patient_id(library: Library, scalp_photos: list[Path]) -> int:
    patient = records.add_patient(library, "T-1", "Tess Trash")
    # two visits: photos 0-1 on one day, 2-3 on another
    run_task(importer.import_paths(library, patient.id, scalp_photos[:2], view=View.VERTEX,
                                   visit_date=date(2025, 1, 5)))
    run_task(importer.import_paths(library, patient.id, scalp_photos[2:4], view=View.VERTEX,
                                   visit_date=date(2025, 4, 5)))
    return patient.id


def test_deleted_photo_disappears_everywhere_and_comes_back(library: Library,
                                                             patient_id: int) -> None:
    before = records.patient_record(library, patient_id)
    baseline = next(p for p in before.photos if p.is_baseline)
    trash.delete_photo(library, baseline.id)
    after = records.patient_record(library, patient_id)
    assert baseline.id not in {p.id for p in after.photos}
    # the earliest remaining photo takes over as baseline; visit counts follow
    assert sum(p.is_baseline for p in after.photos) == 1
    assert sorted(v.photo_count for v in after.visits) == [1, 2]
    with pytest.raises(NotFound):
        records.set_baseline(library, baseline.id)
    (entry,) = trash.list_trash(library)
    assert (entry.kind, entry.id, entry.patient_id, entry.photo_count) == (
        trash.Kind.PHOTO, baseline.id, patient_id, 1)
    assert baseline.original_name in entry.label and entry.deleted_by == library.actor
    trash.restore(library, trash.Kind.PHOTO, baseline.id)
    assert records.patient_record(library, patient_id) == before
    assert trash.list_trash(library) == []


def test_deleted_patient_keeps_its_mrn_and_is_restored_whole(library: Library,
                                                              patient_id: int) -> None:
    before = records.patient_record(library, patient_id)
    trash.delete_patient(library, patient_id)
    assert records.list_patients(library) == []
    with pytest.raises(NotFound):
        records.patient_record(library, patient_id)
    with pytest.raises(Conflict, match="in the trash"):
        records.add_patient(library, "T-1", "Someone Else")
    with pytest.raises(Conflict, match="already in the trash"):
        trash.delete_patient(library, patient_id)
    trash.restore(library, trash.Kind.PATIENT, patient_id)
    after = records.patient_record(library, patient_id)
    assert after.patient.updated_at > before.patient.updated_at  # deleting is a change
    assert after.patient.version == before.patient.version + 2  # ... and so is restoring
    assert replace(after, patient=replace(after.patient, updated_at=before.patient.updated_at,
                                          version=before.patient.version)) == before


def test_restoring_a_photo_restores_the_visit_and_patient_it_needs(library: Library,
                                                                     patient_id: int) -> None:
    photo = records.patient_record(library, patient_id).photos[-1]
    trash.delete_photo(library, photo.id)
    trash.delete_visit(library, photo.visit_id)
    trash.delete_patient(library, patient_id)
    assert len(trash.list_trash(library)) == 3
    trash.restore(library, trash.Kind.PHOTO, photo.id)
    record = records.patient_record(library, patient_id)
    assert photo.id in {p.id for p in record.photos}
    assert trash.list_trash(library) == []
    with library.session() as session:
        assert "with visit of" in audit.entries(session, limit=1)[0].summary


def test_reimporting_a_trashed_photo_points_to_the_trash(library: Library, patient_id: int,
                                                         scalp_photos: list[Path]) -> None:
    photo = records.patient_record(library, patient_id).photos[0]
    trash.delete_photo(library, photo.id)
    source = next(p for p in scalp_photos[:4] if p.name == photo.original_name)
    report = run_task(importer.import_paths(library, patient_id, [source]))
    (rejected,) = report.rejected
    assert "in the trash" in rejected.reason
    assert report.imported == ()


def test_purge_removes_rows_files_and_thumbnails(library: Library, patient_id: int) -> None:
    record = records.patient_record(library, patient_id)
    visit = record.visits[0]
    gone = [p for p in record.photos if p.visit_id == visit.id]
    kept = [p for p in record.photos if p.visit_id != visit.id]
    for photo in gone:
        assert library.thumbnail_path(photo.sha256, importer.THUMBNAIL_SIZE).exists()
    trash.delete_visit(library, visit.id)
    assert trash.purge(library, trash.Kind.VISIT, visit.id) == len(gone) == 2
    hashes = library.store.hashes()
    for photo in gone:
        assert photo.sha256 not in hashes
        assert not library.thumbnail_path(photo.sha256, importer.THUMBNAIL_SIZE).exists()
    assert {p.sha256 for p in kept} <= hashes
    assert trash.list_trash(library) == []
    with pytest.raises(NotFound):
        trash.restore(library, trash.Kind.VISIT, visit.id)
    assert [p.id for p in records.patient_record(library, patient_id).photos] == [
        p.id for p in kept]


def test_purging_a_patient_takes_its_trashed_and_untrashed_parts(library: Library,
                                                                  patient_id: int) -> None:
    record = records.patient_record(library, patient_id)
    trash.delete_photo(library, record.photos[0].id)
    trash.delete_patient(library, patient_id)
    assert trash.empty_trash(library) == 4
    assert library.store.hashes() == set()
    assert trash.list_trash(library) == []
    assert trash.trash_size(library) == 0


def test_restore_of_something_not_in_the_trash_is_refused(library: Library,
                                                          patient_id: int) -> None:
    with pytest.raises(NotFound, match="not in the trash"):
        trash.restore(library, trash.Kind.PATIENT, patient_id)
    with pytest.raises(NotFound, match="not in the trash"):
        trash.purge(library, trash.Kind.PATIENT, patient_id)
    with pytest.raises(NotFound):
        trash.delete_photo(library, 9999)

"""Several desktops on one database and one shared photo store.

Each "desktop" is its own Library (own engine and connections) on the same
database and folder, driven from its own thread; on PostgreSQL they really run
at once, on SQLite they queue on the write lock. Nothing may be duplicated,
lost or silently overwritten.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import analysis, demo, importer, records, trash
from hairtrack.core.services.importer import Duplicate, Imported, ImportItem
from hairtrack.core.storage import audit
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.models import MeasurementRow, PatientRow, PhotoRow, VisitRow

UTC = timezone.utc
T = TypeVar("T")


def another_desktop(library: Library, actor: str) -> Library:
    """The same library (database and shared folder) opened by a second program."""
    url = library.engine.url
    other = Library.open(library.root, None if url.get_backend_name() == "sqlite"
                         else url.render_as_string(hide_password=False))
    other.actor = actor
    return other


@pytest.fixture
def desktops(library: Library) -> Iterator[list[Library]]:
    library.actor = "desk-0"
    others = [another_desktop(library, f"desk-{n}") for n in (1, 2, 3)]
    yield [library, *others]
    for other in others:
        other.close()


def at_once(work: list[Callable[[], T]]) -> list[T | BaseException]:
    """Run each callable in its own thread, released together; results or exceptions."""
    barrier = threading.Barrier(len(work))
    results: list[T | BaseException] = [RuntimeError("did not run")] * len(work)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work[index]()
        except BaseException as exc:  # collected and asserted on by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def assert_store_matches_rows(library: Library) -> None:
    with library.session() as session:
        rows = list(session.scalars(select(PhotoRow.sha256)))
        assert audit.verify(session) == []
    assert len(rows) == len(set(rows))
    assert library.store.hashes() == set(rows)
    assert not list(library.store.root.glob(".incoming-*"))


# ---- optimistic versions -------------------------------------------------------------------

def test_an_edit_on_a_stale_copy_is_refused_and_names_who_changed_it(
        desktops: list[Library]) -> None:
    mine, theirs = desktops[0], desktops[1]
    opened = records.add_patient(mine, "VER-1", "Vera Version")
    records.update_patient(theirs, opened.id, mrn="VER-1", name="Vera Version",
                           date_of_birth=date(1980, 1, 2), sex=opened.sex, notes="from desk 1",
                           expected_version=opened.version)
    with pytest.raises(records.ChangedElsewhere, match="desk-1 at"):
        records.update_patient(mine, opened.id, mrn="VER-1", name="Vera V.",
                               date_of_birth=None, sex=opened.sex, notes="mine",
                               expected_version=opened.version)
    kept = records.patient_by_mrn(mine, "VER-1")
    assert (kept.name, kept.notes, kept.version) == ("Vera Version", "from desk 1", 2)
    reloaded = records.update_patient(mine, opened.id, mrn="VER-1", name="Vera V.",
                                      date_of_birth=kept.date_of_birth, sex=kept.sex,
                                      notes="mine, after reloading",
                                      expected_version=kept.version)
    assert reloaded.version == 3


def test_stale_treatment_and_visit_edits_are_refused(desktops: list[Library]) -> None:
    mine, theirs = desktops[0], desktops[1]
    patient = records.add_patient(mine, "VER-2", "Tom Treat")
    event = records.add_treatment(mine, patient.id, records.TreatmentFields(date(2024, 3, 1),
                                                                            "prp"))
    visit = records.add_visit(mine, patient.id, datetime(2024, 3, 1, 10, tzinfo=UTC))
    records.update_treatment(theirs, event.id, records.TreatmentFields(
        date(2024, 3, 1), "prp", dose="4 ml"), expected_version=event.version)
    records.update_visit(theirs, visit.id, visit.visited_at, "theirs",
                         expected_version=visit.version)
    with pytest.raises(records.ChangedElsewhere, match="treatment was changed by desk-1"):
        records.update_treatment(mine, event.id, records.TreatmentFields(
            date(2024, 3, 2), "prp"), expected_version=event.version)
    with pytest.raises(records.ChangedElsewhere, match="treatment was changed by desk-1"):
        records.delete_treatment(mine, event.id, expected_version=event.version)
    with pytest.raises(records.ChangedElsewhere, match=r"visit of .* was changed by desk-1"):
        records.update_visit(mine, visit.id, visit.visited_at, "mine",
                             expected_version=visit.version)
    record = records.patient_record(mine, patient.id)
    assert [t.dose for t in record.treatments] == ["4 ml"]
    assert [v.notes for v in record.visits] == ["theirs"]


def test_stale_patient_and_visit_deletes_are_refused(desktops: list[Library]) -> None:
    """A delete decides on what the user saw: not on a record changed since."""
    mine, theirs = desktops[0], desktops[1]
    patient = records.add_patient(mine, "VER-D", "Dora Delete")
    visit = records.add_visit(mine, patient.id, datetime(2024, 4, 1, 10, tzinfo=UTC))
    records.update_visit(theirs, visit.id, visit.visited_at, "theirs",
                         expected_version=visit.version)
    changed = records.update_patient(theirs, patient.id, mrn="VER-D", name="Dora D.",
                                     date_of_birth=None, sex=patient.sex, notes="",
                                     expected_version=patient.version)
    with pytest.raises(records.ChangedElsewhere, match=r"visit of .* was changed by desk-1"):
        records.delete_visit(mine, visit.id, expected_version=visit.version)
    with pytest.raises(records.ChangedElsewhere, match=r"Dora .* was changed by desk-1"):
        trash.delete_patient(mine, patient.id, expected_version=patient.version)
    assert [v.notes for v in records.patient_record(mine, patient.id).visits] == ["theirs"]
    trash.delete_patient(mine, patient.id, expected_version=changed.version)  # after a reload
    assert [e.id for e in trash.list_trash(mine)] == [patient.id]


def test_a_write_racing_another_desktop_is_reported_not_lost(desktops: list[Library]) -> None:
    """The version check inside the UPDATE itself: both read version 1, one wins."""
    mine, theirs = desktops[0], desktops[1]
    patient = records.add_patient(mine, "VER-3", "Rae Race")
    with (pytest.raises(records.ChangedElsewhere, match="someone else at the same moment"),
          mine.session() as session):
        row = session.get(PatientRow, patient.id)
        assert row is not None and row.version == 1
        records.update_patient(theirs, patient.id, mrn="VER-3", name="Rae Race",
                               date_of_birth=None, sex=patient.sex, notes="theirs")
        row.notes = "mine"
    assert records.patient_by_mrn(mine, "VER-3").notes == "theirs"


# ---- uniqueness under concurrent writers ---------------------------------------------------

def test_desktops_importing_the_same_files_store_each_once(desktops: list[Library],
                                                           scalp_photos: list[Path]) -> None:
    patient = records.add_patient(desktops[0], "IMP-1", "Ivy Import")
    files = scalp_photos[:6]
    reports = at_once([lambda lib=lib: run_task(importer.import_paths(lib, patient.id, files))
                       for lib in desktops])
    imported: list[Imported] = []
    duplicates: list[Duplicate] = []
    for report in reports:
        assert not isinstance(report, BaseException), report
        assert report.rejected == ()
        imported += report.imported
        duplicates += report.duplicates
    assert sorted(i.path for i in imported) == sorted(files)  # each file imported once...
    assert len(duplicates) == len(files) * (len(desktops) - 1)  # ...and a duplicate elsewhere
    record = records.patient_record(desktops[0], patient.id)
    assert len(record.photos) == len(files)
    days = [v.visited_at.astimezone().date() for v in record.visits]
    assert len(days) == len(set(days))  # one visit per day, not one per desktop
    assert_store_matches_rows(desktops[0])


def test_desktops_importing_one_visit_day_share_one_visit(desktops: list[Library],
                                                          scalp_photos: list[Path]) -> None:
    patient = records.add_patient(desktops[0], "IMP-2", "Val Visit")
    day = date(2024, 6, 3)
    work = [lambda lib=lib, n=n: run_task(importer.import_items(
        lib, patient.id, [ImportItem(scalp_photos[10 + n], View.VERTEX, visit_date=day)]))
        for n, lib in enumerate(desktops)]
    for report in at_once(work):
        assert not isinstance(report, BaseException), report
        assert len(report.imported) == 1
    with desktops[0].session() as session:
        visits = session.scalar(select(func.count()).select_from(VisitRow)
                                .where(VisitRow.patient_id == patient.id))
    assert visits == 1
    assert len(records.patient_record(desktops[0], patient.id).photos) == len(desktops)


def test_one_mrn_added_on_several_desktops_at_once_makes_one_patient(
        desktops: list[Library]) -> None:
    results = at_once([lambda lib=lib: records.add_patient(lib, "SAME-1", f"From {lib.actor}")
                       for lib in desktops])
    added = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(added) == 1
    assert all(isinstance(r, records.Conflict) and "already exists" in str(r) for r in refused)
    assert [p.mrn for p in records.list_patients(desktops[0])] == ["SAME-1"]


def test_analysing_one_visit_on_two_desktops_keeps_one_measurement_per_photo(
        desktops: list[Library]) -> None:
    small: dict[str, Any] = {
        "canvas_size": (900, 700), "photo_size": (800, 600), "months": (0, 3),
        "views": tuple(v for v in demo.DEMO_VIEWS if v.view is View.VERTEX)}
    patient = run_task(demo.create_demo_patient(desktops[0], **small)).patient
    results = at_once([lambda lib=lib: run_task(analysis.analyze_patient(lib, patient.id))
                       for lib in desktops[:2]])
    assert not any(isinstance(r, BaseException) for r in results), results
    with desktops[0].session() as session:
        photos = session.scalar(select(func.count()).select_from(PhotoRow))
        per_photo = session.execute(select(MeasurementRow.photo_id, func.count())
                                    .group_by(MeasurementRow.photo_id)).all()
        assert audit.verify(session) == []
    assert len(per_photo) == photos and all(count == 1 for _, count in per_photo)


# ---- the shared photo store ----------------------------------------------------------------

def test_garbage_collection_elsewhere_cannot_strand_an_import(
        desktops: list[Library], scalp_photos: list[Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An old leftover copy of the photo is collected by another desktop mid-import."""
    mine, theirs = desktops[0], desktops[1]
    patient = records.add_patient(mine, "GC-1", "Gil Garbage")
    source = scalp_photos[20]
    real_add = mine.store.add

    def then_the_other_desktop_collects(path: Path) -> Any:
        monkeypatch.setattr(mine.store, "add", real_add)  # only the first copy is special
        leftover = real_add(path)  # a crash leftover from long ago...
        os.utime(leftover.path, (0, 0))
        stored = real_add(path)
        assert not stored.created  # ...that this import finds and relies on...
        assert theirs.collect_garbage() == 1  # ...but the other desktop deletes it
        return stored

    monkeypatch.setattr(mine.store, "add", then_the_other_desktop_collects)
    report = run_task(importer.import_paths(mine, patient.id, [source]))
    assert len(report.imported) == 1
    assert mine.store.path_for(report.imported[0].photo.sha256).read_bytes() == \
        source.read_bytes()
    assert_store_matches_rows(mine)


def test_the_desktop_that_loses_an_import_race_keeps_the_winners_file(
        desktops: list[Library], scalp_photos: list[Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """My copy lands in the store first, but the other desktop commits its row first."""
    mine, theirs = desktops[0], desktops[1]
    patient = records.add_patient(mine, "GC-2", "Flo First")
    source = scalp_photos[21]
    real_add = mine.store.add

    def the_other_desktop_commits_first(path: Path) -> Any:
        stored = real_add(path)
        assert stored.created
        report = run_task(importer.import_paths(theirs, patient.id, [path]))
        assert len(report.imported) == 1  # it found my copy in the store and used it
        return stored

    monkeypatch.setattr(mine.store, "add", the_other_desktop_commits_first)
    report = run_task(importer.import_paths(mine, patient.id, [source]))
    assert len(report.duplicates) == 1
    assert mine.store.path_for(report.duplicates[0].sha256).read_bytes() == source.read_bytes()
    assert_store_matches_rows(mine)


# ---- transient server failures -------------------------------------------------------------

class _ServerSaid(Exception):
    def __init__(self, sqlstate: str, text: str) -> None:
        super().__init__(text)
        self.sqlstate = sqlstate


def test_an_import_the_server_aborted_as_a_deadlock_victim_is_retried(
        library: Library, scalp_photos: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    patient = records.add_patient(library, "RETRY-1", "Rita Retry")
    real = repo.visit_on_date
    calls: list[int] = []

    def aborted_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT ...", {}, _ServerSaid("40P01", "deadlock detected"))
        return real(*args, **kwargs)

    monkeypatch.setattr(repo, "visit_on_date", aborted_once)
    report = run_task(importer.import_paths(library, patient.id, scalp_photos[30:31]))
    assert len(report.imported) == 1 and len(calls) == 2
    with library.session() as session:
        assert [e.action for e in audit.entries(session)] == ["import", "create"]
    assert_store_matches_rows(library)


def test_a_failure_that_is_not_transient_is_not_retried(
        library: Library, scalp_photos: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    patient = records.add_patient(library, "RETRY-2", "Nora Noretry")
    calls: list[int] = []

    def always_broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise OperationalError("INSERT ...", {}, _ServerSaid("XX000", "internal error"))

    monkeypatch.setattr(repo, "visit_on_date", always_broken)
    report = run_task(importer.import_paths(library, patient.id, scalp_photos[31:32]))
    assert len(report.rejected) == 1 and len(calls) == 1
    assert "internal error" in report.rejected[0].reason
    assert_store_matches_rows(library)

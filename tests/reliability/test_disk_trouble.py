"""A full disk, a read-only database and a busy library fail clearly and change nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from hairtrack.cli.main import main
from hairtrack.core.library import DB_FILENAME, Library, LibraryBusy, LibraryError
from hairtrack.core.progress import run_task
from hairtrack.core.services import audit_log, doctor, importer, records, trash
from hairtrack.core.storage import database


def snapshot(library: Library) -> tuple[Any, ...]:
    """Everything a user could lose: rows (via the audit chain's length), records, files."""
    patients = records.list_patients(library)
    return (tuple(records.patient_record(library, p.id) for p in patients),
            len(audit_log.entries(library)), frozenset(library.store.hashes()))


@pytest.fixture
def stocked(library: Library, scalp_photos: list[Path]) -> Library:
    patient = records.add_patient(library, "F-1", "Fay")
    run_task(importer.import_paths(library, patient.id, scalp_photos[:2]))
    return library


def database_is_full(library: Library) -> Callable[..., None]:
    """SQLite's own page limit: the real SQLITE_FULL path, without filling a disk."""
    library.engine.dispose()

    def cap(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(library.engine, "connect", cap)
    return cap


def test_full_disk_while_copying_rejects_each_file_and_changes_nothing(
        stocked: Library, scalp_photos: list[Path], request: pytest.FixtureRequest) -> None:
    before = snapshot(stocked)
    request.getfixturevalue("store_disk_full")  # only now: `stocked` needed a working disk
    (patient,) = records.list_patients(stocked)
    report = run_task(importer.import_paths(stocked, patient.id, scalp_photos[2:5]))
    assert report.imported == () and len(report.rejected) == 3
    for rejected in report.rejected:
        assert "is full" in rejected.reason and rejected.path.name in str(rejected.path)
    assert snapshot(stocked) == before
    assert run_task(doctor.examine(stocked)).healthy


def test_full_database_refuses_changes_with_a_clear_message(stocked: Library) -> None:
    cap = database_is_full(stocked)
    (patient,) = records.list_patients(stocked)
    added = 0
    with pytest.raises(LibraryError, match="is full; nothing was changed"):
        for n in range(200):  # the first few may still fit in the last page's free space
            records.add_treatment(stocked, patient.id, records.TreatmentFields(
                date(2025, 1, 1), "prp", notes="x" * 2000 + str(n)))
            added += 1
    stocked.engine.dispose()
    event.remove(stocked.engine, "connect", cap)
    # every treatment that was reported as saved is there, with its audit entry; the one
    # that failed left neither a row nor an entry behind
    treatments = records.patient_record(stocked, patient.id).treatments
    assert len(treatments) == added
    assert sum(e.entity == "treatment" for e in audit_log.entries(stocked)) == added
    assert audit_log.verify(stocked) == []
    assert run_task(doctor.examine(stocked)).healthy


def test_read_only_database_refuses_changes(stocked: Library) -> None:
    before = snapshot(stocked)
    url = f"sqlite:///file:{stocked.root / DB_FILENAME}?mode=ro&uri=true"
    read_only = Library.open(stocked.root, database_url=url)
    try:
        (patient,) = records.list_patients(read_only)
        with pytest.raises(LibraryError, match="read-only; nothing was changed"):
            trash.delete_patient(read_only, patient.id)
    finally:
        read_only.close()
    assert snapshot(stocked) == before


def test_a_library_held_busy_too_long_is_refused_clearly(
        stocked: Library, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    stocked.engine.dispose()
    before = snapshot(stocked)
    holder = sqlite3.connect(stocked.root / DB_FILENAME, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program is in the middle of a write
        with pytest.raises(LibraryBusy, match="another HairTrack window, desktop or command"):
            records.add_patient(stocked, "F-2", "Fred")
        assert main(["--library", str(stocked.root), "patient", "add", "--mrn", "F-2",
                     "--name", "Fred"]) == 1
        err = capsys.readouterr().err
        assert "is busy" in err and "Traceback" not in err and "locked" not in err
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(stocked) == before
    records.add_patient(stocked, "F-2", "Fred")  # once the other writer is done, it works

"""The library database: schema at head, SQLite set up safely, UTC times, clear failures."""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from hairtrack.core import library as library_module
from hairtrack.core.domain import BUILTIN_TREATMENT_TYPES
from hairtrack.core.library import (
    DATABASE_ENV,
    DB_FILENAME,
    LIBRARY_ENV,
    Library,
    LibraryError,
    resolve_library_path,
)
from hairtrack.core.services import importer, records
from hairtrack.core.storage import database
from hairtrack.core.storage.models import PatientRow, PhotoRow, VisitRow
from hairtrack.core.storage.repositories import Conflict

SCALP = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"


def add_photo_row(lib: Library, visit_id: int, sha: str = "cd" * 32) -> int:
    with lib.session() as session:
        row = PhotoRow(visit_id=visit_id, view="vertex",
                       captured_at=datetime(2024, 5, 1, 9, tzinfo=timezone.utc),
                       capture_source="exif", sha256=sha, size_bytes=1, width=640, height=640,
                       media_type="image/jpeg", original_name="x.jpg")
        session.add(row)
        session.flush()
        return row.id


def patient_with_visit(lib: Library) -> tuple[int, int]:
    patient = records.add_patient(lib, "DB-1", "Dee Bee")
    visit = records.add_visit(lib, patient.id, datetime(2024, 5, 1, 9, tzinfo=timezone.utc))
    return patient.id, visit.id


# ---- schema and SQLite settings ----------------------------------------------------------------

SQLITE_ONLY = pytest.mark.parametrize("database_url", [None], ids=["sqlite"])


def test_new_library_layout_and_schema_at_head(library: Library) -> None:
    on_sqlite = library.engine.dialect.name == "sqlite"
    assert (library.root / DB_FILENAME).is_file() == on_sqlite
    assert database.current_revision(library.engine) == database.head_revision()
    assert not library.read_only
    tables = set(inspect(library.engine).get_table_names())
    assert {"patients", "visits", "photos", "treatment_events", "treatment_types",
            "view_settings", "measurements", "manual_alignments", "alembic_version"} <= tables
    assert not (library.root / "backups").exists()  # nothing to back up in a new library


def test_reopening_does_not_migrate_or_back_up(tmp_path: Path) -> None:
    Library.open(tmp_path / "lib").close()
    again = Library.open(tmp_path / "lib")
    again.close()
    assert not (tmp_path / "lib" / "backups").exists()


@SQLITE_ONLY
def test_sqlite_pragmas(library: Library) -> None:
    with library.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000


def test_deleting_a_patient_cascades_in_the_database(library: Library) -> None:
    patient_id, visit_id = patient_with_visit(library)
    add_photo_row(library, visit_id)
    records.add_treatment(library, patient_id, records.TreatmentFields(date(2024, 5, 1), "prp"))
    with library.engine.begin() as connection:  # plain SQL: the database enforces it, not the ORM
        connection.execute(text("DELETE FROM patients WHERE id = :id"), {"id": patient_id})
    with library.engine.connect() as connection:
        for table in ("visits", "photos", "treatment_events"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_photo_with_a_bad_visit_id_is_refused(library: Library) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        add_photo_row(library, visit_id=999)
    with library.session() as session:
        assert session.scalars(select(PhotoRow)).all() == []


def test_session_rolls_back_on_error(library: Library) -> None:
    with pytest.raises(RuntimeError), library.session() as session:
        session.add(PatientRow(mrn="RB-1", name="Rolled Back"))
        session.flush()
        raise RuntimeError("boom")
    assert records.list_patients(library) == []


def test_builtin_treatment_types_are_seeded(library: Library) -> None:
    types = records.treatment_types(library)
    assert len(types) == 11
    assert {(t.code, t.label) for t in types} == {(t.code, t.label)
                                                  for t in BUILTIN_TREATMENT_TYPES}
    assert all(t.builtin for t in types)


# ---- times ----------------------------------------------------------------------------------

def test_aware_times_round_trip_as_utc(library: Library) -> None:
    patient = records.add_patient(library, "TZ-1", "Tee Zed")
    plus5 = timezone(timedelta(hours=5))
    moment = datetime(2024, 7, 1, 14, 30, 15, 123456, tzinfo=plus5)
    visit = records.add_visit(library, patient.id, moment)
    with library.session() as session:
        stored = session.get(VisitRow, visit.id)
        assert stored is not None
        assert stored.visited_at == moment
        assert stored.visited_at.utcoffset() == timedelta(0)
        assert stored.visited_at.hour == 9
        created = session.get(PatientRow, patient.id)
        assert created is not None and created.created_at.tzinfo is not None
    with library.engine.connect() as connection:  # stored as UTC text
        raw = connection.execute(text("SELECT visited_at FROM visits")).scalar()
    assert str(raw).startswith("2024-07-01 09:30:15")


def test_naive_datetime_is_rejected(library: Library) -> None:
    patient = records.add_patient(library, "TZ-2", "Naive Nellie")
    with pytest.raises(StatementError, match="naive datetime"), library.session() as session:
        session.add(VisitRow(patient_id=patient.id, visited_at=datetime(2024, 7, 1, 12)))
        session.flush()
    with pytest.raises(ValueError, match="timezone"):
        records.add_visit(library, patient.id, datetime(2024, 7, 1, 12))


# ---- backups before migrations -----------------------------------------------------------------

@SQLITE_ONLY
def test_backup_sqlite_copies_uncheckpointed_wal_data(library: Library, tmp_path: Path) -> None:
    patient_with_visit(library)
    assert (library.root / f"{DB_FILENAME}-wal").exists()  # the row may live only in the WAL
    backup = database.backup_sqlite(library.engine, tmp_path / "backups", "0001")
    assert backup.parent == tmp_path / "backups"
    assert backup.name.startswith("library-0001-") and backup.suffix == ".sqlite"
    connection = sqlite3.connect(backup)
    try:
        assert connection.execute("SELECT mrn FROM patients").fetchall() == [("DB-1",)]
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()


def test_upgrade_backs_up_first_when_behind_head(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend a newer migration exists: opening must copy the database aside first."""
    root = tmp_path / "lib"
    lib = Library.open(root)
    records.add_patient(lib, "BK-1", "Backed Up")
    lib.close()
    current = database.head_revision()
    monkeypatch.setattr(database, "head_revision", lambda: "9999")
    lib = Library.open(root)
    lib.close()
    backups = list((root / "backups").glob(f"library-{current}-*.sqlite"))
    assert len(backups) == 1
    connection = sqlite3.connect(backups[0])
    try:
        assert connection.execute("SELECT mrn FROM patients").fetchall() == [("BK-1",)]
    finally:
        connection.close()


def test_library_from_a_newer_hairtrack_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    Library.open(root).close()
    connection = sqlite3.connect(root / DB_FILENAME)
    connection.execute("UPDATE alembic_version SET version_num = '0999'")
    connection.commit()
    connection.close()
    with pytest.raises(LibraryError, match="newer HairTrack"):
        Library.open(root)
    assert not (root / "backups").exists()


# ---- opening failures --------------------------------------------------------------------------

def test_library_path_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "library"
    path.write_text("oops")
    with pytest.raises(LibraryError, match="is a file"):
        Library.open(path)


def test_missing_library_without_create(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no library"):
        Library.open(tmp_path / "absent", create=False)
    assert not (tmp_path / "absent").exists()


def test_library_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LibraryError, match="cannot create the library folder"):
        Library.open(blocker / "library")


def test_corrupt_database_file(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    (root / DB_FILENAME).write_bytes(b"this is not an SQLite database at all " * 200)
    with pytest.raises(LibraryError, match="not a database"):
        Library.open(root)


# ---- read-only libraries -----------------------------------------------------------------------

def fake_read_only(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Tests run as root, for whom os.access always says writable: make it say no."""
    real_access = os.access

    def access(path: str | os.PathLike[str], mode: int, **kwargs: Any) -> bool:
        if Path(path) == root and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)  # as hairtrack.core.library sees it


def test_read_only_library_refuses_imports(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "lib"
    lib = Library.open(root)
    patient = records.add_patient(lib, "RO-1", "Read Only")
    lib.store.add(sorted(SCALP.glob("*.jpg"))[0])  # an unreferenced file
    lib.close()
    fake_read_only(monkeypatch, root)
    lib = Library.open(root)
    try:
        assert lib.read_only
        assert [p.mrn for p in records.list_patients(lib)] == ["RO-1"]  # reading still works
        assert lib.collect_garbage(grace_seconds=0) == 0  # never deletes in a read-only library
        assert len(lib.store.hashes()) == 1
        task = importer.import_paths(lib, patient.id, sorted(SCALP.glob("*.jpg"))[:2])
        with pytest.raises(Conflict, match="read-only"):
            next(task)
    finally:
        lib.close()


def test_read_only_library_that_needs_an_upgrade(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "lib"
    Library.open(root).close()
    fake_read_only(monkeypatch, root)
    monkeypatch.setattr(database, "head_revision", lambda: "9999")
    with pytest.raises(LibraryError, match="read-only and needs an upgrade"):
        Library.open(root)
    assert not (root / "backups").exists()


# ---- where the library and database are --------------------------------------------------------

def test_library_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LIBRARY_ENV, str(tmp_path / "from-env"))
    assert resolve_library_path(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_library_path(None) == tmp_path / "from-env"
    monkeypatch.delenv(LIBRARY_ENV)
    assert resolve_library_path(None) == library_module.default_library_path()


def test_database_url_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "server" / "shared.sqlite"
    elsewhere.parent.mkdir()
    lib = Library.open(tmp_path / "lib", f"sqlite:///{elsewhere}")
    records.add_patient(lib, "URL-1", "Over Ride")
    lib.close()
    assert elsewhere.is_file()
    assert not (tmp_path / "lib" / DB_FILENAME).exists()

    monkeypatch.setenv(DATABASE_ENV, f"sqlite:///{elsewhere}")
    lib = Library.open(tmp_path / "other-lib")
    try:
        assert [p.mrn for p in records.list_patients(lib)] == ["URL-1"]
        assert lib.store.root == tmp_path / "other-lib" / "photos"
    finally:
        lib.close()


def test_a_server_is_described_without_its_password() -> None:
    from sqlalchemy import make_url

    from hairtrack.core.library import describe_url
    url = make_url("postgresql+psycopg://clinic:s3cret@db.clinic.lan:5433/hairtrack")
    assert describe_url(url) == "postgresql server db.clinic.lan:5433/hairtrack"

"""Migrations: the models match the migrated schema, and every saved past library still opens.

`tests/data/libraries/vNNNN/library.sqlite` holds a library written at each past
schema revision (see the README there). Each one is copied, opened (migrating it to
head) and read back, so a migration that loses or mangles data fails here.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from hairtrack.core.domain import CaptureSource, Sex, View
from hairtrack.core.library import DB_FILENAME, Library
from hairtrack.core.services import records, trash
from hairtrack.core.storage import audit, database
from hairtrack.core.storage.models import Base

SAVED = Path(__file__).resolve().parents[2] / "data" / "libraries"
SAVED_VERSIONS = sorted(p.name for p in SAVED.iterdir() if (p / DB_FILENAME).is_file())


def open_copy(version: str, tmp_path: Path) -> Library:
    root = tmp_path / version
    root.mkdir()
    shutil.copy(SAVED / version / DB_FILENAME, root / DB_FILENAME)
    return Library.open(root)


def test_every_schema_revision_has_a_saved_library() -> None:
    """Adding a migration means saving a library at the revision before it."""
    script = ScriptDirectory.from_config(database._alembic_config())
    revisions = {f"v{rev.revision}" for rev in script.walk_revisions()}
    assert revisions == set(SAVED_VERSIONS)


@pytest.mark.parametrize("version", SAVED_VERSIONS)
def test_saved_library_opens_at_head_and_stays_consistent(version: str, tmp_path: Path) -> None:
    original = (SAVED / version / DB_FILENAME).read_bytes()
    lib = open_copy(version, tmp_path)
    try:
        assert database.current_revision(lib.engine) == database.head_revision()
        with lib.engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        patients = records.list_patients(lib)
        assert [p.mrn for p in patients] == [f"{version.upper()}-PAT"]
    finally:
        lib.close()
    assert (SAVED / version / DB_FILENAME).read_bytes() == original  # the fixture is untouched


def test_v0001_data_reads_back(tmp_path: Path) -> None:
    lib = open_copy("v0001", tmp_path)
    try:
        patient = records.patient_by_mrn(lib, "V0001-PAT")
        assert patient.name == "Schema One Patient"
        assert patient.date_of_birth == date(1980, 2, 3)
        assert patient.sex is Sex.MALE
        assert patient.notes == "saved at schema 0001"
        assert patient.created_at.tzinfo is not None

        record = records.patient_record(lib, patient.id)
        (treatment,) = record.treatments
        assert (treatment.date, treatment.type_code, treatment.type_label) == (
            date(2024, 1, 10), "prp", "PRP")
        assert (treatment.product, treatment.lot, treatment.dose, treatment.clinician) == (
            "Kit A", "L-42", "4 ml", "Dr Who")

        (visit,) = record.visits
        assert visit.visited_at == datetime(2024, 1, 10, 10, 0, tzinfo=timezone.utc)
        assert (visit.notes, visit.photo_count) == ("first visit", 1)

        (photo,) = record.photos
        assert photo.visit_id == visit.id
        assert photo.view is View.VERTEX
        assert photo.captured_at == datetime(2024, 1, 10, 10, 5, tzinfo=timezone.utc)
        assert photo.capture_source is CaptureSource.EXIF
        assert photo.sha256 == "ab" * 32
        assert (photo.size_bytes, photo.width, photo.height) == (12345, 640, 480)
        assert (photo.media_type, photo.original_name) == ("image/jpeg", "IMG_0001.JPG")
        assert photo.is_baseline

        assert len(records.treatment_types(lib)) == 11
        assert trash.list_trash(lib) == []
        # The migrated library accepts new work, and its audit log starts a fresh chain.
        records.add_treatment(lib, patient.id, records.TreatmentFields(date(2024, 4, 1),
                                                                       "minoxidil"))
        with lib.session() as session:
            (entry,) = audit.entries(session)
            assert (entry.seq, entry.action, entry.patient_id) == (1, "create", patient.id)
            assert audit.verify(session) == []
    finally:
        lib.close()


def test_v0002_trash_and_audit_read_back(tmp_path: Path) -> None:
    lib = open_copy("v0002", tmp_path)
    try:
        patient = records.patient_by_mrn(lib, "V0002-PAT")
        assert (patient.name, patient.date_of_birth) == ("Schema Two Patient", date(1981, 3, 4))
        record = records.patient_record(lib, patient.id)
        assert [p.original_name for p in record.photos] == ["IMG_0001.JPG"]
        assert record.photos[0].is_baseline
        (entry,) = trash.list_trash(lib)
        assert (entry.kind, entry.deleted_by, entry.patient_id) == (
            trash.Kind.PHOTO, "schema-two", patient.id)
        with lib.session() as session:
            assert audit.verify(session) == []
            assert [e.action for e in reversed(audit.entries(session))] == [
                "create", "create", "create", "edit", "delete"]
        trash.restore(lib, entry.kind, entry.id)
        record = records.patient_record(lib, patient.id)
        assert sorted(p.original_name for p in record.photos) == ["IMG_0001.JPG", "IMG_0002.JPG"]
        with lib.session() as session:
            assert audit.verify(session) == []
            assert audit.entries(session, limit=1)[0].action == "restore"
    finally:
        lib.close()


def test_v0002_rows_start_at_version_1_after_the_upgrade(tmp_path: Path) -> None:
    lib = open_copy("v0002", tmp_path)
    try:
        patient = records.patient_by_mrn(lib, "V0002-PAT")
        assert patient.version == 1
        edited = records.update_patient(lib, patient.id, mrn=patient.mrn, name="Renamed",
                                        date_of_birth=patient.date_of_birth, sex=patient.sex,
                                        notes=patient.notes, expected_version=1)
        assert edited.version == 2
    finally:
        lib.close()


def test_v0003_versions_read_back(tmp_path: Path) -> None:
    lib = open_copy("v0003", tmp_path)
    try:
        patient = records.patient_by_mrn(lib, "V0003-PAT")
        assert (patient.notes, patient.version) == ("edited once", 2)
        with pytest.raises(records.ChangedElsewhere, match="schema-three"):
            records.update_patient(lib, patient.id, mrn=patient.mrn, name="Stale",
                                   date_of_birth=None, sex=patient.sex, notes="",
                                   expected_version=1)
        record = records.patient_record(lib, patient.id)
        assert [p.original_name for p in record.photos] == ["IMG_0001.JPG"]
        assert [t.version for t in record.treatments] == [1]
        with lib.session() as session:
            assert audit.verify(session) == []
    finally:
        lib.close()


def test_saved_v0001_is_really_at_revision_0001() -> None:
    connection = sqlite3.connect(f"file:{SAVED / 'v0001' / DB_FILENAME}?mode=ro", uri=True)
    try:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0001",)]
    finally:
        connection.close()


def test_models_match_the_migrated_schema(library: Library) -> None:
    """A model change without a migration (or the reverse) shows up as a difference."""
    with library.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diffs == []


def test_migrations_downgrade_and_upgrade_again(library: Library) -> None:
    config = database._alembic_config()
    with library.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert database.current_revision(library.engine) is None
    assert set(inspect(library.engine).get_table_names()) <= {"alembic_version"}
    assert database.upgrade(library.engine) is None  # no backup dir given: none made
    assert database.current_revision(library.engine) == database.head_revision()
    assert len(records.treatment_types(library)) == 11

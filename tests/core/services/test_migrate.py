"""Moving a library's SQLite database to a PostgreSQL server, verified row by row.

The source is a real library built through the services once per module (the
demo course with photos and measurements, a drawn region, manual landmarks, a
custom treatment type, trash entries, the audit log) and copied for each test.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Connection,
    Table,
    create_engine,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.progress import Cancelled, CancelToken, run_task
from hairtrack.core.services import (
    analysis,
    demo,
    measurements,
    migrate,
    migrate_rows,
    records,
    trash,
)
from hairtrack.core.storage import audit
from hairtrack.core.storage.audit import Action
from hairtrack.core.storage.models import (
    AuditHeadRow,
    Base,
    MeasurementRow,
    PatientRow,
    VisitRow,
)

SMALL = {"canvas_size": (480, 360), "photo_size": (400, 300), "months": (0, 3, 12)}
TABLES = Base.metadata.sorted_tables


@pytest.fixture(scope="module")
def built_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library that has been used: every table holds rows, some of them in the trash."""
    root = tmp_path_factory.mktemp("migrate-source") / "library"
    lib = Library.open(root)
    try:
        patient = run_task(demo.create_demo_patient(lib, **SMALL)).patient.id
        photos = records.patient_record(lib, patient).photos
        vertex = sorted((p for p in photos if p.view is View.VERTEX), key=lambda p: p.captured_at)
        measurements.set_region(lib, patient, View.VERTEX,
                                [(40.0, 40.0), (360.0, 40.0), (360.0, 260.0), (40.0, 260.0)])
        points = [(50.0, 50.0), (350.0, 60.0), (200.0, 250.0)]
        measurements.set_manual_alignment(lib, vertex[1].id, points, points)
        run_task(analysis.analyze_patient(lib, patient))
        scalp_cooling = records.add_treatment_type(lib, "Scalp cooling")
        second = records.add_patient(lib, "MIG-2", "Mia Grant").id
        records.add_treatment(lib, second, records.TreatmentFields(
            datetime(2025, 3, 1).date(), scalp_cooling.code, notes="ünïcode ✓"))
        visit = records.add_visit(lib, second, datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc))
        trash.delete_visit(lib, visit.id)
        trash.delete_photo(lib, vertex[2].id)
        gone = records.add_patient(lib, "MIG-3", "Gone Patient").id
        trash.delete_patient(lib, gone)
        with lib.engine.begin() as connection:  # a JSON null, beside the SQL NULLs of regions
            connection.execute(update(MeasurementRow).where(MeasurementRow.id == 1)
                               .values(quality=JSON.NULL))
    finally:
        lib.close()
    return root


@pytest.fixture
def source(built_library: Path, tmp_path: Path) -> Iterator[Library]:
    root = tmp_path / "library"
    shutil.copytree(built_library, root)
    lib = Library.open(root)
    yield lib
    lib.close()


@pytest.fixture
def sqlite_target(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'target.sqlite'}"


def migrate_all(lib: Library, url: str, **kwargs: Any) -> migrate.MigrationReport:
    return run_task(migrate.migrate_to(lib, url, **kwargs))


def rows(connection: Connection, table: Table) -> list[tuple[Any, ...]]:
    """Every row (trash included), by key, in a form both backends agree on."""
    def normal(value: Any) -> Any:
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            return aware.astimezone(timezone.utc)
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        return value
    flags = [col.is_(None) for col in table.columns if isinstance(col.type, JSON)]
    query = select(*table.columns, *flags).order_by(*table.primary_key.columns)
    return [tuple(normal(v) for v in row) for row in connection.execute(query)]


def assert_same_rows(lib: Library, url: str) -> None:
    target = create_engine(url)
    try:
        with lib.engine.connect() as mine, target.connect() as theirs:
            for table in TABLES:
                ours = rows(mine, table)
                copied = rows(theirs, table)
                if table.name == "audit_log":  # the target's log also notes the migration
                    assert copied[-1][table.c.keys().index("action")] == Action.MIGRATE
                    copied = copied[:-1]
                if table.name == "audit_head":
                    continue  # moved on by that entry; the chain check covers it
                assert copied == ours, table.name
    finally:
        target.dispose()


# ---- a faithful copy --------------------------------------------------------------------------

def test_every_row_of_every_table_reaches_postgresql(source: Library, postgres_url: str) -> None:
    steps: list[str] = []
    report = run_task(migrate.migrate_to(source, postgres_url), lambda s: steps.append(s.label))
    assert_same_rows(source, postgres_url)
    with source.engine.connect() as connection:
        expected = {t.name: len(rows(connection, t)) for t in TABLES}
    assert {c.table: c.rows for c in report.tables} == expected
    assert min(expected.values()) >= 1  # the fixture really fills every table
    copied = [step.split(":")[0] for step in steps[1:1 + len(TABLES)]]
    assert copied == [f"copied {t.name}" for t in TABLES]
    assert steps[-1] == f"verified {TABLES[-1].name}"
    assert report.revision and report.audit_problems == () and report.seconds > 0
    assert "***" not in report.target and "hairtrack" in report.target


def test_the_migrated_library_shows_the_same_records(source: Library, postgres_url: str) -> None:
    migrate_all(source, postgres_url)
    moved = Library.open(source.root, postgres_url)
    try:
        assert records.list_patients(moved) == records.list_patients(source)
        assert trash.list_trash(moved) == trash.list_trash(source)
        assert len(trash.list_trash(moved)) == 3
        demo_id = records.patient_by_mrn(moved, demo.DEMO_MRN).id
        assert records.patient_record(moved, demo_id) == records.patient_record(source, demo_id)
        assert measurements.measurements(moved, demo_id) == measurements.measurements(source,
                                                                                      demo_id)
        assert measurements.region(moved, demo_id, View.VERTEX) is not None
        assert records.treatment_types(moved) == records.treatment_types(source)
        with moved.session() as session:
            assert audit.verify(session) == []
            newest = audit.entries(session, limit=1)[0]
        assert newest.action == Action.MIGRATE and newest.actor == source.actor
        assert str(source.root / "library.sqlite") in newest.summary
        assert "12 measurements" in newest.summary
    finally:
        moved.close()


def test_new_records_after_the_move_get_fresh_ids(source: Library, postgres_url: str) -> None:
    migrate_all(source, postgres_url)
    with source.engine.connect() as connection:  # Core: the trashed rows count too
        top_patient = connection.scalar(select(func.max(PatientRow.id)))
        top_visit = connection.scalar(select(func.max(VisitRow.id)))
    moved = Library.open(source.root, postgres_url)
    try:
        added = records.add_patient(moved, "NEW-1", "After Move")
        assert added.id == top_patient + 1
        visit = records.add_visit(moved, added.id, datetime(2026, 1, 5, tzinfo=timezone.utc))
        assert visit.id == top_visit + 1
        with moved.session() as session:
            assert audit.verify(session) == []
    finally:
        moved.close()


def test_sql_null_and_json_null_stay_apart(source: Library, postgres_url: str) -> None:
    migrate_all(source, postgres_url)
    queries = ("SELECT id, quality IS NULL, quality IS NOT NULL AND CAST(quality AS TEXT) = "
               "'null' FROM measurements ORDER BY id",
               "SELECT id, region IS NULL FROM view_settings ORDER BY id")
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as theirs, source.engine.connect() as mine:
            for query in queries:
                assert theirs.execute(text(query)).all() == mine.execute(text(query)).all()
            json_nulls = mine.execute(text(queries[0])).all()
            sql_nulls = mine.execute(text(queries[1])).all()
    finally:
        engine.dispose()
    assert (1, False, True) in json_nulls  # the fixture holds both kinds
    assert any(is_null for _, is_null in sql_nulls)


def test_a_sqlite_target_works_too_and_is_private(source: Library, sqlite_target: str,
                                                  tmp_path: Path) -> None:
    report = migrate_all(source, sqlite_target)
    assert_same_rows(source, sqlite_target)
    assert report.total_rows > 100
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "target.sqlite").stat().st_mode) == 0o600


def test_thousands_of_rows_are_copied_in_batches(source: Library, postgres_url: str) -> None:
    with source.engine.begin() as connection:
        now = datetime.now(timezone.utc)
        connection.execute(insert(PatientRow), [
            {"mrn": f"BULK-{i}", "name": f"Bulk {i}", "sex": "U", "notes": "",
             "created_at": now, "updated_at": now} for i in range(3000)])
    report = migrate_all(source, postgres_url, batch_size=400)
    assert {c.table: c.rows for c in report.tables}["patients"] == 3003
    assert_same_rows(source, postgres_url)


def test_a_source_chain_already_broken_is_copied_and_reported(source: Library,
                                                              sqlite_target: str) -> None:
    with source.engine.begin() as connection:
        connection.execute(update(AuditHeadRow).values(seq=AuditHeadRow.seq + 1))
    report = migrate_all(source, sqlite_target)
    assert len(report.audit_problems) == 1 and "the log ends at entry" in report.audit_problems[0]


# ---- refusals ---------------------------------------------------------------------------------

def test_refuses_a_target_that_holds_data(source: Library, postgres_url: str) -> None:
    migrate_all(source, postgres_url)
    with pytest.raises(migrate.MigrationError, match="already holds data") as caught:
        migrate_all(source, postgres_url)
    assert "patients: 3 rows" in str(caught.value)


def test_a_custom_treatment_type_is_data(source: Library, postgres_url: str,
                                          tmp_path: Path) -> None:
    other = Library.open(tmp_path / "other", postgres_url)
    try:
        records.add_treatment_type(other, "Laser cap")
    finally:
        other.close()
    with pytest.raises(migrate.MigrationError, match=r"treatment_types: 1 row\b"):
        migrate_all(source, postgres_url)


def test_refuses_the_library_s_own_database(source: Library) -> None:
    own = source.root / "library.sqlite"
    for url in (f"sqlite:///{own}", f"sqlite:///{source.root}/../library/library.sqlite"):
        with pytest.raises(migrate.MigrationError, match="is the library's own database"):
            migrate_all(source, url)


def test_refuses_a_database_of_a_newer_hairtrack(source: Library, postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(migrate.MigrationError, match="newer HairTrack") as caught:
        migrate_all(source, postgres_url)
    assert str(caught.value).count("\n") == 0


def test_refuses_a_database_of_another_program(source: Library, sqlite_target: str) -> None:
    engine = create_engine(sqlite_target)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(migrate.MigrationError, match=r"already holds tables \(invoices\)"):
        migrate_all(source, sqlite_target)


def test_an_unreachable_server_is_one_line_without_the_password(source: Library) -> None:
    url = "postgresql+psycopg://clinic:s3cret-pw@127.0.0.1:1/hairtrack"
    with pytest.raises(migrate.MigrationError) as caught:
        migrate_all(source, url)
    message = str(caught.value)
    assert message.startswith("cannot connect to the postgresql server 127.0.0.1:1/hairtrack")
    assert "s3cret-pw" not in message and "\n" not in message


def test_a_malformed_url_is_not_echoed(source: Library) -> None:
    with pytest.raises(migrate.MigrationError, match="not a database URL") as caught:
        migrate_all(source, "postgres ql://clinic:s3cret-pw@server")
    assert "s3cret-pw" not in str(caught.value)


# ---- failures leave a clear state ------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, sqlite_target: str) -> str:
    if request.param == "sqlite":
        return sqlite_target
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_a_corrupted_copy_is_caught_by_the_verifier(source: Library, target_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real = migrate_rows.target_row

    def corrupt(table: Table, row: Any) -> dict[str, Any]:
        values = real(table, row)
        if table.name == "photos" and values["id"] == 2:
            values["width"] += 1
        if table.name == "treatment_types" and values["code"] == "prp":
            values["label"] = "PRP!"
        return values

    monkeypatch.setattr(migrate_rows, "target_row", corrupt)
    with pytest.raises(migrate.MigrationError) as caught:
        migrate_all(source, target_url)
    message = str(caught.value)
    assert "photos id=2: differs in width" in message
    assert "treatment_types code='prp': differs in label" in message
    assert "left there for inspection" in message and "\n" not in message
    engine = create_engine(target_url)  # left in place, without a migration entry
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT width FROM photos WHERE id = 2")) is not None
        assert connection.scalar(text("SELECT count(*) FROM audit_log WHERE action = "
                                      "'migrate'")) == 0
    engine.dispose()


def test_a_row_the_target_refuses_rolls_everything_back(source: Library, postgres_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = migrate_rows.target_row

    def too_long(table: Table, row: Any) -> dict[str, Any]:
        values = real(table, row)
        if table.name == "photos":  # SQLite never enforced String(32); PostgreSQL does
            values["view"] = "v" * 40
        return values

    monkeypatch.setattr(migrate_rows, "target_row", too_long)
    with pytest.raises(migrate.MigrationError, match="copying table photos failed; nothing "
                                                     "was written") as caught:
        migrate_all(source, postgres_url)
    assert "\n" not in str(caught.value)
    monkeypatch.undo()
    migrate_all(source, postgres_url)  # the target was left empty
    assert_same_rows(source, postgres_url)


def test_cancelling_copies_nothing(source: Library, sqlite_target: str) -> None:
    token = CancelToken()
    task = migrate.migrate_to(source, sqlite_target, cancel=token)
    next(task)
    next(task)
    token.cancel()
    with pytest.raises(Cancelled):
        run_task(task)
    migrate_all(source, sqlite_target)


def test_the_report_is_json_ready(source: Library, sqlite_target: str) -> None:
    data = migrate_all(source, sqlite_target).to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["tables"]["patients"] == 3 and data["total_rows"] == sum(data["tables"].values())
    assert make_url(data["target"]).database == make_url(sqlite_target).database

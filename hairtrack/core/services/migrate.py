"""Move a library's database to a shared database server, verified row by row.

A clinic starts on one desktop with the library's SQLite file; when several
desktops should share the records, `migrate_to` copies that database into a
PostgreSQL database (any SQLAlchemy URL works, a SQLite file too). The photo
store, the pseudonym secret and the caches stay in the library folder, which
every desktop then opens with `--database URL`.

The target is brought to this HairTrack's schema by the same migrations and
must hold nothing but the rows those migrations seed. Every table of the schema
is copied in dependency order, trash and audit log included, keys preserved, in
one target transaction: a failed copy leaves the target as it was. The source
is read in one snapshot, so a desktop writing meanwhile cannot tear the copy.
After the commit both sides are compared row by row (against the same
snapshot) and the audit chain is checked; only then is the migration noted in
the target's audit log. A mismatch stays in the target for inspection and is
reported by table and key, never by value (the values are patient data).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from hairtrack.core.library import Library, describe_url
from hairtrack.core.progress import CancelToken, Progress, Task
from hairtrack.core.services import migrate_rows
from hairtrack.core.storage import audit, database, permissions
from hairtrack.core.storage.audit import Action
from hairtrack.core.storage.models import Base

#: Rows per INSERT batch and per comparison query.
BATCH_SIZE = 500
#: How many differing rows a failed verification names.
MISMATCH_LIMIT = 10


class MigrationError(Exception):
    """The migration was refused or failed; the message says why (without a password)."""


@dataclass(frozen=True)
class TableCount:
    table: str
    rows: int


@dataclass(frozen=True)
class MigrationReport:
    source: str  # URLs as shown to people: passwords masked
    target: str
    revision: str
    tables: tuple[TableCount, ...]  # in copy (dependency) order
    seconds: float
    #: Breaks in the audit chain the source already had; copied faithfully, worth a `doctor`.
    audit_problems: tuple[str, ...] = ()

    @property
    def total_rows(self) -> int:
        return sum(count.rows for count in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "revision": self.revision,
                "tables": {count.table: count.rows for count in self.tables},
                "total_rows": self.total_rows, "seconds": round(self.seconds, 3),
                "audit_problems": list(self.audit_problems)}


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def migrate_to(library: Library, target_url: str, *, batch_size: int = BATCH_SIZE,
               cancel: CancelToken | None = None) -> Task[MigrationReport]:
    """Copy the library's database into the empty database at `target_url`, then verify it."""
    started = time.monotonic()
    source_url, target = library.engine.url, _parse(target_url)
    _refuse_same_database(source_url, target)
    tables = list(Base.metadata.sorted_tables)
    total = 2 * len(tables)
    yield Progress(0, total, f"opening {shown(target)}")
    revision = _revision(library.engine, "the library's database")
    engine = _open_target(target_url, target)
    try:
        with _snapshot(library.engine) as source:
            counts: list[TableCount] = []
            with _failing_as(f"copying into {shown(target)} failed; nothing was written"), \
                    engine.begin() as sink:
                for done, table in enumerate(tables, start=1):
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    counts.append(TableCount(table.name, _copy(source, sink, table, batch_size)))
                    yield Progress(done, total, f"copied {table.name}: {_rows(counts[-1].rows)}")
            yield from _verify(source, engine, tables, target, batch_size)
            with _failing_as(f"verifying the audit log in {shown(target)} failed"):
                problems = _chains_agree(source, engine)
        report = MigrationReport(shown(source_url), shown(target), revision, tuple(counts),
                                 time.monotonic() - started, problems)
        with _failing_as("the copy is complete and verified, but noting the migration in "
                         "its audit log failed"):
            _note(engine, library, report)
        return report
    finally:
        engine.dispose()


def _parse(text: str) -> URL:
    try:
        url = make_url(text)
        url.get_dialect()
    except (ArgumentError, ValueError) as exc:  # never echo the text: it may hold a password
        raise MigrationError("the target is not a database URL (for example "
                             "postgresql+psycopg://user@server/hairtrack)") from exc
    except NoSuchModuleError as exc:
        raise MigrationError(f"unknown kind of database {url.drivername!r} in the target "
                             "URL") from exc
    return url


def _sqlite_path(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database or "").expanduser().resolve()


_LOCAL = {"localhost", "127.0.0.1", "::1", ""}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


def _refuse_same_database(source: URL, target: URL) -> None:
    """Copying a database onto itself would at best do nothing: refuse before connecting."""
    source_file, target_file = _sqlite_path(source), _sqlite_path(target)
    if source_file is not None or target_file is not None:
        same = source_file == target_file or (
            source_file is not None and target_file is not None and target_file.exists()
            and os.path.samefile(source_file, target_file))
    else:
        def where(url: URL) -> tuple[str, str, int | None, str | None]:
            backend, host = url.get_backend_name(), (url.host or "").lower()
            return (backend, "localhost" if host in _LOCAL else host,
                    url.port or _DEFAULT_PORTS.get(backend), url.database)
        same = where(source) == where(target)
    if same:
        raise MigrationError(f"the target {shown(target)} is the library's own database; "
                             "give the URL of a new, empty database")


def _open_target(text: str, url: URL) -> Engine:
    """Connect, refuse a foreign or non-empty database, and migrate it to this schema."""
    path = _sqlite_path(url)
    if path is not None and path.parent.is_dir() and not path.exists():
        permissions.create_private_file(path)  # a copy of patient records: never world-readable
    try:
        engine = database.make_engine(text)
    except ImportError as exc:
        raise MigrationError(f"the driver for {url.drivername} databases is not installed "
                             f"({exc}); HairTrack ships postgresql+psycopg") from exc
    try:
        _connect(engine, url)
        with _failing_as(f"cannot read {shown(url)}"), engine.connect() as connection:
            revision = database.current_revision(engine)
            foreign = set(inspect(connection).get_table_names())
        if revision is None and foreign:
            listed = ", ".join(sorted(foreign)[:5])
            raise MigrationError(f"the target {shown(url)} already holds tables ({listed}) and "
                                 "is not a HairTrack database; give an empty database")
        try:
            database.upgrade(engine)
        except database.DatabaseError as exc:  # e.g. written by a newer HairTrack
            raise MigrationError(f"cannot migrate into {shown(url)}: {exc}") from exc
        _revision(engine, f"the target {shown(url)}")
        with _failing_as(f"cannot read {shown(url)}"):
            _refuse_data(engine, url)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _connect(engine: Engine, url: URL) -> None:
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        where = (f"the SQLite database {url.database}" if url.get_backend_name() == "sqlite"
                 else f"the {describe_url(url)}")
        raise MigrationError(f"cannot connect to {where}: {_reason(exc, url)}") from exc


def _revision(engine: Engine, what: str) -> str:
    """Both sides must be at this HairTrack's schema head, or rows would not fit."""
    current, head = database.current_revision(engine), database.head_revision()
    if current != head:
        raise MigrationError(f"{what} is at schema revision {current}, not {head}")
    return head


def _refuse_data(engine: Engine, url: URL) -> None:
    with engine.connect() as connection:
        held = [(table.name, migrate_rows.count_rows(connection, table, except_seeded=True))
                for table in Base.metadata.sorted_tables]
    held = [(name, rows) for name, rows in held if rows]
    if held:
        listed = ", ".join(f"{name}: {_rows(rows)}" for name, rows in held[:4])
        raise MigrationError(f"the target {shown(url)} already holds data ({listed}); "
                             "migrate-to copies into an empty database only")


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction on the source, so every table is read at the same moment."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # pysqlite starts no transaction for reads
        elif engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection


@contextmanager
def _failing_as(message: str) -> Iterator[None]:
    """A database error becomes one line that says what failed and what it means."""
    try:
        yield
    except DBAPIError as exc:
        raise MigrationError(f"{message}: {_reason(exc, None)}") from exc
    except SQLAlchemyError as exc:
        raise MigrationError(f"{message}: {exc}") from exc


def _copy(source: Connection, sink: Connection, table: Table, batch_size: int) -> int:
    """One table, named in the message when the target refuses a row (e.g. too long for it)."""
    with _failing_as(f"copying table {table.name} failed; nothing was written to the target"):
        rows = migrate_rows.copy_table(source, sink, table, batch_size)
        migrate_rows.reset_sequence(sink, table)
    return rows


def _verify(source: Connection, engine: Engine, tables: list[Table], target: URL,
            batch_size: int) -> Iterator[Progress]:
    mismatches: list[migrate_rows.Mismatch] = []
    with _failing_as(f"verifying the copy in {shown(target)} failed"), \
            engine.connect() as sink:
        for done, table in enumerate(tables, start=len(tables) + 1):
            if len(mismatches) < MISMATCH_LIMIT:
                mismatches += migrate_rows.compare_table(source, sink, table, batch_size,
                                                         MISMATCH_LIMIT - len(mismatches))
            yield Progress(done, 2 * len(tables), f"verified {table.name}")
    if mismatches:
        listed = "; ".join(str(m) for m in mismatches)
        raise MigrationError(f"the copy in {shown(target)} does not match the library's "
                             f"database: {listed}. The copied rows were left there for "
                             "inspection; empty or recreate that database before trying again")


def _chains_agree(source: Connection, engine: Engine) -> tuple[str, ...]:
    """The copied audit chain verifies exactly as the source's did; returns the source's breaks."""
    with Session(bind=source) as session:
        before = [f"{p.seq}: {p.problem}" if p.seq else p.problem for p in audit.verify(session)]
    with Session(engine) as session:
        after = [f"{p.seq}: {p.problem}" if p.seq else p.problem for p in audit.verify(session)]
    if after != before:
        raise MigrationError(f"the audit log copied into the target does not verify: "
                             f"{'; '.join(after[:3]) or 'it differs from the source'}")
    return tuple(before)


def _note(engine: Engine, library: Library, report: MigrationReport) -> None:
    """The target's audit log says where its records came from (after the verification)."""
    source = library.engine.url
    origin = (f"the SQLite file {source.database}" if source.get_backend_name() == "sqlite"
              else report.source)
    counts = ", ".join(f"{c.rows} {c.table}" for c in report.tables if c.rows)
    with database.make_session_factory(engine).begin() as session:
        audit.append(session, library.actor, Action.MIGRATE, "library", None,
                     f"migrated from {origin} (library {library.root}): {counts or 'no rows'}")


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _reason(exc: DBAPIError, url: URL | None) -> str:
    """The driver's first line, with the password masked should a driver ever echo it."""
    lines = str(exc.orig).strip().splitlines()
    text = lines[0] if lines else type(exc.orig).__name__
    if url is not None and url.password:
        text = text.replace(str(url.password), "***")
    return text

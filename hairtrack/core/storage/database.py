"""Engines, sessions and migrations for a library database.

SQLite is the embedded default (WAL, foreign keys on, a busy timeout so a
second reader waits instead of failing); any SQLAlchemy URL works, so a clinic
can point several desktops at one PostgreSQL server. Migrations run on open,
after the SQLite file has been copied aside, so a failed upgrade loses nothing.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError as SQLDatabaseError
from sqlalchemy.orm import Session, sessionmaker

from hairtrack.core.storage import permissions, soft_delete, write_lock

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


#: PostgreSQL advisory lock held while a desktop migrates a shared database ("HAIR").
MIGRATION_LOCK_KEY = 0x48414952

#: How long a writer waits for another process's write to finish before giving up.
BUSY_TIMEOUT_MS = 10_000


class DatabaseError(Exception):
    """The database cannot be opened or upgraded; the message says why."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.OperationalError:  # read-only media cannot switch journal mode
        pass
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True)
    else:
        # A server may restart or drop idle connections: test each before reuse. A writer
        # waits for another desktop's lock as long as SQLite would, then gives up clearly.
        connect_args = {}
        if url.startswith("postgresql"):
            connect_args = {"options": f"-c lock_timeout={int(BUSY_TIMEOUT_MS)}",
                            "connect_timeout": 10}
        engine = create_engine(url, future=True, pool_pre_ping=True,
                               connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    soft_delete.install(factory)
    write_lock.install(factory)
    return factory


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_known_revision(revision: str) -> bool:
    """False for a schema written by a newer HairTrack than this one."""
    try:
        ScriptDirectory.from_config(_alembic_config()).get_revision(revision)
    except CommandError:
        return False
    return True


def upgrade(engine: Engine, backup_dir: Path | None = None) -> Path | None:
    """Bring the schema to head; returns the backup made first, if any."""
    try:
        current = current_revision(engine)
    except SQLDatabaseError as exc:  # also "file is not a database", not only OperationalError
        raise DatabaseError(f"cannot read the library database: {exc.orig}") from exc
    head = head_revision()
    if current == head:
        return None
    if current is not None and not is_known_revision(current):
        raise DatabaseError(f"the library database has schema version {current}, which this "
                            "HairTrack does not know: it was written by a newer HairTrack; "
                            "update HairTrack to open it")
    backup = None
    if current is not None and backup_dir is not None and engine.dialect.name == "sqlite":
        backup = backup_sqlite(engine, backup_dir, current)
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                # Desktops started together after an update: one migrates, the others
                # wait here, then find the schema at head (PostgreSQL DDL is transactional).
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK_KEY})
                if MigrationContext.configure(connection).get_current_revision() == head:
                    return backup
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLDatabaseError as exc:
        hint = f" (a copy of the previous database is in {backup})" if backup else ""
        raise DatabaseError(f"could not upgrade the library database: {exc.orig}{hint}") from exc
    return backup


def backup_sqlite(engine: Engine, backup_dir: Path, revision: str) -> Path:
    """Copy a live SQLite database consistently (WAL-safe) before touching it."""
    source = engine.url.database
    assert source
    permissions.private_dirs(backup_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir / f"library-{revision}-{stamp}.sqlite"
    permissions.create_private_file(target)
    # sqlite3's own context manager only commits; closing() really releases both files.
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target

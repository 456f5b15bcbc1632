"""A library: one folder holding the database, the photo store and caches.

    <library>/library.sqlite     the database (unless a URL overrides it)
    <library>/photos/ab/<sha256>.jpg   originals, immutable
    <library>/cache/             thumbnails and derived images, rebuildable
    <library>/backups/           database copies made before each migration
    <library>/secret.key         the pseudonym secret of de-identified reports

Its location comes from `--library`, else HAIRTRACK_LIBRARY, else the
platform's user data folder; the database from `--database`, else
HAIRTRACK_DATABASE_URL, else the SQLite file inside the library.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from platformdirs import user_data_path
from sqlalchemy import URL, Engine, func, select
from sqlalchemy.exc import DatabaseError as SQLDatabaseError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from hairtrack.core.storage import audit, database, permissions, write_lock
from hairtrack.core.storage.models import PhotoRow
from hairtrack.core.storage.photo_store import PhotoStore, is_temporary
from hairtrack.core.storage.repositories import ChangedElsewhere
from hairtrack.core.storage.soft_delete import including_deleted

LIBRARY_ENV = "HAIRTRACK_LIBRARY"
DATABASE_ENV = "HAIRTRACK_DATABASE_URL"
DB_FILENAME = "library.sqlite"
SECRET_FILENAME = "secret.key"


T = TypeVar("T")


class LibraryError(Exception):
    """The library cannot be opened or written; the message says why."""


class LibraryBusy(LibraryError):
    """Another program held the library's write lock for too long; nothing was changed."""


def _close_folder(root: Path) -> None:
    """A library made by an older HairTrack may be world-readable: close it on open.

    The folder's own mode guards everything in it; `hairtrack doctor --repair`
    tightens the files inside as well.
    """
    if permissions.POSIX:
        with contextlib.suppress(OSError):  # not ours to change (e.g. another owner)
            if root.stat().st_mode & 0o077:
                os.chmod(root, permissions.PRIVATE_DIR)


def describe_url(url: URL) -> str:
    """How a message names a database server, without its password."""
    host = url.host or "localhost"
    return f"{url.get_backend_name()} server {host}:{url.port or 'default port'}/{url.database}"


def _explain(exc: OperationalError, root: Path, url: URL) -> LibraryError | None:
    """A database failure a user can act on, or None for a bug that should surface."""
    text = str(exc.orig).lower()
    if any(word in text for word in ("locked", "busy", "lock timeout", "deadlock")):
        return LibraryBusy(f"the library at {root} is busy: another HairTrack window, "
                           "desktop or command is writing to it. Nothing was changed; try "
                           "again in a moment")
    if url.get_backend_name() != "sqlite" and any(word in text for word in (
            "connect", "connection", "server closed", "terminating", "timeout expired")):
        return LibraryError(f"lost the connection to the {describe_url(url)}; nothing was "
                            "changed. Check the network and that the server is running, "
                            "then try again")
    if "disk is full" in text or "database or disk is full" in text:
        return LibraryError(f"the disk holding the library ({root}) is full; nothing was "
                            "changed. Free some space and try again")
    if "readonly" in text or "read-only" in text:
        return LibraryError(f"the library at {root} is read-only; nothing was changed")
    if "disk i/o error" in text:
        return LibraryError(f"the disk holding the library ({root}) reported a disk I/O error; "
                            "nothing was changed. Check the disk and run 'hairtrack doctor'")
    return None


def _check_shared_folder(engine: Engine, root: Path) -> None:
    """A server database with photos but a folder without them: the share is not mounted.

    Opening anyway would put new originals on this desktop's own disk, where no
    other desktop (and no backup of the share) would ever see them.
    """
    if engine.dialect.name == "sqlite" or (root / "photos").is_dir():
        return
    with engine.connect() as connection:
        photos = connection.execute(select(func.count()).select_from(PhotoRow)).scalar_one()
    if photos:
        raise LibraryError(f"the {describe_url(engine.url)} holds {photos} photos but the "
                           f"library folder {root} has no photos/ folder: is the clinic's "
                           "shared folder mounted there? Nothing was opened")


#: SQLSTATEs after which PostgreSQL expects the client to retry: serialization, deadlock.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})


def is_transient(exc: BaseException) -> bool:
    """An aborted-but-retryable database failure (also when wrapped in a LibraryError)."""
    for error in (exc, exc.__cause__):
        if isinstance(error, SQLDatabaseError):
            if error.connection_invalidated:
                return True
            if getattr(error.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
                return True
    return False


def default_library_path() -> Path:
    return user_data_path("HairTrack", appauthor=False) / "Library"


def resolve_library_path(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env).expanduser()
    return default_library_path()


def resolve_database_url(root: Path, explicit: str | None = None) -> str:
    url = explicit or os.environ.get(DATABASE_ENV)
    return url or f"sqlite:///{root / DB_FILENAME}"


@dataclass
class Library:
    root: Path
    engine: Engine
    sessions: sessionmaker[Session]
    store: PhotoStore
    read_only: bool = False
    #: Who the audit log names: the OS user, or "name (user)" when the app knows the clinician.
    actor: str = field(default_factory=audit.os_user)

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def thumbnail_path(self, sha256: str, size: int) -> Path:
        return self.cache_dir / "thumbs" / sha256[:2] / f"{sha256}-{size}.jpg"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise ChangedElsewhere("the record was changed by someone else at the same "
                                   "moment; nothing was changed. Reload it and try "
                                   "again") from exc
        except OperationalError as exc:
            session.rollback()
            explained = _explain(exc, self.root, self.engine.url)
            if explained is None:
                raise
            raise explained from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def retrying(self, work: Callable[[], T], attempts: int = 3) -> T:
        """Run a unit of work again when the server aborted it for a passing reason.

        PostgreSQL may cancel a transaction as a deadlock victim or on a
        serialization conflict, and a connection may drop when the server
        restarts; the work was rolled back, so doing it again is safe. The
        write order (write_lock.py) makes the first two rare; this catches the rest.
        """
        for attempt in range(1, attempts + 1):
            try:
                return work()
            except (SQLDatabaseError, LibraryError) as exc:
                if attempt == attempts or not is_transient(exc):
                    raise
                time.sleep(0.05 * 2 ** attempt)
        raise AssertionError("unreachable")

    def record(self, action: str, entity: str, entity_id: int | None, summary: str,
               patient_id: int | None = None) -> None:
        """Log an event that changes no record (an export, a backup) in its own transaction."""
        if self.read_only:
            return
        with self.session() as session:
            audit.append(session, self.actor, action, entity, entity_id, summary, patient_id)

    def collect_garbage(self, grace_seconds: float | None = None) -> int:
        """Remove store files that no photo row references (crash leftovers).

        The store may be shared by several desktops: candidates are found without
        a lock, then checked again and deleted under the write lock, which is also
        what an import holds while it checks its file is there and adds its row.
        """
        if self.read_only:
            return 0
        with self.session() as session:
            referenced = set(session.scalars(select(PhotoRow.sha256)
                                             .execution_options(**including_deleted())))
        kwargs = {} if grace_seconds is None else {"grace_seconds": grace_seconds}
        candidates = self.store.garbage(referenced, **kwargs)
        if not candidates:
            return 0
        with self.session() as session:
            write_lock.acquire(session)
            hashes = {path.name[:64] for path in candidates}
            claimed = set(session.scalars(select(PhotoRow.sha256)
                                          .where(PhotoRow.sha256.in_(hashes))
                                          .execution_options(**including_deleted())))
            removed = self.store.discard(p for p in candidates
                                         if is_temporary(p) or p.name[:64] not in claimed)
        return len(removed)

    def discard_unreferenced(self, sha256: str) -> None:
        """Delete a stored original unless a photo row (of any desktop) references it."""
        with self.session() as session:
            write_lock.acquire(session)
            claimed = session.scalar(select(PhotoRow.id).where(PhotoRow.sha256 == sha256)
                                     .execution_options(**including_deleted()))
            if claimed is None:
                self.store.remove(sha256)

    def close(self) -> None:
        self.engine.dispose()

    @classmethod
    def open(cls, root: str | Path | None = None, database_url: str | None = None,
             *, create: bool = True) -> Library:
        """Open (creating and migrating as needed) the library at `root`."""
        path = resolve_library_path(root)
        if path.exists() and not path.is_dir():
            raise LibraryError(f"{path} is a file, not a library folder")
        if not path.exists():
            if not create:
                raise LibraryError(f"no library at {path}")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                permissions.private_dirs(path)
            except OSError as exc:
                raise LibraryError(f"cannot create the library folder {path}: "
                                   f"{exc.strerror or exc}") from exc
        read_only = not os.access(path, os.W_OK)
        if not read_only:
            _close_folder(path)
        url = resolve_database_url(path, database_url)
        if not read_only and url == f"sqlite:///{path / DB_FILENAME}":
            try:  # SQLite gives its -wal and -shm files the database file's mode
                permissions.create_private_file(path / DB_FILENAME)
            except OSError as exc:
                raise LibraryError(f"cannot create the library database in {path}: "
                                   f"{exc.strerror or exc}") from exc
        engine = database.make_engine(url)
        try:
            if read_only:
                if database.current_revision(engine) != database.head_revision():
                    raise LibraryError(f"the library at {path} is read-only and needs "
                                       "an upgrade; open it once with write access")
            else:
                database.upgrade(engine, backup_dir=path / "backups")
        except database.DatabaseError as exc:
            engine.dispose()
            raise LibraryError(str(exc)) from exc
        except SQLDatabaseError as exc:  # e.g. "file is not a database", locked, unreadable
            engine.dispose()
            where = ("library database" if engine.url.get_backend_name() == "sqlite"
                     else describe_url(engine.url))
            reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else exc
            raise LibraryError(f"cannot open the {where}: {reason}") from exc
        try:
            _check_shared_folder(engine, path)
        except LibraryError:
            engine.dispose()
            raise
        library = cls(path, engine, database.make_session_factory(engine),
                      PhotoStore(path / "photos"), read_only=read_only)
        return library

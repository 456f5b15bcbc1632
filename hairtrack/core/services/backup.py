"""Back a library up into one archive file, and restore it into a new folder.

`create_backup` works while the library is in use: the database is copied with
SQLite's backup API (one read transaction, so one consistent moment even while
another process writes), and the photos are exactly those the copied database
references. Store files are immutable and written before their rows commit, so
every row of the snapshot already has its file. Each photo is hashed while it is
copied: a damaged store fails the backup, naming the photo. The archive is
written to a temporary file beside the target, flushed and renamed, so the
target is never half-written.

`restore_backup` checks every entry's name and kind before writing anything,
checks every size and hash against the manifest (and every photo's hash against
its name), extracts into a temporary sibling of the target, checks the database,
and only then renames the folder into place: a failed restore leaves nothing.
The archive format is described in `backup_format`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import DatabaseError as SQLDatabaseError

from hairtrack import __version__
from hairtrack.core.library import DB_FILENAME, SECRET_FILENAME, resolve_database_url
from hairtrack.core.progress import CancelToken, Progress, Task
from hairtrack.core.services.backup_format import (
    MANIFEST_NAME,
    UNREADABLE,
    BackupError,
    Manifest,
    Member,
    describe_os_error,
    is_sha256,
    open_archive,
    photo_member_name,
    photo_sha256,
    read_manifest,
    target_path,
)
from hairtrack.core.storage import database
from hairtrack.core.storage.photo_store import PhotoStore, fsync_dir

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BackupResult:
    path: Path
    photos: int
    size_bytes: int  # of the archive file
    schema_revision: str

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "photos": self.photos, "size_bytes": self.size_bytes,
                "schema_revision": self.schema_revision}


@dataclass(frozen=True)
class RestoreResult:
    library: Path
    photos: int
    size_bytes: int  # of all restored files
    schema_revision: str
    created_at: datetime
    hairtrack_version: str

    def to_json(self) -> dict[str, Any]:
        return {"library": str(self.library), "photos": self.photos,
                "size_bytes": self.size_bytes, "schema_revision": self.schema_revision,
                "created_at": self.created_at.isoformat(),
                "hairtrack_version": self.hairtrack_version}


# ---- backup -----------------------------------------------------------------------------------

def create_backup(library_root: Path | str, target: Path | str, *,
                  database_url: str | None = None,
                  cancel: CancelToken | None = None) -> Task[BackupResult]:
    """Write a consistent snapshot of the library at `library_root` to the zip file `target`."""
    root, target = Path(library_root).expanduser(), Path(target).expanduser()
    source_db = _sqlite_file(root, database_url)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the name of the backup file to write")
    if not target.parent.is_dir():
        raise BackupError(f"cannot write the backup: the folder {target.parent} does not exist")
    with _work_folder(target.parent, f".{target.name}.partial-") as work:
        yield Progress(0, 1, "copying the database")
        snapshot = work / DB_FILENAME
        _snapshot(source_db, snapshot)
        revision, hashes = _read_snapshot(snapshot)
        store = PhotoStore(root / "photos")
        partial = work / "backup.zip"
        try:
            with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
                members = [_add_file(archive, snapshot, DB_FILENAME, zipfile.ZIP_DEFLATED)]
                secret = root / SECRET_FILENAME
                if secret.exists():
                    members.append(_add_file(archive, secret, SECRET_FILENAME,
                                             zipfile.ZIP_DEFLATED))
                for index, sha in enumerate(hashes):
                    yield Progress(index, len(hashes), f"photo {sha[:12]}")
                    if cancel is not None:  # after the yield: the caller may cancel there
                        cancel.raise_if_cancelled()
                    members.append(_add_photo(archive, store, sha))
                manifest = Manifest(__version__, revision, datetime.now(timezone.utc),
                                    tuple(members))
                archive.writestr(MANIFEST_NAME, json.dumps(manifest.to_json(), indent=1),
                                 zipfile.ZIP_DEFLATED)
            _fsync_file(partial)
            os.replace(partial, target)
            fsync_dir(target.parent)
        except OSError as exc:
            raise BackupError(f"could not write the backup {target}: "
                              f"{describe_os_error(exc, target.parent)}") from exc
    yield Progress(len(hashes), len(hashes), "done")
    return BackupResult(target, len(hashes), target.stat().st_size, revision)


def _sqlite_file(root: Path, database_url: str | None) -> Path:
    url_text = resolve_database_url(root, database_url)
    try:
        url = make_url(url_text)
    except ArgumentError as exc:
        # not echoed: a URL may carry a password
        raise BackupError("cannot understand the library's database URL") from exc
    if url.get_backend_name() != "sqlite":
        raise BackupError(f"'hairtrack backup' archives a single-desktop (SQLite) library; "
                          f"this library's database is on a {url.get_backend_name()} server. "
                          "Back up a clinic server with pg_dump and a copy of the shared "
                          "folder, as docs/clinic-server.md describes")
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    path = Path(url.database)
    if not path.is_file():
        raise BackupError(f"no library database at {path}")
    return path


def _snapshot(source: Path, copy: Path) -> None:
    """Copy the live database in one read transaction (consistent under concurrent writes)."""
    try:
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True,
                                     timeout=30)) as src, closing(sqlite3.connect(copy)) as dst:
            src.backup(dst)  # pages=-1: all pages in one step, so writers cannot restart it
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy stands alone, no -wal file
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the library database {source}: {exc}") from exc


def _read_snapshot(snapshot: Path) -> tuple[str, list[str]]:
    """The schema revision and every photo hash, read from the copy (not the live library)."""
    engine = create_engine(f"sqlite:///{snapshot}")
    try:
        revision = database.current_revision(engine)
    except SQLDatabaseError as exc:
        raise BackupError(f"cannot read the library database: {exc.orig}") from exc
    finally:
        engine.dispose()
    if revision is None:
        raise BackupError("the library database has no schema version: it is not a HairTrack "
                          "library")
    try:
        with closing(sqlite3.connect(snapshot)) as connection:
            hashes = sorted(row[0] for row in connection.execute("SELECT sha256 FROM photos"))
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the photos of the library database: {exc}") from exc
    return revision, hashes


def _add_photo(archive: zipfile.ZipFile, store: PhotoStore, sha: str) -> Member:
    if not is_sha256(sha):
        raise BackupError(f"the library database is damaged: a photo has the checksum {sha!r}")
    path = store.path_for(sha)
    if not path.is_file():
        raise BackupError(f"photo {sha} is recorded in the library but its file is missing "
                          f"from {path.parent}")
    member = _add_file(archive, path, photo_member_name(path.name), zipfile.ZIP_STORED)
    if member.sha256 != sha:
        raise BackupError(f"the photo store is damaged: {path} does not match its checksum "
                          "(restore it from an earlier backup)")
    return member


def _add_file(archive: zipfile.ZipFile, source: Path, name: str, compression: int) -> Member:
    """Copy one file into the archive, hashing what is really read."""
    try:
        src = source.open("rb")
        modified = time.localtime(os.fstat(src.fileno()).st_mtime)
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror or exc}") from exc
    info = zipfile.ZipInfo(name, date_time=max(modified[:6], (1980, 1, 1, 0, 0, 0)))
    info.compress_type = compression
    info.external_attr = (stat.S_IFREG | 0o600) << 16
    digest, size = hashlib.sha256(), 0
    with src, archive.open(info, "w", force_zip64=True) as dst:
        while chunk := _read(src, source):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return Member(name, size, digest.hexdigest())


def _read(handle: IO[bytes], source: Path) -> bytes:
    try:
        return handle.read(_CHUNK)
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror or exc}") from exc


# ---- restore ----------------------------------------------------------------------------------

def restore_backup(archive_path: Path | str, target: Path | str, *,
                   cancel: CancelToken | None = None) -> Task[RestoreResult]:
    """Check the archive completely and recreate its library in the new folder `target`."""
    archive_path, target = Path(archive_path).expanduser(), Path(target).expanduser()
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise BackupError(f"{target} already exists and is not an empty folder: restore into "
                          "a new folder")
    with open_archive(archive_path) as archive:
        manifest = read_manifest(archive)
        total_size = sum(m.size for m in manifest.members)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(target.parent).free
        except OSError as exc:
            raise BackupError(describe_os_error(exc, target.parent)) from exc
        if free < total_size:
            raise BackupError(f"not enough free space on the disk holding {target.parent}: "
                              f"the library needs {total_size} bytes, {free} are free")
        with _work_folder(target.parent, f".{target.name}.restoring-") as work:
            try:
                for index, member in enumerate(manifest.members):
                    yield Progress(index, len(manifest.members), member.path)
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    _extract(archive, member, work)
                yield Progress(len(manifest.members), len(manifest.members), "checking")
                _check_restored(work, manifest)
                _publish(work, target)
            except OSError as exc:
                raise BackupError(f"could not restore into {target}: "
                                  f"{describe_os_error(exc, target.parent)}") from exc
    return RestoreResult(target, len(manifest.photos), total_size, manifest.schema_revision,
                         manifest.created_at, manifest.hairtrack_version)


def _extract(archive: zipfile.ZipFile, member: Member, root: Path) -> None:
    """Write one member, checking its size and hash against the manifest as it is written."""
    damaged = f"archive is damaged: {member.path}"
    if archive.getinfo(member.path).file_size != member.size:
        raise BackupError(f"{damaged} does not have the size its manifest records")
    path = target_path(root, member.path)
    for folder in reversed(path.relative_to(root).parents[:-1]):
        (root / folder).mkdir(mode=0o700, exist_ok=True)
        os.chmod(root / folder, 0o700)
    digest, size = hashlib.sha256(), 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        with archive.open(member.path) as src, \
                os.fdopen(os.open(path, flags, 0o600), "wb") as dst:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > member.size:
                    raise BackupError(f"{damaged} is larger than its manifest records")
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    except UNREADABLE as exc:
        raise BackupError(f"{damaged} cannot be read ({exc})") from exc
    if size != member.size or digest.hexdigest() != member.sha256:
        raise BackupError(f"{damaged} does not match its checksum")
    if member.is_photo:
        if member.sha256 != photo_sha256(member.path):
            raise BackupError(f"{damaged} does not match its name (the photo's checksum)")
        os.chmod(path, 0o400)  # originals are immutable
    else:
        os.chmod(path, 0o600)


def _check_restored(root: Path, manifest: Manifest) -> None:
    """The database must be intact, of the recorded schema, and have every photo it names."""
    stored = {photo_sha256(m.path) for m in manifest.photos}
    db = root / DB_FILENAME
    try:
        with closing(sqlite3.connect(db)) as connection:
            check = connection.execute("PRAGMA quick_check").fetchone()
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            hashes = [row[0] for row in connection.execute("SELECT sha256 FROM photos")]
    except sqlite3.Error as exc:
        raise BackupError(f"archive is damaged: its {DB_FILENAME} cannot be read ({exc})") from exc
    if check is None or check[0] != "ok":
        raise BackupError(f"archive is damaged: its {DB_FILENAME} fails SQLite's check")
    if revision is None or revision[0] != manifest.schema_revision:
        raise BackupError(f"archive is damaged: its {DB_FILENAME} is not at the schema version "
                          "its manifest records")
    for sha in hashes:
        if sha not in stored:
            raise BackupError(f"archive is incomplete: photo {sha} is recorded in its database "
                              "but its file is not in the archive")
    for leftover in (root / f"{DB_FILENAME}-wal", root / f"{DB_FILENAME}-shm"):
        leftover.unlink(missing_ok=True)


def _publish(work: Path, target: Path) -> None:
    """Move the finished folder into place; an empty target folder is replaced."""
    for folder in (*sorted(work.glob("photos/*")), work / "photos", work):
        fsync_dir(folder)  # the new entries themselves, before the folder appears
    os.chmod(work, 0o700)
    try:
        os.replace(work, target)  # POSIX replaces an empty folder in one step
    except OSError:
        if not target.is_dir():
            raise
        if any(target.iterdir()):
            raise BackupError(f"{target} already exists and is not an empty folder: restore "
                              "into a new folder") from None
        target.rmdir()  # Windows cannot rename onto a folder
        os.replace(work, target)
    fsync_dir(target.parent)


# ---- helpers ----------------------------------------------------------------------------------

@contextmanager
def _work_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A private temporary folder beside the result, removed however the work ends."""
    try:
        work = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as exc:
        raise BackupError(describe_os_error(exc, parent)) from exc
    try:
        yield work
    finally:
        _remove_tree(work)


def _remove_tree(path: Path) -> None:
    if not path.exists():
        return  # renamed into place
    if os.name == "nt":  # Windows refuses to delete the read-only photo files
        for item in path.rglob("*"):
            with suppress(OSError):
                os.chmod(item, stat.S_IREAD | stat.S_IWRITE)
    shutil.rmtree(path, ignore_errors=True)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


__all__ = ["BackupError", "BackupResult", "RestoreResult", "create_backup", "restore_backup"]

"""Content-addressed store of original photos, named by SHA-256.

Originals are copied in byte-for-byte and never modified. A copy is written
to a temporary name in the store, flushed to disk and renamed, so a file under
its final name is always complete. A crash can leave only temporary files or
complete files that no database row references; `collect_garbage` removes
both on the next open.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hairtrack.core.storage import permissions

_CHUNK = 1024 * 1024
_TMP_PREFIX = ".incoming-"
#: Files younger than this may belong to an import running in another process.
_GRACE_SECONDS = 15 * 60


class StoreError(Exception):
    """The store cannot accept or return a file; the message says why."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size_bytes: int
    path: Path
    created: bool  # False when identical bytes were already stored


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str, suffix: str = "") -> Path:
        """Where the original with this hash lives (suffix only helps humans)."""
        existing = self._find(sha256)
        if existing is not None:
            return existing
        return self.root / sha256[:2] / f"{sha256}{suffix.lower()}"

    def _find(self, sha256: str) -> Path | None:
        folder = self.root / sha256[:2]
        if not folder.is_dir():
            return None
        for candidate in folder.glob(f"{sha256}*"):
            if not candidate.name.startswith(_TMP_PREFIX):
                return candidate
        return None

    def add(self, source: Path) -> StoredFile:
        """Copy `source` in atomically, hashing while copying (one read)."""
        # Unique across the desktops sharing this store, not only among local processes.
        tmp = self.root / f"{_TMP_PREFIX}{os.getpid()}-{secrets.token_hex(8)}"
        digest = hashlib.sha256()
        size = 0
        try:
            permissions.private_dirs(self.root)
            with source.open("rb") as src, _private_new(tmp) as dst:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            sha = digest.hexdigest()
            existing = self._find(sha)
            if existing is not None:
                tmp.unlink()
                return StoredFile(sha, size, existing, created=False)
            final = self.root / sha[:2] / f"{sha}{source.suffix.lower()}"
            permissions.private_dirs(final.parent, self.root)
            os.chmod(tmp, permissions.ORIGINAL_FILE)  # immutable: make accidents harder
            os.replace(tmp, final)
            fsync_dir(final.parent)
            return StoredFile(sha, size, final, created=True)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(_describe_os_error(exc, self.root, source)) from exc

    def remove(self, sha256: str) -> None:
        path = self._find(sha256)
        if path is not None:
            _unlink(path)

    def hashes(self) -> set[str]:
        if not self.root.is_dir():
            return set()
        return {p.name[:64] for p in self.root.glob("??/*") if not p.name.startswith(_TMP_PREFIX)}

    def holds(self, sha256: str) -> bool:
        return self._find(sha256) is not None

    def garbage(self, referenced: Iterable[str],
                grace_seconds: float = _GRACE_SECONDS) -> list[Path]:
        """Stale temporaries and files no photo row references, older than the grace time.

        Younger files are left alone: they may belong to an import that another
        process (or another desktop on a shared store) is about to commit.
        """
        keep = set(referenced)
        now = time.time()
        found: list[Path] = []
        if not self.root.is_dir():
            return found
        for path in self.root.rglob("*"):
            try:
                if not path.is_file():
                    continue
                stale = now - path.stat().st_mtime >= grace_seconds
            except OSError:  # renamed or removed meanwhile by an import in another process
                continue
            if stale and (path.name.startswith(_TMP_PREFIX) or path.name[:64] not in keep):
                found.append(path)
        return found

    def discard(self, paths: Iterable[Path]) -> list[Path]:
        """Delete these store files; those that cannot be deleted are skipped."""
        removed: list[Path] = []
        for path in paths:
            try:
                _unlink(path)
                removed.append(path)
            except OSError:
                continue  # gone already, or a read-only library: leave it
        return removed

    def collect_garbage(self, referenced: Iterable[str],
                        grace_seconds: float = _GRACE_SECONDS) -> list[Path]:
        """Delete what `garbage` finds; Library.collect_garbage is the multi-desktop-safe one."""
        return self.discard(self.garbage(referenced, grace_seconds))


def is_temporary(path: Path) -> bool:
    """A half-copied original (an import's temporary), not a stored photo."""
    return path.name.startswith(_TMP_PREFIX)


def _private_new(path: Path) -> BinaryIO:
    """Open a new file for writing that was never readable by other accounts."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 permissions.PRIVATE_FILE)
    return os.fdopen(fd, "wb")


def _unlink(path: Path) -> None:
    """Windows refuses to delete the read-only files the store makes: lift that first."""
    try:
        path.unlink(missing_ok=True)
    except PermissionError:
        if os.name != "nt":  # on POSIX the folder, not the file, is what forbids it
            raise
        os.chmod(path, 0o644)
        path.unlink(missing_ok=True)


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable (a no-op where folders cannot be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _describe_os_error(exc: OSError, root: Path, source: Path) -> str:
    import errno

    if isinstance(exc.filename, (str, bytes)) and os.fsdecode(exc.filename) == str(source):
        return f"cannot read the file: {exc.strerror or exc}"  # the source, not the library
    if exc.errno == errno.ENOSPC:
        return f"the disk holding the library ({root}) is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"the library folder {root} is read-only or not writable"
    return f"{exc.strerror or exc} ({exc.filename or root})"

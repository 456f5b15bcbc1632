"""The backup archive format: a zip file with a manifest of every member's hash.

    manifest.json               format, versions, creation time, every member's size and sha256
    library.sqlite              the database, a consistent snapshot (deflated)
    secret.key                  the pseudonym secret, when the library has one
    photos/ab/<sha256>.<ext>    every original a photos row references (stored, not compressed)

Everything here checks names and describes problems; `backup` reads and writes archives.
A member name is accepted only if it is one of the three shapes above, so nothing in
an archive can name a place outside the library, whatever zip tricks it uses.
"""

from __future__ import annotations

import errno
import json
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from hairtrack import __version__
from hairtrack.core.library import DB_FILENAME, SECRET_FILENAME
from hairtrack.core.storage import database

FORMAT_NAME = "hairtrack-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
PHOTOS_DIR = "photos"
#: A manifest is a few hundred bytes per photo; anything larger is not ours.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024

_PHOTO_FILE = re.compile(r"(?P<sha>[0-9a-f]{64})(\.[a-z0-9]{1,10})?")
_PHOTO_MEMBER = re.compile(r"photos/(?P<dir>[0-9a-f]{2})/(?P<sha>[0-9a-f]{64})(\.[a-z0-9]{1,10})?")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DRIVE = re.compile(r"^[A-Za-z]:")

#: What zipfile raises for a damaged member (bad header or CRC, broken deflate stream,
#: cut short, encrypted, unknown compression).
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError)


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why, for a person."""


@dataclass(frozen=True)
class Member:
    """One file in the archive as the manifest records it."""

    path: str
    size: int
    sha256: str

    @property
    def is_photo(self) -> bool:
        return self.path.startswith(PHOTOS_DIR + "/")

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Manifest:
    hairtrack_version: str
    schema_revision: str
    created_at: datetime
    members: tuple[Member, ...]

    @property
    def photos(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.is_photo)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "hairtrack_version": self.hairtrack_version,
                "schema_revision": self.schema_revision,
                "created_at": self.created_at.isoformat(),
                "members": [m.to_json() for m in self.members]}

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Parse and check a manifest; anything unexpected is a BackupError."""
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise BackupError("this is not a HairTrack backup (its manifest has another format)")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise BackupError(f"this backup has format version {version}, which this HairTrack "
                              "cannot read: update HairTrack to restore it")
        try:
            created = datetime.fromisoformat(str(data["created_at"]))
            revision, app_version = data["schema_revision"], data["hairtrack_version"]
            members = tuple(_member(item) for item in data["members"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"archive is damaged: its manifest is incomplete ({exc})") from exc
        if not isinstance(revision, str) or not isinstance(app_version, str):
            raise BackupError("archive is damaged: its manifest is incomplete")
        return cls(app_version, revision, created, members)


def _member(item: Any) -> Member:
    path, size, sha = item["path"], item["size"], item["sha256"]
    if not (isinstance(path, str) and isinstance(size, int) and not isinstance(size, bool)
            and size >= 0 and is_sha256(sha)):
        raise ValueError(f"bad entry {item!r}")
    return Member(path, size, sha)


def is_sha256(text: object) -> bool:
    """A lowercase hex SHA-256, as the store names files and the database records them."""
    return isinstance(text, str) and _SHA256.fullmatch(text) is not None


def photo_member_name(file_name: str) -> str:
    """The archive name of a photo-store file, checked to be a store name (`<sha>.<ext>`)."""
    match = _PHOTO_FILE.fullmatch(file_name)
    if match is None:
        raise BackupError(f"the photo store holds a file with an unexpected name: {file_name}")
    return f"{PHOTOS_DIR}/{match['sha'][:2]}/{file_name}"


def photo_sha256(member_name: str) -> str:
    """The hash a photo member's name promises (the name is already checked)."""
    return PurePosixPath(member_name).name[:64]


def check_member_name(name: str) -> None:
    """Refuse any name that could land outside the library or is not one of ours."""
    parts = name.split("/")
    if (name.startswith(("/", "\\")) or "\\" in name or _DRIVE.match(name)
            or ".." in parts or "\x00" in name):
        raise BackupError(f"archive contains a path outside the library: {name}")
    if name == MANIFEST_NAME or name in (DB_FILENAME, SECRET_FILENAME):
        return
    match = _PHOTO_MEMBER.fullmatch(name)
    if match is None or match["sha"][:2] != match["dir"]:
        raise BackupError(f"archive contains a file that does not belong in a library: {name}")


def check_entry(info: zipfile.ZipInfo) -> None:
    """A zip entry must be a plain file with one of our names."""
    check_member_name(info.filename)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise BackupError(f"archive contains a symbolic link: {info.filename}")
    kind = stat.S_IFMT(mode)  # zero when the zip records only permission bits
    if info.is_dir() or (kind and kind != stat.S_IFREG):
        raise BackupError(f"archive contains something other than a file: {info.filename}")


def target_path(root: Path, name: str) -> Path:
    """Where a checked member goes below `root`; asserts it really stays below it."""
    path = root.joinpath(*PurePosixPath(name).parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise BackupError(f"archive contains a path outside the library: {name}")
    return path


def describe_os_error(exc: OSError, folder: Path) -> str:
    """A one-line reason for a failed write into `folder`."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk holding {folder} is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        where = exc.filename or folder
        return f"cannot write to {where}: permission denied or read-only"
    return f"{exc.strerror or exc} ({exc.filename or folder})"


@contextmanager
def open_archive(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise BackupError(f"no backup file at {path}") from exc
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise BackupError(f"{path} is not a readable HairTrack backup: the archive is damaged "
                          f"or incomplete (truncated?): {exc}") from exc
    with archive:
        yield archive


def read_manifest(archive: zipfile.ZipFile) -> Manifest:
    """Check every entry and the manifest before a single byte is written."""
    names: set[str] = set()
    for info in archive.infolist():
        check_entry(info)
        if info.filename in names:
            raise BackupError(f"archive is damaged: it holds {info.filename} twice")
        names.add(info.filename)
    if MANIFEST_NAME not in names:
        raise BackupError(f"this is not a HairTrack backup: it has no {MANIFEST_NAME}")
    if archive.getinfo(MANIFEST_NAME).file_size > MAX_MANIFEST_BYTES:
        raise BackupError(f"archive is damaged: its {MANIFEST_NAME} is implausibly large")
    try:
        manifest = Manifest.from_json(json.loads(_read_member(archive, MANIFEST_NAME)))
    except ValueError as exc:
        raise BackupError(f"archive is damaged: its {MANIFEST_NAME} is not valid JSON") from exc
    listed = [m.path for m in manifest.members]
    for name in listed:
        check_member_name(name)
    if len(set(listed)) != len(listed) or MANIFEST_NAME in listed:
        raise BackupError("archive is damaged: its manifest lists a file twice")
    if unlisted := sorted(names - set(listed) - {MANIFEST_NAME}):
        raise BackupError(f"archive contains a file its manifest does not list: {unlisted[0]}")
    if missing := sorted(set(listed) - names):
        raise BackupError(f"archive is incomplete: {missing[0]} is listed but missing")
    if DB_FILENAME not in listed:
        raise BackupError(f"archive is incomplete: it holds no {DB_FILENAME}")
    if not database.is_known_revision(manifest.schema_revision):
        raise BackupError(f"this backup holds schema version {manifest.schema_revision}, which "
                          f"this HairTrack ({__version__}) does not know: it was made by a newer "
                          "HairTrack; update HairTrack to restore it")
    return manifest


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except (*UNREADABLE, OSError) as exc:
        raise BackupError(f"archive is damaged: {name} cannot be read ({exc})") from exc


__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MANIFEST_NAME", "MAX_MANIFEST_BYTES", "UNREADABLE",
           "BackupError", "Manifest", "Member", "check_entry", "check_member_name",
           "describe_os_error", "is_sha256", "open_archive", "photo_member_name", "photo_sha256",
           "read_manifest", "target_path"]

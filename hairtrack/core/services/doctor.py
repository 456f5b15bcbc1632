"""`hairtrack doctor`: is the library whole, and what can be repaired without losing data?

Findings come in two kinds. *Damage* needs a person (and usually a backup):
a photo row whose original is missing or no longer matches its checksum, a
database that fails SQLite's integrity or foreign-key checks, a broken audit
chain. *Fixable* findings lose nothing when repaired: crash leftovers in the
photo store, stale or unreadable cache files, loose permissions. Unreferenced
store files younger than the grace period are only noted, because an import
in another process may be about to commit the row that references them.
"""

from __future__ import annotations

import enum
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select, text

from hairtrack.core.library import Library, LibraryError
from hairtrack.core.progress import Progress, Task
from hairtrack.core.storage import audit, database, permissions
from hairtrack.core.storage.models import MeasurementRow, PatientRow, PhotoRow, VisitRow
from hairtrack.core.storage.photo_store import sha256_of
from hairtrack.core.storage.soft_delete import including_deleted

#: Unreferenced files younger than this may belong to an import still running elsewhere.
GRACE_SECONDS = 15 * 60
_STORE_TMP = ".incoming-"


class Severity(str, enum.Enum):
    DAMAGE = "damage"
    FIXABLE = "fixable"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str
    path: str | None = None
    repaired: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity.value, "message": self.message,
                "path": self.path, "repaired": self.repaired}


@dataclass(frozen=True)
class DoctorReport:
    findings: tuple[Finding, ...]
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[Finding]:
        """What still needs attention: all damage, and fixable findings not repaired."""
        return [f for f in self.findings
                if f.severity is Severity.DAMAGE
                or (f.severity is Severity.FIXABLE and not f.repaired)]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "problems": len(self.problems),
                "repaired": sum(f.repaired for f in self.findings), "checked": self.checked,
                "findings": [f.to_json() for f in self.findings]}


def examine(library: Library, *, repair: bool = False, verify_hashes: bool = True,
            grace_seconds: float = GRACE_SECONDS) -> Task[DoctorReport]:
    """Run every check; with `repair`, fix the fixable findings as they are found."""
    if repair and library.read_only:
        raise LibraryError(f"the library at {library.root} is read-only: it cannot be "
                           "repaired")
    findings: list[Finding] = []
    checked: dict[str, int] = {}
    yield Progress(0, 5, "database")
    findings += _database(library)
    yield Progress(1, 5, "photos")
    referenced, photo_findings = yield from _photos(library, verify_hashes, checked)
    findings += photo_findings
    yield Progress(2, 5, "photo store")
    findings += _store(library, referenced, repair, grace_seconds, checked)
    yield Progress(3, 5, "caches")
    findings += _caches(library, referenced, repair, checked)
    yield Progress(4, 5, "audit log and permissions")
    findings += _audit(library)
    findings += _permissions(library, repair, checked)
    yield Progress(5, 5, "done")
    return DoctorReport(tuple(findings), checked)


# -- the checks --------------------------------------------------------------------------------

def _database(library: Library) -> list[Finding]:
    found: list[Finding] = []
    current = database.current_revision(library.engine)
    if current != database.head_revision():
        found.append(Finding("schema", Severity.DAMAGE,
                             f"the database is at schema {current}, this HairTrack expects "
                             f"{database.head_revision()}"))
    if library.engine.dialect.name != "sqlite":
        return found
    with library.engine.connect() as connection:
        integrity = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
        if integrity != ["ok"]:
            found += [Finding("database", Severity.DAMAGE, f"SQLite integrity check: {line}")
                      for line in integrity[:20]]
        for table, rowid, parent, _fk in connection.execute(text("PRAGMA foreign_key_check")):
            found.append(Finding("database", Severity.DAMAGE,
                                 f"row {rowid} of {table} refers to a missing {parent} row"))
    return found


def _photos(library: Library, verify_hashes: bool,
            checked: dict[str, int]) -> Task[tuple[set[str], list[Finding]]]:
    found: list[Finding] = []
    with library.session() as session:
        rows = session.execute(
            select(PhotoRow.id, PhotoRow.sha256, PhotoRow.size_bytes, PhotoRow.original_name,
                   PatientRow.mrn)
            .join(VisitRow, PhotoRow.visit_id == VisitRow.id)
            .join(PatientRow, VisitRow.patient_id == PatientRow.id)
            .execution_options(**including_deleted())).all()
    for index, (photo_id, sha, size, name, mrn) in enumerate(rows):
        if index % 20 == 0:
            yield Progress(index, len(rows), f"photo {photo_id}")
        what = f"photo {photo_id} ({name}, patient {mrn})"
        path = library.store.path_for(sha)
        try:
            actual_size = path.stat().st_size
        except FileNotFoundError:
            found.append(Finding("photos", Severity.DAMAGE,
                                 f"{what}: its original is missing from the photo store; "
                                 "restore it from a backup", str(path)))
            continue
        except OSError as exc:
            found.append(Finding("photos", Severity.DAMAGE,
                                 f"{what}: its original cannot be read: {exc.strerror}",
                                 str(path)))
            continue
        if actual_size != size:
            found.append(Finding("photos", Severity.DAMAGE,
                                 f"{what}: its original has {actual_size} bytes, "
                                 f"{size} were imported; restore it from a backup", str(path)))
        elif verify_hashes:
            try:
                damaged = sha256_of(path) != sha
            except OSError as exc:
                found.append(Finding("photos", Severity.DAMAGE,
                                     f"{what}: its original cannot be read: {exc.strerror}",
                                     str(path)))
                continue
            if damaged:
                found.append(Finding("photos", Severity.DAMAGE,
                                     f"{what}: its original no longer matches its checksum "
                                     "(the file was damaged); restore it from a backup",
                                     str(path)))
    checked["photos"] = len(rows)
    return {sha for _, sha, _, _, _ in rows}, found


def _store(library: Library, referenced: set[str], repair: bool, grace_seconds: float,
           checked: dict[str, int]) -> list[Finding]:
    found: list[Finding] = []
    now = time.time()
    count = 0
    for path in _files(library.store.root):
        count += 1
        leftover = path.name.startswith(_STORE_TMP)
        if not leftover and path.name[:64] in referenced:
            continue
        what = ("an unfinished copy left by an interrupted import" if leftover
                else "a stored file that no photo refers to (left by an interrupted import)")
        try:
            young = now - path.stat().st_mtime < grace_seconds
        except OSError:
            continue  # renamed or removed meanwhile by an import in another process
        if young:
            found.append(Finding("photo store", Severity.NOTE,
                                 f"{what}; kept for now, an import may still be using it",
                                 str(path)))
            continue
        # An orphan is deleted under the write lock, after checking again that no row
        # (perhaps just added by another desktop) refers to it.
        fix = ((lambda p=path: _remove(p)) if leftover
               else (lambda sha=path.name[:64]: library.discard_unreferenced(sha)))
        found.append(_fix(Finding("photo store", Severity.FIXABLE, what, str(path)),
                          repair, fix))
    checked["store files"] = count
    return found


def _caches(library: Library, referenced: set[str], repair: bool,
            checked: dict[str, int]) -> list[Finding]:
    with library.session() as session:
        keys = set(session.scalars(select(MeasurementRow.cache_key)))
    found: list[Finding] = []
    count = 0
    for path in _files(library.cache_dir):
        count += 1
        kind = path.relative_to(library.cache_dir).parts[0]
        owner = path.name[:64]
        if ".tmp" in path.name:
            problem = "an unfinished cache file left by an interrupted write"
        elif (kind == "thumbs" and owner not in referenced) or (
                kind in ("masks", "aligned") and path.stem not in keys):
            problem = "a cached image of something no longer in the library"
        elif not _readable_image(path):
            problem = "a damaged cached image (it will be rebuilt)"
        else:
            continue
        found.append(_fix(Finding("cache", Severity.FIXABLE, problem, str(path)), repair,
                          lambda p=path: _remove(p)))
    checked["cache files"] = count
    return found


def _audit(library: Library) -> list[Finding]:
    with library.session() as session:
        problems = audit.verify(session)
    return [Finding("audit log", Severity.DAMAGE,
                    (f"entry {p.seq}: " if p.seq is not None else "") + p.problem
                    + " (the log was altered outside HairTrack)") for p in problems]


def _permissions(library: Library, repair: bool, checked: dict[str, int]) -> list[Finding]:
    """One finding for all loose modes: a library from before 0002 has hundreds."""
    if not permissions.POSIX:
        return []
    loose: list[tuple[Path, int]] = []
    count = 0
    for path, wanted in _private_paths(library):
        count += 1
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077 or mode & ~wanted:
            loose.append((path, wanted))
    checked["paths"] = count
    if not loose:
        return []
    finding = Finding("permissions", Severity.FIXABLE,
                      f"{len(loose)} file(s) and folder(s) can be read or changed by other "
                      "accounts (the library should be 0700, files 0600, originals 0400)",
                      str(loose[0][0]))

    def tighten() -> None:
        for path, wanted in loose:
            os.chmod(path, wanted)

    return [_fix(finding, repair, tighten)]


# -- helpers -----------------------------------------------------------------------------------

def _files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder, _dirs, names in os.walk(root):
        for name in names:
            yield Path(folder) / name


def _private_paths(library: Library) -> Iterator[tuple[Path, int]]:
    yield library.root, permissions.PRIVATE_DIR
    for folder, dirs, names in os.walk(library.root):
        base = Path(folder)
        for name in dirs:
            yield base / name, permissions.PRIVATE_DIR
        in_store = base == library.store.root or base.parent == library.store.root
        for name in names:
            original = in_store and not name.startswith(_STORE_TMP)
            yield base / name, (permissions.ORIGINAL_FILE if original
                                else permissions.PRIVATE_FILE)


def _readable_image(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception:  # any decoder complaint means the cache entry is unusable
        return False
    return True


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except PermissionError:
        os.chmod(path, permissions.PRIVATE_FILE)
        path.unlink(missing_ok=True)


def _fix(finding: Finding, repair: bool, action: Any) -> Finding:
    if not repair:
        return finding
    try:
        action()
    except OSError as exc:
        return Finding(finding.check, finding.severity,
                       f"{finding.message}; could not repair: {exc.strerror or exc}",
                       finding.path)
    return Finding(finding.check, finding.severity, finding.message, finding.path, True)

"""Import photos into a patient's record, one atomic unit per file.

Each file is hashed (a duplicate is reported, never stored twice), really
decoded (a bad file is rejected with its reason and the batch goes on),
copied into the content-addressed store and committed as a row. A crash at
any point leaves at most an unreferenced file, which the next import's
garbage collection removes; never a row without its file.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from hairtrack.core.domain import CaptureSource, Photo, View
from hairtrack.core.imaging import io
from hairtrack.core.library import Library, LibraryError
from hairtrack.core.progress import CancelToken, Progress, Task
from hairtrack.core.storage import audit, permissions, write_lock
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.audit import Action
from hairtrack.core.storage.models import PhotoRow, VisitRow
from hairtrack.core.storage.photo_store import StoreError, sha256_of

THUMBNAIL_SIZE = 320


@dataclass(frozen=True)
class ImportItem:
    """One file to import and where it goes; None fields are decided from the file."""

    path: Path
    view: View = View.VERTEX
    visit_id: int | None = None
    visit_date: date | None = None
    captured_at: datetime | None = None  # typed by hand; overrides EXIF and file time


@dataclass(frozen=True)
class ScannedFile:
    """What the import dialog shows before anything is imported."""

    path: Path
    captured_at: datetime
    capture_source: CaptureSource
    note: str | None


@dataclass(frozen=True)
class Imported:
    path: Path
    photo: Photo
    note: str | None = None


@dataclass(frozen=True)
class Duplicate:
    path: Path
    photo_id: int
    sha256: str


@dataclass(frozen=True)
class Rejected:
    path: Path
    reason: str


@dataclass(frozen=True)
class ImportReport:
    imported: tuple[Imported, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    cancelled: bool = False
    visit_ids: frozenset[int] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        shown = display_path
        return {
            "imported": [{"path": shown(i.path), "photo_id": i.photo.id, "sha256": i.photo.sha256,
                          "visit_id": i.photo.visit_id, "view": i.photo.view.value,
                          "captured_at": i.photo.captured_at.isoformat(),
                          "capture_source": i.photo.capture_source.value, "note": i.note}
                         for i in self.imported],
            "duplicates": [{"path": shown(d.path), "photo_id": d.photo_id, "sha256": d.sha256}
                           for d in self.duplicates],
            "rejected": [{"path": shown(r.path), "reason": r.reason} for r in self.rejected],
            "cancelled": self.cancelled,
        }


def display_path(path: Path | str) -> str:
    """`path` as text that any database, terminal or JSON file accepts.

    A file name that is not valid UTF-8 (e.g. Latin-1 bytes from an old camera card)
    reaches Python as lone surrogates, which SQLite and UTF-8 streams refuse; those
    bytes are shown as \\xNN instead.
    """
    text = str(path)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # lone UTF-16 halves, as Windows file names may hold
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def expand_paths(paths: Iterable[Path | str]) -> tuple[list[Path], list[Rejected]]:
    """Files given by name are all tried; folders contribute their image files, recursively.

    Folders are walked without following links to folders, so a link loop ends the walk
    instead of recursing forever; what cannot be read is reported, never silently lost.
    """
    files: list[Path] = []
    problems: list[Rejected] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        try:
            mode = path.stat().st_mode
        except OSError as exc:  # missing, a broken or looping link, a name too long...
            problems.append(Rejected(path, _unreachable(path, exc)))
            continue
        if stat.S_ISDIR(mode):
            found, unusable = _image_files_under(path)
            problems.extend(unusable)
            if not found and not unusable:
                problems.append(Rejected(path, "no photos found in this folder"))
        elif stat.S_ISREG(mode):
            found = [path]
        else:  # a pipe or device would block or never end
            problems.append(Rejected(path, "not a regular file"))
            continue
        for file in found:
            try:
                key = file.resolve()
            except (OSError, RuntimeError):  # RuntimeError: a link loop (Python < 3.13)
                key = file.absolute()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files, problems


def _image_files_under(folder: Path) -> tuple[list[Path], list[Rejected]]:
    """Regular files with an image suffix, hidden files and folders skipped."""
    found: list[Path] = []
    problems: list[Rejected] = []

    def unreadable(exc: OSError) -> None:
        where = Path(os.fsdecode(exc.filename)) if exc.filename is not None else folder
        problems.append(Rejected(where, f"cannot read folder: {exc.strerror or exc}"))

    for top, folders, names in os.walk(folder, onerror=unreadable):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            if name.startswith(".") or Path(name).suffix.lower() not in io.SUPPORTED_SUFFIXES:
                continue
            file = Path(top, name)
            try:
                regular = stat.S_ISREG(file.stat().st_mode)
            except OSError as exc:
                problems.append(Rejected(file, _unreachable(file, exc)))
                continue
            if regular:
                found.append(file)
            else:
                problems.append(Rejected(file, "not a regular file"))
    return sorted(found), sorted(problems, key=lambda problem: problem.path)


def _unreachable(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENAMETOOLONG:
        return "path is too long for this system"
    if exc.errno == errno.ENOENT:
        return "link points to a missing file" if path.is_symlink() else "no such file or folder"
    return f"cannot read: {exc.strerror or exc}"


def file_time(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)


def detect_capture_time(path: Path) -> ScannedFile:
    """EXIF DateTimeOriginal when plausible, else the file's modification time."""
    exif_time, note = io.probe_capture_time(path)
    if exif_time is not None:
        return ScannedFile(path, exif_time, CaptureSource.EXIF, None)
    return ScannedFile(path, file_time(path), CaptureSource.FILE, note)


def scan(paths: Sequence[Path | str], cancel: CancelToken | None = None,
         ) -> Task[tuple[list[ScannedFile], list[Rejected]]]:
    """Read capture times (headers only) so a dialog can propose visits before importing."""
    files, rejected = expand_paths(paths)
    scanned: list[ScannedFile] = []
    for index, path in enumerate(files):
        yield Progress(index, len(files), display_path(path.name))
        if cancel is not None and cancel.cancelled:  # after the yield: the caller may cancel there
            break
        try:
            scanned.append(detect_capture_time(path))
        except OSError as exc:
            rejected.append(Rejected(path, f"cannot read file: {exc.strerror or exc}"))
    return scanned, rejected


def import_paths(library: Library, patient_id: int, paths: Sequence[Path | str], *,
                 view: View = View.VERTEX, visit_date: date | None = None,
                 cancel: CancelToken | None = None) -> Task[ImportReport]:
    """The CLI's import: every file found under `paths`, one view, visits by date."""
    files, missing = expand_paths(paths)
    items = [ImportItem(p, view=view, visit_date=visit_date) for p in files]
    report = yield from import_items(library, patient_id, items, cancel=cancel)
    return ImportReport(report.imported, report.duplicates, tuple(missing) + report.rejected,
                        report.cancelled, report.visit_ids)


def import_items(library: Library, patient_id: int, items: Sequence[ImportItem], *,
                 cancel: CancelToken | None = None) -> Task[ImportReport]:
    if library.read_only:
        raise repo.Conflict(f"the library at {library.root} is read-only")
    for item in items:  # typed by hand: refuse a typo before anything is stored
        if item.visit_date is not None:
            repo.check_event_date(item.visit_date, "visit date")
        if item.captured_at is not None:
            repo.check_event_date(item.captured_at.date(), "capture date")
    with library.session() as session:
        repo.patient_row(session, patient_id)  # fail fast on a wrong patient
    library.collect_garbage()
    imported: list[Imported] = []
    duplicates: list[Duplicate] = []
    rejected: list[Rejected] = []
    visits: set[int] = set()
    cancelled = False
    for index, item in enumerate(items):
        yield Progress(index, len(items), display_path(item.path.name))
        if cancel is not None and cancel.cancelled:  # after the yield: the caller may cancel there
            cancelled = True
            break
        outcome = _import_one(library, patient_id, item)
        if isinstance(outcome, Imported):
            imported.append(outcome)
            visits.add(outcome.photo.visit_id)
        elif isinstance(outcome, Duplicate):
            duplicates.append(outcome)
        else:
            rejected.append(outcome)
    if not cancelled:
        yield Progress(len(items), len(items), "done")
    return ImportReport(tuple(imported), tuple(duplicates), tuple(rejected), cancelled,
                        frozenset(visits))


def _import_one(library: Library, patient_id: int,
                item: ImportItem) -> Imported | Duplicate | Rejected:
    path = item.path
    try:
        sha = sha256_of(path)
    except OSError as exc:
        return Rejected(path, f"cannot read file: {exc.strerror or exc}")
    with library.session() as session:
        known = _already_stored(session, path, sha)
    if known is not None:
        return known
    try:
        info = io.validate_image(path)
    except io.ImageError as exc:
        return Rejected(path, str(exc))
    note = info.exif_time_note
    if item.captured_at is not None:
        captured, source = item.captured_at.astimezone(timezone.utc), CaptureSource.MANUAL
    elif info.exif_time is not None:
        captured, source = info.exif_time, CaptureSource.EXIF
    else:
        captured, source = file_time(path), CaptureSource.FILE
    try:
        stored = library.store.add(path)
    except StoreError as exc:
        return Rejected(path, f"could not store the photo: {exc}")
    if stored.sha256 != sha:
        if stored.created:
            library.discard_unreferenced(stored.sha256)
        return Rejected(path, "file changed while it was being imported; try again")
    def record() -> Photo | Duplicate | Rejected:
        with library.session() as session:
            # Under the write lock, another desktop's import of this file (or its garbage
            # collection of an old copy) has either committed or not started.
            write_lock.acquire(session)
            known = _already_stored(session, path, sha)
            if known is not None:
                return known
            if not library.store.holds(sha):
                library.store.add(path)
            visit = _target_visit(session, patient_id, item, captured)
            row = PhotoRow(visit_id=visit.id, view=item.view.value, captured_at=captured,
                           capture_source=source.value, sha256=sha, size_bytes=stored.size_bytes,
                           width=info.width, height=info.height, media_type=info.media_type,
                           original_name=display_path(path.name)[:500])
            session.add(row)
            session.flush()
            audit.append(session, library.actor, Action.IMPORT, "photo", row.id,
                         f"imported {row.original_name} ({item.view.value}, "
                         f"{source.value} time {captured.isoformat(timespec='seconds')})",
                         patient_id)
            return repo.to_photo(row, patient_id)

    try:
        outcome = library.retrying(record)
    except (IntegrityError, OperationalError, LibraryError, StoreError, repo.NotFound,
            repo.Conflict) as exc:
        if stored.created:
            with suppress(LibraryError, OperationalError):
                library.discard_unreferenced(sha)
        reason = str(getattr(exc, "orig", None) or exc)
        return Rejected(path, f"could not record the photo: {reason}")
    if not isinstance(outcome, Photo):
        return outcome
    _thumbnail_quietly(library, stored.path, sha)
    return Imported(path, outcome, note)


def _already_stored(session: Session, path: Path, sha: str) -> Duplicate | Rejected | None:
    existing = repo.photo_by_hash(session, sha)
    if existing is None:
        return None
    if repo.in_trash(session, existing):
        return Rejected(path, "this photo is in the trash (it was deleted); restore it "
                              "from the trash instead of importing it again")
    return Duplicate(path, existing.id, sha)


def _target_visit(session: Session, patient_id: int, item: ImportItem,
                  captured: datetime) -> VisitRow:
    if item.visit_id is not None:
        visit = repo.visit_row(session, item.visit_id)
        if visit.patient_id != patient_id:
            raise repo.Conflict(f"visit {item.visit_id} belongs to another patient")
        return visit
    day = item.visit_date or captured.astimezone().date()
    return repo.visit_on_date(session, patient_id, day, None if item.visit_date else captured)


def _thumbnail_quietly(library: Library, original: Path, sha: str) -> None:
    """Thumbnails are a cache: failing to make one must not fail the import."""
    with suppress(io.ImageError, OSError):
        target = library.thumbnail_path(sha, THUMBNAIL_SIZE)
        permissions.private_dirs(target.parent, library.root)
        io.make_thumbnail(original, target, THUMBNAIL_SIZE)


def ensure_thumbnail(library: Library, photo: Photo, size: int = THUMBNAIL_SIZE) -> Path:
    """The cached thumbnail of `photo`, rebuilt if the cache was cleared."""
    target = library.thumbnail_path(photo.sha256, size)
    if not target.exists():
        original = library.store.path_for(photo.sha256)
        permissions.private_dirs(target.parent, library.root)
        io.make_thumbnail(original, target, size)
    return target


__all__ = ["Duplicate", "ImportItem", "ImportReport", "Imported", "Rejected", "ScannedFile",
           "detect_capture_time", "display_path", "ensure_thumbnail", "expand_paths",
           "import_items", "import_paths", "scan"]

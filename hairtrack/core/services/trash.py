"""Deleting patients, visits and photos moves them to a trash; purging really deletes.

A clinician who deletes the wrong visit must be able to take it back, so a
delete only marks the row (`deleted_at`, `deleted_by`); the soft-delete
filter hides it everywhere and its photo files stay in the store. Restoring
an item also restores the visit and patient it needs to be seen again.
Purging removes the rows (the database cascades to visits, photos and their
measurements) and then the files no remaining row references, after the
commit, so a crash can leave at most an unreferenced file (`doctor` removes
it), never a row without its file. Every step is in the audit log.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hairtrack.core.library import Library
from hairtrack.core.storage import audit, write_lock
from hairtrack.core.storage.audit import Action
from hairtrack.core.storage.models import PatientRow, PhotoRow, Trashable, VisitRow
from hairtrack.core.storage.repositories import Conflict, NotFound, check_version
from hairtrack.core.storage.soft_delete import including_deleted

RowT = TypeVar("RowT", PatientRow, VisitRow, PhotoRow)
TrashRow = PatientRow | VisitRow | PhotoRow


class Kind(str, enum.Enum):
    PATIENT = "patient"
    VISIT = "visit"
    PHOTO = "photo"


_ROWS: dict[Kind, type[PatientRow] | type[VisitRow] | type[PhotoRow]] = {
    Kind.PATIENT: PatientRow, Kind.VISIT: VisitRow, Kind.PHOTO: PhotoRow}


@dataclass(frozen=True)
class TrashEntry:
    kind: Kind
    id: int
    patient_id: int
    label: str
    deleted_at: datetime
    deleted_by: str
    photo_count: int  # the photos a purge of this entry removes for good


def delete_patient(library: Library, patient_id: int,
                   expected_version: int | None = None) -> None:
    """To the trash; `expected_version` refuses it when another desktop changed the patient
    after this one showed it (the user decided on what they saw)."""
    _move_to_trash(library, Kind.PATIENT, patient_id, expected_version)


def delete_visit(library: Library, visit_id: int, expected_version: int | None = None) -> None:
    _move_to_trash(library, Kind.VISIT, visit_id, expected_version)


def delete_photo(library: Library, photo_id: int) -> None:
    _move_to_trash(library, Kind.PHOTO, photo_id)


def list_trash(library: Library) -> list[TrashEntry]:
    """Newest deletion first."""
    with library.session() as session:
        entries: list[TrashEntry] = []
        for kind, model in _ROWS.items():
            rows: list[TrashRow] = list(session.scalars(
                select(model).where(model.deleted_at.is_not(None))
                .execution_options(**including_deleted())))
            entries += [_entry(session, kind, row) for row in rows]
    return sorted(entries, key=lambda e: e.deleted_at, reverse=True)


def restore(library: Library, kind: Kind, ident: int) -> None:
    """Bring the item back, with the visit and patient it belongs to when they are trashed."""
    with library.session() as session:
        row = _trashed_row(session, kind, ident)
        patient_id = _patient_id(session, kind, row)
        chain: list[TrashRow] = [row]
        if isinstance(row, PhotoRow):
            visit = _row(session, VisitRow, row.visit_id)
            chain += [visit, _row(session, PatientRow, visit.patient_id)]
        elif isinstance(row, VisitRow):
            chain.append(_row(session, PatientRow, row.patient_id))
        restored = [item for item in chain if item.deleted_at is not None]
        for item in restored:
            item.deleted_at, item.deleted_by = None, None
        also = [_describe(session, _kind_of(item), item) for item in restored[1:]]
        summary = f"restored {_describe(session, kind, row)} from the trash" + (
            f" (with {', '.join(also)})" if also else "")
        audit.append(session, library.actor, Action.RESTORE, kind.value, ident, summary,
                     patient_id)


def purge(library: Library, kind: Kind, ident: int) -> int:
    """Delete one trash entry for good; returns how many photo files were removed."""
    with library.session() as session:
        row = _trashed_row(session, kind, ident)
        patient_id = _patient_id(session, kind, row)
        hashes = _photo_hashes(session, kind, ident)
        summary = (f"purged {_describe(session, kind, row)} from the trash "
                   f"({len(hashes)} photo(s) removed for good)")
        model = _ROWS[kind]
        session.execute(delete(model).where(model.id == ident))
        audit.append(session, library.actor, Action.PURGE, kind.value, ident, summary,
                     patient_id)
    return _remove_unreferenced(library, hashes)


def empty_trash(library: Library) -> int:
    """Purge every entry; returns how many photo files were removed."""
    removed = 0
    for entry in list_trash(library):
        try:
            removed += purge(library, entry.kind, entry.id)
        except NotFound:  # went with an entry purged before it (its patient or visit)
            continue
    return removed


# -- internals ---------------------------------------------------------------------------------

def _move_to_trash(library: Library, kind: Kind, ident: int,
                   expected_version: int | None = None) -> None:
    with library.session() as session:
        row = _kind_row(session, kind, ident)
        if row.deleted_at is not None:
            raise Conflict(f"the {kind.value} is already in the trash")
        check_version(row, expected_version, _describe(session, kind, row), session,
                      kind.value, ident)
        patient_id = _patient_id(session, kind, row)
        row.deleted_at, row.deleted_by = datetime.now(timezone.utc), library.actor
        photos = len(_photo_hashes(session, kind, ident))
        detail = f" with {photos} photo(s)" if kind is not Kind.PHOTO else ""
        audit.append(session, library.actor, Action.DELETE, kind.value, ident,
                     f"moved {_describe(session, kind, row)}{detail} to the trash", patient_id)


def _row(session: Session, model: type[RowT], ident: int) -> RowT:
    row = session.get(model, ident, execution_options=including_deleted())
    if row is None:
        raise NotFound(f"no {model.__tablename__[:-1]} with id {ident}")
    return row


def _kind_row(session: Session, kind: Kind, ident: int) -> TrashRow:
    if kind is Kind.PATIENT:
        return _row(session, PatientRow, ident)
    if kind is Kind.VISIT:
        return _row(session, VisitRow, ident)
    return _row(session, PhotoRow, ident)


def _trashed_row(session: Session, kind: Kind, ident: int) -> TrashRow:
    row = _kind_row(session, kind, ident)
    if row.deleted_at is None:
        raise NotFound(f"the {kind.value} with id {ident} is not in the trash")
    return row


def _kind_of(row: Trashable) -> Kind:
    return next(kind for kind, model in _ROWS.items() if isinstance(row, model))


def _patient_id(session: Session, kind: Kind, row: TrashRow) -> int:
    if isinstance(row, PatientRow):
        return row.id
    if isinstance(row, VisitRow):
        return row.patient_id
    return _row(session, VisitRow, row.visit_id).patient_id


def _photo_hashes(session: Session, kind: Kind, ident: int) -> set[str]:
    query = select(PhotoRow.sha256).execution_options(**including_deleted())
    if kind is Kind.PHOTO:
        query = query.where(PhotoRow.id == ident)
    elif kind is Kind.VISIT:
        query = query.where(PhotoRow.visit_id == ident)
    else:
        visits = select(VisitRow.id).where(VisitRow.patient_id == ident)
        query = query.where(PhotoRow.visit_id.in_(visits))
    return set(session.scalars(query))


def _describe(session: Session, kind: Kind, row: Trashable) -> str:
    if isinstance(row, PatientRow):
        return f"patient {row.name} (MRN {row.mrn})"
    if isinstance(row, VisitRow):
        patient = _row(session, PatientRow, row.patient_id)
        return f"visit of {_day(row.visited_at)} of {patient.name}"
    assert isinstance(row, PhotoRow)
    visit = _row(session, VisitRow, row.visit_id)
    return f"photo {row.original_name} ({row.view}, visit of {_day(visit.visited_at)})"


def _day(moment: datetime) -> str:
    return moment.astimezone().date().isoformat()


def _entry(session: Session, kind: Kind, row: TrashRow) -> TrashEntry:
    assert row.deleted_at is not None
    return TrashEntry(kind, row.id, _patient_id(session, kind, row),
                      _describe(session, kind, row), row.deleted_at, row.deleted_by or "",
                      len(_photo_hashes(session, kind, row.id)))


def _remove_unreferenced(library: Library, hashes: set[str]) -> int:
    """Delete purged photos' files, under the write lock: another desktop may be
    importing the same photo again right now, and its row must not lose its file."""
    with library.session() as session:
        write_lock.acquire(session)
        still = set(session.scalars(select(PhotoRow.sha256).where(PhotoRow.sha256.in_(hashes))
                                    .execution_options(**including_deleted())))
        gone = sorted(hashes - still)
        for sha in gone:
            library.store.remove(sha)
    for sha in gone:
        for thumb in library.cache_dir.glob(f"thumbs/{sha[:2]}/{sha}-*"):
            thumb.unlink(missing_ok=True)
    return len(gone)


def trash_size(library: Library) -> int:
    with library.session() as session:
        return sum(session.scalar(select(func.count()).select_from(model)
                                  .where(model.deleted_at.is_not(None))
                                  .execution_options(**including_deleted())) or 0
                   for model in _ROWS.values())

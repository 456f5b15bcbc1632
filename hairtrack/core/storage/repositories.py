"""Repositories: take a Session, speak in domain objects.

Rows never leave this module; callers get frozen dataclasses so nothing
outside storage can lazily touch the database from the wrong thread.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hairtrack.core.domain import (
    CaptureSource,
    Patient,
    Photo,
    Sex,
    TreatmentEvent,
    TreatmentType,
    View,
    Visit,
)
from hairtrack.core.storage import write_lock
from hairtrack.core.storage.models import (
    AuditRow,
    PatientRow,
    PhotoRow,
    TreatmentEventRow,
    TreatmentTypeRow,
    Versioned,
    ViewSettingsRow,
    VisitRow,
)
from hairtrack.core.storage.soft_delete import including_deleted


class NotFound(LookupError):
    """A record the caller named does not exist."""


class Conflict(ValueError):
    """The change would break a uniqueness rule (e.g. a second patient with one MRN)."""


class ChangedElsewhere(Conflict):
    """Someone else (another desktop) changed the record since this copy was read."""


def check_version(row: Versioned, expected: int | None, what: str, session: Session,
                  entity: str, entity_id: int) -> None:
    """Refuse an edit made on a stale copy; None means the caller read it just now."""
    if expected is None or row.version == expected:
        return
    raise ChangedElsewhere(f"{what} was changed by {last_change_by(session, entity, entity_id)} "
                           "since you opened it; reload to see that change, then make yours "
                           "again")


def last_change_by(session: Session, entity: str, entity_id: int) -> str:
    """'alice at 14:02' from the audit log, or 'someone else' when it says nothing."""
    row = session.scalar(select(AuditRow).where(AuditRow.entity == entity,
                                                AuditRow.entity_id == entity_id)
                         .order_by(AuditRow.seq.desc()).limit(1))
    if row is None:
        return "someone else"
    return f"{row.actor} at {row.at.astimezone().strftime('%H:%M')}"


# ---- conversions --------------------------------------------------------------------------

def to_patient(row: PatientRow) -> Patient:
    return Patient(row.id, row.mrn, row.name, row.date_of_birth, Sex(row.sex), row.notes,
                   row.created_at, row.updated_at, row.version)


def to_treatment(row: TreatmentEventRow) -> TreatmentEvent:
    return TreatmentEvent(row.id, row.patient_id, row.date, row.type_code, row.type.label,
                          row.product, row.lot, row.dose, row.device_settings, row.clinician,
                          row.notes, row.version)


def to_visit(row: VisitRow, photo_count: int = 0) -> Visit:
    return Visit(row.id, row.patient_id, row.visited_at, row.notes, photo_count, row.version)


def to_photo(row: PhotoRow, patient_id: int, is_baseline: bool = False) -> Photo:
    return Photo(row.id, row.visit_id, patient_id, View(row.view), row.captured_at,
                 CaptureSource(row.capture_source), row.sha256, row.size_bytes, row.width,
                 row.height, row.media_type, row.original_name, row.imported_at, is_baseline)


# ---- patients -----------------------------------------------------------------------------

def patient_row_by_mrn(session: Session, mrn: str) -> PatientRow:
    row = session.scalar(select(PatientRow).where(PatientRow.mrn == mrn.strip()))
    if row is None:
        raise NotFound(f"no patient with MRN {mrn!r}")
    return row


def patient_row(session: Session, patient_id: int) -> PatientRow:
    row = session.get(PatientRow, patient_id)
    if row is None:
        raise NotFound(f"no patient with id {patient_id}")
    return row


def _mrn_clash(session: Session, mrn: str, patient_id: int | None = None) -> None:
    """MRNs are unique across the trash too: a deleted patient can still be restored.

    Checked under the write lock, so two desktops adding one MRN at once cannot both pass.
    """
    write_lock.acquire(session)
    query = select(PatientRow).where(PatientRow.mrn == mrn).execution_options(
        **including_deleted())
    if patient_id is not None:
        query = query.where(PatientRow.id != patient_id)
    clash = session.scalar(query)
    if clash is None:
        return
    if clash.deleted_at is not None:
        raise Conflict(f"a patient with MRN {mrn!r} is in the trash; restore that patient "
                       "or purge it from the trash first")
    raise Conflict(f"a patient with MRN {mrn!r} already exists")


def add_patient(session: Session, mrn: str, name: str, date_of_birth: date | None = None,
                sex: Sex = Sex.UNKNOWN, notes: str = "") -> Patient:
    mrn, name = _required_identity(mrn, name)
    check_birth_date(date_of_birth)
    _mrn_clash(session, mrn)
    row = PatientRow(mrn=mrn, name=name, date_of_birth=date_of_birth, sex=sex.value, notes=notes)
    session.add(row)
    session.flush()
    return to_patient(row)


def _required_identity(mrn: str, name: str) -> tuple[str, str]:
    mrn, name = mrn.strip(), name.strip()
    if not mrn:
        raise ValueError("a patient needs an MRN / external id")
    if not name:
        raise ValueError("a patient needs a name")
    _check_text("MRN / external id", mrn, PatientRow.mrn.type.length)
    _check_text("name", name, PatientRow.name.type.length)
    return mrn, name


def _check_text(what: str, text: str, limit: int | None) -> None:
    """Typed text is stored as typed, unless no database or report could hold it."""
    if limit is not None and len(text) > limit:
        raise ValueError(f"the {what} is too long ({len(text)} characters, at most {limit})")
    for char in text:
        # Cc: line breaks, tabs, NUL; Cs: bytes a terminal could not decode (from argv)
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"the {what} contains {char!a}, which is not printable text")


EARLIEST_DATE = date(1900, 1, 1)


def check_birth_date(day: date | None) -> None:
    if day is not None and day > date.today():
        raise ValueError(f"the date of birth {day.isoformat()} is in the future")
    if day is not None and day < EARLIEST_DATE:
        raise ValueError(f"the date of birth {day.isoformat()} is before 1900")


def check_event_date(day: date, what: str) -> None:
    """Visits and treatments: from 1900 to a year ahead (a planned session); else a typo."""
    latest = date.today() + timedelta(days=366)
    if not EARLIEST_DATE <= day <= latest:
        raise ValueError(f"the {what} {day.isoformat()} is not plausible (expected a date "
                         f"between {EARLIEST_DATE.isoformat()} and {latest.isoformat()})")


def update_patient(session: Session, patient_id: int, *, mrn: str, name: str,
                   date_of_birth: date | None, sex: Sex, notes: str) -> Patient:
    row = patient_row(session, patient_id)
    mrn, name = _required_identity(mrn, name)
    check_birth_date(date_of_birth)
    _mrn_clash(session, mrn, patient_id)
    row.mrn, row.name, row.date_of_birth = mrn, name, date_of_birth
    row.sex, row.notes = sex.value, notes
    session.flush()
    return to_patient(row)


def list_patients(session: Session, search: str = "") -> list[Patient]:
    query = select(PatientRow).order_by(func.lower(PatientRow.name), PatientRow.mrn)
    text = search.strip()
    if text:
        escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(or_(func.lower(PatientRow.name).like(pattern, escape="\\"),
                                func.lower(PatientRow.mrn).like(pattern, escape="\\")))
    return [to_patient(r) for r in session.scalars(query)]


# ---- treatments ---------------------------------------------------------------------------

def treatment_types(session: Session) -> list[TreatmentType]:
    rows = session.scalars(select(TreatmentTypeRow).order_by(TreatmentTypeRow.builtin.desc(),
                                                             TreatmentTypeRow.label))
    return [TreatmentType(r.code, r.label, r.builtin) for r in rows]


def resolve_treatment_type(session: Session, text: str) -> TreatmentTypeRow:
    """Accept a code or a label, case-insensitively."""
    key = text.strip().lower()
    for row in session.scalars(select(TreatmentTypeRow)):
        if key in (row.code.lower(), row.label.lower()):
            return row
    codes = ", ".join(t.code for t in treatment_types(session))
    raise NotFound(f"unknown treatment type {text!r}; known types: {codes}")


def add_treatment_type(session: Session, label: str) -> TreatmentType:
    label = label.strip()
    if not label:
        raise ValueError("a treatment type needs a name")
    code = "-".join(label.lower().split())
    write_lock.acquire(session)
    # Types are looked up by code or label, case-insensitively: both must stay unambiguous.
    clash = session.scalar(select(TreatmentTypeRow.code).where(or_(
        func.lower(TreatmentTypeRow.code).in_([code, label.lower()]),
        func.lower(TreatmentTypeRow.label).in_([code, label.lower()]))))
    if clash is not None:
        raise Conflict(f"treatment type {label!r} already exists")
    row = TreatmentTypeRow(code=code, label=label, builtin=False)
    session.add(row)
    session.flush()
    return TreatmentType(row.code, row.label, row.builtin)


def list_treatments(session: Session, patient_id: int) -> list[TreatmentEvent]:
    rows = session.scalars(select(TreatmentEventRow)
                           .where(TreatmentEventRow.patient_id == patient_id)
                           .order_by(TreatmentEventRow.date, TreatmentEventRow.id))
    return [to_treatment(r) for r in rows]


def treatment_row(session: Session, event_id: int) -> TreatmentEventRow:
    row = session.get(TreatmentEventRow, event_id)
    if row is None:
        raise NotFound(f"no treatment event with id {event_id}")
    return row


# ---- visits -------------------------------------------------------------------------------

def visit_row(session: Session, visit_id: int) -> VisitRow:
    row = session.get(VisitRow, visit_id)
    if row is None:
        raise NotFound(f"no visit with id {visit_id}")
    return row


def _local_midnight(day: date) -> datetime:
    """Midnight starting `day` in local time, in UTC, with that date's own DST offset."""
    return datetime.combine(day, datetime.min.time()).astimezone().astimezone(timezone.utc)


def visit_on_date(session: Session, patient_id: int, day: date,
                  when: datetime | None = None) -> VisitRow:
    """The patient's visit on `day` (local calendar), created if there is none.

    Looked up under the write lock: two desktops importing that day's photos at once
    share one visit instead of creating one each.
    """
    write_lock.acquire(session)
    start, end = _local_midnight(day), _local_midnight(day + timedelta(days=1))
    row = session.scalar(select(VisitRow).where(VisitRow.patient_id == patient_id,
                                                VisitRow.visited_at >= start,
                                                VisitRow.visited_at < end)
                         .order_by(VisitRow.visited_at))
    if row is None:
        at = when if when is not None else start + timedelta(hours=12)
        row = VisitRow(patient_id=patient_id, visited_at=at.astimezone(timezone.utc))
        session.add(row)
        session.flush()
    elif when is not None and when < row.visited_at:
        row.visited_at = when.astimezone(timezone.utc)  # a visit starts at its first photo
    return row


def list_visits(session: Session, patient_id: int) -> list[Visit]:
    counts = (select(PhotoRow.visit_id, func.count(PhotoRow.id).label("n"))
              .group_by(PhotoRow.visit_id).subquery())
    rows = session.execute(select(VisitRow, func.coalesce(counts.c.n, 0))
                           .outerjoin(counts, counts.c.visit_id == VisitRow.id)
                           .where(VisitRow.patient_id == patient_id)
                           .order_by(VisitRow.visited_at))
    return [to_visit(v, int(n)) for v, n in rows]


# ---- photos -------------------------------------------------------------------------------

def photo_row(session: Session, photo_id: int) -> PhotoRow:
    row = session.get(PhotoRow, photo_id)
    if row is None:
        raise NotFound(f"no photo with id {photo_id}")
    return row


def photo_by_hash(session: Session, sha256: str) -> PhotoRow | None:
    """Trashed photos too: the same bytes are never stored twice."""
    return session.scalar(select(PhotoRow).where(PhotoRow.sha256 == sha256)
                          .execution_options(**including_deleted()))


def in_trash(session: Session, photo: PhotoRow) -> bool:
    """True when the photo, its visit or its patient has been deleted."""
    visit = session.scalar(select(VisitRow).where(VisitRow.id == photo.visit_id)
                           .execution_options(**including_deleted()))
    patient = None if visit is None else session.scalar(
        select(PatientRow).where(PatientRow.id == visit.patient_id)
        .execution_options(**including_deleted()))
    return any(row is None or row.deleted_at is not None for row in (photo, visit, patient))


def baseline_ids(session: Session, patient_id: int) -> dict[View, int]:
    """Each view's baseline: the clinician's pick, else the earliest photo of that view."""
    chosen = {View(r.view): r.baseline_photo_id
              for r in session.scalars(select(ViewSettingsRow)
                                       .where(ViewSettingsRow.patient_id == patient_id))
              if r.baseline_photo_id is not None}
    rows = list(session.execute(select(PhotoRow.id, PhotoRow.view)
                                .join(VisitRow, PhotoRow.visit_id == VisitRow.id)
                                .where(VisitRow.patient_id == patient_id)
                                .order_by(VisitRow.visited_at, PhotoRow.captured_at,
                                          PhotoRow.id)))
    result: dict[View, int] = {}
    for photo_id, view in rows:
        result.setdefault(View(view), photo_id)
    visible = {photo_id for photo_id, _ in rows}
    # a chosen baseline that went to the trash falls back to the earliest photo
    result.update({view: pid for view, pid in chosen.items() if pid in visible})
    return result


def list_photos(session: Session, patient_id: int) -> list[Photo]:
    baselines = set(baseline_ids(session, patient_id).values())
    rows = session.scalars(select(PhotoRow).join(VisitRow, PhotoRow.visit_id == VisitRow.id)
                           .where(VisitRow.patient_id == patient_id)
                           .order_by(VisitRow.visited_at, PhotoRow.view, PhotoRow.captured_at,
                                     PhotoRow.id))
    return [to_photo(r, patient_id, r.id in baselines) for r in rows]


def view_settings(session: Session, patient_id: int, view: View) -> ViewSettingsRow:
    """The patient's settings for `view`, created if missing.

    A missing row is looked for again under the write lock before it is added, so two
    desktops opening a new view at once share one row.
    """
    query = select(ViewSettingsRow).where(ViewSettingsRow.patient_id == patient_id,
                                          ViewSettingsRow.view == view.value)
    row = session.scalar(query)
    if row is None:
        write_lock.acquire(session)
        row = session.scalar(query)
    if row is None:
        row = ViewSettingsRow(patient_id=patient_id, view=view.value)
        session.add(row)
        session.flush()
    return row

"""Use cases over the patient record: each call is one unit of work.

The GUI and the CLI call these and receive frozen domain objects; neither
ever holds a Session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select

from hairtrack.core.domain import Patient, Photo, Sex, TreatmentEvent, TreatmentType, View, Visit
from hairtrack.core.library import Library
from hairtrack.core.services import trash
from hairtrack.core.storage import audit
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.audit import Action
from hairtrack.core.storage.models import TreatmentEventRow, ViewSettingsRow, VisitRow
from hairtrack.core.storage.repositories import ChangedElsewhere, Conflict, NotFound

__all__ = ["ChangedElsewhere", "Conflict", "NotFound", "PatientRecord", "TreatmentFields"]


@dataclass(frozen=True)
class TreatmentFields:
    date: date
    type: str  # code or label
    product: str = ""
    lot: str = ""
    dose: str = ""
    device_settings: str = ""
    clinician: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PatientRecord:
    """Everything a patient workspace shows, read in one consistent snapshot."""

    patient: Patient
    visits: tuple[Visit, ...]
    treatments: tuple[TreatmentEvent, ...]
    photos: tuple[Photo, ...]


def add_patient(library: Library, mrn: str, name: str, date_of_birth: date | None = None,
                sex: Sex = Sex.UNKNOWN, notes: str = "") -> Patient:
    with library.session() as session:
        patient = repo.add_patient(session, mrn, name, date_of_birth, sex, notes)
        audit.append(session, library.actor, Action.CREATE, "patient", patient.id,
                     f"added patient {patient.name} (MRN {patient.mrn})", patient.id)
        return patient


def update_patient(library: Library, patient_id: int, *, mrn: str, name: str,
                   date_of_birth: date | None, sex: Sex, notes: str,
                   expected_version: int | None = None) -> Patient:
    """`expected_version` is the version the form was filled from; another is a conflict."""
    with library.session() as session:
        row = repo.patient_row(session, patient_id)
        repo.check_version(row, expected_version, f"patient {row.name} (MRN {row.mrn})",
                           session, "patient", patient_id)
        before = repo.to_patient(row)
        after = repo.update_patient(session, patient_id, mrn=mrn, name=name,
                                    date_of_birth=date_of_birth, sex=sex, notes=notes)
        changed = [label for label, field in (("MRN", "mrn"), ("name", "name"),
                                              ("date of birth", "date_of_birth"),
                                              ("sex", "sex"), ("notes", "notes"))
                   if getattr(before, field) != getattr(after, field)]
        if changed:
            audit.append(session, library.actor, Action.EDIT, "patient", patient_id,
                         f"changed {', '.join(changed)} of patient {after.name} "
                         f"(MRN {after.mrn})", patient_id)
        return after


def list_patients(library: Library, search: str = "") -> list[Patient]:
    with library.session() as session:
        return repo.list_patients(session, search)


def patient_by_mrn(library: Library, mrn: str) -> Patient:
    with library.session() as session:
        return repo.to_patient(repo.patient_row_by_mrn(session, mrn))


def patient_record(library: Library, patient_id: int) -> PatientRecord:
    with library.session() as session:
        patient = repo.to_patient(repo.patient_row(session, patient_id))
        return PatientRecord(patient, tuple(repo.list_visits(session, patient_id)),
                             tuple(repo.list_treatments(session, patient_id)),
                             tuple(repo.list_photos(session, patient_id)))


def treatment_types(library: Library) -> list[TreatmentType]:
    with library.session() as session:
        return repo.treatment_types(session)


def add_treatment_type(library: Library, label: str) -> TreatmentType:
    with library.session() as session:
        added = repo.add_treatment_type(session, label)
        audit.append(session, library.actor, Action.CREATE, "treatment type", None,
                     f"added treatment type {added.label} ({added.code})")
        return added


def add_treatment(library: Library, patient_id: int, fields: TreatmentFields) -> TreatmentEvent:
    with library.session() as session:
        repo.patient_row(session, patient_id)
        type_row = repo.resolve_treatment_type(session, fields.type)
        row = TreatmentEventRow(patient_id=patient_id, type_code=type_row.code)
        _fill_treatment(row, fields)
        session.add(row)
        session.flush()
        session.refresh(row)
        event = repo.to_treatment(row)
        audit.append(session, library.actor, Action.CREATE, "treatment", event.id,
                     f"recorded {_treatment_text(event)}", patient_id)
        return event


def update_treatment(library: Library, event_id: int, fields: TreatmentFields,
                     expected_version: int | None = None) -> TreatmentEvent:
    with library.session() as session:
        row = repo.treatment_row(session, event_id)
        repo.check_version(row, expected_version, "this treatment", session, "treatment",
                           event_id)
        row.type_code = repo.resolve_treatment_type(session, fields.type).code
        _fill_treatment(row, fields)
        session.flush()
        session.refresh(row)
        event = repo.to_treatment(row)
        audit.append(session, library.actor, Action.EDIT, "treatment", event_id,
                     f"changed treatment to {_treatment_text(event)}", row.patient_id)
        return event


def _fill_treatment(row: TreatmentEventRow, fields: TreatmentFields) -> None:
    repo.check_event_date(fields.date, "treatment date")
    row.date = fields.date
    row.product, row.lot, row.dose = fields.product, fields.lot, fields.dose
    row.device_settings, row.clinician, row.notes = (fields.device_settings, fields.clinician,
                                                      fields.notes)


def _treatment_text(event: TreatmentEvent) -> str:
    details = "; ".join(f"{label} {value}" for label, value in (
        ("product", event.product), ("lot", event.lot), ("dose", event.dose),
        ("device", event.device_settings), ("clinician", event.clinician)) if value)
    return f"{event.type_label} on {event.date.isoformat()}" + (f" ({details})" if details
                                                                 else "")


def delete_treatment(library: Library, event_id: int,
                     expected_version: int | None = None) -> None:
    """Treatment events are deleted at once; the audit entry keeps everything they said."""
    with library.session() as session:
        row = repo.treatment_row(session, event_id)
        repo.check_version(row, expected_version, "this treatment", session, "treatment",
                           event_id)
        event, patient_id = repo.to_treatment(row), row.patient_id
        session.delete(row)
        audit.append(session, library.actor, Action.DELETE, "treatment", event_id,
                     f"deleted {_treatment_text(event)}", patient_id)


def add_visit(library: Library, patient_id: int, visited_at: datetime, notes: str = "") -> Visit:
    if visited_at.tzinfo is None:
        raise ValueError("visit time must carry a timezone")
    repo.check_event_date(visited_at.date(), "visit date")
    with library.session() as session:
        repo.patient_row(session, patient_id)
        row = VisitRow(patient_id=patient_id, visited_at=visited_at.astimezone(timezone.utc),
                       notes=notes)
        session.add(row)
        session.flush()
        visit = repo.to_visit(row)
        audit.append(session, library.actor, Action.CREATE, "visit", visit.id,
                     f"added a visit on {_day(visit.visited_at)}", patient_id)
        return visit


def update_visit(library: Library, visit_id: int, visited_at: datetime, notes: str,
                 expected_version: int | None = None) -> Visit:
    if visited_at.tzinfo is None:
        raise ValueError("visit time must carry a timezone")
    repo.check_event_date(visited_at.date(), "visit date")
    with library.session() as session:
        row = repo.visit_row(session, visit_id)
        repo.check_version(row, expected_version, f"the visit of {_day(row.visited_at)}",
                           session, "visit", visit_id)
        was = row.visited_at
        row.visited_at, row.notes = visited_at.astimezone(timezone.utc), notes
        session.flush()
        audit.append(session, library.actor, Action.EDIT, "visit", visit_id,
                     f"changed the visit of {_day(was)}"
                     + (f" to {_day(row.visited_at)}" if _day(was) != _day(row.visited_at)
                        else ""), row.patient_id)
        return repo.to_visit(row, len(row.photos))


def _day(moment: datetime) -> str:
    return moment.astimezone().date().isoformat()


def delete_visit(library: Library, visit_id: int, expected_version: int | None = None) -> None:
    """The visit and its photos go to the trash, from where they can be restored."""
    with library.session() as session:
        repo.visit_row(session, visit_id)  # NotFound for an unknown or trashed visit
    trash.delete_visit(library, visit_id, expected_version)


def set_photo_view(library: Library, photo_id: int, view: View) -> None:
    """A photo that changes view stops being its old view's baseline."""
    with library.session() as session:
        photo = repo.photo_row(session, photo_id)
        if photo.view != view.value:
            for settings in session.scalars(select(ViewSettingsRow).where(
                    ViewSettingsRow.baseline_photo_id == photo.id)):
                settings.baseline_photo_id = None  # its view falls back to the earliest photo
            audit.append(session, library.actor, Action.EDIT, "photo", photo_id,
                         f"changed the view of photo {photo.original_name} from {photo.view} "
                         f"to {view.value}", photo.visit.patient_id)
        photo.view = view.value


def move_photo(library: Library, photo_id: int, visit_id: int) -> None:
    with library.session() as session:
        photo = repo.photo_row(session, photo_id)
        target = repo.visit_row(session, visit_id)
        if target.patient_id != photo.visit.patient_id:
            raise Conflict("a photo can only move to a visit of the same patient")
        if photo.visit_id != visit_id:
            audit.append(session, library.actor, Action.EDIT, "photo", photo_id,
                         f"moved photo {photo.original_name} from the visit of "
                         f"{_day(photo.visit.visited_at)} to the visit of "
                         f"{_day(target.visited_at)}", target.patient_id)
        photo.visit_id = visit_id


def set_baseline(library: Library, photo_id: int) -> None:
    """Make this photo its view's baseline for its patient."""
    with library.session() as session:
        photo = repo.photo_row(session, photo_id)
        settings = repo.view_settings(session, photo.visit.patient_id, View(photo.view))
        settings.baseline_photo_id = photo.id
        audit.append(session, library.actor, Action.EDIT, "photo", photo_id,
                     f"made photo {photo.original_name} the {photo.view} baseline",
                     photo.visit.patient_id)

"""What the report dialog offers for a patient, read in one background call; no Qt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.services import records
from hairtrack.core.services.progress_series import progress_series
from hairtrack.report import deidentify


@dataclass(frozen=True)
class PatientChoices:
    """What the dialog offers, read in the background when it opens."""

    mrn: str
    name: str
    views: tuple[View, ...]
    first_day: date | None
    last_day: date | None
    code: str | None
    code_problem: str | None


def load_choices(library: Library, patient_id: int) -> PatientChoices:
    series = progress_series(library, patient_id)
    patient = records.patient_record(library, patient_id).patient
    views = tuple(s.view for s in series.views if s.points)
    days = [p.visited_at.astimezone().date() for s in series.views for p in s.points]
    code = problem = None
    try:
        code = deidentify.pseudonym(library.root, patient.mrn)
    except deidentify.SecretUnavailable as exc:
        problem = str(exc)
    return PatientChoices(patient.mrn, patient.name, views, min(days, default=None),
                          max(days, default=None), code, problem)


def suggested_name(ident: str, today: date) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", ident).strip("-") or "patient"
    return f"HairTrack report {safe} {today.isoformat()}.pdf"


def export_problem(choices: PatientChoices | None, views_chosen: bool,
                   period: tuple[date, date] | None, path_text: str, deidentify: bool) -> str:
    """Why an export with these choices cannot start, in words the user can act on.

    Empty when it can. A de-identified report must not carry the patient's
    name or MRN even in its file name.
    """
    if choices is None:
        return "The patient's record is still being read."
    if not views_chosen:
        return "Choose at least one view (analyse the patient's photos first)."
    if period is not None and period[0] > period[1]:
        return "The period starts after it ends."
    text = path_text.strip()
    if not text:
        return "Choose where to save the report."
    path = Path(text)
    if path.suffix.lower() != ".pdf":
        return "The file name must end in .pdf."
    if not path.parent.is_dir():
        return f"The folder {path.parent} does not exist."
    if deidentify:
        lowered = path.name.lower()
        leaks = [s for s in (choices.mrn, choices.name, *choices.name.split())
                 if len(s) >= 3 and s.lower() in lowered]
        if leaks:
            return ("The file name contains the patient's name or MRN; a de-identified "
                    "report must not. Use the suggested name or another one.")
    return ""

"""How dates, ages and intervals read in every view: one spelling everywhere.

Dates are written with the month's name ("3 Nov 2025") so they cannot be
misread between day-first and month-first conventions.
"""

from __future__ import annotations

from datetime import date, datetime

from hairtrack.core.domain import Patient, Sex, day_text


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone().date()
    return day_text(value)


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone()
    return f"{day(local)}, {local:%H:%M}"


def local_date(value: datetime) -> date:
    return value.astimezone().date()


def age(born: date | None, on: date | None = None) -> int | None:
    if born is None:
        return None
    on = on or date.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


SEX_WORDS = {Sex.FEMALE: "Female", Sex.MALE: "Male", Sex.OTHER: "Other", Sex.UNKNOWN: ""}


def patient_summary(patient: Patient) -> str:
    """'MRN DEMO-001 · Male · 41 years · born 12 May 1984'."""
    parts = [f"MRN {patient.mrn}"]
    if SEX_WORDS.get(patient.sex):
        parts.append(SEX_WORDS[patient.sex])
    years = age(patient.date_of_birth)
    if years is not None and patient.date_of_birth is not None:
        parts.append(f"{years} years")
        parts.append(f"born {day(patient.date_of_birth)}")
    return "  ·  ".join(parts)


def since(start: date | None, when: date) -> str:
    """Interval from the first record: 'Start', '+12 days', '+3 wk', '+4.5 mo'."""
    if start is None:
        return ""
    days = (when - start).days
    if days == 0:
        return "Start"
    sign = "+" if days > 0 else "−"
    days = abs(days)
    if days < 14:
        return f"{sign}{days} day{'s' if days != 1 else ''}"
    if days < 60:
        return f"{sign}{round(days / 7)} wk"
    months = days / 30.44
    text = f"{months:.1f}".rstrip("0").rstrip(".")
    return f"{sign}{text} mo"


def count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def humanise(code: str) -> str:
    """'low_contrast' or 'low-contrast' -> 'Low contrast'."""
    text = code.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else code

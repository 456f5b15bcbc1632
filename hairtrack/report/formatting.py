"""How numbers and dates are printed in a report, in one place.

Tests format the stored measurements with these same functions and look for
the result in the PDF's text, so what is printed is exactly what was stored.
ASCII signs keep numbers copyable into spreadsheets.
"""

from __future__ import annotations

from datetime import date, datetime

from hairtrack.core.domain import day_text


def coverage(value: float | None) -> str:
    """A coverage fraction as a percentage: 0.3012 -> '30.1 %'."""
    return "-" if value is None else f"{value * 100.0:.1f} %"


def uncertainty(value: float | None) -> str:
    """An expanded uncertainty fraction as percentage points: 0.021 -> '± 2.1 pp'."""
    return "-" if value is None else f"± {value * 100.0:.1f} pp"


def change_pp(value: float | None) -> str:
    """A change already in percentage points: 28.16 -> '+28.2 pp'."""
    return "-" if value is None else f"{_signed(value)} pp"


def relative(value: float | None) -> str:
    """A relative change fraction: 0.937 -> '+93.7 %'."""
    return "-" if value is None else f"{_signed(value * 100.0)} %"


def _signed(value: float) -> str:
    """One decimal with its sign; a change that rounds to zero is '0.0', never '-0.0'."""
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def significance(significant: bool | None) -> str:
    if significant is None:
        return "-"
    return "Yes" if significant else "No"


def day(value: date | datetime | None) -> str:
    """'3 Nov 2025': unambiguous in every locale, unlike 03/11/2025."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.date()
    return day_text(value)


def moment(value: datetime) -> str:
    return f"{day(value)}, {value.strftime('%H:%M')}"


def period(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "-"
    return f"{day(start)} – {day(end)}"

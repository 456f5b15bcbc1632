"""Printed numbers: one decimal, explicit signs, no '-0.0', unambiguous dates."""

from __future__ import annotations

from datetime import date, datetime, timezone

from hairtrack.report import formatting as fmt


def test_numbers() -> None:
    assert fmt.coverage(0.30149) == "30.1 %"
    assert fmt.coverage(None) == "-"
    assert fmt.uncertainty(0.0215) == "± 2.1 pp"
    assert fmt.change_pp(28.16) == "+28.2 pp"
    assert fmt.change_pp(-3.04) == "-3.0 pp"
    assert fmt.change_pp(-0.04) == "0.0 pp"
    assert fmt.change_pp(0.04) == "0.0 pp"
    assert fmt.relative(0.9371) == "+93.7 %"
    assert fmt.relative(-0.0004) == "0.0 %"
    assert fmt.significance(True) == "Yes" and fmt.significance(None) == "-"


def test_dates() -> None:
    assert fmt.day(date(2025, 11, 3)) == "3 Nov 2025"
    assert fmt.day(datetime(2026, 2, 14, 23, 0, tzinfo=timezone.utc)) == "14 Feb 2026"
    assert fmt.period(date(2025, 11, 3), date(2026, 11, 3)) == "3 Nov 2025 – 3 Nov 2026"
    assert fmt.period(None, None) == "-"

"""Progress series: uncertainty and significance from stored measurements.

Measurements are written directly (no image work) so the statistics are
tested against numbers chosen by hand.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from hairtrack.core.domain import View
from hairtrack.core.imaging.coverage_notes import NO_SCALP_NOTE
from hairtrack.core.library import Library
from hairtrack.core.services import records
from hairtrack.core.services.progress_series import (
    COVERAGE_FACTOR,
    METHOD_SD,
    MIN_CONFIDENCE,
    progress_series,
)
from hairtrack.core.storage.models import MeasurementRow, PhotoRow

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)


def _photo(library: Library, visit_id: int, view: View, n: int, when: datetime) -> int:
    with library.session() as session:
        row = PhotoRow(visit_id=visit_id, view=view.value, captured_at=when,
                       capture_source="manual", sha256=f"{n:064x}", size_bytes=1, width=10,
                       height=10, media_type="image/jpeg", original_name=f"{n}.jpg")
        session.add(row)
        session.flush()
        return row.id


def _measure(library: Library, photo_id: int, baseline_id: int, coverage: float | None,
             confidence: float = 1.0, reason: str | None = None,
             warnings: tuple[str, ...] = ()) -> None:
    with library.session() as session:
        session.add(MeasurementRow(photo_id=photo_id, baseline_photo_id=baseline_id,
                                   cache_key="k", aligned=coverage is not None,
                                   alignment_reason=reason, coverage=coverage,
                                   coverage_confidence=confidence, roi_automatic=True,
                                   warnings=list(warnings), algorithm_version="test"))


@pytest.fixture
def patient(library: Library) -> int:
    return records.add_patient(library, "P-1", "Test Patient").id


def _visit(library: Library, patient: int, days: int) -> int:
    return records.add_visit(library, patient, T0 + timedelta(days=days)).id


def test_change_and_significance(library: Library, patient: int) -> None:
    v0, v1, v2 = (_visit(library, patient, d) for d in (0, 90, 180))
    base = _photo(library, v0, View.VERTEX, 1, T0)
    small = _photo(library, v1, View.VERTEX, 2, T0 + timedelta(days=90))
    large = _photo(library, v2, View.VERTEX, 3, T0 + timedelta(days=180))
    _measure(library, base, base, 0.40)
    _measure(library, small, base, 0.41)
    _measure(library, large, base, 0.50)
    series = progress_series(library, patient).view(View.VERTEX)
    assert series is not None
    first, second, third = series.points
    assert first.is_baseline and first.change_pp is None
    assert second.change_pp == pytest.approx(1.0)
    expanded_change = COVERAGE_FACTOR * (2 ** 0.5) * METHOD_SD * 100
    assert second.significant is (expanded_change < 1.0)
    assert third.change_pp == pytest.approx(10.0)
    assert third.change_relative == pytest.approx(0.25)
    assert third.significant is True
    assert first.uncertainty == pytest.approx(COVERAGE_FACTOR * METHOD_SD)
    assert first.uncertainty_source == "method"


def test_repeat_photos_set_the_uncertainty(library: Library, patient: int) -> None:
    v0, v1 = _visit(library, patient, 0), _visit(library, patient, 30)
    base = _photo(library, v0, View.VERTEX, 1, T0)
    repeats = [_photo(library, v1, View.VERTEX, n, T0 + timedelta(days=30, minutes=n))
               for n in (2, 3, 4)]
    _measure(library, base, base, 0.40)
    for pid, value in zip(repeats, (0.44, 0.50, 0.56), strict=True):
        _measure(library, pid, base, value)
    point = progress_series(library, patient).view(View.VERTEX).points[1]
    assert point.coverage == pytest.approx(0.50)
    assert point.uncertainty_source == "repeat photos"
    assert point.uncertainty == pytest.approx(COVERAGE_FACTOR * 0.06)
    # 10 pp change but +-2 x hypot(6, 1) pp uncertainty: not significant
    assert point.significant is False


def test_low_confidence_widens_uncertainty(library: Library, patient: int) -> None:
    v0 = _visit(library, patient, 0)
    base = _photo(library, v0, View.VERTEX, 1, T0)
    _measure(library, base, base, 0.40, confidence=0.5)
    point = progress_series(library, patient).view(View.VERTEX).points[0]
    assert point.uncertainty == pytest.approx(COVERAGE_FACTOR * METHOD_SD / 0.5)


def test_too_low_confidence_gives_no_number(library: Library, patient: int) -> None:
    v0, v1 = _visit(library, patient, 0), _visit(library, patient, 30)
    base = _photo(library, v0, View.VERTEX, 1, T0)
    murky = _photo(library, v1, View.VERTEX, 2, T0 + timedelta(days=30))
    _measure(library, base, base, 0.40)
    _measure(library, murky, base, 0.15, confidence=MIN_CONFIDENCE / 2)
    series = progress_series(library, patient).view(View.VERTEX)
    assert [p.visit_id for p in series.points] == [v0]
    reason = dict(series.unmeasured)[murky]
    assert "could not be told apart" in reason


def test_dense_hair_with_no_scalp_in_view_is_explained(library: Library, patient: int) -> None:
    """Coverage at its ceiling is not a number to compare, and retaking would not help."""
    v0 = _visit(library, patient, 0)
    base = _photo(library, v0, View.VERTEX, 1, T0)
    _measure(library, base, base, 1.0, confidence=0.25, warnings=(NO_SCALP_NOTE,))
    series = progress_series(library, patient).view(View.VERTEX)
    reason = dict(series.unmeasured)[base]
    assert "no bare scalp in view" in reason and "retake" not in reason


def test_unmeasured_photos_are_listed_with_reasons(library: Library, patient: int) -> None:
    v0, v1 = _visit(library, patient, 0), _visit(library, patient, 30)
    base = _photo(library, v0, View.VERTEX, 1, T0)
    refused = _photo(library, v1, View.VERTEX, 2, T0 + timedelta(days=30))
    pending = _photo(library, v1, View.FRONTAL, 3, T0 + timedelta(days=30))
    _measure(library, base, base, 0.40)
    _measure(library, refused, base, None, reason="too few matching features")
    series = progress_series(library, patient)
    vertex = series.view(View.VERTEX)
    assert [p.visit_id for p in vertex.points] == [v0]
    assert (refused, "too few matching features") in vertex.unmeasured
    frontal = series.view(View.FRONTAL)
    assert frontal.points == () and frontal.unmeasured == ((pending, "not analysed yet"),)


def test_change_since_previous_treatment(library: Library, patient: int) -> None:
    v0, v1, v2 = (_visit(library, patient, d) for d in (0, 60, 120))
    ids = [_photo(library, v, View.VERTEX, n, T0 + timedelta(days=d))
           for n, (v, d) in enumerate(((v0, 0), (v1, 60), (v2, 120)), start=1)]
    for pid, value in zip(ids, (0.40, 0.45, 0.52), strict=True):
        _measure(library, pid, ids[0], value)
    records.add_treatment(library, patient, records.TreatmentFields(date(2026, 1, 5), "prp"))
    session3 = records.add_treatment(
        library, patient, records.TreatmentFields(date(2026, 3, 20), "exosome-injection"))
    series = progress_series(library, patient)
    last = series.view(View.VERTEX).points[-1]
    assert last.since_treatment == session3
    assert last.change_since_treatment_pp == pytest.approx(7.0)  # from the day-60 visit
    assert series.to_json()["views"][0]["points"][-1]["since_treatment_id"] == session3.id

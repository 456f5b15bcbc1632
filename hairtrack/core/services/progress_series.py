"""Coverage over time per view, with an honest uncertainty for every point.

A point's standard uncertainty is the spread of repeat photos of that view
within the visit when there are several, and never less than the method's
measured sensitivity to lighting and framing (`METHOD_SD`). Error bars show
the expanded uncertainty (k = 2, about 95 %). A change is significant only if
it exceeds the expanded uncertainty of the difference between the two points.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hairtrack.core.domain import Patient, TreatmentEvent, View
from hairtrack.core.imaging.coverage_notes import NO_SCALP_NOTE
from hairtrack.core.library import Library
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.models import MeasurementRow, PhotoRow, VisitRow

#: Standard uncertainty of one coverage measurement (fraction): the spread of repeat
#: photographs of one unchanged scalp through the whole pipeline (pose, exposure, white
#: balance, noise, blur, JPEG; align -> warp -> coverage), about 2 points for dark hair
#: (benchmarks/bench_analysis.py, "Repeatability"). Lower-confidence photos get more.
METHOD_SD = 0.02
COVERAGE_FACTOR = 2.0  # expanded uncertainty, about 95 %
#: Below this confidence the hair/scalp separation is too weak to report a number at all.
MIN_CONFIDENCE = 0.3


@dataclass(frozen=True)
class SeriesPoint:
    visit_id: int
    visited_at: datetime
    photo_ids: tuple[int, ...]
    coverage: float
    uncertainty: float  # expanded (k=2), as a fraction like coverage
    uncertainty_source: str  # "repeat photos" or "method"
    confidence: float
    is_baseline: bool
    change_pp: float | None  # percentage points since the baseline
    change_relative: float | None  # relative change since the baseline, as a fraction
    significant: bool | None
    since_treatment: TreatmentEvent | None = None
    change_since_treatment_pp: float | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ViewSeries:
    view: View
    baseline_photo_id: int
    points: tuple[SeriesPoint, ...]
    unmeasured: tuple[tuple[int, str], ...]  # (photo id, why it has no number)
    roi_automatic: bool

    @property
    def baseline(self) -> SeriesPoint | None:
        return next((p for p in self.points if p.is_baseline), None)

    @property
    def latest(self) -> SeriesPoint | None:
        return self.points[-1] if self.points else None


@dataclass(frozen=True)
class ProgressSeries:
    patient: Patient
    views: tuple[ViewSeries, ...]
    treatments: tuple[TreatmentEvent, ...]

    def view(self, view: View) -> ViewSeries | None:
        return next((s for s in self.views if s.view == view), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "patient": {"id": self.patient.id, "mrn": self.patient.mrn},
            "method_sd": METHOD_SD, "coverage_factor": COVERAGE_FACTOR,
            "views": [{
                "view": s.view.value, "baseline_photo_id": s.baseline_photo_id,
                "roi_automatic": s.roi_automatic,
                "points": [_point_json(p) for p in s.points],
                "unmeasured": [{"photo_id": pid, "reason": why} for pid, why in s.unmeasured],
            } for s in self.views],
            "treatments": [{"id": t.id, "date": t.date.isoformat(), "type": t.type_code,
                            "label": t.type_label, "product": t.product, "notes": t.notes}
                           for t in self.treatments],
        }


def _point_json(p: SeriesPoint) -> dict[str, Any]:
    return {"visit_id": p.visit_id, "date": p.visited_at.isoformat(),
            "photo_ids": list(p.photo_ids), "coverage": p.coverage,
            "uncertainty": p.uncertainty, "uncertainty_source": p.uncertainty_source,
            "confidence": p.confidence, "is_baseline": p.is_baseline,
            "change_pp": p.change_pp, "change_relative": p.change_relative,
            "significant": p.significant,
            "since_treatment_id": p.since_treatment.id if p.since_treatment else None,
            "change_since_treatment_pp": p.change_since_treatment_pp,
            "warnings": list(p.warnings)}


@dataclass(frozen=True)
class _Sample:
    photo_id: int
    visit_id: int
    visited_at: datetime
    view: View
    measurement: MeasurementRow | None


def progress_series(library: Library, patient_id: int) -> ProgressSeries:
    with library.session() as session:
        patient = repo.to_patient(repo.patient_row(session, patient_id))
        treatments = tuple(repo.list_treatments(session, patient_id))
        baselines = repo.baseline_ids(session, patient_id)
        rows = session.execute(
            select(PhotoRow, VisitRow, MeasurementRow)
            .join(VisitRow, PhotoRow.visit_id == VisitRow.id)
            .outerjoin(MeasurementRow, MeasurementRow.photo_id == PhotoRow.id)
            .where(VisitRow.patient_id == patient_id)
            .order_by(VisitRow.visited_at, PhotoRow.id)).all()
        samples = [_Sample(p.id, v.id, v.visited_at, View(p.view), m) for p, v, m in rows]
        for sample in samples:  # detach what we read so it can leave the session
            if sample.measurement is not None:
                session.expunge(sample.measurement)
    views = tuple(_view_series(view, baselines[view], [s for s in samples if s.view == view],
                               treatments)
                  for view in View if view in baselines)
    return ProgressSeries(patient, views, treatments)


def _view_series(view: View, baseline_id: int, samples: list[_Sample],
                 treatments: tuple[TreatmentEvent, ...]) -> ViewSeries:
    unmeasured: list[tuple[int, str]] = []
    by_visit: dict[int, list[_Sample]] = {}
    baseline_visit = next(s.visit_id for s in samples if s.photo_id == baseline_id)
    roi_automatic = True
    for s in samples:
        m = s.measurement
        if m is None:
            unmeasured.append((s.photo_id, "not analysed yet"))
        elif m.baseline_photo_id != baseline_id:
            unmeasured.append((s.photo_id, "measured against another baseline; re-analyse"))
        elif m.coverage is None:
            unmeasured.append((s.photo_id, m.alignment_reason or "no coverage measured"))
        elif NO_SCALP_NOTE in m.warnings:
            unmeasured.append((s.photo_id, "no bare scalp in view (dense hair): coverage is at "
                               "its ceiling, so there is no number to compare"))
        elif (m.coverage_confidence or 0.0) < MIN_CONFIDENCE:
            unmeasured.append((s.photo_id, "hair and scalp could not be told apart reliably "
                               f"(confidence {m.coverage_confidence or 0.0:.2f}): retake"))
        else:
            if s.photo_id == baseline_id:
                roi_automatic = m.roi_automatic
            by_visit.setdefault(s.visit_id, []).append(s)
    points: list[SeriesPoint] = []
    base: tuple[float, float] | None = None  # coverage, standard uncertainty
    for visit_id, group in sorted(by_visit.items(), key=lambda kv: kv[1][0].visited_at):
        if visit_id == baseline_visit:  # the baseline photo alone defines the reference
            group = [s for s in group if s.photo_id == baseline_id] or group
        values = [float(s.measurement.coverage) for s in group
                  if s.measurement is not None and s.measurement.coverage is not None]
        confidence = min(float(s.measurement.coverage_confidence or 0.0)
                         for s in group if s.measurement is not None)
        mean = statistics.fmean(values)
        spread = statistics.stdev(values) if len(values) >= 2 else 0.0
        standard = max(METHOD_SD, spread) / max(confidence, 0.25)
        source = "repeat photos" if spread > METHOD_SD else "method"
        is_base = visit_id == baseline_visit
        if is_base:
            base = (mean, standard)
        change = change_rel = None
        significant = None
        if base is not None and not is_base:
            change = (mean - base[0]) * 100.0
            change_rel = (mean - base[0]) / base[0] if base[0] > 0 else None
            combined = COVERAGE_FACTOR * math.hypot(standard, base[1]) * 100.0
            significant = abs(change) > combined
        warnings = tuple(dict.fromkeys(w for s in group if s.measurement is not None
                                       for w in s.measurement.warnings))
        points.append(SeriesPoint(visit_id, group[0].visited_at,
                                  tuple(s.photo_id for s in group), mean,
                                  COVERAGE_FACTOR * standard, source, confidence, is_base,
                                  change, change_rel, significant, warnings=warnings))
    return ViewSeries(view, baseline_id, tuple(_with_treatment_changes(points, treatments)),
                      tuple(unmeasured), roi_automatic)


def _with_treatment_changes(points: list[SeriesPoint],
                            treatments: tuple[TreatmentEvent, ...]) -> list[SeriesPoint]:
    """Attach to each point the change since the latest treatment before it."""
    out: list[SeriesPoint] = []
    for point in points:
        day = point.visited_at.date()
        before = [t for t in treatments if t.date < day]
        if not before:
            out.append(point)
            continue
        event = before[-1]
        anchor = [p for p in points if p.visited_at.date() <= event.date]
        change = (point.coverage - anchor[-1].coverage) * 100.0 if anchor else None
        out.append(replace(point, since_treatment=event, change_since_treatment_pp=change))
    return out

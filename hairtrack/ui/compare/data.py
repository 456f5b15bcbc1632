"""One consistent read of what the comparison view shows, and how to describe it.

The snapshot is read in the background (one call per service) and is plain
frozen data; the describing functions turn it into the short, honest labels
of the panes and the alignment bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from hairtrack.core.domain import Measurement, Photo, Region, View, Visit, day_text
from hairtrack.core.library import Library
from hairtrack.core.services import measurements as measurement_service
from hairtrack.core.services import records
from hairtrack.core.services.progress_series import ProgressSeries, SeriesPoint, progress_series
from hairtrack.ui.compare.loaders import GainLossResult

#: Alignment scores are 0.5 + 0.5 * (smallest margin over the checks): below this an
#: alignment passed its checks only narrowly, and the clinician should look before trusting it.
MARGINAL_SCORE = 0.6


@dataclass(frozen=True)
class Snapshot:
    record: records.PatientRecord
    measurements: dict[int, Measurement]
    regions: dict[View, Region | None]
    series: ProgressSeries | None
    series_error: str | None = None
    visits: dict[int, Visit] = field(default_factory=dict)

    @property
    def patient_id(self) -> int:
        return self.record.patient.id

    def views(self) -> list[View]:
        present = {p.view for p in self.record.photos}
        return [v for v in View if v in present]

    def photos_of(self, view: View) -> list[Photo]:
        """A view's photos in time order (visit, then capture time)."""
        photos = [p for p in self.record.photos if p.view == view]
        return sorted(photos, key=lambda p: (self._visit_time(p), p.captured_at, p.id))

    def photo(self, photo_id: int) -> Photo | None:
        return next((p for p in self.record.photos if p.id == photo_id), None)

    def baseline(self, view: View) -> Photo | None:
        photos = self.photos_of(view)
        return next((p for p in photos if p.is_baseline), photos[0] if photos else None)

    def latest_follow_up(self, view: View) -> int | None:
        """The latest photo of the view that is not the baseline (else the baseline)."""
        baseline = self.baseline(view)
        others = [p for p in self.photos_of(view) if baseline is None or p.id != baseline.id]
        chosen = others[-1] if others else baseline
        return chosen.id if chosen is not None else None

    def visit_number(self, photo: Photo) -> int:
        ordered = sorted(self.visits.values(), key=lambda v: v.visited_at)
        return next((i for i, v in enumerate(ordered, start=1) if v.id == photo.visit_id), 0)

    def visit_date(self, photo: Photo) -> datetime:
        return self._visit_time(photo)

    def point(self, photo: Photo) -> SeriesPoint | None:
        if self.series is None:
            return None
        view = self.series.view(photo.view)
        if view is None:
            return None
        return next((p for p in view.points if photo.id in p.photo_ids), None)

    def _visit_time(self, photo: Photo) -> datetime:
        visit = self.visits.get(photo.visit_id)
        return visit.visited_at if visit is not None else photo.captured_at


def load_snapshot(library: Library, patient_id: int) -> Snapshot:
    """Runs on a reader thread: a few small queries, no pixels."""
    record = records.patient_record(library, patient_id)
    found = measurement_service.measurements(library, patient_id)
    views = {p.view for p in record.photos}
    regions = {view: measurement_service.region(library, patient_id, view) for view in views}
    series: ProgressSeries | None = None
    error = None
    try:
        series = progress_series(library, patient_id)
    except Exception as exc:  # the labels fall back to per-photo numbers
        error = str(exc) or type(exc).__name__
    return Snapshot(record, found, regions, series, error, {v.id: v for v in record.visits})


# ---- describing -------------------------------------------------------------------------------

def format_day(moment: datetime) -> str:
    return day_text(moment.astimezone().date())


def months_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / (86400 * 30.44)


def photo_caption(snapshot: Snapshot, photo: Photo, baseline: Photo | None) -> str:
    """`Baseline · 3 Nov 2025 · visit 1` or `3 Feb 2026 · visit 4 · +3 mo`."""
    when = format_day(snapshot.visit_date(photo))
    parts = ["Baseline" if photo.is_baseline else "Follow-up", when,
             f"visit {snapshot.visit_number(photo)}"]
    if baseline is not None and photo.id != baseline.id:
        months = months_between(snapshot.visit_date(baseline), snapshot.visit_date(photo))
        parts.append(f"{months:+.0f} mo" if abs(months) >= 0.95 else
                     f"{months * 30.44:+.0f} days")
    return " · ".join(parts)


def coverage_caption(snapshot: Snapshot, photo: Photo, baseline: Photo | None) -> str:
    """Coverage with its uncertainty and, for a follow-up, the change and its significance."""
    m = snapshot.measurements.get(photo.id)
    if m is None:
        return "not analysed yet"
    if baseline is not None and m.baseline_photo_id != baseline.id:
        return "measured against another baseline; analyse again"
    if m.coverage is None:
        return "no coverage: " + (m.alignment_reason or "not measured")
    withheld = unreported_reason(snapshot, photo)
    if withheld is not None:  # the same rule as the progress chart: no number at all
        return f"coverage not reported: {withheld}"
    text = f"coverage {m.coverage * 100:.1f} %"
    point = snapshot.point(photo)
    if point is not None:
        text += f" ± {point.uncertainty * 100:.1f}"
    if baseline is not None and photo.id != baseline.id:
        base = snapshot.measurements.get(baseline.id)
        if base is not None and base.coverage is not None \
                and unreported_reason(snapshot, baseline) is None:
            change = (m.coverage - base.coverage) * 100
            text += f" ({change:+.1f} pp"
            if point is not None and point.significant is not None:
                text += ", significant" if point.significant else ", within uncertainty"
            text += ")"
    return text


def unreported_reason(snapshot: Snapshot, photo: Photo) -> str | None:
    """Why the progress series withholds this photo's number (e.g. low confidence), if it does."""
    if snapshot.series is None:
        return None
    view = snapshot.series.view(photo.view)
    if view is None:
        return None
    return next((why for pid, why in view.unmeasured if pid == photo.id), None)


def photo_warnings(snapshot: Snapshot, photo: Photo) -> tuple[str, ...]:
    """Capture and measurement warnings; alignment refusals are shown by the banner instead."""
    m = snapshot.measurements.get(photo.id)
    if m is None:
        return ()
    return tuple(w for w in m.warnings if not w.startswith("not aligned to the baseline"))


@dataclass(frozen=True)
class AlignmentStatus:
    level: str  # "ok", "marginal", "refused", "missing", "stale", "baseline", "none"
    summary: str  # one line for the alignment bar
    warning: str = ""  # shown in the warning banner when not empty

    @property
    def usable(self) -> bool:
        """An aligned image and matrix exist and belong to the current baseline."""
        return self.level in ("ok", "marginal", "baseline")


def alignment_status(snapshot: Snapshot, photo: Photo | None,
                     baseline: Photo | None) -> AlignmentStatus:
    if photo is None or baseline is None:
        return AlignmentStatus("none", "")
    m = snapshot.measurements.get(photo.id)
    if photo.id == baseline.id:
        return AlignmentStatus("baseline", "Showing the baseline itself: choose a follow-up visit")
    if m is None:
        return AlignmentStatus("missing", "Not analysed yet",
                               "This photo has not been analysed: aligned views, the gain/loss "
                               "map and coverage appear after analysis.")
    if m.baseline_photo_id != baseline.id:
        return AlignmentStatus("stale", "Aligned to a previous baseline",
                               "This photo was analysed against another baseline photo. "
                               "Analyse again before comparing.")
    if not m.aligned or m.matrix is None:
        reason = m.alignment_reason or "no reason recorded"
        return AlignmentStatus("refused", f"Alignment refused: {reason}",
                               f"Alignment refused: {reason}. Aligned views, blend, wipe and "
                               "the gain/loss map are unavailable. Compare the originals, or "
                               "set the alignment with landmarks.")
    summary = _quality_text(m)
    if m.alignment_model == "manual":
        return AlignmentStatus("ok", f"Manual alignment (landmarks) · {summary}")
    q = m.quality
    if q is not None and q.score < MARGINAL_SCORE:
        return AlignmentStatus("marginal", f"Automatic alignment ({m.alignment_model}) · {summary}",
                               f"Alignment quality is poor (score {q.score:.2f}): it passed "
                               "its checks only narrowly. Check the wipe view before trusting "
                               "the comparison, or set landmarks.")
    return AlignmentStatus("ok", f"Automatic alignment ({m.alignment_model}) · {summary}")


def _quality_text(m: Measurement) -> str:
    q = m.quality
    if q is None:
        return "quality not recorded"
    rmse = (f"RMSE {q.reprojection_rmse_px:.2f} px" if math.isfinite(q.reprojection_rmse_px)
            else "RMSE n/a")
    return (f"score {q.score:.2f} · {q.inliers} inliers ({q.inlier_ratio * 100:.0f} %) · "
            f"{rmse} · overlap {q.overlap * 100:.0f} %")


Header = tuple[str, str, tuple[str, ...]]  # title, detail, warnings


def pane_headers(snap: Snapshot, baseline: Photo, follow: Photo, composite_mode: str | None,
                 aligned: bool, region_automatic: bool) -> tuple[Header, Header]:
    """Title, detail and warnings of the baseline pane and of the follow-up (or composite) pane."""
    region = ("region: automatic default (dashed outline)" if region_automatic
              else "region: drawn by clinician")
    base_cov = coverage_caption(snap, baseline, baseline)
    left = (photo_caption(snap, baseline, baseline), f"{base_cov} · {region}",
            photo_warnings(snap, baseline))
    follow_text = photo_caption(snap, follow, baseline)
    follow_cov = coverage_caption(snap, follow, baseline)
    warnings = photo_warnings(snap, follow)
    if composite_mode is not None:
        title = f"{composite_mode} · baseline ↔ {follow_text.removeprefix('Follow-up · ')}"
        return left, (title, f"{follow_cov} · aligned to baseline", warnings)
    shown = "aligned to baseline" if aligned else "original photo"
    if follow.id == baseline.id:
        shown = "same photo as the baseline"
    return left, (follow_text, f"{follow_cov} · {shown}", warnings)


def strip_caption(snap: Snapshot, photo: Photo, base: Photo | None) -> str:
    day = format_day(snap.visit_date(photo))
    if base is not None and photo.id == base.id:
        second = "Baseline"
    elif base is not None:
        months = months_between(snap.visit_date(base), snap.visit_date(photo))
        second = f"{months:+.0f} mo"
    else:
        second = ""
    m = snap.measurements.get(photo.id)
    if m is not None and m.coverage is not None:
        second += f" · {m.coverage * 100:.1f} %"
    elif m is not None and not m.aligned:
        second += " · not aligned"
    return f"{day}\n{second}"


def gain_loss_text(result: GainLossResult | None, loading: bool) -> str:
    if result is None:
        return "Computing…" if loading else ""
    s = result.summary
    if s.net_change_pp is None or s.clear_gain is None or s.clear_loss is None:
        return "No overlap between the photos to compare."
    where = "in the region" if s.within_region else "in the overlap"
    text = (f"Net {s.net_change_pp:+.1f} pp hair coverage {where}; clear local gain over "
            f"{s.clear_gain * 100:.0f} %, clear loss over {s.clear_loss * 100:.0f} % of it.")
    if s.compared_fraction < 0.95:
        text += f" Only {s.compared_fraction * 100:.0f} % could be compared."
    return text

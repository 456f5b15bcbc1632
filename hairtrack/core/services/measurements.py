"""What the clinician sets per view (baseline region, manual landmarks) and what was measured.

Changing a region or landmarks changes the affected photos' cache keys, so
the next analysis re-measures exactly those photos and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from hairtrack.core.domain import AlignmentQuality, Measurement, Region, View
from hairtrack.core.library import Library
from hairtrack.core.storage import audit, write_lock
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.audit import Action
from hairtrack.core.storage.models import ManualAlignmentRow, MeasurementRow, PhotoRow, VisitRow

Point = tuple[float, float]


def set_region(library: Library, patient_id: int, view: View,
               polygon: Sequence[Point]) -> Region:
    """Store the region of interest, drawn on the view's current baseline photo."""
    if len(polygon) < 3:
        raise ValueError("a region needs at least 3 points")
    with library.session() as session:
        baseline_id = repo.baseline_ids(session, patient_id).get(view)
        if baseline_id is None:
            raise repo.NotFound(f"the patient has no {view.label} photo to draw a region on")
        settings = repo.view_settings(session, patient_id, view)
        settings.region = [[float(x), float(y)] for x, y in polygon]
        settings.region_photo_id = baseline_id
        audit.append(session, library.actor, Action.EDIT, "region", baseline_id,
                     f"drew the {view.value} region ({len(polygon)} points) on photo "
                     f"{baseline_id}", patient_id)
        return Region(patient_id, view, baseline_id,
                      tuple((float(x), float(y)) for x, y in polygon))


def clear_region(library: Library, patient_id: int, view: View) -> None:
    with library.session() as session:
        settings = repo.view_settings(session, patient_id, view)
        if settings.region:
            audit.append(session, library.actor, Action.EDIT, "region", settings.region_photo_id,
                         f"cleared the {view.value} region (back to the automatic region)",
                         patient_id)
        settings.region, settings.region_photo_id = None, None


def region(library: Library, patient_id: int, view: View) -> Region | None:
    """The drawn region, or None when the automatic default applies."""
    with library.session() as session:
        baseline_id = repo.baseline_ids(session, patient_id).get(view)
        settings = repo.view_settings(session, patient_id, view)
        if not settings.region or settings.region_photo_id != baseline_id or baseline_id is None:
            return None
        return Region(patient_id, view, baseline_id,
                      tuple((float(x), float(y)) for x, y in settings.region))


def set_manual_alignment(library: Library, photo_id: int, reference_points: Sequence[Point],
                         moving_points: Sequence[Point]) -> None:
    """Clicked landmark pairs (full-resolution pixels) that replace automatic alignment."""
    if len(reference_points) != len(moving_points):
        raise ValueError("each landmark needs a point in both photos")
    if len(reference_points) < 3:
        raise ValueError("manual alignment needs at least 3 landmark pairs")
    with library.session() as session:
        write_lock.acquire(session)  # one row per photo, whoever saves first
        photo = repo.photo_row(session, photo_id)
        patient_id = photo.visit.patient_id
        baseline_id = repo.baseline_ids(session, patient_id)[View(photo.view)]
        if baseline_id == photo_id:
            raise ValueError("the baseline photo needs no alignment")
        row = session.scalar(select(ManualAlignmentRow)
                             .where(ManualAlignmentRow.photo_id == photo_id))
        if row is None:
            row = ManualAlignmentRow(photo_id=photo_id)
            session.add(row)
        row.baseline_photo_id = baseline_id
        row.reference_points = [[float(x), float(y)] for x, y in reference_points]
        row.moving_points = [[float(x), float(y)] for x, y in moving_points]
        audit.append(session, library.actor, Action.EDIT, "alignment", photo_id,
                     f"set manual alignment of photo {photo.original_name} from "
                     f"{len(reference_points)} landmark pairs", patient_id)


def manual_alignment(library: Library, photo_id: int
                     ) -> tuple[list[Point], list[Point]] | None:
    """The stored landmark pairs (baseline points, photo points), if set against the
    view's current baseline; pairs clicked against an older baseline no longer apply."""
    with library.session() as session:
        row = session.scalar(select(ManualAlignmentRow)
                             .where(ManualAlignmentRow.photo_id == photo_id))
        if row is None:
            return None
        photo = repo.photo_row(session, photo_id)
        baseline_id = repo.baseline_ids(session, photo.visit.patient_id).get(View(photo.view))
        if row.baseline_photo_id != baseline_id:
            return None
        return ([(float(x), float(y)) for x, y in row.reference_points],
                [(float(x), float(y)) for x, y in row.moving_points])


def clear_manual_alignment(library: Library, photo_id: int) -> None:
    with library.session() as session:
        row = session.scalar(select(ManualAlignmentRow)
                             .where(ManualAlignmentRow.photo_id == photo_id))
        if row is not None:
            photo = repo.photo_row(session, photo_id)
            session.delete(row)
            audit.append(session, library.actor, Action.EDIT, "alignment", photo_id,
                         f"removed the manual alignment of photo {photo.original_name}",
                         photo.visit.patient_id)


def measurements(library: Library, patient_id: int) -> dict[int, Measurement]:
    """Stored measurements of a patient's photos, by photo id."""
    with library.session() as session:
        rows = session.scalars(select(MeasurementRow)
                               .join(PhotoRow, MeasurementRow.photo_id == PhotoRow.id)
                               .join(VisitRow, PhotoRow.visit_id == VisitRow.id)
                               .where(VisitRow.patient_id == patient_id))
        return {r.photo_id: to_measurement(r) for r in rows}


def to_measurement(row: MeasurementRow) -> Measurement:
    quality = None
    if row.quality:
        q = row.quality
        rmse = q.get("reprojection_rmse_px")
        quality = AlignmentQuality(float(q.get("score", 0.0)), int(q.get("inliers", 0)),
                                   float(q.get("inlier_ratio", 0.0)),
                                   float("nan") if rmse is None else float(rmse),
                                   float(q.get("overlap", 0.0)))
    matrix = tuple(tuple(float(v) for v in r) for r in row.matrix) if row.matrix else None
    return Measurement(row.photo_id, row.baseline_photo_id, row.aligned, matrix,
                       row.alignment_model, quality, row.alignment_reason, row.coverage,
                       row.coverage_confidence, row.threshold, row.roi_pixels, row.roi_automatic,
                       tuple(row.warnings or ()), row.algorithm_version, dict(row.parameters or {}),
                       row.computed_at, row.cache_key)

"""Analyse a patient: align every photo to its view's baseline, check it, measure coverage.

The unit of work is one photo. Image work runs on a small thread pool (OpenCV
releases the GIL, so both cores are used); results are written by the calling
thread, one Session per photo, so SQLite only ever sees one writer. A photo
whose cache key (its hash, its baseline's hash, the region, any manual
landmarks and the algorithm versions and parameters) matches its stored
measurement is skipped without touching pixels.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hairtrack.core.domain import View, day_text
from hairtrack.core.library import Library
from hairtrack.core.progress import CancelToken, Progress, Task
from hairtrack.core.services.analysis_work import (
    WORK_SIDE,
    ChainLink,
    PhotoJob,
    PhotoOutcome,
    algorithm_version,
    analyse_photo,
    analyse_photo_via,
    parameters,
)
from hairtrack.core.storage import audit, write_lock
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.audit import Action
from hairtrack.core.storage.models import ManualAlignmentRow, MeasurementRow, PhotoRow, VisitRow
from hairtrack.core.storage.soft_delete import including_deleted


@dataclass(frozen=True)
class AnalysisReport:
    analysed: tuple[int, ...] = ()
    unchanged: tuple[int, ...] = ()
    refused: tuple[int, ...] = ()  # photos whose alignment was refused
    failed: tuple[tuple[int, str], ...] = ()  # photos that could not be read
    cancelled: bool = False
    changed_views: frozenset[View] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        return {"analysed": list(self.analysed), "unchanged": list(self.unchanged),
                "refused": list(self.refused),
                "failed": [{"photo_id": p, "reason": r} for p, r in self.failed],
                "cancelled": self.cancelled,
                "algorithm_version": algorithm_version()}


def cache_key(job: PhotoJob) -> str:
    payload = {"photo": job.photo_sha, "baseline": job.baseline_sha,
               "region": job.region, "manual": job.manual,
               "chain": [link.sha256 for link in job.chain], "version": algorithm_version(),
               "parameters": parameters(), "work_side": WORK_SIDE}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def plan_jobs(library: Library, patient_id: int,
              photo_ids: Sequence[int] | None = None) -> list[PhotoJob]:
    """Everything the image work needs, read in one consistent snapshot."""
    with library.session() as session:
        baselines = repo.baseline_ids(session, patient_id)
        rows = list(session.scalars(select(PhotoRow).join(VisitRow)
                                    .where(VisitRow.patient_id == patient_id)
                                    .order_by(VisitRow.visited_at, PhotoRow.id)))
        by_id = {r.id: r for r in rows}
        manual = {m.photo_id: m for m in session.scalars(
            select(ManualAlignmentRow).where(ManualAlignmentRow.photo_id.in_(by_id)))}
        jobs: list[PhotoJob] = []
        earlier: dict[View, list[ChainLink]] = {}
        for row in rows:
            view = View(row.view)
            baseline = by_id[baselines[view]]
            chain = tuple(reversed(earlier.get(view, [])))
            if row.id != baseline.id:
                earlier.setdefault(view, []).append(ChainLink(
                    row.id, row.sha256, library.store.path_for(row.sha256),
                    day_text(row.visit.visited_at.astimezone().date())))
            if photo_ids is not None and row.id not in photo_ids:
                continue
            settings = repo.view_settings(session, patient_id, view)
            region = None
            if settings.region and settings.region_photo_id == baseline.id:
                region = tuple((float(x), float(y)) for x, y in settings.region)
            landmarks = manual.get(row.id)
            manual_pts = None
            if landmarks is not None and landmarks.baseline_photo_id == baseline.id:
                manual_pts = (tuple(map(tuple, landmarks.reference_points)),
                              tuple(map(tuple, landmarks.moving_points)))
            jobs.append(PhotoJob(
                photo_id=row.id, view=view, photo_sha=row.sha256,
                photo_path=library.store.path_for(row.sha256),
                baseline_id=baseline.id, baseline_sha=baseline.sha256,
                baseline_path=library.store.path_for(baseline.sha256),
                region=region, manual=manual_pts, cache_dir=library.cache_dir,
                chain=chain if manual_pts is None and row.id != baseline.id else ()))
    return jobs


def stale_jobs(library: Library, jobs: Sequence[PhotoJob]) -> tuple[list[PhotoJob], list[int]]:
    """Split jobs into those whose stored result is out of date and those that are current."""
    with library.session() as session:
        rows = session.execute(select(MeasurementRow.photo_id, MeasurementRow.cache_key,
                                      MeasurementRow.aligned)
                               .where(MeasurementRow.photo_id.in_([j.photo_id for j in jobs])))
        stored = {photo_id: (key, aligned) for photo_id, key, aligned in rows}
    todo, current = [], []
    for job in jobs:
        key = cache_key(job)
        previous = stored.get(job.photo_id)
        # a refusal has no cached images; an aligned result needs its mask and warp
        if previous is not None and previous[0] == key and (
                not previous[1] or job.outputs_exist(key)):
            current.append(job.photo_id)
        else:
            todo.append(job)
    return todo, current


def analyze_patient(library: Library, patient_id: int, *, photo_ids: Sequence[int] | None = None,
                    force: bool = False, workers: int = 2,
                    cancel: CancelToken | None = None) -> Task[AnalysisReport]:
    jobs = plan_jobs(library, patient_id, photo_ids)
    unchanged: list[int]
    if force:
        todo, unchanged = list(jobs), []
    else:
        todo, unchanged = stale_jobs(library, jobs)
    total = len(todo)
    yield Progress(0, total, "analysing" if total else "nothing to do")
    analysed: list[int] = []
    refused: list[int] = []
    failed: list[tuple[int, str]] = []
    views: set[View] = set()
    cancelled = False
    retry: list[tuple[PhotoJob, PhotoOutcome]] = []
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, workers),
                                thread_name_prefix="hairtrack-analysis") as pool:
            futures: dict[Future[PhotoOutcome], PhotoJob] = {
                pool.submit(analyse_photo, job, cache_key(job)): job for job in todo}
            for done, future in enumerate(as_completed(futures), start=1):
                job = futures[future]
                outcome = future.result()
                if outcome.error is None and not outcome.aligned and job.chain:
                    retry.append((job, outcome))  # decided in the second pass
                else:
                    _record(library, job, outcome, analysed, refused, failed, views)
                yield Progress(done, total, f"photo {job.photo_id}")
                if cancel is not None and cancel.cancelled:
                    cancelled = True
                    for pending in futures:
                        pending.cancel()
                    break
    # Second pass, in date order: photos that did not match the baseline directly try
    # the nearest earlier photo that is aligned, so long series stay connected.
    for job, direct in sorted(retry, key=lambda item: len(item[0].chain)):
        if cancelled:
            break
        outcome = direct
        known = _aligned_matrices(library, [link.photo_id for link in job.chain])
        for link in job.chain:
            if link.photo_id in known:
                attempt = analyse_photo_via(job, direct.cache_key, link, known[link.photo_id],
                                            direct.reason)
                if attempt.aligned or attempt.error is not None:
                    outcome = attempt
                    break
        _record(library, job, outcome, analysed, refused, failed, views)
        if cancel is not None and cancel.cancelled:
            cancelled = True
    return AnalysisReport(tuple(analysed), tuple(unchanged), tuple(refused), tuple(failed),
                          cancelled, frozenset(views))


def _record(library: Library, job: PhotoJob, outcome: PhotoOutcome, analysed: list[int],
            refused: list[int], failed: list[tuple[int, str]], views: set[View]) -> None:
    if outcome.error is not None:
        failed.append((job.photo_id, outcome.error))
        return
    library.retrying(lambda: _store(library, job, outcome))
    analysed.append(job.photo_id)
    views.add(job.view)
    if not outcome.aligned:
        refused.append(job.photo_id)


def _aligned_matrices(library: Library, photo_ids: list[int]) -> dict[int, list[list[float]]]:
    """Stored full-resolution matrices of those photos that are aligned to their baseline."""
    with library.session() as session:
        rows = session.execute(select(MeasurementRow.photo_id, MeasurementRow.matrix)
                               .where(MeasurementRow.photo_id.in_(photo_ids),
                                      MeasurementRow.aligned.is_(True)))
        return {photo_id: matrix for photo_id, matrix in rows if matrix}


def _store(library: Library, job: PhotoJob, outcome: PhotoOutcome) -> None:
    """Insert or update the photo's one measurement; desktops analysing it at once take turns."""
    with library.session() as session:
        write_lock.acquire(session)
        row = session.scalar(select(MeasurementRow).where(MeasurementRow.photo_id == job.photo_id))
        if row is None:
            row = MeasurementRow(photo_id=job.photo_id)
            session.add(row)
        row.baseline_photo_id = job.baseline_id
        row.cache_key = outcome.cache_key
        row.aligned = outcome.aligned
        row.alignment_model = outcome.model
        row.matrix = outcome.matrix
        row.quality = outcome.quality
        row.alignment_reason = outcome.reason
        row.coverage = outcome.coverage
        row.coverage_confidence = outcome.confidence
        row.threshold = outcome.threshold
        row.roi_pixels = outcome.roi_pixels
        row.roi_automatic = outcome.roi_automatic
        row.warnings = list(outcome.warnings)
        row.metrics = outcome.metrics or {}
        row.algorithm_version = algorithm_version()
        row.parameters = parameters()
        row.computed_at = datetime.now(timezone.utc)
        photo = session.get(PhotoRow, job.photo_id, execution_options=including_deleted())
        visit = None if photo is None else session.get(VisitRow, photo.visit_id,
                                                       execution_options=including_deleted())
        result = (f"coverage {outcome.coverage * 100:.1f} %" if outcome.coverage is not None
                  else "no coverage")
        audit.append(session, library.actor, Action.ANALYSE, "photo", job.photo_id,
                     f"measured photo {job.photo_id} against baseline {job.baseline_id}: "
                     f"{result}, {'aligned' if outcome.aligned else 'not aligned'} "
                     f"({algorithm_version()})", None if visit is None else visit.patient_id)


def mask_path(library: Library, key: str) -> Path:
    return library.cache_dir / "masks" / f"{key}.png"


def aligned_path(library: Library, key: str) -> Path:
    return library.cache_dir / "aligned" / f"{key}.jpg"

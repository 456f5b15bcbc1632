"""The image work of analysing one photo: pure, thread-safe, no database.

Both images are decoded once at a working resolution; alignment, warping,
coverage and capture checks all run on those copies. The aligned image and
the hair mask (in the baseline's working frame) are written to the cache so
the comparison view and reports can show exactly what was measured.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.domain import View
from hairtrack.core.imaging import io
from hairtrack.core.imaging.alignment import ALGORITHM_VERSION as ALIGN_VERSION
from hairtrack.core.imaging.alignment import AlignmentResult, AlignParams, Reference, align
from hairtrack.core.imaging.checks import ALGORITHM_VERSION as CHECKS_VERSION
from hairtrack.core.imaging.checks import capture_checks
from hairtrack.core.imaging.hair_coverage import ALGORITHM_VERSION as COVERAGE_VERSION
from hairtrack.core.imaging.hair_coverage import CoverageParams, choose_work_factor, coverage
from hairtrack.core.imaging.landmarks import transform_from_landmarks
from hairtrack.core.imaging.roi import default_roi, polygon_to_mask
from hairtrack.core.imaging.transforms import (
    overlap_fraction,
    rescale_matrix,
    scaling_matrix,
    transform_points,
    warp_to_reference,
)
from hairtrack.core.storage import permissions

_ALIGN_PARAMS = AlignParams()
_COVERAGE_PARAMS = CoverageParams()
#: Longest side of the copies analysed; the masks and aligned images are this size.
#: The finest working copy coverage may choose (`max_work_side`, 2048), so a view is
#: measured as finely as `coverage` would measure the photo itself: a 12 MP crown's
#: 2-px strands are 1 px wide here, not 0.8 px as at 1600 (synthetic scalps with
#: strands that fine: MAE 11.6 against 20.0 points). A 12 MP JPEG decodes at half
#: size either way (DCT scaling); photos up to that size are not reduced at all.
WORK_SIDE = _COVERAGE_PARAMS.max_work_side

Points = tuple[tuple[float, float], ...]


def algorithm_version() -> str:
    return f"{ALIGN_VERSION}+{COVERAGE_VERSION}+{CHECKS_VERSION}"


def parameters() -> dict[str, Any]:
    return {"align": _ALIGN_PARAMS.as_dict(), "coverage": _COVERAGE_PARAMS.as_dict(),
            "work_side": WORK_SIDE}


@dataclass(frozen=True)
class ChainLink:
    photo_id: int
    sha256: str
    path: Path
    label: str  # how the clinician knows that photo, e.g. its visit date


@dataclass(frozen=True)
class PhotoJob:
    photo_id: int
    view: View
    photo_sha: str
    photo_path: Path
    baseline_id: int
    baseline_sha: str
    baseline_path: Path
    region: Points | None  # polygon in full-resolution baseline pixels
    manual: tuple[Points, Points] | None  # (reference points, moving points), full resolution
    cache_dir: Path
    #: earlier photos of the same view, nearest first: stepping stones when the baseline
    #: itself has changed too much to match directly (sha, path, photo id, visit date)
    chain: tuple[ChainLink, ...] = ()

    @property
    def is_baseline(self) -> bool:
        return self.photo_id == self.baseline_id

    def mask_path(self, key: str) -> Path:
        return self.cache_dir / "masks" / f"{key}.png"

    def aligned_path(self, key: str) -> Path:
        return self.cache_dir / "aligned" / f"{key}.jpg"

    def outputs_exist(self, key: str) -> bool:
        return self.mask_path(key).exists() and self.aligned_path(key).exists()


@dataclass(frozen=True)
class PhotoOutcome:
    cache_key: str
    aligned: bool = False
    model: str = "none"
    matrix: list[list[float]] | None = None  # full resolution, moving -> baseline
    quality: dict[str, Any] | None = None
    reason: str | None = None
    coverage: float | None = None
    confidence: float | None = None
    threshold: float | None = None
    roi_pixels: int | None = None
    roi_automatic: bool = True
    warnings: tuple[str, ...] = ()
    metrics: dict[str, Any] | None = None
    error: str | None = None
    via_photo_id: int | None = None  # aligned through this earlier photo of the view


class _DecodedCache:
    """A few recently decoded working copies: every follow-up of a view needs its baseline."""

    def __init__(self, size: int = 4) -> None:
        self._items: OrderedDict[Path, tuple[NDArray[np.uint8], float]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, path: Path) -> tuple[NDArray[np.uint8], float]:
        with self._lock:
            if path in self._items:
                self._items.move_to_end(path)
                return self._items[path]
        value = io.read_reduced(path, WORK_SIDE)
        with self._lock:
            self._items[path] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


#: Jobs run visit by visit, each visit through every view, so each view's baseline is
#: needed once per visit: the caches below hold a patient's baselines of every view
#: (least recently used first out would otherwise miss every time with more views;
#: a 12 MP photo read at 2048 px holds 9 MB).
_BASELINES_KEPT = len(View)

_baselines = _DecodedCache(size=_BASELINES_KEPT)


def analyse_photo(job: PhotoJob, key: str) -> PhotoOutcome:
    try:
        return _analyse(job, key)
    except io.ImageError as exc:
        return PhotoOutcome(key, error=str(exc))
    except OSError as exc:
        return PhotoOutcome(key, error=f"cannot read or write files: {exc}")


def _analyse(job: PhotoJob, key: str) -> PhotoOutcome:
    ref, ref_scale = _baselines.get(job.baseline_path)
    region = _region(job.baseline_path, job.region)
    if job.is_baseline:
        image, valid = ref, np.ones(ref.shape[:2], dtype=bool)
        identity = np.eye(3).tolist()
        quality = {"score": 1.0, "inliers": 0, "inlier_ratio": 1.0,
                   "reprojection_rmse_px": 0.0, "overlap": 1.0}
        check = capture_checks(ref)
        return _measure(job, key, image, valid, region, "baseline", identity,
                        quality, check.warnings, check.metrics)
    moving, mov_scale = io.read_reduced(job.photo_path, WORK_SIDE)
    result = _align(job, ref, ref_scale, moving, mov_scale)
    check = capture_checks(moving, reference=ref,
                                  overlap=result.quality.overlap if result.ok else None)
    quality = result.to_json()["quality"]
    if not result.ok or result.matrix is None:
        warnings = (f"not aligned to the baseline: {result.reason}", *check.warnings)
        return PhotoOutcome(key, aligned=False, model=result.model, quality=quality,
                            reason=result.reason, roi_automatic=region.automatic,
                            warnings=warnings, metrics=dict(check.metrics))
    work_matrix = result.matrix  # working frames: moving copy -> baseline copy
    full = rescale_matrix(work_matrix, (mov_scale, mov_scale), (ref_scale, ref_scale))
    image, valid = warp_to_reference(moving, work_matrix, ref.shape)
    return _measure(job, key, image, valid, region, result.model,
                    full.tolist(), quality, check.warnings, check.metrics, result.reason)


def analyse_photo_via(job: PhotoJob, key: str, link: ChainLink,
                      link_matrix: list[list[float]],
                      direct_reason: str | None = None) -> PhotoOutcome:
    """Align through an earlier photo whose own alignment to the baseline is known.

    Follow-ups a year apart can share too little detail (the bald patch that
    held the baseline's landmarks may have filled in); neighbouring visits
    still match. The transforms compose: moving -> link -> baseline. The
    photo's note gives `direct_reason`, why the direct match was refused.
    """
    try:
        ref, ref_scale = _baselines.get(job.baseline_path)
        via, via_scale = io.read_reduced(link.path, WORK_SIDE)
        moving, mov_scale = io.read_reduced(job.photo_path, WORK_SIDE)
    except io.ImageError as exc:
        return PhotoOutcome(key, error=str(exc))
    step = align(via, moving, params=_ALIGN_PARAMS)
    if not step.ok or step.matrix is None:
        return PhotoOutcome(key, error=None, aligned=False, reason=step.reason)
    step_full = rescale_matrix(step.matrix, (mov_scale, mov_scale), (via_scale, via_scale))
    full = np.asarray(link_matrix, dtype=np.float64) @ step_full
    full = full / full[2, 2]
    work_matrix = rescale_matrix(full, (1.0 / mov_scale, 1.0 / mov_scale),
                                 (1.0 / ref_scale, 1.0 / ref_scale))
    region = _region(job.baseline_path, job.region)
    check = capture_checks(moving, reference=ref)
    image, valid = warp_to_reference(moving, work_matrix, ref.shape)
    quality = step.to_json()["quality"]
    quality["overlap"] = overlap_fraction(work_matrix, (moving.shape[1], moving.shape[0]),
                                          (ref.shape[1], ref.shape[0]))
    why = direct_reason or "too little detail in common with the baseline"
    note = f"aligned through the photo of {link.label}; not matched to the baseline directly: {why}"
    outcome = _measure(job, key, image, valid, region, "chained", full.tolist(),
                       quality, (note, *check.warnings), check.metrics)
    return replace(outcome, via_photo_id=link.photo_id)


class _Region(NamedTuple):
    """Where coverage is measured in the baseline's frame, and at which working scale."""

    mask: NDArray[np.uint8]
    automatic: bool
    work_factor: int  # chosen on the baseline: every visit of the view is measured alike


@functools.lru_cache(maxsize=8)
def _region(baseline_path: Path, polygon: Points | None) -> _Region:
    """The region of a view and its working scale, worked out once for all its visits.

    Baseline paths name their content (the photo store is content-addressed),
    so a cached entry never outlives the photo it was made from. The mask is
    shared between workers and therefore read-only.
    """
    ref, ref_scale = _baselines.get(baseline_path)
    if polygon is None:
        mask, automatic = default_roi(ref), True
    else:
        mask, automatic = polygon_to_mask(_to_work(polygon, ref_scale), ref.shape[:2]), False
    mask.flags.writeable = False
    return _Region(mask, automatic, choose_work_factor(ref, mask, params=_COVERAGE_PARAMS))


def _align(job: PhotoJob, ref: NDArray[np.uint8], ref_scale: float,
           moving: NDArray[np.uint8], mov_scale: float) -> AlignmentResult:
    if job.manual is not None:
        ref_pts, mov_pts = _to_work(job.manual[0], ref_scale), _to_work(job.manual[1], mov_scale)
        return transform_from_landmarks(
            ref_pts, mov_pts, reference_size=(ref.shape[1], ref.shape[0]),
            moving_size=(moving.shape[1], moving.shape[0]))
    return align(_reference(job.baseline_path), moving, params=_ALIGN_PARAMS)


@functools.lru_cache(maxsize=_BASELINES_KEPT)
def _reference(baseline_path: Path) -> Reference:
    """The baseline prepared once for all the follow-ups of its view (features found once).

    Keyed by content-addressed path like `_region`; two workers asking at once
    may both prepare it, and get the same answer.
    """
    return Reference.from_image(_baselines.get(baseline_path)[0], _ALIGN_PARAMS)


def _to_work(points: Points, scale: float) -> list[tuple[float, float]]:
    """Full-resolution pixel coordinates to a working copy's (pixel-centre convention)."""
    mapped = transform_points(scaling_matrix(scale, scale), np.asarray(points, dtype=float))
    return [(float(x), float(y)) for x, y in mapped]


def _measure(job: PhotoJob, key: str, image: NDArray[np.uint8], valid: NDArray[np.bool_],
             region: _Region, model: str,
             matrix: list[list[float]], quality: dict[str, Any], warnings: tuple[str, ...],
             metrics: dict[str, float], reason: str | None = None) -> PhotoOutcome:
    result = coverage(image, region.mask, valid=valid, params=_COVERAGE_PARAMS,
                      work_factor=region.work_factor)
    notes = list(warnings)
    if result.note:
        notes.append(result.note)
    _write_outputs(job, key, image, result.hair_mask)
    return PhotoOutcome(
        key, aligned=True, model=model, matrix=matrix, quality=quality, reason=reason,
        coverage=result.coverage, confidence=result.confidence, threshold=result.threshold,
        roi_pixels=result.roi_pixels, roi_automatic=region.automatic, warnings=tuple(notes),
        metrics=dict(metrics))


def _write_outputs(job: PhotoJob, key: str, image: NDArray[np.uint8],
                   hair_mask: NDArray[np.bool_]) -> None:
    mask = hair_mask.astype(np.uint8) * 255
    for path, data, options in (
            (job.mask_path(key), mask, [cv2.IMWRITE_PNG_COMPRESSION, 6]),
            (job.aligned_path(key), image, [cv2.IMWRITE_JPEG_QUALITY, 90])):
        permissions.private_dirs(path.parent, job.cache_dir.parent)
        tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}{path.suffix}")
        if not cv2.imwrite(str(tmp), data, options):
            raise OSError(f"could not write {path}")
        permissions.private_file(tmp)
        tmp.replace(path)

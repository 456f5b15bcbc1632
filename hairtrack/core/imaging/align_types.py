"""The alignment engine's vocabulary: its tunables and its result.

Kept apart from the algorithm so the manual fallback (landmarks.py) and storage can use
the result type without pulling in feature matching.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hairtrack.core.domain import AlignmentQuality

#: Stored with every measurement; bump whenever a change can move a result.
ALGORITHM_VERSION = "align-1.1"

MODELS = ("similarity", "affine", "homography", "manual", "none")


@dataclass(frozen=True)
class AlignParams:
    """Every tunable of the automatic alignment, stored with each measurement.

    Pixel thresholds are expressed at a 1000-px-wide scale so they mean the same thing
    whatever the photo resolution or working copy size.
    """

    # Working copy
    work_max_side: int = 1000
    clahe_clip: float = 2.0
    clahe_grid: int = 8
    # Features and matching
    orb_features: int = 1500
    orb_fast_threshold: int = 10
    sift_fallback: bool = True
    sift_features: int = 4000
    sift_max_side: int = 800
    sift_below_inliers: int = 60  # ORB support under which SIFT matches are added
    ratio: float = 0.8
    # Robust fit (thresholds in px at 1000-px width)
    ransac_threshold_px: float = 4.0
    ransac_max_iters: int = 10000
    ransac_confidence: float = 0.9995
    allow_affine: bool = True
    allow_homography: bool = True
    richer_model_min_inliers: int = 20
    richer_model_gain: float = 0.03  # relative drop of the MSAC cost a richer model must earn
    richer_model_min_gain: float = 3.0  # ... and absolute, in units of threshold**2
    # Intensity refinement
    ecc: bool = True
    ecc_max_side: int = 480
    ecc_iterations: int = 60
    ecc_epsilon: float = 1e-5
    ecc_max_change_px: float = 30.0
    model_tolerance_px: float = 0.25
    # "homography" (default: measured p95 0.6 px) or "affine" (p95 28 px on tilted views)
    ecc_motion: str = "homography"
    # Acceptance (see align_quality.py for the calibration)
    min_inliers: int = 12
    min_inlier_ratio: float = 0.08
    max_rmse_px: float = 3.0
    min_overlap: float = 0.3
    max_scale_change: float = 2.0
    max_anisotropy: float = 1.3
    max_perspective: float = 1.0
    min_structure: float = 0.3
    min_part_structure: float = -0.08  # the worst part of the overlap (see align_quality)
    min_feature_spread: float = 0.08
    max_expected_error_px: float = 2.0  # applies only when ECC could not refine
    quality_max_side: int = 400

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, to store with every measurement."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AlignmentResult:
    """One moving->reference alignment, or a refusal that says why.

    `matrix` maps a MOVING pixel (x, y, 1), OpenCV pixel-centre convention, to REFERENCE
    coordinates at the resolution of the arrays or files given. It is None exactly when
    `ok` is False: a refused alignment must never be usable by accident.
    """

    ok: bool
    matrix: NDArray[np.float64] | None
    model: str
    quality: AlignmentQuality
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        q = self.quality
        return {
            "ok": self.ok,
            "matrix": None if self.matrix is None else [[float(v) for v in row]
                                                       for row in self.matrix],
            "model": self.model,
            "quality": {
                "score": _finite_or_none(q.score),
                "inliers": int(q.inliers),
                "inlier_ratio": _finite_or_none(q.inlier_ratio),
                "reprojection_rmse_px": _finite_or_none(q.reprojection_rmse_px),
                "overlap": _finite_or_none(q.overlap),
            },
            "reason": self.reason,
        }


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN: an unmeasured value (residual, overlap) is written as null."""
    return float(value) if np.isfinite(value) else None


EMPTY_QUALITY = AlignmentQuality(score=0.0, inliers=0, inlier_ratio=0.0,
                                 reprojection_rmse_px=float("nan"), overlap=0.0)


def refusal(reason: str, quality: AlignmentQuality = EMPTY_QUALITY) -> AlignmentResult:
    """A result that cannot be mistaken for an alignment."""
    return AlignmentResult(ok=False, matrix=None, model="none", quality=quality, reason=reason)

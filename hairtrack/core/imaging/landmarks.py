"""Manual alignment from landmark pairs clicked by a clinician (the fallback when the
automatic alignment refuses).

Clicks are imprecise and people mis-click, so the result carries the residual of the fit
(how well the pairs agree with one transform) and refuses input that cannot determine a
transform: fewer than 3 pairs, repeated points, or points on (nearly) one line.

Model choice: a similarity needs 2 pairs, an affine 3, a homography 4. "auto" only picks
a model whose fit leaves residual degrees of freedom to check it against (an affine from
exactly 3 pairs or a homography from exactly 4 always fits perfectly and proves nothing),
and a richer model must halve the estimated noise variance to be chosen.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hairtrack.core.domain import AlignmentQuality
from hairtrack.core.imaging.align_types import AlignmentResult, refusal
from hairtrack.core.imaging.transforms import (
    Matrix,
    as_matrix,
    describe_geometry,
    overlap_fraction,
    similarity_lstsq,
    transform_points,
)

MIN_PAIRS = 3
_DOF = {"similarity": 4, "affine": 6, "homography": 8}
_MIN_PAIRS_FOR = {"similarity": 2, "affine": 3, "homography": 4}
#: Residual (px at 1000-px width) above which the clicked pairs are called inconsistent.
MAX_RMSE_PX = 15.0
#: Residual (px at 1000-px width) at which a manual alignment earns a full score.
GOOD_RMSE_PX = 2.0
#: A richer model must cut the noise-variance estimate by this factor to be chosen.
RICHER_MODEL_GAIN = 0.5


def _fit(model: str, src: NDArray[np.float64], dst: NDArray[np.float64]) -> Matrix | None:
    if model == "similarity":
        return similarity_lstsq(src, dst)
    if model == "affine":
        a = np.column_stack([src, np.ones(len(src))])
        p, *_ = np.linalg.lstsq(a, dst, rcond=None)
        return as_matrix(p.T)
    m, _ = cv2.findHomography(src.astype(np.float32), dst.astype(np.float32), 0)
    if m is None or not np.all(np.isfinite(m)) or abs(m[2, 2]) < 1e-12:
        return None
    return as_matrix(m)


def _sse(matrix: Matrix, src: NDArray[np.float64], dst: NDArray[np.float64]) -> float:
    return float(np.sum((transform_points(matrix, src) - dst) ** 2))


def _validate(ref: NDArray[np.float64], mov: NDArray[np.float64]) -> str | None:
    if ref.ndim != 2 or ref.shape[1] != 2 or ref.shape != mov.shape:
        return "landmarks must be two equally long lists of (x, y) points"
    if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(mov))):
        return "landmarks contain missing or infinite coordinates"
    n = len(ref)
    if n < MIN_PAIRS:
        return f"at least {MIN_PAIRS} landmark pairs are needed ({n} given)"
    for name, pts in (("reference", ref), ("moving", mov)):
        spread = float(np.max(np.ptp(pts, axis=0)))
        if spread <= 0:
            return f"all {name} landmarks are at the same place"
        gaps = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=2)
        gaps[np.diag_indices(n)] = np.inf
        if float(gaps.min()) < max(1.0, 0.005 * spread):
            return f"two {name} landmarks are at the same place (duplicate click?)"
        centred = pts - pts.mean(axis=0)
        sv = np.linalg.svd(centred, compute_uv=False)
        if sv[1] < 0.05 * sv[0]:
            return f"the {name} landmarks lie on (nearly) one line; spread them out"
    return None


def transform_from_landmarks(
    reference_pts: ArrayLike,
    moving_pts: ArrayLike,
    model: str = "auto",
    *,
    reference_size: tuple[int, int] | None = None,
    moving_size: tuple[int, int] | None = None,
) -> AlignmentResult:
    """Alignment from clicked pairs: moving_pts[i] in MOVING shows what reference_pts[i] shows.

    `model` is "auto", "similarity", "affine" or "homography". With the image sizes
    (width, height) the residual is expressed at a 1000-px width like the automatic
    alignment's, the overlap is computed and the geometry is checked for plausibility;
    without them the residual is in the points' own pixels (judged against the spread of
    the reference clicks) and the overlap is NaN.
    """
    ref = np.asarray(reference_pts, dtype=np.float64)
    mov = np.asarray(moving_pts, dtype=np.float64)
    problem = _validate(ref, mov)
    if problem is not None:
        return refusal(problem)
    n = len(ref)
    if model != "auto" and model not in _DOF:
        return refusal(f"unknown model {model!r}")
    if model != "auto" and n < _MIN_PAIRS_FOR[model]:
        return refusal(f"a {model} needs at least {_MIN_PAIRS_FOR[model]} landmark pairs")
    if _affine_det(mov, ref) <= 0:
        return refusal("landmarks imply a mirror image; are the pairs in the same order?")
    chosen = model if model != "auto" else _choose(mov, ref)
    matrix = _fit(chosen, mov, ref)
    if matrix is None:
        return refusal("landmarks do not determine a transform")
    return _result(matrix, chosen, mov, ref, reference_size, moving_size)


def _choose(mov: NDArray[np.float64], ref: NDArray[np.float64]) -> str:
    n = len(mov)
    best = "similarity"
    best_var = _sse(similarity_lstsq(mov, ref), mov, ref) / (2 * n - _DOF[best])
    for model in ("affine", "homography"):
        dof_left = 2 * n - _DOF[model]
        if dof_left <= 0:
            break
        matrix = _fit(model, mov, ref)
        if matrix is None:
            continue
        var = _sse(matrix, mov, ref) / dof_left
        if var < RICHER_MODEL_GAIN * best_var:
            best, best_var = model, var
    return best


def _affine_det(mov: NDArray[np.float64], ref: NDArray[np.float64]) -> float:
    """Orientation of the best affine map: a similarity cannot mirror, so check separately."""
    affine = _fit("affine", mov, ref)
    return float(np.linalg.det(affine[:2, :2])) if affine is not None else 0.0


def _worst_pair(model: str, mov: NDArray[np.float64], ref: NDArray[np.float64]) -> int:
    """The pair that agrees least with a fit to all the others (leave-one-out)."""
    n = len(mov)
    if n - 1 < _MIN_PAIRS_FOR[model] + 1:
        full = _fit(model, mov, ref)
        if full is None:
            return 0
        return int(np.argmax(np.linalg.norm(transform_points(full, mov) - ref, axis=1)))
    errors = []
    for i in range(n):
        keep = np.arange(n) != i
        m = _fit(model, mov[keep], ref[keep])
        errors.append(np.inf if m is None else
                      float(np.linalg.norm(transform_points(m, mov[i:i + 1]) - ref[i])))
    return int(np.argmax(errors))


def _local_det(matrix: Matrix, point: NDArray[np.float64]) -> float:
    """Determinant of the transform's Jacobian at `point` (negative = mirrored)."""
    p = np.vstack([point, point + np.array([1.0, 0.0]), point + np.array([0.0, 1.0])])
    q = transform_points(matrix, p)
    return float(np.linalg.det(np.column_stack([q[1] - q[0], q[2] - q[0]])))


def _result(
    matrix: Matrix,
    model: str,
    mov: NDArray[np.float64],
    ref: NDArray[np.float64],
    reference_size: tuple[int, int] | None,
    moving_size: tuple[int, int] | None,
) -> AlignmentResult:
    n = len(mov)
    residuals = np.linalg.norm(transform_points(matrix, mov) - ref, axis=1)
    raw = float(np.sqrt(np.mean(residuals**2)))
    # Without the image size, judge the residual against the spread of the clicks.
    unit = 1000.0 / reference_size[0] if reference_size else 1.0
    judge_unit = unit if reference_size else 1000.0 / max(float(np.max(np.ptp(ref, axis=0))), 1.0)
    rmse = raw * unit
    overlap = float("nan")
    if _local_det(matrix, mov.mean(axis=0)) <= 0:
        return refusal("landmarks imply a mirror image; are the pairs in the same order?")
    if reference_size and moving_size:
        geometry = describe_geometry(matrix, moving_size, reference_size)
        if geometry.mirrored or not geometry.convex:
            return refusal("landmarks imply a mirror image or a folded view; "
                           "are the pairs in the same order?")
        if not 0.25 <= geometry.scale <= 4.0:
            return refusal(f"transform is implausible (scale {geometry.scale:.1f}x)")
        overlap = overlap_fraction(matrix, moving_size, reference_size)
    judged = raw * judge_unit
    score = 0.5 + 0.5 * float(np.clip((MAX_RMSE_PX - judged) / (MAX_RMSE_PX - GOOD_RMSE_PX),
                                      -1.0, 1.0))
    quality = AlignmentQuality(score=score, inliers=n, inlier_ratio=1.0,
                               reprojection_rmse_px=rmse, overlap=overlap)
    if judged > MAX_RMSE_PX:
        worst = _worst_pair("similarity", mov, ref)  # the stiffest model exposes outliers
        return refusal(f"landmark pairs disagree (residual {rmse:.1f} px; pair {worst + 1} is "
                       "furthest off)", quality)
    return AlignmentResult(ok=True, matrix=matrix, model="manual", quality=quality)

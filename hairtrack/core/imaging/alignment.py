"""Align a follow-up scalp photo to the baseline photo of the same view.

Public API: `align`, `align_files`, `AlignParams`, `AlignmentResult`, `ALGORITHM_VERSION`,
`Reference`, `warp_to_reference`, `transform_points`.

Pipeline (all on reduced working copies; the matrix is carried back to full resolution):
CLAHE-normalised grey -> ORB features, plus SIFT when ORB finds little -> ratio-tested
one-to-one matches -> robust similarity, promoted to affine or homography only when it
clearly lowers the MSAC cost (align_features.py) -> ECC refinement from that estimate,
reported as the simplest model that reproduces it (align_refine.py) -> acceptance checks
(align_quality.py, align_uncertainty.py). A result below the bar is a refusal with a
reason, never a silently bad warp.

`align` works at up to `work_max_side` px; `align_files` reads the files at that size
(`io.read_reduced`: a 4000x3000 JPEG decodes at a quarter in the DCT domain, 1000 px),
which is what makes it cheaper than decoding the two files at full resolution; both
therefore match features at the same scale. Every follow-up of a view is aligned to the
same baseline: a `Reference` keeps the baseline's working copy and features, so they are
found once, not once per follow-up (the results are the same either way).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from hairtrack.core.imaging import align_features as feats
from hairtrack.core.imaging.align_quality import Evidence, judge, structure_agreement
from hairtrack.core.imaging.align_refine import refine_ecc
from hairtrack.core.imaging.align_types import (
    ALGORITHM_VERSION,
    AlignmentResult,
    AlignParams,
    refusal,
)
from hairtrack.core.imaging.align_uncertainty import corner_sigma, model_doubt
from hairtrack.core.imaging.io import ImageError, read_reduced
from hairtrack.core.imaging.transforms import (
    Matrix,
    describe_geometry,
    overlap_fraction,
    rescale_matrix,
    transform_points,
    warp_to_reference,
)

BGRImage = NDArray[np.uint8]

__all__ = [
    "ALGORITHM_VERSION",
    "AlignParams",
    "AlignmentResult",
    "Reference",
    "align",
    "align_files",
    "transform_points",
    "warp_to_reference",
]

_MIN_SIDE = 32


class Reference:
    """A baseline photo prepared for aligning many follow-ups to it.

    Its working copy is made when it is created, its ORB and SIFT features
    the first time a follow-up needs them (SIFT only when ORB finds too
    little); then kept. Safe to share between threads.
    """

    def __init__(self, work: feats.WorkImage, params: AlignParams, usable: bool = True) -> None:
        self.work, self.params, self.usable = work, params, usable
        # One lock each: a follow-up needing ORB must not wait while another finds SIFT.
        self._orb_lock, self._sift_lock = threading.Lock(), threading.Lock()
        self._orb: feats.Features | None = None
        self._sift: tuple[feats.WorkImage, feats.Features] | None = None

    @classmethod
    def from_image(cls, image: BGRImage, params: AlignParams | None = None) -> Reference:
        p = params or AlignParams()
        if image.ndim not in (2, 3) or min(image.shape[:2]) < _MIN_SIDE:
            blank = feats.WorkImage(np.zeros((1, 1), np.uint8), (1.0, 1.0), (1, 1))
            return cls(blank, p, usable=False)
        return cls(feats.make_work_image(image, p.work_max_side, p), p)

    def orb(self) -> feats.Features:
        with self._orb_lock:
            if self._orb is None:
                self._orb = feats.detect_orb(self.work.gray, self.params)
            return self._orb

    def sift(self) -> tuple[feats.WorkImage, feats.Features]:
        """The copy SIFT runs on (at most `sift_max_side`) and its features."""
        with self._sift_lock:
            if self._sift is None:
                small = _shrink_work(self.work, self.params.sift_max_side)
                self._sift = (small, feats.detect_sift(small.gray, self.params))
            return self._sift


def align(
    reference: BGRImage | Reference, moving: BGRImage, *, params: AlignParams | None = None
) -> AlignmentResult:
    """Transform taking `moving` pixels onto `reference`, at the arrays' own resolution.

    `reference` is a photo, or a `Reference.from_image` of one (with the same `params`).
    """
    return align_with_evidence(reference, moving, params=params)[0]


def align_with_evidence(
    reference: BGRImage | Reference, moving: BGRImage, *, params: AlignParams | None = None
) -> tuple[AlignmentResult, Evidence | None]:
    """`align`, plus the raw measurements behind its decision (for calibration tables)."""
    if isinstance(reference, Reference):
        p = params or reference.params
        if reference.params != p:
            raise ValueError("the Reference was prepared with other alignment parameters")
        ref = reference
    else:
        p = params or AlignParams()
        ref = Reference.from_image(reference, p)
    if not ref.usable:
        return refusal("reference image is too small or not an image"), None
    if moving.ndim not in (2, 3) or min(moving.shape[:2]) < _MIN_SIDE:
        return refusal("moving image is too small or not an image"), None
    mov_work = feats.make_work_image(moving, p.work_max_side, p)
    return _align_work(ref, mov_work, p)


def align_files(
    reference_path: Path | str,
    moving_path: Path | str,
    *,
    params: AlignParams | None = None,
) -> AlignmentResult:
    """Like `align`, from files, decoding only reduced copies (much faster than full decodes).

    The matrix is in FULL-RESOLUTION pixel coordinates of the EXIF-oriented images, the
    same coordinates as `io.read_image` gives. Unreadable files give a refusal.
    """
    p = params or AlignParams()
    paths = (Path(reference_path), Path(moving_path))
    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = list(pool.map(lambda path: _load_work(path, p), paths))
    for path, item in zip(paths, loaded, strict=True):
        if isinstance(item, str):
            return refusal(f"cannot read {path.name}: {item}")
    ref_work, mov_work = loaded
    assert not isinstance(ref_work, str) and not isinstance(mov_work, str)
    return _align_work(Reference(ref_work, p), mov_work, p)[0]


def _load_work(path: Path, p: AlignParams) -> feats.WorkImage | str:
    try:
        size = _oriented_size(path)
        image, _ = read_reduced(path, p.work_max_side)
    except ImageError as exc:
        return str(exc)
    if min(image.shape[:2]) < _MIN_SIDE:
        return "image is too small"
    return feats.make_work_image(image, p.work_max_side, p, original_size=size)


def _oriented_size(path: Path) -> tuple[int, int]:
    """Width and height after EXIF orientation, from the header only."""
    try:
        with Image.open(path) as im:
            w, h = im.size
            orientation = im.getexif().get(0x0112, 1)
    except Exception as exc:  # io.read_reduced gives the clinician-facing message
        raise ImageError(str(exc)) from exc
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _align_work(
    reference: Reference, mov: feats.WorkImage, p: AlignParams
) -> tuple[AlignmentResult, Evidence | None]:
    ref = reference.work
    ref_h, ref_w = ref.gray.shape[:2]
    mov_h, mov_w = mov.gray.shape[:2]
    px_scale = ref_w / 1000.0  # px of the reference working copy per px at 1000-px width
    with ThreadPoolExecutor(max_workers=1) as pool:  # the reference's, unless known already
        pending = pool.submit(reference.orb)
        f_mov = feats.detect_orb(mov.gray, p)
        f_ref = pending.result()
    src, dst = feats.match(f_mov, f_ref, p.ratio)
    fit = feats.estimate(src, dst, p, px_scale)
    if p.sift_fallback and (fit is None or fit.inliers < p.sift_below_inliers):
        # Pool ORB and SIFT matches: each finds different stable points (SIFT favours
        # blobs such as moles and freckles, ORB corners), and one fit over both is
        # better constrained than the better of two separate fits.
        s_src, s_dst = _sift_matches(reference, mov, p)
        if len(s_src):
            pooled = feats.estimate(np.vstack([src, s_src]), np.vstack([dst, s_dst]), p,
                                    px_scale)
            if pooled is not None and (fit is None or pooled.inliers > fit.inliers):
                fit = pooled
    if fit is None:
        return refusal("too few matching features"), None
    matrix, model = fit.matrix, fit.model
    refined = None
    if p.ecc:
        refined = refine_ecc(ref.gray, mov.gray, matrix, max_side=p.ecc_max_side,
                             iterations=p.ecc_iterations, epsilon=p.ecc_epsilon,
                             max_change=p.ecc_max_change_px * px_scale,
                             model_tolerance=p.model_tolerance_px * px_scale,
                             homography=p.ecc_motion == "homography")
        if refined is not None:
            matrix, model = refined
    if refined is None:
        # No intensity refinement to vouch for it: the feature fit stands on its own, so
        # its own predicted error (noise and model bias) must be small.
        sigma = max(corner_sigma(model, matrix, fit.src, fit.dst, (ref_w, ref_h)),
                    model_doubt(model, matrix, fit.src, fit.dst, (ref_w, ref_h))) / px_scale
    else:
        sigma = float("nan")  # ECC used every pixel; the feature layout no longer limits it
    inliers, rmse = fit.support(matrix, p.ransac_threshold_px * px_scale)
    overlap = overlap_fraction(matrix, (mov_w, mov_h), (ref_w, ref_h))
    evidence = Evidence(
        inliers=inliers,
        inlier_ratio=inliers / max(fit.tentative, 1),
        rmse_px=rmse / px_scale,
        overlap=overlap,
        geometry=describe_geometry(matrix, (mov_w, mov_h), (ref_w, ref_h)),
        expected_error_px=sigma,
        feature_spread=_spread(matrix, fit, p.ransac_threshold_px * px_scale,
                               overlap * ref_w * ref_h),
        structure=structure_agreement(ref.gray, mov.gray, matrix, p.quality_max_side),
    )
    quality, reason = judge(evidence, p)
    if reason is not None:
        return refusal(reason, quality), evidence
    full = rescale_matrix(matrix, mov.scale, ref.scale)
    return AlignmentResult(ok=True, matrix=full, model=model, quality=quality), evidence


def _spread(matrix: Matrix, fit: feats.Fit, threshold: float, overlap_area: float) -> float:
    """Convex-hull area of the final inliers (reference side) over the overlap area."""
    res = np.linalg.norm(transform_points(matrix, fit.all_src) - fit.all_dst, axis=1)
    pts = fit.all_dst[res <= threshold].astype(np.float32)
    if len(pts) < 3 or overlap_area <= 0:
        return 0.0
    hull = cv2.convexHull(pts.reshape(-1, 1, 2))
    return float(min(1.0, cv2.contourArea(hull) / overlap_area))


def _sift_matches(reference: Reference, mov: feats.WorkImage,
                  p: AlignParams) -> tuple[feats.Points, feats.Points]:
    """SIFT matches on smaller copies, returned in working-copy coordinates."""
    ref = reference.work
    with ThreadPoolExecutor(max_workers=1) as pool:  # the reference's, unless known already
        pending = pool.submit(reference.sift)
        mov_small = _shrink_work(mov, p.sift_max_side)
        f_mov = feats.detect_sift(mov_small.gray, p)
        ref_small, f_ref = pending.result()
    src, dst = feats.match(f_mov, f_ref, p.ratio)
    to_work_mov = (mov_small.scale[0] / mov.scale[0], mov_small.scale[1] / mov.scale[1])
    to_work_ref = (ref_small.scale[0] / ref.scale[0], ref_small.scale[1] / ref.scale[1])
    return _points_to_work(src, to_work_mov), _points_to_work(dst, to_work_ref)


def _shrink_work(work: feats.WorkImage, max_side: int) -> feats.WorkImage:
    h, w = work.gray.shape[:2]
    if max(w, h) <= max_side:
        return work
    ratio = max_side / max(w, h)
    nw, nh = max(1, round(w * ratio)), max(1, round(h * ratio))
    gray = np.asarray(cv2.resize(work.gray, (nw, nh), interpolation=cv2.INTER_AREA), np.uint8)
    ow, oh = work.original_size
    return feats.WorkImage(gray, (nw / ow, nh / oh), work.original_size)


def _points_to_work(pts: feats.Points, scale: tuple[float, float]) -> feats.Points:
    """Small-copy coordinates back to working-copy coordinates (pixel-centre convention)."""
    sx, sy = scale
    out = np.empty_like(pts)
    out[:, 0] = (pts[:, 0] + 0.5) / sx - 0.5
    out[:, 1] = (pts[:, 1] + 0.5) / sy - 0.5
    return out

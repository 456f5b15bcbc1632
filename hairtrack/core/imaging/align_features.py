"""Feature-based estimate of a moving->reference transform on reduced working copies.

ORB is the workhorse (fast, rotation invariant, binary descriptors); SIFT is a fallback
for soft, low-contrast photos where ORB finds too little. Matches go through Lowe's ratio
test and a one-to-one filter, because hair is a repetitive texture where a descriptor's
nearest neighbour is often just another hair.

The model is chosen by parsimony: a similarity (rotation, uniform scale, shift) unless an
affine or a homography explains the same matches with a clearly smaller residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.align_types import AlignParams
from hairtrack.core.imaging.transforms import (
    Matrix,
    as_matrix,
    similarity_lstsq,
    transform_points,
)

GrayImage = NDArray[np.uint8]
Points = NDArray[np.float32]
Descriptors = NDArray[np.uint8] | NDArray[np.float32]  # ORB's bits or SIFT's floats


@dataclass(frozen=True)
class WorkImage:
    """A reduced, contrast-normalised grey copy and its scale from the original."""

    gray: GrayImage
    scale: tuple[float, float]  # (sx, sy): original -> working copy
    original_size: tuple[int, int]  # (width, height) of the original


@dataclass(frozen=True)
class Features:
    points: Points  # (N, 2)
    descriptors: Descriptors | None
    kind: str


@dataclass(frozen=True)
class Fit:
    """A robustly fitted transform between working copies, with its support."""

    matrix: Matrix
    model: str
    inliers: int
    tentative: int
    rmse: float  # px in the reference working copy, over inliers
    src: Points  # inlier moving points (working copy)
    dst: Points  # inlier reference points (working copy)
    all_src: Points  # every candidate match, moving side
    all_dst: Points  # every candidate match, reference side

    def support(self, matrix: Matrix, threshold: float) -> tuple[int, float]:
        """Inlier count and RMS residual (working-copy px) of all candidates under `matrix`."""
        res = _residuals(matrix, self.all_src, self.all_dst)
        inl = res[res <= threshold]
        rmse = float(np.sqrt(np.mean(inl**2))) if len(inl) else float("inf")
        return len(inl), rmse


def to_gray(bgr: NDArray[np.uint8]) -> GrayImage:
    if bgr.ndim == 2:
        return bgr
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def make_work_image(
    image: NDArray[np.uint8],
    max_side: int,
    params: AlignParams,
    original_size: tuple[int, int] | None = None,
) -> WorkImage:
    """Reduce to at most `max_side` and equalise local contrast (CLAHE on luminance).

    CLAHE removes most of the exposure and white-balance difference between visits, and
    lifts detail out of shadows and shiny bald skin where detectors otherwise find nothing.
    `original_size` is given when `image` is itself already a reduced decode of a file.
    """
    gray = to_gray(image)
    h, w = gray.shape[:2]
    ow, oh = original_size if original_size is not None else (w, h)
    longest = max(w, h)
    if longest > max_side:
        ratio = max_side / longest
        nw, nh = max(1, round(w * ratio)), max(1, round(h * ratio))
        gray = np.asarray(cv2.resize(gray, (nw, nh), interpolation=cv2.INTER_AREA), np.uint8)
    clahe = cv2.createCLAHE(clipLimit=params.clahe_clip,
                            tileGridSize=(params.clahe_grid, params.clahe_grid))
    eq = np.asarray(clahe.apply(gray), dtype=np.uint8)
    gh, gw = eq.shape[:2]
    return WorkImage(eq, (gw / ow, gh / oh), (ow, oh))


def detect_orb(gray: GrayImage, params: AlignParams) -> Features:
    orb = cv2.ORB.create(nfeatures=params.orb_features, scaleFactor=1.2, nlevels=8,
                         edgeThreshold=19, patchSize=19,
                         fastThreshold=params.orb_fast_threshold)
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    pts = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    desc = None if descriptors is None else np.asarray(descriptors, np.uint8)
    return Features(pts, desc, "orb")


def detect_sift(gray: GrayImage, params: AlignParams) -> Features:
    sift = cv2.SIFT.create(nfeatures=params.sift_features, contrastThreshold=0.02)
    keypoints, descriptors = sift.detectAndCompute(gray, None)
    pts = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    desc = None if descriptors is None else np.asarray(descriptors, np.float32)
    return Features(pts, desc, "sift")


def nearest_two_l2(query: NDArray[np.float32], train: NDArray[np.float32],
                   block: int = 1024) -> list[tuple[int, int, float, float]]:
    """(query row, nearest train row, its distance, the second-nearest distance) per query.

    Exact brute force, as `cv2.BFMatcher(NORM_L2).knnMatch(k=2)`, written as
    one matrix product per block of queries (|q|^2 + |t|^2 - 2 q.t): BLAS
    matches a 12 MP pair's 4000 x 4000 SIFT descriptors in about a quarter
    of BFMatcher's time. Blocks keep the distance table at 16 MB.
    """
    t_sq = np.einsum("ij,ij->i", train, train)
    train_t = np.ascontiguousarray(train.T)
    out: list[tuple[int, int, float, float]] = []
    for start in range(0, len(query), block):
        q = query[start:start + block]
        d2 = q @ train_t
        d2 *= np.float32(-2.0)
        d2 += t_sq[None, :]
        d2 += np.einsum("ij,ij->i", q, q)[:, None]
        rows = np.arange(len(q))
        first = np.argmin(d2, axis=1)
        d_first = d2[rows, first].copy()
        d2[rows, first] = np.inf
        d_second = d2.min(axis=1)
        root1 = np.sqrt(np.maximum(d_first, 0.0))
        root2 = np.sqrt(np.maximum(d_second, 0.0))
        out.extend(zip(range(start, start + len(q)), first.tolist(), root1.tolist(),
                       root2.tolist(), strict=True))
    return out


def _nearest_two(kind: str, query: Descriptors,
                 train: Descriptors) -> list[tuple[int, int, float, float]]:
    """Each query descriptor's nearest train descriptor, and the two nearest distances."""
    if kind != "orb":
        return nearest_two_l2(query.astype(np.float32, copy=False),
                              train.astype(np.float32, copy=False))
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(query, train, k=2)
    return [(p[0].queryIdx, p[0].trainIdx, p[0].distance, p[1].distance)
            for p in pairs if len(p) == 2]


def match(moving: Features, reference: Features, ratio: float) -> tuple[Points, Points]:
    """Ratio-tested, one-to-one correspondences (moving points, reference points)."""
    empty = np.empty((0, 2), np.float32)
    if (moving.descriptors is None or reference.descriptors is None
            or len(moving.points) < 2 or len(reference.points) < 2):
        return empty, empty
    best: dict[int, tuple[float, int]] = {}
    nearest = _nearest_two(moving.kind, moving.descriptors, reference.descriptors)
    for query, train, first, second in nearest:
        if first < ratio * second:
            current = best.get(train)
            if current is None or first < current[0]:
                best[train] = (first, query)
    if not best:
        return empty, empty
    train_idx = np.fromiter(best.keys(), dtype=np.int64)
    query_idx = np.array([best[t][1] for t in best], dtype=np.int64)
    return moving.points[query_idx], reference.points[train_idx]


def _residuals(matrix: Matrix, src: Points, dst: Points) -> NDArray[np.float64]:
    mapped = transform_points(matrix, src)
    out: NDArray[np.float64] = np.linalg.norm(mapped - dst.astype(np.float64), axis=1)
    return out


def _truncated_rmse(res: NDArray[np.float64], threshold: float) -> float:
    return float(np.sqrt(np.mean(np.minimum(res, threshold) ** 2))) if len(res) else np.inf


def _make_fit(matrix: Matrix, model: str, src: Points, dst: Points, threshold: float) -> Fit:
    res = _residuals(matrix, src, dst)
    mask = res <= threshold
    rmse = float(np.sqrt(np.mean(res[mask] ** 2))) if mask.any() else float("inf")
    return Fit(matrix, model, int(mask.sum()), len(src), rmse, src[mask], dst[mask], src, dst)


def refit(model: str, src: Points, dst: Points) -> Matrix | None:
    """Least-squares refit on inliers (RANSAC's own estimate is from a minimal sample)."""
    s = src.astype(np.float64)
    d = dst.astype(np.float64)
    n = len(s)
    if model == "similarity" and n >= 2:
        return similarity_lstsq(s, d)
    if model == "affine" and n >= 3:
        a = np.column_stack([s, np.ones(n)])
        p, *_ = np.linalg.lstsq(a, d, rcond=None)
        return as_matrix(p.T)
    if model == "homography" and n >= 4:
        m, _ = cv2.findHomography(src, dst, 0)
        return None if m is None else as_matrix(m)
    return None


def _robust(model: str, src: Points, dst: Points, thr: float, params: AlignParams) -> Fit | None:
    try:
        if model == "similarity":
            m, _ = cv2.estimateAffinePartial2D(
                src, dst, method=cv2.RANSAC, ransacReprojThreshold=thr,
                maxIters=params.ransac_max_iters, confidence=params.ransac_confidence,
                refineIters=10)
        elif model == "affine":
            m, _ = cv2.estimateAffine2D(
                src, dst, method=cv2.USAC_MAGSAC, ransacReprojThreshold=thr,
                maxIters=params.ransac_max_iters, confidence=params.ransac_confidence)
        else:
            m, _ = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, thr,
                                      maxIters=params.ransac_max_iters,
                                      confidence=params.ransac_confidence)
    except cv2.error:
        return None
    if m is None:
        return None
    try:
        fit = _make_fit(as_matrix(m), model, src, dst, thr)
    except ValueError:
        return None
    # Two rounds of least squares on the consensus set sharpen the minimal-sample estimate.
    for _ in range(2):
        refined = refit(model, fit.src, fit.dst)
        if refined is None:
            break
        candidate = _make_fit(refined, model, src, dst, thr)
        if candidate.inliers < fit.inliers:
            break
        fit = candidate
    return fit


def _msac_cost(fit: Fit, src: Points, dst: Points, threshold: float) -> float:
    """Truncated squared residual over ALL candidate matches, in units of threshold**2.

    Unlike an inlier count it rewards a model for fitting its inliers tightly, which is
    how perspective shows: a similarity fits the centre of a tilted view with many
    inliers but systematically larger residuals.
    """
    res = _residuals(fit.matrix, src, dst)
    return float(np.sum(np.minimum(res, threshold) ** 2)) / threshold**2


def estimate(src: Points, dst: Points, params: AlignParams, px_scale: float) -> Fit | None:
    """The simplest model that explains the correspondences.

    `px_scale` converts px at 1000-px width into px of the reference working copy. An
    affine or homography replaces the similarity only when it lowers the MSAC cost by a
    clear margin (relative and absolute), well above what its extra freedom buys by chance.
    """
    if len(src) < 3:
        return None
    thr = params.ransac_threshold_px * px_scale
    best = _robust("similarity", src, dst, thr, params)
    if best is None:
        return None
    best_cost = _msac_cost(best, src, dst, thr)
    richer = []
    if params.allow_affine:
        richer.append("affine")
    if params.allow_homography:
        richer.append("homography")
    for model in richer:
        candidate = _robust(model, src, dst, thr, params)
        if candidate is None or candidate.inliers < params.richer_model_min_inliers:
            continue
        cost = _msac_cost(candidate, src, dst, thr)
        gain = best_cost - cost
        if gain >= params.richer_model_min_gain and gain >= params.richer_model_gain * best_cost:
            best, best_cost = candidate, cost
    return best

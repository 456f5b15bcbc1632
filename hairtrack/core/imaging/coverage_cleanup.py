"""Clean-up of the thresholded hair mask: what a per-pixel threshold cannot see.

A threshold judges each pixel alone. Three things need its neighbours: the
seam between a strand and its shine (closed in by hair, so hair), pieces
that are not strands (specks, blobs, faint vellus), and clipped highlights,
whose colour is lost (they take the class of the pixels around them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_channels import masked_blur
from hairtrack.core.imaging.coverage_classify import Classified

if TYPE_CHECKING:
    from hairtrack.core.imaging.hair_coverage import CoverageParams


def fill_gaps(result: Classified, use: NDArray[np.bool_], p: CoverageParams) -> NDArray[np.bool_]:
    """Hair-coloured pixels closed in by hair are hair: the seam between a strand and its shine.

    A one-pixel morphological closing, kept only where the pixel itself is
    clearly off scalp colour, so scalp seen between two strands stays scalp.
    """
    if p.fill_fraction <= 0:
        return result.hair
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    closed = cv2.morphologyEx(result.hair.astype(np.uint8), cv2.MORPH_CLOSE, kernel) > 0
    offscalp = result.distance >= np.float32(p.fill_fraction * result.threshold)
    return np.asarray(result.hair | (closed & offscalp & use))


def drop_specks(hair: NDArray[np.bool_], distance: NDArray[np.float32], core: float,
                 p: CoverageParams) -> NDArray[np.bool_]:
    """Remove what the threshold let through that is not a strand.

    Hair is made of strands: long, thin and about as far from scalp colour as
    the other strands. Three kinds of pieces are not: specks smaller than
    `min_component` (pores, noise); compact blobs (moles, freckles, pore
    clusters: about as wide as long); and small faint pieces (vellus hair,
    fine and unpigmented, which a clinician does not count as hair).
    """
    if not hair.any():
        return hair
    n, labels, stats, _ = cv2.connectedComponentsWithStats(hair.astype(np.uint8), connectivity=8)
    lab = np.asarray(labels, np.int32)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    diag2 = (stats[:, cv2.CC_STAT_WIDTH].astype(np.float64) ** 2
             + stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64) ** 2)
    small = area < p.faint_max_area
    small[0] = False  # the background
    # Only small pieces can be faint: their pixels alone are summed (a third of
    # the time of summing all; each piece's sum is the same, in the same order).
    pick = _lookup(small, lab)
    mean_d = np.bincount(lab[pick], weights=distance[pick], minlength=n) / np.maximum(area, 1)
    speck = area < p.min_component
    blob = (area < p.blob_max_area) & (area / np.maximum(diag2, 1.0) > p.blob_fill)
    faint = small & (mean_d < p.faint_fraction * core)
    drop = speck | blob | faint
    drop[0] = False
    return hair & ~_lookup(drop, lab) if drop.any() else hair


def _lookup(table: NDArray[np.bool_], labels: NDArray[np.int32]) -> NDArray[np.bool_]:
    """`table[labels]` for a per-piece flag, gathered as bytes (NumPy's fast path)."""
    return np.take(table.view(np.uint8), labels).view(bool)


def assign_clipped(hair: NDArray[np.bool_], use: NDArray[np.bool_],
                    clipped: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Clipped highlights take the class of most of their neighbours.

    A clipped pixel has lost its colour: on a strand it is shine on hair, on a
    bald crown the flash's reflection on skin; the neighbourhood says which.
    Highlights are usually a few small spots, so the neighbourhood is read in
    the box round them only (a whole 3 MP working copy costs 60 ms; the
    blur's values inside the box are the same either way).
    """
    ys, xs = np.nonzero(clipped)
    if len(ys) == 0:
        return hair
    h, w = hair.shape
    y0, y1 = max(0, int(ys.min()) - _NEAR_REACH), min(h, int(ys.max()) + _NEAR_REACH + 1)
    x0, x1 = max(0, int(xs.min()) - _NEAR_REACH), min(w, int(xs.max()) + _NEAR_REACH + 1)
    box = (slice(y0, y1), slice(x0, x1))
    num = cv2.GaussianBlur(hair[box].astype(np.float32), (0, 0), _NEAR_SIGMA)
    den = cv2.GaussianBlur(use[box].astype(np.float32), (0, 0), _NEAR_SIGMA)
    near = den > 0.05
    share = num / np.maximum(den, 1e-6)
    if (clipped[box] & ~near).any():  # a highlight with no measured pixel near: look wider
        hf, uf = hair.astype(np.float32), use.astype(np.float32)
        far = masked_blur(hf[:, :, None], uf, 15.0, np.zeros(1, np.float32))[:, :, 0]
        share = np.where(near, share, far[box])
    out = hair.copy()
    out[box] |= clipped[box] & (share >= 0.5)
    return out


#: The near neighbourhood of a clipped pixel (px, Gaussian sigma) and how far its
#: kernel reaches (OpenCV's float kernels span 4 sigma each way).
_NEAR_SIGMA = 3.0
_NEAR_REACH = 13

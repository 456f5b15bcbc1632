"""Regions of interest: polygons drawn on a baseline, masks, the default region.

A clinician draws the region once, as a polygon on the baseline photo; every
follow-up is aligned to the baseline by a 3x3 matrix that maps follow-up
(moving) pixels to baseline (reference) pixels, so the same polygon is
carried into a follow-up with the inverse matrix. When no region is drawn,
`default_roi` picks the part of the head near the image centre, which is
where a vertex or crown photo puts the area being tracked.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

Polygon = Sequence[tuple[float, float]] | NDArray[np.float64]
Mask8 = NDArray[np.uint8]

#: Default region: an ellipse centred in the frame, this fraction of the shorter side across.
DEFAULT_RADIUS = 0.35
_ANALYSIS_SIDE = 160
_MIN_HEAD_SIDE = 8  # px of the sampled copy, each way, to look for a head at all
_FIXED = 16  # sub-pixel precision of polygon filling (cv2 shift=4)
_SAFE = 2.0**26  # larger coordinates, times _FIXED, come close to overflowing int32
_ABSURD = 1e12  # no drawing or transform of a photo gives this: a damaged polygon
_MARGIN = 8.0  # clipping this far outside the image leaves every pixel centre alone


def polygon_to_mask(polygon: Polygon, shape: tuple[int, ...]) -> Mask8:
    """Filled polygon as a uint8 mask (255 inside) of `shape[:2]`; pixel centres count."""
    h, w = int(shape[0]), int(shape[1])
    pts = np.asarray(polygon, np.float64).reshape(-1, 2)
    mask = np.zeros((h, w), np.uint8)
    if len(pts) < 3 or not np.all(np.isfinite(pts)) or np.abs(pts).max() > _ABSURD:
        return mask
    if np.abs(pts).max() > _SAFE:  # e.g. a region carried by a strong perspective
        pts = _clip_to_box(pts, -_MARGIN, max(h, w) + _MARGIN)
        if len(pts) < 3:
            return mask
    fixed = np.round(pts * _FIXED).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(mask, [fixed], 255, lineType=cv2.LINE_8, shift=4)
    return mask


def _clip_to_box(pts: NDArray[np.float64], low: float, high: float) -> NDArray[np.float64]:
    """The part of a polygon inside the square [low, high]^2 (Sutherland-Hodgman).

    Far vertices would overflow the fixed-point coordinates of cv2.fillPoly and wrap
    around; the box holds the image with a margin, so the mask is unchanged.
    """
    for axis in (0, 1):
        for bound, keep in ((low, np.greater_equal), (high, np.less_equal)):
            kept: list[NDArray[np.float64]] = []
            for index in range(len(pts)):
                current, previous = pts[index], pts[index - 1]
                inside, was_inside = keep(current[axis], bound), keep(previous[axis], bound)
                if inside != was_inside:
                    t = (bound - previous[axis]) / (current[axis] - previous[axis])
                    kept.append(previous + t * (current - previous))
                if inside:
                    kept.append(current)
            pts = np.asarray(kept, np.float64).reshape(-1, 2)
    return pts


def transform_polygon(polygon: Polygon, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Map polygon vertices through a 3x3 homography (or a 2x3 affine) matrix.

    Alignment matrices map moving -> reference pixels; to carry a region drawn
    on the reference (baseline) into a moving photo, pass `np.linalg.inv(matrix)`.
    """
    pts = np.asarray(polygon, np.float64).reshape(-1, 2)
    m = np.asarray(matrix, np.float64)
    if m.shape == (2, 3):
        m = np.vstack([m, [0.0, 0.0, 1.0]])
    if m.shape != (3, 3):
        raise ValueError(f"matrix must be 3x3 or 2x3, got {m.shape}")
    homog = np.hstack([pts, np.ones((len(pts), 1))]) @ m.T
    z = homog[:, 2:3]
    if np.any(np.abs(z) < 1e-12):
        raise ValueError("polygon vertex maps to infinity under this matrix")
    return np.asarray(homog[:, :2] / z, np.float64)


def central_ellipse(shape: tuple[int, ...], radius: float = DEFAULT_RADIUS) -> Mask8:
    """A disc of `radius` x the shorter side around the image centre (255 inside)."""
    h, w = int(shape[0]), int(shape[1])
    mask = np.zeros((h, w), np.uint8)
    r = max(1, round(radius * min(h, w)))
    cv2.circle(mask, (round((w - 1) * _FIXED / 2), round((h - 1) * _FIXED / 2)), r * _FIXED,
               255, -1, lineType=cv2.LINE_8, shift=4)
    return mask


def head_mask(image: NDArray[np.uint8]) -> Mask8:
    """Pixels that look like the head (hair or scalp) rather than the background.

    Colours are clustered on a small copy; clusters well represented near the
    centre (a vertex photo is centred on the head) are head colours, and the
    head is the connected blob of those colours that holds the centre. Cheap
    and crude by design: it only has to keep walls, clothes and floors out of
    a default region.
    """
    h, w = image.shape[:2]
    step = max(1, max(h, w) // _ANALYSIS_SIDE)
    # Every step-th pixel after a light blur: a rough map needs no area average.
    small = np.ascontiguousarray(image[step // 2::step, step // 2::step])
    if min(small.shape[:2]) < _MIN_HEAD_SIDE:
        # A sliver or a thumbnail: too few pixels to tell head from background.
        return np.full((h, w), 255, np.uint8)
    small = np.asarray(cv2.GaussianBlur(small, (3, 3), 0), np.uint8)
    sh, sw = small.shape[:2]
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2Lab).reshape(-1, 3).astype(np.float32)
    cv2.setRNGSeed(7)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    k = 6
    best = np.zeros((len(lab), 1), np.int32)
    _, found, _ = cv2.kmeans(lab, k, best, criteria, 1, cv2.KMEANS_PP_CENTERS)
    labels = np.asarray(found, np.int32).reshape(sh, sw)
    centre = central_ellipse((sh, sw), 0.2) > 0
    inside = np.bincount(labels[centre].ravel(), minlength=k) / max(1, int(centre.sum()))
    overall = np.bincount(labels.ravel(), minlength=k) / labels.size
    head_colours = (inside >= 0.05) & (inside >= 0.6 * overall)
    head = head_colours[labels].astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    head = np.asarray(cv2.morphologyEx(head, cv2.MORPH_CLOSE, kernel), np.uint8)
    n, comp = cv2.connectedComponents(head, connectivity=8)
    if n > 1:
        held = np.bincount(comp[centre].ravel(), minlength=n)
        held[0] = 0
        head = (comp == int(np.argmax(held))).astype(np.uint8)
    head = np.asarray(cv2.morphologyEx(head, cv2.MORPH_CLOSE, kernel), np.uint8)
    smooth = cv2.GaussianBlur(head * np.uint8(255), (0, 0), 1.0)  # round the blocky outline
    _, smooth = cv2.threshold(smooth, 127, 255, cv2.THRESH_BINARY)
    full = cv2.resize(smooth, (sw * step, sh * step), interpolation=cv2.INTER_NEAREST)
    full = full[:h, :w]
    if full.shape != (h, w):
        full = cv2.copyMakeBorder(full, 0, h - full.shape[0], 0, w - full.shape[1],
                                  cv2.BORDER_REPLICATE)
    return np.asarray(full, np.uint8)


def default_roi(image: NDArray[np.uint8]) -> Mask8:
    """The region measured when none is drawn: the head within a central disc.

    The disc (0.35 x the shorter side) keeps the measurement on the vertex or
    crown the photo is centred on; intersecting it with the head keeps
    background out when the head does not fill the frame. If the head
    detection leaves too little (an unusual photo), the disc alone is used.
    """
    disc = central_ellipse(image.shape)
    roi = cv2.bitwise_and(disc, head_mask(image))
    if int(np.count_nonzero(roi)) < 0.3 * int(np.count_nonzero(disc)):
        return disc
    return np.asarray(roi, np.uint8)

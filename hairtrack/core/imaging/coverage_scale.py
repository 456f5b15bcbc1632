"""Strand scale: how far a photo may be reduced before its hair stops being resolved.

The pixel radii of the coverage method (where a strand's core and the scalp
beside it are looked for, the clean-up sizes) were tuned on photos whose
strands are about two pixels wide. A whole-crown photo from a 12 MP camera
has strands about that wide at full size; reduced to the default working
size they would be a fraction of a pixel and the method would measure the
photo's darkness, not its strands (on such synthetic scalps, 1920 px wide,
the error rose from 4 to 17 points). So the working copy is reduced only as
far as the strands stay as wide as in the photos the method was tuned on.

Strand width is read as the scale of the strongest ridges: for each pixel,
the Gaussian scale at which Lindeberg's scale-normalised ridge strength
(gamma 3/4, the difference of the Hessian's eigenvalues) peaks; the median
over the pixels that respond most, in a few patches of the region. It
grows with strand width up to about 3 px and reads dark and light strands
alike; it is not an absolute width, so the bar it is compared with
(`min_strand_scale`, 0.9) sits between what the tuned photos read (0.8-1.3)
and what the same strands read once sub-pixel (0.5-0.75). Skin texture
competes where hair has little contrast (fair hair on light skin reads
wider than it is), which errs towards the usual reduction. Going finer
than needed is no safer: wide strands measured at full size lose accuracy
too (`benchmarks/bench_coverage.py --only scale`). Only patches are read, so
the choice costs about 15 ms per size tried on a 12 MP photo.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_channels import F32, Mask, reduce_by

#: Gaussian scales tried, in px: quarter octaves from half a pixel to about three pixels
#: (wider strands are resolved at any working size this module chooses between).
RIDGE_SIGMAS = 2.0 ** np.arange(-1.0, 1.51, 0.25)
#: Share of a patch's pixels, strongest ridges first, whose scale is read.
TOP_SHARE = 0.15
#: Pixels this near a patch's edge are left out (the blur reads past it).
EDGE = 10


def ridge_scale(grey: F32) -> float:
    """Median scale (px) at which the strongest ridges of `grey` respond most."""
    responses = []
    for sigma in RIDGE_SIGMAS:
        g = cv2.GaussianBlur(grey, (0, 0), float(sigma))
        dxx = cv2.Sobel(g, cv2.CV_32F, 2, 0, ksize=3)
        dyy = cv2.Sobel(g, cv2.CV_32F, 0, 2, ksize=3)
        dxy = cv2.Sobel(g, cv2.CV_32F, 1, 1, ksize=3)
        spread = cv2.magnitude(dxx - dyy, 2.0 * dxy)  # |l1 - l2|
        responses.append(np.float32(sigma ** 1.5) * spread[EDGE:-EDGE:2, EDGE:-EDGE:2].ravel())
    r = np.stack(responses, axis=1)  # one row per pixel: argmax along contiguous memory
    best_at = np.argmax(r, axis=1)
    best = r[np.arange(len(r)), best_at]
    strong = best >= np.quantile(best, 1.0 - TOP_SHARE)
    at, rows = best_at[strong], np.flatnonzero(strong)
    log_scale = np.log2(RIDGE_SIGMAS[at])
    # A parabola through the peak and its neighbours places it between the tried scales.
    inner = (at > 0) & (at < len(RIDGE_SIGMAS) - 1)
    a, c = at[inner], rows[inner]
    y0, y1, y2 = (np.log(r[c, a + k].astype(np.float64) + 1e-12) for k in (-1, 0, 1))
    curvature = y0 - 2.0 * y1 + y2
    shift = np.where(curvature < 0, 0.5 * (y0 - y2) / np.where(curvature < 0, curvature, -1.0),
                     0.0)
    log_scale[inner] += 0.25 * np.clip(shift, -0.5, 0.5)
    return float(2.0 ** np.median(log_scale))


def patch_centres(region: Mask, factor: int, grid: int) -> list[tuple[int, int]]:
    """Centres (photo px) of up to grid x grid patches spread over the region.

    `region` is the region at a reduction of `factor`; the centres sit on an
    even grid over its bounding box and are kept where they are inside it.
    """
    x0, y0, bw, bh = cv2.boundingRect(region.view(np.uint8))
    if bw == 0 or bh == 0:
        return []
    centres = []
    for fy in np.linspace(0.2, 0.8, grid):
        for fx in np.linspace(0.2, 0.8, grid):
            cy, cx = y0 + round(fy * (bh - 1)), x0 + round(fx * (bw - 1))
            if region[cy, cx]:
                centres.append((cy * factor + factor // 2, cx * factor + factor // 2))
    return centres


def strand_scale(image: NDArray[np.uint8], centres: list[tuple[int, int]], factor: int,
                 side: int) -> float | None:
    """Ridge scale of the hair in `image` reduced by `factor` (median over patches).

    Each patch is `side` px across after the reduction; patches that do not
    fit inside the photo are skipped. None when none fits.
    """
    h, w = image.shape[:2]
    reach = side * factor
    scales = []
    for cy, cx in centres:
        y, x = min(max(0, cy - reach // 2), h - reach), min(max(0, cx - reach // 2), w - reach)
        if y < 0 or x < 0:
            continue
        patch = np.asarray(cv2.cvtColor(image[y:y + reach, x:x + reach], cv2.COLOR_BGR2GRAY),
                           np.uint8)
        grey = reduce_by(patch, factor)
        # Log brightness: a strand's contrast is the same in shadow and in light.
        scales.append(ridge_scale(np.asarray(cv2.log(grey.astype(np.float32) + np.float32(5.0)),
                                             np.float32)))
    return float(np.median(scales)) if scales else None


def working_factor(image: NDArray[np.uint8], region_coarse: Mask, coarse: int, finest: int,
                   min_scale: float, grid: int = 3, side: int = 128) -> int:
    """The coarsest reduction, from `coarse` down to `finest`, that keeps strands resolved.

    `region_coarse` is the region at the `coarse` reduction. A photo whose
    strands are already wide at `coarse` (every photo up to the default
    working size, close-ups) is reduced as before; one whose strands would
    fall below `min_scale` is reduced less, down to `finest` (a cap on the
    working copy's size, for time and memory). When the region holds no
    patch to read, the reduction stays at `coarse`.
    """
    if coarse <= finest:
        return coarse
    centres = patch_centres(region_coarse, coarse, grid)
    if not centres:
        return coarse
    for factor in range(coarse, finest, -1):
        scale = strand_scale(image, centres, factor, side)
        if scale is None or scale >= min_scale:
            return factor
    return finest

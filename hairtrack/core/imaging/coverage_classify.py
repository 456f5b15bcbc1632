"""The per-pixel hair/scalp threshold, given the local bare-scalp colour.

Each pixel is divided by the bare-scalp colour expected at that spot (this
is the illumination flattening: exposure, white balance, shading and sheen
all cancel in the ratio) and measured by its distance from scalp in units of
the scalp's own colour spread (a Mahalanobis "skin distance"). A pixel
part-covered by a strand lies between scalp and strand, its distance growing
with the covered area, so the threshold is a half-way point: a pixel is hair
when its distance is at least `half_way` from the most scalp-like pixel
nearby (the floor) to the strongest nearby response (the strand core). The
ratio is measured on a Box-Cox scale (`power`) between linear and log: on a
linear scale the half-way point follows the photo's tone curve (gamma), on a
log scale it sits too close to the strand; 0.35 with `half_way` 0.42 is the
calibrated compromise (synthetic scalps, exact masks). Nearer log is more
gamma-proof but less noise-proof: power 0.1 (half-way 0.36, 0.55 for pixels
lighter than scalp) kept gamma 0.7/1.4 within 1.4 points and accuracy within
2 points, but lost 3.7 points to JPEG q85 and 6.6 to lens blur and noise,
and gave up shine on hair; 0.2 bought almost nothing (2.5). The floor matters where hair
is dense: the skin seen between strands lies in their shadow and would look
half-way to hair if judged against open scalp. A global floor, a fraction
of the typical strand-core distance, keeps skin texture (pores, blotches)
from counting as hair where no strand is near. Shine on a strand is far
from skin colour in every direction, so it stays hair.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_channels import (
    F32,
    OFFSET,
    Mask,
    grid_sample,
    local_max,
    local_min,
)

#: Smallest colour-ratio spread assumed for bare scalp (quantisation, JPEG).
MIN_SPREAD = 0.01


@dataclass(frozen=True)
class ClassifyParams:
    """Settings of the threshold; recorded with every measurement."""

    min_distance: float = 3.5  # skin-spread units: never hair below this
    floor_fraction: float = 0.3  # of the strand-core distance: global floor
    half_way: float = 0.42  # share of the way from floor to core that makes hair
    peak_radius: int = 1  # px: where a pixel's strand core is looked for
    floor_radius: int = 2  # px: where the scalp seen between strands is looked for
    shadow_gate: float = 0.6  # of the core distance: deeper floors are hair, not shadow
    prominence_radius: int = 4  # px: scalp must be this near for a strand core to count
    sample: int = 12_000
    power: float = 0.35  # Box-Cox scale of the colour ratio (1 linear, towards 0 log)

    def __post_init__(self) -> None:
        if not 0.0 < self.power <= 1.0:
            raise ValueError(f"power must be in (0, 1], got {self.power}")


@dataclass(frozen=True)
class Classified:
    hair: Mask
    distance: F32  # skin distance per pixel, scalp-spread units
    threshold: float  # the global floor used
    core: float  # median strand-core distance
    peak: F32 = field(repr=False)  # strongest nearby response (the strand core)
    floor: F32 = field(repr=False)  # most scalp-like nearby response (0 where untrusted)
    trusted: Mask = field(repr=False)  # the floor is scalp seen between strands

    def hair_at(self, use: Mask, half_way: float) -> Mask:
        """The hair mask had the half-way point been `half_way` (how much the cut matters)."""
        thr = np.float32(self.threshold)
        cut = np.maximum(self.floor + np.float32(half_way) * (self.peak - self.floor), thr)
        return np.asarray(use & (self.distance >= cut)
                          & (~self.trusted | (self.distance - self.floor >= thr)))


def robust_covariance(x: F32) -> tuple[F32, F32]:
    """Mean and covariance of the bulk of `x` (n, 3), ignoring outliers per axis."""
    x64 = x.astype(np.float64)
    med = np.median(x64, axis=0)
    mad = np.median(np.abs(x64 - med), axis=0) * 1.4826 + 1e-4
    core = np.all(np.abs(x64 - med) <= 2.5 * mad, axis=1)
    if int(core.sum()) < 20:
        core = np.ones(len(x64), bool)
    sub = x64[core]
    cov = np.atleast_2d(np.cov(sub.T)) * 1.35 + np.eye(x.shape[1]) * 1e-6  # undo the trim
    return sub.mean(axis=0).astype(np.float32), np.asarray(cov, np.float32)


def whitener(cov: F32) -> F32:
    """Matrix that maps scalp-colour deviations to unit spread in every direction."""
    vals, vecs = np.linalg.eigh(cov.astype(np.float64))
    vals = np.maximum(vals, vals.max() * 1e-4)
    return np.asarray((vecs / np.sqrt(vals)).T, np.float32)


def tone(pixels: NDArray[np.uint8], power: float) -> F32:
    """8-bit values (+OFFSET) on the Box-Cox tone scale: (v + OFFSET) ** power.

    A table lookup, so the per-pixel power costs nothing; the colour ratio to
    scalp is then a division on this scale (see `skin_distance`).
    """
    table = np.power(np.arange(256, dtype=np.float64) + OFFSET, power).astype(np.float32)
    return np.asarray(cv2.LUT(np.ascontiguousarray(pixels), table), np.float32)


def tone_field(background: F32, power: float) -> F32:
    """A bare-scalp colour field (+OFFSET, float) on the same tone scale as `tone`."""
    return background if power == 1.0 else np.asarray(cv2.pow(background, power), np.float32)


def skin_distance(toned: F32, background: F32, skin: Mask, sample: int,
                  power: float = 1.0) -> F32:
    """Mahalanobis distance of each pixel's colour ratio to bare scalp.

    `toned` and `background` are on the tone scale (`tone`, `tone_field`), so
    their quotient is ratio ** power and the Box-Cox value (ratio ** power - 1)
    / power. `power` < 1 measures the ratio between linear (1) and logarithmic
    (0): a tone curve out = in ** gamma then acts like a change of `power` by
    the factor gamma, so the smaller it is, the less a photo's gamma moves the
    half-way point between scalp and strand.
    """
    # Few passes (divide, one affine transform, square-sum): this runs on every
    # working pixel and is the bulk of a coverage call. NumPy divides: the same
    # bits as cv2.divide, which took 17-28 ms on a 2000 x 1500 copy against 5-7.
    ratio = np.asarray(toned / background, np.float32)
    scale, shift = np.float32(1.0 / power), np.float32(-1.0 / power)
    n = ratio.shape[2]
    mean, cov = robust_covariance(grid_sample(ratio, skin, sample) * scale + shift)
    # Never trust a channel to better than 1 %: a clipped channel (over-exposed
    # skin) has no spread at all and would otherwise turn 8-bit noise into hair.
    cov = cov + np.eye(n, dtype=np.float32) * np.float32(MIN_SPREAD ** 2)
    w = whitener(cov).astype(np.float64)
    affine = np.hstack([w * float(scale), (w @ (float(shift) - mean.astype(np.float64)))[:, None]])
    white = cv2.transform(ratio, affine)
    squares = cv2.multiply(white, white).reshape(ratio.shape[0], ratio.shape[1], n)
    total = cv2.transform(squares, np.ones((1, n), np.float64))
    return np.asarray(cv2.sqrt(total), np.float32).reshape(ratio.shape[:2])


def classify(toned: F32, use: Mask, background: F32, skin: Mask,
             params: ClassifyParams, smooth: Mask | None = None) -> Classified:
    """Hair mask inside `use` given the bare-scalp colour field and clean scalp pixels.

    `toned` and `background` are on the tone scale of `params.power`
    (`tone`, `tone_field`).
    """
    m = skin_distance(toned, background, skin, params.sample, params.power)
    peak = local_max(m, params.peak_radius)
    low = local_min(m, params.floor_radius)
    # Strand cores: local maxima that stand out from the scalp next to them
    # (smooth drifts of scalp colour have no such prominence).
    wide_low = local_min(m, params.prominence_radius)
    tops = use & (m >= peak) & (m - wide_low >= params.min_distance)
    core = float(np.median(grid_sample(m, tops, params.sample))) if tops.any() else 0.0
    threshold = max(params.min_distance, params.floor_fraction * core)
    trusted = low <= params.shadow_gate * core
    if smooth is not None:
        trusted |= smooth  # no strands around: whatever the colour, it is scalp drift
    floor = np.where(trusted, low, np.float32(0.0))
    cut = np.maximum(floor + np.float32(params.half_way) * (peak - floor), np.float32(threshold))
    # Where the floor is scalp, hair must also stand out from it: a smooth
    # patch of oddly coloured skin (shading the colour field missed) is not hair.
    hair = use & (m >= cut) & (~trusted | (m - floor >= np.float32(threshold)))
    return Classified(np.asarray(hair), m, threshold, core, peak, floor, np.asarray(trusted))

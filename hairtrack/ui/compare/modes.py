"""What each comparison mode shows, and the pixel work behind the overlays.

The overlay rendering is plain numpy on the analysis' own outputs (the hair
masks in the baseline's working frame), so what the clinician sees is exactly
what was measured. It runs on a worker thread; the panes only composite the
finished images.

Gain/loss colours are the two ends of ColorBrewer's PiYG scheme (green =
hair gained, magenta = hair lost), a diverging pair that stays distinct with
the common red-green colour-vision deficiencies.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hairtrack.core.imaging.transforms import image_corners, scaling_matrix, transform_points


class Mode(str, enum.Enum):
    SIDE_BY_SIDE = "side-by-side"
    BLEND = "blend"
    WIPE = "wipe"
    DIFFERENCE = "difference"

    @property
    def label(self) -> str:
        return {"side-by-side": "Side by side", "blend": "Blend", "wipe": "Wipe",
                "difference": "Gain / loss"}[self.value]

    @property
    def composite(self) -> bool:
        """Shown as one pane, in the baseline's frame: needs an aligned follow-up."""
        return self is not Mode.SIDE_BY_SIDE


GAIN_RGB = (77, 172, 38)  # PiYG #4dac26
LOSS_RGB = (208, 28, 139)  # PiYG #d01c8b
MASK_RGB = (34, 195, 238)  # hair-mask tint, cyan: distinct from skin and hair tones
#: Local coverage changes below this (as a fraction) are left uncoloured: pixel noise and
#: hairs combed differently between visits, not gain or loss.
DEAD_ZONE = 0.04
#: Change (fraction) at which the colour reaches full strength.
FULL_STRENGTH = 0.35
#: Width (Gaussian sigma) of the neighbourhood over which local coverage is compared, as a
#: fraction of the long side: hairs lie differently at every visit, so only changes that
#: persist over an area of many hairs are shown.
WINDOW_FRACTION = 0.02
CLEAR_CHANGE = 0.10  # local change counted as "clear" gain or loss in the summary


def mask_overlay(mask: NDArray[np.generic], rgb: tuple[int, int, int] = MASK_RGB,
                 alpha: float = 0.6) -> NDArray[np.uint8]:
    """A premultiplied BGRA tint where the mask is set, transparent elsewhere."""
    on = np.asarray(mask) > 0
    out = np.zeros((*on.shape, 4), dtype=np.uint8)
    a = round(255 * alpha)
    r, g, b = (round(c * alpha) for c in rgb)
    out[on] = (b, g, r, a)
    return out


def valid_area(matrix: ArrayLike, moving_size: tuple[int, int],
               baseline_size: tuple[int, int], work_shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Where a follow-up warped onto the baseline's working copy has real pixels.

    `matrix` maps full-resolution follow-up pixels to full-resolution baseline
    pixels; the working copy has shape `work_shape` (rows, columns).
    """
    wh, ww = work_shape
    bw, bh = baseline_size
    to_work = scaling_matrix(ww / bw, wh / bh) @ np.asarray(matrix, dtype=np.float64)
    quad = transform_points(to_work, image_corners(*moving_size))
    valid = np.zeros((wh, ww), dtype=np.uint8)
    cv2.fillPoly(valid, [np.round(quad * 16).astype(np.int32).reshape(-1, 1, 2)], 255,
                 lineType=cv2.LINE_8, shift=4)
    return valid > 0


@dataclass(frozen=True)
class GainLoss:
    image: NDArray[np.uint8]  # BGR, the baseline in grey with the change in colour
    net_change_pp: float | None  # coverage change in the compared area, percentage points
    clear_gain: float | None  # fraction of the compared area with clear local gain
    clear_loss: float | None
    compared_fraction: float  # share of the region (or frame) that could be compared
    within_region: bool


def gain_loss(baseline_mask: NDArray[np.generic], follow_mask: NDArray[np.generic],
              valid: NDArray[np.bool_], background: NDArray[np.uint8] | None = None,
              region: NDArray[np.bool_] | None = None) -> GainLoss:
    """Local hair coverage change from baseline to follow-up, where both were measured.

    Only pixels inside `region` (when given) and covered by both photos are
    compared; everything else is darkened. Hairs move between visits (combing,
    length), so pixel-by-pixel differences are mostly noise; local coverage over
    a neighbourhood (a Gaussian of 2 % of the long side) shows where hair really
    thickened or thinned.
    """
    b = (np.asarray(baseline_mask) > 0).astype(np.float32)
    f = (np.asarray(follow_mask) > 0).astype(np.float32)
    if f.shape != b.shape:
        f = np.asarray(cv2.resize(f, (b.shape[1], b.shape[0]),
                                  interpolation=cv2.INTER_NEAREST), dtype=np.float32)
    v = valid.astype(np.float32)
    sigma = max(1.0, max(b.shape) * WINDOW_FRACTION)

    def smooth(a: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(cv2.GaussianBlur(a, (0, 0), sigma), dtype=np.float32)

    weight = smooth(v)
    ok = (weight > 0.5) & valid
    if region is not None:
        # hair is only measured inside the region: outside it, "no change" would be a guess
        ok &= region
    safe = np.maximum(weight, 1e-6)
    change = smooth(f * v) / safe - smooth(b * v) / safe
    change[~ok] = 0.0

    if background is None:
        grey = np.full(b.shape, 200, dtype=np.float32)
    else:
        grey = cv2.cvtColor(background, cv2.COLOR_BGR2GRAY).astype(np.float32)
        if grey.shape != b.shape:
            grey = np.asarray(cv2.resize(grey, (b.shape[1], b.shape[0]),
                                         interpolation=cv2.INTER_AREA), dtype=np.float32)
        grey = 95.0 + grey * 0.55  # light, low-contrast anatomy under the colours
    base = np.repeat(grey[:, :, None], 3, axis=2)
    base[~ok] *= 0.35  # outside the overlap: nothing was compared
    strength = np.clip((np.abs(change) - DEAD_ZONE) / (FULL_STRENGTH - DEAD_ZONE), 0.0, 1.0)
    strength = (0.9 * strength)[:, :, None]
    gain = np.array(GAIN_RGB[::-1], dtype=np.float32)
    loss = np.array(LOSS_RGB[::-1], dtype=np.float32)
    colour = np.where((change > 0)[:, :, None], gain, loss)
    out = base * (1.0 - strength) + colour * strength

    area = ok
    total = float(np.count_nonzero(region)) if region is not None else float(b.size)
    compared = float(np.count_nonzero(area))
    net: float | None = None
    clear_gain: float | None = None
    clear_loss: float | None = None
    if compared > 0:
        net = float(f[area].mean() - b[area].mean()) * 100.0
        clear_gain = float(np.count_nonzero(change[area] >= CLEAR_CHANGE)) / compared
        clear_loss = float(np.count_nonzero(change[area] <= -CLEAR_CHANGE)) / compared
    return GainLoss(np.clip(out, 0, 255).astype(np.uint8), net, clear_gain, clear_loss,
                    compared / total if total else 0.0, region is not None)


def polygon_mask(polygon: ArrayLike, baseline_size: tuple[int, int],
                 work_shape: tuple[int, int]) -> NDArray[np.bool_]:
    """A full-resolution baseline polygon rasterised on the working copy's grid."""
    wh, ww = work_shape
    bw, bh = baseline_size
    pts = transform_points(scaling_matrix(ww / bw, wh / bh), polygon)
    mask = np.zeros((wh, ww), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(pts * 16).astype(np.int32).reshape(-1, 1, 2)], 255,
                 lineType=cv2.LINE_8, shift=4)
    return mask > 0

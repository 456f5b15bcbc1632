"""Capture checks: is this photo good enough to measure, and comparable to its baseline?

A coverage number from a blurred, over-exposed or oddly lit photo is not
comparable with the baseline's, and the clinician should retake the photo
while the patient is still in the room. Each check yields a number (stored,
so thresholds can be revisited) and, past its limit, a sentence saying what
to do.

Every measure is taken on a copy reduced to `NORM_SIDE` pixels, so a 12 MP
photo and a 640 px copy of the same scene get the same numbers, and judged
on the centre of the frame, where a vertex photo puts the scalp (a white
wall or a dark shirt at the edge is not a capture fault).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.io import BGRImage, require_bgr

#: Longest side of the copy every check is measured on.
#: Stored with every measurement so old warnings stay explainable after thresholds change.
ALGORITHM_VERSION = "checks-1.0"
NORM_SIDE = 512
#: Radius of the judged centre, as a fraction of the shorter side.
CENTRE_RADIUS = 0.35

#: Gradient energy must drop by at least this factor under a 2 px blur, or the
#: photo already was blurred (real sharp photos: 2-9; blur sigma 3: below 1.6).
MIN_SHARPNESS = 1.75
#: Share of centre pixels with a channel at 250+ (colour lost) before warning.
MAX_CLIPPED_HIGH = 0.05
#: Share of centre pixels with every channel at 5 or below.
MAX_CLIPPED_LOW = 0.10
#: Mean luminance (0..1) outside this range: exposure is off in absolute terms.
LUMINANCE_RANGE = (0.12, 0.88)
#: Brightness against the baseline outside this range: lighting changed.
BRIGHTNESS_RATIO_RANGE = (0.75, 1.33)
#: Shift of log chromaticity against the baseline before warning (0.25 is a
#: white-balance change of about 13 % between red and blue; phones vary by 5 %).
MAX_CAST_DELTA = 0.25
#: Aligned photo must cover at least this share of the baseline view.
MIN_OVERLAP = 0.6


@dataclass(frozen=True)
class CaptureCheck:
    warnings: tuple[str, ...]
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.warnings

    def to_json(self) -> dict[str, Any]:
        return {"warnings": list(self.warnings), **self.metrics}


def _normalised(image: BGRImage) -> BGRImage:
    h, w = image.shape[:2]
    scale = NORM_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, size, interpolation=interp), np.uint8)


def _centre(shape: tuple[int, ...]) -> NDArray[np.bool_]:
    h, w = int(shape[0]), int(shape[1])
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 2, h // 2), max(1, round(CENTRE_RADIUS * min(h, w))), 1, -1)
    return mask.astype(bool)


def sharpness(small: BGRImage) -> float:
    """How much gradient energy a further 2 px blur removes (about 1 = already blurred).

    A ratio, so it does not depend on how much texture the scene has: a
    smooth bald crown and a full head of hair score alike when both are sharp.
    """
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)

    def energy(img: NDArray[np.float32]) -> float:
        gx = cv2.Sobel(img, cv2.CV_32F, 1, 0)
        gy = cv2.Sobel(img, cv2.CV_32F, 0, 1)
        return float(np.mean(gx * gx + gy * gy))

    blurred = np.asarray(cv2.GaussianBlur(grey, (0, 0), 2.0), np.float32)
    return energy(grey) / max(energy(blurred), 1e-6)


def _lab_centre(small: BGRImage, centre: NDArray[np.bool_]) -> NDArray[np.float64]:
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2Lab)[centre].astype(np.float64)
    lab[:, 0] *= 100.0 / 255.0
    lab[:, 1:] -= 128.0
    return lab


def _balance(small: BGRImage, centre: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Median log(R/B) (warmth) and log(G^2/RB) (green vs magenta) of the centre.

    White balance multiplies each channel by a gain, which in log chromaticity
    is a plain shift whatever the scene shows; the median over the centre
    moves only a little when more or less skin is in view between visits.
    Clipped pixels have lost their colour and are left out.
    """
    pix = small[centre].astype(np.float64)
    pix = pix[pix.max(axis=1) < 250]
    if len(pix) < 10:
        return np.zeros(2)
    logp = np.log(pix + 1.0)
    b, g, r = logp[:, 0], logp[:, 1], logp[:, 2]
    return np.array([np.median(r - b), np.median(2.0 * g - r - b)])


def capture_checks(image: BGRImage, reference: BGRImage | None = None, *,
                   overlap: float | None = None) -> CaptureCheck:
    """Quality of `image` alone, and against `reference` (the baseline) when given.

    Metrics: `sharpness` (gradient energy ratio, < 1.75 is blurred),
    `clipped_high` / `clipped_low` (share of centre pixels), `mean_luminance`
    (0..1, CIE L*/100), and against the reference `brightness_ratio_to_reference`
    (linear light), `cast_delta_warm` (log R/B shift, > 0 warmer) and
    `cast_delta_green` (log G^2/RB shift); `overlap` when given.
    """
    require_bgr(image)
    if reference is not None:
        require_bgr(reference, "reference")
    small = _normalised(image)
    centre = _centre(small.shape)
    warnings: list[str] = []
    metrics: dict[str, float] = {}

    sharp = sharpness(small)
    metrics["sharpness"] = round(sharp, 3)
    if sharp < MIN_SHARPNESS:
        warnings.append("photo is blurred: retake")

    pix = small[centre]
    high = float(np.mean(pix.max(axis=1) >= 250))
    low = float(np.mean(pix.max(axis=1) <= 5))
    metrics["clipped_high"] = round(high, 4)
    metrics["clipped_low"] = round(low, 4)
    if high > MAX_CLIPPED_HIGH:
        warnings.append(f"highlights are clipped ({high:.0%} of pixels): reduce exposure or flash")
    if low > MAX_CLIPPED_LOW:
        warnings.append(f"shadows are crushed ({low:.0%} of pixels): add light")

    lab = _lab_centre(small, centre)
    lum = float(np.mean(lab[:, 0])) / 100.0
    metrics["mean_luminance"] = round(lum, 4)
    if lum < LUMINANCE_RANGE[0]:
        warnings.append("photo is very dark")
    elif lum > LUMINANCE_RANGE[1]:
        warnings.append("photo is very bright")

    if reference is not None:
        _compare(small, centre, lab, reference, warnings, metrics)

    if overlap is not None:
        metrics["overlap"] = round(float(overlap), 4)
        if overlap < MIN_OVERLAP:
            warnings.append(f"aligned photo covers only {overlap:.0%} of the baseline view")
    return CaptureCheck(tuple(warnings), metrics)


def _compare(small: BGRImage, centre: NDArray[np.bool_], lab: NDArray[np.float64],
             reference: BGRImage, warnings: list[str], metrics: dict[str, float]) -> None:
    ref_small = _normalised(reference)
    ref_lab = _lab_centre(ref_small, _centre(ref_small.shape))
    # Brightness in linear light (Y), the quantity exposure and flash scale.
    y = float(np.mean(((lab[:, 0] + 16.0) / 116.0) ** 3))
    y_ref = float(np.mean(((ref_lab[:, 0] + 16.0) / 116.0) ** 3))
    ratio = y / max(y_ref, 1e-6)
    metrics["brightness_ratio_to_reference"] = round(ratio, 4)
    if ratio > BRIGHTNESS_RATIO_RANGE[1]:
        warnings.append("much brighter than baseline")
    elif ratio < BRIGHTNESS_RATIO_RANGE[0]:
        warnings.append("much darker than baseline")
    warm, green = _balance(small, centre) - _balance(ref_small, _centre(ref_small.shape))
    metrics["cast_delta_warm"] = round(float(warm), 4)
    metrics["cast_delta_green"] = round(float(green), 4)
    if abs(warm) > MAX_CAST_DELTA or abs(green) > MAX_CAST_DELTA:
        if abs(warm) >= abs(green):
            tone = "warmer" if warm > 0 else "cooler"
        else:
            tone = "greener" if green > 0 else "more magenta"
        warnings.append(f"colour cast differs from baseline ({tone})")

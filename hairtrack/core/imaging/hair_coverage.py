"""Hair coverage: the share of a region of interest where hair, not scalp, is seen.

Clinicians decide treatment from this number, so it is computed the same way
on every photo and says how far it can be trusted:

- The photo is reduced to a working copy (`CoverageParams.work_side`) and a
  smaller analysis copy. The scalp model (which colour bare scalp has at each
  spot, `coverage_model`) is fitted on the analysis copy; the per-pixel
  threshold (`coverage_classify`) runs on the working copy; the hair mask is
  scaled back to full size. Coverage is therefore defined at the working
  resolution: compare photos measured with the same parameters.
- Exposure and white balance cancel in the ratio to the local scalp colour
  (a channel clipped over most of the region is left out); gamma is damped,
  not cancelled (see `coverage_classify`). Shine on hair stays hair; scalp
  seen between strands stays scalp.
- `confidence` falls when hair and scalp are hard to tell apart (low colour
  contrast, an ambiguous choice of which colour is scalp, no bare scalp in
  view); `note` says why in words.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_channels import (
    grid_sample,
    masked_blur,
    shrink_mask,
    upscale_field,
    upscale_mask,
    working_copy,
)
from hairtrack.core.imaging.coverage_classify import ClassifyParams, classify, tone, tone_field
from hairtrack.core.imaging.coverage_model import ModelParams, fit_skin_model
from hairtrack.core.imaging.io import BGRImage
from hairtrack.core.imaging.roi import default_roi, polygon_to_mask, transform_polygon

__all__ = [
    "ALGORITHM_VERSION",
    "CoverageParams",
    "CoverageResult",
    "coverage",
    "default_roi",
    "polygon_to_mask",
    "transform_polygon",
]

#: Bump whenever a change can move a coverage number; stored with every measurement.
ALGORITHM_VERSION = "coverage-1.2"
METHOD = "flat-scalp-ratio+skin-distance+half-way"


@dataclass(frozen=True)
class CoverageParams:
    """Everything that shapes a coverage number; `as_dict()` is stored with it."""

    work_side: int = 1024  # px, at most: the photo is reduced by a whole factor
    fit_side: int = 400  # px, at most: analysis copy, reduced from the working copy
    white_level: int = 250  # any channel at or above: clipped, colour lost
    max_clipped_channel: float = 0.03  # share of region: more and the channel is dropped
    min_component: int = 3  # px at working size: smaller hair specks are skin texture
    model: ModelParams = field(default_factory=ModelParams)
    classify: ClassifyParams = field(default_factory=ClassifyParams)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CoverageResult:
    coverage: float  # 0..1 share of valid region pixels that are hair
    confidence: float  # 0..1
    roi_pixels: int  # valid region pixels at full resolution
    threshold: float  # skin-distance floor used (scalp-spread units)
    method: str
    algorithm_version: str
    hair_mask: NDArray[np.bool_] = field(repr=False)  # full size, False outside the region
    roi_automatic: bool = False
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored record: numbers and provenance, never the mask."""
        return {"coverage": self.coverage, "confidence": self.confidence,
                "roi_pixels": self.roi_pixels, "threshold": self.threshold,
                "method": self.method, "algorithm_version": self.algorithm_version}


def _check_inputs(image: BGRImage, roi: NDArray[np.uint8] | None,
                  valid: NDArray[np.bool_] | None) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be HxWx3 uint8 BGR, got {image.dtype} {image.shape}")
    for name, mask in (("roi", roi), ("valid", valid)):
        if mask is not None and mask.shape != image.shape[:2]:
            raise ValueError(f"{name} shape {mask.shape} differs from image {image.shape[:2]}")


def _empty(roi_pixels: int, roi_automatic: bool, shape: tuple[int, int],
           note: str) -> CoverageResult:
    return CoverageResult(math.nan, 0.0, roi_pixels, math.nan, METHOD, ALGORITHM_VERSION,
                          np.zeros(shape, bool), roi_automatic, note)


def coverage(image: BGRImage, roi: NDArray[np.uint8] | None = None, *,
             params: CoverageParams | None = None,
             valid: NDArray[np.bool_] | None = None) -> CoverageResult:
    """Hair coverage of `image` inside `roi` (non-zero = inside; None = `default_roi`).

    `valid` marks pixels that show the photo (False for the black border an
    alignment warp leaves); it is AND-ed with the region.
    """
    p = params or CoverageParams()
    _check_inputs(image, roi, valid)
    h, w = image.shape[:2]
    automatic = roi is None
    region = (default_roi(image) if roi is None else roi) > 0
    if valid is not None:
        region &= valid
    roi_pixels = int(np.count_nonzero(region))
    if roi_pixels == 0:
        return _empty(0, automatic, (h, w), "the region is empty (or entirely outside the photo)")

    work, factor = working_copy(image, p.work_side)
    wsize = (work.shape[1], work.shape[0])
    region_w = shrink_mask(region, factor, wsize)
    channels = _trusted_channels(work, region_w, p)
    work_c = work if channels == (0, 1, 2) else np.ascontiguousarray(work[:, :, list(channels)])
    white_w = _clipped(work_c, p.white_level)
    use_w = region_w & ~white_w
    small, fit_factor = working_copy(work, p.fit_side)
    ssize = (small.shape[1], small.shape[0])
    use_s = shrink_mask(use_w, fit_factor, ssize)
    use_s &= np.asarray(small[:, :, list(channels)].max(axis=2) < p.white_level)
    if int(use_s.sum()) < 200 or int(use_w.sum()) < 400:
        reason = ("the region is mostly clipped highlights" if int(region_w.sum()) >= 400
                  else "the region is too small to measure")
        return _empty(roi_pixels, automatic, (h, w), reason)

    model = fit_skin_model(small, use_s, p.model, p.classify, channels)
    power = p.classify.power
    background = upscale_field(tone_field(model.background, power), fit_factor, use_w.shape)
    skin_w = upscale_mask(model.skin, fit_factor, use_w.shape) & use_w
    toned_w = tone(work_c, power)
    smooth = upscale_mask(model.smooth, fit_factor, use_w.shape)
    result = classify(toned_w, use_w, background, skin_w, p.classify, smooth)
    hair_w = _drop_specks(result.hair, p.min_component)
    if white_w.any():
        hair_w = _assign_clipped(hair_w, use_w, white_w & region_w)

    hair = upscale_mask(hair_w, factor, (h, w)) & region
    value = float(np.count_nonzero(hair)) / roi_pixels
    # Colour is lost wherever any channel clipped, including one left out above.
    lost = white_w if channels == (0, 1, 2) else _clipped(work, p.white_level)
    confidence, note = _confidence(result.core, model.polarity_margin, model.scalp_share,
                                   float(lost[region_w].mean()))
    return CoverageResult(value, confidence, roi_pixels, float(result.threshold), METHOD,
                          ALGORITHM_VERSION, hair, automatic, note)


def _trusted_channels(work: BGRImage, region: NDArray[np.bool_],
                      p: CoverageParams) -> tuple[int, ...]:
    """Colour channels that still carry information in the region.

    Over-exposing pale skin clips its red channel almost everywhere; ratios
    in a clipped channel are meaningless, so the channel is left out (blue
    and green still tell hair from skin) rather than every skin pixel.
    """
    pix = grid_sample(work, region, 50_000)
    if len(pix) == 0:
        return (0, 1, 2)
    clipped = (pix >= p.white_level).mean(axis=0)
    keep = [int(c) for c in range(3) if clipped[c] <= p.max_clipped_channel]
    if len(keep) < 2:  # colour needs two channels: keep the two least clipped
        keep = sorted(int(c) for c in np.argsort(clipped, kind="stable")[:2])
    return tuple(keep)


def _clipped(pixels: NDArray[np.uint8], white_level: int) -> NDArray[np.bool_]:
    """Pixels with any channel at or above `white_level` (one OpenCV pass)."""
    n = pixels.shape[2]
    below = cv2.inRange(pixels, (0,) * n, (white_level - 1,) * n)
    return np.asarray(below == 0)


def _drop_specks(hair: NDArray[np.bool_], min_px: int) -> NDArray[np.bool_]:
    """Remove hair specks smaller than `min_px`: pores and noise, not strands."""
    if min_px <= 1 or not hair.any():
        return hair
    _, lab, stats, _ = cv2.connectedComponentsWithStats(hair.astype(np.uint8), connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < min_px
    small[0] = False
    return hair & ~small[lab] if small.any() else hair


def _assign_clipped(hair: NDArray[np.bool_], use: NDArray[np.bool_],
                    clipped: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Clipped highlights take the class of most of their neighbours.

    A clipped pixel has lost its colour: on a strand it is shine on hair, on a
    bald crown the flash's reflection on skin; the neighbourhood says which.
    """
    hf, uf = hair.astype(np.float32), use.astype(np.float32)
    num = cv2.GaussianBlur(hf, (0, 0), 3.0)
    den = cv2.GaussianBlur(uf, (0, 0), 3.0)
    far = masked_blur(hf[:, :, None], uf, 15.0, np.zeros(1, np.float32))[:, :, 0]
    share = np.where(den > 0.05, num / np.maximum(den, 1e-6), far)
    return np.asarray(hair | (clipped & (share >= 0.5)))


def _confidence(core: float, margin: float, scalp_share: float,
                clipped: float) -> tuple[float, str | None]:
    """How far the number can be trusted, and why not, in words.

    Contrast: strand cores must stand well clear of the scalp's own colour
    spread (core distance in scalp-spread units). Polarity: the scalp cluster
    must win its vote clearly. Visible scalp: with almost none in view the
    scalp colour is a guess.
    """
    notes: list[str] = []
    contrast = float(np.clip((core - 6.0) / (14.0 - 6.0), 0.0, 1.0))
    if core < 8.0:
        notes.append("hair and scalp colours are too similar to separate reliably")
    polarity = float(np.clip(margin / 2.0, 0.0, 1.0))
    if margin < 1.0:
        notes.append("unclear which colour is scalp and which is hair")
    visible = float(np.clip(scalp_share / 0.08, 0.0, 1.0))
    if scalp_share < 0.04:
        notes.append("very little bare scalp in view; coverage is near its limit")
    lit = float(np.clip(1.0 - (clipped - 0.05) / 0.25, 0.0, 1.0))
    if clipped > 0.1:
        notes.append(f"{clipped:.0%} of the region is clipped highlight")
    conf = min(contrast, 0.3 + 0.7 * polarity, 0.3 + 0.7 * visible, lit)
    return round(conf, 3), ("; ".join(notes) if notes else None)

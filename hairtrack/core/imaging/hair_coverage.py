"""Hair coverage: the share of a region of interest where hair, not scalp, is seen.

Clinicians decide treatment from this number, so it is computed the same way
on every photo and says how far it can be trusted:

- The photo is reduced to a working copy and a smaller analysis copy. The
  working copy is at most `CoverageParams.work_side` across unless its hair
  strands would then be finer than those the method was tuned on; then it is
  reduced less, up to `max_work_side` (`coverage_scale`). The scalp model
  (which colour bare scalp has at each spot, `coverage_model`) is fitted on
  the analysis copy; the per-pixel threshold (`coverage_classify`) runs on
  the working copy; the hair mask is scaled back to full size. Coverage is
  therefore defined at the working resolution: compare photos measured with
  the same parameters.
- Exposure and white balance cancel in the ratio to the local scalp colour
  (a channel clipped over most of the region is left out); gamma is damped,
  not cancelled (see `coverage_classify`). Shine on hair stays hair; scalp
  seen between strands stays scalp.
- `confidence` falls when hair and scalp are hard to tell apart (low colour
  contrast, an ambiguous choice of which colour is scalp, no bare scalp in
  view) and when the number is unstable under the method's own uncertain
  choices: where between scalp and strand the cut lies, and which colours
  are scalp when the runner-up scored nearly as well (refitted with it
  counted as scalp too, on the second core). A stable number can still be
  wrong (a consistent bias), so confidence bounds the evidence, not the
  truth; `note` says why in words.
- When no cluster looks like skin or is smoother than the rest, dense hair
  fills the region: coverage is reported at its ceiling (1.0) with a note,
  not measured against a hair tone mistaken for scalp.
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_channels import (
    factor_for,
    grid_sample,
    reduce_by,
    reduced_size,
    shrink_mask,
    upscale_field,
    upscale_mask,
    working_copy,
)
from hairtrack.core.imaging.coverage_classify import ClassifyParams, classify, tone, tone_field
from hairtrack.core.imaging.coverage_cleanup import assign_clipped, drop_specks, fill_gaps
from hairtrack.core.imaging.coverage_clusters import Clusters, cluster_region, interior_texture
from hairtrack.core.imaging.coverage_confidence import confidence_of, looks_bald, spread_of
from hairtrack.core.imaging.coverage_model import ModelParams, fit_skin_model
from hairtrack.core.imaging.coverage_notes import NO_SCALP_NOTE
from hairtrack.core.imaging.coverage_scale import working_factor
from hairtrack.core.imaging.io import BGRImage, require_bgr
from hairtrack.core.imaging.roi import default_roi, polygon_to_mask, transform_polygon

__all__ = [
    "ALGORITHM_VERSION",
    "CoverageParams",
    "CoverageResult",
    "choose_work_factor",
    "coverage",
    "default_roi",
    "polygon_to_mask",
    "transform_polygon",
]

#: Fewer working pixels than this across, either way, and there is nothing to measure.
MIN_WORK_SIDE = 16
#: Bump whenever a change can move a coverage number; stored with every measurement.
ALGORITHM_VERSION = "coverage-2.5"
METHOD = "flat-scalp-ratio+local-scalp+skin-distance+half-way"
#: Below what a progress series reports: "no scalp in view" is not a measurement.
NO_SCALP_CONFIDENCE = 0.25


@dataclass(frozen=True)
class CoverageParams:
    """Everything that shapes a coverage number; `as_dict()` is stored with it."""

    work_side: int = 800  # px, at most: the photo is reduced by a whole factor ...
    max_work_side: int = 2048  # ... or less, to at most this, while its strands would be ...
    min_strand_scale: float = 0.9  # ... finer than this ridge scale (px; tuned photos: 0.8-1.3)
    fit_side: int = 320  # px, at most: analysis copy, reduced from the working copy ...
    fine_fit_factor: int = 2  # ... or by this, when the working copy was kept finer
    white_level: int = 250  # any channel at or above: clipped, colour lost
    max_clipped_channel: float = 0.03  # share of region: more and the channel is dropped
    min_detail: float = 0.0015  # median relative texture below this: nothing to measure
    min_component: int = 3  # px at working size: smaller hair specks are skin texture
    fill_fraction: float = 3.0  # of the global floor: closed-in pixels this far off scalp are hair
    blob_max_area: int = 400  # px at working size: compact pieces smaller than this ...
    blob_fill: float = 0.25  # ... filling more of their bounding box's diagonal square are blobs
    faint_max_area: int = 60  # px: pieces this small ...
    faint_fraction: float = 0.5  # ... averaging less than this share of the strand cores are faint
    half_way_step: float = 0.08  # the cut is tried this far either side (confidence)
    alt_margin: float = 3.0  # runner-up scalp candidates closer than this are tried too
    alt_iterations: int = 1  # refinements when trying the runner-up
    alt_margin_scale: float = 1.0  # how fast a runner-up's say falls with its margin
    pick_spread_ok: float = 0.01  # coverage moving less than this with another scalp colour
    pick_spread_max: float = 0.04  # ... and this much or more: no confidence at all
    cut_spread_ok: float = 0.025  # the same for moving the cut between scalp and strand
    cut_spread_max: float = 0.07
    tone_max_coverage: float = 0.15  # this little hair found against a scalp colour ...
    tone_max_texture: float = 1.5  # ... not clearly smoother than the rest (texture ratio) ...
    tone_max_redness: float = 9.5  # ... less red than skin (CIE a*) ...
    tone_min_texture: float = 0.022  # ... and itself as rough as hair: hair against hair
    seen_share_max: float = 0.08  # a scalp cluster this small (share of the region) ...
    seen_ratio_ok: float = 6.0  # ... may stand for this many times its area of scalp ...
    seen_ratio_max: float = 12.0  # ... and this many or more: no confidence at all
    bald_max_coverage: float = 0.15  # at most this much hair found ...
    bald_texture_ratio: float = 1.3  # ... in a region this smooth (times bare scalp) ...
    bald_min_redness: float = 7.0  # ... of a scalp this red (CIE a*): bald, unless that scalp
    # is only glimpsed in a mat of hair: rougher than the rest (model.mat_texture_ratio) ...
    bald_min_share: float = 0.10  # ... and in less of the region than this
    dropped_channel_confidence: float = 0.7  # at most, when a clipped channel was left out
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
    work_factor: int = 1  # the photo was block-averaged by this for the working copy

    def to_json(self) -> dict[str, Any]:
        """The stored record: numbers and provenance, never the mask."""
        return {"coverage": self.coverage, "confidence": self.confidence,
                "roi_pixels": self.roi_pixels, "threshold": self.threshold,
                "method": self.method, "algorithm_version": self.algorithm_version}


def _check_inputs(image: BGRImage, roi: NDArray[np.uint8] | None,
                  valid: NDArray[np.bool_] | None) -> None:
    require_bgr(image)
    for name, mask in (("roi", roi), ("valid", valid)):
        if mask is not None and mask.shape != image.shape[:2]:
            raise ValueError(f"{name} shape {mask.shape} differs from image {image.shape[:2]}")


def _empty(roi_pixels: int, roi_automatic: bool, shape: tuple[int, int],
           note: str, factor: int = 1) -> CoverageResult:
    return CoverageResult(math.nan, 0.0, roi_pixels, math.nan, METHOD, ALGORITHM_VERSION,
                          np.zeros(shape, bool), roi_automatic, note, factor)


def coverage(image: BGRImage, roi: NDArray[np.uint8] | None = None, *,
             params: CoverageParams | None = None,
             valid: NDArray[np.bool_] | None = None,
             work_factor: int | None = None) -> CoverageResult:
    """Hair coverage of `image` inside `roi` (non-zero = inside; None = `default_roi`).

    `valid` marks pixels that show the photo (False for the black border an
    alignment warp leaves); it is AND-ed with the region. `work_factor`
    fixes the working copy's reduction (None: chosen from this photo's
    strands); a series passes its baseline's `choose_work_factor`.
    """
    p = params or CoverageParams()
    _check_inputs(image, roi, valid)
    if work_factor is not None and work_factor < 1:
        raise ValueError(f"work_factor must be 1 or more, not {work_factor}")
    h, w = image.shape[:2]
    automatic = roi is None
    region = (default_roi(image) if roi is None else roi) > 0
    if valid is not None:
        region &= valid
    roi_pixels = int(np.count_nonzero(region))
    if roi_pixels == 0:
        return _empty(0, automatic, (h, w), "the region is empty (or entirely outside the photo)")

    coarse = factor_for(max(h, w), p.work_side)
    factor = work_factor or _strand_factor(image, region, coarse, p)
    work = reduce_by(image, factor)
    if min(work.shape[:2]) < MIN_WORK_SIDE:
        # Strands and the scalp between them need a neighbourhood: a strip has none.
        work_h, work_w = work.shape[:2]
        return _empty(roi_pixels, automatic, (h, w), f"the photo is too small to measure "
                      f"({work_w}x{work_h} at the working size, at least {MIN_WORK_SIDE} "
                      "pixels each way are needed)", factor)
    wsize = (work.shape[1], work.shape[0])
    region_w = shrink_mask(region, factor, wsize)
    channels = _trusted_channels(work, region_w, p)
    work_c = work if channels == (0, 1, 2) else np.ascontiguousarray(work[:, :, list(channels)])
    white_w = _clipped(work_c, p.white_level)
    use_w = region_w & ~white_w
    if factor < coarse:  # strands kept at the tuned width: the analysis copy as tuned too
        fit_factor = p.fine_fit_factor
        small = reduce_by(work, fit_factor)
    else:
        small, fit_factor = working_copy(work, p.fit_side)
    ssize = (small.shape[1], small.shape[0])
    use_s = shrink_mask(use_w, fit_factor, ssize)
    use_s &= ~_clipped(np.ascontiguousarray(small[:, :, list(channels)]), p.white_level)
    if int(use_s.sum()) < 200 or int(use_w.sum()) < 400:
        reason = ("the region is mostly clipped highlights" if int(region_w.sum()) >= 400
                  else "the region is too small to measure")
        return _empty(roi_pixels, automatic, (h, w), reason, factor)

    clusters = cluster_region(small, use_s, p.model, channels)
    region_texture = float(np.median(grid_sample(clusters.tex, use_s, 20_000)))
    if region_texture < p.min_detail:
        return _empty(roi_pixels, automatic, (h, w), "the region shows no detail (a blank or "
                      "uniform image, a lens cap, or far out of focus)", factor)
    if clusters.no_scalp_in_view(p.model):
        return _all_hair(region, roi_pixels, automatic, factor)
    # The runner-up's fit only feeds the confidence: it runs on the other core.
    alternative = None
    if len(clusters.candidates) > 1 and clusters.margin < p.alt_margin:
        alternative = _pool().submit(fit_skin_model, small, use_s, p.model, p.classify, clusters,
                                     (0, 1), channels, p.alt_iterations)
    model = fit_skin_model(small, use_s, p.model, p.classify, clusters, (0,), channels)
    power = p.classify.power
    background = upscale_field(tone_field(model.background, power), fit_factor, use_w.shape)
    skin_w = upscale_mask(model.skin, fit_factor, use_w.shape) & use_w
    toned_w = tone(work_c, power)
    smooth = upscale_mask(model.smooth, fit_factor, use_w.shape)
    result = classify(toned_w, use_w, background, skin_w, p.classify, smooth)
    hair_w = fill_gaps(result, use_w, p)
    hair_w = drop_specks(hair_w, result.distance, result.core, p)
    if white_w.any():
        hair_w = assign_clipped(hair_w, use_w, white_w & region_w)

    hair = upscale_mask(hair_w, factor, (h, w)) & region
    value = float(np.count_nonzero(hair)) / roi_pixels
    alt_share = alternative.result().hair_share if alternative is not None else None
    spread = spread_of(result, use_w, model, clusters, p, alt_share)
    scalp_texture = interior_texture(model.skin, clusters.tex)
    bald = looks_bald(value, clusters, scalp_texture, region_texture, model.scalp_share, p)
    if not bald and _hair_measured_against_hair(value, clusters, scalp_texture, p):
        return _all_hair(region, roi_pixels, automatic, factor)
    # A channel left out costs some confidence; colour is lost where the kept ones clip.
    confidence, note = confidence_of(result.core, model.polarity_margin, model.scalp_share,
                                   float(white_w[region_w].mean()), channels != (0, 1, 2),
                                   spread, p, bald, value=value)
    return CoverageResult(value, confidence, roi_pixels, float(result.threshold), METHOD,
                          ALGORITHM_VERSION, hair, automatic, note, factor)


def choose_work_factor(image: BGRImage, roi: NDArray[np.uint8] | None = None, *,
                       params: CoverageParams | None = None) -> int:
    """The reduction `coverage` would choose for `image` inside `roi` (see `coverage_scale`).

    Coverage is defined at its working resolution, so the visits of one view
    must share it: a follow-up aligned to its baseline shows the baseline's
    strands at the baseline's scale, and is measured at the baseline's factor
    even where its own photo (blurred, noisier, more hair) would read otherwise.
    """
    p = params or CoverageParams()
    require_bgr(image)
    region = (default_roi(image) if roi is None else roi) > 0
    return _strand_factor(image, region, factor_for(max(image.shape[:2]), p.work_side), p)


def _strand_factor(image: BGRImage, region: NDArray[np.bool_], coarse: int,
                   p: CoverageParams) -> int:
    h, w = image.shape[:2]
    return working_factor(image, shrink_mask(region, coarse, reduced_size(w, h, coarse)), coarse,
                          factor_for(max(h, w), p.max_work_side), p.min_strand_scale)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """One worker thread for side computations (OpenCV and NumPy release the GIL)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="coverage")


def _hair_measured_against_hair(value: float, clusters: Clusters, scalp_texture: float,
                                 p: CoverageParams) -> bool:
    """Dense hair again, caught after the fact: one hair tone measured against another.

    Where scalp is in view, the colour taken as scalp is clearly smoother
    than the rest and as red as skin. Here it was neither (texture ratio
    under `tone_max_texture`: the dark cores of dense black strands can be
    a little smoother than the rest; CIE a* below `tone_max_redness`: real
    scalps measure 10-20, brown and blond strands 8-9), it is itself as rough
    as a mat of strands (bare scalp, even a real bald crown, measures under
    half of `tone_min_texture`; dense hair 1.5-3 times it; strands too thin
    to have an interior give no texture at all), and measured against it
    almost nothing was hair. That small number is an artefact of measuring
    hair against a hair tone, not thin hair: report the ceiling, as when no
    scalp is in view. The texture test keeps a bald scalp under a cool colour
    cast (not red, smooth all over) from being taken for dense hair.
    """
    if value >= p.tone_max_coverage or not clusters.candidates:
        return False
    best = clusters.candidates[0]
    if best.texture_ratio >= p.tone_max_texture or best.lab[1] >= p.tone_max_redness:
        return False
    # NaN: the colour taken as scalp has no interior at all, it is strands.
    return not scalp_texture < p.tone_min_texture


def _all_hair(region: NDArray[np.bool_], roi_pixels: int, automatic: bool,
              factor: int) -> CoverageResult:
    """Dense hair fills the region and no bare scalp is seen: coverage is at its ceiling.

    That is a statement about the view, not a measurement against scalp: with
    no scalp in view there is nothing to measure hair against, and the
    verdict itself rests on colour, which the light moves (a warmer or
    brighter photo of the same head can show a scalp-coloured candidate). So
    the confidence stays below what a progress series reports as a number.
    """
    return CoverageResult(1.0, NO_SCALP_CONFIDENCE, roi_pixels, math.nan, METHOD,
                          ALGORITHM_VERSION, region.copy(), automatic, NO_SCALP_NOTE, factor)


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

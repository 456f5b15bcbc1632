"""Which pixels are bare scalp: the skin model behind the coverage threshold.

Fitted on a small analysis copy (a few hundred pixels across), because the
model is a handful of colours and one smooth field, not a per-pixel answer:

1. Colour clusters. K-means on log brightness plus weighted log
   chromaticity. In log space exposure and white balance are shifts and
   gamma a scaling, so the clusters are the same under any of them.
2. Which cluster is bare scalp, by three cues each true of scalp against hair
   for every skin and hair colour we model and in the real photographs, none
   sufficient alone: scalp is smoother (hair is a mat of strands of differing
   tone and shine), redder (blood under the skin; hair pigment has little
   a*), and lighter (the weakest cue: grey and blond hair on dark skin is
   lighter than the skin). Clusters with no interior are strand edges.
3. Where bare scalp is: the scalp cluster plus the smooth pixels connected to
   it (sheen and shading change skin colour gradually, hair meets skin at
   strand edges), then refined by the skin-distance classifier
   (`coverage_classify`) a few times, each time re-estimating the scalp
   colour field from the clean scalp it found.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_channels import (
    F32,
    OFFSET,
    Mask,
    grid_sample,
    interior,
    masked_blur,
    relative_texture,
)
from hairtrack.core.imaging.coverage_classify import ClassifyParams, classify, tone, tone_field


@dataclass(frozen=True)
class ModelParams:
    """Settings of the skin model; recorded with every measurement."""

    clusters: int = 4
    chroma_weight: float = 3.0  # log chromaticity vs log brightness in clustering
    sample: int = 12_000  # pixels used for clustering and statistics
    texture_window: float = 3.0  # px, neighbourhood of the texture cue
    texture_scale: float = 0.3  # log texture ratio worth one unit of score
    texture_cap: float = 1.0  # largest log texture ratio counted
    redness_scale: float = 3.0  # a* difference worth one unit
    lightness_scale: float = 30.0  # L* difference worth one unit
    min_skin_a: float = 4.0  # CIE a*: below this a colour is too grey to be skin
    min_skin_chroma: float = 8.0  # CIE C*
    implausible_penalty: float = 5.0  # score units lost by a non-skin colour
    brightness_band: float = 1.2  # log units: how far shading may move skin
    chroma_band: float = 0.35  # log chromaticity: how far sheen may move skin
    smooth_factor: float = 2.0  # smooth = texture below this times the scalp's
    background_sigma: float = 0.04  # of the longest side: scalp colour field
    illumination_sigma: float = 0.12  # of the longest side: light field
    iterations: int = 3
    clean_radius: int = 2  # px kept between scalp samples and strands
    skin_tolerance: float = 0.35  # of hair contrast: still scalp for the field
    smooth_trust: float = 1.5  # texture below this times bare scalp's: no strands near


@dataclass(frozen=True)
class SkinModel:
    """A fitted scalp model on the analysis copy."""

    background: F32  # bare-scalp BGR (+OFFSET) at each analysis pixel
    skin: Mask  # analysis pixels that are clean bare scalp
    polarity_margin: float  # score gap between the scalp cluster and the runner-up
    scalp_share: float  # share of the region in the scalp cluster
    texture_ratio: float  # neighbourhood texture of the rest / of the scalp cluster
    smooth: Mask  # analysis pixels with no strand edges nearby


def _cluster_features(logi: F32, chroma_weight: float) -> F32:
    """Log brightness plus weighted log chromaticity (of the channels kept).

    Shading, shadows and pores change skin's brightness a lot and its colour
    hardly at all, while grey or blond hair differs from skin mostly in
    colour; weighting chromaticity lets clusters follow colour.
    """
    n = logi.shape[2]
    lum = logi.mean(axis=2)
    cw = np.float32(chroma_weight)
    parts = [lum] + [cw * (logi[:, :, c] - logi[:, :, 0]) for c in range(1, n)]
    return np.ascontiguousarray(np.stack(parts, axis=2), np.float32)


def _kmeans(samples: F32, k: int) -> F32:
    cv2.setRNGSeed(12345)  # reproducible: the same photo always gives the same number
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1e-3)
    labels = np.zeros((len(samples), 1), np.int32)
    _, _, centres = cv2.kmeans(samples, k, labels, criteria, 2, cv2.KMEANS_PP_CENTERS)
    return np.asarray(centres, np.float32)


def _assign(feats: F32, centres: F32) -> NDArray[np.int32]:
    """Nearest cluster centre for every pixel (|x - c|^2 = |x|^2 - 2 x.c + |c|^2)."""
    h, w = feats.shape[:2]
    flat = feats.reshape(h * w, -1)
    c = centres.astype(np.float32)
    score = flat @ (np.float32(-2.0) * c.T) + np.einsum("kd,kd->k", c, c)[None, :]
    return np.asarray(np.argmin(score, axis=1), np.int32).reshape(h, w)


def _lab_median(pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Median L*, a*, b* (CIE units) of an (n, 3) BGR sample."""
    lab = cv2.cvtColor(np.ascontiguousarray(pixels.reshape(-1, 1, 3)), cv2.COLOR_BGR2Lab)
    med = np.median(lab.reshape(-1, 3).astype(np.float64), axis=0)
    return np.array([med[0] * 100.0 / 255.0, med[1] - 128.0, med[2] - 128.0])


def _interior_texture(mask: Mask, tex: F32) -> float:
    """Median texture at least two pixels inside `mask` (one if that leaves too little)."""
    for radius in (2, 1):
        inner = interior(mask, radius)
        if int(inner.sum()) >= max(30, int(0.002 * mask.size)):
            return float(np.median(grid_sample(tex, inner, 20_000)))
    return float("nan")


def _skin_coloured(lab: NDArray[np.float64], params: ModelParams) -> bool:
    """Could this colour be skin at all? Skin of every tone is reddish and not grey.

    Black, grey and white hair, and glare, are near-neutral (low chroma); skin
    never is. Only a plausibility gate: brown and blond hair pass it.
    """
    chroma = float(np.hypot(lab[1], lab[2]))
    return bool(lab[1] >= params.min_skin_a and chroma >= params.min_skin_chroma)


@dataclass(frozen=True)
class _Pick:
    cluster: int
    margin: float
    texture_ratio: float


def _pick_scalp(image: NDArray[np.uint8], labels: NDArray[np.int32], use: Mask, tex: F32,
                params: ModelParams) -> _Pick:
    """The cluster that is bare scalp, each judged against everything else."""
    around = np.asarray(cv2.GaussianBlur(tex, (0, 0), params.texture_window), np.float32)
    scores: list[tuple[float, int, float]] = []
    total = int(use.sum())
    for c in range(params.clusters):
        member = (labels == c) & use
        rest = use & ~member
        n = int(member.sum())
        if n < max(30, 0.01 * total) or n == total:
            continue
        inner_c, inner_rest = _interior_texture(member, tex), _interior_texture(rest, tex)
        if not (inner_c > 0 and inner_rest > 0):
            continue  # no interior: strand edges and mixed pixels, never scalp
        t_c = float(np.median(grid_sample(around, member, 20_000)))
        t_rest = float(np.median(grid_sample(around, rest, 20_000)))
        texture = 0.5 * (np.log(t_rest / max(t_c, 1e-6)) + np.log(inner_rest / inner_c))
        # A colour can be much smoother than the rest, not infinitely so: a
        # flat, noiseless patch (a uniform strand, a dark shirt) must not
        # outvote colour on its own.
        texture = float(np.clip(texture, -params.texture_cap, params.texture_cap))
        lab_c = _lab_median(grid_sample(image, member, 8_000))
        lab_rest = _lab_median(grid_sample(image, rest, 8_000))
        score = (float(texture) / params.texture_scale
                 + float(lab_c[1] - lab_rest[1]) / params.redness_scale
                 + float(lab_c[0] - lab_rest[0]) / params.lightness_scale)
        if not _skin_coloured(lab_c, params):
            score -= params.implausible_penalty
        scores.append((score, c, t_rest / max(t_c, 1e-6)))
    if not scores:
        return _Pick(0, 0.0, 1.0)
    scores.sort(reverse=True)
    margin = scores[0][0] - scores[1][0] if len(scores) > 1 else abs(scores[0][0])
    return _Pick(scores[0][1], float(margin), float(scores[0][2]))


def _connected_skin(feats: F32, tex: F32, scalp: Mask, use: Mask,
                    params: ModelParams) -> Mask:
    """Skin reachable from the scalp cluster without crossing an edge.

    Sheen, shading and blotches change skin's colour gradually; hair meets
    skin along the sharp edges of its strands. Smooth pixels of roughly scalp
    colour that connect to the scalp cluster are therefore skin too, however
    far their colour has drifted, and the colour field can follow them.
    """
    tex_scalp = _interior_texture(scalp, tex)
    tex_rest = _interior_texture(use & ~scalp, tex)
    if not tex_rest > tex_scalp > 0:
        return scalp  # scalp only in gaps between strands: nothing smooth to grow through
    ref = np.median(grid_sample(feats, scalp, 8_000), axis=0).astype(np.float32)
    d = feats - ref
    chroma = np.sqrt(np.sum(d[:, :, 1:] ** 2, axis=2)) / np.float32(params.chroma_weight)
    limit = min(max(float(np.sqrt(tex_scalp * tex_rest)), params.smooth_factor * tex_scalp),
                tex_rest)
    smooth = cv2.GaussianBlur(tex, (0, 0), 2.0) <= limit
    cand = (use & smooth & (np.abs(d[:, :, 0]) <= params.brightness_band)
            & (chroma <= params.chroma_band)) | scalp
    n, lab = cv2.connectedComponents(cand.astype(np.uint8), connectivity=4)
    seeded = np.bincount(lab[scalp], minlength=n)
    sizes = np.bincount(lab.ravel(), minlength=n)
    keep = (seeded >= np.maximum(20, 0.05 * sizes)) & (np.arange(n) > 0)
    return np.asarray(keep[lab] | scalp)


def _clean_or_all(mask: Mask, radius: int) -> Mask:
    """`mask` shrunk away from its edges, or all of it when too little would be left."""
    inner = interior(mask, radius)
    return inner if int(inner.sum()) >= 50 else mask


def _light_field(logi: F32, skin: Mask, hair: Mask, sigma: float) -> F32:
    """Bare-scalp colour the light would give at each pixel, from both classes.

    Light multiplies hair and skin alike, so in log space each class is its
    own colour plus one shared, smooth illumination term. Estimating that term
    from skin and from strand cores (each relative to its class median) keeps
    it right where hair is dense and little skin shows.
    """
    h, w, n = logi.shape
    # The classes are disjoint: subtract each class's median where it is, then
    # zero everything else (one pass per step, on the whole analysis copy).
    median_at = np.zeros((h, w, n), np.float32)
    skin_med = np.median(grid_sample(logi, skin, 8_000), axis=0).astype(np.float32)
    median_at[skin] = skin_med
    weight = skin.astype(np.float32)
    if int(hair.sum()) >= 50:
        median_at[hair] = np.median(grid_sample(logi, hair, 8_000), axis=0).astype(np.float32)
        weight[hair] = 1.0
    total = cv2.multiply(cv2.subtract(logi, median_at), cv2.merge([weight] * n))
    offset = masked_blur(np.asarray(total, np.float32).reshape(h, w, n), weight, sigma,
                         np.zeros(n, np.float32))
    return np.asarray(cv2.exp(offset + skin_med), np.float32).reshape(h, w, n)


def fit_skin_model(image: NDArray[np.uint8], use: Mask, params: ModelParams,
                   cparams: ClassifyParams, channels: tuple[int, ...] = (0, 1, 2)) -> SkinModel:
    """Fit the scalp colour field on the analysis copy `image` over pixels `use`.

    `channels` are the colour channels to trust (an over-exposed photo of
    pale skin clips red everywhere; that channel then says nothing).
    """
    h, w = use.shape
    pixels = np.ascontiguousarray(image[:, :, list(channels)])
    bgr = pixels.astype(np.float32) + np.float32(OFFSET)
    toned = tone(pixels, cparams.power)
    logi = np.log(bgr)
    feats = _cluster_features(logi, params.chroma_weight)
    samples = np.ascontiguousarray(grid_sample(feats, use, params.sample))
    centres = _kmeans(samples, params.clusters)
    labels = _assign(feats, centres)
    tex = relative_texture(image)
    pick = _pick_scalp(image, labels, use, tex, params)
    scalp = use & (labels == pick.cluster)

    side = float(max(h, w))
    skin_bg = _clean_or_all(_connected_skin(feats, tex, scalp, use, params),
                            params.clean_radius)
    skin_cov = _clean_or_all(scalp, params.clean_radius)
    hair_core = np.zeros((h, w), bool)
    background = np.broadcast_to(np.median(bgr[scalp], axis=0), bgr.shape).astype(np.float32)
    for _ in range(params.iterations):
        light = _light_field(logi, skin_bg, hair_core, params.illumination_sigma * side)
        background = masked_blur(bgr, skin_bg.astype(np.float32),
                                 params.background_sigma * side, light)
        result = classify(toned, use, tone_field(background, cparams.power), skin_cov, cparams)
        # Scalp for the next colour field: clean pixels (away from strands,
        # whose shadows and blur drag the colour towards hair) nearer to
        # scalp than to hair. The tolerance lets blotches and sheen in, so
        # the field follows them instead of calling them hair. The colour
        # spread stays that of the scalp cluster: re-estimating it from what
        # the last pass called scalp lets a low-contrast photo talk itself
        # into "all scalp".
        open_skin = _clean_or_all(use & ~result.hair, params.clean_radius)
        m = result.distance
        skin_bg = open_skin & (m < max(result.threshold, params.skin_tolerance * result.core))
        hair_core = result.hair & (m >= 0.5 * result.core)
    share = float(np.count_nonzero(scalp)) / max(1, int(use.sum()))
    around = np.asarray(cv2.GaussianBlur(tex, (0, 0), 1.0), np.float32)
    level = float(np.median(grid_sample(around, skin_cov, params.sample)))
    smooth = np.asarray(around <= params.smooth_trust * level)
    return SkinModel(background, skin_cov, pick.margin, share, pick.texture_ratio, smooth)

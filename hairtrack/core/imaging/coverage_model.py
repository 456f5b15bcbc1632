"""Which pixels are bare scalp: the skin model behind the coverage threshold.

Fitted on a small analysis copy (a few hundred pixels across), because the
model is a handful of colours and one smooth field, not a per-pixel answer:

1. Colour clusters and the scalp candidate among them (`coverage_clusters`).
2. Where bare scalp is: the scalp cluster, the smooth pixels connected to it
   (sheen and shading change skin colour gradually, hair meets skin at
   strand edges) and, everywhere else, the most scalp-like pixel of each
   neighbourhood (scalp seen between strands, however the light falls
   there); then refined by the skin-distance classifier (`coverage_classify`)
   a few times, each time re-estimating the scalp colour field from the
   clean scalp it found.
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
    channel_norm,
    grid_sample,
    interior,
    masked_blur,
    mix_channels,
    wide_blur,
)
from hairtrack.core.imaging.coverage_classify import ClassifyParams, classify, tone, tone_field
from hairtrack.core.imaging.coverage_clusters import Clusters, interior_texture


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
    bald_texture: float = 0.8  # the rest this smooth (times the scalp's) still lets scalp grow
    smooth_trust: float = 1.5  # texture below this times bare scalp's: no strands near
    mat_texture_ratio: float = 0.6  # scalp cluster this much rougher than the rest ...
    mat_hair_share: float = 0.7  # ... and this much of the region hair: smooth is a hair mat
    local_radius: int = 4  # px: neighbourhood whose scalp-most pixels seed the colour field
    local_light_sigma: float = 0.04  # of the longest side: the light's fall-off removed
    local_tolerance: float = 1.0  # scalp-spread units from that extreme: still scalp
    local_chroma: float = 3.0  # scalp-spread units: chromaticity still the scalp's
    no_scalp_texture: float = 1.35  # best candidate no smoother than this: hair on hair
    no_scalp_margin: float = 0.5  # ... and winning by less than this: no scalp in view
    glimpse_max_share: float = 0.08  # skin colour only in a thin cluster this small: dense hair
    glimpse_warmer_a: float = 2.0  # ... or a colour this much redder (CIE a*) ...
    glimpse_warmer_b: float = 5.0  # ... and yellower (b*) than every candidate


@dataclass(frozen=True)
class SkinModel:
    """A fitted scalp model on the analysis copy."""

    background: F32  # bare-scalp BGR (+OFFSET) at each analysis pixel
    skin: Mask  # analysis pixels that are clean bare scalp
    polarity_margin: float  # score gap between the scalp cluster and the runner-up
    scalp_share: float  # share of the region in the scalp cluster
    texture_ratio: float  # neighbourhood texture of the rest / of the scalp cluster
    smooth: Mask  # analysis pixels with no strand edges nearby (none in a mat of hair)
    hair_share: float  # share of the region the analysis copy calls hair


def _connected_skin(feats: F32, tex: F32, scalp: Mask, use: Mask,
                    params: ModelParams) -> Mask:
    """Skin reachable from the scalp cluster without crossing an edge.

    Sheen, shading and blotches change skin's colour gradually; hair meets
    skin along the sharp edges of its strands. Smooth pixels of roughly scalp
    colour that connect to the scalp cluster are therefore skin too, however
    far their colour has drifted, and the colour field can follow them. Where
    the rest is about as smooth as the scalp cluster (a bald head in shading,
    split by the clusters into shades), it all may be grown through.
    """
    tex_scalp = interior_texture(scalp, tex)
    tex_rest = interior_texture(use & ~scalp, tex)
    if not tex_scalp > 0 or not tex_rest > params.bald_texture * tex_scalp:
        return scalp  # scalp only in gaps between strands: nothing smooth to grow through
    tex_rest = max(tex_rest, params.smooth_factor * tex_scalp)  # all smooth: grow through
    ref = np.median(grid_sample(feats, scalp, 8_000), axis=0).astype(np.float32)
    d = np.asarray(cv2.subtract(feats, cv2.merge([np.full(feats.shape[:2], v, np.float32)
                                                  for v in ref])), np.float32)
    chroma = channel_norm(np.ascontiguousarray(d[:, :, 1:])) / np.float32(params.chroma_weight)
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


def _hairlike(clusters: Clusters, use: Mask) -> Mask:
    """The clusters most surely hair: thin ones (strands), else the least scalp-like."""
    thin = np.ones(int(clusters.labels.max()) + 1, bool)
    for cand in clusters.candidates:
        thin[cand.cluster] = False
    mask = use & thin[clusters.labels]
    if int(mask.sum()) >= max(30, 0.02 * int(use.sum())):
        return np.asarray(mask)
    return np.asarray(use & (clusters.labels == clusters.candidates[-1].cluster))


def _local_skin(logi: F32, scalp: Mask, hairlike: Mask, use: Mask, params: ModelParams) -> Mask:
    """Pixels that are the most scalp-like of their neighbourhood: scalp seen between strands.

    Light falls off towards the edges of a photo and sheen brightens its
    middle, so a scalp cluster found in one place says little about the
    scalp's colour elsewhere. But everywhere hair is not dense, scalp shows
    between the strands, and it lies at the scalp end of the colour axis from
    scalp to hair: darker than blond strands, lighter than dark ones, redder
    than grey ones. Projecting each pixel on that axis and keeping the local
    extremes (not far in chromaticity from the scalp cluster) finds it
    wherever it is, whatever the light does there.
    """
    h, w, n = logi.shape
    hair = use & hairlike
    if int(scalp.sum()) < 30 or int(hair.sum()) < 30:
        return scalp
    # Brightness relative to the neighbourhood: the light's fall-off is gone, the
    # contrast of a strand against the scalp beside it stays.
    lum = mix_channels(logi, [[1.0 / n] * n])
    sigma = params.local_light_sigma * max(h, w)
    light = wide_blur(lum, sigma)
    rel = np.asarray(logi - light[:, :, None], np.float32)
    skin_sample = grid_sample(rel, scalp, 8_000).astype(np.float64)
    mu_s = np.median(skin_sample, axis=0)
    mu_h = np.median(grid_sample(rel, hair, 8_000).astype(np.float64), axis=0)
    spread = np.median(np.abs(skin_sample - mu_s), axis=0) * 1.4826 + 0.01
    axis = (mu_h - mu_s) / spread ** 2  # towards hair, in scalp-spread units
    norm = float(np.sqrt(np.sum(((mu_h - mu_s) / spread) ** 2)))
    if norm < 1e-6:
        return scalp
    proj = np.asarray(cv2.transform(rel, (axis / norm).reshape(1, n).astype(np.float64)),
                      np.float32).reshape(h, w)
    size = 2 * params.local_radius + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    lowest = np.asarray(cv2.erode(np.where(use, proj, np.float32(1e6)), kernel), np.float32)
    near_extreme = proj <= lowest + np.float32(params.local_tolerance)
    # ... and nearer the scalp's end of the axis than the hair's: in dense hair the
    # locally lightest (or darkest) pixel is a strand, not scalp.
    p_s = float(np.median(grid_sample(proj, scalp, 8_000)))
    p_h = float(np.median(grid_sample(proj, hair, 8_000)))
    near_extreme &= proj <= np.float32(0.5 * (p_s + p_h))
    # Not hair in disguise: the chromaticity stays near the scalp's (light changes
    # brightness, not colour).
    centre = np.eye(n) - 1.0 / n
    chroma = mix_channels(logi, centre)
    c_skin = grid_sample(chroma, scalp, 8_000).astype(np.float64)
    c_s = np.median(c_skin, axis=0)
    c_mad = np.median(np.abs(c_skin - c_s), axis=0) * 1.4826
    c_spread = float(np.sqrt(np.sum(c_mad ** 2))) + 0.01
    shifted = np.asarray(cv2.transform(chroma, np.hstack([np.eye(n), -c_s[:, None]])), np.float32)
    cdist = channel_norm(shifted) / np.float32(c_spread)
    return np.asarray((use & near_extreme & (cdist <= params.local_chroma)) | scalp)


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
    skin_med = np.median(grid_sample(logi, skin, 8_000), axis=0).astype(np.float32)
    ws = skin.astype(np.float32)
    median_at = [ws * v for v in skin_med]
    weight = ws
    if int(hair.sum()) >= 50:
        hair_med = np.median(grid_sample(logi, hair, 8_000), axis=0).astype(np.float32)
        wh = hair.astype(np.float32)
        median_at = [a + wh * v for a, v in zip(median_at, hair_med, strict=True)]
        weight = ws + wh
    total = cv2.multiply(cv2.subtract(logi, cv2.merge(median_at)), cv2.merge([weight] * n))
    offset = masked_blur(np.asarray(total, np.float32).reshape(h, w, n), weight, sigma,
                         np.zeros(n, np.float32))
    return np.asarray(cv2.exp(offset + skin_med), np.float32).reshape(h, w, n)


def fit_skin_model(image: NDArray[np.uint8], use: Mask, params: ModelParams,
                   cparams: ClassifyParams, clusters: Clusters, ranks: tuple[int, ...] = (0,),
                   channels: tuple[int, ...] = (0, 1, 2),
                   iterations: int | None = None) -> SkinModel:
    """Fit the scalp colour field on the analysis copy `image` over pixels `use`.

    `ranks` pick which candidates are taken as bare scalp ((0,): the best;
    (0, 1): the runner-up too, to see how much the number depends on it).
    `iterations` overrides the number of refinements (one is enough to see
    what the runner-up would give). `channels` are the colour channels to
    trust (an over-exposed photo of pale skin clips red everywhere; that
    channel then says nothing).
    """
    h, w = use.shape
    pixels = np.ascontiguousarray(image[:, :, list(channels)])
    bgr = pixels.astype(np.float32) + np.float32(OFFSET)
    toned = tone(pixels, cparams.power)
    logi = np.log(bgr)
    feats, tex = clusters.feats, clusters.tex
    chosen = [clusters.candidates[r] for r in ranks if r < len(clusters.candidates)]
    cand = chosen[0] if chosen else None
    picked = [c.cluster for c in chosen]
    scalp = use & np.isin(clusters.labels, picked) if picked else use.copy()

    side = float(max(h, w))
    skin_bg = _clean_or_all(_connected_skin(feats, tex, scalp, use, params),
                            params.clean_radius)
    local = np.zeros((h, w), bool)
    if params.local_radius > 0 and len(clusters.candidates) > 1:
        # Local extremes are scalp-most already: no margin from strands needed.
        local = _local_skin(logi, scalp, _hairlike(clusters, use), use, params)
        skin_bg |= local
    skin_cov = _clean_or_all(scalp, params.clean_radius)
    hair_core = np.zeros((h, w), bool)
    hair = np.zeros((h, w), bool)
    background = np.broadcast_to(np.median(bgr[scalp], axis=0), bgr.shape).astype(np.float32)
    for _ in range(params.iterations if iterations is None else iterations):
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
        skin_bg = (open_skin | (local & ~result.hair)) & (
            m < max(result.threshold, params.skin_tolerance * result.core))
        hair_core = result.hair & (m >= 0.5 * result.core)
        hair = result.hair
    share = float(np.count_nonzero(scalp)) / max(1, int(use.sum()))
    texture_ratio = cand.texture_ratio if cand is not None else 1.0
    hair_share = float(np.count_nonzero(hair & use)) / max(1, int(use.sum()))
    return SkinModel(background, skin_cov, clusters.margin, share, texture_ratio,
                     _smooth(tex, skin_cov, texture_ratio, hair_share, params), hair_share)


def _smooth(tex: F32, skin: Mask, texture_ratio: float, hair_share: float,
            params: ModelParams) -> Mask:
    """Pixels as smooth as bare scalp: no strand edges near, so any colour drift is scalp.

    Smooth means smooth compared with the scalp found. Where that scalp is
    only glimpsed between dense strands, it is rougher than the rest
    (`texture_ratio` well below 1) and the analysis copy calls most of the
    region hair: the smooth pixels are then a flat mat of hair, not skin,
    and trusting them as scalp would turn dense hair into bare scalp.
    """
    if texture_ratio < params.mat_texture_ratio and hair_share >= params.mat_hair_share:
        return np.zeros(tex.shape, bool)
    around = np.asarray(cv2.GaussianBlur(tex, (0, 0), 1.0), np.float32)
    level = float(np.median(grid_sample(around, skin, params.sample)))
    return np.asarray(around <= params.smooth_trust * level)

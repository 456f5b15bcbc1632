"""Colour clusters of the analysis copy, and which of them could be bare scalp.

K-means on log brightness plus weighted log chromaticity: in log space
exposure and white balance are shifts and gamma a scaling, so the clusters
are the same under any of them. Each cluster is then scored as scalp by
three cues each true of scalp against hair for every skin and hair colour we
model and in the real photographs, none sufficient alone: scalp is smoother
(hair is a mat of strands of differing tone and shine), redder (blood under
the skin; hair pigment has little a*), and lighter (the weakest cue: grey
and blond hair on dark skin is lighter than the skin). Clusters with no
interior are strand edges. When no cluster even looks like skin and none is
smoother than the rest, dense hair fills the region: no scalp is in view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_channels import (
    F32,
    OFFSET,
    Mask,
    grid_sample,
    interior,
    mix_channels,
    relative_texture,
)

if TYPE_CHECKING:
    from hairtrack.core.imaging.coverage_model import ModelParams


def _cluster_features(logi: F32, chroma_weight: float) -> F32:
    """Log brightness plus weighted log chromaticity (of the channels kept).

    Shading, shadows and pores change skin's brightness a lot and its colour
    hardly at all, while grey or blond hair differs from skin mostly in
    colour; weighting chromaticity lets clusters follow colour.
    """
    n = logi.shape[2]
    rows = [[1.0 / n] * n]
    for c in range(1, n):
        row = [0.0] * n
        row[0], row[c] = -chroma_weight, chroma_weight
        rows.append(row)
    return mix_channels(logi, rows)


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


def interior_texture(mask: Mask, tex: F32) -> float:
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
class Candidate:
    """One colour cluster judged as bare scalp: higher `score` is more scalp-like."""

    cluster: int
    score: float
    texture_ratio: float  # neighbourhood texture of the rest / of this cluster
    plausible: bool  # skin-coloured (see `_skin_coloured`)
    lab: tuple[float, float, float] = (0.0, 0.0, 0.0)  # median CIE L*, a*, b*


def _rank_candidates(image: NDArray[np.uint8], labels: NDArray[np.int32], use: Mask, tex: F32,
                     params: ModelParams, need_interior: bool = True) -> tuple[Candidate, ...]:
    """Every cluster that could be bare scalp, best first, each judged against the rest.

    A cluster with no interior is strand edges and mixed pixels, never scalp,
    unless no cluster has one (`need_interior` False): then noise has split a
    uniform scalp into speckled clusters and their neighbourhoods must do.
    """
    around = np.asarray(cv2.GaussianBlur(tex, (0, 0), params.texture_window), np.float32)
    found: list[Candidate] = []
    total = int(use.sum())
    for c in range(params.clusters):
        member = (labels == c) & use
        rest = use & ~member
        n = int(member.sum())
        if n < max(30, 0.01 * total) or n == total:
            continue
        inner_c, inner_rest = interior_texture(member, tex), interior_texture(rest, tex)
        t_c = float(np.median(grid_sample(around, member, 20_000)))
        t_rest = float(np.median(grid_sample(around, rest, 20_000)))
        if not inner_c > 0:
            if need_interior:
                continue
            inner_c = t_c
        # Everything else thin (fine strands over scalp): only the neighbourhoods compare.
        around_term = np.log(t_rest / max(t_c, 1e-6))
        inner_term = np.log(inner_rest / inner_c) if inner_rest > 0 else around_term
        texture = 0.5 * (around_term + inner_term)
        # A colour can be much smoother than the rest, not infinitely so: a
        # flat, noiseless patch (a uniform strand, a dark shirt) must not
        # outvote colour on its own.
        texture = float(np.clip(texture, -params.texture_cap, params.texture_cap))
        lab_c = _lab_median(grid_sample(image, member, 8_000))
        lab_rest = _lab_median(grid_sample(image, rest, 8_000))
        score = (float(texture) / params.texture_scale
                 + float(lab_c[1] - lab_rest[1]) / params.redness_scale
                 + float(lab_c[0] - lab_rest[0]) / params.lightness_scale)
        plausible = _skin_coloured(lab_c, params)
        if not plausible:
            score -= params.implausible_penalty
        found.append(Candidate(c, float(score), t_rest / max(t_c, 1e-6), plausible,
                               (float(lab_c[0]), float(lab_c[1]), float(lab_c[2]))))
    return tuple(sorted(found, key=lambda cand: -cand.score))


@dataclass(frozen=True)
class Clusters:
    """The analysis copy split into colour clusters, with the scalp candidates ranked."""

    labels: NDArray[np.int32]
    feats: F32
    tex: F32
    candidates: tuple[Candidate, ...]
    #: skin colour seen only between strands (see `_skin_only_glimpsed`)
    skin_glimpsed: bool = False

    @property
    def margin(self) -> float:
        """Score gap between the best scalp candidate and the runner-up."""
        c = self.candidates
        if not c:
            return 0.0
        return c[0].score - c[1].score if len(c) > 1 else abs(c[0].score)

    def no_scalp_in_view(self, params: ModelParams) -> bool:
        """True when nothing in the region looks like bare scalp.

        Dense hair fills the region: every cluster is a hair tone. Then the
        best candidate is not skin-coloured, is no smoother than the rest
        (hair against hair) and wins its vote narrowly. Skin under a strong
        colour cast can look grey too, but it stays the smooth class. A clear
        vote is no evidence of scalp either when skin colour is seen only in
        the gaps between strands (`skin_glimpsed`).
        """
        if not self.candidates:
            return True
        best = self.candidates[0]
        return (not best.plausible and best.texture_ratio < params.no_scalp_texture
                and (self.margin < params.no_scalp_margin or self.skin_glimpsed))


def cluster_region(image: NDArray[np.uint8], use: Mask, params: ModelParams,
                   channels: tuple[int, ...] = (0, 1, 2)) -> Clusters:
    """Colour clusters of the analysis copy and the scalp candidates among them."""
    pixels = np.ascontiguousarray(image[:, :, list(channels)])
    logi = np.log(pixels.astype(np.float32) + np.float32(OFFSET))
    feats = _cluster_features(logi, params.chroma_weight)
    samples = np.ascontiguousarray(grid_sample(feats, use, params.sample))
    labels = _assign(feats, _kmeans(samples, params.clusters))
    tex = relative_texture(image)
    ranked = (_rank_candidates(image, labels, use, tex, params)
              or _rank_candidates(image, labels, use, tex, params, need_interior=False))
    glimpsed = (bool(ranked) and not any(c.plausible for c in ranked)
                and _skin_only_glimpsed(image, labels, use, ranked, params))
    return Clusters(labels, feats, tex, ranked, glimpsed)


def _skin_only_glimpsed(image: NDArray[np.uint8], labels: NDArray[np.int32], use: Mask,
                        ranked: tuple[Candidate, ...], params: ModelParams) -> bool:
    """Is skin colour seen only in a cluster too thin to have an interior, and a small one?

    Called when no candidate is skin-coloured. Dense grey hair glimpses its
    scalp in the gaps between strands: the skin-coloured pixels form a
    cluster with no interior, in a few percent of the region, and every
    candidate is a grey tone. Measured against the lightest of those, the
    darker strands come out as about a quarter of the region, with
    confidence; the view is dense hair. A cool cast can take the glimpsed
    skin's redness below the skin-colour gate, but it takes it from the
    hair tones too: a thin cluster clearly warmer than every candidate
    (CIE a* and b* higher by `glimpse_warmer_a` and `glimpse_warmer_b`)
    counts as well. Brown strand edges pass the colour gate, so all this is
    evidence only where the best candidate is no smoother than the rest (a
    bald crown under a cast that takes its redness is the smooth class by
    far; see `Clusters.no_scalp_in_view`).
    """
    total = int(use.sum())
    taken = {c.cluster for c in ranked}
    for c in range(params.clusters):
        member = (labels == c) & use
        n = int(member.sum())
        if c in taken or n < max(30, 0.01 * total) or n >= params.glimpse_max_share * total:
            continue
        lab = _lab_median(grid_sample(image, member, 8_000))
        warmer = all(lab[1] - cand.lab[1] >= params.glimpse_warmer_a
                     and lab[2] - cand.lab[2] >= params.glimpse_warmer_b for cand in ranked)
        if warmer or _skin_coloured(lab, params):
            return True
    return False

"""One visit of a synthetic subject: hair strands drawn over the skin, exact mask.

Strands are curved polylines drawn at `supersample`x resolution into a single
"tone" canvas (0 = skin, 1..LEVELS = hair tone plus shine), one cv2.polylines
call per (tone, width) group, which keeps 25k strands well under a second.
Area-averaging that canvas gives each output pixel's hair fraction: the image
blends hair and skin by it (anti-aliasing for free) and the ground-truth mask is
exactly `fraction >= 0.5`, so shine, shadow and lighting never change the truth.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.io import BGRImage
from hairtrack.core.imaging.synth_subject import (
    HAIR_COLOURS,
    Float32Array,
    FloatArray,
    Subject,
    seeded,
    smooth_noise,
)

#: Tone quantisation of the strand canvas (shine included).
LEVELS = 48
#: Fraction of the tone range used by the hair's own colour; the rest is shine.
_BODY = 0.72
_SHINE_BGR = np.array([232.0, 236.0, 240.0], np.float32)
#: Canvas code of vellus hair (terminal hair uses 1..LEVELS).
VELLUS = 255
_VELLUS_OPACITY = 0.45


@dataclass(frozen=True)
class VisitState:
    """What changes between visits: how many follicles grow hair and how it looks.

    `density` is the fraction of follicles with visible hair (0..1); `thickness`
    the shaft width in px (miniaturised hair is thin); `length` in px;
    `styling_seed` combs the same hairs differently and `restyle` scales how
    much (0 = every visit combed alike); `lighting_seed` (default: the styling
    seed) moves the room light and the scalp's shine; `vellus` is the fraction
    of inactive follicles showing a faint, fine, unpigmented miniaturised hair.
    Vellus hair is drawn but is not in the hair mask: coverage means terminal
    hair, which is what a clinician counts as hair.
    """

    density: float
    thickness: float = 2.0
    length: float = 60.0
    styling_seed: int = 0
    lighting_seed: int | None = None
    vellus: float = 0.15
    restyle: float = 1.0


@dataclass(frozen=True)
class SynthScalp:
    """A rendered canonical scalp with its exact hair ground truth.

    `hair_fraction` is the area of each pixel covered by terminal hair (0..1);
    `hair_mask` is `hair_fraction >= 0.5`; `active_follicles` counts the
    follicles growing terminal hair.
    """

    image: BGRImage
    hair_mask: NDArray[np.bool_]
    hair_fraction: Float32Array
    state: VisitState
    active_follicles: int

    @property
    def coverage(self) -> float:
        """Hair coverage over the whole canvas."""
        return float(self.hair_mask.mean())

    def coverage_in(self, roi: NDArray[np.bool_]) -> float:
        """Hair coverage inside a boolean region of interest (canvas-sized)."""
        return mask_coverage(self.hair_mask, roi)


def mask_coverage(mask: NDArray[np.bool_], roi: NDArray[np.bool_] | None = None) -> float:
    """Mean of `mask` inside `roi` (everywhere when None); NaN for an empty ROI."""
    if roi is None:
        return float(mask.mean())
    if roi.shape != mask.shape:
        raise ValueError(f"roi shape {roi.shape} differs from mask shape {mask.shape}")
    n = int(np.count_nonzero(roi))
    return float(np.count_nonzero(mask & roi)) / n if n else math.nan


def _area_mean(image: Float32Array, size: tuple[int, int]) -> Float32Array:
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.float32)


def _default_supersample(size: tuple[int, int]) -> int:
    """Odd, so no pixel can be covered exactly half and the 50 % rule never ties.

    5 keeps thin (1 px) hair accurate on the small canvases tests use; 3 is
    within 0.5 % coverage of the converged value for normal hair and keeps
    large canvases well under a second.
    """
    return 5 if size[0] * size[1] <= 1_000_000 else 3


def _strands(subject: Subject, state: VisitState,
             active: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray,
                                                 NDArray[np.intp], NDArray[np.bool_]]:
    """Vertices (n, k+1, 2), per-segment widths and tangents, base tone, follicle
    index and whether each strand is vellus.

    Active follicles grow terminal hair; some inactive ones grow vellus hair
    (miniaturised: thin, short, pale), as on a real thinning scalp. Every random
    draw is per follicle, so a hair keeps its own shape when the density changes
    and only the styling seed recombs it (smoothly, as a comb would); vellus
    hair is too short to be combed and never moves.
    """
    w, h = subject.canvas_size
    n_all = subject.n_follicles
    k = int(np.clip(math.ceil(state.length / 9.0), 4, 24))
    own = seeded(subject.seed, 22)  # the hair's own shape
    own_turn = own.normal(0.0, 0.15, n_all)
    own_wiggle = own.normal(0.0, 0.05, (n_all, k))
    vellus_turn = own.normal(0.0, 0.6, n_all)
    style = seeded(subject.seed, state.styling_seed, 21)
    amount = max(state.restyle, 0.0)
    sweep = style.normal(0.0, 0.2) * amount
    comb = smooth_noise(style, (w, h), 0.4 * min(w, h)) * np.float32(amount)
    style_turn = style.normal(0.0, 0.1, n_all) * amount
    style_curl = style.normal(0.0, 0.002, n_all) * amount
    style_wiggle = style.normal(0.0, 0.03, (n_all, k)) * amount

    vellus = ~active & (subject.vellus_score < state.vellus)
    # Hair from follicles beyond the canvas only matters if it can reach in.
    reach = 1.7 * max(state.length, 1.0) + state.thickness
    fx, fy = subject.follicles[:, 0], subject.follicles[:, 1]
    near = (fx > -reach) & (fx < w - 1 + reach) & (fy > -reach) & (fy < h - 1 + reach)
    grown = np.flatnonzero((active | vellus) & near)
    small = vellus[grown]
    pts = subject.follicles[grown]
    xi = np.clip(pts[:, 0].astype(np.int64), 0, w - 1)
    yi = np.clip(pts[:, 1].astype(np.int64), 0, h - 1)
    styled = sweep + 0.35 * comb[yi, xi].astype(np.float64) + style_turn[grown]
    theta = subject.base_angle[grown] + np.where(small, vellus_turn[grown],
                                                 own_turn[grown] + styled)
    curl = subject.curl[grown] + np.where(small, 0.0, style_curl[grown])
    length = max(state.length, 1.0) * subject.length_factor[grown] * np.where(small, 0.25, 1.0)
    step = length / k
    idx = np.arange(k, dtype=np.float64)
    wiggle = np.cumsum(own_wiggle[grown] + np.where(small[:, None], 0.0, style_wiggle[grown]),
                       axis=1)
    tangent = theta[:, None] + curl[:, None] * step[:, None] * (idx + 0.5) + wiggle
    moves = np.stack([np.cos(tangent), np.sin(tangent)], axis=2) * step[:, None, None]
    verts = np.concatenate([pts[:, None, :], pts[:, None, :] + np.cumsum(moves, axis=1)], axis=1)
    taper = 1.0 - 0.55 * ((idx + 0.5) / k) ** 2
    width = max(state.thickness, 0.0) * subject.width_factor[grown] * np.where(small, 0.3, 1.0)
    tone = subject.tone[grown]
    tone = np.where(small, 0.3 * tone + 0.7, tone)
    return verts, width[:, None] * taper[None, :], tangent, tone, grown, small


def _shine(subject: Subject, state: VisitState, verts: FloatArray, tangent: FloatArray,
           grown: NDArray[np.intp]) -> FloatArray:
    """Specular streaks (Kajiya-Kay): strands across the light catch it, inside a sheen band."""
    w, h = subject.canvas_size
    rng = seeded(subject.seed, _lighting_seed(state), 31)
    light = rng.uniform(0.0, math.pi)
    across = np.abs(np.sin(tangent - light)) ** 4
    band = smooth_noise(rng, (w, h), 0.25 * min(w, h))
    mid = 0.5 * (verts[:, :-1] + verts[:, 1:])
    xi = np.clip(mid[..., 0].astype(np.int64), 0, w - 1)
    yi = np.clip(mid[..., 1].astype(np.int64), 0, h - 1)
    sheen = np.clip(0.3 + 0.5 * band[yi, xi].astype(np.float64), 0.0, 1.0)
    own = seeded(subject.seed, 23).uniform(0.7, 1.1, subject.n_follicles)
    gloss = rng.uniform(0.6, 1.0) * own[grown][:, None]
    return np.asarray(np.clip(gloss * across * sheen, 0.0, 1.0), np.float64)


def _lighting_seed(state: VisitState) -> int:
    return state.styling_seed if state.lighting_seed is None else state.lighting_seed


def _draw(shape: tuple[int, int], ss: int, verts: FloatArray, widths: FloatArray,
          values: FloatArray, small: NDArray[np.bool_],
          dither: FloatArray | None = None) -> NDArray[np.uint8]:
    """Draw every segment into a supersampled tone canvas, grouped to batch cv2 calls.

    Terminal hair gets codes 1..LEVELS (its tone), vellus hair VELLUS, drawn first
    so terminal hair lies on top of it. OpenCV's thick lines come only in odd
    widths (thickness t covers about 2 * (t // 2) + 1 px), so each strand is
    drawn at one of the two odd widths around its target, picked by its
    `dither` value (0..1) so the mean width is right and stays put per hair.
    """
    h, w = shape
    canvas = np.zeros((h * ss, w * ss), np.uint8)
    if verts.size == 0:
        return canvas
    n, k = widths.shape
    segs = np.stack([verts[:, :-1], verts[:, 1:]], axis=2).reshape(-1, 2, 2)
    fixed = np.round((segs * ss + (ss - 1) / 2.0) * 16.0).astype(np.int32)  # shift=4
    u = np.full(n, 0.5) if dither is None else dither
    target = np.maximum(widths * ss, 1.0)
    lower = 1.0 + 2.0 * np.floor((target - 1.0) / 2.0)
    odd = lower + 2.0 * (u[:, None] < (target - lower) / 2.0)
    thick = np.where(odd <= 1.0, 1, odd - 1.0).astype(np.int64).ravel()
    thick[widths.ravel() <= 0.0] = 0
    level = np.clip(np.round(values.ravel() * (LEVELS - 1)) + 1, 1, LEVELS).astype(np.int64)
    level[np.repeat(small, k)] = VELLUS
    keep = thick >= 1
    key = thick[keep] * 256 + level[keep]
    # Groups go down in a scrambled but fixed order of their key, so no tone
    # systematically lies on top and the layering does not change between visits.
    scramble = (key * 2654435761) % (2**32) + np.where(key % 256 == VELLUS, 0, 2**32)
    order = np.argsort(scramble, kind="stable")
    key, fixed = key[order], fixed[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    bounds = np.r_[starts, key.size]
    for a, b in itertools.pairwise(bounds.tolist()):
        t, lv = divmod(int(key[a]), 256)
        # A (n, 2, 2) array is n polylines to OpenCV, with no per-segment Python objects.
        group = cast("Sequence[NDArray[np.int32]]", fixed[a:b])
        cv2.polylines(canvas, group, False, int(lv), thickness=t,
                      lineType=cv2.LINE_8, shift=4)
    return canvas


@dataclass(frozen=True)
class _Layers:
    """Per-pixel maps (h, w) that decide the final colour."""

    hair: Float32Array  # terminal hair fraction
    vellus: Float32Array  # vellus opacity
    value: Float32Array  # hair tone + shine code, 0..1
    depth: Float32Array  # local hair density (ambient occlusion)
    shadow: Float32Array  # shadow cast on skin
    sheen: Float32Array  # specular sheen of bare skin
    light: Float32Array  # illumination


def _composite(subject: Subject, m: _Layers) -> BGRImage:
    """Blend skin, shadow, sheen, vellus and hair, then light it.

    The physical recipe, per pixel and channel, is
        skin = (skin0 * (1 - shadow/2) * (1 - sheen) + 255 * sheen) * (1 - v) + V * v
        hair = ((dark + (light - dark) * body) * (1 - s) + SHINE * s) * (1 - 0.22 depth)
        out  = (skin * (1 - f) + hair * f) * light
    expanded into single-channel weights times per-channel constants, so only a
    few full-colour passes are made (this was most of the render time).
    """
    dark, bright = (np.array(c, np.float32) for c in HAIR_COLOURS[subject.hair])
    vellus_bgr = bright
    body = np.clip(m.value * np.float32(1.0 / _BODY), 0.0, 1.0)
    shine = np.clip((m.value - np.float32(_BODY)) * np.float32(0.6 / (1.0 - _BODY)), 0.0, 0.6)
    skin_part = (1.0 - m.hair) * m.light
    hair_part = m.hair * m.light * (1.0 - 0.22 * m.depth)
    bare = skin_part * (1.0 - m.vellus)
    w_skin = bare * (1.0 - 0.5 * np.clip(m.shadow, 0.0, 1.0)) * (1.0 - m.sheen)
    w_white = 255.0 * m.sheen * bare + 0.5  # + 0.5: round, not truncate, at the end
    w_body = (1.0 - shine) * hair_part
    weights = np.dstack([m.vellus * skin_part, w_body, body * w_body, shine * hair_part])
    colours = np.stack([vellus_bgr, dark, bright - dark, _SHINE_BGR], axis=1)  # (3, 4)
    out = np.asarray(cv2.transform(weights, colours), np.float32)
    out += subject.skin_image * w_skin[..., None]
    out += w_white[..., None]
    return np.clip(out, 0.0, 255.0).astype(np.uint8)


def _illumination(subject: Subject,
                  seed: int) -> tuple[Float32Array, Float32Array, tuple[float, float]]:
    """Soft uneven light (gradient, vignetting), the scalp's sheen blob, light direction."""
    w, h = subject.canvas_size
    rng = seeded(subject.seed, seed, 41)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    side = float(max(w, h))
    u, v = (xs - w / 2.0) / side, (ys - h / 2.0) / side
    ang = rng.uniform(0.0, 2.0 * math.pi)
    slope = rng.uniform(0.05, 0.3)
    light = 1.0 + slope * (u * math.cos(ang) + v * math.sin(ang))
    light *= 1.0 - rng.uniform(0.1, 0.35) * (u * u + v * v) * 2.0
    light *= 1.0 + 0.04 * smooth_noise(rng, (w, h), 0.5 * side)
    cx, cy = rng.uniform(0.25, 0.75) * w, rng.uniform(0.25, 0.75) * h
    spread = rng.uniform(0.08, 0.2) * side
    sheen = rng.uniform(0.1, 0.35) * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * spread ** 2))
    return (np.asarray(light, np.float32), np.asarray(sheen, np.float32),
            (math.cos(ang), math.sin(ang)))


def render_scalp(subject: Subject, state: VisitState, supersample: int | None = None) -> SynthScalp:
    """Render one visit in the canonical frame (canvas_size) with its exact hair mask.

    `supersample` (default 5 up to 1 MP, else 3) sets the sub-pixel grid the
    mask's 50 % rule is judged on; use odd values (even ones allow exact ties).
    """
    w, h = subject.canvas_size
    ss = supersample or _default_supersample((w, h))
    active = subject.active(state.density)
    verts, widths, tangent, tone, grown, small = _strands(subject, state, active)
    shine = _shine(subject, state, verts, tangent, grown)
    values = tone[:, None] * _BODY
    values = values + (1.0 - values) * shine
    dither = seeded(subject.seed, 24).random(subject.n_follicles)[grown]
    canvas = _draw((h, w), ss, verts, widths, values, small, dither)
    terminal = (canvas > 0) & (canvas != VELLUS)
    frac = _area_mean(terminal.astype(np.float32), (w, h))
    frac_v = np.maximum(_area_mean((canvas == VELLUS).astype(np.float32), (w, h)), np.float32(0))
    level_sum = _area_mean(np.where(terminal, canvas, 0).astype(np.float32), (w, h))
    mask = frac >= 0.5 - 1e-6
    value = ((level_sum / np.maximum(frac, 1e-6) - 1.0) / (LEVELS - 1)).astype(np.float32)
    # Hair in deep, dense layers gets less light than the top strands.
    depth = np.asarray(cv2.GaussianBlur(frac, (0, 0), 4.0), np.float32)
    light, sheen, towards = _illumination(subject, _lighting_seed(state))
    # Strands cast a soft shadow on the skin beside them, away from the light.
    offset = max(1.0, 0.6 * state.thickness)
    shift = np.array([[1.0, 0.0, -offset * towards[0]], [0.0, 1.0, -offset * towards[1]]],
                     np.float32)
    cast_by = cv2.warpAffine(frac + 0.3 * frac_v, shift, (w, h), borderMode=cv2.BORDER_REPLICATE)
    shadow = np.asarray(cv2.GaussianBlur(cast_by, (0, 0), 1.0 + 0.5 * state.thickness),
                        np.float32)
    vellus = np.float32(_VELLUS_OPACITY) * frac_v
    out = _composite(subject, _Layers(frac, vellus, value, depth, shadow, sheen, light))
    return SynthScalp(out, mask, frac, state, int(np.count_nonzero(active)))

"""A synthetic person's scalp: everything that stays the same between visits.

A `Subject` fixes the skin (tone, blotches, pores, moles that serve as stable
landmarks), where every follicle sits on the canonical canvas, the natural
direction each hair grows in (a crown whorl plus a parting), and the balding
pattern that decides which follicles stop producing visible hair first. Visits
(`synth_hair.render_scalp`) only switch follicles on or off and restyle them,
so two renders of one subject differ the way two real visits do.

All lengths are canvas pixels at a fixed scale (a hair shaft is about 2 px),
so a bigger canvas shows a bigger patch of scalp, not a zoomed one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

SKIN_TONES: dict[str, tuple[float, float, float]] = {  # BGR, mid-scalp colour
    "light": (160.0, 182.0, 222.0),
    "medium": (104.0, 138.0, 186.0),
    "dark": (52.0, 72.0, 104.0),
}
#: Hair colours: (dark end, light end) of the per-strand tone range, BGR.
HAIR_COLOURS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "black": ((18.0, 18.0, 22.0), (58.0, 58.0, 66.0)),
    "dark": ((24.0, 30.0, 40.0), (70.0, 84.0, 104.0)),
    "brown": ((36.0, 56.0, 84.0), (96.0, 128.0, 170.0)),
    "grey": ((52.0, 54.0, 58.0), (222.0, 224.0, 228.0)),
    "blond": ((70.0, 118.0, 168.0), (150.0, 200.0, 236.0)),
}
PATTERNS = ("vertex", "frontal", "diffuse", "none")

#: Mean distance between follicular units (1-3 hairs each), canvas px.
UNIT_SPACING = 11.0
#: Follicles extend this far (px) beyond the canvas so hair also grows in from outside.
MARGIN = 100.0
#: How strongly the balding pattern orders follicle loss (0 = random loss).
PATTERN_STRENGTH = 0.5

FloatArray = NDArray[np.float64]
Float32Array = NDArray[np.float32]


def seeded(*keys: int) -> np.random.Generator:
    """A generator for a tuple of integer keys; negative seeds are accepted too."""
    return np.random.default_rng([int(k) % 2**64 for k in keys])


def smooth_noise(rng: np.random.Generator, size: tuple[int, int], cell: float) -> Float32Array:
    """Zero-mean, unit-std noise varying over about `cell` px: blotches, fields, light.

    Made by cubic upsampling of a coarse random grid, which is far cheaper than
    blurring full-size white noise with a large kernel.
    """
    w, h = size
    gw, gh = max(3, round(w / cell) + 2), max(3, round(h / cell) + 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    out = np.asarray(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)
    std = float(out.std()) or 1.0
    return ((out - float(out.mean())) / std).astype(np.float32)


def _smoothstep(e0: float, e1: float, x: FloatArray) -> FloatArray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True)
class Subject:
    """One person's scalp on a canonical canvas; arrays are per follicle.

    `follicles` are canonical (x, y) px, some up to MARGIN px outside the
    canvas (their hair reaches in); `follicle_rank` (0..1) orders loss: at
    density d a follicle is active when its rank < d, so a higher density is
    always a superset. Ranks are quantiles among the follicles inside the
    canvas, so `density` is exactly the active fraction there, whatever the
    canvas size; margin follicles share the same threshold. An inactive
    follicle with `vellus_score` below a visit's `vellus` grows a miniaturised
    (thin, short, pale) hair instead. `landmarks` are mole centres (dark, a
    few px across) and `spots` the fainter freckles and red dots: the skin
    detail a feature matcher should lock onto whatever the hair does.
    """

    seed: int
    skin: str
    hair: str
    canvas_size: tuple[int, int]  # (w, h)
    pattern: str = "vertex"
    follicles: FloatArray = field(repr=False, compare=False, default_factory=lambda: np.empty(0))
    follicle_rank: FloatArray = field(repr=False, compare=False,
                                      default_factory=lambda: np.empty(0))
    base_angle: FloatArray = field(repr=False, compare=False, default_factory=lambda: np.empty(0))
    loss: FloatArray = field(repr=False, compare=False, default_factory=lambda: np.empty(0))
    tone: FloatArray = field(repr=False, compare=False, default_factory=lambda: np.empty(0))
    width_factor: FloatArray = field(repr=False, compare=False,
                                     default_factory=lambda: np.empty(0))
    length_factor: FloatArray = field(repr=False, compare=False,
                                      default_factory=lambda: np.empty(0))
    curl: FloatArray = field(repr=False, compare=False, default_factory=lambda: np.empty(0))
    vellus_score: FloatArray = field(repr=False, compare=False,
                                     default_factory=lambda: np.empty(0))
    landmarks: FloatArray = field(repr=False, compare=False,
                                  default_factory=lambda: np.empty((0, 2)))
    spots: FloatArray = field(repr=False, compare=False, default_factory=lambda: np.empty((0, 2)))
    whorl: tuple[float, float] = (0.0, 0.0)

    @property
    def n_follicles(self) -> int:
        return int(self.follicles.shape[0])

    def active(self, density: float) -> NDArray[np.bool_]:
        """Which follicles produce visible hair at `density` (monotone in density)."""
        return np.asarray(self.follicle_rank < float(density))

    @property
    def inside(self) -> NDArray[np.bool_]:
        """Follicles on the canvas itself (the rest sit in the margin around it)."""
        w, h = self.canvas_size
        x, y = self.follicles[:, 0], self.follicles[:, 1]
        return np.asarray((x >= -0.5) & (x < w - 0.5) & (y >= -0.5) & (y < h - 0.5))

    def loss_map(self) -> Float32Array:
        """The balding pattern over the canvas: 1 where hair goes first, 0 where last."""
        w, h = self.canvas_size
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
        return _pattern(self, xs.ravel(), ys.ravel()).reshape(h, w).astype(np.float32)

    @cached_property
    def skin_image(self) -> Float32Array:
        """Bare-scalp colour (float BGR 0..255), shared by every visit; built on first use."""
        from hairtrack.core.imaging.synth_skin import render_skin

        skin = render_skin(self)
        skin.setflags(write=False)
        return skin


def _pattern(subject: Subject, xs: FloatArray, ys: FloatArray) -> FloatArray:
    w, h = subject.canvas_size
    side = float(min(w, h))
    rng = seeded(subject.seed, 7)
    if subject.pattern == "none":
        return np.zeros_like(xs)
    if subject.pattern == "vertex":
        cx, cy = w * (0.5 + rng.uniform(-0.06, 0.06)), h * (0.5 + rng.uniform(-0.06, 0.06))
        radius = side * rng.uniform(0.26, 0.34)
        aspect = rng.uniform(0.8, 1.2)
        dist = np.hypot((xs - cx) * aspect, (ys - cy) / aspect)
        return 1.0 - _smoothstep(0.15 * radius, 1.4 * radius, dist)
    if subject.pattern == "frontal":
        # Receding from the top edge (the forehead), deeper at the temples: an "M".
        u = (xs - w / 2.0) / (w / 2.0)
        depth = h * (0.35 + 0.15 * u * u)
        return 1.0 - _smoothstep(0.3, 1.0, ys / depth)
    # diffuse: patchy, everywhere
    field_rng = seeded(subject.seed, 8)
    noise = smooth_noise(field_rng, (w, h), side * 0.35)
    xi = np.clip(xs.astype(np.int64), 0, w - 1)
    yi = np.clip(ys.astype(np.int64), 0, h - 1)
    return np.clip(0.5 + 0.15 * noise[yi, xi].astype(np.float64), 0.0, 1.0)


def _follicle_positions(rng: np.random.Generator, w: int, h: int) -> FloatArray:
    """Jittered hexagonal units of 1-3 hairs: even like a real scalp, never a grid.

    Follicles continue MARGIN px beyond the canvas so hair grows in across the
    edges; otherwise every canvas would have a thin-haired border.
    """
    d, m = UNIT_SPACING, MARGIN
    rows = np.arange(-0.5, (h + 2 * m) / (d * 0.866) + 1.0)
    cols = np.arange(-0.5, (w + 2 * m) / d + 1.0)
    gy, gx = np.meshgrid(rows * d * 0.866 - m, cols * d - m, indexing="ij")
    gx = gx + (np.arange(rows.size)[:, None] % 2) * d / 2.0
    units = np.stack([gx.ravel(), gy.ravel()], axis=1)
    units += rng.normal(0.0, d * 0.28, units.shape)
    inside = ((units[:, 0] >= -m) & (units[:, 0] < w + m)
              & (units[:, 1] >= -m) & (units[:, 1] < h + m))
    units = units[inside]
    per_unit = rng.choice([1, 2, 3], size=len(units), p=[0.3, 0.5, 0.2])
    hairs = np.repeat(units, per_unit, axis=0)
    return hairs + rng.normal(0.0, 0.8, hairs.shape)


def _growth_angle(subject_seed: int, w: int, h: int,
                  pts: FloatArray) -> tuple[FloatArray, tuple[float, float]]:
    """Natural growth direction: a spiral whorl at the crown that opens into radial
    flow further out, plus hair combed away from a parting line towards the front."""
    rng = seeded(subject_seed, 3)
    side = float(min(w, h))
    cx, cy = w * rng.uniform(0.4, 0.6), h * rng.uniform(0.5, 0.68)
    sense = 1.0 if rng.random() < 0.7 else -1.0  # clockwise whorls are the most common
    dx, dy = pts[:, 0] - cx, pts[:, 1] - cy
    r = np.hypot(dx, dy)
    alpha = (math.pi / 2.0) * 0.85 * (1.0 - np.exp(-r / (0.12 * side)))
    theta = np.arctan2(dy, dx) + sense * (math.pi / 2.0 - alpha)
    vx, vy = np.cos(theta), np.sin(theta)
    # Parting: from the front edge towards the whorl, off to one side.
    xp0 = cx + rng.choice([-1.0, 1.0]) * rng.uniform(0.05, 0.2) * w
    t = np.clip(pts[:, 1] / max(cy, 1.0), 0.0, 1.0)
    xp = xp0 + (cx - xp0) * t
    d = pts[:, 0] - xp
    strength = rng.uniform(0.4, 0.8)
    weight = strength * np.exp(-((d / (0.06 * side)) ** 2)) * _smoothstep(1.0, 0.4, t)
    side_sign = np.where(d >= 0.0, 1.0, -1.0)
    px, py = side_sign * 0.9, np.full_like(d, -0.45)
    vx, vy = (1.0 - weight) * vx + weight * px, (1.0 - weight) * vy + weight * py
    return np.arctan2(vy, vx), (float(cx), float(cy))


@lru_cache(maxsize=4)
def make_subject(seed: int, skin: str = "light", hair: str = "dark",
                 canvas_size: tuple[int, int] = (1600, 1200),
                 pattern: str = "vertex") -> Subject:
    """A reproducible scalp: the same arguments always give the same person.

    Recent subjects are cached (with their skin, built once), because a demo or
    a test renders many visits and views of the same person; the arrays are
    read-only so the shared instance cannot be changed behind anyone's back.
    """
    if skin not in SKIN_TONES:
        raise ValueError(f"skin must be one of {sorted(SKIN_TONES)}, not {skin!r}")
    if hair not in HAIR_COLOURS:
        raise ValueError(f"hair must be one of {sorted(HAIR_COLOURS)}, not {hair!r}")
    if pattern not in PATTERNS:
        raise ValueError(f"pattern must be one of {PATTERNS}, not {pattern!r}")
    w, h = int(canvas_size[0]), int(canvas_size[1])
    if w < 16 or h < 16:
        raise ValueError(f"canvas {w}x{h} is too small")
    rng = seeded(seed, 1)
    pts = _follicle_positions(rng, w, h)
    n = len(pts)
    shell = Subject(seed, skin, hair, (w, h), pattern)
    loss = _pattern(shell, pts[:, 0], pts[:, 1])
    score = (1.0 - PATTERN_STRENGTH) * rng.random(n) + PATTERN_STRENGTH * loss
    score += rng.normal(0.0, 0.04, n)
    w_, h_ = w - 0.5, h - 0.5
    inside = (pts[:, 0] >= -0.5) & (pts[:, 0] < w_) & (pts[:, 1] >= -0.5) & (pts[:, 1] < h_)
    ordered = np.sort(score[inside])
    rank = np.searchsorted(ordered, score, side="left") / max(len(ordered), 1)
    if hair == "grey":  # salt and pepper: mostly white, some pigmented
        tone = np.where(rng.random(n) < 0.7, rng.uniform(0.6, 1.0, n), rng.uniform(0.0, 0.3, n))
    else:
        tone = np.clip(rng.normal(0.35, 0.18, n), 0.0, 1.0)
    # Miniaturisation: hair in the balding zone is thinner and shorter.
    width = np.clip(rng.normal(1.0, 0.12, n), 0.6, 1.4) * (1.0 - 0.45 * loss * rng.random(n))
    length = np.clip(rng.normal(1.0, 0.2, n), 0.4, 1.6) * (1.0 - 0.4 * loss * rng.random(n))
    waviness = rng.uniform(0.0, 0.012)
    curl = rng.normal(0.0, 0.004 + waviness, n)
    angle, whorl = _growth_angle(seed, w, h, pts)
    n_marks = max(3, round(w * h / 120_000 * rng.uniform(0.8, 1.5)))
    margin = 0.04 * min(w, h)
    marks = np.stack([rng.uniform(margin, w - margin, n_marks),
                      rng.uniform(margin, h - margin, n_marks)], axis=1)
    # Sun-exposed, thinning scalps carry many small freckles and red dots.
    n_spots = round(w * h / 6_000 * rng.uniform(0.5, 1.5))
    spots = np.stack([rng.uniform(0, w, n_spots), rng.uniform(0, h, n_spots)], axis=1)
    vellus = rng.random(n)
    for array in (pts, rank, angle, loss, tone, width, length, curl, vellus, marks, spots):
        array.setflags(write=False)
    return Subject(seed, skin, hair, (w, h), pattern, follicles=pts, follicle_rank=rank,
                   base_angle=angle, loss=loss, tone=tone, width_factor=width,
                   length_factor=length, curl=curl, vellus_score=vellus, landmarks=marks,
                   spots=spots, whorl=whorl)

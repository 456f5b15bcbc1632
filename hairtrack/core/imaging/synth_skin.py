"""Bare-scalp skin for a synthetic subject: the texture alignment has to live on.

Real scalp skin is never flat colour: it has broad blotches and redness, fine
grain, pores, dark follicle openings and a few moles or freckles. The moles are
the stable landmarks a feature matcher can use when the hair on top has been
restyled, so they are placed from the subject's seed and never move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.synth_subject import SKIN_TONES, Float32Array, seeded, smooth_noise

if TYPE_CHECKING:
    from hairtrack.core.imaging.synth_subject import FloatArray, Subject


def _splat(shape: tuple[int, int], pts: FloatArray, weights: FloatArray,
           sigma: float) -> Float32Array:
    """Soft dots of `weights` peak height at `pts`: pores and follicle openings."""
    h, w = shape
    canvas = np.zeros((h, w), np.float32)
    xi = np.round(pts[:, 0]).astype(np.int64)
    yi = np.round(pts[:, 1]).astype(np.int64)
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    np.add.at(canvas, (yi[inside], xi[inside]), weights[inside].astype(np.float32))
    peak = 1.0 / (2.0 * np.pi * sigma * sigma)
    blurred = cv2.GaussianBlur(canvas, (0, 0), sigma)
    return np.asarray(blurred, np.float32) / np.float32(peak)


def _ellipse(layer: NDArray[np.uint8], x: float, y: float, radius: float, alpha: float,
             rng: np.random.Generator) -> None:
    axes = (round(radius * 16), round(radius * rng.uniform(0.65, 1.0) * 16))
    cv2.ellipse(layer, (round(x * 16), round(y * 16)), axes, rng.uniform(0, 180), 0, 360,
                round(alpha * 255), -1, cv2.LINE_AA, 4)


def _pigment(subject: Subject, rng: np.random.Generator) -> list[Float32Array]:
    """Alpha maps for moles (dark, sharp), freckles (faint, soft) and red dots."""
    w, h = subject.canvas_size
    layers = [np.zeros((h, w), np.uint8) for _ in range(3)]
    for x, y in subject.landmarks:
        _ellipse(layers[0], x, y, rng.uniform(3.0, 7.0), rng.uniform(0.8, 0.95), rng)
    for x, y in subject.spots:
        if rng.random() < 0.8:
            _ellipse(layers[1], x, y, rng.uniform(1.5, 5.0), rng.uniform(0.3, 0.75), rng)
        else:
            _ellipse(layers[2], x, y, rng.uniform(1.0, 2.5), rng.uniform(0.4, 0.8), rng)
    return [np.asarray(cv2.GaussianBlur(layer.astype(np.float32) / 255.0, (0, 0), sigma),
                       np.float32) for layer, sigma in zip(layers, (0.9, 1.3, 0.8), strict=True)]


def render_skin(subject: Subject) -> Float32Array:
    """Float BGR (0..255) bare scalp for `subject`, identical on every call."""
    w, h = subject.canvas_size
    rng = seeded(subject.seed, 11)
    base = np.array(SKIN_TONES[subject.skin], np.float32)
    base *= np.float32(rng.uniform(0.92, 1.08)) * rng.uniform(0.96, 1.04, 3).astype(np.float32)
    lum = (1.0 + 0.055 * smooth_noise(rng, (w, h), 240.0)
           + 0.03 * smooth_noise(rng, (w, h), 40.0))
    grain = rng.standard_normal((h, w), dtype=np.float32)
    lum += 0.03 * np.asarray(cv2.GaussianBlur(grain, (0, 0), 0.7), np.float32) / 0.4
    red = np.clip(0.03 * smooth_noise(rng, (w, h), 110.0) - 0.015, 0.0, None)
    n_pores = round(w * h / 300.0)
    pores = np.stack([rng.uniform(0, w, n_pores), rng.uniform(0, h, n_pores)], axis=1)
    dots = _splat((h, w), pores, rng.uniform(0.02, 0.09, n_pores), 0.7)
    # Follicle openings: the fine dotted pattern of a thinning scalp.
    dots += _splat((h, w), subject.follicles, rng.uniform(0.05, 0.16, subject.n_follicles), 0.9)
    lum *= 1.0 - np.clip(dots, 0.0, 0.6)
    skin = np.empty((h, w, 3), np.float32)
    skin[:, :, 0] = base[0] * lum * (1.0 - 0.5 * red)
    skin[:, :, 1] = base[1] * lum * (1.0 - 0.7 * red)
    skin[:, :, 2] = base[2] * lum * (1.0 + 0.4 * red)
    colours = (base * np.array([0.28, 0.32, 0.42], np.float32),  # mole
               base * np.array([0.55, 0.64, 0.8], np.float32),  # freckle
               np.array([60.0, 55.0, 175.0], np.float32))  # cherry-red dot
    for alpha, colour in zip(_pigment(subject, rng), colours, strict=True):
        a = alpha[:, :, None]
        skin = skin * (1.0 - a) + colour * a
    return np.asarray(np.clip(skin, 0.0, 255.0), np.float32)

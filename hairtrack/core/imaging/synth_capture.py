"""Photographing a synthetic scalp: a known homography plus camera imperfections.

The matrix maps canonical canvas pixels to photo pixels, so an alignment
algorithm's answer can be checked against it exactly. The camera model runs in
the order a phone does: lens blur, exposure and white balance on the sensor,
sensor noise, tone curve (gamma), then JPEG. The lighting and JPEG helpers are
public because tests apply the same changes to real photos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.io import BGRImage
from hairtrack.core.imaging.synth_hair import SynthScalp
from hairtrack.core.imaging.synth_subject import Subject, seeded

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class Capture:
    """How one photo is taken. `matrix` maps canonical (x, y, 1) to photo pixels.

    `brightness` is an exposure gain, `gamma` the exponent of the tone curve
    (out = in ** gamma on 0..1, so < 1 lifts mid-tones), `white_balance` per
    channel gains in B, G, R order, `noise_sigma` Gaussian sensor noise in
    8-bit levels, `blur_sigma` lens blur in photo px, `jpeg_quality` None to
    skip re-encoding.
    """

    matrix: Matrix
    out_size: tuple[int, int]  # (w, h)
    brightness: float = 1.0
    gamma: float = 1.0
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)
    noise_sigma: float = 0.0
    blur_sigma: float = 0.0
    jpeg_quality: int | None = None
    noise_seed: int = 0
    background: tuple[int, int, int] = field(default=(0, 0, 0))


@dataclass(frozen=True)
class SynthPhoto:
    """A synthetic photo with its ground truth in photo coordinates."""

    image: BGRImage
    hair_mask: NDArray[np.bool_]
    valid: NDArray[np.bool_]
    matrix: Matrix

    @property
    def coverage(self) -> float:
        """Hair coverage over the pixels that show the scalp canvas."""
        n = int(np.count_nonzero(self.valid))
        return float(np.count_nonzero(self.hair_mask & self.valid)) / n if n else math.nan


def _size_of(thing: Subject | SynthScalp | tuple[int, int]) -> tuple[int, int]:
    if isinstance(thing, Subject):
        return thing.canvas_size
    if isinstance(thing, SynthScalp):
        h, w = thing.hair_mask.shape
        return (w, h)
    return (int(thing[0]), int(thing[1]))


def identity_capture(subject_or_size: Subject | SynthScalp | tuple[int, int]) -> Capture:
    """A perfect photo: same size as the canvas, no warp, no camera effects."""
    return Capture(np.eye(3), _size_of(subject_or_size))


def capture_matrix(canvas_size: tuple[int, int], out_size: tuple[int, int], *,
                   angle_deg: float = 0.0, scale: float = 1.0,
                   shift: tuple[float, float] = (0.0, 0.0),
                   tilt: tuple[float, float] = (0.0, 0.0)) -> Matrix:
    """Canonical -> photo homography about the canvas centre.

    `scale` is relative to the fit that makes the canvas fill the photo,
    `shift` is in photo px, `tilt` is the perspective foreshortening across the
    canvas along x and y (0.05 = far edge 5 % smaller).
    """
    cw, ch = canvas_size
    ow, oh = out_size
    fill = max(ow / cw, oh / ch)
    centre = np.array([[1.0, 0.0, -(cw - 1) / 2.0], [0.0, 1.0, -(ch - 1) / 2.0], [0, 0, 1.0]])
    persp = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0],
                      [2.0 * tilt[0] / cw, 2.0 * tilt[1] / ch, 1.0]])
    a = math.radians(angle_deg)
    s = fill * scale
    rot = np.array([[s * math.cos(a), -s * math.sin(a), 0.0],
                    [s * math.sin(a), s * math.cos(a), 0.0], [0.0, 0.0, 1.0]])
    place = np.array([[1.0, 0.0, (ow - 1) / 2.0 + shift[0]],
                      [0.0, 1.0, (oh - 1) / 2.0 + shift[1]], [0.0, 0.0, 1.0]])
    m = place @ rot @ persp @ centre
    return np.asarray(m / m[2, 2], np.float64)


def random_capture(rng: np.random.Generator, canvas_size: tuple[int, int],
                   out_size: tuple[int, int] | None = None, strength: float = 1.0) -> Capture:
    """A plausible follow-up photo: hand-held pose drift and a different phone/room.

    At strength 1: rotation up to about +-15 deg, scale 0.8-1.25 around the fill
    fit, shift up to 6 % of the frame, up to 6 % perspective tilt, exposure
    +-20 %, gamma 0.85-1.18, white balance +-6 %, noise up to 4 levels, blur up
    to 1 px, JPEG quality 70-95.
    """
    size = canvas_size if out_size is None else out_size
    k = max(strength, 0.0)
    ow, oh = size
    matrix = capture_matrix(
        canvas_size, size,
        angle_deg=float(rng.uniform(-15.0, 15.0)) * k,
        scale=float(np.clip(math.exp(rng.uniform(-0.22, 0.22) * k), 0.7, 1.4)),
        shift=(float(rng.uniform(-0.06, 0.06)) * ow * k, float(rng.uniform(-0.06, 0.06)) * oh * k),
        tilt=(float(rng.uniform(-0.06, 0.06)) * k, float(rng.uniform(-0.06, 0.06)) * k))
    wb = tuple(float(g) for g in np.exp(rng.uniform(-0.06, 0.06, 3) * k))
    return Capture(
        matrix, size,
        brightness=float(math.exp(rng.uniform(-0.2, 0.2) * k)),
        gamma=float(math.exp(rng.uniform(-0.16, 0.16) * k)),
        white_balance=(wb[0], wb[1], wb[2]),
        noise_sigma=float(rng.uniform(0.5, 4.0)) * k,
        blur_sigma=float(rng.uniform(0.0, 1.0)) * k,
        jpeg_quality=int(rng.integers(70, 96)) if k > 0 else None,
        noise_seed=int(rng.integers(0, 2**31 - 1)))


def apply_lighting(image: BGRImage, brightness: float = 1.0, gamma: float = 1.0,
                   white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> BGRImage:
    """Exposure gain and white balance (linear), then the tone curve out = in ** gamma."""
    gains = np.asarray(white_balance, np.float32) * np.float32(brightness)
    x = image.astype(np.float32) * (gains / np.float32(255.0))
    x = np.clip(x, 0.0, 1.0)
    if gamma != 1.0:
        x = np.power(x, np.float32(gamma))
    return np.asarray(np.clip(x * 255.0 + 0.5, 0, 255), np.float32).astype(np.uint8)


def encode_jpeg(image: BGRImage, quality: int) -> BGRImage:
    """JPEG encode and decode once, as a phone or a messaging app would."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(decoded, np.uint8)


def add_noise(image: BGRImage, sigma: float, seed: int = 0) -> BGRImage:
    """Gaussian sensor noise of `sigma` 8-bit levels, reproducible by seed."""
    if sigma <= 0:
        return image
    rng = seeded(seed)
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(image.astype(np.float32) + noise + 0.5, 0, 255).astype(np.uint8)


def _zoom_at_centre(m: Matrix, shape: tuple[int, ...]) -> float:
    """Linear scale of the homography at the canvas centre (photo px per canvas px)."""
    cx, cy = (shape[1] - 1) / 2.0, (shape[0] - 1) / 2.0
    den = m[2, 0] * cx + m[2, 1] * cy + m[2, 2]
    jac = (m[:2, :2] - np.outer(m[:2, :2] @ [cx, cy] + m[:2, 2], m[2, :2]) / den) / den
    return math.sqrt(abs(float(np.linalg.det(jac))))


def photograph(scalp: SynthScalp, capture: Capture) -> SynthPhoto:
    """Photograph a canonical scalp: warp, then blur, exposure, noise, gamma, JPEG."""
    m = np.asarray(capture.matrix, np.float64)
    if m.shape != (3, 3):
        raise ValueError(f"capture matrix must be 3x3, got {m.shape}")
    size = (int(capture.out_size[0]), int(capture.out_size[1]))
    bg = tuple(float(c) for c in capture.background)
    source = scalp.image
    zoom = _zoom_at_centre(m, scalp.hair_mask.shape)
    if zoom < 0.9:
        # A camera integrates light over each pixel: prefilter before shrinking,
        # or thin hair would alias into broken dashes no real photo shows.
        sigma = 0.5 * math.sqrt(1.0 / (zoom * zoom) - 1.0)
        source = np.asarray(cv2.GaussianBlur(source, (0, 0), sigma), np.uint8)
    img = np.asarray(cv2.warpPerspective(source, m, size, flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_CONSTANT, borderValue=bg),
                     np.uint8)
    mask = cv2.warpPerspective(scalp.hair_mask.astype(np.uint8), m, size,
                               flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=0)
    ones = np.ones(scalp.hair_mask.shape, np.uint8)
    valid = cv2.warpPerspective(ones, m, size, flags=cv2.INTER_NEAREST,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if capture.blur_sigma > 0:
        img = np.asarray(cv2.GaussianBlur(img, (0, 0), capture.blur_sigma), np.uint8)
    # Exposure and white balance act on the sensor, before noise and the tone curve.
    img = apply_lighting(img, capture.brightness, 1.0, capture.white_balance)
    img = add_noise(img, capture.noise_sigma, capture.noise_seed)
    if capture.gamma != 1.0:
        img = apply_lighting(img, 1.0, capture.gamma)
    if capture.jpeg_quality is not None:
        img = encode_jpeg(img, capture.jpeg_quality)
    return SynthPhoto(np.ascontiguousarray(img), np.asarray(mask, bool),
                      np.asarray(valid, bool), m.copy())

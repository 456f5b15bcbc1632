"""Shared helpers for the benchmarks: real photos, known random warps, capture changes.

A "case" is a reference image, a moving image made from it by a known transform plus
lighting, noise, blur and JPEG changes, and the true moving->reference matrix.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "tests" / "data" / "scalp-photos"

Image = NDArray[np.uint8]

#: The coverage tables' lighting changes: (brightness, gamma, white balance B, G, R).
LIGHTING = {"bright+30%": (1.3, 1.0, (1.0, 1.0, 1.0)), "dark-30%": (0.7, 1.0, (1.0, 1.0, 1.0)),
            "gamma0.7": (1.0, 0.7, (1.0, 1.0, 1.0)), "gamma1.4": (1.0, 1.4, (1.0, 1.0, 1.0)),
            "warm": (1.0, 1.0, (0.9, 1.0, 1.1)), "cool": (1.0, 1.0, (1.1, 1.0, 0.9))}


def real_photos() -> list[Path]:
    return sorted(PHOTOS.glob("*.jpg"))


def disc(shape: tuple[int, ...], radius: float = 0.35) -> Image:
    """A filled central disc (radius a share of the shorter side): the region the tables use."""
    h, w = int(shape[0]), int(shape[1])
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 2, h // 2), round(radius * min(h, w)), 255, -1)
    return mask


@dataclass(frozen=True)
class Case:
    reference: Image
    moving: Image
    truth: NDArray[np.float64]  # moving -> reference
    label: str


def random_transform(
    rng: np.random.Generator,
    ref_size: tuple[int, int],
    mov_size: tuple[int, int],
    *,
    max_rotation: float = 180.0,
    scale: tuple[float, float] = (0.7, 1.4),
    max_shift: float = 0.1,
    perspective: float = 0.05,
) -> NDArray[np.float64]:
    """A reference->moving matrix: rotation, scene scale, shift and mild perspective.

    The resolution change between the two sizes is included on top of the scene scale.
    `perspective` is the change of the homogeneous w from the centre to the middle of an
    edge of the reference (0.05 is roughly an 8 degree camera tilt).
    """
    rw, rh = ref_size
    mw, mh = mov_size
    theta = np.radians(rng.uniform(-max_rotation, max_rotation))
    s = float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]))))
    res = float(np.hypot(mw, mh) / np.hypot(rw, rh))
    c, si = np.cos(theta) * s * res, np.sin(theta) * s * res
    to_origin = np.array([[1, 0, -(rw - 1) / 2], [0, 1, -(rh - 1) / 2], [0, 0, 1.0]])
    rot = np.array([[c, -si, 0], [si, c, 0], [0, 0, 1.0]])
    half = max(rw, rh) / 2
    px, py = rng.uniform(-1, 1, 2) * perspective / half
    persp = np.array([[1, 0, 0], [0, 1, 0], [px, py, 1.0]])
    shift = rng.uniform(-max_shift, max_shift, 2) * [mw, mh]
    to_centre = np.array([[1, 0, (mw - 1) / 2 + shift[0]], [0, 1, (mh - 1) / 2 + shift[1]],
                          [0, 0, 1.0]])
    m = to_centre @ rot @ persp @ to_origin
    return np.asarray(m / m[2, 2], np.float64)


def change_capture(image: Image, rng: np.random.Generator, *, strength: float = 1.0) -> Image:
    """Exposure, gamma, white balance, uneven light, blur, noise: a different day's photo."""
    img = image.astype(np.float32) / 255.0
    gamma = float(np.exp(rng.uniform(-0.35, 0.35) * strength))
    img = np.power(np.clip(img, 0, 1), gamma)
    gains = np.exp(rng.uniform(-0.2, 0.2, 3) * strength).astype(np.float32)
    img = img * gains * float(np.exp(rng.uniform(-0.3, 0.3) * strength))
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    direction = rng.uniform(-1, 1, 2)
    ramp = (direction[0] * (xx / w - 0.5) + direction[1] * (yy / h - 0.5)) * 0.4 * strength
    img = img * (1.0 + ramp)[:, :, None]
    sigma = rng.uniform(0, 1.5) * strength
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img = img + rng.normal(0, rng.uniform(0.0, 0.025) * strength, img.shape).astype(np.float32)
    return np.asarray(np.clip(img * 255.0 + 0.5, 0, 255), np.float32).astype(np.uint8)


def jpeg(image: Image, quality: int, full_colour: bool = False) -> Image:
    """Encoded and decoded once; `full_colour` keeps colour at full resolution (4:4:4).

    Cameras and OpenCV's default store colour at half resolution each way (4:2:0).
    """
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    if full_colour:
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
    ok, buf = cv2.imencode(".jpg", image, params)
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), dtype=np.uint8)


def half_decoded(image: Image, quality: int) -> Image:
    """Saved as JPEG and read back at half size, as `analyze` reads a large camera photo."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_REDUCED_COLOR_2), dtype=np.uint8)


def colour_at_half_resolution(image: Image) -> Image:
    """Brightness untouched, colour (Cr, Cb) averaged over 2x2 and spread back: 4:2:0 alone."""
    ycc = cv2.cvtColor(image, cv2.COLOR_BGR2YCrCb)
    h, w = image.shape[:2]
    half = cv2.resize(ycc[:, :, 1:], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    ycc[:, :, 1:] = cv2.resize(half, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR), np.uint8)


def jpeg_brightness_only(image: Image, quality: int) -> Image:
    """JPEG's loss in brightness (Y) alone: colour kept exactly as it was."""
    ycc = cv2.cvtColor(image, cv2.COLOR_BGR2YCrCb)
    ycc[:, :, 0] = cv2.cvtColor(jpeg(image, quality, full_colour=True),
                                cv2.COLOR_BGR2YCrCb)[:, :, 0]
    return np.asarray(cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR), np.uint8)


def warped_case(reference: Image, rng: np.random.Generator, label: str = "",
                **transform_kw: float) -> Case:
    """The reference photographed again: another resolution/aspect, pose and lighting."""
    rh, rw = reference.shape[:2]
    aspect = rng.choice([1.0, 4 / 3, 3 / 4, 16 / 9])
    long_side = int(rng.uniform(0.7, 1.6) * max(rw, rh))
    mw, mh = (long_side, int(long_side / aspect)) if aspect >= 1 else (
        int(long_side * aspect), long_side)
    forward = random_transform(rng, (rw, rh), (mw, mh), **transform_kw)  # type: ignore[arg-type]
    moving = np.asarray(cv2.warpPerspective(reference, forward, (mw, mh),
                                            flags=cv2.INTER_CUBIC,
                                            borderMode=cv2.BORDER_REFLECT_101), np.uint8)
    moving = change_capture(moving, rng)
    moving = jpeg(moving, int(rng.integers(60, 96)))
    truth = np.linalg.inv(forward)
    return Case(reference, moving, truth / truth[2, 2], label)


def load(path: Path) -> Image:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return np.asarray(image, dtype=np.uint8)


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time in ms over `repeat` runs, after one warm-up run."""
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(runs)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")

"""Pixel channels for coverage: working copy, skin background, texture.

Coverage is decided on a reduced working copy because every step below is
linear in pixel count; it is reduced only as far as the hair strands stay as
wide as the method was tuned on (`coverage_scale`). Everything here is
a pure function of numpy arrays and is cheap at about a megapixel.
"""

from __future__ import annotations

from typing import TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
_T = TypeVar("_T", bound=np.generic)
Mask = NDArray[np.bool_]

#: Added to 8-bit values before ratios and logarithms so black stays finite.
OFFSET = 1.0


def working_copy(image: NDArray[np.uint8], max_side: int) -> tuple[NDArray[np.uint8], int]:
    """Block-averaged copy whose longest side is at most `max_side`, and the block size.

    Each working pixel is the mean of a whole f x f block of photo pixels
    (f an integer), so a hair thinner than a working pixel still darkens (or
    lightens) it in proportion to the area it covers, and the reduction is
    OpenCV's fast integer path.
    """
    factor = factor_for(max(image.shape[:2]), max_side)
    return reduce_by(image, factor), factor


def factor_for(side: int, max_side: int) -> int:
    """The whole reduction factor that brings `side` to at most `max_side`."""
    return max(1, -(-side // max(1, max_side)))


def reduce_by(image: NDArray[np.uint8], factor: int) -> NDArray[np.uint8]:
    """`image` block-averaged by the whole `factor` (a partial last block is cropped)."""
    if factor == 1:
        return image
    h, w = image.shape[:2]
    size = reduced_size(w, h, factor)
    crop = image[:size[1] * factor, :size[0] * factor]
    return np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), np.uint8)


def reduced_size(w: int, h: int, factor: int) -> tuple[int, int]:
    """(width, height) of a `w` x `h` photo block-averaged by `factor` (as `reduce_by` makes it)."""
    return max(1, w // factor), max(1, h // factor)


def upscale_mask(mask: Mask, factor: int, shape: tuple[int, int]) -> Mask:
    """Working-copy mask back at photo size (each pixel fills its block; edges padded)."""
    if factor == 1 and mask.shape == shape:
        return mask
    big = cv2.resize(mask.view(np.uint8), (mask.shape[1] * factor, mask.shape[0] * factor),
                     interpolation=cv2.INTER_NEAREST)
    h, w = shape
    big = big[:h, :w]
    pad_y, pad_x = h - big.shape[0], w - big.shape[1]
    if pad_y or pad_x:  # the photo's partial last blocks: their neighbours' values
        big = cv2.copyMakeBorder(big, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(big).view(bool)


def upscale_field(values: F32, factor: int, shape: tuple[int, int]) -> F32:
    """A smooth per-pixel field from a reduced copy, back at `shape` (edges replicated)."""
    h, w = shape
    if factor == 1 and values.shape[:2] == shape:
        return values
    big = cv2.resize(values, (values.shape[1] * factor, values.shape[0] * factor),
                     interpolation=cv2.INTER_LINEAR)
    big = big[:h, :w]
    pad_y, pad_x = h - big.shape[0], w - big.shape[1]
    if pad_y or pad_x:
        big = cv2.copyMakeBorder(big, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
    return np.asarray(big, np.float32).reshape((h, w, *values.shape[2:]))


def shrink_mask(mask: Mask, factor: int, size: tuple[int, int]) -> Mask:
    """Photo-size mask at working size, read at each block's centre pixel.

    Sampling instead of averaging reads 1/f^2 of a 12 MP mask; a region's
    outline moves by at most half a block, which the final full-size mask
    (AND-ed with the region itself) does not inherit.
    """
    if factor == 1:
        return resize_mask(mask, size)
    # The centre row (column) of a block, or the last one of a photo thinner than a block.
    cy, cx = min(factor // 2, mask.shape[0] - 1), min(factor // 2, mask.shape[1] - 1)
    return np.ascontiguousarray(mask[cy::factor, cx::factor][:size[1], :size[0]])


def grid_sample(values: NDArray[_T], mask: Mask, n: int) -> NDArray[_T]:
    """Up to `n` of `values` at pixels in `mask`, evenly spread (deterministic).

    Statistics (medians, covariances, clusters) need a few thousand pixels,
    not a million; an even stride keeps every part of the region represented
    and the result identical on every run.
    """
    flat = values.reshape(mask.size, -1) if values.ndim > mask.ndim else values.reshape(-1)
    idx = np.flatnonzero(mask.ravel())
    if len(idx) > n:
        idx = idx[np.linspace(0, len(idx) - 1, n).astype(np.intp)]
    return flat[idx]


def resize_mask(mask: Mask, size: tuple[int, int]) -> Mask:
    """A boolean mask at another resolution: a pixel is in when most of it is in."""
    if (mask.shape[1], mask.shape[0]) == size:
        return mask
    shrinking = size[0] < mask.shape[1]
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_NEAREST
    out = cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=interp)
    return np.asarray(out >= 128)


def masked_blur(values: F32, weight: F32, sigma: float, fallback: F32) -> F32:
    """Normalised convolution: the local mean of `values` over pixels where `weight` > 0.

    This is the skin background: the colour bare scalp has around each pixel,
    estimated from scalp pixels only, so hair never darkens (or lightens) it.
    Where no scalp is near, the estimate leans on `fallback`: a per-channel
    colour, or an image of the same shape as `values` (a coarser estimate).
    Blurring runs on a copy reduced so the kernel is a few pixels wide, which
    keeps a large sigma cheap.
    """
    h, w = weight.shape
    factor = max(1, int(sigma / 3.0))
    small = (max(4, w // factor), max(4, h // factor))
    sig = max(sigma * small[0] / w, 0.5)
    wsmall = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
    wblur = np.asarray(cv2.GaussianBlur(wsmall, (0, 0), sig), np.float32)
    eps = np.float32(0.02)
    channels = values.shape[2] if values.ndim == 3 else 1
    vals = values.reshape(h, w, channels)
    # All channels in each OpenCV call (resize and blur take up to four).
    weighted = vals * weight[:, :, None]
    vsmall = cv2.resize(weighted, small, interpolation=cv2.INTER_AREA).reshape(
        small[1], small[0], channels)
    vblur = np.asarray(cv2.GaussianBlur(vsmall, (0, 0), sig), np.float32).reshape(vsmall.shape)
    if fallback.ndim >= 2:
        fb = fallback.reshape(h, w, channels)
        fsmall = cv2.resize(fb, small, interpolation=cv2.INTER_AREA).reshape(vsmall.shape)
        est = (vblur + eps * fsmall) / (wblur + eps)[:, :, None]
    else:
        est = (vblur + eps * fallback.reshape(-1).astype(np.float32)) / (wblur + eps)[:, :, None]
    out = cv2.resize(np.ascontiguousarray(est, np.float32), (w, h),
                     interpolation=cv2.INTER_LINEAR)
    return np.asarray(out, np.float32).reshape(values.shape)


def wide_blur(values: F32, sigma: float) -> F32:
    """A Gaussian blur of large `sigma`, computed on a copy reduced to a few px per sigma.

    Fields this smooth (light fall-off, sheen) lose nothing at a fraction of
    the resolution, and the blur costs a fraction of a full-size one.
    """
    h, w = values.shape[:2]
    factor = max(1, int(sigma / 3.0))
    if factor == 1:
        return np.asarray(cv2.GaussianBlur(values, (0, 0), sigma), np.float32)
    small = (max(4, w // factor), max(4, h // factor))
    reduced = cv2.resize(values, small, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(reduced, (0, 0), max(0.5, sigma * small[0] / w))
    out = cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(out, np.float32).reshape(values.shape)


def mix_channels(values: F32, matrix: NDArray[np.float64] | list[list[float]]) -> F32:
    """Per-pixel linear combinations of channels (rows of `matrix`), in one OpenCV pass.

    NumPy reductions over a short last axis are an order of magnitude slower
    than `cv2.transform`; this is used for every mean, difference and
    projection of colour channels.
    """
    m = np.asarray(matrix, np.float64)
    h, w = values.shape[:2]
    out = np.asarray(cv2.transform(np.ascontiguousarray(values, np.float32), m), np.float32)
    return out.reshape(h, w) if m.shape[0] == 1 else out.reshape(h, w, m.shape[0])


def channel_norm(values: F32) -> F32:
    """Euclidean length of each pixel's channel vector."""
    h, w = values.shape[:2]
    n = values.shape[2] if values.ndim == 3 else 1
    squares = cv2.multiply(values, values)
    total = cv2.transform(np.asarray(squares, np.float32).reshape(h, w, n),
                          np.ones((1, n), np.float64))
    return np.asarray(cv2.sqrt(np.asarray(total, np.float32).reshape(h, w)), np.float32)


def relative_texture(image: NDArray[np.uint8]) -> F32:
    """Gradient magnitude of log brightness after a light denoise.

    Relative (log) contrast is the same under any exposure and white balance.
    Hair, a mat of strands of varying tone and shine, has much more of it
    inside its regions than bare skin has; that is what tells which class is
    scalp when colour alone cannot (blond hair on dark skin, grey on pale).
    """
    grey = mix_channels(np.asarray(image, np.float32), [[1 / 3, 1 / 3, 1 / 3]])
    logl = np.log(grey + np.float32(OFFSET + 4.0))  # +4: sensor noise in black hair
    logl = np.asarray(cv2.GaussianBlur(logl, (0, 0), 0.8), np.float32)
    gx = cv2.Sobel(logl, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(logl, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(cv2.magnitude(gx, gy), np.float32) * np.float32(0.125)


def interior(mask: Mask, radius: int) -> Mask:
    """Pixels of `mask` at least `radius` px from its edge (no class boundary nearby)."""
    size = 2 * radius + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    return np.asarray(cv2.erode(mask.astype(np.uint8), kernel), bool)


def local_max(values: F32, radius: int) -> F32:
    """Grey dilation: the strongest response within `radius` px of each pixel."""
    size = 2 * radius + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    return np.asarray(cv2.dilate(values, kernel), np.float32)


def local_min(values: F32, radius: int) -> F32:
    """Grey erosion: the weakest response within `radius` px of each pixel."""
    size = 2 * radius + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    return np.asarray(cv2.erode(values, kernel), np.float32)

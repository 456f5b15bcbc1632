"""Photos and overlays prepared for print: pure numpy/OpenCV, no Qt.

Every image is resampled to the pixel size it needs at its printed size and
PRINT_DPI, so the PDF is sharp in print without carrying the full working
copies. The PDF writer stores them as JPEG. Images are built from decoded
pixels only, so no EXIF or other metadata of the originals can reach the PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from hairtrack.core.imaging import roi

BGR = NDArray[np.uint8]
Point = tuple[float, float]

#: Resolution of photos at their printed size (print shops ask for 200-300 dpi).
PRINT_DPI = 240
MM_PER_INCH = 25.4

# Okabe-Ito colours, distinguishable with every common colour-vision deficiency.
GAIN_RGB = (0, 114, 178)  # blue
LOSS_RGB = (213, 94, 0)  # vermillion
KEPT_RGB = (120, 120, 120)  # neutral grey: hair in both
UNCOVERED_RGB = (250, 250, 250)


class MissingImage(Exception):
    """A cached image the report needs is not there (the photo needs re-analysis)."""


def pixels_for(width_mm: float, height_mm: float, dpi: float = PRINT_DPI) -> tuple[int, int]:
    return (max(1, round(width_mm / MM_PER_INCH * dpi)),
            max(1, round(height_mm / MM_PER_INCH * dpi)))


def fit_size(source: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the source's aspect ratio inside `box` (width, height)."""
    sw, sh = source
    scale = min(box[0] / sw, box[1] / sh)
    return max(1, round(sw * scale)), max(1, round(sh * scale))


def read(path: Path, target_long_side: int | None = None) -> BGR:
    """Decode a cached image, reduced in the DCT domain when it is larger than needed.

    A reduction that lands within 5 % of the target is taken: the last few
    per cent are resampled, and a full decode costs about four times as much.
    """
    flag = cv2.IMREAD_COLOR
    if target_long_side is not None:
        try:
            with Image.open(path) as probe:  # reads the header only
                full = max(probe.size)
        except OSError as exc:
            raise MissingImage(f"cannot read {path.name}; analyse the patient again") from exc
        for factor, reduced in ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                                (2, cv2.IMREAD_REDUCED_COLOR_2)):
            if full / factor >= 0.95 * target_long_side:
                flag = reduced
                break
    image = cv2.imread(str(path), flag)
    if image is None:
        raise MissingImage(f"cannot read {path.name}; analyse the patient again")
    return np.asarray(image, np.uint8)


def resample(image: BGR, size: tuple[int, int]) -> BGR:
    h, w = image.shape[:2]
    if (w, h) == size:
        return image
    shrinking = size[0] < w
    method = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(image, size, interpolation=method), np.uint8)


def print_image(path: Path, box_px: tuple[int, int]) -> BGR:
    """The image at `path`, fitted inside `box_px` (aspect ratio kept)."""
    image = read(path, max(box_px))
    h, w = image.shape[:2]
    return resample(image, fit_size((w, h), box_px))


def read_mask(path: Path) -> NDArray[np.bool_]:
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise MissingImage(f"cannot read {path.name}; analyse the patient again")
    return np.asarray(mask >= 128)


def polygon_mask(points: Sequence[Point], scale: float, shape: tuple[int, int]) -> \
        NDArray[np.bool_]:
    """Fill a polygon given in full-resolution pixels on a working copy of `shape`."""
    out = np.zeros(shape, np.uint8)
    pts = np.round(np.asarray(points, np.float64) * scale).astype(np.int32)
    cv2.fillPoly(out, [pts.reshape(-1, 1, 2)], 255)
    return out > 0


def gain_loss_overlay(baseline: BGR, baseline_mask: NDArray[np.bool_],
                      latest_mask: NDArray[np.bool_], *, footprint: Sequence[Point] | None,
                      region: Sequence[Point] | None, full_size: tuple[int, int],
                      box_px: tuple[int, int]) -> BGR:
    """Gain and loss of hair between two masks in the baseline's working frame.

    `footprint` (the latest photo's corners) and `region` are in full-resolution
    baseline pixels; outside the footprint the latest photo saw nothing, so no
    change is claimed there. The masks only hold hair inside the region of
    interest, so the region is outlined and the photo outside it faded further:
    without that, hair outside the region would look like bare scalp. With no
    drawn region the automatic one is recomputed on the baseline copy (only
    for the outline; the numbers come from the analysis). The classes are
    decided per working pixel, then reduced to print size as area fractions,
    so thin strands blend into their colour instead of aliasing.
    """
    h, w = baseline_mask.shape
    if latest_mask.shape != baseline_mask.shape:
        latest_mask = cv2.resize(latest_mask.astype(np.uint8), (w, h),
                                 interpolation=cv2.INTER_NEAREST) > 0
    size = fit_size((w, h), box_px)
    scale = max(h, w) / max(full_size) if max(full_size) > 0 else 1.0
    covered = np.ones((h, w), bool)
    if footprint is not None:
        covered = polygon_mask(footprint, scale, (h, w))
        covered = cv2.erode(covered.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    classes = ((latest_mask & ~baseline_mask & covered, GAIN_RGB),
               (baseline_mask & ~latest_mask & covered, LOSS_RGB),
               (baseline_mask & latest_mask & covered, KEPT_RGB),
               (~covered, UNCOVERED_RGB))
    small = resample(baseline, size)
    inside = _region_at(small, region, scale * size[0] / w)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    fade = np.where(inside, 0.38, 0.16).astype(np.float32)  # faint photo for context
    light = 255.0 - fade * (255.0 - grey)
    out = np.zeros((*light.shape, 3), np.float32)
    rest = np.ones(light.shape, np.float32)  # the share of each pixel no class claimed
    for mask, rgb in classes:
        share = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        share = np.minimum(share, rest)
        out += share[:, :, None] * np.asarray(_bgr(rgb), np.float32)
        rest -= share
    out += (rest * light)[:, :, None]
    image = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    contours, _ = cv2.findContours(inside.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(image, contours, -1, (45, 45, 45), max(2, round(max(size) / 450)),
                     cv2.LINE_AA)
    return image


def _region_at(image: BGR, region: Sequence[Point] | None, scale: float) -> NDArray[np.bool_]:
    """The region of interest on `image`: the drawn polygon, else the automatic region."""
    h, w = image.shape[:2]
    if region is not None and len(region) >= 3:
        return polygon_mask(region, scale, (h, w))
    return np.asarray(roi.default_roi(image) > 0)


def _bgr(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    return rgb[2], rgb[1], rgb[0]

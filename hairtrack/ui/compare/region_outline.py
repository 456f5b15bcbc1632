"""The outline of the automatic region of interest, for display.

The analysis stores no polygon when the region is automatic: it derives a
mask from the baseline each time. To show the clinician which area was
measured, the same function runs here on the same working copy and its
mask's outline is traced back to full-resolution baseline pixels.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hairtrack.core.imaging import io
from hairtrack.core.imaging.roi import default_roi
from hairtrack.core.imaging.transforms import scaling_matrix, transform_points
from hairtrack.core.services.analysis_work import WORK_SIDE


def automatic_region(path: Path, size: tuple[int, int]) -> list[tuple[float, float]]:
    """The automatic region's outline in full-res baseline pixels ([] if there is none)."""
    image, scale = io.read_reduced(path, WORK_SIDE)
    mask = np.asarray(default_roi(image)) > 0
    return mask_outline(mask, size, scale)


def mask_outline(mask: np.ndarray, size: tuple[int, int],
                 scale: float | None = None) -> list[tuple[float, float]]:
    """The largest outer contour of a working-copy mask, simplified, in full-res pixels."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return []
    largest = max(contours, key=cv2.contourArea)
    epsilon = 0.002 * cv2.arcLength(largest, True)
    simplified = cv2.approxPolyDP(largest, epsilon, True).reshape(-1, 2).astype(np.float64)
    if len(simplified) < 3:
        return []
    w, h = size
    sx = scale if scale is not None else mask.shape[1] / w
    sy = scale if scale is not None else mask.shape[0] / h
    full = transform_points(np.linalg.inv(scaling_matrix(sx, sy)), simplified)
    return [(float(x), float(y)) for x, y in full]

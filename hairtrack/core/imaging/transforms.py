"""Planar transforms as 3x3 matrices: applying them, moving them between resolutions,
judging whether they are physically plausible, and measuring how far apart two are.

Every matrix here maps a pixel (x, y, 1) of a MOVING image to REFERENCE coordinates in
the OpenCV pixel convention (integer coordinates at pixel centres), so a resize by a
factor s maps x to (x + 0.5) * s - 0.5. Keeping that half-pixel term matters: dropping it
shifts every measurement by up to half a pixel of the reduced copy, which is several
pixels at full resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

Matrix = NDArray[np.float64]
BGRImage = NDArray[np.uint8]


def as_matrix(values: ArrayLike) -> Matrix:
    """A 3x3 float64 copy of a 2x3 affine or 3x3 matrix, normalised so m[2, 2] == 1."""
    m = np.asarray(values, dtype=np.float64)
    if m.shape == (2, 3):
        m = np.vstack([m, [0.0, 0.0, 1.0]])
    if m.shape != (3, 3):
        raise ValueError(f"expected a 2x3 or 3x3 matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)) or abs(m[2, 2]) < 1e-12:
        raise ValueError("matrix is not finite or not normalisable")
    out: Matrix = m / m[2, 2]
    return out


def transform_points(matrix: ArrayLike, pts: ArrayLike) -> NDArray[np.float64]:
    """Map (N, 2) pixel coordinates through a 3x3 (or 2x3) matrix, with perspective division."""
    m = as_matrix(matrix)
    p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    homogeneous = np.hstack([p, np.ones((len(p), 1))]) @ m.T
    w = homogeneous[:, 2:3]
    w = np.where(np.abs(w) < 1e-12, np.copysign(1e-12, w), w)
    out: NDArray[np.float64] = homogeneous[:, :2] / w
    return out


def similarity_lstsq(src: ArrayLike, dst: ArrayLike) -> Matrix:
    """Least-squares rotation + uniform scale + shift taking `src` points onto `dst`."""
    s = np.asarray(src, dtype=np.float64).reshape(-1, 2)
    d = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
    n = len(s)
    a = np.zeros((2 * n, 4))
    a[0::2] = np.column_stack([s[:, 0], -s[:, 1], np.ones(n), np.zeros(n)])
    a[1::2] = np.column_stack([s[:, 1], s[:, 0], np.zeros(n), np.ones(n)])
    p, *_ = np.linalg.lstsq(a, d.reshape(-1), rcond=None)
    return np.array([[p[0], -p[1], p[2]], [p[1], p[0], p[3]], [0.0, 0.0, 1.0]])


def scaling_matrix(sx: float, sy: float) -> Matrix:
    """The matrix of a resize by (sx, sy) in the pixel-centre convention."""
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


def rescale_matrix(
    matrix: Matrix,
    moving_scale: tuple[float, float],
    reference_scale: tuple[float, float],
) -> Matrix:
    """Carry a matrix found between resized copies back to the original resolutions.

    `moving_scale` and `reference_scale` are (sx, sy) from original to the copy that the
    matrix was estimated on.
    """
    s_mov = scaling_matrix(*moving_scale)
    s_ref_inv = np.linalg.inv(scaling_matrix(*reference_scale))
    return as_matrix(s_ref_inv @ matrix @ s_mov)


def image_corners(width: int, height: int) -> NDArray[np.float64]:
    """The outer corners of the pixel grid (not the corner pixel centres)."""
    return np.array(
        [[-0.5, -0.5], [width - 0.5, -0.5], [width - 0.5, height - 0.5], [-0.5, height - 0.5]]
    )


def corner_error(
    estimated: Matrix, truth: Matrix, reference_size: tuple[int, int], at_width: float = 1000.0
) -> float:
    """Mean misregistration at the reference's four corners, in px of an `at_width`-wide copy.

    For each reference corner c, the true moving pixel is inv(truth)(c); the estimate sends
    it to estimated(inv(truth)(c)), and the distance from c is the error clinicians would
    see in the region of interest. Scaling to a fixed width makes numbers comparable across
    photo resolutions.
    """
    w, h = reference_size
    corners = image_corners(w, h)
    moving_pts = transform_points(np.linalg.inv(truth), corners)
    mapped = transform_points(estimated, moving_pts)
    err = float(np.mean(np.linalg.norm(mapped - corners, axis=1)))
    return err * at_width / w


def warp_to_reference(
    moving: BGRImage,
    matrix: ArrayLike,
    reference_shape: tuple[int, ...],
    *,
    interpolation: int = cv2.INTER_LINEAR,
) -> tuple[BGRImage, NDArray[np.bool_]]:
    """The moving image resampled onto the reference grid, and where it has real pixels.

    The mask is what coverage and overlays must use: outside it the warped image is black
    fill, not scalp.
    """
    m = as_matrix(matrix)
    h, w = int(reference_shape[0]), int(reference_shape[1])
    warped = cv2.warpPerspective(
        moving, m, (w, h), flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    ones = np.full(moving.shape[:2], 255, dtype=np.uint8)
    mask = cv2.warpPerspective(
        ones, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    return np.asarray(warped, dtype=np.uint8), mask > 0


@dataclass(frozen=True)
class Geometry:
    """How a transform deforms the image, independent of image resolution."""

    scale: float  # sqrt of the area change of the moving image, resolution-normalised
    rotation_deg: float
    anisotropy: float  # ratio of the principal stretches of the linear part (1 = no shear)
    perspective: float  # largest relative area change across the image due to perspective
    convex: bool
    mirrored: bool


def describe_geometry(
    matrix: Matrix, moving_size: tuple[int, int], reference_size: tuple[int, int]
) -> Geometry:
    """Measure a moving->reference transform as if both images had the same diagonal.

    Photos of one view at different resolutions differ by a large pure scale; normalising
    by the diagonals keeps "scale" about the framing, which is what plausibility is about.
    """
    mw, mh = moving_size
    rw, rh = reference_size
    norm = float(np.hypot(mw, mh) / np.hypot(rw, rh))
    centre = np.array([[(mw - 1) / 2.0, (mh - 1) / 2.0]])
    # Local linear part (Jacobian) at the moving image centre.
    eps = 1.0
    c = transform_points(matrix, centre)[0]
    cx = transform_points(matrix, centre + np.array([[eps, 0.0]]))[0]
    cy = transform_points(matrix, centre + np.array([[0.0, eps]]))[0]
    jac = np.column_stack([(cx - c) / eps, (cy - c) / eps]) * norm
    det = float(np.linalg.det(jac))
    sv = np.linalg.svd(jac, compute_uv=False)
    scale = float(np.sqrt(abs(det)))
    anisotropy = float(sv[0] / max(sv[1], 1e-12))
    rotation = float(np.degrees(np.arctan2(jac[1, 0] - jac[0, 1], jac[0, 0] + jac[1, 1])))
    quad = transform_points(matrix, image_corners(mw, mh))
    convex = bool(cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)))
    # Perspective: local area scale at each corner relative to the centre.
    m = as_matrix(matrix)
    w_corners = image_corners(mw, mh) @ m[2, :2] + m[2, 2]
    w_centre = float(centre[0] @ m[2, :2] + m[2, 2])
    if np.any(w_corners * w_centre <= 0):
        perspective = float("inf")
    else:
        # For a homography the local area scale is det(H) / w^3.
        ratios = np.abs(w_centre / w_corners) ** 3
        perspective = float(np.max(np.abs(np.log(ratios))))
    return Geometry(scale, rotation, anisotropy, perspective, convex, det < 0)


def overlap_fraction(
    matrix: Matrix, moving_size: tuple[int, int], reference_size: tuple[int, int]
) -> float:
    """Fraction of the reference's area covered by the warped moving image's outline."""
    rw, rh = reference_size
    quad = transform_points(matrix, image_corners(*moving_size)).astype(np.float32)
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return 0.0
    if cv2.contourArea(quad) <= 0:
        return 0.0
    rect = image_corners(rw, rh).astype(np.float32)
    # intersectConvexConvex needs a consistent orientation.
    if _signed_area(quad) < 0:
        quad = quad[::-1].copy()
    area, _ = cv2.intersectConvexConvex(quad, rect)
    return float(np.clip(area / float(rw * rh), 0.0, 1.0))


def _signed_area(poly: NDArray[np.float32]) -> float:
    x, y = poly[:, 0].astype(np.float64), poly[:, 1].astype(np.float64)
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))

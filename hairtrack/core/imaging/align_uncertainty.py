"""How well do the matched features pin the transform down where it matters?

A fit to a few matches clustered in one bald patch can have a tiny residual and still put
the far side of the image tens of pixels off: the residual says nothing about
extrapolation. Standard least-squares error propagation does: the residual noise and the
geometry of the inliers give a covariance of the model parameters, and from it the
expected position error at any point. We evaluate it at the reference's corners, the
same place the accuracy targets are measured, and refuse alignments whose own evidence
cannot support the accuracy clinicians need.

It only accounts for random localisation noise, not for consistent bias (hair that moved
the same way everywhere); the structure check and ECC consistency cover the rest.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.transforms import Matrix, image_corners, transform_points

_DOF = {"similarity": 4, "affine": 6, "homography": 8}


def _basis(model: str) -> list[NDArray[np.float64]]:
    if model == "similarity":
        rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        scale = np.diag([1.0, 1.0, 0.0])
        tx = np.zeros((3, 3))
        tx[0, 2] = 1.0
        ty = np.zeros((3, 3))
        ty[1, 2] = 1.0
        return [scale, rot, tx, ty]
    rows = 2 if model == "affine" else 3
    out = []
    for r in range(rows):
        for c in range(3):
            if (r, c) == (2, 2):
                continue
            e = np.zeros((3, 3))
            e[r, c] = 1.0
            out.append(e)
    return out


def _point_jacobian(matrix: Matrix, pts: NDArray[np.float64],
                    basis: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """d(mapped point)/d(parameter) for each point: shape (N, 2, k)."""
    h = np.hstack([pts, np.ones((len(pts), 1))])
    mapped = h @ matrix.T  # (N, 3)
    w = mapped[:, 2:3]
    xy = mapped[:, :2] / w
    jac = np.empty((len(pts), 2, len(basis)))
    for k, e in enumerate(basis):
        d = h @ e.T  # derivative of the homogeneous coordinates
        jac[:, :, k] = (d[:, :2] - xy * d[:, 2:3]) / w
    return jac


def corner_sigma(
    model: str,
    matrix: Matrix,
    src: NDArray[np.floating],
    dst: NDArray[np.floating],
    reference_size: tuple[int, int],
) -> float:
    """Predicted 1-sigma position error (RMS over the reference corners), in reference px.

    Infinite when the inliers cannot determine the model at all.
    """
    k = _DOF.get(model)
    n = len(src)
    if k is None or 2 * n <= k:
        return float("inf")
    s = np.asarray(src, np.float64)
    d = np.asarray(dst, np.float64)
    basis = _basis(model)
    res = transform_points(matrix, s) - d
    sigma2 = float(np.sum(res**2)) / (2 * n - k)
    jac = _point_jacobian(matrix, s, basis).reshape(2 * n, k)
    normal = jac.T @ jac
    try:
        cov = sigma2 * np.linalg.inv(normal)
    except np.linalg.LinAlgError:
        return float("inf")
    if not np.all(np.isfinite(cov)):
        return float("inf")
    corners = image_corners(*reference_size)
    try:
        moving_corners = transform_points(np.linalg.inv(matrix), corners)
    except np.linalg.LinAlgError:
        return float("inf")
    g = _point_jacobian(matrix, moving_corners, basis)  # (4, 2, k)
    var = np.einsum("cik,kl,cil->c", g, cov, g)
    return float(np.sqrt(max(float(np.mean(var)), 0.0)))


def model_doubt(
    model: str,
    matrix: Matrix,
    src: NDArray[np.floating],
    dst: NDArray[np.floating],
    reference_size: tuple[int, int],
) -> float:
    """How far a homography fitted to the same inliers would put the reference corners.

    `corner_sigma` assumes the model is right. A similarity fitted to a tilted view
    matches its inliers (often clustered in the middle) well and is still wrong at the
    edges; this exposes that bias. Zero for a homography or with too few inliers to tell.
    """
    if model == "homography" or len(src) < 8:
        return 0.0
    s = np.asarray(src, np.float32)
    d = np.asarray(dst, np.float32)
    try:
        h, _ = cv2.findHomography(s, d, 0)
    except cv2.error:
        return 0.0
    if h is None or not np.all(np.isfinite(h)) or abs(h[2, 2]) < 1e-12:
        return 0.0
    corners = image_corners(*reference_size)
    try:
        mov = transform_points(np.linalg.inv(matrix), corners)
    except np.linalg.LinAlgError:
        return float("inf")
    diff = transform_points(h / h[2, 2], mov) - transform_points(matrix, mov)
    return float(np.mean(np.linalg.norm(diff, axis=1)))

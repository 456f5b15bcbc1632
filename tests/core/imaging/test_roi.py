"""Regions: polygon masks, carrying a baseline polygon into a follow-up, the default region."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hairtrack.core.imaging.roi import (
    DEFAULT_RADIUS,
    central_ellipse,
    default_roi,
    polygon_to_mask,
    transform_polygon,
)
from hairtrack.core.imaging.synth import (
    VisitState,
    capture_matrix,
    identity_capture,
    make_subject,
    photograph,
    render_scalp,
)

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"


def test_polygon_to_mask_fills_pixel_centres() -> None:
    mask = polygon_to_mask([(10, 20), (50, 20), (50, 60), (10, 60)], (100, 120, 3))
    assert mask.shape == (100, 120) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    assert abs(int(np.count_nonzero(mask)) - 40 * 40) <= 2 * 41  # edges may go either way
    assert mask[40, 30] == 255 and mask[5, 5] == 0


def test_degenerate_polygons_give_empty_masks() -> None:
    assert not polygon_to_mask([(1, 1), (5, 5)], (20, 20)).any()
    assert not polygon_to_mask([(1, 1), (5, np.nan), (9, 1)], (20, 20)).any()


def test_transform_polygon_identity_translation_and_affine() -> None:
    poly = [(0.0, 0.0), (10.0, 0.0), (10.0, 5.0)]
    assert np.allclose(transform_polygon(poly, np.eye(3)), poly)
    shift = np.array([[1, 0, 3], [0, 1, -2], [0, 0, 1]], float)
    assert np.allclose(transform_polygon(poly, shift), [(3, -2), (13, -2), (13, 3)])
    assert np.allclose(transform_polygon(poly, shift[:2]), [(3, -2), (13, -2), (13, 3)])
    with pytest.raises(ValueError):
        transform_polygon(poly, np.eye(4))


def test_homography_round_trip_with_inverse() -> None:
    matrix = capture_matrix((400, 300), (400, 300), angle_deg=9.0, scale=1.1,
                            shift=(12.0, -7.0), tilt=(0.04, -0.03))
    poly = np.array([(50.0, 40.0), (300.0, 60.0), (330.0, 250.0), (70.0, 220.0)])
    there = transform_polygon(poly, matrix)
    back = transform_polygon(there, np.linalg.inv(matrix))
    assert np.allclose(back, poly, atol=1e-9)


def test_region_carried_into_follow_up_matches_warped_mask() -> None:
    """A region drawn on the baseline lands on the same scalp in a follow-up.

    Alignment gives moving (follow-up) -> reference (baseline) pixels; the
    synthetic capture matrix maps baseline -> follow-up, i.e. its inverse.
    """
    size = (400, 300)
    subject = make_subject(3, "light", "dark", canvas_size=size)
    baseline = photograph(render_scalp(subject, VisitState(0.5)), identity_capture(subject))
    to_follow_up = capture_matrix(size, size, angle_deg=-12.0, scale=0.9, shift=(15.0, 8.0),
                                  tilt=(0.03, 0.02))
    alignment = np.linalg.inv(to_follow_up)  # what the aligner would report
    polygon = [(120.0, 80.0), (290.0, 90.0), (300.0, 220.0), (110.0, 210.0)]
    baseline_mask = polygon_to_mask(polygon, baseline.image.shape)
    carried = polygon_to_mask(transform_polygon(polygon, np.linalg.inv(alignment)), size[::-1])
    warped = cv2.warpPerspective(baseline_mask, to_follow_up, size, flags=cv2.INTER_NEAREST)
    union = np.count_nonzero(carried | warped)
    iou = np.count_nonzero(carried & warped) / union
    assert iou >= 0.97


def test_central_ellipse_area() -> None:
    mask = central_ellipse((300, 400))
    r = DEFAULT_RADIUS * 300
    assert np.count_nonzero(mask) == pytest.approx(np.pi * r * r, rel=0.02)
    assert mask[150, 200] == 255 and mask[0, 0] == 0


def test_default_roi_keeps_background_out() -> None:
    """A head (textured disc) on a plain wall, off-centre: the wall stays out."""
    h, w = 300, 400
    subject = make_subject(5, "light", "dark", canvas_size=(w, h))
    head = render_scalp(subject, VisitState(0.6)).image
    image = np.full((h, w, 3), (60, 160, 60), np.uint8)  # green wall
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, (w // 2 + 50, h // 2), 110, 1, -1)
    image[disc > 0] = head[disc > 0]
    roi = default_roi(image) > 0
    assert roi.sum() > 0.5 * np.count_nonzero(central_ellipse((h, w)) & disc)
    assert (roi & (disc == 0)).sum() <= 0.03 * roi.sum()


def test_default_roi_on_real_photos_is_central_and_substantial() -> None:
    for name in ("test-001-top-down.jpg", "test-004-top-down.jpg", "train-002-top-down.jpg"):
        image = cv2.imread(str(PHOTOS / name))
        roi = default_roi(image) > 0
        disc = central_ellipse(image.shape) > 0
        assert not (roi & ~disc).any()
        assert roi.sum() >= 0.5 * disc.sum()

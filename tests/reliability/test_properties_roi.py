"""Properties of regions of interest: polygon <-> mask, and regions carried by a matrix.

Uses the derandomised, database-less Hypothesis profile of tests/reliability/conftest.py.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from hairtrack.core.imaging import roi
from hairtrack.core.imaging.transforms import Matrix, transform_points, warp_to_reference

shapes = st.tuples(st.integers(1, 120), st.integers(1, 120))
anything = st.floats(allow_nan=True, allow_infinity=True, width=64)
wild_polygons = st.lists(st.tuples(anything, anything), max_size=12)
near_points = st.tuples(st.floats(-50, 170), st.floats(-50, 170))


@given(st.one_of(wild_polygons, st.lists(near_points, max_size=12)), shapes)
def test_a_mask_is_always_the_image_size_and_binary(polygon: list[tuple[float, float]],
                                                    shape: tuple[int, int]) -> None:
    """Whatever was drawn (far outside, NaN, 1e300, nothing), the mask fits the image."""
    mask = roi.polygon_to_mask(polygon, shape)
    assert mask.shape == shape and mask.dtype == np.uint8
    assert set(np.unique(mask).tolist()) <= {0, 255}
    if not all(math.isfinite(v) for point in polygon for v in point):
        assert not mask.any()  # a damaged polygon is no region, not a random one


@given(st.lists(near_points, max_size=2), shapes)
def test_fewer_than_three_points_is_an_empty_region(polygon: list[tuple[float, float]],
                                                    shape: tuple[int, int]) -> None:
    assert not roi.polygon_to_mask(polygon, shape).any()


@given(st.lists(st.floats(-50, 170), min_size=3, max_size=8), st.floats(-1, 1), st.floats(-50, 50),
       shapes)
@example(ts=[0.0, 1.0, 29.0], slope=0.0625, offset=0.0, shape=(3, 30))  # found in CI
def test_a_polygon_on_a_line_covers_at_most_a_line_of_pixels(
        ts: list[float], slope: float, offset: float, shape: tuple[int, int]) -> None:
    polygon = [(t, slope * t + offset) for t in ts]
    mask = roi.polygon_to_mask(polygon, shape)
    # a digital line touches at most one extra pixel per column where it crosses a row
    # boundary, and the outline there and back may round differently: a few pixels more
    # than its length, never an area (found: [0, 1, 29] at slope 1/16 fills 32 pixels)
    assert np.count_nonzero(mask) <= (max(ts) - min(ts)) * (1 + abs(slope)) + 3


@given(st.floats(10, 110), st.floats(-1, 1), st.floats(1e8, 1e11))
def test_far_away_vertices_do_not_change_the_region(a: float, b: float, far: float) -> None:
    """A region reaching far outside (e.g. carried by a strong perspective) is cut at the
    image, not wrapped around by fixed-point overflow."""
    def above_line(f: float) -> list[tuple[float, float]]:  # y >= a + b * x, corners at f
        return [(-f, a - b * f), (f, a + b * f), (f, 2 * f), (-f, 2 * f)]

    near = roi.polygon_to_mask(above_line(1e4), (120, 120))
    distant = roi.polygon_to_mask(above_line(far), (120, 120))
    ys, xs = np.mgrid[0:120, 0:120]
    truth = ys >= a + b * xs
    assert np.count_nonzero((distant > 0) != truth) <= 2 * 120  # a band along the line
    assert np.count_nonzero(distant != near) <= 2 * 120


@st.composite
def rectangles(draw: st.DrawFn) -> tuple[int, int, int, int]:
    x0, y0 = draw(st.integers(0, 100)), draw(st.integers(0, 100))
    return x0, y0, draw(st.integers(x0 + 1, 119)), draw(st.integers(y0 + 1, 119))


@given(rectangles())
def test_a_rectangle_through_pixel_centres_fills_exactly_its_pixels(
        rect: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = rect
    mask = roi.polygon_to_mask([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], (120, 120))
    expected = np.zeros((120, 120), np.uint8)
    expected[y0:y1 + 1, x0:x1 + 1] = 255
    np.testing.assert_array_equal(mask, expected)


@st.composite
def convex_polygons(draw: st.DrawFn) -> np.ndarray:
    """A convex polygon inside a 120 x 120 image: the hull of some points."""
    pts = np.array(draw(st.lists(st.tuples(st.floats(2, 117), st.floats(2, 117)),
                                 min_size=3, max_size=10)), np.float32)
    hull = cv2.convexHull(pts).reshape(-1, 2).astype(np.float64)
    assume(len(hull) >= 3 and cv2.contourArea(hull.astype(np.float32)) >= 30)
    return hull


@given(convex_polygons())
def test_mask_area_is_the_polygon_area_within_its_outline(polygon: np.ndarray) -> None:
    mask = roi.polygon_to_mask(polygon, (120, 120))
    area = cv2.contourArea(polygon.astype(np.float32))
    perimeter = cv2.arcLength(polygon.astype(np.float32), closed=True)
    # pixels whose centre is on or just outside the outline count too: a 1-pixel band
    assert area - perimeter <= np.count_nonzero(mask) <= area + perimeter + 4


@given(convex_polygons())
def test_polygon_to_mask_to_polygon_to_mask_is_stable(polygon: np.ndarray) -> None:
    """The outline traced from a mask redraws the same mask (what the editor round-trips)."""
    mask = roi.polygon_to_mask(polygon, (120, 120))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    assume(len(contours) == 1)
    traced = contours[0].reshape(-1, 2).astype(np.float64)
    again = roi.polygon_to_mask(traced, (120, 120))
    np.testing.assert_array_equal(again, mask)


@st.composite
def alignments(draw: st.DrawFn) -> Matrix:
    """Moving -> reference transforms of the size alignment accepts: near the identity."""
    angle = math.radians(draw(st.floats(-20, 20)))
    scale = draw(st.floats(0.85, 1.15))
    tx, ty = draw(st.floats(-10, 10)), draw(st.floats(-10, 10))
    g, h = draw(st.floats(-2e-4, 2e-4)), draw(st.floats(-2e-4, 2e-4))
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    # rotate and scale about the image centre, then shift
    centre = np.array([[1, 0, 60], [0, 1, 60], [0, 0, 1.0]])
    core = np.array([[c, -s, tx], [s, c, ty], [g, h, 1.0]])
    matrix: Matrix = centre @ core @ np.linalg.inv(centre)
    return matrix


@given(convex_polygons(), alignments())
def test_a_region_carried_there_and_back_is_the_same_region(polygon: np.ndarray,
                                                            m: Matrix) -> None:
    there = roi.transform_polygon(polygon, np.linalg.inv(m))
    back = roi.transform_polygon(there, m)
    np.testing.assert_allclose(back, polygon, atol=1e-7)
    np.testing.assert_array_equal(roi.polygon_to_mask(back, (120, 120)),
                                  roi.polygon_to_mask(polygon, (120, 120)))
    np.testing.assert_allclose(there, transform_points(np.linalg.inv(m), polygon), atol=1e-9)


@given(convex_polygons(), alignments())
def test_a_carried_region_matches_the_warped_mask(polygon: np.ndarray, m: Matrix) -> None:
    """Drawing the carried polygon on the follow-up = warping the baseline mask onto it."""
    carried = roi.polygon_to_mask(roi.transform_polygon(polygon, np.linalg.inv(m)), (120, 120))
    baseline = roi.polygon_to_mask(polygon, (120, 120))
    warped, _ = warp_to_reference(baseline, np.linalg.inv(m), (120, 120),
                                  interpolation=cv2.INTER_NEAREST)
    disagree = np.count_nonzero(carried != warped)
    outline = cv2.arcLength(roi.transform_polygon(polygon, np.linalg.inv(m)).astype(np.float32),
                            closed=True)
    assert disagree <= outline + 4  # at most about one pixel along the outline


@given(st.lists(near_points, min_size=1, max_size=8),
       st.lists(st.floats(-5, 5), min_size=9, max_size=9))
def test_transform_polygon_maps_finite_points_or_refuses_clearly(
        polygon: list[tuple[float, float]], values: list[float]) -> None:
    m = np.array(values).reshape(3, 3)
    try:
        out = roi.transform_polygon(polygon, m)
    except ValueError as exc:
        assert "infinity" in str(exc)
        return
    assert out.shape == (len(polygon), 2) and np.all(np.isfinite(out))


def test_transform_polygon_refuses_a_wrong_matrix_shape() -> None:
    with pytest.raises(ValueError, match="3x3 or 2x3"):
        roi.transform_polygon([(0, 0), (1, 0), (0, 1)], np.eye(2))

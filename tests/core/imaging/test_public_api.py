"""The documented script API: `from hairtrack.core.imaging import align, coverage`."""

from __future__ import annotations

from pathlib import Path

import cv2

from hairtrack.core.imaging import Reference, align, coverage

PHOTO = Path(__file__).parents[2] / "data" / "scalp-photos" / "test-006-top-down.jpg"


def test_align_and_coverage_take_cv2_arrays_and_give_the_cli_json() -> None:
    image = cv2.imread(str(PHOTO))
    turned = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    result = align(image, turned)
    assert result.ok
    assert set(result.to_json()) == {"ok", "matrix", "model", "quality", "reason"}
    assert set(result.to_json()["quality"]) == {"score", "inliers", "inlier_ratio",
                                                 "reprojection_rmse_px", "overlap"}
    # a pixel of the turned photo maps back to where it came from
    x, y = 100.0, 200.0  # in `image`; after a counter-clockwise turn it sits at (y, w-1-x)
    moved = result.matrix @ [y, image.shape[1] - 1 - x, 1.0]
    assert abs(moved[0] / moved[2] - x) < 1.0 and abs(moved[1] / moved[2] - y) < 1.0
    measured = coverage(image)
    assert set(measured.to_json()) == {"coverage", "confidence", "roi_pixels", "threshold",
                                       "method", "algorithm_version"}
    assert 0.0 <= measured.coverage <= 1.0 and measured.roi_pixels > 0


def test_a_prepared_baseline_is_part_of_the_api() -> None:
    image = cv2.imread(str(PHOTO))
    turned = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    assert align(Reference.from_image(image), turned).to_json() == align(image, turned).to_json()

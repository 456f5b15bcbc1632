"""Manual alignment from clicked landmark pairs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.typing import NDArray

from hairtrack.core.imaging.landmarks import transform_from_landmarks
from hairtrack.core.imaging.transforms import corner_error, transform_points

REF_SIZE = (2000, 1500)
MOV_SIZE = (1600, 1200)


def _similarity(angle_deg: float, scale: float, tx: float, ty: float) -> NDArray[np.float64]:
    a = np.radians(angle_deg)
    return np.array([[scale * np.cos(a), -scale * np.sin(a), tx],
                     [scale * np.sin(a), scale * np.cos(a), ty], [0.0, 0.0, 1.0]])


def _moving_points(n: int, seed: int = 0) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    return rng.uniform([100, 100], [MOV_SIZE[0] - 100, MOV_SIZE[1] - 100], (n, 2))


def test_three_pairs_recover_a_similarity_exactly() -> None:
    truth = _similarity(35.0, 1.1, 300.0, -50.0)
    mov = _moving_points(3)
    ref = transform_points(truth, mov)
    result = transform_from_landmarks(ref, mov, reference_size=REF_SIZE, moving_size=MOV_SIZE)
    assert result.ok and result.matrix is not None
    assert result.model == "manual"
    assert corner_error(result.matrix, truth, REF_SIZE) < 1e-6
    assert result.quality.inliers == 3
    assert result.quality.inlier_ratio == 1.0
    assert result.quality.reprojection_rmse_px < 1e-6
    assert result.quality.score == pytest.approx(1.0)
    assert 0.0 < result.quality.overlap <= 1.0


def test_auto_keeps_a_similarity_for_noisy_similarity_clicks() -> None:
    truth = _similarity(-20.0, 0.9, 400.0, 200.0)
    mov = _moving_points(8, seed=1)
    rng = np.random.default_rng(2)
    ref = transform_points(truth, mov) + rng.normal(0, 2.0, (8, 2))
    result = transform_from_landmarks(ref, mov, reference_size=REF_SIZE, moving_size=MOV_SIZE)
    assert result.ok and result.matrix is not None
    # A similarity: equal singular values, no perspective row.
    sv = np.linalg.svd(result.matrix[:2, :2], compute_uv=False)
    assert sv[0] / sv[1] == pytest.approx(1.0, abs=1e-9)
    assert np.allclose(result.matrix[2], [0, 0, 1])
    assert corner_error(result.matrix, truth, REF_SIZE) < 3.0
    # rmse is reported at a 1000-px width: 2 px noise on a 2000-px image is about 1 px.
    assert 0.3 < result.quality.reprojection_rmse_px < 2.0


def test_auto_picks_affine_for_a_stretched_photo() -> None:
    truth = np.array([[1.25, 0.05, 100.0], [0.0, 0.95, 80.0], [0.0, 0.0, 1.0]])
    mov = _moving_points(6, seed=3)
    ref = transform_points(truth, mov)
    result = transform_from_landmarks(ref, mov, reference_size=REF_SIZE, moving_size=MOV_SIZE)
    assert result.ok and result.matrix is not None
    assert np.allclose(result.matrix, truth, atol=1e-6)


def test_auto_picks_homography_for_a_tilted_view_with_enough_pairs() -> None:
    truth = np.array([[1.0, 0.1, 50.0], [-0.05, 1.1, 30.0], [1e-4, -8e-5, 1.0]])
    mov = _moving_points(8, seed=4)
    ref = transform_points(truth, mov)
    result = transform_from_landmarks(ref, mov, reference_size=REF_SIZE, moving_size=MOV_SIZE)
    assert result.ok and result.matrix is not None
    assert corner_error(result.matrix, truth, REF_SIZE) < 1e-3


def test_four_pairs_never_pick_an_unverifiable_homography() -> None:
    truth = np.array([[1.0, 0.1, 50.0], [-0.05, 1.1, 30.0], [1e-4, -8e-5, 1.0]])
    mov = _moving_points(4, seed=5)
    result = transform_from_landmarks(transform_points(truth, mov), mov)
    assert result.ok and result.matrix is not None
    assert np.allclose(result.matrix[2], [0, 0, 1])  # similarity or affine, checkable
    forced = transform_from_landmarks(transform_points(truth, mov), mov, model="homography")
    assert forced.ok and forced.matrix is not None
    assert np.allclose(forced.matrix, truth, atol=1e-6)


@pytest.mark.parametrize(
    ("ref", "mov", "words"),
    [
        ([[0, 0], [100, 0]], [[0, 0], [100, 0]], "at least 3"),
        ([[0, 0], [100, 0], [100, 0]], [[0, 0], [100, 0], [50, 80]], "same place"),
        ([[0, 0], [100, 0], [200, 1]], [[0, 0], [100, 10], [50, 80]], "one line"),
        ([[0, 0], [100, 0], [0, 100]], [[0, 0], [100, 0]], "equally long"),
        ([[0, 0], [100, np.nan], [0, 100]], [[0, 0], [100, 0], [0, 100]], "missing"),
        ([[0, 0], [100, 0], [0, 100]], [[0, 0], [0, 100], [100, 0]], "mirror"),
    ],
)
def test_degenerate_clicks_are_refused(ref: list[list[float]], mov: list[list[float]],
                                       words: str) -> None:
    result = transform_from_landmarks(ref, mov)
    assert not result.ok
    assert result.matrix is None
    assert words in (result.reason or "")


def test_a_misclicked_pair_is_refused_and_named() -> None:
    truth = _similarity(10.0, 1.0, 100.0, 100.0)
    mov = _moving_points(6, seed=6)
    ref = transform_points(truth, mov)
    ref[4] += [300.0, -250.0]
    result = transform_from_landmarks(ref, mov, reference_size=REF_SIZE, moving_size=MOV_SIZE)
    assert not result.ok
    assert "pair 5" in (result.reason or "")
    assert result.quality.reprojection_rmse_px > 15.0


def test_unknown_model_and_too_few_pairs_for_a_model() -> None:
    mov = _moving_points(3, seed=7)
    assert not transform_from_landmarks(mov, mov, model="spline").ok
    refused = transform_from_landmarks(mov, mov, model="homography")
    assert not refused.ok and "4" in (refused.reason or "")


def test_json_without_image_sizes_has_no_nan() -> None:
    mov = _moving_points(5, seed=8)
    result = transform_from_landmarks(mov + 5.0, mov)
    assert result.ok
    data = result.to_json()
    assert data["model"] == "manual"
    assert data["quality"]["overlap"] is None
    json.dumps(data, allow_nan=False)

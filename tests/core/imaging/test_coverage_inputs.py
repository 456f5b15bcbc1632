"""The contract of `coverage()`: its result record, its inputs, and what it says to bad ones.

Accuracy is elsewhere (`test_coverage`); here any ordinary scalp will do.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from hairtrack.core.imaging.hair_coverage import (
    ALGORITHM_VERSION,
    CoverageParams,
    CoverageResult,
    choose_work_factor,
    coverage,
)
from hairtrack.core.imaging.synth import SynthScalp, VisitState, make_subject, render_scalp


@cache
def ordinary_scalp() -> SynthScalp:
    """Dark hair on light skin, half the follicles growing: nothing hard about it."""
    subject = make_subject(12, "light", "dark", canvas_size=(640, 480), pattern="diffuse")
    return render_scalp(subject, VisitState(0.5, thickness=1.8, styling_seed=12))


# --- API -----------------------------------------------------------------------------------

def test_result_fields_and_json() -> None:
    s = ordinary_scalp()
    roi = np.zeros(s.image.shape[:2], np.uint8)
    roi[100:400, 100:500] = 1
    result = coverage(s.image, roi)
    assert isinstance(result, CoverageResult)
    assert set(result.to_json()) == {"coverage", "confidence", "roi_pixels", "threshold",
                                     "method", "algorithm_version"}
    assert result.algorithm_version == ALGORITHM_VERSION
    assert result.roi_pixels == 300 * 400
    assert result.hair_mask.shape == s.image.shape[:2] and result.hair_mask.dtype == bool
    assert not result.hair_mask[roi == 0].any()
    assert result.coverage == pytest.approx(result.hair_mask.sum() / result.roi_pixels)
    assert 0.0 <= result.confidence <= 1.0 and not result.roi_automatic
    truth = s.hair_mask[roi > 0].mean()
    assert abs(result.coverage - truth) < 0.03


def test_params_are_recordable() -> None:
    params = CoverageParams()
    record = params.as_dict()
    assert record["work_side"] == params.work_side
    assert record["classify"]["half_way"] == params.classify.half_way


def test_valid_mask_excludes_warp_border() -> None:
    s = ordinary_scalp()
    image = s.image.copy()
    valid = np.ones(image.shape[:2], bool)
    valid[:, :160] = False
    image[~valid] = 0  # the black border an alignment warp leaves
    result = coverage(image, np.full(image.shape[:2], 255, np.uint8), valid=valid)
    assert result.roi_pixels == int(valid.sum())
    assert not result.hair_mask[:, :160].any()
    truth = s.hair_mask[valid].mean()
    assert abs(result.coverage - truth) < 0.03


def test_default_region_when_none_drawn() -> None:
    s = ordinary_scalp()
    result = coverage(s.image)
    assert result.roi_automatic
    assert 0 < result.roi_pixels < s.image.shape[0] * s.image.shape[1]


def test_bad_inputs_are_rejected() -> None:
    s = ordinary_scalp()
    with pytest.raises(ValueError):
        coverage(s.image[:, :, 0])
    with pytest.raises(ValueError):
        coverage(s.image, np.ones((10, 10), np.uint8))
    with pytest.raises(ValueError):
        coverage(s.image, valid=np.ones((10, 10), bool))
    with pytest.raises(ValueError, match="empty"):
        coverage(np.zeros((0, 0, 3), np.uint8))
    with pytest.raises(ValueError, match="work_factor"):
        coverage(s.image, work_factor=0)


def test_a_series_can_fix_the_working_scale() -> None:
    """`choose_work_factor` is the choice `coverage` makes; a given factor is used as given."""
    s = ordinary_scalp()
    big = np.ascontiguousarray(np.tile(s.image, (2, 2, 1)))  # 1280x960: strands still ~2 px
    chosen = choose_work_factor(big)
    assert chosen == coverage(big).work_factor == 1
    forced = coverage(big, work_factor=2)
    assert forced.work_factor == 2
    assert forced.hair_mask.shape == big.shape[:2]


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (1, 4000), (3000, 2)])
def test_slivers_and_thumbnails_give_no_number(shape: tuple[int, int]) -> None:
    """Too few pixels to measure: said in words, not an OpenCV assertion."""
    image = np.random.default_rng(0).integers(0, 255, (*shape, 3), dtype=np.uint8)
    for roi in (None, np.full(shape, 255, np.uint8)):
        result = coverage(image, roi)
        assert np.isnan(result.coverage) and result.note and "too small" in result.note


@pytest.mark.parametrize("level", [0, 128])
def test_a_featureless_image_is_not_taken_for_dense_hair(level: int) -> None:
    """A lens cap or a blank frame: no strands and no scalp, so no number (was 100 %)."""
    result = coverage(np.full((300, 400, 3), level, np.uint8))
    assert np.isnan(result.coverage) and result.note and "no detail" in result.note


def test_empty_region_gives_no_number() -> None:
    s = ordinary_scalp()
    result = coverage(s.image, np.zeros(s.image.shape[:2], np.uint8))
    assert np.isnan(result.coverage) and result.confidence == 0.0 and result.note

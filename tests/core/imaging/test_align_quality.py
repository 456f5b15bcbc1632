"""The structure check part by part: a transform right in one place and wrong in another.

The whole-image check averages over the overlap, so a transform that fits
where the features were matched and drifts towards one corner can pass it;
judged part by part it cannot. Parts whose content changed (hair grown in)
fit nowhere and must not count against an alignment.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from hairtrack.core.imaging.align_quality import Evidence, Structure, judge, structure_agreement
from hairtrack.core.imaging.align_types import AlignParams
from hairtrack.core.imaging.transforms import Geometry

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"
PARAMS = AlignParams()


def _grey(name: str) -> NDArray[np.uint8]:
    image = cv2.imread(str(PHOTOS / name), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return np.asarray(image, np.uint8)


def _corner_pulled(width: int, height: int, pull: float) -> NDArray[np.float64]:
    """Identity at three corners; the fourth moved by `pull` px each way."""
    src = np.float32([[0, 0], [width, 0], [0, height], [width, height]])
    dst = np.float32([[0, 0], [width, 0], [0, height], [width + pull, height + pull]])
    return np.asarray(cv2.getPerspectiveTransform(src, dst), np.float64)


@pytest.mark.parametrize("name", ["test-004-top-down.jpg", "train-013-top-down.jpg",
                                  "train-033-top-down.jpg"])
def test_a_transform_wrong_in_one_corner_fails_only_part_by_part(name: str) -> None:
    photo = _grey(name)
    h, w = photo.shape
    right = structure_agreement(photo, photo, np.eye(3), PARAMS.quality_max_side)
    assert right.weakest_part >= 0.3
    # 20 px at one corner of a 640-px photo (31 px at 1000 px), exact elsewhere.
    drifting = structure_agreement(photo, photo, _corner_pulled(w, h, 20.0),
                                   PARAMS.quality_max_side)
    assert drifting.peak >= PARAMS.min_structure  # the whole-image check passes it ...
    assert drifting.weakest_part < PARAMS.min_part_structure  # ... this one does not


def test_a_part_whose_hair_changed_does_not_count_against_the_alignment() -> None:
    photo = _grey("test-004-top-down.jpg")
    other = cv2.resize(_grey("train-001-top-down.jpg"), (photo.shape[1], photo.shape[0]))
    h, w = photo.shape
    changed = photo.copy()
    changed[h // 2:, w // 2:] = other[h // 2:, w // 2:]
    result = structure_agreement(photo, changed, np.eye(3), PARAMS.quality_max_side)
    assert result.weakest_part >= PARAMS.min_part_structure


def _evidence(weakest_part: float) -> Evidence:
    return Evidence(inliers=80, inlier_ratio=0.5, rmse_px=1.0, overlap=0.9,
                    geometry=Geometry(1.0, 0.0, 1.0, 0.0, True, False),
                    structure=Structure(0.8, 0.7, weakest_part), expected_error_px=float("nan"),
                    feature_spread=0.6)


def test_a_misaligned_part_is_a_refusal_with_its_reason() -> None:
    quality, reason = judge(_evidence(-0.2), PARAMS)
    assert reason is not None and "part of the view does not line up" in reason
    assert quality.score < 0.5
    quality, reason = judge(_evidence(0.5), PARAMS)
    assert reason is None and quality.score > 0.85

"""How far coverage reduces a photo: strands must stay as wide as the method was tuned on."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_channels import factor_for
from hairtrack.core.imaging.coverage_scale import (
    patch_centres,
    ridge_scale,
    strand_scale,
    working_factor,
)
from hairtrack.core.imaging.synth import VisitState, make_subject, render_scalp

#: The bar `CoverageParams.min_strand_scale` sets.
BAR = 0.9


def strands(width: int, dark: bool, side: int = 160, seed: int = 3) -> NDArray[np.float32]:
    """Log brightness of straight strands `width` px wide at random angles."""
    rng = np.random.default_rng(seed)
    image = np.full((side, side), 170 if dark else 60, np.uint8)
    for _ in range(15):
        x0, y0 = rng.integers(0, side, 2)
        angle = rng.uniform(0, np.pi)
        dx, dy = int(300 * np.cos(angle)), int(300 * np.sin(angle))
        cv2.line(image, (int(x0 - dx), int(y0 - dy)), (int(x0 + dx), int(y0 + dy)),
                 60 if dark else 170, width, cv2.LINE_AA)
    noise = rng.normal(0, 2, image.shape)
    return np.log(np.clip(image + noise, 0, 255).astype(np.float32) + 5.0).astype(np.float32)


def scalp_image(size: tuple[int, int], hair: str = "black") -> NDArray[np.uint8]:
    subject = make_subject(12, "light", hair, canvas_size=size, pattern="diffuse")
    return render_scalp(subject, VisitState(0.5, thickness=1.8, styling_seed=12)).image


def test_factor_for_is_the_smallest_whole_factor_that_fits() -> None:
    assert factor_for(640, 800) == 1
    assert factor_for(800, 800) == 1
    assert factor_for(801, 800) == 2
    assert factor_for(4000, 800) == 5
    assert factor_for(4000, 2048) == 2


@pytest.mark.parametrize("dark", [True, False])
def test_ridge_scale_grows_with_strand_width(dark: bool) -> None:
    readings = [ridge_scale(strands(w, dark)) for w in (1, 2, 3, 5)]
    assert readings == sorted(readings), readings
    assert readings[-1] > 2.0 * readings[0], readings


def test_dark_and_light_strands_read_alike() -> None:
    for width in (2, 4):
        dark, light = ridge_scale(strands(width, True)), ridge_scale(strands(width, False))
        assert abs(dark - light) <= 0.15 * max(dark, light), (width, dark, light)


def test_patch_centres_lie_inside_the_region() -> None:
    region = np.zeros((300, 400), bool)
    cv2.circle(region.view(np.uint8), (200, 150), 120, 1, -1)
    centres = patch_centres(region, 3, 3)
    assert len(centres) == 9
    for cy, cx in centres:  # photo pixels, three times the region's grid
        assert region[cy // 3, cx // 3]
    assert patch_centres(np.zeros((50, 50), bool), 2, 3) == []


def test_strand_scale_skips_patches_larger_than_the_photo() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    assert strand_scale(image, [(50, 50)], 2, 128) is None


def test_fine_strands_keep_a_fine_working_copy() -> None:
    """2-px strands on a 1920-px photo: the default 800-px copy would make them sub-pixel."""
    image = scalp_image((1920, 1440))
    region = np.ones((1440 // 3, 1920 // 3), bool)
    assert working_factor(image, region, 3, 1, BAR) == 1


def test_wide_strands_are_reduced_as_before() -> None:
    """The same kind of scalp magnified 3x (a close-up): 6-px strands, the usual reduction."""
    image = cv2.resize(scalp_image((640, 480)), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    region = np.ones((1440 // 3, 1920 // 3), bool)
    assert working_factor(image, region, 3, 1, BAR) == 3


def test_the_choice_stays_between_finest_and_coarsest() -> None:
    image = scalp_image((1920, 1440))
    region = np.ones((1440 // 3, 1920 // 3), bool)
    assert working_factor(image, region, 3, 2, BAR) == 2  # capped: finer is not allowed
    assert working_factor(image, region, 3, 3, BAR) == 3  # nothing to choose
    assert working_factor(image, np.zeros_like(region), 3, 1, BAR) == 3  # nothing to read

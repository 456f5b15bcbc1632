"""The per-pixel skin distance and its fused OpenCV implementation.

The fast path (table lookup, one division, one affine transform) must give the
textbook Mahalanobis distance of the Box-Cox colour ratio; these tests compute
that reference the slow, obvious way with numpy and compare.
"""

from __future__ import annotations

import numpy as np
import pytest

from hairtrack.core.imaging.coverage_channels import OFFSET, masked_blur
from hairtrack.core.imaging.coverage_classify import (
    ClassifyParams,
    robust_covariance,
    skin_distance,
    tone,
    tone_field,
)


def _scene(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    h, w = 60, 80
    skin = np.array([150, 175, 215], np.float64)
    image = skin * (1.0 + 0.04 * rng.standard_normal((h, w, 3)))
    strands = np.zeros((h, w), bool)
    strands[:, 10:14] = strands[:, 40:43] = True
    image[strands] = (35, 38, 45)
    pixels = np.clip(image, 0, 255).astype(np.uint8)
    background = np.broadcast_to(skin + OFFSET, (h, w, 3)).astype(np.float32)
    return pixels, background, ~strands


def test_tone_is_the_power_of_each_value() -> None:
    values = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    toned = tone(values, 0.35)
    assert toned.dtype == np.float32 and toned.shape == values.shape
    expected = (values.astype(np.float64) + OFFSET) ** 0.35
    assert np.allclose(toned, expected, rtol=1e-6)


@pytest.mark.parametrize("power", [0.35, 1.0])
def test_skin_distance_matches_the_textbook_definition(power: float) -> None:
    pixels, background, skin = _scene(3)
    fast = skin_distance(tone(pixels, power), tone_field(background, power), skin, 10**6, power)

    ratio = (pixels.astype(np.float64) + OFFSET) / background.astype(np.float64)
    boxcox = (ratio ** power - 1.0) / power
    mean, cov = robust_covariance(boxcox[skin].astype(np.float32))
    cov = cov.astype(np.float64) + np.eye(3) * 0.01 ** 2
    d = boxcox - mean.astype(np.float64)
    reference = np.sqrt(np.einsum("hwc,cd,hwd->hw", d, np.linalg.inv(cov), d))

    assert np.allclose(fast, reference, rtol=1e-3, atol=1e-3)
    # Strands stand far from scalp, scalp near it: the scene is not degenerate.
    assert np.median(fast[~skin]) > 10 * np.median(fast[skin])


def test_power_must_be_positive() -> None:
    with pytest.raises(ValueError, match="power"):
        ClassifyParams(power=0.0)
    with pytest.raises(ValueError, match="power"):
        ClassifyParams(power=1.5)


def test_masked_blur_treats_channels_independently() -> None:
    rng = np.random.default_rng(5)
    values = rng.uniform(0, 1, (90, 120, 3)).astype(np.float32)
    weight = (rng.uniform(0, 1, (90, 120)) > 0.4).astype(np.float32)
    fallback = np.array([0.2, 0.5, 0.8], np.float32)
    together = masked_blur(values, weight, 9.0, fallback)
    for c in range(3):
        alone = masked_blur(values[:, :, c:c + 1], weight, 9.0, fallback[c:c + 1])
        assert np.allclose(together[:, :, c], alone[:, :, 0], atol=1e-6)
    # Far from any weight the estimate leans on the fallback colour.
    empty = masked_blur(values, np.zeros_like(weight), 9.0, fallback)
    assert np.allclose(empty, fallback, atol=1e-5)

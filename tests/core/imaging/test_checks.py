"""Capture checks, calibrated both ways: real photos pass, degraded copies are flagged."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from hairtrack.core.imaging.checks import MIN_SHARPNESS, capture_checks
from hairtrack.core.imaging.synth import apply_lighting

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"


@cache
def photos() -> tuple[NDArray[np.uint8], ...]:
    return tuple(cv2.imread(str(p)) for p in sorted(PHOTOS.glob("*.jpg")))


def share(flags: list[bool]) -> float:
    return float(np.mean(flags))


def test_real_photos_mostly_pass() -> None:
    results = [capture_checks(image) for image in photos()]
    assert len(results) == 76
    assert share([r.ok for r in results]) >= 0.85
    assert share(["photo is blurred: retake" in r.warnings for r in results]) <= 0.05


def test_blur_is_flagged() -> None:
    blurred = [capture_checks(cv2.GaussianBlur(im, (0, 0), 3.0)) for im in photos()]
    assert share([any("blurred" in w for w in r.warnings) for r in blurred]) >= 0.97
    sharp = capture_checks(photos()[0]).metrics["sharpness"]
    assert sharp >= MIN_SHARPNESS
    assert capture_checks(cv2.GaussianBlur(photos()[0], (0, 0), 3.0)).metrics["sharpness"] < sharp


def test_sharpness_does_not_depend_on_resolution() -> None:
    for image in photos()[:10]:
        big = cv2.resize(image, (2560, 2560), interpolation=cv2.INTER_CUBIC)
        small_s = capture_checks(image).metrics["sharpness"]
        big_s = capture_checks(big).metrics["sharpness"]
        assert big_s == pytest.approx(small_s, rel=0.15)


def test_over_exposure_is_flagged() -> None:
    results = [capture_checks(apply_lighting(im, 1.6), im) for im in photos()]
    assert all("much brighter than baseline" in r.warnings for r in results)
    assert share([any("clipped" in w for w in r.warnings) for r in results]) >= 0.8
    dark = [capture_checks(apply_lighting(im, 0.5), im) for im in photos()[:10]]
    assert all("much darker than baseline" in r.warnings for r in dark)


def test_colour_cast_is_flagged_and_named() -> None:
    warm = [capture_checks(apply_lighting(im, 1.0, 1.0, (0.8, 1.0, 1.25)), im)
            for im in photos()]
    cool = [capture_checks(apply_lighting(im, 1.0, 1.0, (1.25, 1.0, 0.8)), im)
            for im in photos()]
    assert all("colour cast differs from baseline (warmer)" in r.warnings for r in warm)
    assert all("colour cast differs from baseline (cooler)" in r.warnings for r in cool)


def test_small_differences_from_baseline_pass() -> None:
    """A 5 % white-balance drift and 10 % exposure drift are normal between visits.

    (Photos the drift pushes into clipping are already flagged for that, and
    clipped pixels carry no colour to compare, so they are not judged here.)
    """
    judged = 0
    for image in photos():
        drift = apply_lighting(image, 1.1, 1.0, (0.95, 1.0, 1.05))
        warnings = capture_checks(drift, image).warnings
        if any("clipped" in w for w in warnings):
            continue
        judged += 1
        assert not any("baseline" in w for w in warnings), warnings
    assert judged >= 0.6 * len(photos())


def test_same_photo_as_reference() -> None:
    image = photos()[5]
    check = capture_checks(image, image, overlap=0.95)
    assert not any("baseline" in w for w in check.warnings)
    assert check.metrics["brightness_ratio_to_reference"] == pytest.approx(1.0)
    assert check.metrics["cast_delta_warm"] == pytest.approx(0.0)
    assert check.metrics["overlap"] == pytest.approx(0.95)


def test_low_overlap_is_flagged() -> None:
    image = photos()[0]
    assert "aligned photo covers only 40% of the baseline view" in capture_checks(
        image, overlap=0.4).warnings
    assert not any("covers only" in w for w in capture_checks(image, overlap=0.8).warnings)


def test_very_dark_photo_is_flagged() -> None:
    check = capture_checks(apply_lighting(photos()[0], 0.1))
    assert "photo is very dark" in check.warnings


def test_json_record() -> None:
    check = capture_checks(photos()[0], photos()[1], overlap=0.7)
    record = check.to_json()
    assert record["warnings"] == list(check.warnings)
    for key in ("sharpness", "clipped_high", "clipped_low", "mean_luminance",
                "brightness_ratio_to_reference", "cast_delta_warm", "cast_delta_green",
                "overlap"):
        assert isinstance(record[key], float)


def test_rejects_non_images() -> None:
    with pytest.raises(ValueError):
        capture_checks(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="image is empty"):
        capture_checks(np.zeros((0, 0, 3), np.uint8))
    photo = np.full((40, 40, 3), 120, np.uint8)
    with pytest.raises(ValueError, match="reference is empty"):
        capture_checks(photo, np.zeros((0, 5, 3), np.uint8))
    with pytest.raises(ValueError, match="reference must be"):
        capture_checks(photo, np.zeros((40, 40), np.uint8))

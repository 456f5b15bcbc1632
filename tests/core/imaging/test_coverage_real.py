"""Hair coverage on the real photographs, which have only a published hair-loss level.

No exact masks: the checks are ordinal (coverage in a central disc must fall
as the level rises, by Spearman's rho) and about single photos whose kind is
plain to see (a bald crown, a full head of hair).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from hairtrack.core.imaging.hair_coverage import CoverageResult, coverage
from hairtrack.core.imaging.synth import apply_lighting

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"


def spearman(x: NDArray[np.float64] | list[float], y: NDArray[np.float64] | list[float]) -> float:
    """Spearman's rho: Pearson correlation of ranks, ties sharing their mean rank."""
    def ranks(v: NDArray[np.float64]) -> NDArray[np.float64]:
        order = np.argsort(v, kind="mergesort")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=np.float64)
        for value in np.unique(v):
            tied = v == value
            r[tied] = r[tied].mean()
        return r

    rx, ry = ranks(np.asarray(x, np.float64)), ranks(np.asarray(y, np.float64))
    return float(np.corrcoef(rx, ry)[0, 1])


# --- helpers -------------------------------------------------------------------------------

def test_spearman_matches_known_values() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # Ties: ranks (1.5, 1.5, 3, 4) against (1, 2, 3, 4), computed by hand.
    assert spearman([5, 5, 7, 9], [1, 2, 3, 4]) == pytest.approx(0.9486832980505138)


# --- real photographs ------------------------------------------------------------------------

@cache
def real_results() -> tuple[tuple[int, float, float], ...]:
    rows = list(csv.DictReader((PHOTOS / "labels.csv").open()))
    out = []
    for row in rows:
        image = cv2.imread(str(PHOTOS / row["file"]))
        h, w = image.shape[:2]
        disc = np.zeros((h, w), np.uint8)
        cv2.circle(disc, (w // 2, h // 2), round(0.35 * w), 255, -1)
        result = coverage(image, disc)
        out.append((int(row["hair_loss_level"]), result.coverage, result.confidence))
    return tuple(out)


@pytest.mark.slow
def test_real_photos_coverage_falls_with_hair_loss_when_confident() -> None:
    res = np.array(real_results())
    confident = res[res[:, 2] >= 0.4]
    assert len(confident) >= 30  # most photos, every level represented
    assert set(confident[:, 0].astype(int)) == {2, 3, 4, 5, 6, 7}
    rho = spearman(confident[:, 0], confident[:, 1])
    assert rho <= -0.6, rho
    everything = spearman(res[:, 0], res[:, 1])
    assert everything <= -0.2, everything  # at least the right direction on every photo


def _disc_result(name: str) -> CoverageResult:
    return _disc_result_of(cv2.imread(str(PHOTOS / name)))


def _disc_result_of(image: NDArray[np.uint8]) -> CoverageResult:
    h, w = image.shape[:2]
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, (w // 2, h // 2), round(0.35 * w), 255, -1)
    return coverage(image, disc)


def test_real_dense_black_hair_is_at_the_ceiling() -> None:
    """A full head of short black hair (published level 2): no scalp in the central disc."""
    result = _disc_result("valid-036-top-down.jpg")
    assert result.coverage == 1.0 and result.note and "no bare scalp" in result.note


def test_real_bald_crown_is_measured_with_confidence() -> None:
    """Published level 7: a bald crown gets a small number that can be reported."""
    result = _disc_result("train-001-top-down.jpg")
    assert result.coverage <= 0.05 and result.confidence >= 0.5


@pytest.mark.parametrize(("name", "brightness", "gamma", "balance"), [
    ("test-057-top-down.jpg", 1.0, 1.4, (1.0, 1.0, 1.0)),
    ("test-057-top-down.jpg", 1.0, 1.0, (0.9, 1.0, 1.1)),
    ("train-039-top-down.jpg", 1.3, 1.0, (1.0, 1.0, 1.0)),
    ("train-051-top-down.jpg", 1.3, 1.0, (1.0, 1.0, 1.0)),
])
def test_hair_as_rough_as_strands_is_not_read_as_a_bald_crown(
        name: str, brightness: float, gamma: float, balance: tuple[float, float, float]) -> None:
    """Published level 3, plenty of hair in the disc, under a light that made a hair tone "scalp".

    Measured against that tone almost nothing was hair, and because the
    region was no rougher than what was taken as scalp the photo passed as a
    bald crown, with confidence 0.7-1.0 (coverage-2.4: 0.1-1.4 %). What was
    taken as scalp was as rough as a mat of strands (texture 0.034-0.053;
    bare scalp, even a real bald crown, measures under 0.022): not bare.
    """
    image = cv2.imread(str(PHOTOS / name))
    result = _disc_result_of(apply_lighting(image, brightness, gamma, balance))
    assert not (result.note and "no hair strands seen" in result.note)
    assert result.coverage > 0.2 or result.confidence < 0.3


@pytest.mark.parametrize("name", ["train-013-top-down.jpg", "test-001-top-down.jpg"])
def test_dense_brown_hair_measured_against_a_hair_tone_is_at_the_ceiling(name: str) -> None:
    """Published level 2: the colour first taken for scalp is a hair tone (no smoother, not red).

    Measured against it almost nothing is hair; that is an artefact, not
    thin hair, so the result is the ceiling with the dense-hair note.
    test-001's hair tone is as red as brown strands get (CIE a* 9, just
    under `tone_max_redness`); it read 9 % before coverage-2.3.
    """
    result = _disc_result(name)
    assert result.coverage == 1.0 and result.note and "no bare scalp" in result.note


@pytest.mark.xfail(strict=True, reason="known limitation: the scalp colour field follows the "
                   "hair where dense dark hair meets bare skin in the region; measured 42-63 %, "
                   "confidence 1.0, under gamma 0.7-1.4 (coverage-2.5)")
def test_dense_dark_hair_beside_a_bare_forehead_is_mostly_hair() -> None:
    """Published level 3: dense afro-textured hair over about three quarters of the disc.

    The forehead at the disc's edge is the scalp colour (rightly); in the hair
    the colour field is seeded from the lightest glimpses between strands and
    is pulled down to the hair's own tone, so half the hair reads as scalp.
    """
    result = _disc_result("train-037-top-down.jpg")
    assert result.coverage >= 0.65 or result.confidence < 0.3


def test_dense_grey_hair_is_not_taken_for_a_bald_scalp() -> None:
    """Published level 2, dense grey hair: smooth at this size, but not as red as scalp."""
    result = _disc_result("train-033-top-down.jpg")
    assert not (result.note and "no hair strands seen" in result.note)
    assert result.confidence < 0.3 or result.coverage > 0.5


@pytest.mark.slow
def test_real_photos_coverage_falls_with_hair_loss_all_photos() -> None:
    """Every photo counts, reported or not: dense hair must not come out as bald."""
    res = np.array(real_results())
    assert spearman(res[:, 0], res[:, 1]) <= -0.6

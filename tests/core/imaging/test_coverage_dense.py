"""Coverage where hair is dense: scalp glimpsed between strands, or not in view at all.

Dense hair is where a hair tone can win the vote for scalp; these tests
hold the checks that catch it (see docs/architecture.md, "Dense hair"),
and the bald scalps under a colour cast those checks must not catch.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from hairtrack.core.imaging.hair_coverage import coverage
from hairtrack.core.imaging.synth import (
    SynthScalp,
    VisitState,
    apply_lighting,
    make_subject,
    render_scalp,
)

CANVAS = (640, 480)


def full(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The whole frame as the region."""
    return np.full(image.shape[:2], 255, np.uint8)


def dense(skin: str, hair: str, seed: int = 21) -> SynthScalp:
    subject = make_subject(seed, skin, hair, canvas_size=CANVAS, pattern="none")
    return render_scalp(subject, VisitState(1.0, thickness=2.2, length=120, styling_seed=seed))


def test_dense_hair_with_no_scalp_in_view_is_at_the_ceiling() -> None:
    """Dense black hair fills the frame: no colour there is scalp, so none is measured as one."""
    s = dense("dark", "black")
    assert s.coverage > 0.9
    result = coverage(s.image, full(s.image))
    assert result.coverage == 1.0
    assert result.note is not None and "no bare scalp" in result.note
    assert result.confidence < 0.3  # a statement about the view, not a measurement


def test_dense_black_hair_glimpsing_its_scalp_is_not_reported_as_thin() -> None:
    """Sheen on dense black strands can pass for a scalp colour seen in ~5 % of the frame.

    Carried over the region, that colour calls far more of it scalp than it
    was seen in (about 15 times): whatever the number, it is not evidence.
    """
    s = dense("light", "black")
    result = coverage(s.image, full(s.image))
    assert result.coverage == 1.0 or result.confidence < 0.3
    if result.coverage < 0.9:
        assert result.note is not None and "measured as scalp" in result.note


def test_a_mat_of_dense_hair_is_not_trusted_as_smooth_scalp() -> None:
    """Medium skin glimpsed between dense black strands: the right scalp colour, a rough one.

    The scalp is seen only in gaps, so it is rougher than the flat mat of
    hair around it; trusting the mat's smoothness as scalp's (as on a bald
    crown) read 36 % for 94 % hair before coverage-2.3.
    """
    s = dense("medium", "black")
    result = coverage(s.image, full(s.image))
    assert abs(result.coverage - s.coverage) <= 0.1


@pytest.mark.parametrize(("skin", "seed", "density"), [("medium", 22, 0.8), ("light", 21, 0.8),
                                                       ("light", 21, 1.0)])
def test_dense_black_hair_is_not_read_as_bare_scalp(skin: str, seed: int, density: float) -> None:
    """Scalp glimpsed in 5-8 % of the frame, taken as the scalp colour: almost nothing is hair.

    Beside those rough glimpses the mat of strands looks smooth, as a bald
    crown would; that read 0-1 % for 90-94 % hair with the "no hair strands
    seen" verdict, once (medium skin) with full confidence (coverage-2.3).
    """
    subject = make_subject(seed, skin, "black", canvas_size=CANVAS, pattern="none")
    s = render_scalp(subject, VisitState(density, thickness=2.2, length=120, styling_seed=seed))
    assert s.coverage > 0.9
    result = coverage(s.image, full(s.image))
    assert result.note is None or "no hair strands seen" not in result.note
    assert result.coverage == 1.0 or abs(result.coverage - s.coverage) <= 0.1


@pytest.mark.parametrize(("skin", "balance"), [("light", (1.0, 1.0, 1.0)),
                                                ("medium", (1.0, 1.0, 1.0)),
                                                ("light", (1.1, 1.0, 0.9))])
def test_dense_grey_hair_glimpsing_its_scalp_is_at_the_ceiling(
        skin: str, balance: tuple[float, float, float]) -> None:
    """Skin colour only in the gaps between dense grey strands: too thin to be a candidate.

    Every candidate is then a grey tone, and measured against the lightest
    the darker strands made a confident 25 % (before coverage-2.3). A cool
    cast leaves the glimpsed skin no longer skin-coloured, but still warmer
    than every grey tone.
    """
    s = dense(skin, "grey", seed=22)
    assert s.coverage > 0.9
    result = coverage(apply_lighting(s.image, 1.0, 1.0, balance), full(s.image))
    assert result.coverage == 1.0
    assert result.note is not None and "no bare scalp" in result.note


@pytest.mark.parametrize("skin", ["light", "medium"])
def test_dense_black_hair_under_a_cool_cast_is_at_the_ceiling(skin: str) -> None:
    """The cast takes the scalp's redness; the dark strand cores then win the scalp vote.

    They are a little smoother than the rest (texture ratio 1.35), and
    measured against them 6-7 % was hair, reported with confidence before
    coverage-2.3.
    """
    s = dense(skin, "black")
    result = coverage(apply_lighting(s.image, 1.0, 1.0, (1.1, 1.0, 0.9)), full(s.image))
    assert result.coverage == 1.0
    assert result.note is not None and "no bare scalp" in result.note


def test_a_thinning_crown_under_a_yellow_cast_is_not_taken_for_dense_hair() -> None:
    """The cast takes the scalp's redness, and brown strand edges pass for skin colour.

    Skin colour is then "seen" only in a thin cluster, as in dense grey
    hair, but the bare crown is the smoothest class by far: it is measured.
    """
    subject = make_subject(101, "light", "brown", canvas_size=CANVAS, pattern="vertex")
    s = render_scalp(subject, VisitState(0.3, styling_seed=101))
    result = coverage(apply_lighting(s.image, 1.1, 1.0, (0.7, 1.05, 0.95)), full(s.image))
    assert abs(result.coverage - s.coverage) <= 0.05


@pytest.mark.parametrize(("skin", "hair"), [("light", "dark"), ("light", "brown")])
def test_dense_hair_measured_against_a_hair_tone_is_at_the_ceiling(skin: str, hair: str) -> None:
    """The colour taken as scalp is a hair tone: as thin as strands (no interior), a* 4-9.

    Measured against it under 15 % was hair (9 % and 8 % before
    coverage-2.3); that is hair against hair, so the ceiling is reported.
    """
    s = dense(skin, hair)
    result = coverage(s.image, full(s.image))
    assert result.coverage == 1.0
    assert result.note is not None and "no bare scalp" in result.note


@pytest.mark.parametrize("skin", ["light", "dark"])
@pytest.mark.parametrize("balance", [(1.1, 1.0, 0.9), (0.9, 1.0, 1.1)])
def test_a_bald_scalp_under_a_colour_cast_is_not_taken_for_dense_hair(
        skin: str, balance: tuple[float, float, float]) -> None:
    """A cool cast leaves bare scalp neither red nor rough-looking: not a hair tone."""
    subject = make_subject(35, skin, "grey", canvas_size=CANVAS, pattern="vertex")
    bald = render_scalp(subject, VisitState(0.0))
    result = coverage(apply_lighting(bald.image, 1.0, 1.0, balance), full(bald.image))
    assert result.coverage <= 0.05

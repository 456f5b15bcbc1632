"""The confidence rules on their own, with numbers chosen by hand."""

from __future__ import annotations

import pytest

from hairtrack.core.imaging.coverage_confidence import Spread, confidence_of
from hairtrack.core.imaging.hair_coverage import CoverageParams

P = CoverageParams()
STEADY = Spread(cut=0.0, pick=0.0)


def conf(core: float = 20.0, margin: float = 5.0, scalp_share: float = 0.5,
         clipped: float = 0.0, dropped: bool = False, spread: Spread = STEADY,
         bald: bool = False, value: float = 0.5) -> tuple[float, str | None]:
    return confidence_of(core, margin, scalp_share, clipped, dropped, spread, P, bald,
                         value=value)


def test_clear_separation_is_full_confidence() -> None:
    assert conf() == (1.0, None)


def test_a_number_that_moves_with_the_scalp_colour_is_not_trusted() -> None:
    value, note = conf(spread=Spread(cut=0.0, pick=P.pick_spread_max))
    assert value == 0.0
    assert note is not None and "another colour as scalp" in note


def test_the_cut_between_scalp_and_strand_has_its_own_tolerance() -> None:
    halfway = 0.5 * (P.cut_spread_ok + P.cut_spread_max)
    value, note = conf(spread=Spread(cut=halfway, pick=0.0))
    assert value == pytest.approx(0.5, abs=0.01)
    assert note is not None and "half hair, half scalp" in note


def test_low_contrast_withholds_the_number_unless_no_strands_are_in_view() -> None:
    assert conf(core=5.0, margin=0.2)[0] == 0.0
    value, note = conf(core=5.0, margin=0.2, bald=True)
    assert value == 1.0
    assert note is not None and "no hair strands seen" in note


def test_a_channel_left_out_widens_the_bars_and_says_so() -> None:
    value, note = conf(dropped=True)
    assert value == P.dropped_channel_confidence
    assert note is not None and "clipped" in note


def test_scalp_measured_far_beyond_where_its_colour_was_seen_is_not_trusted() -> None:
    """A scalp cluster of 4 % standing for 64 % scalp (16 times its area): sheen on hair."""
    value, note = conf(scalp_share=0.04, value=0.36)
    assert value == 0.0
    assert note is not None and "measured as scalp" in note


def test_a_little_scalp_standing_for_a_little_more_is_fine() -> None:
    """4 % of scalp colour, 10 % scalp measured: thin gaps between dense strands."""
    value, note = conf(scalp_share=0.04, value=0.9)
    assert value == pytest.approx(0.3 + 0.7 * 0.04 / 0.08)  # only "little scalp in view"
    assert note is None or "measured as scalp" not in note


def test_a_bald_scalp_in_several_shades_is_not_affected() -> None:
    """Each shade of a bald crown holds well over 8 % of the region."""
    assert conf(scalp_share=0.15, value=0.01)[0] == 1.0

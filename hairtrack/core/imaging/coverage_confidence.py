"""How far a coverage number can be trusted, and why not, in words.

Two kinds of evidence: how well hair and scalp separate at all (contrast of
the strand cores, a clear vote on which colour is scalp, scalp in view and
measured where its colour was seen, no lost colour), and how much the number
moves under the method's own uncertain choices (`spread_of`). A bald scalp
is a special case: with no strands in view, contrast and the vote between
shades of one scalp say nothing about the number (`looks_bald`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_classify import Classified
from hairtrack.core.imaging.coverage_clusters import Clusters
from hairtrack.core.imaging.coverage_model import SkinModel

if TYPE_CHECKING:
    from hairtrack.core.imaging.hair_coverage import CoverageParams


@dataclass(frozen=True)
class Spread:
    """How far the number moves under the method's own uncertain choices (fractions)."""

    cut: float  # half the change from moving the cut between scalp and strand
    pick: float  # the change from counting the runner-up as scalp too, weighted by its chance


def spread_of(result: Classified, use: NDArray[np.bool_], model: SkinModel, clusters: Clusters,
            p: CoverageParams, alt_share: float | None) -> Spread:
    """How far the number moves under the method's own uncertain choices.

    Two choices are uncertain: where between scalp and strand the cut lies
    (tried at half-way +- `half_way_step`), and which colours are scalp when
    the runner-up candidate scored nearly as well. That one is refitted with
    the runner-up counted as scalp too: a second shade of the same scalp (a
    bald crown in sheen and in shadow) leaves the number alone; a hair colour
    taken for scalp, or the scalp the best candidate missed, moves it. Its
    effect is weighted by how close the vote was.
    """
    n = max(1, int(np.count_nonzero(use)))
    hw, step = p.classify.half_way, p.half_way_step
    lo = int(np.count_nonzero(result.hair_at(use, hw - step)))
    hi = int(np.count_nonzero(result.hair_at(use, hw + step)))
    cut = 0.5 * (lo - hi) / n
    pick = 0.0
    if alt_share is not None:
        weight = math.exp(-clusters.margin / p.alt_margin_scale)
        pick = weight * abs(alt_share - model.hair_share)
    return Spread(cut, pick)


def looks_bald(value: float, clusters: Clusters, scalp_texture: float, region_texture: float,
               scalp_share: float, p: CoverageParams) -> bool:
    """Little hair found, in a region as smooth as bare scalp, of a skin colour.

    Then there are no strands whose contrast or colour could be in doubt: the
    faint specks the threshold let through are all the number holds, so low
    contrast and a close vote between shades of scalp say nothing about it.
    Hair too close to scalp in colour to be seen still roughens the region
    (strand edges), and dense grey or fair hair is not as red as skin
    (`bald_min_redness`: real scalps measure a* 10-20), so neither passes.
    Nor does dense dark hair whose scalp is only glimpsed in its gaps: taken
    as scalp, those glimpses make the mat of strands look smooth beside them,
    but they are rougher than the rest and a small share of the region
    (dense black hair: 5-8 %, texture ratio 0.45-0.57; real bald crowns
    under a cool or dim light, as rough: 13-18 %). Nor does a head whose
    scalp, as taken, is itself as rough as a mat of strands (the dense-hair
    check's own bar, `tone_min_texture`: bare scalp, real bald crowns under
    every test light included, measures under 0.022; the hair tones a light
    made the best candidate on real level-3 heads, 0.034-0.053).
    `scalp_texture` is the median texture inside what was taken as scalp,
    `region_texture` that of the whole region, `scalp_share` the region's
    share in the scalp cluster.
    """
    if value > p.bald_max_coverage or not clusters.candidates:
        return False
    if clusters.candidates[0].lab[1] < p.bald_min_redness:
        return False  # grey or blond hair, or a strong colour cast: not clearly skin
    # Rougher than the rest as in a mat of hair (`coverage_model._smooth`), and little of it.
    if (clusters.candidates[0].texture_ratio < p.model.mat_texture_ratio
            and scalp_share < p.bald_min_share):
        return False  # skin glimpsed between dense strands
    if not 0 < scalp_texture < p.tone_min_texture:
        return False  # what was taken as scalp is as rough as a mat of strands: not bare
    return region_texture <= p.bald_texture_ratio * scalp_texture


def confidence_of(core: float, margin: float, scalp_share: float, clipped: float,
                dropped: bool, spread: Spread, p: CoverageParams,
                bald: bool = False, *, value: float) -> tuple[float, str | None]:
    """How far the number can be trusted, and why not, in words.

    Contrast: strand cores must stand well clear of the scalp's own colour
    spread (core distance in scalp-spread units). Polarity: the scalp cluster
    must win its vote clearly. Visible scalp: with almost none in view the
    scalp colour is a guess. Stability: the number must not move much under
    the method's own uncertain choices (`_spread`).
    """
    notes: list[str] = []
    if bald:
        notes.append("no hair strands seen: bare scalp with at most fine, faint hair")
        contrast = polarity = 1.0
    else:
        contrast = float(np.clip((core - 6.0) / (14.0 - 6.0), 0.0, 1.0))
        if core < 8.0:
            notes.append("hair and scalp colours are too similar to separate reliably")
        polarity = float(np.clip(margin / 2.0, 0.0, 1.0))
        if margin < 1.0:
            notes.append("unclear which colour is scalp and which is hair")
    visible = float(np.clip(scalp_share / 0.08, 0.0, 1.0))
    if scalp_share < 0.04:
        notes.append("very little bare scalp in view; coverage is near its limit")
    seen = _scalp_seen(scalp_share, value, p)
    if seen < 1.0:
        notes.append(f"scalp colour seen in {scalp_share:.0%} of the region, but "
                     f"{1.0 - value:.0%} measured as scalp")
    lit = float(np.clip(1.0 - (clipped - 0.05) / 0.25, 0.0, 1.0))
    if clipped > 0.1:
        notes.append(f"{clipped:.0%} of the region is clipped highlight")
    if dropped:
        # Two channels see less than three: leaving red out moved the number by up to
        # 2 points in the tests (an over-exposed photo of medium skin), so widen its bars.
        lit = min(lit, p.dropped_channel_confidence)
        notes.append("one colour channel is clipped (over-exposed); measured from the other two")
    pick = float(np.clip((p.pick_spread_max - spread.pick)
                         / (p.pick_spread_max - p.pick_spread_ok), 0.0, 1.0))
    cut = float(np.clip((p.cut_spread_max - spread.cut)
                        / (p.cut_spread_max - p.cut_spread_ok), 0.0, 1.0))
    if spread.pick > p.pick_spread_ok:
        notes.append(f"counting another colour as scalp moves the number by about "
                     f"{100 * spread.pick:.0f} points")
    if spread.cut > p.cut_spread_ok:
        notes.append(f"many pixels are half hair, half scalp: the cut between them moves "
                     f"the number by about {100 * spread.cut:.0f} points")
    conf = min(contrast, 0.3 + 0.7 * polarity, 0.3 + 0.7 * visible, lit, pick, cut, seen)
    return round(conf, 3), ("; ".join(notes) if notes else None)


def _scalp_seen(scalp_share: float, value: float, p: CoverageParams) -> float:
    """Is the scalp measured where the scalp colour was seen? 1 yes, 0 far from it.

    The scalp colour field is fitted where the scalp cluster is, then carried
    over the region. When that cluster holds only a few percent of the region
    but most of the region comes out as scalp, the field was carried far from
    its evidence: in dense black or grey hair the "scalp" is sheen on strands,
    and the number is many times the scalp actually seen. (A bald scalp split
    into shades has each shade in well over `seen_share_max` of the region.)
    """
    if scalp_share >= p.seen_share_max or not scalp_share > 0:
        return 1.0
    ratio = (1.0 - value) / scalp_share
    return float(np.clip((p.seen_ratio_max - ratio) / (p.seen_ratio_max - p.seen_ratio_ok),
                         0.0, 1.0))

"""How the coverage tables score a reading: one definition for every table that has a truth.

A reading is one photo measured as taken and under each of the six lighting
changes (`LIGHTING`). It is scored against the true hair share: exact masks for
the synthetic scalps, a labeller's masks for real photos (`coverage_labelled`).
*Confident* is confidence >= 0.3, the bar above which a progress series reports a
number. *Wrong* is a result more than 3 points from the truth, counted over all
seven results. *Moved* is a lighting pair whose two results are both confident and
differ by more than 1.5 points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from _common import LIGHTING, Image

from hairtrack.core.imaging.hair_coverage import CoverageParams, coverage
from hairtrack.core.imaging.synth import apply_lighting

REPORTED = 0.3  # confidence from which a progress series reports a number
WRONG = 0.03  # further from the truth than this: wrong
MOVED = 0.015  # a lighting pair further apart than this: moved


@dataclass(frozen=True)
class Reading:
    name: str
    truth: float  # true hair share of the region, 0-1
    estimate: float  # as taken
    confidence: float
    lit: tuple[tuple[float, float], ...]  # (estimate, confidence) under each of LIGHTING

    @property
    def error(self) -> float:
        return self.estimate - self.truth

    def results(self) -> list[tuple[float, float]]:
        """(estimate, confidence) as taken and under each lighting change."""
        return [(self.estimate, self.confidence), *self.lit]

    def moves(self) -> list[tuple[float, bool]]:
        """Each lighting change's move from the photo as taken, and whether both are confident."""
        return [(value - self.estimate, min(conf, self.confidence) >= REPORTED)
                for value, conf in self.lit]


def measure(name: str, image: Image, roi: Image, truth: float,
            params: CoverageParams | None = None) -> Reading:
    base = coverage(image, roi, params=params)
    lit = []
    for brightness, gamma, balance in LIGHTING.values():
        r = coverage(apply_lighting(image, brightness, gamma, balance), roi, params=params)
        lit.append((r.coverage, r.confidence))
    return Reading(name, truth, base.coverage, base.confidence, tuple(lit))


@dataclass(frozen=True)
class Score:
    readings: int
    mae: float  # points, photos as taken (NaN results left out)
    results: int  # as taken and relit
    confident: int
    confident_wrong: int
    confident_pairs: int
    moved: int


def score(readings: list[Reading]) -> Score:
    errors = [100.0 * abs(r.error) for r in readings if not math.isnan(r.estimate)]
    results = [(value, conf, r.truth) for r in readings for value, conf in r.results()]
    confident = [(value, truth) for value, conf, truth in results if conf >= REPORTED]
    moves = [(move, both) for r in readings for move, both in r.moves()]
    return Score(
        readings=len(readings),
        mae=float(np.mean(errors)) if errors else math.nan,
        results=len(results),
        confident=len(confident),
        confident_wrong=sum(abs(value - truth) > WRONG for value, truth in confident),
        confident_pairs=sum(both for _, both in moves),
        moved=sum(both and abs(move) > MOVED for move, both in moves),
    )

"""Clean-up of the hair mask: clipped highlights take the class of their neighbourhood;
specks, blobs and faint short pieces are not strands."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging.coverage_cleanup import assign_clipped, drop_specks
from hairtrack.core.imaging.hair_coverage import CoverageParams

SHAPE = (300, 400)


def _spot(y: int, x: int, radius: int = 2) -> NDArray[np.bool_]:
    yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    return np.asarray((yy - y) ** 2 + (xx - x) ** 2 <= radius ** 2)


def test_shine_on_a_strand_is_hair_and_glare_on_scalp_is_not() -> None:
    hair = np.zeros(SHAPE, bool)
    hair[:, 100:130] = True  # a wide strand
    shine, glare = _spot(150, 115), _spot(150, 300)
    use = ~(shine | glare)  # clipped pixels are not measured
    out = assign_clipped(hair & use, use, shine | glare)
    assert out[shine].all()
    assert not out[glare].any()
    assert np.array_equal(out & ~(shine | glare), hair & use)  # nothing else moves


def test_a_highlight_with_nothing_measured_near_takes_the_wider_neighbourhood() -> None:
    """A clipped patch wider than the near window: its middle is read from further out."""
    hair = np.ones(SHAPE, bool)
    blown = np.zeros(SHAPE, bool)
    blown[130:170, 180:220] = True  # over-exposed, in the middle of dense hair
    use = ~blown
    out = assign_clipped(hair & use, use, blown)
    assert out[blown].all()


def test_highlights_at_the_photo_edge_and_far_apart() -> None:
    """The box read round the highlights reaches the photo's edges and spans both spots."""
    hair = np.zeros(SHAPE, bool)
    hair[:40, :] = True
    corner, far = _spot(0, 0, 3), _spot(299, 399, 3)
    use = ~(corner | far)
    out = assign_clipped(hair & use, use, corner | far)
    assert out[corner].all() and not out[far].any()


def test_no_highlight_changes_nothing() -> None:
    hair = np.random.default_rng(0).random(SHAPE) > 0.5
    out = assign_clipped(hair, np.ones(SHAPE, bool), np.zeros(SHAPE, bool))
    assert np.array_equal(out, hair)


def test_specks_blobs_and_faint_short_pieces_go_strands_stay() -> None:
    """What `drop_specks` keeps is decided per piece: size, shape and its mean strength."""
    p = CoverageParams()
    hair = np.zeros((60, 120), bool)
    distance = np.zeros(hair.shape, np.float32)
    core = 10.0
    pieces = {  # name: (rows, cols, strength, kept)
        "speck": ((5, 6), (5, 6), 20.0, False),
        "blob": ((10, 18), (10, 18), 20.0, False),
        "faint short strand": ((30, 31), (5, 25), 4.0, False),
        "strong short strand": ((40, 41), (5, 25), 12.0, True),
        "faint long strand": ((50, 51), (5, 115), 4.0, True),
    }
    for (r0, r1), (c0, c1), strength, _ in pieces.values():
        hair[r0:r1, c0:c1] = True
        distance[r0:r1, c0:c1] = strength
    kept = drop_specks(hair, distance, core, p)
    for name, ((r0, r1), (c0, c1), _, expected) in pieces.items():
        assert bool(kept[r0:r1, c0:c1].all()) is expected, name
        assert kept[r0:r1, c0:c1].all() or not kept[r0:r1, c0:c1].any(), name
    assert not (kept & ~hair).any()

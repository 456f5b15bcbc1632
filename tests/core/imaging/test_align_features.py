"""Feature matching: the nearest-neighbour search, Lowe's ratio test and the one-to-one filter.

The SIFT search is a matrix product rather than OpenCV's brute-force matcher,
so it is checked against that matcher; the filters are checked on hand-made
descriptors whose right answer is known.
"""

from __future__ import annotations

import cv2
import numpy as np

from hairtrack.core.imaging.align_features import Features, match, nearest_two_l2


def _sift_like(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.round(np.minimum(rng.gamma(1.0, 20.0, (n, 128)), 255)).astype(np.float32)


def test_the_sift_search_finds_what_the_brute_force_matcher_finds() -> None:
    rng = np.random.default_rng(3)
    train = _sift_like(rng, 700)
    # More queries than one block, half of them noisy copies of train rows (real matches).
    query = _sift_like(rng, 2500)
    query[:700] = train + rng.normal(0.0, 4.0, train.shape).astype(np.float32)
    found = nearest_two_l2(query, train)
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(query, train, k=2)
    assert [q for q, *_ in found] == list(range(len(query)))
    assert [t for _, t, _, _ in found] == [p[0].trainIdx for p in pairs]
    first = np.array([f for _, _, f, _ in found])
    second = np.array([s for _, _, _, s in found])
    np.testing.assert_allclose(first, [p[0].distance for p in pairs], rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(second, [p[1].distance for p in pairs], rtol=1e-4, atol=1e-2)


def _features(desc: list[list[float]]) -> Features:
    d = np.zeros((len(desc), 128), np.float32)
    d[:, :len(desc[0])] = desc
    points = np.array([[10.0 * i, 5.0 * i] for i in range(len(desc))], np.float32)
    return Features(points, d, "sift")


def test_ambiguous_and_repeated_matches_are_dropped() -> None:
    reference = _features([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0], [0.0, 104.0]])
    moving = _features([
        [1.0, 0.0],    # clearly reference 0
        [98.0, 0.0],   # clearly reference 1 ...
        [97.0, 0.0],   # ... and so is this, less closely: only the closer one is kept
        [0.0, 102.0],  # half-way between references 2 and 3: fails the ratio test
    ])
    src, dst = match(moving, reference, ratio=0.8)
    kept = {(tuple(s), tuple(d)) for s, d in zip(src.tolist(), dst.tolist(), strict=True)}
    assert kept == {((0.0, 0.0), (0.0, 0.0)), ((10.0, 5.0), (10.0, 5.0))}

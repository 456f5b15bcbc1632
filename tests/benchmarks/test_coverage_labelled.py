"""The labelled-photo evaluation (benchmarks/coverage_labelled.py) on a folder made here.

Synthetic scalps stand in for labelled photos: their exact masks are written
as the labeller's, so every number the evaluation prints can be checked
against what the generator and `coverage` say directly. Unusable photos are
reported by name and the rest are still measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from hairtrack.core.imaging.hair_coverage import coverage
from hairtrack.core.imaging.synth import SynthScalp, VisitState, make_subject, render_scalp

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:  # benchmarks/ is scripts, not a package
    sys.path.insert(0, str(BENCHMARKS))

import coverage_labelled as cl  # noqa: E402
from coverage_scoring import Reading, score  # noqa: E402


def scalp(seed: int, skin: str, hair: str) -> SynthScalp:
    subject = make_subject(seed, skin, hair, canvas_size=(320, 240), pattern="vertex")
    return render_scalp(subject, VisitState(0.4, styling_seed=seed))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("labelled")
    for name, s in (("a", scalp(11, "light", "black")), ("b", scalp(12, "medium", "grey"))):
        cv2.imwrite(str(root / f"{name}.png"), s.image)
        cv2.imwrite(str(root / f"{name}.hair.png"), s.hair_mask.astype(np.uint8) * 255)
    roi = np.zeros((240, 320), np.uint8)
    roi[40:200, 60:260] = 255
    cv2.imwrite(str(root / "a.roi.png"), roi)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a photo")
    cv2.imwrite(str(root / "broken.hair.png"), np.zeros((8, 8), np.uint8))
    cv2.imwrite(str(root / "unlabelled.png"), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(root / "resized.png"), np.zeros((100, 100, 3), np.uint8))
    cv2.imwrite(str(root / "resized.hair.png"), np.zeros((50, 100), np.uint8))
    cv2.imwrite(str(root / "empty.png"), np.zeros((100, 100, 3), np.uint8))
    cv2.imwrite(str(root / "empty.hair.png"), np.zeros((100, 100), np.uint8))
    cv2.imwrite(str(root / "empty.roi.png"), np.zeros((100, 100), np.uint8))
    return root


def test_unusable_photos_are_named_with_the_reason(folder: Path) -> None:
    photos, problems = cl.find_labelled(folder)
    assert [p.name for p in photos] == ["a.png", "b.png"]
    assert len(problems) == 4
    text = "\n".join(problems)
    assert "broken.jpg: " in text
    assert "unlabelled.png: no hair mask (unlabelled.hair.png)" in text
    assert "resized.png: resized.hair.png: 100x50 px, but the photo is 100x100" in text
    assert "empty.png: the region (empty.roi.png) is empty" in text


def test_readings_match_the_masks_and_coverage(folder: Path) -> None:
    photos, _ = cl.find_labelled(folder)
    readings = {r.name: r for r in (cl.evaluate(p) for p in photos)}
    a, b = scalp(11, "light", "black"), scalp(12, "medium", "grey")
    region = np.zeros((240, 320), bool)
    region[40:200, 60:260] = True
    assert readings["a.png"].truth == pytest.approx(a.coverage_in(region))
    assert readings["b.png"].truth == pytest.approx(b.coverage)
    assert readings["a.png"].truth != pytest.approx(a.coverage)  # the region was used
    direct = coverage(b.image, np.full((240, 320), 255, np.uint8))
    assert readings["b.png"].estimate == direct.coverage
    assert readings["b.png"].confidence == direct.confidence
    assert len(readings["b.png"].lit) == len(cl.LIGHTING)
    assert readings["b.png"].results()[0] == (direct.coverage, direct.confidence)


def test_scores_count_every_result_as_the_synthetic_table_does() -> None:
    right = Reading("right", 0.40, 0.41, 0.9, ((0.41, 0.9), (0.427, 0.8), (0.40, 0.1)))
    wrong = Reading("wrong", 0.40, 0.50, 0.8, ((0.50, 0.8), (0.50, 0.8), (0.50, 0.8)))
    unsure = Reading("unsure", 0.40, 0.20, 0.1, ((0.50, 0.1), (0.20, 0.9), (0.20, 0.1)))
    blank = Reading("blank", 0.40, float("nan"), 0.0, ())
    s = score([right, wrong, unsure, blank])
    assert s.readings == 4 and s.results == 13
    assert s.mae == pytest.approx((1 + 10 + 20) / 3)  # as taken; the blank one left out
    assert s.confident == 8  # relit results count too
    assert s.confident_wrong == 5  # all four of "wrong", and "unsure" relit at 0.20 / 0.9
    assert s.confident_pairs == 5
    assert s.moved == 1  # "right" relit at 0.427; the other pairs moved little or are unsure

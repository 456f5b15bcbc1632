"""Hair coverage against exact ground truth.

Synthetic scalps (`synth`) give exact hair masks, so accuracy and lighting
invariance are asserted in percentage points (the real photographs, with only
a published hair-loss level, are in `test_coverage_real`; the contract of the
call, its inputs and results, in `test_coverage_inputs`). Known failures are
kept as strict xfails with the measured numbers, so the suite says what does
not work yet and notices when it starts to.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from hairtrack.core.imaging.hair_coverage import (
    CoverageParams,
    CoverageResult,
    coverage,
)
from hairtrack.core.imaging.synth import (
    SynthScalp,
    VisitState,
    apply_lighting,
    encode_jpeg,
    make_subject,
    photograph,
    random_capture,
    render_scalp,
)

CANVAS = (640, 480)
#: Three visits per combination: thin, medium and dense hair, three balding patterns.
VISITS = ((11, "vertex", 0.25, 2.0), (12, "diffuse", 0.5, 1.8), (13, "frontal", 0.75, 1.6))


def full(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.full(image.shape[:2], 255, np.uint8)


@cache
def scalp(skin: str, hair: str, visit: int) -> SynthScalp:
    seed, pattern, density, thickness = VISITS[visit]
    subject = make_subject(seed, skin, hair, canvas_size=CANVAS, pattern=pattern)
    return render_scalp(subject, VisitState(density, thickness=thickness, styling_seed=seed))


def mae_points(skin: str, hair: str) -> tuple[float, list[tuple[float, float]]]:
    pairs = []
    for visit in range(len(VISITS)):
        s = scalp(skin, hair, visit)
        pairs.append((s.coverage, coverage(s.image, full(s.image)).coverage))
    return 100.0 * float(np.mean([abs(t - e) for t, e in pairs])), pairs


# --- accuracy against exact masks -------------------------------------------------------------

@pytest.mark.parametrize(("skin", "hair"), [
    ("light", "black"), ("light", "dark"), ("light", "brown"), ("light", "grey"),
    ("light", "blond"), ("medium", "black"), ("medium", "dark"), ("medium", "grey"),
    ("dark", "black"), ("dark", "grey"),
])
def test_accuracy_within_three_points(skin: str, hair: str) -> None:
    mae, pairs = mae_points(skin, hair)
    assert mae <= 3.0, f"{skin} skin, {hair} hair: MAE {mae:.1f} points, (truth, est) {pairs}"


@pytest.mark.xfail(strict=True, reason="known limitation: blond hair on medium or dark skin, "
                   "brown hair on medium or dark skin and dark hair on dark skin (synthetic hair "
                   "and skin share a* and b*; in dense hair the scalp field is extrapolated); "
                   "measured MAE 4-20 points (coverage-2.3)")
@pytest.mark.parametrize(("skin", "hair"), [
    ("medium", "blond"), ("medium", "brown"), ("dark", "dark"), ("dark", "brown"),
    ("dark", "blond"),
])
def test_accuracy_known_failures(skin: str, hair: str) -> None:
    mae, pairs = mae_points(skin, hair)
    assert mae <= 3.0, f"{skin} skin, {hair} hair: MAE {mae:.1f} points, (truth, est) {pairs}"


def test_accuracy_survives_jpeg() -> None:
    s = scalp("light", "dark", 1)
    est = coverage(encode_jpeg(s.image, 85), full(s.image)).coverage
    assert abs(est - s.coverage) <= 0.03


@pytest.mark.xfail(strict=True, reason="known limitation: JPEG at q85 fades 2-px grey strands "
                   "into pale scalp; measured -11, -30, -41 points for the "
                   "three visits; over all 45 base scalps MAE 4.4 raw, 9.2 at q95, 12.3 at q85, "
                   "6.6 with only brightness re-encoded: JPEG's loss is colour "
                   "(benchmarks/bench_coverage.py --only scale; coverage-2.3)")
def test_accuracy_survives_jpeg_grey_hair() -> None:
    errors = [coverage(encode_jpeg(s.image, 85), full(s.image)).coverage - s.coverage
              for s in (scalp("light", "grey", v) for v in range(len(VISITS)))]
    assert 100.0 * float(np.mean(np.abs(errors))) <= 3.0


@pytest.mark.slow
def test_accuracy_at_a_camera_like_size() -> None:
    """2-px strands on a 1920x1440 photo, as fine as in a 12 MP photo of a whole crown.

    The default 800-px working copy would make them sub-pixel (MAE 17 points
    over the 45 base scalps, coverage-2.1); the photo is kept at full size.
    """
    errors = []
    for seed, pattern, density, thickness in VISITS:
        subject = make_subject(seed, "light", "black", canvas_size=(1920, 1440), pattern=pattern)
        s = render_scalp(subject, VisitState(density, thickness=thickness, styling_seed=seed))
        result = coverage(s.image, full(s.image))
        assert result.work_factor == 1
        errors.append(result.coverage - s.coverage)
    assert 100.0 * float(np.mean(np.abs(errors))) <= 3.0, errors


def test_close_up_is_reduced_as_usual() -> None:
    """The same scalp magnified 3x: wide strands, the usual reduction, the same number."""
    s = scalp("light", "dark", 1)
    image = cv2.resize(s.image, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    result = coverage(image, full(image))
    assert result.work_factor == 3
    assert abs(result.coverage - s.coverage) <= 0.03


def test_working_copy_respects_its_size_cap() -> None:
    s = render_scalp(make_subject(12, "light", "black", canvas_size=(1920, 1440)),
                     VisitState(0.5, thickness=1.8, styling_seed=12))
    capped = coverage(s.image, full(s.image), params=CoverageParams(max_work_side=960))
    assert capped.work_factor == 2


def test_photographed_scalp_with_warp_border() -> None:
    """A hand-held follow-up: pose, blur, noise, gamma, JPEG; border excluded by `valid`."""
    errors = []
    for seed in (41, 42):
        subject = make_subject(seed, "light", "dark", canvas_size=(800, 600), pattern="vertex")
        s = render_scalp(subject, VisitState(0.5, styling_seed=seed))
        photo = photograph(s, random_capture(np.random.default_rng(seed), (800, 600),
                                             (800, 600), 0.7))
        result = coverage(photo.image, full(photo.image), valid=photo.valid)
        assert result.roi_pixels == int(photo.valid.sum())
        errors.append(abs(result.coverage - photo.coverage))
    # Lens blur and noise lose the thinnest strands: a looser bound than on renders.
    assert max(errors) <= 0.05, errors


# --- invariance ------------------------------------------------------------------------------

EXPOSURE_AND_BALANCE = {
    "brighter 30%": (1.3, 1.0, (1.0, 1.0, 1.0)),
    "darker 30%": (0.7, 1.0, (1.0, 1.0, 1.0)),
    "warm": (1.0, 1.0, (0.9, 1.0, 1.1)),
    "cool": (1.0, 1.0, (1.1, 1.0, 0.9)),
}
GAMMA = {"gamma 0.7": (1.0, 0.7, (1.0, 1.0, 1.0)), "gamma 1.4": (1.0, 1.4, (1.0, 1.0, 1.0))}
DARK_HAIR = [("light", "black"), ("light", "dark"), ("medium", "black"), ("medium", "dark"),
             ("dark", "black")]


@cache
def lighting_shifts(skin: str, hair: str, visit: int) -> dict[str, float]:
    s = scalp(skin, hair, visit)
    base = coverage(s.image, full(s.image)).coverage
    return {name: 100.0 * (coverage(apply_lighting(s.image, b, g, wb), full(s.image)).coverage
                           - base)
            for name, (b, g, wb) in {**EXPOSURE_AND_BALANCE, **GAMMA}.items()}


@cache
def lit_result(skin: str, hair: str, visit: int, change: str) -> CoverageResult:
    s = scalp(skin, hair, visit)
    brightness, gamma, balance = {**EXPOSURE_AND_BALANCE, **GAMMA}[change]
    return coverage(apply_lighting(s.image, brightness, gamma, balance), full(s.image))


@pytest.mark.parametrize(("skin", "hair", "visit"),
                         [(skin, hair, v) for skin, hair in DARK_HAIR for v in range(3)])
def test_exposure_and_white_balance_move_coverage_at_most_1_5_points(
        skin: str, hair: str, visit: int) -> None:
    """At most 1.5 points, or the result says over-exposure cost it a colour channel.

    Brighter by 30 % clips the red channel of pale or sheened skin; coverage
    is then measured from blue and green alone (one case here moves by 1.7
    points), and the result must not hide that.
    """
    shifts = lighting_shifts(skin, hair, visit)
    for change in EXPOSURE_AND_BALANCE:
        if abs(shifts[change]) <= 1.5:
            continue
        flagged = lit_result(skin, hair, visit, change)
        assert flagged.confidence <= 0.7 and flagged.note and "clipped" in flagged.note, (
            change, shifts)


@pytest.mark.slow
def test_gamma_moves_coverage_at_most_1_5_points() -> None:
    worst = max(abs(lighting_shifts(skin, hair, v)[k])
                for skin, hair in DARK_HAIR for v in range(3) for k in GAMMA)
    assert worst <= 1.5, worst


LIGHT_HAIR_OR_DARK_SKIN = [("light", "brown"), ("light", "grey"), ("light", "blond"),
                           ("medium", "brown"), ("medium", "grey"), ("medium", "blond"),
                           ("dark", "dark"), ("dark", "brown"), ("dark", "grey"),
                           ("dark", "blond")]


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="known limitation: with little colour contrast the "
                   "choice of which colour is scalp can flip with the light; measured worst "
                   "shifts 2-60 points (light grey brighter 17, light blond cool 62); those "
                   "results mostly carry low confidence (coverage-2.3)")
def test_lighting_moves_lighter_hair_at_most_1_5_points() -> None:
    worst = max(abs(shift) for skin, hair in LIGHT_HAIR_OR_DARK_SKIN for v in range(3)
                for shift in lighting_shifts(skin, hair, v).values())
    assert worst <= 1.5, worst


def test_channel_clipped_by_over_exposure_lowers_confidence() -> None:
    """Over-exposed pale skin clips red; coverage is then read from blue and green only.

    Two channels still tell grey hair from scalp here (within 3 points), but
    they see less than three, so the result claims less confidence and says why.
    """
    s = scalp("medium", "grey", 0)
    normal = coverage(s.image, full(s.image))
    bright = apply_lighting(s.image, 1.3, 1.0, (1.0, 1.0, 1.0))
    assert float((bright[:, :, 2] >= 250).mean()) > 0.1  # the red channel did clip
    over = coverage(bright, full(bright))
    assert normal.confidence >= 0.9
    assert over.confidence <= 0.7
    assert over.note is not None and "clipped" in over.note
    assert abs(over.coverage - s.coverage) <= 0.03


# --- what counts as hair --------------------------------------------------------------------

SKIN_BGR = (150, 175, 215)


def _skin_canvas(seed: int, size: tuple[int, int] = (400, 300)) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    w, h = size
    canvas = np.empty((h, w, 3), np.float32)
    canvas[:] = SKIN_BGR
    canvas *= (1.0 + 0.03 * rng.standard_normal((h, w, 1))).astype(np.float32)
    return canvas


def test_shine_on_hair_counts_as_hair() -> None:
    """Dark strands with a bright, colourless highlight along their middle."""
    canvas = _skin_canvas(1)
    strands = np.zeros(canvas.shape[:2], np.uint8)
    shine = np.zeros(canvas.shape[:2], np.uint8)
    for i, x in enumerate(range(20, 380, 24)):
        cv2.line(strands, (x, 10), (x + 15, 290), 1, 7)
        if i % 2 == 0:
            cv2.line(shine, (x, 60), (x + 10, 200), 1, 3)
    canvas[strands > 0] = (30, 32, 38)
    canvas[shine > 0] = (205, 208, 212)
    image = np.clip(canvas, 0, 255).astype(np.uint8)
    result = coverage(image, full(image))
    glint = shine > 0
    assert result.hair_mask[glint].mean() >= 0.9
    assert result.hair_mask[strands > 0].mean() >= 0.9


def test_scalp_between_thin_hairs_is_scalp() -> None:
    """Thin parallel strands 2 px wide with 4 px of skin between them."""
    canvas = _skin_canvas(2)
    strands = np.zeros(canvas.shape[:2], bool)
    for x in range(10, 390, 6):
        strands[:, x:x + 2] = True
    canvas[strands] = (35, 35, 40)
    image = np.clip(canvas, 0, 255).astype(np.uint8)
    result = coverage(image, full(image))
    gaps = ~strands
    assert result.hair_mask[gaps].mean() <= 0.1
    assert result.hair_mask[strands].mean() >= 0.9
    assert result.coverage == pytest.approx(strands.mean(), abs=0.05)


def test_low_contrast_gives_low_confidence() -> None:
    """Hair 4 % darker than skin and the same colour: no honest number exists."""
    canvas = _skin_canvas(3)
    strands = np.zeros(canvas.shape[:2], np.uint8)
    rng = np.random.default_rng(3)
    for _ in range(120):
        x, y = rng.integers(0, 400), rng.integers(0, 300)
        cv2.line(strands, (int(x), int(y)), (int(x) + 40, int(y) + 60), 1, 2)
    canvas[strands > 0] *= 0.96
    image = np.clip(canvas, 0, 255).astype(np.uint8)
    result = coverage(image, full(image))
    assert result.confidence <= 0.3
    assert result.note is not None and "similar" in result.note


def test_bare_scalp_is_low_coverage() -> None:
    subject = make_subject(34, "light", "dark", canvas_size=CANVAS, pattern="vertex")
    bald = render_scalp(subject, VisitState(0.0))
    result = coverage(bald.image, full(bald.image))
    assert result.coverage <= 0.08


def test_bald_scalp_is_measured_with_confidence() -> None:
    """No strands at all: low contrast and shades of one scalp say nothing about the number."""
    subject = make_subject(34, "medium", "black", canvas_size=CANVAS, pattern="vertex")
    bald = render_scalp(subject, VisitState(0.0))
    result = coverage(bald.image, full(bald.image))
    assert result.coverage <= 0.05
    assert result.confidence >= 0.5
    assert result.note is not None and "no hair strands seen" in result.note


def test_high_confidence_when_contrast_is_clear() -> None:
    s = scalp("light", "black", 1)
    assert coverage(s.image, full(s.image)).confidence >= 0.8


def test_a_close_vote_on_which_colour_is_scalp_lowers_confidence() -> None:
    """Blond strands on dark skin, where the two colours nearly tie as scalp candidates.

    Whatever the number, counting the runner-up as scalp too moves it a lot;
    the result must say so rather than report the lucky pick with confidence.
    """
    result = coverage(scalp("dark", "blond", 1).image, full(scalp("dark", "blond", 1).image))
    assert result.confidence < 0.3
    assert result.note is not None and "another colour as scalp" in result.note


def test_same_photo_same_number() -> None:
    """Deterministic, although the runner-up's fit runs on another thread."""
    s = scalp("light", "grey", 1)
    first, second = coverage(s.image, full(s.image)), coverage(s.image, full(s.image))
    assert first.to_json() == second.to_json()
    assert np.array_equal(first.hair_mask, second.hair_mask)

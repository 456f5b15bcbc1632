"""Ground-truth sanity of the synthetic scalp generator.

Coverage and alignment are validated on these scalps, so the generator itself
must be right: deterministic, monotone in density, a mask that agrees with the
pixels, and a photo model whose mask and matrix agree with each other.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from hairtrack.core.imaging.synth import (
    Capture,
    Subject,
    SynthScalp,
    VisitState,
    apply_lighting,
    capture_matrix,
    encode_jpeg,
    identity_capture,
    make_subject,
    mask_coverage,
    photograph,
    random_capture,
    render_scalp,
)

SIZE = (320, 240)


@pytest.fixture(scope="module")
def subject() -> Subject:
    return make_subject(5, "light", "dark", canvas_size=SIZE)


@pytest.fixture(scope="module")
def scalp(subject: Subject) -> SynthScalp:
    return render_scalp(subject, VisitState(0.6, styling_seed=3))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a & b)) / max(1, int(np.count_nonzero(a | b)))


def test_same_seed_gives_identical_pixels() -> None:
    a = render_scalp(make_subject(9, canvas_size=SIZE), VisitState(0.5, styling_seed=2))
    make_subject.cache_clear()  # rebuild the subject from scratch, not from the cache
    b = render_scalp(make_subject(9, canvas_size=SIZE), VisitState(0.5, styling_seed=2))
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.hair_mask, b.hair_mask)


def test_different_seeds_give_different_subjects() -> None:
    a, b = make_subject(1, canvas_size=SIZE), make_subject(2, canvas_size=SIZE)
    assert a != b
    assert not np.allclose(a.skin_image, b.skin_image)
    diff = np.abs(render_scalp(a, VisitState(0.5)).image.astype(int)
                  - render_scalp(b, VisitState(0.5)).image.astype(int))
    assert diff.mean() > 10


def test_coverage_rises_with_density_over_a_useful_range(subject: Subject) -> None:
    densities = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
    cov = [render_scalp(subject, VisitState(d, styling_seed=1)).coverage for d in densities]
    assert cov[0] == 0.0
    assert all(b > a + 0.02 for a, b in itertools.pairwise(cov)), cov
    assert cov[1] < 0.3, cov
    assert cov[5] > 0.6, cov


def test_thicker_and_longer_hair_covers_more() -> None:
    subject = make_subject(5, canvas_size=SIZE, pattern="none")
    base = render_scalp(subject, VisitState(0.5)).coverage
    assert render_scalp(subject, VisitState(0.5, thickness=1.0)).coverage < base - 0.1
    assert render_scalp(subject, VisitState(0.5, length=120.0)).coverage > base + 0.1


def test_active_follicles_are_nested(subject: Subject) -> None:
    low, mid, high = subject.active(0.2), subject.active(0.5), subject.active(0.8)
    assert not np.any(low & ~mid) and not np.any(mid & ~high)
    assert abs(mid[subject.inside].mean() - 0.5) < 0.002
    assert not subject.active(0.0).any() and subject.active(1.0)[subject.inside].all()
    # The balding zone loses its follicles first.
    loss = subject.loss[subject.inside]
    on = mid[subject.inside]
    assert loss[~on].mean() > loss[on].mean() + 0.2


def test_restyling_moves_hair_but_keeps_follicles(subject: Subject) -> None:
    a = render_scalp(subject, VisitState(0.7, styling_seed=1))
    b = render_scalp(subject, VisitState(0.7, styling_seed=2))
    assert a.active_follicles == b.active_follicles
    assert _iou(a.hair_mask, b.hair_mask) < 0.8
    assert abs(a.coverage - b.coverage) < 0.05
    # Without restyling, the styling seed changes nothing about the hair.
    c = render_scalp(subject, VisitState(0.7, styling_seed=1, restyle=0.0, lighting_seed=0))
    d = render_scalp(subject, VisitState(0.7, styling_seed=2, restyle=0.0, lighting_seed=0))
    assert np.array_equal(c.hair_mask, d.hair_mask)


def test_existing_hair_keeps_its_shape_when_density_rises(subject: Subject) -> None:
    """More hair is added, none is moved: the low-density hair is contained exactly."""
    low = render_scalp(subject, VisitState(0.4, styling_seed=4))
    high = render_scalp(subject, VisitState(0.6, styling_seed=4))
    assert low.hair_mask.any() and not np.any(low.hair_mask & ~high.hair_mask)
    assert np.all(high.hair_fraction >= low.hair_fraction - 1e-6)


def test_vellus_hair_is_drawn_but_not_counted(subject: Subject) -> None:
    bare = render_scalp(subject, VisitState(0.0, vellus=0.0))
    fuzz = render_scalp(subject, VisitState(0.0, vellus=0.6))
    assert fuzz.coverage == bare.coverage == 0.0
    diff = np.abs(fuzz.image.astype(int) - bare.image.astype(int)).sum(axis=2)
    assert (diff > 12).mean() > 0.03  # visible, faint lines


def test_mask_is_exact_threshold_of_fraction(scalp: SynthScalp) -> None:
    assert scalp.hair_mask.dtype == np.bool_
    assert np.array_equal(scalp.hair_mask, scalp.hair_fraction >= 0.5 - 1e-6)
    assert 0.2 < scalp.coverage < 0.8


@pytest.mark.parametrize(("skin", "hair", "darker"), [
    ("light", "dark", True), ("light", "black", True), ("medium", "brown", True),
    ("dark", "grey", False), ("dark", "blond", False),
])
def test_mask_agrees_with_pixels(skin: str, hair: str, darker: bool) -> None:
    s = render_scalp(make_subject(3, skin, hair, canvas_size=SIZE), VisitState(0.5))
    grey = cv2.cvtColor(s.image, cv2.COLOR_BGR2GRAY).astype(float)
    solid_hair = s.hair_fraction > 0.9
    solid_skin = s.hair_fraction < 0.01
    gap = grey[solid_hair].mean() - grey[solid_skin].mean()
    assert (gap < -35) if darker else (gap > 35), gap


def test_shine_is_hair_in_the_mask(scalp: SynthScalp) -> None:
    """Highlights exist on hair and still count as hair."""
    grey = cv2.cvtColor(scalp.image, cv2.COLOR_BGR2GRAY).astype(float)
    on_hair = grey[scalp.hair_fraction > 0.9]
    assert np.percentile(on_hair, 99.5) > np.median(on_hair) + 40


def test_mask_coverage_roi(scalp: SynthScalp) -> None:
    h, w = scalp.hair_mask.shape
    roi = np.zeros((h, w), bool)
    roi[: h // 2] = True
    assert scalp.coverage_in(roi) == pytest.approx(scalp.hair_mask[: h // 2].mean())
    assert np.isnan(mask_coverage(scalp.hair_mask, np.zeros((h, w), bool)))


def test_identity_photo_is_the_canvas(scalp: SynthScalp) -> None:
    photo = photograph(scalp, identity_capture(scalp))
    assert np.array_equal(photo.image, scalp.image)
    assert np.array_equal(photo.hair_mask, scalp.hair_mask)
    assert photo.valid.all()


def test_photo_mask_and_valid_follow_the_matrix(scalp: SynthScalp) -> None:
    m = capture_matrix(SIZE, (300, 400), angle_deg=12.0, scale=0.85, shift=(10.0, -6.0),
                       tilt=(0.04, -0.03))
    photo = photograph(scalp, Capture(m, (300, 400), jpeg_quality=85, noise_sigma=2.0))
    assert photo.image.shape == (400, 300, 3)
    assert np.array_equal(photo.matrix, m)
    # Independent check: map photo pixel centres back to the canvas ourselves.
    ys, xs = np.mgrid[0:400, 0:300]
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    back = np.linalg.inv(m) @ pts
    bx, by = back[0] / back[2], back[1] / back[2]
    inside = (bx > -0.5) & (bx < SIZE[0] - 0.5) & (by > -0.5) & (by < SIZE[1] - 0.5)
    assert _iou(photo.valid.ravel(), inside) > 0.99
    assert 0.2 < photo.valid.mean() < 0.95  # zoomed out and rotated: border shows
    xi = np.clip(np.round(bx).astype(int), 0, SIZE[0] - 1)
    yi = np.clip(np.round(by).astype(int), 0, SIZE[1] - 1)
    expected = scalp.hair_mask[yi, xi] & inside
    assert _iou(photo.hair_mask.ravel(), expected) > 0.97
    assert not photo.image[~photo.valid].any(axis=1).mean() < 0.9  # black outside
    # The photo's hair pixels are still the dark ones.
    grey = cv2.cvtColor(photo.image, cv2.COLOR_BGR2GRAY).astype(float)
    assert grey[photo.hair_mask].mean() < grey[photo.valid & ~photo.hair_mask].mean() - 30


def test_landmarks_map_through_the_matrix(subject: Subject, scalp: SynthScalp) -> None:
    """Moles are where the subject says, in the canvas and in the photo."""
    m = capture_matrix(SIZE, SIZE, angle_deg=-9.0, scale=1.1)
    photo = photograph(scalp, Capture(m, SIZE))
    for canvas_img, matrix in ((scalp.image, np.eye(3)), (photo.image, m)):
        grey = cv2.cvtColor(canvas_img, cv2.COLOR_BGR2GRAY).astype(float)
        pts = cv2.perspectiveTransform(subject.landmarks[None].astype(np.float64), matrix)[0]
        bare = [p for p in pts if 3 <= p[0] < SIZE[0] - 3 and 3 <= p[1] < SIZE[1] - 3]
        darkest = [grey[round(y) - 1:round(y) + 2, round(x) - 1:round(x) + 2].min()
                   for x, y in bare]
        assert np.median(darkest) < np.median(grey) - 10


def test_random_capture_varies_within_bounds() -> None:
    rng = np.random.default_rng(0)
    caps = [random_capture(rng, SIZE, out_size=(400, 300)) for _ in range(40)]
    scales = [abs(np.linalg.det(c.matrix[:2, :2])) ** 0.5 / (400 / 320) for c in caps]
    assert min(scales) >= 0.7 and max(scales) <= 1.45
    assert len({c.jpeg_quality for c in caps}) > 5
    assert np.std([c.brightness for c in caps]) > 0.05
    still = random_capture(np.random.default_rng(1), SIZE, strength=0.0)
    assert np.allclose(still.matrix, np.eye(3)) and still.jpeg_quality is None


def test_lighting_helpers_change_brightness_as_asked(scalp: SynthScalp) -> None:
    img = scalp.image
    base = img.astype(float).mean()
    assert apply_lighting(img, brightness=0.7).astype(float).mean() == pytest.approx(
        0.7 * base, rel=0.02)
    assert apply_lighting(img, gamma=0.7).mean() > base + 10  # < 1 lifts mid-tones
    assert apply_lighting(img, gamma=1.5).mean() < base - 10
    warm = apply_lighting(img, white_balance=(0.8, 1.0, 1.2))
    assert warm[..., 0].mean() < img[..., 0].mean() - 5
    assert warm[..., 2].mean() > img[..., 2].mean() + 5
    assert np.array_equal(apply_lighting(img), img)
    jpg = encode_jpeg(img, 60)
    assert jpg.shape == img.shape and not np.array_equal(jpg, img)
    assert np.abs(jpg.astype(float) - img).mean() < 8


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="skin"):
        make_subject(1, skin="green")
    with pytest.raises(ValueError, match="hair"):
        make_subject(1, hair="purple")


def test_strand_geometry_is_exact_to_a_quarter_pixel() -> None:
    """Drawn width and position match the request within one supersample step."""
    from hairtrack.core.imaging.synth_hair import _area_mean, _draw

    verts = np.array([[[10.0, 20.25], [50.0, 20.25]]])
    canvas = _draw((40, 60), 4, verts, np.array([[1.75]]), np.array([[0.5]]),
                   np.array([False]))
    column = _area_mean((canvas > 0).astype(np.float32), (60, 40))[:, 30]
    assert column.sum() == pytest.approx(1.75, abs=0.25)
    assert (column * np.arange(40)).sum() / column.sum() == pytest.approx(20.25, abs=0.2)
    assert np.flatnonzero(column >= 0.5).tolist() == [20, 21]


@pytest.mark.parametrize("ss", [3, 5])
@pytest.mark.parametrize("width", [0.6, 1.0, 1.4, 2.0, 3.3])
def test_mean_strand_width_is_unbiased(width: float, ss: int) -> None:
    """Dithering between OpenCV's odd line widths keeps the mean width right."""
    from hairtrack.core.imaging.synth_hair import _area_mean, _draw

    rng = np.random.default_rng(0)
    n = 200
    ys = np.arange(n) * 8.0 + 4.0 + rng.uniform(-0.5, 0.5, n)
    x0 = rng.uniform(5, 15, n)
    ang = rng.uniform(-0.3, 0.3, n)
    verts = np.stack([np.stack([x0, ys], 1),
                      np.stack([x0 + 60 * np.cos(ang), ys + 60 * np.sin(ang)], 1)], 1)
    canvas = _draw((n * 8, 90), ss, verts, np.full((n, 1), width), np.full((n, 1), 0.5),
                   np.zeros(n, bool), rng.random(n))
    area = _area_mean((canvas > 0).astype(np.float32), (90, n * 8)).sum()
    mean_width = area / n / 60.0  # end caps add about width/60 of a length
    assert mean_width == pytest.approx(width, rel=0.12, abs=0.08)


def test_lighting_seed_changes_pixels_not_truth(subject: Subject) -> None:
    a = render_scalp(subject, VisitState(0.5, styling_seed=1, lighting_seed=1))
    b = render_scalp(subject, VisitState(0.5, styling_seed=1, lighting_seed=2))
    assert np.array_equal(a.hair_mask, b.hair_mask)
    assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() > 3


def test_small_photo_of_a_large_canvas_keeps_hair_dark() -> None:
    big = render_scalp(make_subject(8, canvas_size=(960, 720)), VisitState(0.5))
    photo = photograph(big, random_capture(np.random.default_rng(2), (960, 720),
                                           out_size=(240, 320), strength=0.3))
    assert photo.valid.mean() > 0.9
    grey = cv2.cvtColor(photo.image, cv2.COLOR_BGR2GRAY).astype(float)
    assert grey[photo.hair_mask].mean() < grey[photo.valid & ~photo.hair_mask].mean() - 25

"""Alignment engine: accuracy against known warps, refusal of unrelated photos, API contract.

Accuracy is measured as the corner error: the mean misregistration at the reference's four
corners, in px of a 1000-px-wide copy (hairtrack.core.imaging.transforms.corner_error).
The full tables live in benchmarks/bench_alignment.py; these are CI-sized samples.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from hairtrack.core.imaging import align_features, synth
from hairtrack.core.imaging.alignment import (
    ALGORITHM_VERSION,
    AlignmentResult,
    AlignParams,
    Reference,
    align,
    align_files,
    transform_points,
    warp_to_reference,
)
from hairtrack.core.imaging.transforms import corner_error

PHOTOS = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"
Image8 = NDArray[np.uint8]


def _photos() -> list[Path]:
    paths = sorted(PHOTOS.glob("*.jpg"))
    assert len(paths) >= 40, "real test photos missing"
    return paths


def _load(path: Path) -> Image8:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None
    return np.asarray(image, np.uint8)


def _random_forward(rng: np.random.Generator, ref_size: tuple[int, int],
                    mov_size: tuple[int, int]) -> NDArray[np.float64]:
    """reference -> moving: any rotation, scale 0.7-1.4, shift, mild perspective."""
    rw, rh = ref_size
    mw, mh = mov_size
    theta = np.radians(rng.uniform(-180, 180))
    s = float(np.exp(rng.uniform(np.log(0.7), np.log(1.4))))
    s *= float(np.hypot(mw, mh) / np.hypot(rw, rh))
    to_origin = np.array([[1, 0, -(rw - 1) / 2], [0, 1, -(rh - 1) / 2], [0, 0, 1.0]])
    rot = np.array([[s * np.cos(theta), -s * np.sin(theta), 0],
                    [s * np.sin(theta), s * np.cos(theta), 0], [0, 0, 1.0]])
    px, py = rng.uniform(-0.05, 0.05, 2) / (max(rw, rh) / 2)
    persp = np.array([[1, 0, 0], [0, 1, 0], [px, py, 1.0]])
    shift = rng.uniform(-0.1, 0.1, 2) * [mw, mh]
    place = np.array([[1, 0, (mw - 1) / 2 + shift[0]], [0, 1, (mh - 1) / 2 + shift[1]],
                      [0, 0, 1.0]])
    m = place @ rot @ persp @ to_origin
    return np.asarray(m / m[2, 2], np.float64)


def _recapture(reference: Image8, rng: np.random.Generator
               ) -> tuple[Image8, NDArray[np.float64]]:
    """The reference photographed again: new size/aspect, pose, light, noise, blur, JPEG.

    Returns the moving image and the true moving -> reference matrix.
    """
    rh, rw = reference.shape[:2]
    aspect = float(rng.choice([1.0, 4 / 3, 3 / 4, 16 / 9]))
    long_side = int(rng.uniform(0.8, 1.6) * max(rw, rh))
    mw, mh = ((long_side, int(long_side / aspect)) if aspect >= 1
              else (int(long_side * aspect), long_side))
    forward = _random_forward(rng, (rw, rh), (mw, mh))
    moving = np.asarray(cv2.warpPerspective(reference, forward, (mw, mh),
                                            flags=cv2.INTER_CUBIC,
                                            borderMode=cv2.BORDER_REFLECT_101), np.uint8)
    blur = rng.uniform(0.0, 1.5)
    if blur > 0.3:
        moving = np.asarray(cv2.GaussianBlur(moving, (0, 0), blur), np.uint8)
    wb = tuple(float(g) for g in np.exp(rng.uniform(-0.2, 0.2, 3)))
    moving = synth.apply_lighting(moving, float(np.exp(rng.uniform(-0.3, 0.3))),
                                  float(np.exp(rng.uniform(-0.35, 0.35))),
                                  (wb[0], wb[1], wb[2]))
    moving = synth.add_noise(moving, float(rng.uniform(0, 6)), int(rng.integers(1 << 30)))
    moving = synth.encode_jpeg(moving, int(rng.integers(60, 96)))
    truth = np.linalg.inv(forward)
    return moving, truth / truth[2, 2]


def _error(result: AlignmentResult, truth: NDArray[np.float64], ref: Image8) -> float:
    assert result.matrix is not None
    return corner_error(result.matrix, truth, (ref.shape[1], ref.shape[0]))


@pytest.mark.slow
def test_real_photos_under_known_warps_are_aligned_accurately() -> None:
    rng = np.random.default_rng(2024)
    paths = _photos()
    errors: list[float] = []
    refused: list[str] = []
    n = 50
    for i in range(n):
        reference = _load(paths[(i * 7) % len(paths)])
        moving, truth = _recapture(reference, rng)
        result = align(reference, moving)
        if result.ok:
            errors.append(_error(result, truth, reference))
        else:
            refused.append(f"{i}: {result.reason}")
    assert len(errors) >= 0.98 * n, refused
    assert float(np.median(errors)) <= 1.0
    assert float(np.percentile(errors, 95)) <= 3.0
    # A clinician must never get a silently wrong warp.
    assert max(errors) <= 5.0


@pytest.mark.slow
def test_photos_of_different_people_are_refused() -> None:
    rng = np.random.default_rng(7)
    paths = _photos()
    pairs = list(itertools.combinations(range(len(paths)), 2))
    picks = rng.choice(len(pairs), size=30, replace=False)
    accepted = []
    for k in picks:
        a, b = pairs[int(k)]
        result = align(_load(paths[a]), _load(paths[b]))
        if result.ok:
            accepted.append((paths[a].name, paths[b].name, result.quality))
        else:
            assert result.matrix is None and result.reason
    assert len(accepted) <= 0.05 * len(picks), accepted


def _synthetic_capture(rng: np.random.Generator, canvas: tuple[int, int]) -> synth.Capture:
    base = synth.random_capture(rng, canvas, canvas)
    matrix = synth.capture_matrix(
        canvas, canvas, angle_deg=float(rng.uniform(-180, 180)),
        scale=float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))),
        shift=(float(rng.uniform(-0.06, 0.06) * canvas[0]),
               float(rng.uniform(-0.06, 0.06) * canvas[1])),
        tilt=(float(rng.uniform(-0.05, 0.05)), float(rng.uniform(-0.05, 0.05))))
    return dataclasses.replace(base, matrix=matrix)


def _subject(rng: np.random.Generator, canvas: tuple[int, int]) -> synth.Subject:
    return synth.make_subject(
        int(rng.integers(1 << 30)),
        skin=str(rng.choice(sorted(synth.SKIN_TONES))),
        hair=str(rng.choice(sorted(synth.HAIR_COLOURS))),
        canvas_size=canvas, pattern=str(rng.choice(list(synth.PATTERNS))))


@pytest.mark.slow
def test_synthetic_visits_of_one_subject_align() -> None:
    """Baseline and follow-up differ in hair density, light and camera pose (any angle)."""
    rng = np.random.default_rng(11)
    canvas = (640, 480)
    errors = []
    refused = []
    n = 12
    for i in range(n):
        subject = _subject(rng, canvas)
        d0 = float(rng.uniform(0.3, 0.8))
        d1 = float(np.clip(d0 + rng.uniform(-0.15, 0.15), 0.1, 0.95))
        c0, c1 = _synthetic_capture(rng, canvas), _synthetic_capture(rng, canvas)
        base = synth.photograph(synth.render_scalp(
            subject, synth.VisitState(density=d0, styling_seed=1, restyle=0.0)), c0)
        follow = synth.photograph(synth.render_scalp(
            subject, synth.VisitState(density=d1, styling_seed=2, restyle=0.0)), c1)
        truth = c0.matrix @ np.linalg.inv(c1.matrix)
        result = align(base.image, follow.image)
        if result.ok:
            errors.append(_error(result, truth, base.image))
        else:
            refused.append(f"{i}: {result.reason}")
    assert not refused
    assert float(np.median(errors)) <= 1.0
    assert max(errors) <= 3.0


@pytest.mark.slow
def test_synthetic_different_subjects_are_refused() -> None:
    rng = np.random.default_rng(12)
    canvas = (640, 480)
    accepted = 0
    n = 12
    for _ in range(n):
        a, b = _subject(rng, canvas), _subject(rng, canvas)
        state = synth.VisitState(density=float(rng.uniform(0.3, 0.8)))
        pa = synth.photograph(synth.render_scalp(a, state), _synthetic_capture(rng, canvas))
        pb = synth.photograph(synth.render_scalp(b, state), _synthetic_capture(rng, canvas))
        accepted += align(pa.image, pb.image).ok
    assert accepted == 0


@pytest.fixture(scope="module")
def photo() -> Image8:
    return _load(_photos()[3])


def test_identical_photo_gives_identity(photo: Image8) -> None:
    result = align(photo, photo.copy())
    assert result.ok and result.matrix is not None
    assert result.model == "similarity"
    assert corner_error(result.matrix, np.eye(3), (photo.shape[1], photo.shape[0])) < 0.3
    assert result.quality.score > 0.9
    assert result.quality.overlap == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_quarter_turns_are_recovered(photo: Image8, turns: int) -> None:
    moving = np.ascontiguousarray(np.rot90(photo, turns))
    h, w = photo.shape[:2]
    # np.rot90 turns counter-clockwise: build the exact moving -> reference map.
    forward = np.eye(3)
    for _ in range(turns):
        forward = np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1.0]]) @ forward
        w, h = h, w
    truth = np.asarray(np.linalg.inv(forward), np.float64)
    result = align(photo, moving)
    assert result.ok, result.reason
    assert _error(result, truth, photo) < 0.5


def test_matrix_maps_moving_pixels_to_reference(photo: Image8) -> None:
    rng = np.random.default_rng(5)
    moving, truth = _recapture(photo, rng)
    result = align(photo, moving)
    assert result.ok and result.matrix is not None
    pts = np.array([[100.0, 120.0], [300.0, 50.0], [250.0, 400.0]])
    moving_pts = transform_points(np.linalg.inv(truth), pts)
    assert np.allclose(transform_points(result.matrix, moving_pts), pts, atol=2.0)
    warped, valid = warp_to_reference(moving, result.matrix, photo.shape)
    assert warped.shape == photo.shape and valid.shape == photo.shape[:2]
    assert valid.mean() == pytest.approx(result.quality.overlap, abs=0.03)
    diff = np.abs(warped.astype(int) - photo.astype(int)).mean(axis=2)[valid]
    assert np.median(diff) < 40  # lighting differs; structure must line up


def test_refusal_is_never_a_usable_matrix() -> None:
    rng = np.random.default_rng(0)
    blank = np.full((480, 640, 3), 128, np.uint8)
    noise = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    for result in (align(blank, blank), align(_load(_photos()[0]), noise)):
        assert not result.ok
        assert result.matrix is None
        assert result.model == "none"
        assert result.reason
        assert result.quality.score < 0.5


def test_tiny_or_mirrored_input_is_refused(photo: Image8) -> None:
    assert not align(photo, photo[:10, :10]).ok
    mirrored = np.ascontiguousarray(photo[:, ::-1])
    assert not align(photo, mirrored).ok


def test_json_has_exactly_the_documented_shape(photo: Image8) -> None:
    ok = align(photo, photo.copy()).to_json()
    assert set(ok) == {"ok", "matrix", "model", "quality", "reason"}
    assert set(ok["quality"]) == {"score", "inliers", "inlier_ratio", "reprojection_rmse_px",
                                  "overlap"}
    assert len(ok["matrix"]) == 3 and all(len(row) == 3 for row in ok["matrix"])
    json.dumps(ok, allow_nan=False)
    bad = align(photo, np.full_like(photo, 90)).to_json()
    assert bad["ok"] is False and bad["matrix"] is None and bad["reason"]
    json.dumps(bad, allow_nan=False)


def test_params_are_storable() -> None:
    params = AlignParams()
    stored = json.loads(json.dumps(params.as_dict()))
    assert AlignParams(**stored) == params
    assert ALGORITHM_VERSION


def test_a_prepared_reference_aligns_alike_and_finds_its_features_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every follow-up of a view is aligned to one baseline: its features are found once."""
    rng = np.random.default_rng(5)
    canvas = (640, 480)
    subject = _subject(rng, canvas)
    visits = [synth.photograph(synth.render_scalp(subject, synth.VisitState(
        density=d, styling_seed=i, restyle=0.0)), _synthetic_capture(rng, canvas)).image
        for i, d in enumerate((0.5, 0.55, 0.6))]
    params = AlignParams(sift_below_inliers=10**6)  # SIFT as well as ORB, every time
    plain = [align(visits[0], follow, params=params) for follow in visits[1:]]
    calls = {"orb": 0, "sift": 0}
    for kind in calls:
        real = getattr(align_features, f"detect_{kind}")

        def counted(*args: object, _real: object = real, _kind: str = kind) -> object:
            calls[_kind] += 1
            return _real(*args)  # type: ignore[operator]

        monkeypatch.setattr(align_features, f"detect_{kind}", counted)
    reference = Reference.from_image(visits[0], params)
    prepared = [align(reference, follow) for follow in visits[1:]]
    assert calls == {"orb": 3, "sift": 3}  # the baseline's once, each follow-up's once
    for a, b in zip(plain, prepared, strict=True):
        assert a.ok and b.ok and a.matrix is not None and b.matrix is not None
        assert np.array_equal(a.matrix, b.matrix) and a.quality == b.quality


def test_a_reference_must_match_the_parameters(photo: Image8) -> None:
    reference = Reference.from_image(photo, AlignParams(orb_features=800))
    with pytest.raises(ValueError, match="other alignment parameters"):
        align(reference, photo, params=AlignParams())
    tiny = align(Reference.from_image(photo[:8, :8]), photo)
    assert not tiny.ok and tiny.reason is not None and "too small" in tiny.reason


def _save_jpeg(path: Path, image: Image8, orientation: int | None = None) -> None:
    pil = Image.fromarray(image[:, :, ::-1])
    if orientation is None:
        pil.save(path, quality=92)
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        pil.save(path, quality=92, exif=exif)


def test_align_files_returns_full_resolution_matrix(photo: Image8, tmp_path: Path) -> None:
    """Different resolutions, aspect ratios and an EXIF-rotated follow-up file."""
    reference = np.asarray(cv2.resize(photo, (2400, 1800), interpolation=cv2.INTER_CUBIC),
                           np.uint8)
    rng = np.random.default_rng(9)
    forward = _random_forward(rng, (2400, 1800), (1500, 2000))
    moving = np.asarray(cv2.warpPerspective(reference, forward, (1500, 2000),
                                            flags=cv2.INTER_LINEAR,
                                            borderMode=cv2.BORDER_REFLECT_101), np.uint8)
    _save_jpeg(tmp_path / "ref.jpg", reference)
    # Stored sideways with orientation 6 ("rotate 90 CW to view"): oriented pixels = moving.
    _save_jpeg(tmp_path / "mov.jpg", np.ascontiguousarray(np.rot90(moving, 1)), orientation=6)
    result = align_files(tmp_path / "ref.jpg", tmp_path / "mov.jpg")
    assert result.ok, result.reason
    truth = np.linalg.inv(forward)
    assert corner_error(result.matrix, truth, (2400, 1800)) < 1.0  # type: ignore[arg-type]


def test_align_files_refuses_unreadable_file(photo: Image8, tmp_path: Path) -> None:
    _save_jpeg(tmp_path / "ref.jpg", photo)
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    result = align_files(tmp_path / "ref.jpg", tmp_path / "broken.jpg")
    assert not result.ok and result.matrix is None
    assert "broken.jpg" in (result.reason or "")

"""Properties of EXIF time parsing and of transform maths, checked on generated inputs.

The Hypothesis profile (tests/reliability/conftest.py) is derandomised and keeps no
example database, so every run and every CI machine checks the same examples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from hairtrack.core.imaging import io
from hairtrack.core.imaging.transforms import (
    Matrix,
    as_matrix,
    rescale_matrix,
    scaling_matrix,
    transform_points,
)

UTC = timezone.utc
NOW = datetime.now(UTC)

# ---- EXIF capture times --------------------------------------------------------------------

# [0-9], not \d: Hypothesis draws \d from every script's digits
exif_like = st.from_regex(r"\A-?[0-9]{1,5}:[0-9]{1,2}:[0-9]{1,2} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}"
                          r"\x00*\Z")
offset_like = st.from_regex(r"\A\s?[+-]?[0-9]{1,3}:?[0-9]{1,3}\x00?\Z")


def exif_text(moment: datetime) -> str:
    return f"{moment.year:04d}:{moment:%m:%d %H:%M:%S}"


def offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def check_outcome(result: tuple[datetime | None, str | None]) -> None:
    """Exactly one of a UTC time and a note, and a used time is a plausible one."""
    moment, note = result
    assert (moment is None) != (note is None)
    if moment is not None:
        assert moment.utcoffset() == timedelta(0)
        assert io.EARLIEST_PLAUSIBLE <= moment <= datetime.now(UTC) + timedelta(days=1)
    else:
        assert isinstance(note, str) and note


@given(st.one_of(st.text(), exif_like), st.one_of(st.none(), st.text(), offset_like))
def test_any_exif_text_gives_a_time_or_a_note_and_never_raises(taken: str,
                                                               offset: str | None) -> None:
    check_outcome(io.parse_exif_time(taken, offset))


offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59)


@given(st.one_of(st.sampled_from([datetime.min, datetime.max]), st.datetimes()).map(exif_text),
       st.from_regex(r"\A[+-][0-9][0-9]:[0-9][0-9]\Z"))
def test_every_well_formed_time_and_offset_gives_a_time_or_a_note(taken: str,
                                                                  offset: str) -> None:
    """Years 1 to 9999 (whose UTC instant may not exist) and offsets up to +99:99."""
    check_outcome(io.parse_exif_time(taken, offset))


plausible = st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2025, 1, 1),
                         timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0))


@given(plausible, offsets)
def test_a_valid_time_and_offset_round_trip_to_the_same_instant(moment: datetime,
                                                                minutes: int) -> None:
    wall = moment + timedelta(minutes=minutes)  # what the camera's clock showed
    assert io.parse_exif_time(exif_text(wall), offset_text(minutes)) == (moment, None)
    # padding and the NUL terminators that some cameras leave are tolerated
    assert io.parse_exif_time(f" {exif_text(wall)}\x00", f"{offset_text(minutes)}\x00") == (
        moment, None)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plausible, st.one_of(st.none(), st.text(max_size=8).filter(lambda t: ":" not in t),
                            st.sampled_from(["+24:00", "+05:60", "+5:00", "05:00", "+99:99"])))
def test_without_a_valid_offset_the_time_is_local(local_zone: Callable[[str], None],
                                                  moment: datetime, offset: str | None) -> None:
    local_zone("XXX+05")  # UTC-5, no daylight saving
    wall = moment - timedelta(hours=5)
    assert io.parse_exif_time(exif_text(wall), offset) == (moment, None)


implausible = st.one_of(
    st.datetimes(max_value=datetime(1989, 12, 30), timezones=st.just(UTC)),
    st.datetimes(min_value=(NOW + timedelta(days=2)).replace(tzinfo=None),
                 timezones=st.just(UTC)))


@given(implausible, offsets)
def test_implausible_times_are_refused_with_a_note(moment: datetime, minutes: int) -> None:
    try:
        wall = moment + timedelta(minutes=minutes)
    except OverflowError:
        wall = moment  # year 1 or 9999: the text itself is then out of range with the offset
    moment_seconds = wall.replace(microsecond=0)
    found, note = io.parse_exif_time(exif_text(moment_seconds), offset_text(minutes))
    assert found is None
    assert note is not None and any(words in note for words in
                                    ("before 1990", "in the future", "out of range"))


@settings(max_examples=25)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
       st.one_of(st.none(), st.text(alphabet=st.characters(min_codepoint=32,
                                                           max_codepoint=126), max_size=8)))
def test_any_exif_text_in_a_real_file_never_rejects_the_photo(
        tmp_path_factory: pytest.TempPathFactory, taken: str, offset: str | None) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = taken
    if offset is not None:
        exif.get_ifd(0x8769)[36881] = offset
    path = tmp_path_factory.mktemp("exif") / "photo.jpg"
    Image.new("RGB", (32, 24), (90, 60, 30)).save(path, quality=90, exif=exif.tobytes())
    info = io.validate_image(Path(path))
    assert (info.width, info.height) == (32, 24)
    if taken.strip(" \x00"):
        check_outcome((info.exif_time, info.exif_time_note))
    assert io.probe_capture_time(path) == (info.exif_time, info.exif_time_note)


# ---- transform maths -----------------------------------------------------------------------

@st.composite
def matrices(draw: st.DrawFn, perspective: bool = True) -> Matrix:
    """Well-conditioned transforms of the kind alignment produces (and some more)."""
    angle = draw(st.floats(-math.pi, math.pi))
    scale = math.exp(draw(st.floats(-1.0, 1.0)))
    stretch = math.exp(draw(st.floats(-0.3, 0.3)))
    shear = draw(st.floats(-0.3, 0.3))
    tx, ty = draw(st.floats(-500, 500)), draw(st.floats(-500, 500))
    g, h = (draw(st.floats(-1e-4, 1e-4)), draw(st.floats(-1e-4, 1e-4))) if perspective else (
        0.0, 0.0)
    c, s = math.cos(angle), math.sin(angle)
    linear = np.array([[c, -s], [s, c]]) @ np.array([[scale * stretch, shear],
                                                     [0.0, scale / stretch]])
    return np.array([[linear[0, 0], linear[0, 1], tx], [linear[1, 0], linear[1, 1], ty],
                     [g, h, 1.0]])


points = st.lists(st.tuples(st.floats(0, 2000), st.floats(0, 2000)), min_size=1, max_size=20)
scales = st.tuples(st.floats(0.05, 4.0), st.floats(0.05, 4.0))


@given(matrices(), points)
def test_mapping_points_by_m_then_its_inverse_returns_them(m: Matrix,
                                                           pts: list[tuple[float, float]]) -> None:
    there = transform_points(m, pts)
    back = transform_points(np.linalg.inv(m), there)
    np.testing.assert_allclose(back, np.asarray(pts), atol=1e-6)


@given(matrices(), matrices(), points)
def test_composition_is_applying_one_after_the_other(a: Matrix, b: Matrix,
                                                     pts: list[tuple[float, float]]) -> None:
    via_b = transform_points(b, pts)
    assume(np.all(np.abs(via_b) < 1e5))
    np.testing.assert_allclose(transform_points(a @ b, pts), transform_points(a, via_b),
                               rtol=1e-9, atol=1e-6)


@given(matrices(), st.floats(0.01, 100.0) | st.floats(-100.0, -0.01))
def test_as_matrix_normalises_scale_and_accepts_2x3(m: Matrix, k: float) -> None:
    np.testing.assert_allclose(as_matrix(k * m), m, rtol=1e-12, atol=1e-12)
    affine = m[:2].copy()
    np.testing.assert_array_equal(as_matrix(affine)[2], [0.0, 0.0, 1.0])


@given(matrices(), scales, scales)
def test_scaling_to_full_resolution_and_back_is_identity(m: Matrix, mov: tuple[float, float],
                                                         ref: tuple[float, float]) -> None:
    full = rescale_matrix(m, mov, ref)
    back = rescale_matrix(full, (1 / mov[0], 1 / mov[1]), (1 / ref[0], 1 / ref[1]))
    np.testing.assert_allclose(back, m, rtol=1e-7, atol=1e-9)


@given(matrices(), points, scales, scales)
def test_a_rescaled_matrix_maps_full_resolution_points_like_the_small_one(
        m: Matrix, pts: list[tuple[float, float]], mov: tuple[float, float],
        ref: tuple[float, float]) -> None:
    """Full-res moving point -> its place in the small copy -> m -> back to full-res ref."""
    p = np.asarray(pts)
    small = np.column_stack([(p[:, 0] + 0.5) * mov[0] - 0.5, (p[:, 1] + 0.5) * mov[1] - 0.5])
    mapped = transform_points(m, small)
    expected = np.column_stack([(mapped[:, 0] + 0.5) / ref[0] - 0.5,
                                (mapped[:, 1] + 0.5) / ref[1] - 0.5])
    np.testing.assert_allclose(transform_points(rescale_matrix(m, mov, ref), p), expected,
                               rtol=1e-7, atol=1e-6)


@given(scales, scales)
def test_two_copies_of_one_photo_are_the_identity_at_full_resolution(
        mov: tuple[float, float], ref: tuple[float, float]) -> None:
    between_copies = scaling_matrix(*ref) @ np.linalg.inv(scaling_matrix(*mov))
    np.testing.assert_allclose(rescale_matrix(between_copies, mov, ref), np.eye(3), atol=1e-9)


@given(matrices(perspective=False), matrices(perspective=False), scales, scales, scales)
def test_rescaling_respects_composition_across_three_resolutions(
        a: Matrix, b: Matrix, s1: tuple[float, float], s2: tuple[float, float],
        s3: tuple[float, float]) -> None:
    """(a after b) carried to full resolution = a carried, after b carried."""
    whole = rescale_matrix(a @ b, s1, s3)
    parts = rescale_matrix(a, s2, s3) @ rescale_matrix(b, s1, s2)
    np.testing.assert_allclose(whole, as_matrix(parts), rtol=1e-7, atol=1e-7)

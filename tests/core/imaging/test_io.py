"""Safe decoding: every file is decoded for real, oriented, timed, or refused with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from hairtrack.core.imaging import io

SCALP = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"

ORIENTATION = 0x0112
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867
OFFSET_TIME_ORIGINAL = 36881

RED = (255, 0, 0)
GREY = (128, 128, 128)


def marked_image(width: int = 96, height: int = 64) -> Image.Image:
    """Grey with a red block in the stored top-left corner: an asymmetric marker."""
    image = Image.new("RGB", (width, height), GREY)
    image.paste(RED, (0, 0, width // 4, height // 4))
    return image


def save_with_exif(image: Image.Image, path: Path, *, orientation: int | None = None,
                   taken: str | None = None, offset: str | None = None,
                   fmt: str | None = None) -> Path:
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken
    if offset is not None:
        exif.get_ifd(EXIF_IFD)[OFFSET_TIME_ORIGINAL] = offset
    kwargs = {"quality": 95} if (fmt or path.suffix) in ("JPEG", ".jpg") else {}
    image.save(path, format=fmt, exif=exif.tobytes(), **kwargs)
    return path


def red_corner(bgr: np.ndarray) -> str:
    """Which corner holds the red marker (BGR input, as read_image returns)."""
    h, w = bgr.shape[:2]
    corners = {"top-left": bgr[: h // 8, : w // 8], "top-right": bgr[: h // 8, -w // 8:],
               "bottom-left": bgr[-h // 8:, : w // 8], "bottom-right": bgr[-h // 8:, -w // 8:]}
    red = [name for name, patch in corners.items()
           if patch[..., 2].mean() > 200 and patch[..., 1].mean() < 60]
    assert len(red) == 1, f"expected one red corner, found {red}"
    return red[0]


def imread(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture
def local_tz_minus5(local_zone: Callable[[str], None]) -> None:
    """Make the process's local time zone UTC-5 so 'local' differs from UTC."""
    local_zone("XXX+05")


# ---- orientation ------------------------------------------------------------------------------

@pytest.mark.parametrize(("orientation", "corner", "size"), [
    (1, "top-left", (96, 64)),
    (3, "bottom-right", (96, 64)),
    (6, "top-right", (64, 96)),   # rotate 90 degrees clockwise to view
    (8, "bottom-left", (64, 96)),  # rotate 90 degrees counter-clockwise to view
])
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int, corner: str,
                                     size: tuple[int, int]) -> None:
    path = save_with_exif(marked_image(), tmp_path / "o.jpg", orientation=orientation)
    info = io.validate_image(path)
    assert (info.width, info.height) == size
    bgr = io.read_image(path)
    assert (bgr.shape[1], bgr.shape[0]) == size
    assert bgr.dtype == np.uint8 and bgr.flags["C_CONTIGUOUS"]
    assert red_corner(bgr) == corner


def test_read_image_is_bgr_like_cv2(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    marked_image().save(path)
    ours = io.read_image(path)
    theirs = imread(path)
    assert np.array_equal(ours, theirs)


def test_read_reduced_applies_orientation(tmp_path: Path) -> None:
    path = save_with_exif(marked_image(400, 200), tmp_path / "o6.jpg", orientation=6)
    bgr, scale = io.read_reduced(path, 100)
    assert bgr.shape[:2] == (100, 50)
    assert scale == pytest.approx(0.25)
    assert red_corner(bgr) == "top-right"


# ---- capture time -----------------------------------------------------------------------------

def test_exif_time_with_offset_is_converted_to_utc(tmp_path: Path) -> None:
    path = save_with_exif(marked_image(), tmp_path / "t.jpg", taken="2024:03:05 14:30:00",
                          offset="+02:00")
    info = io.validate_image(path)
    assert info.exif_time == datetime(2024, 3, 5, 12, 30, tzinfo=timezone.utc)
    assert info.exif_time_note is None
    assert io.probe_capture_time(path) == (info.exif_time, None)


def test_exif_time_with_negative_offset(tmp_path: Path) -> None:
    path = save_with_exif(marked_image(), tmp_path / "t.jpg", taken="2024:03:05 22:30:00",
                          offset="-05:00")
    assert io.probe_capture_time(path)[0] == datetime(2024, 3, 6, 3, 30, tzinfo=timezone.utc)


def test_exif_time_without_offset_is_local_time(tmp_path: Path, local_tz_minus5: None) -> None:
    path = save_with_exif(marked_image(), tmp_path / "t.jpg", taken="2024:03:05 14:30:00")
    moment, note = io.probe_capture_time(path)
    assert note is None
    assert moment == datetime(2024, 3, 5, 19, 30, tzinfo=timezone.utc)
    assert moment is not None and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("taken", "words"), [
    ("1970:01:01 00:00:00", "before 1990"),
    (f"{datetime.now().year + 5}:06:01 12:00:00", "future"),
    ("0000:00:00 00:00:00", "not a valid date"),
])
def test_implausible_exif_times_are_ignored_with_a_note(tmp_path: Path, taken: str,
                                                        words: str) -> None:
    path = save_with_exif(marked_image(), tmp_path / "t.jpg", taken=taken, offset="+00:00")
    info = io.validate_image(path)
    assert info.exif_time is None
    assert info.exif_time_note is not None and words in info.exif_time_note


def test_no_exif_gives_no_time_and_no_note(tmp_path: Path) -> None:
    path = tmp_path / "plain.jpg"
    marked_image().save(path)
    assert io.probe_capture_time(path) == (None, None)


def test_probe_capture_time_of_a_bad_file_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / "bad.jpg"
    path.write_text("not a photo")
    assert io.probe_capture_time(path) == (None, None)


# ---- formats ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("suffix", "fmt", "media_type"), [
    (".jpg", "JPEG", "image/jpeg"),
    (".png", "PNG", "image/png"),
    (".tif", "TIFF", "image/tiff"),
    (".webp", "WEBP", "image/webp"),
])
def test_common_formats_decode(tmp_path: Path, suffix: str, fmt: str, media_type: str) -> None:
    path = tmp_path / f"x{suffix}"
    marked_image().save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    info = io.validate_image(path)
    assert (info.format, info.media_type, info.width, info.height) == (fmt, media_type, 96, 64)
    bgr = io.read_image(path)
    assert red_corner(bgr) == "top-left"
    assert abs(int(bgr[40, 80, 0]) - 128) <= 3  # the grey background survived


def test_heic_decodes_with_orientation_and_time(tmp_path: Path) -> None:
    assert io.HEIF_SUPPORTED  # pillow-heif is a dependency: phones save HEIC
    path = tmp_path / "phone.heic"
    try:
        save_with_exif(marked_image(), path, orientation=6, taken="2024:03:05 14:30:00",
                       offset="+02:00", fmt="HEIF")
    except (KeyError, OSError, ValueError) as exc:  # a build without an HEVC encoder
        pytest.skip(f"pillow_heif cannot write HEIF here: {exc}")
    info = io.validate_image(path)
    assert (info.format, info.media_type) == ("HEIF", "image/heif")
    assert (info.width, info.height) == (64, 96)
    assert info.exif_time == datetime(2024, 3, 5, 12, 30, tzinfo=timezone.utc)
    assert red_corner(io.read_image(path)) == "top-right"


def test_16_bit_png_maps_like_cv2(tmp_path: Path) -> None:
    """A fixed 16-to-8-bit mapping: a mid-grey 16-bit photo must not come out white."""
    values = np.full((40, 60), 32896, np.uint16)  # 128 * 257: mid-grey
    values[:10, :10] = 65535
    values[-10:, -10:] = 0
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), values)
    with Image.open(path) as check:
        assert check.mode.startswith("I;16")
    ours = io.read_image(path)
    assert ours.shape == (40, 60, 3)
    assert np.array_equal(ours, imread(path))
    assert ours[20, 30].tolist() == [128, 128, 128]
    assert io.validate_image(path).format == "PNG"


def test_16_bit_rgb_tiff_decodes(tmp_path: Path) -> None:
    values = np.zeros((40, 60, 3), np.uint16)
    values[..., 2] = 65535  # red in BGR order
    path = tmp_path / "deep.tif"
    assert cv2.imwrite(str(path), values)
    bgr = io.read_image(path)
    assert bgr[20, 30].tolist() == [0, 0, 255]


# ---- reduced decoding and thumbnails ----------------------------------------------------------

@pytest.fixture(scope="module")
def large_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1600x1200 photo made from a real scalp photo (4:3, like a phone camera)."""
    source = imread(sorted(SCALP.glob("*.jpg"))[3])
    big = cv2.resize(source, (1600, 1200), interpolation=cv2.INTER_CUBIC)
    path = tmp_path_factory.mktemp("large") / "large.jpg"
    assert cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


@pytest.mark.parametrize("max_side", [400, 800, 1000])
def test_read_reduced_is_close_to_a_resized_full_decode(large_jpeg: Path, max_side: int) -> None:
    reduced, scale = io.read_reduced(large_jpeg, max_side)
    h, w = reduced.shape[:2]
    assert max(h, w) <= max_side
    assert max(h, w) == max_side  # shrunk to the limit, not below it
    assert scale == pytest.approx(max_side / 1600)
    assert (w, h) == (round(1600 * scale), round(1200 * scale))
    full = io.read_image(large_jpeg)
    reference = cv2.resize(full, (w, h), interpolation=cv2.INTER_AREA)
    assert psnr(reduced, reference) > 30.0


@pytest.mark.parametrize(("size", "side"), [((4032, 3024), 2016), ((4001, 3001), 2001)])
def test_a_camera_jpeg_read_just_under_the_limit_decodes_at_half_size(
        tmp_path: Path, size: tuple[int, int], side: int) -> None:
    """A 12 MP photo read at 2048 px: the half-size DCT decode (2016 px), not a full one resized.

    Pillow picks the DCT scale by floor division and libjpeg rounds the
    scaled size up, so an odd-sized photo must still decode at half size.
    """
    source = imread(sorted(SCALP.glob("*.jpg"))[3])
    path = tmp_path / "camera.jpg"
    assert cv2.imwrite(str(path), cv2.resize(source, size, interpolation=cv2.INTER_CUBIC),
                       [cv2.IMWRITE_JPEG_QUALITY, 90])
    reduced, scale = io.read_reduced(path, 2048)
    assert max(reduced.shape[:2]) == side
    assert scale == pytest.approx(side / size[0])
    # 2016, not 2048: no full decode was resized. The pixels are that DCT-domain decode
    # (OpenCV's own, with its own libjpeg build: the same to within rounding).
    half = cv2.imread(str(path), cv2.IMREAD_REDUCED_COLOR_2)
    assert half.shape == reduced.shape and psnr(reduced, half) > 40.0


def test_a_jpeg_far_above_a_dct_scale_is_still_read_at_the_limit(tmp_path: Path) -> None:
    """A 2400-px photo at 2048: half size (1200) is too far under; decoded fully, then reduced."""
    source = imread(sorted(SCALP.glob("*.jpg"))[3])
    path = tmp_path / "large.jpg"
    assert cv2.imwrite(str(path), cv2.resize(source, (2400, 1800), interpolation=cv2.INTER_CUBIC),
                       [cv2.IMWRITE_JPEG_QUALITY, 92])
    reduced, scale = io.read_reduced(path, 2048)
    assert reduced.shape[:2] == (1536, 2048)
    assert scale == pytest.approx(2048 / 2400)


def test_read_reduced_leaves_small_images_alone(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    marked_image().save(path)
    reduced, scale = io.read_reduced(path, 500)
    assert scale == 1.0
    assert np.array_equal(reduced, io.read_image(path))


def test_read_reduced_png(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    marked_image(300, 150).save(path)
    reduced, scale = io.read_reduced(path, 100)
    assert reduced.shape == (50, 100, 3)
    assert scale == pytest.approx(1 / 3)
    assert red_corner(reduced) == "top-left"


def test_make_thumbnail(tmp_path: Path, large_jpeg: Path) -> None:
    target = tmp_path / "cache" / "thumbs" / "t.jpg"
    io.make_thumbnail(large_jpeg, target, max_side=256)
    with Image.open(target) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (256, 192)
    assert not list(target.parent.glob("*.tmp"))


def test_make_thumbnail_is_oriented(tmp_path: Path) -> None:
    source = save_with_exif(marked_image(400, 200), tmp_path / "o6.jpg", orientation=6)
    target = tmp_path / "thumb.jpg"
    io.make_thumbnail(source, target, max_side=100)
    thumb = imread(target)
    assert red_corner(thumb) == "top-right"
    assert thumb.shape[:2] == (100, 50)


def test_make_thumbnail_refuses_bad_input(tmp_path: Path) -> None:
    source = tmp_path / "bad.jpg"
    source.write_bytes(b"\xff\xd8\xff" + b"\x00" * 100)
    with pytest.raises(io.ImageError):
        io.make_thumbnail(source, tmp_path / "thumb.jpg")
    assert not (tmp_path / "thumb.jpg").exists()


def test_real_scalp_photos_validate() -> None:
    photos = sorted(SCALP.glob("*.jpg"))
    assert len(photos) == 76
    for path in photos[:10]:
        info = io.validate_image(path)
        assert (info.format, info.width, info.height) == ("JPEG", 640, 640)

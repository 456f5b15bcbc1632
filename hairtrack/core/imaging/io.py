"""Safe image decoding: every file is really decoded, never trusted.

Photos arrive from phones, cameras and shared folders; any of them may be
truncated, corrupt, mislabelled or absurdly large. Everything here either
returns pixels with EXIF orientation applied or raises `ImageError` with a
sentence a clinician can act on.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # phones save HEIC/HEIF; the plugin is a dependency but keep import failure explicit
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - exercised only on broken installs
    HEIF_SUPPORTED = False

#: Largest accepted image: 200 megapixels covers every phone and medical camera.
MAX_PIXELS = 200_000_000
#: Largest accepted file; bigger files are not photos we can use.
MAX_FILE_BYTES = 512 * 1024 * 1024
SUPPORTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff",
                     "WEBP": "image/webp", "HEIF": "image/heif", "MPO": "image/jpeg"}
SUPPORTED_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".heic",
                      ".heif", ".hif"}

# We do our own, clearer size check; keep Pillow's bomb guard as a backstop only.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
_DATETIME = 306

BGRImage = NDArray[np.uint8]


class ImageError(Exception):
    """A file that cannot be used as a photo; the message says why."""


@dataclass(frozen=True)
class ImageInfo:
    """What validation learned about a file without keeping its pixels."""

    format: str
    media_type: str
    width: int  # after EXIF orientation
    height: int
    exif_time: datetime | None
    exif_time_note: str | None  # why an EXIF time was present but not used


def require_bgr(image: NDArray[np.generic], what: str = "image") -> None:
    """The arrays the imaging functions take: non-empty HxWx3 uint8 BGR (as cv2.imread gives).

    Checked up front so that a wrong array is a ValueError naming it, not an
    OpenCV assertion or a division by zero deep inside a measurement.
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{what} must be HxWx3 uint8 BGR, got {image.dtype} {image.shape}")
    if image.size == 0:
        raise ValueError(f"{what} is empty ({image.shape[1]}x{image.shape[0]} pixels)")


def _open(path: Path) -> Image.Image:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise ImageError("file is empty")
    if size > MAX_FILE_BYTES:
        raise ImageError(f"file is too large ({size / 2**20:.0f} MB)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a corrupt EXIF block is noted later
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image is too large to be a photo ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("not an image file, or an unsupported format") from exc
    except PermissionError as exc:
        raise ImageError("permission denied") from exc
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc}") from exc
    if image.format not in SUPPORTED_FORMATS:
        image.close()
        raise ImageError(f"unsupported image format {image.format}")
    w, h = image.size
    if w * h > MAX_PIXELS:
        image.close()
        raise ImageError(f"image is too large to be a photo ({w}x{h} pixels)")
    if w < 16 or h < 16:
        image.close()
        raise ImageError(f"image is too small to be a photo ({w}x{h} pixels)")
    return image


def _decode(image: Image.Image) -> Image.Image:
    """Decode all pixel data (truncation shows only here) and apply orientation."""
    try:
        image.load()
        with warnings.catch_warnings():  # a damaged EXIF block is noted, not an error
            warnings.simplefilter("ignore", UserWarning)
            # In place: an upright photo is not copied (a 12 MP copy costs about 25 ms).
            ImageOps.exif_transpose(image, in_place=True)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        message = str(exc) or type(exc).__name__
        if "truncated" in message.lower():
            raise ImageError("image file is truncated (incomplete copy?)") from exc
        raise ImageError(f"image data is corrupt: {message}") from exc
    return image


def _to_bgr(image: Image.Image) -> BGRImage:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        # A fixed 16-to-8-bit mapping, as cv2.imread does: stretching each photo to its own
        # maximum would change its brightness, and with it every coverage threshold.
        grey = (np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if image.mode in ("I", "F"):  # range unknown: stretch to the image's own maximum
        array = np.asarray(image, dtype=np.float64)
        top = float(array.max()) or 1.0
        grey = np.clip(array * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    # One OpenCV pass: a reversed view made contiguous by NumPy costs twice as long.
    return np.asarray(cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR), np.uint8)


def validate_image(path: Path) -> ImageInfo:
    """Fully decode `path` and report its format, oriented size and EXIF time."""
    with _open(path) as image:
        fmt = image.format or "?"
        exif_time, note = _exif_capture_time(image)
        decoded = _decode(image)
        width, height = decoded.size
    return ImageInfo(fmt, SUPPORTED_FORMATS[fmt], width, height, exif_time, note)


def probe_capture_time(path: Path) -> tuple[datetime | None, str | None]:
    """EXIF capture time from the header alone (no pixel decode), for quick scans."""
    try:
        with _open(path) as image:
            return _exif_capture_time(image)
    except ImageError:
        return None, None


def read_image(path: Path | str) -> BGRImage:
    """Full-resolution BGR pixels (as cv2.imread would give) with orientation applied."""
    with _open(Path(path)) as image:
        return _to_bgr(_decode(image))


def read_reduced(path: Path | str, max_side: int) -> tuple[BGRImage, float]:
    """A copy no larger than `max_side`, decoded cheaply where the format allows.

    Returns the pixels and the scale factor from full-resolution (oriented)
    coordinates to the returned copy's coordinates. The copy's longest side
    is `max_side`, except that a JPEG whose DCT-scaled decode (1/2, 1/4, 1/8)
    lands within `CHEAP_SHARE` under it is returned at that size: a 12 MP
    photo (4000 or 4032 px) read at 2048 decodes at half size in a quarter of
    the time, where a full decode and a resize would keep 2 % more detail.
    """
    with _open(Path(path)) as image:
        oriented_longest = max(image.size)  # a 90-degree turn keeps the longest side
        if image.format in ("JPEG", "MPO") and oriented_longest > max_side:
            image.draft("RGB", _draft_request(image.size, max_side))
        pixels = _to_bgr(_decode(image))
    longest = max(pixels.shape[:2])
    if longest > max_side:
        ratio = max_side / longest
        h, w = pixels.shape[:2]
        new_size = (max(1, round(w * ratio)), max(1, round(h * ratio)))
        pixels = np.asarray(cv2.resize(pixels, new_size, interpolation=cv2.INTER_AREA), np.uint8)
    return pixels, max(pixels.shape[:2]) / oriented_longest


#: A DCT-scaled JPEG decode this close under the requested side is taken as it is.
CHEAP_SHARE = 0.9


def _draft_request(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size to ask Pillow's `draft` for: it decodes at the coarsest DCT scale reaching it.

    The request has the photo's own shape (a square one would be set by the
    shorter side and decode a 4:3 photo at twice the needed size).
    """
    w, h = size
    longest = max(w, h)
    for k in (8, 4, 2):
        side = -(-longest // k)  # libjpeg rounds a scaled size up ...
        if CHEAP_SHARE * max_side <= side <= max_side:
            return max(1, w // k), max(1, h // k)  # ... and Pillow picks k by floor division
    ratio = max_side / longest
    return max(1, int(w * ratio)), max(1, int(h * ratio))


def make_thumbnail(path: Path, destination: Path, max_side: int = 256, quality: int = 85) -> None:
    """Write a small JPEG preview using reduced decoding; never a full decode."""
    with _open(path) as image:
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (max_side, max_side))
        decoded = _decode(image).convert("RGB")
        decoded.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # per-process name: two processes may build the same thumbnail at once
        tmp = destination.with_name(f"{destination.stem}.tmp{os.getpid()}")
        decoded.save(tmp, "JPEG", quality=quality, optimize=True)
        if os.name == "posix":
            os.chmod(tmp, 0o600)  # a thumbnail of a patient photo is as private as the photo
        tmp.replace(destination)


def _exif_capture_time(image: Image.Image) -> tuple[datetime | None, str | None]:
    """DateTimeOriginal with its offset when present; naive times are taken as local."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a corrupt block: see below
            exif = image.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # malformed EXIF must not reject an otherwise good photo
        return None, "EXIF block is unreadable"
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not raw:
        # Pillow only warns about a corrupt block and returns no tags at all
        damaged = bool(image.info.get("exif")) and not exif
        return None, "EXIF block is unreadable" if damaged else None
    # the offset tag belongs to DateTimeOriginal; never pair it with plain DateTime
    offset = sub.get(_OFFSET_TIME_ORIGINAL) if sub.get(_DATETIME_ORIGINAL) else None
    return parse_exif_time(str(raw), str(offset) if offset else None)


def parse_exif_time(taken: str, offset: str | None = None,
                    ) -> tuple[datetime | None, str | None]:
    """An EXIF "YYYY:MM:DD HH:MM:SS" time and optional "+HH:MM" offset as a UTC instant.

    Without a valid offset the time is taken as local. Returns (None, note) for any
    text that is not a plausible capture time; never raises.
    """
    text = taken.strip().strip("\x00").strip()
    try:
        naive = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, f"EXIF capture time {text[:40]!r} is not a valid date"
    tz = _parse_offset(offset) if offset else None
    try:
        aware = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    except (OverflowError, OSError, ValueError):  # outside what the platform's clock handles
        return None, f"EXIF capture time {text!r} is out of range"
    return plausible_time(aware)


_OFFSET = re.compile(r"([+-])(\d\d):([0-5]\d)", re.ASCII)


def _parse_offset(text: str) -> timezone | None:
    match = _OFFSET.fullmatch(text.strip().strip("\x00").strip())
    if match is None or int(match[2]) > 23:
        return None
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    return timezone(-delta if match[1] == "-" else delta)


EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=timezone.utc)


def plausible_time(moment: datetime) -> tuple[datetime | None, str | None]:
    """Reject camera clocks that were never set or set in the future."""
    try:
        utc = moment.astimezone(timezone.utc)
    except (OverflowError, OSError, ValueError):  # e.g. year 1 at a positive UTC offset
        return None, f"capture time {moment.isoformat()} is out of range"
    if utc < EARLIEST_PLAUSIBLE:
        return None, f"capture time {utc:%Y-%m-%d} is before 1990 (camera clock not set?)"
    if utc > datetime.now(timezone.utc) + timedelta(days=1):
        return None, f"capture time {utc:%Y-%m-%d} is in the future (camera clock wrong?)"
    return utc, None

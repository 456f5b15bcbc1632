"""Refusals: a file that is not a usable photo is refused with a reason a clinic can act on.

Every refusal must come from all three entry points (validation at import,
full decode, reduced decode), so a bad file can never reach the analysis.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from hairtrack.core.imaging import io

SCALP = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose IHDR claims an enormous size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def real_jpeg_bytes() -> bytes:
    return sorted(SCALP.glob("*.jpg"))[0].read_bytes()


def refusal(path: Path) -> str:
    with pytest.raises(io.ImageError) as caught:
        io.validate_image(path)
    with pytest.raises(io.ImageError):
        io.read_image(path)
    with pytest.raises(io.ImageError):
        io.read_reduced(path, 64)
    return str(caught.value)


def test_truncated_jpeg(tmp_path: Path) -> None:
    data = real_jpeg_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in refusal(path)


def test_corrupt_bytes_in_the_middle(tmp_path: Path) -> None:
    data = bytearray(real_jpeg_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 2000):
        data[i] = (data[i] * 7 + 13) & 0xFF
    path = tmp_path / "corrupt.jpg"
    path.write_bytes(bytes(data))
    assert "corrupt" in refusal(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()
    assert refusal(path) == "file is empty"


def test_text_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("patient said the photos are attached\n" * 20)
    assert "not an image" in refusal(path)


def test_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    Image.new("RGB", (96, 64), (128, 128, 128)).save(path)
    assert "unsupported image format GIF" in refusal(path)


@pytest.mark.parametrize("side", [30000, 15000])
def test_decompression_bomb_header(tmp_path: Path, side: int) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(side, side))
    assert path.stat().st_size < 200
    assert "too large" in refusal(path)


def test_too_small_image(tmp_path: Path) -> None:
    path = tmp_path / "icon.png"
    Image.new("RGB", (12, 40)).save(path)
    assert "too small" in refusal(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "No such file" in refusal(tmp_path / "gone.jpg")


def test_directory_given_as_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like.jpg"
    folder.mkdir()
    assert "cannot read file" in refusal(folder)


def test_permission_denied_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads anything, so make Pillow's open fail the way an unreadable file does."""
    path = tmp_path / "locked.jpg"
    Image.new("RGB", (96, 64), (128, 128, 128)).save(path)

    def denied(*_args: object, **_kwargs: object) -> Image.Image:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Image, "open", denied)
    assert refusal(path) == "permission denied"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root (as in CI) can read a chmod 000 file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.jpg"
    Image.new("RGB", (96, 64), (128, 128, 128)).save(path)
    path.chmod(0)
    try:
        assert "permission denied" in refusal(path).lower()
    finally:
        path.chmod(0o644)

"""Every kind of bad input in one batch, mixed with real photos, through the service and the CLI.

Each case is built here from scratch (no binary fixtures). Each file is either imported
with the right size (and a note where its capture time could not be used) or rejected
with a reason that names the problem; the rest of the batch is imported, and no row or
stored file is left half-made.
"""

from __future__ import annotations

import io as pyio
import json
import os
import shutil
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from hairtrack.cli.main import main
from hairtrack.core.domain import CaptureSource
from hairtrack.core.imaging import io
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer, records

RED, BLUE = (255, 0, 0), (0, 0, 255)
LATIN1_NAME = b"caf\xe9.jpg"  # "café.jpg" as an old camera card or a Windows zip stores it


@dataclass(frozen=True)
class Accepted:
    path: Path
    size: tuple[int, int]  # width, height of the (first) image
    note: str | None = None  # words the import note must hold; None: no note at all
    centre_bgr: tuple[int, int, int] | None = None  # proves which frame or page was used
    exif_time: datetime | None = None  # the capture time EXIF must give


@dataclass
class Batch:
    inputs: list[Path]  # what the user hands to the import
    accepted: list[Accepted]
    rejected: dict[Path, str]  # path -> words the reason must hold
    vanishing: Path  # deleted between the folder scan and its import
    locked: Path  # becomes unreadable after it was validated, before it is copied


def png_claiming(width: int, height: int) -> bytes:
    """A 100-byte PNG whose header claims `width` x `height` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def jpeg_with_damaged_exif(path: Path) -> Path:
    """A good JPEG whose APP1 EXIF block claims 65535 tags and then ends."""
    buffer = pyio.BytesIO()
    Image.new("RGB", (56, 40), (30, 60, 90)).save(buffer, "JPEG", quality=95)
    jpeg = buffer.getvalue()
    app1 = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff" + bytes(range(48))
    path.write_bytes(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:])
    return path


def jpeg_with_exif_time(path: Path, size: tuple[int, int], taken: str, offset: str) -> Path:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = taken
    exif.get_ifd(0x8769)[36881] = offset
    Image.new("RGB", size, (90, 60, 30)).save(path, quality=95, exif=exif.tobytes())
    return path


def frames(size: tuple[int, int]) -> list[Image.Image]:
    return [Image.new("RGB", size, colour) for colour in (RED, (0, 255, 0), BLUE)]


def build_batch(root: Path, photos: list[Path]) -> Batch:
    folder = root / "card"
    (folder / "album.jpg").mkdir(parents=True)  # a folder that looks like a photo
    real = [Path(shutil.copy2(photos[0], folder / "real-1.jpg")),
            Path(shutil.copy2(photos[1], folder / "real-2.jpg")),
            Path(shutil.copy2(photos[2], folder / "album.jpg" / "inside.jpg")),
            Path(os.fsdecode(shutil.copy2(photos[3], os.fsencode(folder) + b"/" + LATIN1_NAME))),
            Path(shutil.copy2(photos[4], folder / ("n" * 251 + ".jpg")))]  # a 255-byte name
    accepted = [Accepted(p, (640, 640)) for p in real]

    Image.new("CMYK", (48, 40), (0, 200, 200, 0)).save(folder / "cmyk.jpg", quality=95)
    Image.fromarray(np.full((30, 50), 40000, np.uint16)).save(folder / "deep.png")
    Image.new("P", (40, 36), 7).save(folder / "palette.png")
    first, *rest = frames((44, 32))
    first.save(folder / "animated.png", save_all=True, append_images=rest)
    first.save(folder / "animated.webp", save_all=True, append_images=rest, lossless=True)
    Image.new("RGB", (40, 30), RED).save(folder / "pages.tif", save_all=True,
                                         append_images=[Image.new("RGB", (80, 60), BLUE)])
    accepted += [Accepted(folder / "cmyk.jpg", (48, 40)),
                 Accepted(folder / "deep.png", (50, 30)),
                 Accepted(folder / "palette.png", (40, 36)),
                 Accepted(folder / "animated.png", (44, 32), centre_bgr=RED[::-1]),
                 Accepted(folder / "animated.webp", (44, 32), centre_bgr=RED[::-1]),
                 Accepted(folder / "pages.tif", (40, 30), centre_bgr=RED[::-1])]
    try:
        Image.new("RGB", (64, 48), BLUE).save(folder / "phone.heic", format="HEIF")
        accepted.append(Accepted(folder / "phone.heic", (64, 48)))
    except (KeyError, OSError, ValueError):  # a pillow-heif build without an HEVC encoder
        (folder / "phone.heic").unlink(missing_ok=True)
    accepted += [
        Accepted(jpeg_with_damaged_exif(folder / "damaged-exif.jpg"), (56, 40),
                 "EXIF block is unreadable"),
        Accepted(jpeg_with_exif_time(folder / "feb-30.jpg", (60, 40), "2023:02:30 10:00:00",
                                     "+01:00"), (60, 40), "not a valid date"),
        Accepted(jpeg_with_exif_time(folder / "year-1.jpg", (62, 40), "0001:01:01 00:00:00",
                                     "+05:00"), (62, 40), "out of range"),
        # an impossible offset is ignored: the time is local (UTC here, see the fixture)
        Accepted(jpeg_with_exif_time(folder / "bad-offset.jpg", (64, 40), "2023:02:03 10:00:00",
                                     "+99:99"), (64, 40),
                 exif_time=datetime(2023, 2, 3, 10, tzinfo=timezone.utc)),
    ]

    rejected: dict[Path, str] = {}

    def bad(name: str, data: bytes, words: str) -> None:
        (folder / name).write_bytes(data)
        rejected[folder / name] = words

    whole = photos[7].read_bytes()
    bad("empty.jpg", b"", "empty")
    bad("truncated.jpg", whole[: len(whole) // 2], "truncated")
    bad("notes.jpg", b"the photos are attached, see you Tuesday\n" * 20, "not an image")
    bad("program.jpg", b"\x7fELF\x02\x01\x01\x00" + bytes(4000), "not an image")
    bad("bomb.png", png_claiming(100_000, 100_000), "too large")
    Image.new("RGB", (1, 1)).save(folder / "pixel.png")
    rejected[folder / "pixel.png"] = "too small"
    os.symlink("loop-b.jpg", folder / "loop-a.jpg")
    os.symlink("loop-a.jpg", folder / "loop-b.jpg")
    rejected.update({folder / "loop-a.jpg": "link loop", folder / "loop-b.jpg": "link loop"})
    os.symlink("moved-away.jpg", folder / "dangling.jpg")
    rejected[folder / "dangling.jpg"] = "missing file"
    os.symlink(".", folder / "again")  # a folder link back to itself: the walk must end
    (folder / "readme.txt").write_text("not a photo suffix: skipped")
    vanishing = Path(shutil.copy2(photos[5], folder / "vanishing.jpg"))
    rejected[vanishing] = "No such file"
    locked = Path(shutil.copy2(photos[6], folder / "locked.jpg"))
    rejected[locked] = "cannot read the file: Permission denied"

    gif = root / "animated.gif"  # given by name: GIF is not a format we accept
    first.save(gif, save_all=True, append_images=rest)
    rejected[gif] = "unsupported image format GIF"
    empty_folder = root / "x.jpg"
    empty_folder.mkdir()
    rejected[empty_folder] = "no photos found in this folder"
    rejected[root / "never-existed.jpg"] = "no such file or folder"
    inputs = [folder, gif, empty_folder, root / "never-existed.jpg", real[0]]  # real[0] twice
    return Batch(inputs, accepted, rejected, vanishing, locked)


@pytest.fixture
def batch(tmp_path: Path, scalp_photos: list[Path], local_zone: Callable[[str], None],
          monkeypatch: pytest.MonkeyPatch,
          lock_after_validation: Callable[[Path], list[Path]]) -> Iterator[Batch]:
    local_zone("UTC0")
    made = build_batch(tmp_path / "input", scalp_photos)
    real_expand = importer.expand_paths

    def expand_then_delete(paths: Any) -> Any:  # the folder was scanned; now the file goes
        found = real_expand(paths)
        made.vanishing.unlink()
        return found

    monkeypatch.setattr(importer, "expand_paths", expand_then_delete)
    locked = lock_after_validation(made.locked)  # unplugged share, changed permissions...
    yield made
    assert locked == [made.locked]  # the lock really happened mid-import


Outcome = tuple[dict[str, dict[str, Any]], dict[str, str]]  # imported by path, reasons by path


def through_service(library: Library, patient_id: int, batch: Batch) -> Outcome:
    report = run_task(importer.import_paths(library, patient_id, batch.inputs))
    data = report.to_json()
    assert report.duplicates == () and not report.cancelled
    return ({i["path"]: i for i in data["imported"]},
            {r["path"]: r["reason"] for r in data["rejected"]})


def through_cli(library: Library, patient_id: int, batch: Batch,
                capsys: pytest.CaptureFixture[str]) -> Outcome:
    mrn = records.patient_record(library, patient_id).patient.mrn
    code = main(["--library", str(library.root), "import", "--patient", mrn, "--json",
                 *map(str, batch.inputs)])
    out, err = capsys.readouterr()
    assert code == 1, err  # some input was rejected
    data = json.loads(out)
    assert data["duplicates"] == []
    return ({i["path"]: i for i in data["imported"]},
            {r["path"]: r["reason"] for r in data["rejected"]})


@pytest.mark.parametrize("route", ["service", "cli"])
def test_a_batch_of_every_kind_of_bad_input(
        library: Library, patient_id: int, batch: Batch, route: str,
        capsys: pytest.CaptureFixture[str], consistent: Callable[[Library], None]) -> None:
    if route == "service":
        imported, reasons = through_service(library, patient_id, batch)
    else:
        imported, reasons = through_cli(library, patient_id, batch, capsys)

    shown = importer.display_path
    assert set(reasons) == {shown(p) for p in batch.rejected}, "rejected exactly the bad ones"
    for path, words in batch.rejected.items():
        assert words in reasons[shown(path)], (path.name, reasons[shown(path)])
    assert set(imported) == {shown(a.path) for a in batch.accepted}

    photos = {p.id: p for p in records.patient_record(library, patient_id).photos}
    assert set(photos) == {i["photo_id"] for i in imported.values()}
    for case in batch.accepted:
        item = imported[shown(case.path)]
        photo = photos[item["photo_id"]]
        assert (photo.width, photo.height) == case.size, case.path.name
        assert photo.original_name == shown(case.path.name)
        stored = library.store.path_for(photo.sha256)
        assert stored.read_bytes() == case.path.read_bytes()
        if case.note is None:
            assert item["note"] is None, (case.path.name, item["note"])
        else:
            assert item["note"] is not None and case.note in item["note"], case.path.name
            assert photo.capture_source is CaptureSource.FILE
            assert photo.captured_at == datetime.fromtimestamp(case.path.stat().st_mtime,
                                                               timezone.utc)
        if case.exif_time is not None:
            assert (photo.capture_source, photo.captured_at) == (CaptureSource.EXIF,
                                                                 case.exif_time)
        if case.centre_bgr is not None:
            pixels = io.read_image(stored)
            assert pixels.shape[:2] == (case.size[1], case.size[0])
            centre = pixels[case.size[1] // 2, case.size[0] // 2].tolist()
            assert centre == list(case.centre_bgr), case.path.name
    consistent(library)

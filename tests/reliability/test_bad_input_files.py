"""Files that change under the import, odd folders, links and names, one at a time."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hairtrack.cli.main import main
from hairtrack.core.imaging import io
from hairtrack.core.library import Library
from hairtrack.core.progress import Progress, run_task
from hairtrack.core.services import importer, records
from hairtrack.core.storage import photo_store
from hairtrack.core.storage.photo_store import sha256_of

Consistent = Callable[[Library], None]
linux_only = pytest.mark.skipif(sys.platform != "linux",
                                reason="other systems refuse file names that are not UTF-8")


def copies(folder: Path, photos: list[Path]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, folder / p.name)) for p in photos]


def import_(library: Library, patient_id: int, paths: list[Path],
            on_progress: Callable[[Progress], None] | None = None) -> importer.ImportReport:
    return run_task(importer.import_paths(library, patient_id, paths), on_progress)


# ---- files that change while they are imported --------------------------------------------

def test_a_file_deleted_between_scan_and_import(library: Library, patient_id: int,
                                                scalp_photos: list[Path], tmp_path: Path,
                                                consistent: Consistent) -> None:
    files = copies(tmp_path / "in", scalp_photos[:3])

    def delete_the_second(step: Progress) -> None:  # the folder was scanned; now it goes
        if step.label == files[1].name:
            files[1].unlink()

    report = import_(library, patient_id, [tmp_path / "in"], delete_the_second)
    assert [i.path for i in report.imported] == [files[0], files[2]]
    (rejected,) = report.rejected
    assert rejected.path == files[1]
    assert rejected.reason == "cannot read file: No such file or directory"
    consistent(library)


def test_a_file_that_becomes_unreadable_mid_import(
        library: Library, patient_id: int, scalp_photos: list[Path], tmp_path: Path,
        lock_after_validation: Callable[[Path], list[Path]], consistent: Consistent) -> None:
    files = copies(tmp_path / "in", scalp_photos[:3])
    locked = lock_after_validation(files[1])
    report = import_(library, patient_id, files)
    assert locked == [files[1]]
    assert [i.path for i in report.imported] == [files[0], files[2]]
    (rejected,) = report.rejected
    # the source is to blame, not the (perfectly writable) library
    assert rejected.reason == "could not store the photo: cannot read the file: Permission denied"
    consistent(library)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root (as in CI) can read a chmod 000 file")
def test_a_file_chmod_000_mid_import(library: Library, patient_id: int,
                                     scalp_photos: list[Path], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     consistent: Consistent) -> None:
    files = copies(tmp_path / "in", scalp_photos[:2])
    real_validate = io.validate_image

    def validate_then_chmod(path: Path) -> io.ImageInfo:
        info = real_validate(path)
        if path == files[0]:
            path.chmod(0)
        return info

    monkeypatch.setattr(io, "validate_image", validate_then_chmod)
    try:
        report = import_(library, patient_id, files)
    finally:
        files[0].chmod(0o644)
    assert [i.path for i in report.imported] == [files[1]]
    assert "cannot read the file: Permission denied" in report.rejected[0].reason
    consistent(library)


class ChangesAfterFirstRead:
    """A file handle that runs `change` once its first chunk has been read."""

    def __init__(self, handle: Any, change: Callable[[], None]) -> None:
        self.handle, self.change, self.changed = handle, change, False

    def __enter__(self) -> ChangesAfterFirstRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def read(self, size: int = -1) -> bytes:
        chunk: bytes = self.handle.read(size)
        if not self.changed:
            self.changed = True
            self.change()
        return chunk


def change_during_copy(monkeypatch: pytest.MonkeyPatch, library: Library, victim: Path,
                       change: Callable[[], None]) -> None:
    """Run `change` after the store has copied the first 4 KiB of `victim` (a real copy)."""
    monkeypatch.setattr(photo_store, "_CHUNK", 4096)
    real_open, real_add = Path.open, library.store.add
    copying: list[Path] = []

    def add(source: Path) -> photo_store.StoredFile:
        copying.append(source)
        try:
            return real_add(source)
        finally:
            copying.clear()

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, *args, **kwargs)
        return ChangesAfterFirstRead(handle, change) if self in copying else handle

    monkeypatch.setattr(library.store, "add", add)
    monkeypatch.setattr(Path, "open", open_)


def test_a_file_overwritten_while_it_is_copied(library: Library, patient_id: int,
                                               scalp_photos: list[Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               consistent: Consistent) -> None:
    files = copies(tmp_path / "in", scalp_photos[:2])

    def scribble() -> None:  # another program saves over the photo, in place
        with open(files[0], "r+b") as handle:
            handle.seek(20_000)
            handle.write(b"\x00" * 5_000)

    change_during_copy(monkeypatch, library, files[0], scribble)
    report = import_(library, patient_id, files)
    (rejected,) = report.rejected
    assert rejected.path == files[0]
    assert "changed while it was being imported" in rejected.reason
    assert [i.path for i in report.imported] == [files[1]]
    assert library.store.hashes() == {sha256_of(files[1])}  # the half-changed copy is gone
    consistent(library)


def test_a_file_replaced_by_an_already_stored_photo(library: Library, patient_id: int,
                                                    scalp_photos: list[Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    consistent: Consistent) -> None:
    """The replacement's bytes are already in the library: that copy must survive."""
    (earlier,) = import_(library, patient_id, scalp_photos[:1]).imported
    (victim,) = copies(tmp_path / "in", scalp_photos[1:2])
    real_validate = io.validate_image

    def validate_then_replace(path: Path) -> io.ImageInfo:
        info = real_validate(path)
        shutil.copy(scalp_photos[0], tmp_path / "swap.jpg")
        os.replace(tmp_path / "swap.jpg", path)  # an atomic save by another program
        return info

    monkeypatch.setattr(io, "validate_image", validate_then_replace)
    report = import_(library, patient_id, [victim])
    assert "changed while it was being imported" in report.rejected[0].reason
    stored = library.store.path_for(earlier.photo.sha256)
    assert stored.read_bytes() == scalp_photos[0].read_bytes()
    assert library.store.hashes() == {earlier.photo.sha256}
    consistent(library)


# ---- folders and links ----------------------------------------------------------------------

def test_a_folder_named_like_a_photo(library: Library, patient_id: int,
                                     scalp_photos: list[Path], tmp_path: Path,
                                     consistent: Consistent) -> None:
    inside = copies(tmp_path / "card" / "x.jpg", scalp_photos[:1])  # within a folder
    direct = copies(tmp_path / "y.jpg", scalp_photos[1:2])  # given by name
    (tmp_path / "empty.jpg").mkdir()
    report = import_(library, patient_id, [tmp_path / "card", tmp_path / "y.jpg",
                                           tmp_path / "empty.jpg"])
    assert [i.path for i in report.imported] == inside + direct
    assert [(r.path, r.reason) for r in report.rejected] == [
        (tmp_path / "empty.jpg", "no photos found in this folder")]
    consistent(library)


def test_link_loops_end_the_walk(library: Library, patient_id: int, scalp_photos: list[Path],
                                 tmp_path: Path, consistent: Consistent) -> None:
    root = tmp_path / "card"
    files = copies(root / "DCIM", scalp_photos[:2])
    os.symlink("..", root / "DCIM" / "up")  # folder links back up: followed, they never end
    os.symlink(".", root / "here")
    os.symlink("b.jpg", root / "a.jpg")
    os.symlink("a.jpg", root / "b.jpg")
    found, problems = importer.expand_paths([root])
    assert found == files  # each photo once
    assert [(p.path.name, p.reason) for p in problems] == [("a.jpg", "symbolic link loop"),
                                                           ("b.jpg", "symbolic link loop")]
    report = import_(library, patient_id, [root, root / "a.jpg"])
    assert [i.path for i in report.imported] == files
    assert [r.path.name for r in report.rejected] == ["a.jpg", "b.jpg", "a.jpg"]
    consistent(library)


def test_a_pipe_named_like_a_photo_is_not_read(tmp_path: Path) -> None:
    """Reading a FIFO would block the import forever."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(tmp_path / "pipe.jpg")
    for given in (tmp_path, tmp_path / "pipe.jpg"):
        found, problems = importer.expand_paths([given])
        assert found == []
        assert [(p.path.name, p.reason) for p in problems] == [("pipe.jpg", "not a regular file")]


# ---- names -----------------------------------------------------------------------------------

@linux_only
def test_a_name_that_is_not_utf8(library: Library, patient_id: int, scalp_photos: list[Path],
                                 tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 consistent: Consistent) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9.jpg"  # Latin-1, as an old camera card writes it
    shutil.copy(scalp_photos[0], raw)
    path = Path(os.fsdecode(raw))
    scanned, _ = run_task(importer.scan([tmp_path]))
    assert [s.path for s in scanned] == [path]
    labels: list[str] = []
    report = import_(library, patient_id, [tmp_path], lambda step: labels.append(step.label))
    (item,) = report.imported
    assert item.path == path and os.fsencode(item.path) == raw  # the real file, found again
    assert labels[0] == "caf\\xe9.jpg"
    (photo,) = records.patient_record(library, patient_id).photos  # read back from SQLite
    assert photo.original_name == "caf\\xe9.jpg"
    consistent(library)
    assert json.loads(json.dumps(report.to_json(), ensure_ascii=False))["imported"][0][
        "path"].endswith("/caf\\xe9.jpg")
    # the CLI prints it too (pytest's capture, like a UTF-8 terminal, refuses lone surrogates)
    shutil.copy(scalp_photos[1], os.fsencode(tmp_path) + b"/na\xefve.jpg")
    code = main(["--library", str(library.root), "import", "--patient", "BAD-1", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "imported   " + importer.display_path(tmp_path) + "/na\\xefve.jpg" in out
    assert "duplicate  " + importer.display_path(tmp_path) + "/caf\\xe9.jpg" in out


def test_display_path_keeps_ordinary_names_and_escapes_the_rest() -> None:
    assert importer.display_path("Kopf von hinten – März 😀.jpg") == (
        "Kopf von hinten – März 😀.jpg")
    assert importer.display_path(os.fsdecode(b"caf\xe9.jpg")) == "caf\\xe9.jpg"
    assert importer.display_path("half\ud800.jpg") == "half\\xed\\xa0\\x80.jpg"  # Windows
    for text in ("caf\udce9", "half\ud800", "x\udcff\ud83d"):
        importer.display_path(text).encode("utf-8")  # storable and printable: no error


def test_a_255_byte_name(library: Library, patient_id: int, scalp_photos: list[Path],
                         tmp_path: Path, consistent: Consistent) -> None:
    name = "é" * 125 + ".jpeg"  # 255 bytes in UTF-8: the longest name most systems allow
    assert len(name.encode()) == 255
    path = Path(shutil.copy(scalp_photos[0], tmp_path / name))
    too_long = tmp_path / ("x" * 252 + ".jpg")
    report = import_(library, patient_id, [path, too_long])
    (item,) = report.imported
    assert item.photo.original_name == name
    assert [(r.path, r.reason) for r in report.rejected] == [
        (too_long, "path is too long for this system")]
    consistent(library)


def test_a_path_longer_than_the_system_allows(library: Library, patient_id: int,
                                              scalp_photos: list[Path], tmp_path: Path,
                                              consistent: Consistent) -> None:
    root = tmp_path / "share"
    (top,) = copies(root, scalp_photos[:1])
    deep = root
    fd = os.open(root, os.O_RDONLY)
    try:  # build below PATH_MAX (4096) one folder at a time, relative to an open folder
        while len(os.fsencode(deep)) < 4300:
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, deep = inner, deep / ("d" * 200)
        with open(os.open("deep.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
            f.write(scalp_photos[1].read_bytes())
    except OSError as exc:
        pytest.skip(f"this file system refuses deep folders: {exc}")
    finally:
        os.close(fd)
    report = import_(library, patient_id, [root, deep / "deep.jpg"])
    assert [i.path for i in report.imported] == [top]
    reasons = [r.reason for r in report.rejected]
    assert reasons == ["cannot read folder: File name too long",
                       "path is too long for this system"]
    consistent(library)

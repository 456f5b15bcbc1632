"""Importing photos: one atomic unit per file, duplicates found by content, reasons for refusals."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from hairtrack.core.domain import CaptureSource, View
from hairtrack.core.library import Library
from hairtrack.core.progress import CancelToken, Progress, run_task
from hairtrack.core.services import importer, records
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.models import PhotoRow
from hairtrack.core.storage.photo_store import sha256_of

UTC = timezone.utc


@pytest.fixture
def patient_id(library: Library) -> int:
    return records.add_patient(library, "IMP-1", "Ima Porter").id


def stored_hashes(lib: Library) -> set[str]:
    with lib.session() as session:
        return set(session.scalars(select(PhotoRow.sha256)))


def assert_consistent(lib: Library) -> None:
    """Every row has its file and every file its row; no temporaries are left behind."""
    assert lib.store.hashes() == stored_hashes(lib)
    assert not [p for p in lib.store.root.glob(".incoming-*")]


def copy_to(folder: Path, sources: list[Path]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(s, folder / s.name)) for s in sources]


def set_mtime(path: Path, when: datetime) -> None:
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


def with_exif_time(source: Path, target: Path, taken: str, offset: str = "+00:00") -> Path:
    with Image.open(source) as image:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = taken
        exif.get_ifd(0x8769)[36881] = offset
        image.save(target, quality=92, exif=exif.tobytes())
    return target


# ---- the acceptance scenario ------------------------------------------------------------------

def test_import_the_76_real_photos_twice(library: Library, patient_id: int,
                                         scalp_photos: list[Path]) -> None:
    assert len(scalp_photos) == 76
    steps: list[Progress] = []
    first = run_task(importer.import_paths(library, patient_id, scalp_photos), steps.append)
    assert (len(first.imported), len(first.duplicates), len(first.rejected)) == (76, 0, 0)
    assert not first.cancelled
    assert steps[0] == Progress(0, 76, scalp_photos[0].name)
    assert steps[-1] == Progress(76, 76, "done")
    for item in first.imported:
        photo = item.photo
        assert photo.patient_id == patient_id and photo.view is View.VERTEX
        assert (photo.width, photo.height, photo.media_type) == (640, 640, "image/jpeg")
        assert photo.capture_source is CaptureSource.FILE  # these photos carry no EXIF time
        assert photo.original_name == item.path.name
        assert library.store.path_for(photo.sha256).read_bytes() == item.path.read_bytes()
    assert len(stored_hashes(library)) == 76
    assert_consistent(library)

    second = run_task(importer.import_paths(library, patient_id, [scalp_photos[0].parent]))
    assert (len(second.imported), len(second.duplicates), len(second.rejected)) == (0, 76, 0)
    first_ids = {i.photo.sha256: i.photo.id for i in first.imported}
    assert {d.sha256: d.photo_id for d in second.duplicates} == first_ids
    assert len(records.patient_record(library, patient_id).photos) == 76
    assert_consistent(library)


def test_a_mixed_batch(library: Library, patient_id: int, scalp_photos: list[Path],
                       tmp_path: Path) -> None:
    good = copy_to(tmp_path / "in", scalp_photos[:3])
    truncated = tmp_path / "in" / "truncated.jpg"
    truncated.write_bytes(scalp_photos[3].read_bytes()[:20_000])
    text = tmp_path / "in" / "notes.jpg"
    text.write_text("the patient's photos are attached\n" * 10)
    empty = tmp_path / "in" / "empty.jpg"
    empty.touch()
    same = tmp_path / "in" / "same-as-first.jpg"
    shutil.copy(good[0], same)
    missing = tmp_path / "in" / "never-existed.jpg"

    report = run_task(importer.import_paths(
        library, patient_id, [*good, truncated, text, empty, same, missing]))

    assert [i.path for i in report.imported] == good
    assert [(d.path, d.photo_id) for d in report.duplicates] == [
        (same, report.imported[0].photo.id)]
    reasons = {r.path.name: r.reason for r in report.rejected}
    assert set(reasons) == {"truncated.jpg", "notes.jpg", "empty.jpg", "never-existed.jpg"}
    assert "truncated" in reasons["truncated.jpg"]
    assert "not an image" in reasons["notes.jpg"]
    assert reasons["empty.jpg"] == "file is empty"
    assert reasons["never-existed.jpg"] == "no such file or folder"
    assert stored_hashes(library) == {sha256_of(p) for p in good}
    assert_consistent(library)
    thumbs = list((library.cache_dir / "thumbs").rglob("*.jpg"))
    assert len(thumbs) == 3


def test_folders_are_searched_for_images(library: Library, patient_id: int,
                                         scalp_photos: list[Path], tmp_path: Path) -> None:
    root = tmp_path / "card"
    copy_to(root / "DCIM" / "100", scalp_photos[:2])
    copy_to(root / ".thumbnails", scalp_photos[2:3])  # hidden: skipped
    (root / "readme.txt").write_text("not a photo")  # not an image suffix: skipped
    report = run_task(importer.import_paths(library, patient_id, [root]))
    assert sorted(i.path.name for i in report.imported) == sorted(p.name for p in
                                                                  scalp_photos[:2])
    assert report.rejected == () and report.duplicates == ()


def test_unknown_patient_fails_fast(library: Library, scalp_photos: list[Path]) -> None:
    with pytest.raises(repo.NotFound):
        run_task(importer.import_paths(library, 999, scalp_photos[:1]))
    assert library.store.hashes() == set()


# ---- visits and capture times -----------------------------------------------------------------

def test_visits_are_grouped_by_capture_date(library: Library, patient_id: int,
                                            scalp_photos: list[Path], tmp_path: Path) -> None:
    files = copy_to(tmp_path / "in", scalp_photos[:4])
    days = [datetime(2024, 1, 10, 12, tzinfo=UTC), datetime(2024, 4, 20, 12, tzinfo=UTC)]
    for index, path in enumerate(files):
        set_mtime(path, days[index % 2].replace(minute=index))
    report = run_task(importer.import_paths(library, patient_id, files))
    assert len(report.imported) == 4 and len(report.visit_ids) == 2
    visits = records.patient_record(library, patient_id).visits
    assert [v.photo_count for v in visits] == [2, 2]
    # A visit starts at its first photo.
    assert [v.visited_at for v in visits] == [days[0], days[1].replace(minute=1)]
    by_path = {i.path: i.photo for i in report.imported}
    assert by_path[files[2]].captured_at == days[0].replace(minute=2)
    assert by_path[files[2]].capture_source is CaptureSource.FILE


def test_exif_time_beats_file_time(library: Library, patient_id: int,
                                   scalp_photos: list[Path], tmp_path: Path) -> None:
    tmp_path.joinpath("in").mkdir()
    dated = with_exif_time(scalp_photos[0], tmp_path / "in" / "dated.jpg",
                           "2023:05:06 10:00:00", "+02:00")
    set_mtime(dated, datetime(2024, 1, 1, 12, tzinfo=UTC))
    (plain,) = copy_to(tmp_path / "in", scalp_photos[1:2])
    set_mtime(plain, datetime(2024, 1, 1, 12, tzinfo=UTC))
    report = run_task(importer.import_paths(library, patient_id, [dated, plain]))
    photos = {i.path.name: i.photo for i in report.imported}
    assert photos["dated.jpg"].captured_at == datetime(2023, 5, 6, 8, tzinfo=UTC)
    assert photos["dated.jpg"].capture_source is CaptureSource.EXIF
    assert photos[plain.name].capture_source is CaptureSource.FILE
    assert photos["dated.jpg"].visit_id != photos[plain.name].visit_id
    assert len(records.patient_record(library, patient_id).visits) == 2


def test_implausible_exif_time_falls_back_to_file_time_with_a_note(
        library: Library, patient_id: int, scalp_photos: list[Path], tmp_path: Path) -> None:
    path = with_exif_time(scalp_photos[0], tmp_path / "unset-clock.jpg", "1970:01:01 00:00:00")
    set_mtime(path, datetime(2024, 2, 2, 12, tzinfo=UTC))
    (item,) = run_task(importer.import_paths(library, patient_id, [path])).imported
    assert item.photo.captured_at == datetime(2024, 2, 2, 12, tzinfo=UTC)
    assert item.photo.capture_source is CaptureSource.FILE
    assert item.note is not None and "1990" in item.note


def test_visit_date_puts_everything_in_one_visit(library: Library, patient_id: int,
                                                 scalp_photos: list[Path],
                                                 tmp_path: Path) -> None:
    files = copy_to(tmp_path / "in", scalp_photos[:4])
    for index, path in enumerate(files):
        set_mtime(path, datetime(2024, 1 + index, 10, 12, tzinfo=UTC))
    report = run_task(importer.import_paths(library, patient_id, files,
                                            visit_date=date(2024, 6, 1), view=View.FRONTAL))
    assert len(report.visit_ids) == 1
    (visit,) = records.patient_record(library, patient_id).visits
    assert visit.photo_count == 4
    assert visit.visited_at.astimezone().date() == date(2024, 6, 1)
    assert {i.photo.view for i in report.imported} == {View.FRONTAL}
    # Capture times stay the files' own.
    assert sorted(i.photo.captured_at.month for i in report.imported) == [1, 2, 3, 4]


@pytest.fixture
def central_european_time(local_zone: Callable[[str], None]) -> None:
    """A local zone with daylight saving time (no tz database needed: a POSIX rule)."""
    local_zone("CET-1CEST,M3.5.0,M10.5.0/3")


@pytest.mark.parametrize("month", [1, 7])  # one of them is in the other DST period than today
def test_photos_of_one_local_day_share_a_visit_across_dst(
        library: Library, patient_id: int, scalp_photos: list[Path], month: int,
        central_european_time: None) -> None:
    """Just after local midnight and mid-morning are the same clinic day, summer or winter."""
    local = datetime(2024, month, 2, 0, 30).astimezone()  # 00:30 local time
    items = [importer.ImportItem(scalp_photos[0], captured_at=local),
             importer.ImportItem(scalp_photos[1], captured_at=local + timedelta(hours=10))]
    report = run_task(importer.import_items(library, patient_id, items))
    assert len(report.imported) == 2
    (visit,) = records.patient_record(library, patient_id).visits
    assert visit.visited_at == local
    assert visit.visited_at.astimezone().date() == date(2024, month, 2)


def test_manual_time_and_explicit_visit(library: Library, patient_id: int,
                                        scalp_photos: list[Path]) -> None:
    visit = records.add_visit(library, patient_id, datetime(2024, 3, 3, 9, tzinfo=UTC))
    when = datetime(2024, 3, 3, 9, 15, tzinfo=UTC)
    item = importer.ImportItem(scalp_photos[0], View.OCCIPITAL, visit_id=visit.id,
                               captured_at=when)
    (done,) = run_task(importer.import_items(library, patient_id, [item])).imported
    assert (done.photo.visit_id, done.photo.captured_at, done.photo.capture_source) == (
        visit.id, when, CaptureSource.MANUAL)


def test_visit_of_another_patient_is_refused(library: Library, patient_id: int,
                                             scalp_photos: list[Path]) -> None:
    other = records.add_patient(library, "IMP-2", "Other")
    visit = records.add_visit(library, other.id, datetime(2024, 3, 3, 9, tzinfo=UTC))
    item = importer.ImportItem(scalp_photos[0], visit_id=visit.id)
    report = run_task(importer.import_items(library, patient_id, [item]))
    (rejected,) = report.rejected
    assert "another patient" in rejected.reason
    assert_consistent(library)
    assert library.store.hashes() == set()


def test_scan_reads_capture_times_without_importing(library: Library, scalp_photos: list[Path],
                                                    tmp_path: Path) -> None:
    tmp_path.joinpath("in").mkdir()
    dated = with_exif_time(scalp_photos[0], tmp_path / "in" / "dated.jpg",
                           "2023:05:06 10:00:00")
    (plain,) = copy_to(tmp_path / "in", scalp_photos[1:2])
    set_mtime(plain, datetime(2024, 1, 1, 12, tzinfo=UTC))
    scanned, rejected = run_task(importer.scan([dated, plain, tmp_path / "gone.jpg"]))
    times = {s.path.name: (s.captured_at, s.capture_source) for s in scanned}
    assert times == {"dated.jpg": (datetime(2023, 5, 6, 10, tzinfo=UTC), CaptureSource.EXIF),
                     plain.name: (datetime(2024, 1, 1, 12, tzinfo=UTC), CaptureSource.FILE)}
    assert [r.reason for r in rejected] == ["no such file or folder"]
    assert library.store.hashes() == set()


# ---- cancellation -----------------------------------------------------------------------------

def test_cancel_after_the_third_progress(library: Library, patient_id: int,
                                         scalp_photos: list[Path]) -> None:
    files = scalp_photos[:6]
    token = CancelToken()
    seen: list[Progress] = []

    def on_progress(step: Progress) -> None:
        seen.append(step)
        if len(seen) == 3:
            token.cancel()

    report = run_task(importer.import_paths(library, patient_id, files, cancel=token),
                      on_progress)
    assert report.cancelled
    assert len(seen) == 3 and seen[-1].done == 2
    assert [i.path for i in report.imported] == files[:2]  # the third had not started
    assert stored_hashes(library) == {sha256_of(p) for p in files[:2]}
    assert_consistent(library)
    # The rest imports normally afterwards.
    rest = run_task(importer.import_paths(library, patient_id, files))
    assert (len(rest.imported), len(rest.duplicates)) == (4, 2)


def test_cancel_scan(scalp_photos: list[Path]) -> None:
    token = CancelToken()
    task = importer.scan(scalp_photos[:5], cancel=token)
    next(task)
    next(task)
    token.cancel()
    with pytest.raises(StopIteration) as stop:
        next(task)
    scanned, _rejected = stop.value.value
    assert len(scanned) == 1


# ---- thumbnails -------------------------------------------------------------------------------

def test_thumbnails_are_made_and_rebuilt(library: Library, patient_id: int,
                                         scalp_photos: list[Path]) -> None:
    report = run_task(importer.import_paths(library, patient_id, scalp_photos[:2]))
    for item in report.imported:
        thumb = library.thumbnail_path(item.photo.sha256, importer.THUMBNAIL_SIZE)
        with Image.open(thumb) as image:
            assert image.format == "JPEG"
            assert max(image.size) <= 320
        assert thumb.stat().st_size < item.photo.size_bytes
    photo = report.imported[0].photo
    thumb = library.thumbnail_path(photo.sha256, importer.THUMBNAIL_SIZE)
    thumb.unlink()
    assert importer.ensure_thumbnail(library, photo) == thumb
    assert thumb.is_file()
    small = importer.ensure_thumbnail(library, photo, size=64)
    with Image.open(small) as image:
        assert max(image.size) == 64


def test_report_json_shape(library: Library, patient_id: int, scalp_photos: list[Path],
                           tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_text("x")
    report = run_task(importer.import_paths(library, patient_id,
                                            [scalp_photos[0], scalp_photos[0], bad]))
    data = report.to_json()
    assert set(data) == {"imported", "duplicates", "rejected", "cancelled"}
    (imported,) = data["imported"]
    assert set(imported) == {"path", "photo_id", "sha256", "visit_id", "view", "captured_at",
                             "capture_source", "note"}
    assert datetime.fromisoformat(imported["captured_at"]).tzinfo is not None
    assert data["rejected"] == [{"path": str(bad),
                                 "reason": "not an image file, or an unsupported format"}]
    assert data["cancelled"] is False
    assert len(data["duplicates"]) == 0  # the same path twice is one file
    with library.session() as session:
        assert session.scalar(select(func.count(PhotoRow.id))) == 1

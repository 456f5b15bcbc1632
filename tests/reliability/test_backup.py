"""Backup and restore: an exact round trip, a consistent snapshot under writes, loud failures."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable
from contextlib import closing
from datetime import timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from hairtrack.cli.main import main
from hairtrack.core.library import DB_FILENAME, SECRET_FILENAME, Library
from hairtrack.core.progress import Cancelled, CancelToken, Progress, run_task
from hairtrack.core.services import backup, importer, records
from hairtrack.core.services.backup_format import Manifest
from hairtrack.core.storage import database
from hairtrack.core.storage.models import PhotoRow
from hairtrack.report.deidentify import pseudonym

REPO = Path(__file__).resolve().parents[2]


def dump(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as connection:
        return list(connection.iterdump())


def photo_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "photos").rglob("*")) if p.is_file()}


def all_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def restore(archive: Path, target: Path) -> backup.RestoreResult:
    return run_task(backup.restore_backup(archive, target))


def assert_rows_have_files(root: Path) -> int:
    """Every photos row of the library at `root` has a store file whose bytes match its hash."""
    with closing(sqlite3.connect(root / DB_FILENAME)) as connection:
        hashes = [row[0] for row in connection.execute("SELECT sha256 FROM photos")]
    for sha in hashes:
        [path] = (root / "photos" / sha[:2]).glob(f"{sha}*")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    return len(hashes)


# ---- the round trip ---------------------------------------------------------------------------

def test_round_trip_reproduces_the_library_exactly(populated: Library, archive: Path,
                                                   tmp_path: Path) -> None:
    (populated.root / "cache" / "junk.bin").write_bytes(b"rebuildable")
    (populated.root / "backups").mkdir(exist_ok=True)
    (populated.root / "backups" / "old.sqlite").write_bytes(b"a migration copy")
    target = tmp_path / "restored"

    result = restore(archive, target)

    assert (result.library, result.photos) == (target, 8)
    assert result.schema_revision == database.current_revision(populated.engine)
    assert dump(target / DB_FILENAME) == dump(populated.root / DB_FILENAME)
    assert photo_files(target) == photo_files(populated.root)
    assert len(photo_files(target)) == 8
    assert ((target / SECRET_FILENAME).read_bytes()
            == (populated.root / SECRET_FILENAME).read_bytes())
    assert pseudonym(target, "BK-1") == pseudonym(populated.root, "BK-1")
    assert all_files(target) == {DB_FILENAME, SECRET_FILENAME, *photo_files(target)}
    assert not list(tmp_path.glob(".restored.*"))  # no temporary folder left beside it
    if os.name == "posix":
        for path in [target, *target.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            expected = (0o700 if path.is_dir() else 0o400 if "photos" in path.parts else 0o600)
            assert mode == expected, path
    reopened = Library.open(target)
    try:
        with reopened.session() as session:
            assert len(list(session.scalars(select(PhotoRow)))) == 8
        assert reopened.store.hashes() == {name[10:74] for name in photo_files(target)}
    finally:
        reopened.close()


def test_the_archive_holds_a_manifest_of_every_member(populated: Library, archive: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        infos = {info.filename: info for info in zf.infolist()}
        contents = {name: zf.read(name) for name in infos}
    assert (manifest["format"], manifest["format_version"]) == ("hairtrack-backup", 1)
    assert manifest["schema_revision"] == database.current_revision(populated.engine)
    assert manifest["hairtrack_version"]
    created = Manifest.from_json(manifest).created_at
    assert created.utcoffset() == timezone.utc.utcoffset(None)
    listed = {m["path"]: m for m in manifest["members"]}
    assert set(listed) == set(infos) - {"manifest.json"}
    assert {DB_FILENAME, SECRET_FILENAME} < set(listed)
    for name, entry in listed.items():
        assert entry["size"] == len(contents[name])
        assert entry["sha256"] == hashlib.sha256(contents[name]).hexdigest()
    photos = [name for name in listed if name.startswith("photos/")]
    assert sorted(photos) == sorted(photo_files(populated.root))
    assert {infos[name].compress_type for name in photos} == {zipfile.ZIP_STORED}
    assert infos[DB_FILENAME].compress_type == zipfile.ZIP_DEFLATED


def test_a_library_without_secret_or_photos_round_trips(library: Library, tmp_path: Path) -> None:
    records.add_patient(library, "E-1", "Empty Photos")
    path = tmp_path / "empty.zip"
    steps: list[Progress] = []
    result = run_task(backup.create_backup(library.root, path), steps.append)
    assert (result.photos, result.path) == (0, path)
    assert steps[-1].label == "done"
    restored = restore(path, tmp_path / "empty-folder-target")
    assert all_files(restored.library) == {DB_FILENAME}
    assert dump(restored.library / DB_FILENAME) == dump(library.root / DB_FILENAME)


def test_an_existing_empty_folder_is_an_acceptable_target(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    assert restore(archive, target).photos == 8
    assert_rows_have_files(target)


# ---- consistency while the library is in use --------------------------------------------------

def backups_during(writes_done: Callable[[], int], library: Library, tmp_path: Path,
                   rounds: int = 4) -> list[tuple[int, Path, int]]:
    """Back up `rounds` times while a writer runs: (photos committed before, file, photos kept)."""
    archives = []
    for round_ in range(rounds):
        before = writes_done()
        path = tmp_path / f"during-{round_}.zip"
        archives.append((before, path, run_task(backup.create_backup(library.root, path)).photos))
    return archives


def assert_consistent(archives: list[tuple[int, Path, int]], tmp_path: Path) -> None:
    for index, (before, path, photos) in enumerate(archives):
        assert photos >= before
        restored = restore(path, tmp_path / f"restored-{index}")
        assert assert_rows_have_files(restored.library) == photos
        assert len(photo_files(restored.library)) == photos


def test_backup_while_another_thread_imports_is_consistent(library: Library,
                                                           scalp_photos: list[Path],
                                                           tmp_path: Path) -> None:
    patient = records.add_patient(library, "RACE-1", "Ray Sing").id
    stop = threading.Event()
    imported: list[int] = []
    failures: list[BaseException] = []

    def import_in_a_loop() -> None:
        try:
            for photo in scalp_photos:
                if stop.is_set():
                    return
                report = run_task(importer.import_paths(library, patient, [photo]))
                imported.append(len(report.imported))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    writer = threading.Thread(target=import_in_a_loop)
    writer.start()
    try:
        while len(imported) < 3 and writer.is_alive():
            stop.wait(0.01)
        archives = backups_during(lambda: sum(imported), library, tmp_path)
    finally:
        stop.set()
        writer.join(timeout=120)
    assert not failures, failures
    assert sum(imported) > archives[0][2] >= 3, "the import did not overlap the backups"
    assert_consistent(archives, tmp_path)


WRITER = """
import sys
from pathlib import Path
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer
library = Library.open(sys.argv[1])
for photo in sys.argv[3:]:
    report = run_task(importer.import_paths(library, int(sys.argv[2]), [Path(photo)]))
    print(len(report.imported), flush=True)
"""


def test_backup_while_another_process_imports_is_consistent(library: Library,
                                                            scalp_photos: list[Path],
                                                            tmp_path: Path) -> None:
    patient = records.add_patient(library, "RACE-2", "Pro Cess").id
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(library.root), str(patient),
                               *map(str, scalp_photos)], cwd=REPO, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert writer.stdout is not None
    imported: list[int] = []
    try:
        while len(imported) < 3:
            line = writer.stdout.readline()
            assert line, writer.stderr.read() if writer.stderr else "writer died"
            imported.append(int(line))
        lines = threading.Thread(target=lambda: imported.extend(
            int(line) for line in writer.stdout or ()))
        lines.start()
        archives = backups_during(lambda: sum(imported), library, tmp_path)
        assert writer.wait(timeout=120) == 0
        lines.join(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        for stream in (writer.stdout, writer.stderr):
            if stream is not None:
                stream.close()
    assert sum(imported) == len(scalp_photos)
    assert sum(imported) > archives[0][2] >= 3, "the import did not overlap the backups"
    assert_consistent(archives, tmp_path)


# ---- backups that must fail, leaving nothing --------------------------------------------------

def test_a_missing_photo_fails_the_backup_naming_it(populated: Library, tmp_path: Path) -> None:
    victim = sorted(populated.store.root.rglob("*.jpg"))[3]
    victim.unlink()
    target = tmp_path / "out" / "backup.zip"
    target.parent.mkdir()
    with pytest.raises(backup.BackupError, match=victim.name[:64]) as raised:
        run_task(backup.create_backup(populated.root, target))
    assert "missing" in str(raised.value)
    assert list(target.parent.iterdir()) == []  # no FILE, no temporary


def test_a_damaged_photo_fails_the_backup_naming_it(populated: Library, tmp_path: Path) -> None:
    victim = sorted(populated.store.root.rglob("*.jpg"))[0]
    os.chmod(victim, 0o644)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    target = tmp_path / "backup.zip"
    target.write_bytes(b"yesterday's backup")
    with pytest.raises(backup.BackupError, match="does not match its checksum") as raised:
        run_task(backup.create_backup(populated.root, target))
    assert str(victim) in str(raised.value)
    assert target.read_bytes() == b"yesterday's backup"  # the old FILE is untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup.zip")] == []


def test_a_row_naming_no_store_file_fails_the_backup(populated: Library, tmp_path: Path) -> None:
    with closing(sqlite3.connect(populated.root / DB_FILENAME)) as connection, connection:
        connection.execute("UPDATE photos SET sha256 = '../../secret' WHERE id = 1")
    with pytest.raises(backup.BackupError, match=r"database is damaged.*'\.\./\.\./secret'"):
        run_task(backup.create_backup(populated.root, tmp_path / "b.zip"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library"]


def test_cancelling_a_backup_leaves_no_file(populated: Library, tmp_path: Path) -> None:
    token = CancelToken()
    target = tmp_path / "backup.zip"

    def cancel_on_the_second_photo(step: Progress) -> None:
        if step.label.startswith("photo") and step.done == 1:
            token.cancel()

    with pytest.raises(Cancelled):
        run_task(backup.create_backup(populated.root, target, cancel=token),
                 cancel_on_the_second_photo)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library"]


def test_a_full_disk_is_named_and_leaves_nothing(populated: Library, archive: Path,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "_fsync_file", disk_full)
    target = tmp_path / "full" / "backup.zip"
    target.parent.mkdir()
    with pytest.raises(backup.BackupError, match=f"the disk holding {target.parent} is full"):
        run_task(backup.create_backup(populated.root, target))
    assert list(target.parent.iterdir()) == []

    monkeypatch.setattr(backup, "_check_restored", disk_full)
    with pytest.raises(backup.BackupError, match=f"the disk holding {tmp_path} is full"):
        restore(archive, tmp_path / "restored")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.zip", "full", "library"]


def test_a_clinic_server_library_is_pointed_to_its_own_backup_route(populated: Library,
                                                                    tmp_path: Path) -> None:
    with pytest.raises(backup.BackupError, match=r"postgresql server.*pg_dump") as caught:
        run_task(backup.create_backup(populated.root, tmp_path / "b.zip",
                                      database_url="postgresql://u:s3cret@clinic/hairtrack"))
    assert "s3cret" not in str(caught.value)
    with pytest.raises(backup.BackupError, match="no library database"):
        run_task(backup.create_backup(tmp_path / "nowhere", tmp_path / "b.zip"))
    assert not (tmp_path / "b.zip").exists()


# ---- the command line -------------------------------------------------------------------------

def test_cli_round_trip_with_json(populated: Library, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    file, new, other = tmp_path / "cli.zip", tmp_path / "new", tmp_path / "other"
    populated.close()
    before = dump(populated.root / DB_FILENAME)
    assert main(["--library", str(populated.root), "backup", str(file), "--json"]) == 0
    saved = json.loads(capsys.readouterr().out)
    assert saved == {"path": str(file), "photos": 8, "size_bytes": file.stat().st_size,
                     "schema_revision": database.head_revision()}

    assert main(["restore", str(file), "--library", str(new), "--json"]) == 0
    restored = json.loads(capsys.readouterr().out)
    assert (restored["library"], restored["photos"]) == (str(new), 8)
    assert dump(new / DB_FILENAME) == before  # the archive is the library as it was
    # ... and the live library's audit log notes the backup after the snapshot
    with closing(sqlite3.connect(populated.root / DB_FILENAME)) as connection:
        assert connection.execute("SELECT action, summary FROM audit_log ORDER BY seq DESC "
                                  "LIMIT 1").fetchone() == ("backup",
                                                            "backed up 8 photo(s) to cli.zip")
    assert main(["--library", str(other), "restore", str(file)]) == 0
    assert "restored 8 photo(s)" in capsys.readouterr().out
    assert photo_files(other) == photo_files(populated.root)

    assert main(["--library", str(new), "patient", "list", "--json"]) == 0
    assert [p["mrn"] for p in json.loads(capsys.readouterr().out)] == ["BK-1", "BK-2"]


def test_cli_failures_are_one_line(populated: Library, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "cli.zip"
    assert main(["--library", str(populated.root), "backup", str(file)]) == 0
    assert "backed up 8 photo(s)" in capsys.readouterr().out
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep me")
    for argv in (["restore", str(file), "--library", str(occupied)],
                 ["restore", str(file)],
                 ["restore", str(tmp_path / "absent.zip"), "--library", str(tmp_path / "x")],
                 ["--library", str(populated.root), "--database", "postgresql://h/db",
                  "backup", str(tmp_path / "pg.zip")]):
        assert main(argv) == 1, argv
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("hairtrack: error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
    assert (occupied / "notes.txt").read_text() == "keep me"
    assert not (tmp_path / "x").exists() and not (tmp_path / "pg.zip").exists()

"""`hairtrack doctor` finds damage, repairs leftovers, and says which is which."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from hairtrack.cli.main import main
from hairtrack.core.library import DB_FILENAME, Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import doctor, importer, records
from hairtrack.core.services.doctor import Severity

POSIX = os.name == "posix"


@pytest.fixture
def stocked(library: Library, scalp_photos: list[Path]) -> Library:
    patient = records.add_patient(library, "D-1", "Dee")
    run_task(importer.import_paths(library, patient.id, scalp_photos[:3]))
    return library


def examine(library: Library, **kwargs: object) -> doctor.DoctorReport:
    return run_task(doctor.examine(library, **kwargs))  # type: ignore[arg-type]


def checks(report: doctor.DoctorReport, severity: Severity) -> list[str]:
    return [f.check for f in report.findings if f.severity is severity]


def make_old(path: Path) -> None:
    past = time.time() - 2 * doctor.GRACE_SECONDS
    os.utime(path, (past, past))


def original(library: Library, index: int = 0) -> Path:
    (patient,) = records.list_patients(library)
    photo = records.patient_record(library, patient.id).photos[index]
    return library.store.path_for(photo.sha256)


def test_a_fresh_library_is_healthy_and_private(stocked: Library) -> None:
    report = examine(stocked)
    assert report.findings == () and report.healthy
    assert report.checked["photos"] == 3 and report.checked["cache files"] == 3
    if POSIX:
        assert stat.S_IMODE(stocked.root.stat().st_mode) == 0o700
        assert stat.S_IMODE((stocked.root / DB_FILENAME).stat().st_mode) == 0o600
        assert stat.S_IMODE(original(stocked).stat().st_mode) == 0o400
        thumbs = list((stocked.cache_dir / "thumbs").rglob("*.jpg"))
        assert thumbs and {stat.S_IMODE(t.stat().st_mode) for t in thumbs} == {0o600}


def test_a_missing_original_is_damage_that_repair_cannot_hide(stocked: Library) -> None:
    path = original(stocked)
    os.chmod(path, 0o600)
    path.unlink()
    report = examine(stocked, repair=True)
    (finding,) = report.findings
    assert finding.severity is Severity.DAMAGE and not finding.repaired
    assert "missing" in finding.message and "D-1" in finding.message
    assert not report.healthy


def test_a_changed_original_is_caught_by_its_checksum(stocked: Library) -> None:
    path = original(stocked, 1)
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: only the hash can tell
    path.write_bytes(bytes(data))
    os.chmod(path, 0o400)
    assert examine(stocked, verify_hashes=False).healthy  # --quick compares sizes only
    report = examine(stocked)
    assert checks(report, Severity.DAMAGE) == ["photos"]
    assert "checksum" in report.findings[0].message


def test_crash_leftovers_are_repaired_after_the_grace_period(stocked: Library) -> None:
    store = stocked.store.root
    partial = store / ".incoming-123-456"
    partial.write_bytes(b"half a photo")
    orphan = store / "ff" / ("f" * 64 + ".jpg")
    orphan.parent.mkdir(mode=0o700)
    orphan.write_bytes(b"copied, never committed")
    os.chmod(partial, 0o600)
    os.chmod(orphan, 0o400)  # as the store leaves an original
    young = examine(stocked)
    assert young.healthy and checks(young, Severity.NOTE) == ["photo store", "photo store"]
    make_old(partial)
    make_old(orphan)
    old = examine(stocked)
    assert not old.healthy and checks(old, Severity.FIXABLE) == ["photo store", "photo store"]
    repaired = examine(stocked, repair=True)
    assert repaired.healthy and all(f.repaired for f in repaired.findings)
    assert not partial.exists() and not orphan.exists()
    assert examine(stocked).findings == ()


def test_damaged_and_stale_cache_files_are_removed_and_rebuilt(stocked: Library) -> None:
    thumb = next((stocked.cache_dir / "thumbs").rglob("*.jpg"))
    thumb.write_bytes(thumb.read_bytes()[:100])  # truncated by a crash
    stale = stocked.cache_dir / "masks" / ("0" * 64 + ".png")
    stale.parent.mkdir(mode=0o700)
    stale.write_bytes(b"\x89PNG")
    leftover = stocked.cache_dir / "thumbs" / "x.tmp123"
    leftover.write_bytes(b"")
    for path in (stale, leftover):
        os.chmod(path, 0o600)
    report = examine(stocked, repair=True)
    assert sorted(f.message.split(" (")[0] for f in report.findings) == [
        "a cached image of something no longer in the library",
        "a damaged cached image",
        "an unfinished cache file left by an interrupted write"]
    assert report.healthy and not thumb.exists() and not stale.exists()
    (patient,) = records.list_patients(stocked)
    photo = records.patient_record(stocked, patient.id).photos[0]
    assert importer.ensure_thumbnail(stocked, photo).exists()  # caches rebuild on demand


def raw_sql(library: Library, *statements: str) -> None:
    """What someone with the database file and a SQLite shell could do."""
    connection = sqlite3.connect(library.root / DB_FILENAME)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def test_foreign_key_damage_is_reported(stocked: Library) -> None:
    raw_sql(stocked, "PRAGMA foreign_keys=OFF", "UPDATE photos SET visit_id = 999 WHERE id = 1")
    report = examine(stocked)
    assert any(f.check == "database" and "photos" in f.message and f.severity is Severity.DAMAGE
               for f in report.findings)


def test_audit_tampering_is_damage(stocked: Library) -> None:
    raw_sql(stocked, "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
    report = examine(stocked, repair=True)
    assert checks(report, Severity.DAMAGE) == ["audit log"]
    assert "entry 2" in report.findings[0].message


@pytest.mark.skipif(not POSIX, reason="POSIX permission bits")
def test_loose_permissions_are_tightened(stocked: Library) -> None:
    os.chmod(stocked.root / DB_FILENAME, 0o644)
    os.chmod(stocked.cache_dir, 0o755)
    report = examine(stocked)
    (finding,) = report.findings
    assert finding.severity is Severity.FIXABLE and finding.message.startswith("2 file(s)")
    assert examine(stocked, repair=True).healthy
    assert stat.S_IMODE((stocked.root / DB_FILENAME).stat().st_mode) == 0o600
    assert stat.S_IMODE(stocked.cache_dir.stat().st_mode) == 0o700


def test_cli_exit_codes_and_json(stocked: Library, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(stocked.root)
    assert main(["--library", root, "doctor", "--json"]) == 0
    healthy = json.loads(capsys.readouterr().out)
    assert healthy["healthy"] is True and healthy["checked"]["photos"] == 3
    path = original(stocked, 2)
    os.chmod(path, 0o600)
    path.unlink()
    assert main(["--library", root, "doctor", "--repair", "--json"]) == 1
    damaged = json.loads(capsys.readouterr().out)
    assert damaged["healthy"] is False and damaged["problems"] == 1
    assert damaged["findings"][0]["severity"] == "damage"
    assert main(["--library", root, "doctor"]) == 1
    assert "1 problem(s) remain" in capsys.readouterr().out

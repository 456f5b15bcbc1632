"""SIGKILL the import at many points; the library must stay whole and the import finishable.

Each run kills `hairtrack import` (crash_harness.py) while it copies an original,
after the copy but before the row, inside the commit, right after it, or while
it writes a thumbnail, and some at random moments. After every kill:
`hairtrack doctor` finds no damage (only leftovers it can remove), running the
same import again completes it, and then every file is in the library exactly
once with the right checksum.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hairtrack.cli.main import main
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import audit_log, doctor, records
from hairtrack.core.services.doctor import Severity

HARNESS = Path(__file__).with_name("crash_harness.py")
FILES = 5
PLAN = [("copy", n) for n in (1, 2, 3, 5)] + [("stored", n) for n in (1, 3, 5)] + [
    ("commit", n) for n in (2, 4, 6, 9, 12)] + [("committed", n) for n in (1, 3, 5)] + [
    ("thumbnail", n) for n in (1, 2, 4)] + [
    ("random", ms) for ms in random.Random(20261125).sample(range(200, 2500), 6)]


@pytest.fixture
def photos(scalp_photos: list[Path]) -> list[Path]:
    return scalp_photos[:FILES]


def kill_import(root: Path, phase: str, nth: int, files: list[Path]) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(HARNESS), phase, str(nth), str(root), "K-1",
                           *map(str, files)], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return done.returncode


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_plan_is_long_enough() -> None:
    assert len(PLAN) >= 20
    assert {phase for phase, _ in PLAN} == {"copy", "stored", "commit", "committed",
                                            "thumbnail", "random"}


@pytest.mark.parametrize(("phase", "nth"), PLAN, ids=[f"{p}-{n}" for p, n in PLAN])
def test_killed_import_leaves_a_whole_library(tmp_path: Path, photos: list[Path], phase: str,
                                              nth: int) -> None:
    root = tmp_path / "library"
    lib = Library.open(root)
    records.add_patient(lib, "K-1", "Kill Test")
    lib.close()

    code = kill_import(root, phase, nth, photos)
    if phase != "random":
        assert code == -signal.SIGKILL, "the harness never reached its kill point"

    lib = Library.open(root)
    try:
        report = run_task(doctor.examine(lib))
        damage = [f for f in report.findings if f.severity is Severity.DAMAGE]
        assert damage == [], damage
        # everything left behind is a leftover doctor can clear without losing data
        assert run_task(doctor.examine(lib, repair=True)).healthy
    finally:
        lib.close()

    assert main(["--library", str(root), "import", "--patient", "K-1",
                 *map(str, photos)]) == 0

    lib = Library.open(root)
    try:
        patient = records.patient_by_mrn(lib, "K-1")
        stored = records.patient_record(lib, patient.id).photos
        assert sorted(p.sha256 for p in stored) == sorted(sha(p) for p in photos)
        assert lib.store.hashes() == {p.sha256 for p in stored}
        for photo in stored:
            assert sha(lib.store.path_for(photo.sha256)) == photo.sha256
        final = run_task(doctor.examine(lib))
        assert final.healthy, final.problems
        imports = [e for e in audit_log.entries(lib) if e.action == "import"]
        assert len(imports) == FILES  # one entry per committed photo, none for lost ones
    finally:
        lib.close()

"""The `hairtrack` command line: JSON shapes, exit codes, one-line errors, library location."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hairtrack import __version__
from hairtrack.cli.main import main
from hairtrack.core.library import DATABASE_ENV, DB_FILENAME, LIBRARY_ENV

SCALP = Path(__file__).resolve().parents[1] / "data" / "scalp-photos"
REPO = Path(__file__).resolve().parents[2]


class Run:
    """Runs the CLI in-process against one library folder."""

    def __init__(self, capsys: pytest.CaptureFixture[str], library: Path) -> None:
        self.capsys = capsys
        self.library = library

    def __call__(self, *args: str, library: bool = True) -> tuple[int, str, str]:
        argv = (["--library", str(self.library)] if library else []) + list(args)
        code = main(argv)
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> Any:
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Run:
    return Run(capsys, tmp_path / "lib")


# ---- patients ---------------------------------------------------------------------------------

def test_patient_add_and_list_json(run: Run) -> None:
    added = run.json("patient", "add", "--mrn", "HT-1", "--name", "Ann Lee", "--dob",
                     "1980-05-17", "--sex", "F", "--notes", "first consult")
    assert set(added) == {"id", "mrn", "name", "date_of_birth", "sex", "notes", "created_at"}
    assert (added["mrn"], added["name"], added["date_of_birth"], added["sex"], added["notes"]) == (
        "HT-1", "Ann Lee", "1980-05-17", "F", "first consult")
    assert isinstance(added["id"], int)
    assert datetime.fromisoformat(added["created_at"]).tzinfo is not None
    run.json("patient", "add", "--mrn", "HT-2", "--name", "Bob Stone")

    listed = run.json("patient", "list")
    assert [p["mrn"] for p in listed] == ["HT-1", "HT-2"]
    assert listed[0] == added
    assert listed[1]["date_of_birth"] is None and listed[1]["sex"] == "U"
    assert [p["mrn"] for p in run.json("patient", "list", "--search", "STONE")] == ["HT-2"]


def test_patient_list_text(run: Run) -> None:
    code, out, _ = run("patient", "list")
    assert (code, out.strip()) == (0, "no patients")
    run("patient", "add", "--mrn", "HT-1", "--name", "Ann Lee")
    code, out, _ = run("patient", "list")
    assert code == 0 and "HT-1" in out and "Ann Lee" in out


def test_duplicate_mrn_is_a_one_line_error(run: Run) -> None:
    assert run("patient", "add", "--mrn", "HT-1", "--name", "Ann")[0] == 0
    code, out, err = run("patient", "add", "--mrn", "HT-1", "--name", "Another Ann")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("hairtrack: error:") and "HT-1" in err and "already exists" in err


def test_usage_errors_exit_2(run: Run) -> None:
    with pytest.raises(SystemExit) as caught:
        run("patient", "add", "--name", "No MRN")
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        run("patient", "add", "--mrn", "X", "--name", "Y", "--dob", "17/05/1980")
    assert caught.value.code == 2


# ---- treatments -------------------------------------------------------------------------------

def test_treatment_add_and_list(run: Run) -> None:
    run("patient", "add", "--mrn", "HT-1", "--name", "Ann")
    event = run.json("treatment", "add", "--patient", "HT-1", "--date", "2024-02-01", "--type",
                     "Exosome microneedling", "--product", "ExoX", "--lot", "L7", "--dose",
                     "2 ml", "--device", "1.5 mm", "--clinician", "Dr A")
    assert (event["type"], event["type_label"], event["date"], event["device_settings"]) == (
        "exosome-microneedling", "Exosome microneedling", "2024-02-01", "1.5 mm")
    assert [e["id"] for e in run.json("treatment", "list", "--patient", "HT-1")] == [event["id"]]


def test_unknown_treatment_type_lists_known_types(run: Run) -> None:
    run("patient", "add", "--mrn", "HT-1", "--name", "Ann")
    code, out, err = run("treatment", "add", "--patient", "HT-1", "--date", "2024-02-01",
                         "--type", "leeches")
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "leeches" in err and "known types" in err
    for code_name in ("exosome-injection", "exosome-microneedling", "prp", "minoxidil"):
        assert code_name in err


def test_unknown_patient(run: Run) -> None:
    code, _, err = run("treatment", "list", "--patient", "NOPE")
    assert code == 1 and "NOPE" in err


# ---- import -----------------------------------------------------------------------------------

def test_import_json_and_exit_codes(run: Run, tmp_path: Path) -> None:
    run("patient", "add", "--mrn", "HT-1", "--name", "Ann")
    photos = sorted(SCALP.glob("*.jpg"))[:3]
    data = run.json("import", "--patient", "HT-1", *map(str, photos))
    assert {"imported", "duplicates", "rejected"} <= set(data)
    assert (len(data["imported"]), data["duplicates"], data["rejected"]) == (3, [], [])
    assert {"path", "photo_id", "sha256", "visit_id", "view", "captured_at"} <= set(
        data["imported"][0])
    assert data["imported"][0]["view"] == "vertex"

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"")
    code, out, _ = run("import", "--patient", "HT-1", "--json", str(photos[0]), str(bad))
    data = json.loads(out)
    assert code == 1  # something was rejected
    assert (len(data["imported"]), len(data["duplicates"])) == (0, 1)
    assert data["rejected"] == [{"path": str(bad), "reason": "file is empty"}]

    code, out, _ = run("import", "--patient", "HT-1", *map(str, photos))
    assert code == 0  # duplicates alone are not a failure
    assert "0 imported, 3 duplicate(s), 0 rejected" in out


def test_import_view_and_visit_date(run: Run) -> None:
    run("patient", "add", "--mrn", "HT-1", "--name", "Ann")
    photos = sorted(SCALP.glob("*.jpg"))[:2]
    data = run.json("import", "--patient", "HT-1", "--view", "crown", "--visit-date",
                    "2024-06-01", *map(str, photos))
    assert {i["view"] for i in data["imported"]} == {"vertex"}
    assert len({i["visit_id"] for i in data["imported"]}) == 1
    with pytest.raises(SystemExit):
        run("import", "--patient", "HT-1", "--view", "sideways", str(photos[0]))


def test_import_text_output_names_rejections(run: Run, tmp_path: Path) -> None:
    run("patient", "add", "--mrn", "HT-1", "--name", "Ann")
    code, out, _ = run("import", "--patient", "HT-1", str(tmp_path / "missing.jpg"))
    assert code == 1
    assert "missing.jpg: no such file or folder" in out


# ---- where the library is ---------------------------------------------------------------------

def test_library_option_beats_the_environment(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    env_lib, opt_lib = tmp_path / "env-lib", tmp_path / "opt-lib"
    monkeypatch.setenv(LIBRARY_ENV, str(env_lib))
    assert main(["patient", "add", "--mrn", "ENV-1", "--name", "From Env"]) == 0
    assert main(["--library", str(opt_lib), "patient", "add", "--mrn", "OPT-1", "--name",
                 "From Option"]) == 0
    capsys.readouterr()
    assert (env_lib / DB_FILENAME).is_file() and (opt_lib / DB_FILENAME).is_file()
    assert main(["patient", "list", "--json"]) == 0
    assert [p["mrn"] for p in json.loads(capsys.readouterr().out)] == ["ENV-1"]
    assert main(["--library", str(opt_lib), "patient", "list", "--json"]) == 0
    assert [p["mrn"] for p in json.loads(capsys.readouterr().out)] == ["OPT-1"]


def test_database_option_puts_the_database_elsewhere(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "server" / "clinic.sqlite"
    db.parent.mkdir()
    lib = tmp_path / "lib"
    assert main(["--library", str(lib), "--database", f"sqlite:///{db}", "patient", "add",
                 "--mrn", "DB-1", "--name", "Dee"]) == 0
    assert db.is_file()
    assert not (lib / DB_FILENAME).exists()
    capsys.readouterr()
    monkeypatch.setenv(DATABASE_ENV, f"sqlite:///{db}")
    assert main(["--library", str(tmp_path / "other"), "patient", "list", "--json"]) == 0
    assert [p["mrn"] for p in json.loads(capsys.readouterr().out)] == ["DB-1"]


def test_unusable_library_is_a_one_line_error(run: Run, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    code, _, err = run("--library", str(not_a_folder), "patient", "list", library=False)
    assert code == 1 and err.count("\n") == 1 and "is a file" in err

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / DB_FILENAME).write_bytes(b"garbage" * 1000)
    code, _, err = run("--library", str(corrupt), "patient", "list", library=False)
    assert code == 1 and err.count("\n") == 1 and "not a database" in err


def test_python_dash_m_version() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "hairtrack", "--version"], cwd=REPO,
                            capture_output=True, text=True, timeout=60, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"hairtrack {__version__}"


def test_a_reader_that_closes_the_pipe_early_is_not_an_error(run: Run, tmp_path: Path) -> None:
    """`hairtrack patient list | head -1`: no traceback, SIGPIPE's exit status, nothing lost."""
    for i in range(3):
        assert run("patient", "add", "--mrn", f"P-{i}", "--name", f"Patient {i}")[0] == 0
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "hairtrack", "--library", str(run.library),
                             "patient", "list"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes a line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert err == ""
    assert len(run.json("patient", "list")) == 3


# ---- imaging ----------------------------------------------------------------------------------

def _strict_json(text: str) -> Any:
    def no_constants(name: str) -> None:
        raise AssertionError(f"not JSON: {name}")
    return json.loads(text, parse_constant=no_constants)


def test_coverage_json_keys_on_a_real_photo(run: Run) -> None:
    code, out, err = run("coverage", str(SCALP / "test-001-top-down.jpg"), "--json",
                         library=False)
    assert code == 0, err
    data = _strict_json(out)
    assert set(data) == {"coverage", "confidence", "roi_pixels", "threshold", "method",
                         "algorithm_version"}
    assert 0.0 <= data["coverage"] <= 1.0


def test_coverage_with_nothing_to_measure_prints_strict_json(run: Run, tmp_path: Path) -> None:
    """A lens-cap photo: coverage and threshold are null (Python would print NaN, not JSON)."""
    import cv2
    import numpy as np

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.zeros((300, 400, 3), np.uint8))
    code, out, err = run("coverage", str(blank), "--json", library=False)
    assert code == 0, err
    data = _strict_json(out)
    assert data["coverage"] is None and data["threshold"] is None
    code, out, _ = run("coverage", str(blank), library=False)
    assert code == 0 and out.startswith("coverage not measured: ") and "no detail" in out

"""`hairtrack migrate-to`: progress per table, a table of counts, one-line errors, no passwords.

(backup and restore are exercised in tests/reliability/test_backup.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from hairtrack.cli.main import main
from hairtrack.core.library import DB_FILENAME

SCALP = Path(__file__).resolve().parents[1] / "data" / "scalp-photos"


@pytest.fixture
def clinic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A library used through the CLI: two patients, photos, a treatment, a trashed photo."""
    lib = str(tmp_path / "lib")
    photos = [str(p) for p in sorted(SCALP.glob("*.jpg"))[:3]]
    for argv in (["patient", "add", "--mrn", "HT-1", "--name", "Ann Lee"],
                 ["patient", "add", "--mrn", "HT-2", "--name", "Bo Chen"],
                 ["import", "--patient", "HT-1", *photos],
                 ["treatment", "add", "--patient", "HT-1", "--date", "2025-01-02", "--type",
                  "prp"],
                 ["delete", "photo", "2"]):
        assert main(["--library", lib, *argv]) == 0
    capsys.readouterr()
    return tmp_path / "lib"


def with_password(url: str) -> str:
    """The test server trusts its clients, so a password is sent nowhere, only shown."""
    return make_url(url).set(password="pw-s3cret").render_as_string(hide_password=False)


def test_migrate_to_postgresql_then_open_the_library_there(
        clinic: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = with_password(postgres_url)
    assert main(["--library", str(clinic), "migrate-to", "--database", url]) == 0
    out, err = capsys.readouterr()
    assert "pw-s3cret" not in out + err and "***" in out
    assert "copied patients: 2 rows" in err and "verified view_settings" in err
    table = dict(line.split() for line in out.splitlines()
                 if len(line.split()) == 2 and line.split()[1].isdigit())
    assert (table["patients"], table["photos"], table["treatment_events"]) == ("2", "3", "1")
    assert "every row matches the source" in out

    assert main(["--library", str(clinic), "--database", url, "patient", "list", "--json"]) == 0
    assert [p["mrn"] for p in json.loads(capsys.readouterr().out)] == ["HT-1", "HT-2"]
    assert main(["--library", str(clinic), "--database", url, "trash", "list", "--json"]) == 0
    assert [e["kind"] for e in json.loads(capsys.readouterr().out)] == ["photo"]
    assert main(["--library", str(clinic), "--database", url, "doctor", "--quick"]) == 0


def test_the_global_database_option_still_names_the_source(
        clinic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = f"sqlite:///{clinic / DB_FILENAME}"
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    assert main(["--library", str(clinic), "--database", source, "migrate-to", "--to",
                 f"sqlite:///{first}", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tables"]["patients"] == 2 and report["source"] == source
    # the copy is a library database in its own right: it can be the source of another move
    assert main(["--library", str(clinic), "--database", f"sqlite:///{first}", "migrate-to",
                 "--database", f"sqlite:///{second}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"]["patients"] == 2


def test_failures_are_one_line_without_password(clinic: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    unreachable = "postgresql+psycopg://clinic:pw-s3cret@127.0.0.1:1/hairtrack"
    own = f"sqlite:///{clinic / DB_FILENAME}"
    missing = ["--library", str(tmp_path / "nowhere")]
    for argv, expected in ((["--library", str(clinic), "migrate-to", "--database", unreachable],
                            "cannot connect to the postgresql server 127.0.0.1:1/hairtrack"),
                           (["--library", str(clinic), "migrate-to", "--database", own],
                            "is the library's own database"),
                           ([*missing, "migrate-to", "--database", "sqlite:///x.sqlite"],
                            "no library at")):
        assert main(argv) == 1
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, err
        assert err.startswith("hairtrack: error:") and expected in err
        assert "pw-s3cret" not in err and "Traceback" not in err
    assert not (tmp_path / "nowhere").exists()


def test_migrate_to_needs_a_target(clinic: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--library", str(clinic), "migrate-to"])
    assert caught.value.code == 2

"""`hairtrack report`: options reach the report, errors are one line, headless works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pdf_reading import clean_env, images, page_texts

from hairtrack.cli.main import main
from hairtrack.core.library import Library
from hairtrack.report import deidentify


def test_report_command_writes_the_pdf(fake_library: tuple[Library, int], qapp: object,
                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    library, _ = fake_library
    out = tmp_path / "report.pdf"
    code = main(["--library", str(library.root), "report", "--patient", "DEMO-001", "-o",
                 str(out), "--views", "vertex", "crown", "frontal", "--no-strip",
                 "--paper", "Letter", "--clinic", "Keller Hair Clinic", "--clinician",
                 "Dr. Rossi", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["path"] == str(out) and result["pages"] == 2 + 2 + 1
    assert result["views"] == ["vertex", "frontal"]
    assert result["images"] == len(images(out)) == 2 * 3
    first = page_texts(out)[0]
    assert "Keller Hair Clinic" in first and "Dr. Rossi" in first and "DEMO-001" in first


def test_deidentified_from_the_command_line(fake_copy: tuple[Library, int], qapp: object,
                                            tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    library, _ = fake_copy
    out = tmp_path / "anon.pdf"
    assert main(["--library", str(library.root), "report", "--patient", "DEMO-001", "-o",
                 str(out), "--deidentify", "--from", "2025-11-01", "--to", "2026-06-30",
                 "--no-overlays", "--clinic", "K", "--clinician", "C"]) == 0
    printed = capsys.readouterr().out
    code = deidentify.pseudonym(library.root, "DEMO-001")
    assert code in printed and "DEMO-001" not in printed
    text = " ".join(page_texts(out))
    assert code in text and "DEMO-001" not in text and "Alex" not in text
    assert "1 Nov 2025 – 30 Jun 2026" in text


def test_errors_are_one_line(fake_library: tuple[Library, int], qapp: object, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    library, _ = fake_library
    root = str(library.root)
    assert main(["--library", root, "report", "--patient", "NOPE", "-o",
                 str(tmp_path / "r.pdf"), "--clinic", "K"]) == 1
    assert "NOPE" in capsys.readouterr().err
    assert main(["--library", root, "report", "--patient", "DEMO-001", "-o",
                 str(tmp_path / "r.txt")]) == 1
    assert ".pdf" in capsys.readouterr().err
    assert main(["--library", root, "report", "--patient", "DEMO-001", "-o",
                 str(tmp_path / "no" / "r.pdf")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["--library", root, "report", "--patient", "DEMO-001", "-o",
                 str(tmp_path / "r.pdf"), "--from", "2026-01-02", "--to", "2026-01-01"]) == 1
    assert "starts after" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_headless_without_display_or_platform(fake_copy: tuple[Library, int],
                                              tmp_path: Path) -> None:
    """A server or SSH session: no DISPLAY, no QT_QPA_PLATFORM; the command must not abort."""
    library, _ = fake_copy
    out = tmp_path / "headless.pdf"
    env = clean_env()
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no user settings
    run = subprocess.run([sys.executable, "-m", "hairtrack", "--library", str(library.root),
                          "report", "--patient", "DEMO-001", "-o", str(out), "--clinic", "K",
                          "--no-strip", "--no-overlays"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.exists() and "wrote" in run.stdout

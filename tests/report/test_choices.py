"""Whether a report export can start: the dialog's rule, without Qt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hairtrack.core.domain import View
from hairtrack.report.choices import PatientChoices, export_problem

CHOICES = PatientChoices("MRN-4471", "Jordan Example", (View.VERTEX,), date(2025, 1, 1),
                         date(2025, 6, 1), "HT-7Q2K", None)


def problem(tmp_path: Path, name: str = "report.pdf", *, views: bool = True,
            period: tuple[date, date] | None = None, deidentify: bool = False,
            choices: PatientChoices | None = CHOICES) -> str:
    return export_problem(choices, views, period, str(tmp_path / name), deidentify)


def test_a_complete_choice_can_start(tmp_path: Path) -> None:
    assert problem(tmp_path) == ""
    assert problem(tmp_path, "HT-7Q2K.pdf", deidentify=True) == ""


def test_each_missing_or_wrong_choice_is_named(tmp_path: Path) -> None:
    assert "still being read" in problem(tmp_path, choices=None)
    assert "at least one view" in problem(tmp_path, views=False)
    assert "starts after it ends" in problem(tmp_path, period=(date(2025, 5, 1),
                                                                date(2025, 4, 1)))
    assert "must end in .pdf" in problem(tmp_path, "report.txt")
    assert "does not exist" in problem(tmp_path, "missing/report.pdf")
    assert "where to save" in export_problem(CHOICES, True, None, "   ", False)


def test_a_deidentified_report_refuses_a_file_name_with_the_patient_in_it(
        tmp_path: Path) -> None:
    for name in ("MRN-4471 report.pdf", "jordan.pdf", "EXAMPLE progress.pdf"):
        assert "name or MRN" in problem(tmp_path, name, deidentify=True), name
    assert problem(tmp_path, "jordan.pdf") == ""  # identified reports may say who

"""The words the import dialog shows for each file's outcome and for the whole import."""

from __future__ import annotations

from pathlib import Path

from hairtrack.core.services.importer import Duplicate, ImportReport, Rejected
from hairtrack.ui.import_table import outcome_summary, outcomes


def test_each_file_gets_its_state_and_reason() -> None:
    report = ImportReport(duplicates=(Duplicate(Path("a.jpg"), 7, "0" * 64),),
                          rejected=(Rejected(Path("b.jpg"), "b.jpg is not an image"),))
    assert outcomes(report) == {
        Path("a.jpg"): ("duplicate", "Already in the library (photo 7)"),
        Path("b.jpg"): ("rejected", "b.jpg is not an image")}


def test_the_summary_counts_what_happened_and_says_when_it_stopped_early() -> None:
    report = ImportReport(duplicates=(Duplicate(Path("a.jpg"), 7, "0" * 64),), cancelled=True)
    assert outcome_summary(report, rejected=2) == (
        "Imported 0 photos  ·  1 already in the library  ·  2 rejected (see Result)"
        "  ·  cancelled before the end")
    assert outcome_summary(ImportReport(), rejected=0) == "Imported 0 photos"

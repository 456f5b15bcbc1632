"""The audit log: every change leaves an entry, tampering shows, writers never fork it."""

from __future__ import annotations

import csv
import multiprocessing
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.exc import DatabaseError

from hairtrack.core.library import DB_FILENAME, Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import audit_log, importer, records, trash
from hairtrack.report.export import export_report
from hairtrack.report.model import ReportOptions
from hairtrack.settings import ClinicDetails


def actions(library: Library) -> list[tuple[str, str]]:
    return [(e.action, e.entity) for e in reversed(audit_log.entries(library))]


def test_each_change_is_logged_with_who_and_which_patient(library: Library,
                                                          scalp_photos: list[Path]) -> None:
    library.actor = "Dr Ada (ada)"
    patient = records.add_patient(library, "A-1", "Ann")
    records.update_patient(library, patient.id, mrn="A-1", name="Ann Smith",
                           date_of_birth=date(1980, 1, 2), sex=patient.sex, notes="")
    event = records.add_treatment(library, patient.id,
                                  records.TreatmentFields(date(2025, 1, 1), "prp", lot="L-9"))
    report = run_task(importer.import_paths(library, patient.id, scalp_photos[:2]))
    records.delete_treatment(library, event.id)
    trash.delete_photo(library, report.imported[0].photo.id)
    assert actions(library) == [("create", "patient"), ("edit", "patient"),
                                ("create", "treatment"), ("import", "photo"),
                                ("import", "photo"), ("delete", "treatment"),
                                ("delete", "photo")]
    newest = audit_log.entries(library)
    assert {e.actor for e in newest} == {"Dr Ada (ada)"}
    assert {e.patient_id for e in newest} == {patient.id}
    assert "name, date of birth" in newest[-2].summary  # which fields, not their values
    assert "L-9" in newest[1].summary  # a deleted treatment stays readable in the log
    assert audit_log.verify(library) == []


def test_the_log_refuses_updates_and_deletes(library: Library) -> None:
    records.add_patient(library, "A-1", "Ann")
    connection = sqlite3.connect(library.root / DB_FILENAME)
    try:
        for statement in ("UPDATE audit_log SET summary = 'nothing happened'",
                          "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                connection.execute(statement)
    finally:
        connection.close()
    assert audit_log.verify(library) == []


def tamper(library: Library, *statements: str) -> None:
    """What someone with the database file and a SQLite shell could do."""
    connection = sqlite3.connect(library.root / DB_FILENAME)
    try:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("DROP TRIGGER audit_log_no_delete")
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


@pytest.mark.parametrize(("statements", "expected"), [
    (["UPDATE audit_log SET summary = 'added nobody' WHERE seq = 2"], "changed after"),
    (["UPDATE audit_log SET actor = 'someone else' WHERE seq = 1"], "changed after"),
    (["DELETE FROM audit_log WHERE seq = 2"], "missing"),
    (["DELETE FROM audit_log WHERE seq = 3"], "newest entries were removed"),
    (["UPDATE audit_log SET seq = seq + 10 WHERE seq = 3"], "missing"),
])
def test_tampering_is_detected(library: Library, statements: list[str], expected: str) -> None:
    for n in range(3):
        records.add_patient(library, f"A-{n}", f"Patient {n}")
    assert audit_log.verify(library) == []
    tamper(library, *statements)
    problems = audit_log.verify(library)
    assert problems, "tampering went unnoticed"
    assert any(expected in p.problem for p in problems), problems


def _append_many(root: str, worker: int, count: int) -> None:
    lib = Library.open(root)
    try:
        for n in range(count):
            records.add_patient(lib, f"W{worker}-{n}", f"Worker {worker} patient {n}")
    finally:
        lib.close()


def test_concurrent_writers_extend_one_chain(tmp_path: Path) -> None:
    root = tmp_path / "library"
    Library.open(root).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(root), w, 25)) for w in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    lib = Library.open(root)
    try:
        assert audit_log.verify(lib) == []
        assert [e.seq for e in audit_log.entries(lib)] == list(range(75, 0, -1))
        assert len(records.list_patients(lib)) == 75
    finally:
        lib.close()


def test_csv_export_is_complete_and_formula_safe(library: Library, tmp_path: Path) -> None:
    patient = records.add_patient(library, "=1+1", "=HYPERLINK(\"http://x\")")
    records.add_patient(library, "B-2", "Bea, \"the\" second")
    target = tmp_path / "audit.csv"
    assert audit_log.export_csv(library, target) == 2
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["seq"] for r in rows] == ["1", "2"]
    assert rows[0]["patient_id"] == str(patient.id)
    assert not any(cell.startswith("=") for r in rows for cell in r.values())
    assert 'Bea, "the" second' in rows[1]["summary"]
    assert audit_log.entries(library, limit=1)[0].action == "export"  # the export is logged
    assert audit_log.verify(library) == []


def test_a_failed_change_leaves_no_entry(library: Library) -> None:
    records.add_patient(library, "A-1", "Ann")
    with pytest.raises(records.Conflict):
        records.add_patient(library, "A-1", "Ann again")
    assert len(audit_log.entries(library)) == 1
    with pytest.raises((DatabaseError, ValueError)):
        records.add_patient(library, "", "No MRN")
    assert len(audit_log.entries(library)) == 1


def test_report_export_is_logged(library: Library, scalp_photos: list[Path], tmp_path: Path,
                                 qapp: object) -> None:
    patient = records.add_patient(library, "R-1", "Rae")
    run_task(importer.import_paths(library, patient.id, scalp_photos[:2]))
    for deidentify in (False, True):
        run_task(export_report(library, patient.id, tmp_path / f"r{deidentify}.pdf",
                               ReportOptions(deidentify=deidentify),
                               ClinicDetails("Clinic", None, "Dr. A", "A4")))
    exports = [e for e in audit_log.entries(library) if e.action == "export"]
    assert [e.summary.split(" (")[0] for e in exports] == [
        "exported a de-identified report", "exported a report"]
    assert {e.patient_id for e in exports} == {patient.id}
    assert audit_log.verify(library) == []

"""The GUI and a command-line import on one library at once: both finish, nothing is lost."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

from hairtrack.cli.main import main
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import analysis, audit_log, doctor, importer, records, trash


def _cli_import(root: str, files: list[str]) -> int:
    return main(["--library", root, "import", "--patient", "IMP-1", *files])


def _clinic_work(root: str, photos: list[str]) -> None:
    """What the desktop app does meanwhile: edits, deletions and an analysis."""
    lib = Library.open(root)
    try:
        patient = records.patient_by_mrn(lib, "GUI-1")
        run_task(importer.import_paths(lib, patient.id, [Path(p) for p in photos]))
        for n in range(30):
            records.add_treatment(lib, patient.id, records.TreatmentFields(
                date(2025, 1, 1 + n % 28), "minoxidil", notes=f"edit {n}"))
            records.update_patient(lib, patient.id, mrn="GUI-1", name=f"Gus {n}",
                                   date_of_birth=None, sex=patient.sex, notes="")
        visit = records.patient_record(lib, patient.id).visits[0]
        trash.delete_visit(lib, visit.id)
        trash.restore(lib, trash.Kind.VISIT, visit.id)
        run_task(analysis.analyze_patient(lib, patient.id, workers=1))
    finally:
        lib.close()


def _run_cli(root: str, files: list[str], queue: multiprocessing.Queue[int]) -> None:
    queue.put(_cli_import(root, files))


def test_gui_work_and_cli_import_at_once(tmp_path: Path, scalp_photos: list[Path]) -> None:
    root = tmp_path / "library"
    lib = Library.open(root)
    records.add_patient(lib, "IMP-1", "Ivy Import")
    records.add_patient(lib, "GUI-1", "Gus")
    lib.close()
    cli_files = [str(p) for p in scalp_photos[:24]]
    gui_files = [str(p) for p in scalp_photos[30:32]]

    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[int] = context.Queue()
    cli = context.Process(target=_run_cli, args=(str(root), cli_files, results))
    gui = context.Process(target=_clinic_work, args=(str(root), gui_files))
    cli.start()
    gui.start()
    cli.join(300)
    gui.join(300)
    assert gui.exitcode == 0
    assert cli.exitcode == 0 and results.get(timeout=5) == 0

    lib = Library.open(root)
    try:
        imported = records.patient_record(lib, records.patient_by_mrn(lib, "IMP-1").id)
        assert len(imported.photos) == 24
        gus = records.patient_by_mrn(lib, "GUI-1")
        record = records.patient_record(lib, gus.id)
        assert gus.name == "Gus 29" and len(record.treatments) == 30 and len(record.photos) == 2
        assert len(lib.store.hashes()) == 26
        assert audit_log.verify(lib) == []
        assert run_task(doctor.examine(lib)).healthy
    finally:
        lib.close()

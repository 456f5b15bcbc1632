"""One desktop of the clinic load test: a separate process working through its plan.

    python benchmarks/clinic_load_client.py --library DIR [--database URL] --client N
        --clients K --operations 100 --photos DIR --seed S --barrier DIR --out results.json

It opens the shared library like any desktop (`Library.open(DIR, URL)`), waits for the
other clients, then performs its plan (benchmarks/clinic_load.py) and writes, per step,
the kind, the seconds it took, its outcome and what it created, so the test can count
every row and the benchmark can time every kind. An outcome the clinic would see as
normal on a shared library is *ok*, *duplicate* (the file is already in the library),
*conflict* (the MRN is taken) or *changed-elsewhere* (an edit made on a stale copy, after
one reload and retry); anything else is an *error*, and the client exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

from clinic_load import TREATMENTS, Barrier, Step, plan

from hairtrack.core.domain import View
from hairtrack.core.library import DATABASE_ENV, Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer, records
from hairtrack.core.services.records import ChangedElsewhere, Conflict, TreatmentFields

Record = dict[str, Any]


class Client:
    """Runs steps against one open library and remembers which records it can work on."""

    def __init__(self, library: Library, number: int, barrier: Barrier, photos: Path,
                 seed: int) -> None:
        self.library, self.number, self.barrier, self.photos = library, number, barrier, photos
        self.rng = random.Random(f"{seed}-{number}-run")
        self.own: list[int] = []  # patients this client added
        self.shared: list[int] = []  # patients every client works on (SH-n, ANY-n)
        self.together = 0  # the newest SH-n patient: what together steps work on
        self.with_visits: set[int] = set()
        self.with_treatments: set[int] = set()
        self.sync_seconds = 0.0

    # ---- one step ---------------------------------------------------------------------

    def run(self, step: Step) -> Record:
        if step.together:
            self.sync_seconds += self.barrier.wait(f"step-{step.index}")
        record: Record = {"index": step.index, "kind": step.kind, "together": step.together,
                          "shared": step.shared, "first": None, "retried": False,
                          "message": "", "created": {}}
        action = getattr(self, "_" + step.kind.replace("-", "_"))
        started = time.perf_counter()
        try:
            record["outcome"] = action(step, record)
        except ChangedElsewhere as exc:
            record["outcome"], record["message"] = "changed-elsewhere", str(exc)
        except Conflict as exc:
            expected = step.kind == "add-patient" and "already exists" in str(exc)
            record["outcome"] = "conflict" if expected else "error"
            record["message"] = str(exc)
        except Exception as exc:  # anything unexpected is what the load test looks for
            record["outcome"] = "error"
            record["message"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        record["seconds"] = time.perf_counter() - started - record.pop("unclocked", 0.0)
        record["first"] = record["first"] or record["outcome"]
        record["audit"] = int(record["outcome"] == "ok")  # every saved change logs one entry
        return record

    def _add_patient(self, step: Step, record: Record) -> str:
        record["mrn"] = step.mrn
        try:
            patient = records.add_patient(self.library, step.mrn,
                                          f"Load {step.mrn} by client {self.number}")
        except Conflict:
            if step.shared:  # another desktop won the MRN: work on that patient too
                self._remember_shared(step, records.patient_by_mrn(self.library, step.mrn).id)
            raise
        record["created"] = {"patient": patient.id, "mrn": patient.mrn}
        if step.shared:
            self._remember_shared(step, patient.id)
        else:
            self.own.append(patient.id)
        return "ok"

    def _remember_shared(self, step: Step, patient_id: int) -> None:
        self.shared.append(patient_id)
        if step.together:
            self.together = patient_id

    def _import(self, step: Step, record: Record) -> str:
        patient = self.together if step.together else self._patient(step.shared)
        item = importer.ImportItem(self.photos / step.photo,
                                   view=self.rng.choice(list(View)),
                                   visit_date=date.fromisoformat(step.day) if step.by_date
                                   else None)
        report = run_task(importer.import_items(self.library, patient, [item]))
        self.with_visits.add(patient)
        if report.rejected:
            raise RuntimeError(f"rejected {step.photo}: {report.rejected[0].reason}")
        if report.duplicates:
            record["created"] = {"sha256": report.duplicates[0].sha256, "file": step.photo}
            return "duplicate"
        photo = report.imported[0].photo
        record["created"] = {"photo": photo.id, "sha256": photo.sha256, "file": step.photo,
                             "size": photo.size_bytes, "visit": photo.visit_id,
                             "patient": patient, "by_date": step.by_date, "day": step.day}
        return "ok"

    def _add_visit(self, step: Step, record: Record) -> str:
        patient = self._patient(step.shared)
        at = datetime.combine(date.fromisoformat(step.day), clock(10)).astimezone()
        visit = records.add_visit(self.library, patient, at,
                                  notes=f"added by client {self.number}")
        self.with_visits.add(patient)
        record["created"] = {"visit": visit.id, "patient": patient}
        return "ok"

    def _add_treatment(self, step: Step, record: Record) -> str:
        patient = self.together if step.together else self._patient(step.shared)
        event = records.add_treatment(self.library, patient, TreatmentFields(
            date.fromisoformat(step.day), self.rng.choice(TREATMENTS),
            product="LoadTest", lot=f"L{step.index}", clinician=f"client {self.number}"))
        self.with_treatments.add(patient)
        record["created"] = {"treatment": event.id, "patient": patient}
        return "ok"

    # ---- edits: read the record (as a form opens), then save with its version ---------------

    def _edit_patient(self, step: Step, record: Record) -> str:
        def load(patient: int) -> tuple[Any, ...]:
            return (records.patient_record(self.library, patient).patient,)

        def save(p: Any) -> None:
            records.update_patient(self.library, p.id, mrn=p.mrn, name=p.name,
                                   date_of_birth=p.date_of_birth, sex=p.sex,
                                   notes=self._note(step), expected_version=p.version)

        return self._edit(step, record, None, load, save)

    def _edit_visit(self, step: Step, record: Record) -> str:
        def load(patient: int) -> tuple[Any, ...]:
            return records.patient_record(self.library, patient).visits

        def save(v: Any) -> None:
            records.update_visit(self.library, v.id, v.visited_at, self._note(step),
                                 expected_version=v.version)

        return self._edit(step, record, self.with_visits, load, save)

    def _edit_treatment(self, step: Step, record: Record) -> str:
        def load(patient: int) -> tuple[Any, ...]:
            return records.patient_record(self.library, patient).treatments

        def save(t: Any) -> None:
            records.update_treatment(self.library, t.id, TreatmentFields(
                t.date, t.type_code, product=t.product, lot=t.lot,
                dose=f"{self.rng.randint(1, 9)} ml", clinician=t.clinician,
                notes=self._note(step)), expected_version=t.version)

        return self._edit(step, record, self.with_treatments, load, save)

    def _edit(self, step: Step, record: Record, having: set[int] | None,
              load: Callable[[int], tuple[Any, ...]], save: Callable[[Any], None]) -> str:
        """Open a record (read it), save with the version read; if it was changed
        elsewhere meanwhile, reload that record and save once more.

        A together edit opens the oldest record, waits until every client has opened the
        same version, then saves: exactly one save can win, the others must be told.
        """
        if step.together:
            patient = self.together
            try:
                items = load(patient)
            finally:  # the others wait for this client even if loading failed
                waited = self.barrier.wait(f"step-{step.index}-opened")
                self.sync_seconds += waited
                record["unclocked"] = waited
            target = min(items, key=lambda item: item.id) if items else None
        else:
            pool = self.shared if step.shared and self.shared else self.own
            known = [p for p in pool if having is None or p in having]
            patient = self.rng.choice(known or pool)
            items = load(patient)
            target = self.rng.choice(items) if items else None
        if target is None:
            return "skipped"  # nothing of that kind on the patient yet
        record["edited"] = {"entity": step.kind.removeprefix("edit-"), "id": target.id}
        try:
            save(target)
        except ChangedElsewhere:
            record["first"], record["retried"] = "changed-elsewhere", True
            save(next(item for item in load(patient) if item.id == target.id))
        return "ok"

    def _patient(self, shared: bool) -> int:
        pool = self.shared if shared and self.shared else self.own
        return self.rng.choice(pool)

    def _note(self, step: Step) -> str:
        return f"edited by client {self.number} at step {step.index} ({self.rng.random():.6f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--database", help="database URL (default: the library's SQLite)")
    parser.add_argument("--client", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1, help="parties at each barrier")
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--barrier", type=Path, help="folder the clients meet in")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    # Without --database the library's own SQLite file, never a configured clinic server.
    os.environ.pop(DATABASE_ENV, None)
    barrier = Barrier(args.barrier or args.out.parent / "barrier", args.clients, args.client)
    library = Library.open(args.library, args.database, create=False)
    library.actor = f"client-{args.client}"
    client = Client(library, args.client, barrier, args.photos, args.seed)
    steps = plan(args.seed, args.client, args.operations)
    barrier.wait("start")
    started, cpu = time.time(), time.process_time()
    done = [client.run(step) for step in steps]
    finished, cpu = time.time(), time.process_time() - cpu
    library.close()
    args.out.write_text(json.dumps({
        "client": args.client, "clients": args.clients,
        "backend": library.engine.url.get_backend_name(), "started": started,
        "finished": finished, "sync_seconds": client.sync_seconds, "cpu_seconds": cpu,
        "steps": done}, indent=1))
    errors = [s for s in done if s["outcome"] == "error"]
    for step in errors:
        print(f"client {args.client} step {step['index']} ({step['kind']}): {step['message']}",
              file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())

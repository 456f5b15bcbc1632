"""Commands over the patient record: patients, treatments, import, demo."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hairtrack.cli.arguments import iso_date as _date
from hairtrack.cli.arguments import view as _view
from hairtrack.cli.output import CommandError, print_json, run_with_progress
from hairtrack.core.domain import Patient, Sex, TreatmentEvent, View
from hairtrack.core.library import Library
from hairtrack.core.services import importer, records


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    patient = commands.add_parser("patient", help="add or list patients")
    patient_cmds = patient.add_subparsers(dest="patient_command", metavar="ACTION",
                                          required=True)
    add = patient_cmds.add_parser("add", help="add a patient")
    add.add_argument("--mrn", required=True, help="medical record number / external id")
    add.add_argument("--name", required=True)
    add.add_argument("--dob", type=_date, help="date of birth, YYYY-MM-DD")
    add.add_argument("--sex", choices=["F", "M", "X"], default=None)
    add.add_argument("--notes", default="")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=patient_add)
    lst = patient_cmds.add_parser("list", help="list patients")
    lst.add_argument("--search", default="", help="filter by name or MRN")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=patient_list)

    treatment = commands.add_parser("treatment", help="record treatment events")
    treatment_cmds = treatment.add_subparsers(dest="treatment_command", metavar="ACTION",
                                              required=True)
    tadd = treatment_cmds.add_parser("add", help="record a treatment event")
    tadd.add_argument("--patient", required=True, metavar="MRN")
    tadd.add_argument("--date", required=True, type=_date)
    tadd.add_argument("--type", required=True,
                      help="e.g. exosome-injection, exosome-microneedling, prp, minoxidil")
    for name in ("product", "lot", "dose", "device", "clinician", "notes"):
        tadd.add_argument(f"--{name}", default="")
    tadd.add_argument("--json", action="store_true")
    tadd.set_defaults(handler=treatment_add)
    tlist = treatment_cmds.add_parser("list", help="list a patient's treatment events")
    tlist.add_argument("--patient", required=True, metavar="MRN")
    tlist.add_argument("--json", action="store_true")
    tlist.set_defaults(handler=treatment_list)

    imp = commands.add_parser("import", help="import photos into a patient's record")
    imp.add_argument("--patient", required=True, metavar="MRN")
    imp.add_argument("--view", type=_view, default=View.VERTEX,
                     help="view of all imported photos (default: vertex)")
    imp.add_argument("--visit-date", type=_date,
                     help="put every photo in this visit (default: group by capture date)")
    imp.add_argument("paths", nargs="+", metavar="PATH", type=Path)
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=import_photos)

    demo = commands.add_parser("demo", help="create the demo patient DEMO-001")
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(handler=create_demo)


def patient_json(patient: Patient) -> dict[str, Any]:
    return {"id": patient.id, "mrn": patient.mrn, "name": patient.name,
            "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth
            else None, "sex": patient.sex.value, "notes": patient.notes,
            "created_at": patient.created_at.isoformat()}


def treatment_json(event: TreatmentEvent) -> dict[str, Any]:
    return {"id": event.id, "date": event.date.isoformat(), "type": event.type_code,
            "type_label": event.type_label, "product": event.product, "lot": event.lot,
            "dose": event.dose, "device_settings": event.device_settings,
            "clinician": event.clinician, "notes": event.notes}


def patient_add(library: Library, args: argparse.Namespace) -> int:
    sex = Sex(args.sex) if args.sex else Sex.UNKNOWN
    patient = records.add_patient(library, args.mrn, args.name, args.dob, sex, args.notes)
    if args.json:
        print_json(patient_json(patient))
    else:
        print(f"added patient {patient.mrn}: {patient.name}")
    return 0


def patient_list(library: Library, args: argparse.Namespace) -> int:
    patients = records.list_patients(library, args.search)
    if args.json:
        print_json([patient_json(p) for p in patients])
        return 0
    if not patients:
        print("no patients")
    for p in patients:
        dob = p.date_of_birth.isoformat() if p.date_of_birth else "-"
        print(f"{p.mrn:<16} {p.name:<32} {dob:<10} {p.sex.value}")
    return 0


def treatment_add(library: Library, args: argparse.Namespace) -> int:
    patient = records.patient_by_mrn(library, args.patient)
    fields = records.TreatmentFields(args.date, args.type, args.product, args.lot, args.dose,
                                     args.device, args.clinician, args.notes)
    event = records.add_treatment(library, patient.id, fields)
    if args.json:
        print_json(treatment_json(event))
    else:
        print(f"recorded {event.type_label} on {event.date} for {patient.mrn}")
    return 0


def treatment_list(library: Library, args: argparse.Namespace) -> int:
    patient = records.patient_by_mrn(library, args.patient)
    events = records.patient_record(library, patient.id).treatments
    if args.json:
        print_json([treatment_json(e) for e in events])
        return 0
    for e in events:
        print(f"{e.date}  {e.type_label:<24} {e.product} {e.lot} {e.dose} {e.device_settings}")
    return 0


def import_photos(library: Library, args: argparse.Namespace) -> int:
    patient = records.patient_by_mrn(library, args.patient)
    report = run_with_progress(importer.import_paths(
        library, patient.id, args.paths, view=args.view, visit_date=args.visit_date))
    if args.json:
        print_json(report.to_json())
    else:
        shown = importer.display_path  # a name that is not UTF-8 must not crash the print
        for item in report.imported:
            extra = f" ({item.note})" if item.note else ""
            print(f"imported   {shown(item.path)}{extra}")
        for dup in report.duplicates:
            print(f"duplicate  {shown(dup.path)} (already stored as photo {dup.photo_id})")
        for rej in report.rejected:
            print(f"rejected   {shown(rej.path)}: {rej.reason}")
        print(f"{len(report.imported)} imported, {len(report.duplicates)} duplicate(s), "
              f"{len(report.rejected)} rejected")
    return 1 if report.rejected else 0


def create_demo(library: Library, args: argparse.Namespace) -> int:
    from hairtrack.core.services import demo

    try:
        result = run_with_progress(demo.create_demo_patient(library))
    except demo.DemoExists as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        print_json({"patient": patient_json(result.patient), "visits": result.visits,
                    "photos": result.photos, "treatments": result.treatments})
    else:
        print(f"created demo patient {result.patient.mrn} with {result.visits} visits, "
              f"{result.photos} photos and {result.treatments} treatment events")
    return 0

"""`hairtrack report`: write a patient's PDF progress report from the command line."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from hairtrack.cli.arguments import iso_date as _date
from hairtrack.cli.arguments import view as _view
from hairtrack.cli.output import CommandError, print_json, run_with_progress
from hairtrack.core.library import Library
from hairtrack.core.services import records


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report", help="write a patient's PDF progress report",
        description="Write a PDF progress report: summary, chart, treatments and, per view, "
                    "baseline and latest photos, the gain/loss map and all visits.")
    report.add_argument("--patient", required=True, metavar="MRN")
    report.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf")
    report.add_argument("--deidentify", action="store_true",
                        help="print a pseudonymous code instead of name, MRN and date of birth")
    report.add_argument("--views", nargs="+", type=_view, metavar="VIEW",
                        help="views to include (default: every analysed view)")
    report.add_argument("--from", dest="date_from", type=_date, metavar="YYYY-MM-DD",
                        help="first day of the period covered")
    report.add_argument("--to", dest="date_to", type=_date, metavar="YYYY-MM-DD",
                        help="last day of the period covered")
    report.add_argument("--no-strip", action="store_true", help="leave out the visit strips")
    report.add_argument("--no-overlays", action="store_true",
                        help="leave out the gain/loss maps")
    report.add_argument("--paper", choices=["A4", "Letter"],
                        help="paper size (default: from settings)")
    report.add_argument("--clinic", help="clinic name (default: from settings)")
    report.add_argument("--clinician", help="clinician (default: from settings)")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=write_report)


def write_report(library: Library, args: argparse.Namespace) -> int:
    from hairtrack.report import ensure_app

    ensure_app()  # before any other Qt use: decides the platform (offscreen when headless)

    from hairtrack.report.deidentify import SecretUnavailable
    from hairtrack.report.export import export_report
    from hairtrack.report.model import ReportOptions
    from hairtrack.settings import Settings

    output: Path = args.output
    if output.suffix.lower() != ".pdf":
        raise CommandError(f"{output} must end in .pdf")
    if not output.parent.exists():
        raise CommandError(f"the folder {output.parent} does not exist")
    patient = records.patient_by_mrn(library, args.patient)
    clinic = Settings().clinic
    if args.clinic is not None:
        clinic = replace(clinic, clinic_name=args.clinic)
    if args.clinician is not None:
        clinic = replace(clinic, clinician=args.clinician)
    options = ReportOptions(views=tuple(args.views) if args.views else None,
                            date_from=args.date_from, date_to=args.date_to,
                            deidentify=args.deidentify, include_strip=not args.no_strip,
                            include_overlays=not args.no_overlays, paper=args.paper)
    try:
        result = run_with_progress(export_report(library, patient.id, output, options, clinic))
    except SecretUnavailable as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        print_json(result.to_json())
    else:
        who = result.patient_code if result.deidentified else patient.mrn
        print(f"wrote {result.path} for {who}: {result.pages} pages, "
              f"{result.size_bytes / 1e6:.1f} MB, {result.seconds:.2f} s")
    return 0

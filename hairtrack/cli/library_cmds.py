"""Commands that look after the library itself: doctor, trash, delete and the audit log."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from hairtrack.cli.output import print_json, run_with_progress
from hairtrack.core.library import Library
from hairtrack.core.services import audit_log, doctor, records, trash


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "doctor", help="check the library's integrity (exit 0 healthy, 1 problems remain)")
    check.add_argument("--repair", action="store_true",
                       help="fix what can be fixed without losing data (leftovers, caches, "
                            "permissions)")
    check.add_argument("--quick", action="store_true",
                       help="compare file sizes instead of re-hashing every original")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=run_doctor)

    delete = commands.add_parser("delete", help="move a patient, visit or photo to the trash")
    delete.add_argument("kind", choices=[k.value for k in trash.Kind])
    delete.add_argument("ident", metavar="MRN|ID",
                        help="the patient's MRN, or the visit or photo id")
    delete.set_defaults(handler=run_delete)

    bin_ = commands.add_parser("trash", help="list, restore or purge deleted records")
    actions = bin_.add_subparsers(dest="trash_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="what is in the trash")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=trash_list)
    for name, helptext, handler in (
            ("restore", "bring an entry back", trash_restore),
            ("purge", "delete an entry and its photos for good", trash_purge)):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("kind", choices=[k.value for k in trash.Kind])
        action.add_argument("id", type=int)
        action.set_defaults(handler=handler)
    empty = actions.add_parser("empty", help="delete everything in the trash for good")
    empty.add_argument("--yes", action="store_true", required=True,
                       help="confirm: this cannot be undone")
    empty.set_defaults(handler=trash_empty)

    log = commands.add_parser("audit", help="show, verify or export the audit log")
    log.add_argument("--patient", metavar="MRN", help="only this patient's entries")
    log.add_argument("--limit", type=int, default=50, help="newest N entries (default 50)")
    log.add_argument("--csv", type=Path, metavar="FILE", help="export every entry as CSV")
    log.add_argument("--json", action="store_true")
    log.set_defaults(handler=run_audit)


def run_doctor(library: Library, args: argparse.Namespace) -> int:
    report = run_with_progress(doctor.examine(library, repair=args.repair,
                                              verify_hashes=not args.quick))
    if args.json:
        print_json(report.to_json())
    else:
        counts = ", ".join(f"{n} {what}" for what, n in report.checked.items())
        print(f"checked {counts}")
        for finding in report.findings:
            mark = "repaired" if finding.repaired else finding.severity.value
            where = f" [{finding.path}]" if finding.path else ""
            print(f"  {mark:<8} {finding.check}: {finding.message}{where}")
        problems = report.problems
        print("the library is healthy" if not problems else
              f"{len(problems)} problem(s) remain" + ("" if args.repair else
                                                       "; 'hairtrack doctor --repair' fixes "
                                                       "the fixable ones"))
    return 0 if report.healthy else 1


def run_delete(library: Library, args: argparse.Namespace) -> int:
    kind = trash.Kind(args.kind)
    if kind is trash.Kind.PATIENT:
        ident = records.patient_by_mrn(library, args.ident).id
    else:
        try:
            ident = int(args.ident)
        except ValueError:
            raise ValueError(f"a {kind.value} is named by its number, not {args.ident!r}"
                             ) from None
    delete: dict[trash.Kind, Callable[[Library, int], None]] = {
        trash.Kind.PATIENT: trash.delete_patient, trash.Kind.VISIT: trash.delete_visit,
        trash.Kind.PHOTO: trash.delete_photo}
    delete[kind](library, ident)
    print(f"moved {kind.value} {args.ident} to the trash ('hairtrack trash restore {kind.value} "
          f"{ident}' brings it back)")
    return 0


def trash_list(library: Library, args: argparse.Namespace) -> int:
    entries = trash.list_trash(library)
    if args.json:
        print_json([{"kind": e.kind.value, "id": e.id, "patient_id": e.patient_id,
                     "label": e.label, "deleted_at": e.deleted_at.isoformat(),
                     "deleted_by": e.deleted_by, "photos": e.photo_count} for e in entries])
        return 0
    if not entries:
        print("the trash is empty")
    for e in entries:
        print(f"{e.kind.value:<8} {e.id:>6}  {e.deleted_at.astimezone():%Y-%m-%d %H:%M}  "
              f"{e.deleted_by:<16} {e.label}")
    return 0


def trash_restore(library: Library, args: argparse.Namespace) -> int:
    trash.restore(library, trash.Kind(args.kind), args.id)
    print(f"restored {args.kind} {args.id}")
    return 0


def trash_purge(library: Library, args: argparse.Namespace) -> int:
    removed = trash.purge(library, trash.Kind(args.kind), args.id)
    print(f"purged {args.kind} {args.id}; {removed} photo file(s) deleted for good")
    return 0


def trash_empty(library: Library, args: argparse.Namespace) -> int:
    removed = trash.empty_trash(library)
    print(f"emptied the trash; {removed} photo file(s) deleted for good")
    return 0


def run_audit(library: Library, args: argparse.Namespace) -> int:
    patient_id = records.patient_by_mrn(library, args.patient).id if args.patient else None
    if args.csv is not None:
        count = audit_log.export_csv(library, args.csv, patient_id)
        print(f"wrote {count} entries to {args.csv}")
        return 0
    entries = audit_log.entries(library, patient_id, args.limit)
    problems = audit_log.verify(library)
    if args.json:
        print_json({"intact": not problems, "problems": [p.problem for p in problems],
                    "entries": [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor,
                                 "action": e.action, "entity": e.entity,
                                 "entity_id": e.entity_id, "patient_id": e.patient_id,
                                 "summary": e.summary} for e in entries]})
    else:
        for e in entries:
            print(f"{e.seq:>6}  {e.at.astimezone():%Y-%m-%d %H:%M:%S}  {e.actor:<16} "
                  f"{e.action:<8} {e.summary}")
        print("audit chain intact" if not problems else
              f"audit chain BROKEN: {len(problems)} problem(s); run 'hairtrack doctor'")
    return 0 if not problems else 1

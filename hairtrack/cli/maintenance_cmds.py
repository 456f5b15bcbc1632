"""Commands that look after a library as a whole: backup, restore and migrate-to.

Backup and restore do not open the library through `Library.open`: a backup
must not migrate or write anything in the library it copies, and a restore
creates a new one. migrate-to opens an existing library only (never creates one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hairtrack.cli.output import CommandError, print_json, run_with_progress
from hairtrack.core.library import Library, LibraryError, resolve_library_path
from hairtrack.core.progress import Progress, T, Task, run_task
from hairtrack.core.services import backup, migrate
from hairtrack.core.storage.audit import Action


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    save = commands.add_parser(
        "backup", help="write the library (database, photos, secret) to one archive file",
        description="Write a consistent snapshot of the library to FILE (a zip archive with "
                    "a manifest of hashes), even while the library is in use.")
    save.add_argument("file", metavar="FILE", type=Path)
    save.add_argument("--json", action="store_true")
    save.set_defaults(handler=backup_cmd, needs_library=False)

    load = commands.add_parser(
        "restore", help="recreate a library from a backup archive in a new folder",
        description="Check every file of the backup FILE and recreate its library in the "
                    "new (or empty) folder given by --library.")
    load.add_argument("file", metavar="FILE", type=Path)
    load.add_argument("--library", dest="restore_target", metavar="NEW",
                      help="the new library folder (may also be given before the command)")
    load.add_argument("--json", action="store_true")
    load.set_defaults(handler=restore_cmd, needs_library=False)

    move = commands.add_parser(
        "migrate-to", help="copy the library's database into an empty shared (PostgreSQL) "
                           "database, verified row by row",
        description="Copy every record of the library's database (trash and audit log "
                    "included) into the empty database at URL in one transaction, then "
                    "compare both row by row. Photos stay in the library folder: afterwards "
                    "every desktop opens it with --library PATH --database URL.")
    move.add_argument("--database", "--to", dest="target_url", metavar="URL", required=True,
                      help="the target, e.g. postgresql+psycopg://user@server/hairtrack "
                           "(a --database before the command still names the source)")
    move.add_argument("--json", action="store_true", help="print the report as JSON")
    move.set_defaults(handler=migrate_cmd, needs_library=False)


def backup_cmd(_library: None, args: argparse.Namespace) -> int:
    root = resolve_library_path(args.library)
    result = _run(backup.create_backup(root, args.file, database_url=args.database))
    _log_backup(root, args.database, result)
    if args.json:
        print_json(result.to_json())
    else:
        print(f"backed up {result.photos} photo(s) from {root} to {result.path} "
              f"({human_size(result.size_bytes)})")
    return 0


def restore_cmd(_library: None, args: argparse.Namespace) -> int:
    target = args.restore_target or args.library
    if not target:
        raise CommandError("restore needs the new library folder: hairtrack restore FILE "
                           "--library NEW")
    result = _run(backup.restore_backup(args.file, Path(target)))
    if args.json:
        print_json(result.to_json())
    else:
        print(f"restored {result.photos} photo(s) ({human_size(result.size_bytes)}, backed up "
              f"{result.created_at:%Y-%m-%d %H:%M} UTC) into {result.library}")
    return 0


def migrate_cmd(_library: None, args: argparse.Namespace) -> int:
    library = Library.open(args.library, args.database, create=False)
    try:
        report = run_task(migrate.migrate_to(library, args.target_url), _print_step)
    except migrate.MigrationError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        library.close()
    if args.json:
        print_json(report.to_json())
        return 0
    print(f"migrated {report.total_rows} rows in {report.seconds:.1f} s\n"
          f"  from {report.source}\n  to   {report.target}")
    width = max(len(count.table) for count in report.tables)
    print(f"  {'table':<{width}}  {'rows':>8}")
    for count in report.tables:
        print(f"  {count.table:<{width}}  {count.rows:>8}")
    print("every row matches the source")
    for problem in report.audit_problems:
        print(f"warning: the source's audit log was already broken (copied as it was): "
              f"{problem}; run 'hairtrack doctor'")
    print(f"photos stay in {library.root}: open it on each desktop with --library "
          f"{library.root} --database URL (or set HAIRTRACK_DATABASE_URL)")
    return 0


def _print_step(step: Progress) -> None:
    """One line per table on stderr, so stdout stays the result (or JSON)."""
    if step.done:
        print(f"[{step.done}/{step.total}] {step.label}", file=sys.stderr, flush=True)


def _log_backup(root: Path, database_url: str | None, result: backup.BackupResult) -> None:
    """The audit log notes each backup (after the snapshot, so the archive predates it)."""
    try:
        library = Library.open(root, database_url, create=False)
    except LibraryError:
        return  # the backup itself succeeded; a library we cannot open cannot log it
    try:
        library.record(Action.BACKUP, "library", None,
                       f"backed up {result.photos} photo(s) to {result.path.name}")
    except LibraryError:
        pass  # read-only or busy: the backup is still good
    finally:
        library.close()


def _run(task: Task[T]) -> T:
    """Run a backup service; its expected failures become one-line command errors."""
    try:
        return run_with_progress(task)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"

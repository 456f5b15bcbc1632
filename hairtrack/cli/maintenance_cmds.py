"""Commands that look after a library as a whole: backup and restore.

Neither opens the library through `Library.open`: a backup must not migrate or
write anything in the library it copies, and a restore creates a new one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hairtrack.cli.output import CommandError, print_json, run_with_progress
from hairtrack.core.library import Library, LibraryError, resolve_library_path
from hairtrack.core.progress import T, Task
from hairtrack.core.services import backup
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

"""Entry point of the `hairtrack` console script and `python -m hairtrack`.

With no command it opens the desktop app. Every command accepts the global
`--library` and `--database` options and `--json` for machine-readable output.
Exit codes: 0 success, 1 failure or some input rejected, 2 usage error,
3 alignment refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hairtrack import __version__
from hairtrack.cli import records_cmds
from hairtrack.cli.output import CommandError
from hairtrack.core.library import Library, LibraryError
from hairtrack.core.storage.repositories import Conflict, NotFound


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hairtrack", description="HairTrack: scalp-photo evidence for hair restoration.")
    parser.add_argument("--version", action="version", version=f"hairtrack {__version__}")
    parser.add_argument("--library", metavar="PATH",
                        help="library folder (default: $HAIRTRACK_LIBRARY or the user data "
                             "folder)")
    parser.add_argument("--database", metavar="URL",
                        help="SQLAlchemy database URL (default: $HAIRTRACK_DATABASE_URL or "
                             "the library's SQLite file)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = commands.add_parser("gui", help="open the desktop app (the default)")
    gui.set_defaults(handler=None)
    records_cmds.register(commands)
    for module_name in ("hairtrack.cli.imaging_cmds", "hairtrack.cli.maintenance_cmds",
                        "hairtrack.cli.report_cmds", "hairtrack.cli.library_cmds"):
        _register_optional(module_name, commands)
    return parser


def _register_optional(module_name: str,
                       commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Command groups that live in their own modules register themselves here."""
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return
    module.register(commands)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command in (None, "gui"):
        from hairtrack.app import run

        return run(library=args.library, database=args.database, argv=extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if getattr(args, "needs_library", True):
            library = Library.open(args.library, args.database)
            try:
                code = int(args.handler(library, args))
            finally:
                library.close()
        else:
            code = int(args.handler(None, args))
        sys.stdout.flush()  # a closed pipe must surface here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except (CommandError, LibraryError, NotFound, Conflict, ValueError) as exc:
        print(f"hairtrack: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hairtrack: interrupted", file=sys.stderr)
        return 130


def _reader_went_away() -> int:
    """`hairtrack progress ... | head`: the reader closed the pipe; that is not an error.

    Whatever the command stored is stored; only its output has nowhere to go.
    Standard output is pointed at the null device so the interpreter's final
    flush does not raise again, and the exit status is the shell's for SIGPIPE.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is not a real file (an embedding host): nothing left to flush
    return 141


if __name__ == "__main__":
    raise SystemExit(main())

"""Start the desktop app (or, with --screenshot, render one page to a PNG and exit).

`hairtrack` with no command and `hairtrack gui [options]` both land here; the
library comes from --library, else $HAIRTRACK_LIBRARY, else the location saved
in the settings, else the platform's default.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hairtrack gui", description="Open the desktop app.")
    parser.add_argument("--screenshot", metavar="OUT.png", type=Path,
                        help="save a PNG of the window once background work is done, then exit")
    parser.add_argument("--patient", metavar="MRN", help="open this patient")
    parser.add_argument("--page", choices=("patients", "timeline", "photos", "compare",
                                           "progress"),
                        help="the page to show")
    parser.add_argument("--size", default="1440x900", metavar="WxH",
                        help="window size in screenshot mode (default 1440x900)")
    parser.add_argument("--settings", metavar="FILE.ini", type=Path,
                        help="read and write settings in this file instead of the user's")
    parser.add_argument("--timeout", type=float, default=180.0, help=argparse.SUPPRESS)
    return parser


def run(library: str | None = None, database: str | None = None,
        argv: Sequence[str] | None = None) -> int:
    args, qt_args = build_parser().parse_known_args(list(argv or []))
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from hairtrack import __version__
    from hairtrack.core.library import LIBRARY_ENV, Library, LibraryError
    from hairtrack.settings import APPLICATION, ORGANISATION, Settings
    from hairtrack.ui import screenshot
    from hairtrack.ui.context import AppContext
    from hairtrack.ui.gc_guard import GuiThreadGarbageCollector
    from hairtrack.ui.icons import app_icon, style_sheet
    from hairtrack.ui.main_window import MainWindow
    from hairtrack.ui.tasks import TaskRunner

    size = None
    if args.screenshot is not None:
        try:
            size = screenshot.parse_size(args.size)
        except ValueError as exc:
            print(f"hairtrack: error: {exc}", file=sys.stderr)
            return 2
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "hairtrack",
                                                   *qt_args])
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("hairtrack")

    settings = Settings(args.settings) if args.settings else Settings()
    root = library or os.environ.get(LIBRARY_ENV) or settings.library_path or None
    try:
        lib = Library.open(root, database)
    except LibraryError as exc:
        print(f"hairtrack: error: {exc}", file=sys.stderr)
        if args.screenshot is None:
            QMessageBox.critical(None, "HairTrack", f"The library cannot be opened.\n\n{exc}")
        return 1
    collector = GuiThreadGarbageCollector()  # Qt objects must die on the GUI thread
    runner = TaskRunner()
    context = AppContext(lib, runner)
    window = MainWindow(context, settings, remember_geometry=args.screenshot is None)
    try:
        if args.screenshot is not None:
            return screenshot.capture(window, args.screenshot, page=args.page,
                                      mrn=args.patient, size=size, timeout_s=args.timeout)
        window.show()
        if args.patient or args.page:
            try:
                screenshot.navigate(window, args.page, args.patient)
            except Exception as exc:  # a wrong MRN on the command line must not stop the app
                window.show_message(str(exc))
        return int(app.exec())
    finally:
        window.close()
        runner.shutdown()
        collector.stop()
        lib.close()

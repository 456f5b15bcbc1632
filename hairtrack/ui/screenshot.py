"""Screenshot mode: open the window on a page, wait for background work, save a PNG.

Used for documentation and for checking the look headless
(`QT_QPA_PLATFORM=offscreen hairtrack gui --screenshot out.png --patient DEMO-001
--page photos`). "Finished" means no task is running, no thumbnail is queued
and the patient record is loaded, for several consecutive checks, since one
finished task often starts the next (record -> thumbnails).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSize, QTimer
from PySide6.QtWidgets import QApplication

from hairtrack.core.services import records
from hairtrack.core.services.records import NotFound
from hairtrack.ui.main_window import MainWindow
from hairtrack.ui.workspace import PAGES as WORKSPACE_PAGES

SCREEN_PAGES = ("patients", *WORKSPACE_PAGES)
POLL_MS = 40
STABLE_POLLS = 5


def parse_size(text: str) -> QSize:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1440x900, not {text!r}") from None
    if width < 320 or height < 240:
        raise ValueError("the smallest screenshot is 320x240")
    return QSize(width, height)


def is_idle(window: MainWindow) -> bool:
    return (window.context.runner.running == 0 and window.loader.pending == 0
            and not window.workspace.loading)


def wait_until_idle(window: MainWindow, timeout_s: float) -> bool:
    """Process events until the window has been idle for STABLE_POLLS checks in a row."""
    app = QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout_s
    stable = 0
    while time.monotonic() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(POLL_MS, loop.quit)
        loop.exec()
        stable = stable + 1 if is_idle(window) else 0
        if stable >= STABLE_POLLS:
            return True
    return False


def navigate(window: MainWindow, page: str | None, mrn: str | None) -> None:
    library = window.context.library
    if mrn:
        patient = records.patient_by_mrn(library, mrn)
        window.open_patient(patient, page if page in WORKSPACE_PAGES else None)
        if page == "patients":
            window.show_home()
            window.patients.select(patient.id)
        return
    if page in WORKSPACE_PAGES:
        patients = records.list_patients(library)
        if not patients:
            raise NotFound("the library has no patient to show; pass --patient MRN")
        window.open_patient(patients[0], page)
    else:
        window.show_home()


def capture(window: MainWindow, out: Path, *, page: str | None = None, mrn: str | None = None,
            size: QSize | None = None, timeout_s: float = 180.0) -> int:
    """Show `page`, wait for the background work, save the window as a PNG; 0 on success."""
    if page is not None and page not in SCREEN_PAGES:
        print(f"hairtrack: error: unknown page {page!r}; choose one of: "
              f"{', '.join(SCREEN_PAGES)}", file=sys.stderr)
        return 2
    from hairtrack.ui.progress_view import ProgressView

    ProgressView.animate = False  # a still picture must not catch a chart half-drawn
    size = size or QSize(1440, 900)
    window.setMinimumSize(QSize(320, 240))
    window.resize(size)
    window.show()
    try:
        navigate(window, page, mrn)
    except NotFound as exc:
        print(f"hairtrack: error: {exc}", file=sys.stderr)
        return 1
    idle = wait_until_idle(window, timeout_s)
    image = window.grab()
    if not is_idle(window):  # painting asked for more thumbnails: take it again when they came
        idle = wait_until_idle(window, timeout_s) and idle
        image = window.grab()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        print(f"hairtrack: error: cannot write {out}", file=sys.stderr)
        return 1
    if not idle:
        print("hairtrack: warning: background work was still running after "
              f"{timeout_s:.0f} s; the screenshot may be incomplete", file=sys.stderr)
        return 1
    return 0

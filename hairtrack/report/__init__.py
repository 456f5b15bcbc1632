"""PDF progress reports: a Qt-free content model, QPainter pages and an export service.

    data = build_report_data(library, patient_id, ReportOptions(...), clinic)
    result = run_task(export_report(library, patient_id, "report.pdf", options, clinic))

`model` and `deidentify` never import Qt; the drawing modules need a
QApplication (the chart is a QtCharts widget), which `ensure_app` provides,
headless with the offscreen platform when there is no display.
"""

from __future__ import annotations

import os
import sys

from hairtrack.report.deidentify import SecretUnavailable, pseudonym
from hairtrack.report.model import ReportData, ReportOptions, build_report_data

__all__ = ["ReportData", "ReportOptions", "SecretUnavailable", "build_report_data",
           "ensure_app", "pseudonym"]


def ensure_app() -> object:
    """The running QApplication, or a new one (offscreen when there is no display)."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    app = QCoreApplication.instance()
    if app is None:
        headless = sys.platform not in ("win32", "darwin") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if headless:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([sys.argv[0] if sys.argv else "hairtrack"])
    elif not isinstance(app, QApplication):
        raise RuntimeError("reports need a QApplication (the chart is a QtCharts widget), "
                           "not a bare QCoreApplication/QGuiApplication")
    return app

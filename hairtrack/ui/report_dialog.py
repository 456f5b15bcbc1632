"""Export a patient's PDF progress report: background export with progress and cancel.

Reading the record and writing the PDF run on the task runner; only the
chart is built on the GUI thread (QtCharts requires it, and it takes a few
milliseconds), between the two. The options and the file are the form's
(`report_form`): a de-identified report's suggested file name carries the
pseudonymous code, never the name or MRN, and a typed file name that
contains them is refused.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.progress import Cancelled, Progress
from hairtrack.report.chart import prepare_chart
from hairtrack.report.choices import PatientChoices, load_choices
from hairtrack.report.export import ReportResult, export_report
from hairtrack.report.layout import Geometry
from hairtrack.report.model import ReportData, ReportOptions, build_report_data
from hairtrack.settings import ClinicDetails, Settings
from hairtrack.ui import icons, messages
from hairtrack.ui.context import AppContext
from hairtrack.ui.report_form import ReportForm
from hairtrack.ui.tasks import TaskHandle


class ReportDialog(QDialog):
    def __init__(self, context: AppContext, patient_id: int, parent: QWidget | None = None,
                 *, settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.patient_id = patient_id
        self.settings = settings or getattr(context, "settings", None) or Settings()
        self.choices: PatientChoices | None = None
        self.handle: TaskHandle | None = None
        self.report_result: ReportResult | None = None
        self._closed = False
        self.setWindowTitle("Export progress report")
        self.setObjectName("reportDialog")
        self.setMinimumWidth(600)
        self._build()
        self._set_busy(True, "Reading the patient's record…")
        context.runner.call("Reading report options",
                            lambda: load_choices(context.library, patient_id),
                            on_done=self._loaded, on_error=self._load_failed)

    # construction -------------------------------------------------------------------------
    def _build(self) -> None:
        self.heading = QLabel("Progress report")
        self.heading.setObjectName("dialogTitle")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("mutedLabel")

        self.form = ReportForm(self.settings.clinic.paper)
        self.form.identity_changed.connect(self.subtitle.setText)

        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("mutedLabel")
        self.error = QLabel("")
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()

        self.open_button = QPushButton(icons.icon("open"), "Open report")
        self.open_button.clicked.connect(self._open_result)
        self.open_button.hide()
        self.open_button.setAutoDefault(False)
        self.cancel_button = QPushButton("Close")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        self.export_button = QPushButton(icons.icon("report", "#ffffff"), "Export")
        self.export_button.setObjectName("primaryButton")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    # loading ------------------------------------------------------------------------------
    def _loaded(self, choices: PatientChoices) -> None:
        if self._closed:
            return
        self.choices = choices
        self._set_busy(False, "")
        self.form.set_choices(choices)

    def _load_failed(self, exc: Exception) -> None:
        if not self._closed:
            self._set_busy(False, "")
            self._show_error(messages.error_text(exc))
            self.export_button.setEnabled(False)

    # options ------------------------------------------------------------------------------
    def options(self) -> ReportOptions:
        return self.form.options()

    def problem(self) -> str:
        """Why the export cannot start, in words the user can act on; empty when it can."""
        return self.form.problem()

    # export -------------------------------------------------------------------------------
    def start_export(self) -> None:
        message = self.problem()
        if message:
            self._show_error(message)
            return
        path = self.form.target()
        if path.exists() and not messages.confirm(
                self, "Replace report", f"{path.name} already exists. Replace it?", "Replace"):
            return
        self.error.hide()
        self.open_button.hide()
        self.report_result = None
        options = self.options()
        clinic = self.settings.clinic
        library = self.context.library
        self._set_busy(True, "Reading measurements…")
        self.progress.setValue(0)
        self.handle = self.context.runner.call(
            "Reading report data",
            lambda: build_report_data(library, self.patient_id, options, clinic),
            on_done=lambda data: self._data_ready(data, path, options, clinic),
            on_error=self._failed)

    def _data_ready(self, data: ReportData, path: Path, options: ReportOptions,
                    clinic: ClinicDetails) -> None:
        if self._closed or (self.handle is not None and self.handle.token.cancelled):
            self._finish_cancelled()
            return
        try:
            chart = prepare_chart(data, Geometry.for_paper(data.paper).text_width_mm)
        except Exception as exc:  # reported in place, never a crash of the window
            self._failed(exc)
            return
        library = self.context.library
        self.handle = self.context.runner.run(
            "Exporting report",
            lambda token: export_report(library, self.patient_id, path, options, clinic,
                                        cancel=token, data=data, chart=chart),
            on_progress=self._progressed, on_done=self._done, on_error=self._failed)

    def _progressed(self, step: Progress) -> None:
        if self._closed:
            return
        self.progress.setValue(round(step.fraction * 100))
        self.status.setText(step.label[:1].upper() + step.label[1:] + "…"
                            if step.label and step.label != "done" else "")

    def _done(self, result: ReportResult) -> None:
        self.handle = None
        self.report_result = result
        if self._closed:
            return
        self._set_busy(False, "")
        self.progress.setValue(100)
        self.progress.show()
        self.status.setText(f"Saved {result.path.name}: {result.pages} pages, "
                            f"{result.size_bytes / 1e6:.1f} MB.")
        self.open_button.show()
        self.context.statusMessage.emit(f"Report saved to {result.path}")

    def _failed(self, exc: Exception) -> None:
        self.handle = None
        if self._closed:
            return
        if isinstance(exc, Cancelled):
            self._finish_cancelled()
            return
        self._set_busy(False, "")
        self.progress.hide()
        self._show_error(f"The report could not be written: {messages.error_text(exc)}")

    def _finish_cancelled(self) -> None:
        self.handle = None
        if self._closed:
            return
        self._set_busy(False, "Export cancelled; no file was written.")
        self.progress.hide()

    def cancel_export(self) -> None:
        if self.handle is not None and not self.handle.finished:
            self.handle.cancel()
            self.status.setText("Cancelling…")
            self.cancel_button.setEnabled(False)

    def _cancel_or_close(self) -> None:
        if self.handle is not None and not self.handle.finished:
            self.cancel_export()
        else:
            self.reject()

    def _open_result(self) -> None:
        if self.report_result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report_result.path)))

    def done(self, code: int) -> None:  # closing while exporting cancels the export
        if self.handle is not None and not self.handle.finished:
            self.handle.cancel()
        self._closed = True
        super().done(code)

    # state --------------------------------------------------------------------------------
    def _set_busy(self, busy: bool, text: str) -> None:
        running = busy and self.choices is not None
        self.export_button.setEnabled(not busy)
        self.form.set_busy(busy)
        self.progress.setVisible(running)
        self.cancel_button.setText("Cancel" if running else "Close")
        self.cancel_button.setEnabled(True)
        self.status.setText(text)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


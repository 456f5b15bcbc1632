"""Export a patient's PDF progress report: options, file, background export with progress.

Reading the record and writing the PDF run on the task runner; only the
chart is built on the GUI thread (QtCharts requires it, and it takes a few
milliseconds), between the two. A de-identified report's suggested file name
carries the pseudonymous code, never the name or MRN, and a typed file name
that contains them is refused.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import View
from hairtrack.core.progress import Cancelled, Progress
from hairtrack.report.chart import prepare_chart
from hairtrack.report.choices import (
    PatientChoices,
    export_problem,
    load_choices,
    suggested_name,
)
from hairtrack.report.export import ReportResult, export_report
from hairtrack.report.layout import Geometry
from hairtrack.report.model import ReportData, ReportOptions, build_report_data
from hairtrack.settings import PAPER_SIZES, ClinicDetails, Settings
from hairtrack.ui import icons, messages
from hairtrack.ui.context import AppContext
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
        self._suggested = ""
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

        content = QGroupBox("Content")
        form = QFormLayout(content)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.view_row = QHBoxLayout()
        self.view_boxes: dict[View, QCheckBox] = {}
        self.no_views = QLabel("No analysed views yet")
        self.view_row.addWidget(self.no_views)
        self.view_row.addStretch(1)
        form.addRow("Views:", self.view_row)
        self.limit = QCheckBox("Limit to")
        self.date_from = self._date_edit()
        self.date_to = self._date_edit()
        period = QHBoxLayout()
        period.addWidget(self.limit)
        period.addWidget(self.date_from)
        period.addWidget(QLabel("to"))
        period.addWidget(self.date_to)
        period.addStretch(1)
        self.limit.toggled.connect(self._limit_toggled)
        self._limit_toggled(False)
        form.addRow("Period:", period)
        self.strip = QCheckBox("Strip of all visits")
        self.strip.setChecked(True)
        self.overlays = QCheckBox("Gain/loss maps")
        self.overlays.setChecked(True)
        include = QHBoxLayout()
        include.addWidget(self.strip)
        include.addWidget(self.overlays)
        include.addStretch(1)
        form.addRow("Include:", include)

        output = QGroupBox("Privacy and output")
        out_form = QFormLayout(output)
        out_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.deidentify = QCheckBox("De-identify")
        self.deidentify.toggled.connect(self._privacy_changed)
        hint = QLabel("Prints a pseudonymous code instead of the name, MRN and date of birth.")
        hint.setObjectName("mutedLabel")
        hint.setWordWrap(True)
        privacy = QVBoxLayout()
        privacy.setSpacing(2)
        privacy.addWidget(self.deidentify)
        privacy.addWidget(hint)
        out_form.addRow("Privacy:", privacy)
        self.paper = QComboBox()
        self.paper.addItems(list(PAPER_SIZES))
        clinic = self.settings.clinic
        self.paper.setCurrentText(clinic.paper)
        out_form.addRow("Paper:", self.paper)
        self.path = QLineEdit()
        self.path.setPlaceholderText("Where to save the PDF")
        self.choose = QPushButton(icons.icon("folder"), "Choose…")
        self.choose.clicked.connect(self._choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.choose)
        out_form.addRow("File:", file_row)

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
        layout.addWidget(content)
        layout.addWidget(output)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    @staticmethod
    def _date_edit() -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("d MMM yyyy")
        return edit

    # loading ------------------------------------------------------------------------------
    def _loaded(self, choices: PatientChoices) -> None:
        if self._closed:
            return
        self.choices = choices
        self._set_busy(False, "")
        for view in choices.views:
            box = QCheckBox(view.label)
            box.setChecked(True)
            self.view_boxes[view] = box
            self.view_row.insertWidget(self.view_row.count() - 1, box)
        self.no_views.setVisible(not choices.views)
        if choices.first_day and choices.last_day:
            for edit in (self.date_from, self.date_to):
                edit.setDateRange(_qdate(choices.first_day), _qdate(date.today()))
            self.date_from.setDate(_qdate(choices.first_day))
            self.date_to.setDate(_qdate(choices.last_day))
        if choices.code is None:
            self.deidentify.setEnabled(False)
            self.deidentify.setToolTip(choices.code_problem or "")
        self._privacy_changed()

    def _load_failed(self, exc: Exception) -> None:
        if not self._closed:
            self._set_busy(False, "")
            self._show_error(messages.error_text(exc))
            self.export_button.setEnabled(False)

    # options ------------------------------------------------------------------------------
    def _limit_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)

    def _identifier(self) -> str:
        if self.choices is None:
            return "patient"
        if self.deidentify.isChecked():
            return self.choices.code or "de-identified"
        return self.choices.mrn

    def _privacy_changed(self, *_: Any) -> None:
        """Replace the file name only while it is still the one we suggested."""
        if self.choices is None:
            return
        name = suggested_name(self._identifier(), date.today())
        current = self.path.text().strip()
        if not current or Path(current).name == self._suggested:
            folder = Path(current).parent if current else _documents()
            self.path.setText(str(folder / name))
        self._suggested = name
        who = (f"De-identified as {self.choices.code}" if self.deidentify.isChecked()
               else f"{self.choices.name} · MRN {self.choices.mrn}")
        self.subtitle.setText(who)

    def _choose_file(self) -> None:
        start = self.path.text().strip() or str(_documents() / self._suggested)
        chosen, _ = QFileDialog.getSaveFileName(self, "Save progress report", start,
                                                "PDF documents (*.pdf)")
        if chosen:
            if not chosen.lower().endswith(".pdf"):
                chosen += ".pdf"
            self.path.setText(chosen)

    def options(self) -> ReportOptions:
        views = tuple(v for v, box in self.view_boxes.items() if box.isChecked())
        start = end = None
        if self.limit.isChecked():
            start, end = _pydate(self.date_from.date()), _pydate(self.date_to.date())
        return ReportOptions(views=views, date_from=start, date_to=end,
                             deidentify=self.deidentify.isChecked(),
                             include_strip=self.strip.isChecked(),
                             include_overlays=self.overlays.isChecked(),
                             paper=self.paper.currentText())

    def problem(self) -> str:
        """Why the export cannot start, in words the user can act on; empty when it can."""
        period = ((_pydate(self.date_from.date()), _pydate(self.date_to.date()))
                  if self.limit.isChecked() else None)
        return export_problem(self.choices,
                              any(box.isChecked() for box in self.view_boxes.values()),
                              period, self.path.text(), self.deidentify.isChecked())

    # export -------------------------------------------------------------------------------
    def start_export(self) -> None:
        message = self.problem()
        if message:
            self._show_error(message)
            return
        path = Path(self.path.text().strip())
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
        for widget in (self.export_button, self.choose, self.path, self.deidentify,
                       self.paper, self.strip, self.overlays, self.limit,
                       *self.view_boxes.values()):
            widget.setEnabled(not busy)
        if not busy and self.choices is not None and self.choices.code is None:
            self.deidentify.setEnabled(False)
        self.date_from.setEnabled(not busy and self.limit.isChecked())
        self.date_to.setEnabled(not busy and self.limit.isChecked())
        self.progress.setVisible(running)
        self.cancel_button.setText("Cancel" if running else "Close")
        self.cancel_button.setEnabled(True)
        self.status.setText(text)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _documents() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder) if folder and Path(folder).is_dir() else Path.home()

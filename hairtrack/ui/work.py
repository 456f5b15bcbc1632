"""The main window's long-running work: the demo patient, analysis, what follows an import.

Each runs on the task runner with its progress in the status bar (and on the
welcome page for the demo), can be cancelled, and reports back through the
context's signals so every view refreshes itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from hairtrack.core.progress import Cancelled, CancelToken, Progress
from hairtrack.core.services import demo, records
from hairtrack.core.services.importer import ImportReport
from hairtrack.ui import analysis_process, messages
from hairtrack.ui import formatting as fmt
from hairtrack.ui.context import AppContext
from hairtrack.ui.tasks import TaskHandle

if TYPE_CHECKING:
    from hairtrack.ui.main_window import MainWindow

IMAGE_FILTER = "Photos (*.jpg *.jpeg *.jpe *.png *.tif *.tiff *.webp *.heic *.heif);;All files (*)"


class Work(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.demo_task: TaskHandle | None = None
        self.analysis_task: TaskHandle | None = None
        self.last_analysis: Any = None  # the last AnalysisReport, for tests and benchmarks

    @property
    def context(self) -> AppContext:
        return self.window.context

    @property
    def demo_running(self) -> bool:
        return self.demo_task is not None and not self.demo_task.finished

    # ---- demo --------------------------------------------------------------------------------
    def open_demo(self) -> None:
        library = self.context.library
        existing = [p for p in records.list_patients(library, demo.DEMO_MRN)
                    if p.mrn == demo.DEMO_MRN]
        if existing:
            self.window.open_patient(existing[0], "photos")
            return
        if self.demo_running or library.read_only:
            return
        welcome = self.window.welcome
        if self.window.patients.model.rowCount() == 0:
            self.window.stack.setCurrentWidget(welcome)
        welcome.set_busy(True, "Creating the demo patient…")
        label = "Creating the demo patient"

        def progress(step: Progress) -> None:
            welcome.set_progress(step)
            if self.demo_task is not None:
                self.window.indicator.progress(self.demo_task, step)

        handle = self.context.runner.run(
            label, lambda token: demo.create_demo_patient(library, cancel=token), writes=True,
            on_progress=progress, on_done=self._demo_done, on_error=self._demo_failed)
        if not handle.finished:
            self.demo_task = handle
            self.window.indicator.track(handle, label)

    def cancel_demo(self) -> None:
        if self.demo_task is not None:
            self.demo_task.cancel()

    def _demo_done(self, result: demo.DemoResult) -> None:
        self._demo_finished()
        self.context.patientsChanged.emit()
        self.window.show_message(f"Demo patient created: {result.visits} visits, "
                                 f"{result.photos} photos, {result.treatments} treatments")
        self.window.open_patient(result.patient, "photos")
        if self.window.settings.analyse_after_import:
            self.analyse(result.patient.id)

    def _demo_failed(self, exc: Exception) -> None:
        self._demo_finished()
        if isinstance(exc, Cancelled):
            self.window.show_message("Demo patient not created (cancelled)")
        else:
            messages.warn(self.window, "Demo patient", messages.error_text(exc))
        self.context.patientsChanged.emit()  # a cancelled demo may have left its patient

    def _demo_finished(self) -> None:
        if self.demo_task is not None:
            self.window.indicator.finished(self.demo_task)
        self.demo_task = None
        self.window.welcome.set_busy(False)

    # ---- import ------------------------------------------------------------------------------
    def choose_files(self) -> list[Path]:
        names, _ = QFileDialog.getOpenFileNames(self.window, "Import photos", "", IMAGE_FILTER)
        return [Path(n) for n in names]

    def choose_folder(self) -> list[Path]:
        folder = QFileDialog.getExistingDirectory(self.window, "Import a folder of photos")
        return [Path(folder)] if folder else []

    def after_import(self, patient_id: int, report: ImportReport) -> None:
        self.context.recordChanged.emit(patient_id)
        self.context.patientsChanged.emit()
        parts = [f"Imported {fmt.count(len(report.imported), 'photo')}"]
        if report.duplicates:
            parts.append(f"{len(report.duplicates)} already in the library")
        if report.rejected:
            parts.append(f"{len(report.rejected)} rejected")
        self.window.show_message(", ".join(parts))
        workspace = self.window.workspace
        if self.window.stack.currentWidget() is not workspace or \
                workspace.patient_id != patient_id:
            self.window.open_patient_id(patient_id, "photos")
        else:
            workspace.set_page("photos")  # show what was just imported
        if report.imported and self.window.settings.analyse_after_import:
            self.analyse(patient_id)

    # ---- analysis ----------------------------------------------------------------------------
    def analyse_current(self) -> None:
        patient = self.window.current_patient()
        if patient is not None:
            self.analyse(patient.id, force=False)

    def analyse(self, patient_id: int, *, force: bool = False) -> TaskHandle | None:
        if self.analysis_task is not None and not self.analysis_task.finished:
            self.analysis_task.cancel()  # the newer request covers the same photos
        library = self.context.library
        label = "Analysing photos"

        def task(token: CancelToken) -> Any:
            return analysis_process.analysis_task(library, patient_id, force=force,
                                                  cancel=token, own=self.context.own_writes)

        holder: dict[str, TaskHandle] = {}

        def progress(step: Progress) -> None:
            if "handle" in holder:
                self.window.indicator.progress(holder["handle"], step)

        handle = self.context.runner.run(
            label, task, writes=True, on_progress=progress,
            on_done=lambda report: self._analysed(patient_id, report, holder),
            on_error=lambda exc: self._analysis_failed(exc, holder))
        if handle.finished:
            return handle
        holder["handle"] = handle
        self.analysis_task = handle
        self.window.indicator.track(handle, label)
        self.window.show_message("Analysing photos in the background…")
        return handle

    def _analysed(self, patient_id: int, report: Any, holder: dict[str, TaskHandle]) -> None:
        if "handle" in holder:
            self.window.indicator.finished(holder["handle"])
        self.last_analysis = report
        parts = [f"Analysed {fmt.count(len(report.analysed), 'photo')}"]
        if report.unchanged:
            parts.append(f"{len(report.unchanged)} unchanged")
        if report.refused:
            parts.append(f"{len(report.refused)} could not be aligned")
        if report.failed:
            parts.append(f"{len(report.failed)} failed")
        if report.cancelled:
            parts.append("cancelled")
        self.window.show_message(", ".join(parts))
        self.context.measurementsChanged.emit(patient_id)

    def _analysis_failed(self, exc: Exception, holder: dict[str, TaskHandle]) -> None:
        if "handle" in holder:
            self.window.indicator.finished(holder["handle"])
        if isinstance(exc, Cancelled):
            self.window.show_message("Analysis cancelled")
        elif isinstance(exc, ImportError):
            self.window.show_message(f"Analysis is not available in this build ({exc})")
        else:
            self.window.show_message(f"Analysis failed: {messages.error_text(exc)}")

"""The main window: home (welcome or patient list), the patient workspace, menus and status.

Every frequent action is a QAction with a shortcut, shared by the menus, the
toolbar and the workspace header. Files or folders dropped anywhere on the
window open the import dialog for the patient in view. Long work (import,
analysis, the demo patient) runs on the task runner; its progress and Cancel
live in the status bar, and results arrive as context signals that tell each
view to refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from hairtrack import __version__
from hairtrack.core.domain import Patient
from hairtrack.core.library import describe_url
from hairtrack.core.services import records, trash
from hairtrack.settings import Settings
from hairtrack.ui import conflicts, messages
from hairtrack.ui import formatting as fmt
from hairtrack.ui.audit_dialog import AuditDialog
from hairtrack.ui.context import AppContext
from hairtrack.ui.icons import app_icon
from hairtrack.ui.import_dialog import ImportDialog
from hairtrack.ui.main_actions import (
    build_actions,
    build_menus,
    report_available,
    report_dialog_class,
    shortcut_table,
)
from hairtrack.ui.patient_dialog import open_patient_dialog
from hairtrack.ui.patient_list import PatientListPage
from hairtrack.ui.refresh import RefreshFromOthers
from hairtrack.ui.settings_dialog import SettingsDialog
from hairtrack.ui.task_indicator import TaskIndicator
from hairtrack.ui.thumbnails import ThumbnailLoader
from hairtrack.ui.trash_dialog import TrashDialog
from hairtrack.ui.welcome import WelcomePage
from hairtrack.ui.work import Work
from hairtrack.ui.workspace import PatientWorkspace


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext, settings: Settings, *,
                 remember_geometry: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.settings = settings
        self.remember_geometry = remember_geometry
        self.dialog: QWidget | None = None  # the last dialog opened (tests reach it here)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(720, 480))
        self.loader = ThumbnailLoader(context.library, parent=self)

        self.welcome = WelcomePage()
        self.patients = PatientListPage()
        self.workspace = PatientWorkspace(context, settings, self.loader)
        self.stack = QStackedWidget()
        for page in (self.welcome, self.patients, self.workspace):
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)

        self.status_label = QLabel()
        self.indicator = TaskIndicator()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.indicator)
        url = context.library.engine.url
        server = ("" if url.get_backend_name() == "sqlite"
                  else f"  ·  database: {describe_url(url)}")  # a clinic's shared server
        self.library_label = QLabel(f"Library: {context.library.root}{server}"
                                    + ("  (read-only)" if context.library.read_only else ""))
        self.library_label.setObjectName("muted")
        self.statusBar().addPermanentWidget(self.library_label)
        self.work = Work(self)

        self.commands = build_actions(self)
        build_menus(self, self.commands)
        self._build_toolbar()
        self.workspace.set_header_actions([self.commands[n] for n in ("import", "analyse",
                                                                     "report")])

        self.welcome.importRequested.connect(self.import_files)
        self.welcome.newPatientRequested.connect(self.new_patient)
        self.welcome.demoRequested.connect(self.work.open_demo)
        self.welcome.cancelRequested.connect(self.work.cancel_demo)
        self.patients.openRequested.connect(self.open_patient)
        self.patients.newRequested.connect(self.new_patient)
        self.patients.editRequested.connect(self.edit_patient)
        self.workspace.backRequested.connect(self.show_home)
        self.workspace.pageChanged.connect(lambda _name: self._update_actions())
        self.workspace.recordLoaded.connect(lambda _pid: self._update_actions())
        self.workspace.photos.grid.selectionChanged.connect(self._update_actions)
        context.patientsChanged.connect(self.refresh_patients)
        context.statusMessage.connect(self.show_message)
        context.runner.taskFailed.connect(
            lambda label, detail: self.show_message(f"{label} failed: {detail}"))

        self._restore_geometry()
        self.refresher = RefreshFromOthers(self)  # before the first load (it reads the marker)
        self.refresh_patients()
        self.show_home()

    # ---- layout ------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for name in ("home", "new_patient", "import", None, "analyse", "report", None,
                     "settings"):
            if name is None:
                bar.addSeparator()
            else:
                bar.addAction(self.commands[name])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _restore_geometry(self) -> None:
        geometry = self.settings.window_state("geometry") if self.remember_geometry else None
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1360, 860)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.remember_geometry:
            self.settings.set_window_state("geometry", QByteArray(self.saveGeometry()))
        self.refresher.stop()
        self.context.runner.cancel_all()
        self.loader.shutdown()
        super().closeEvent(event)

    # ---- navigation --------------------------------------------------------------------------
    def current_page(self) -> str:
        widget = self.stack.currentWidget()
        if widget is self.workspace:
            return self.workspace.current_page()
        return "welcome" if widget is self.welcome else "patients"

    def current_patient(self) -> Patient | None:
        """The patient being looked at: the open workspace, else the list's selection."""
        if self.stack.currentWidget() is self.workspace:
            return self.workspace.patient
        if self.stack.currentWidget() is self.patients:
            return self.patients.selected()
        return None

    def show_home(self) -> None:
        empty = self.patients.model.rowCount() == 0
        self.stack.setCurrentWidget(self.welcome if empty else self.patients)
        self.setWindowTitle("HairTrack")
        self._update_actions()

    def show_patients(self) -> None:
        self.show_home()
        if self.stack.currentWidget() is self.patients:
            self.patients.focus_search()

    def open_patient(self, patient: Patient, page: str | None = None) -> None:
        self.workspace.show_patient(patient, page)
        self.stack.setCurrentWidget(self.workspace)
        self.workspace.focus_content()
        self.setWindowTitle(f"{patient.name} — HairTrack")
        self._update_actions()

    def open_patient_id(self, patient_id: int, page: str | None = None) -> None:
        record = records.patient_record(self.context.library, patient_id)
        self.open_patient(record.patient, page)

    def set_workspace_page(self, name: str) -> None:
        if self.workspace.patient is None:
            return
        if self.stack.currentWidget() is not self.workspace:
            self.open_patient(self.workspace.patient, name)
        else:
            self.workspace.set_page(name)

    def refresh_patients(self) -> None:
        self.set_patient_list(records.list_patients(self.context.library))

    def set_patient_list(self, patients: Sequence[Patient]) -> None:
        """Show this list (selection, search and scroll kept); welcome page when empty."""
        self.patients.set_patients(patients)
        current = self.stack.currentWidget()
        if current is self.welcome and patients and not self.work.demo_running:
            self.stack.setCurrentWidget(self.patients)
        elif current is self.patients and not patients:
            self.stack.setCurrentWidget(self.welcome)
        self._update_actions()

    def show_message(self, text: str) -> None:
        self.status_label.setText(text)

    def _update_actions(self) -> None:
        patient = self.current_patient()
        in_workspace = self.stack.currentWidget() is self.workspace
        page = self.workspace.current_page() if in_workspace else ""
        self.commands["edit_patient"].setEnabled(patient is not None)
        self.commands["analyse"].setEnabled(patient is not None and not self.context.library
                                           .read_only)
        self.commands["report"].setEnabled(patient is not None and report_available())
        for name in ("add_visit", "add_treatment"):
            self.commands[name].setEnabled(in_workspace)
        for name in ("page_timeline", "page_photos", "page_compare", "page_progress"):
            self.commands[name].setEnabled(self.workspace.patient is not None)
            self.commands[name].setChecked(in_workspace and name == f"page_{page}")
        selected = self.workspace.photos.grid.selected_photos()
        self.commands["baseline"].setEnabled(in_workspace and page == "photos"
                                            and len(selected) == 1
                                            and not selected[0].is_baseline)
        writable = not self.context.library.read_only
        self.commands["delete_photos"].setEnabled(writable and in_workspace and page == "photos"
                                                 and bool(selected))
        self.commands["delete_patient"].setEnabled(writable and patient is not None)

    # ---- patients ----------------------------------------------------------------------------
    def new_patient(self) -> None:
        self._patient_dialog(None)

    def edit_patient(self, patient: Patient | None = None) -> None:
        patient = patient if isinstance(patient, Patient) else self.current_patient()
        if patient is not None:
            self._patient_dialog(patient)

    def _patient_dialog(self, patient: Patient | None) -> None:
        def saved(result: Patient) -> None:
            self.show_message(f"Saved {result.name} ({result.mrn})")
            if patient is None:
                self.open_patient(result)

        self.dialog = open_patient_dialog(self.context, patient, self, saved)

    def delete_patient(self) -> None:
        patient = self.current_patient()
        if patient is None:
            return
        if not messages.confirm(self, "Move patient to trash",
                                f"Move {patient.name} (MRN {patient.mrn}) with all visits, photos "
                                "and measurements to the trash? You can restore them from "
                                "File > Trash until the trash is emptied.", "Move to trash"):
            return
        library = self.context.library

        def done(_result: object) -> None:
            if self.workspace.patient_id == patient.id:
                self.workspace.close_patient()
            self.show_message(f"Moved {patient.name} to the trash")
            self.context.patientsChanged.emit()
            self.show_home()

        def reload() -> None:
            self.context.patientsChanged.emit()
            self.context.recordChanged.emit(patient.id)

        # The version on screen: a patient changed on another desktop since is not deleted
        # unseen; the user is offered the current record instead.
        self.context.runner.call("Moving the patient to the trash",
                                 lambda: trash.delete_patient(library, patient.id,
                                                              expected_version=patient.version),
                                 writes=True, on_done=done,
                                 on_error=conflicts.action_failed(self, "Cannot delete", reload))

    # ---- import ------------------------------------------------------------------------------
    def import_files(self, paths: Sequence[Path | str] | None = None) -> ImportDialog | None:
        if self.context.library.read_only:
            messages.warn(self, "Read-only library", "This library is read-only: photos "
                          "cannot be imported into it.")
            return None
        if not paths:
            paths = self.work.choose_files()
            if not paths:
                return None
        patient = self.current_patient()
        dialog = ImportDialog(self.context, self.settings, paths,
                              patient.id if patient else None, parent=self)
        dialog.imported.connect(self.work.after_import)
        dialog.accepted.connect(dialog.deleteLater)  # reject() disposes once its task is done
        self.dialog = dialog
        dialog.open()
        return dialog

    def import_folder(self) -> None:
        paths = self.work.choose_folder()
        if paths:
            self.import_files(paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_files(paths)

    # ---- other dialogs -----------------------------------------------------------------------
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self.context.library.root, parent=self)
        self.dialog = dialog

        def saved() -> None:
            self.show_message("Settings saved" + (
                "; the new library location is used after a restart"
                if dialog.library_changed() else ""))

        dialog.accepted.connect(saved)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_trash(self) -> None:
        dialog = TrashDialog(self.context, self)
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_audit_log(self) -> None:
        patient = self.current_patient()
        dialog = AuditDialog(self.context, patient.id if patient else None,
                             patient.name if patient else "", self)
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def export_report(self) -> None:
        patient = self.current_patient()
        cls = report_dialog_class()
        if patient is None or cls is None:
            return
        dialog = cls(self.context, patient.id, self)
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("About HairTrack")
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setText(f"<h3>HairTrack {__version__}</h3>"
                    "<p>Objective, repeatable scalp-photo evidence for hair-restoration "
                    "clinics: photos aligned to a baseline, hair coverage measured in the same "
                    "region at every visit, with its uncertainty.</p>")
        box.setInformativeText(f"Library: {self.context.library.root}")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = box
        box.open()

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td style='padding:2px 18px 2px 0'>{name}</td>"
                       f"<td><b>{keys}</b></td></tr>" for name, keys in shortcut_table(
                           self.commands))
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText(f"<table>{rows}</table><p>In the Photos page: arrow keys move the "
                    "selection, Enter opens the photo in Compare. In the timeline: F2 edits, "
                    "Del deletes.</p>")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = box
        box.open()

    def patient_count_text(self) -> str:
        return fmt.count(self.patients.model.rowCount(), "patient")


def _local_paths(mime: Any) -> list[Path]:
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

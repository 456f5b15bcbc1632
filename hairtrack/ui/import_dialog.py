"""Import photos: check what will happen, then import with progress and Cancel.

The files' capture times are read first (headers only, in the background), and
each file is proposed a visit (an existing visit on the same day, else a new
visit on its capture date) and a view (the remembered default). Everything is
editable before anything is written. The import itself runs on the writer;
each file's outcome (imported, already in the library, rejected and why) is
shown on its row afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import CaptureSource, View, Visit
from hairtrack.core.progress import CancelToken, Progress
from hairtrack.core.services import importer, records
from hairtrack.settings import Settings
from hairtrack.ui import formatting as fmt
from hairtrack.ui import messages
from hairtrack.ui.context import AppContext
from hairtrack.ui.icons import Colours, icon
from hairtrack.ui.import_table import (
    CAPTURED,
    COLUMNS,
    FILE,
    RESULT,
    SOURCE,
    VIEW,
    VISIT,
    RowDelegate,
    VisitChoice,
    outcome_summary,
    outcomes,
    propose_visit,
    render_row,
    visit_choices,
    visit_label,
)
from hairtrack.ui.patient_dialog import PatientDialog, open_patient_dialog


class ImportDialog(QDialog):
    imported = Signal(int, object)  # patient id, ImportReport

    def __init__(self, context: AppContext, settings: Settings, paths: Sequence[Path | str],
                 patient_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import photos")
        self.setObjectName("importDialog")
        self.resize(1080, 620)
        self.context = context
        self.settings = settings
        self.paths = [Path(p) for p in paths]
        self.visits: list[Visit] = []
        self.rows: list[dict[str, Any]] = []
        self.busy = False  # scanning or importing
        self.token: CancelToken | None = None  # the running task's, to cancel it
        self.report: importer.ImportReport | None = None
        self.patient_dialog: PatientDialog | None = None
        self._phase = ""
        self._closed = False  # closed by the user: dispose once no task is running

        self.patient = QComboBox()
        self.patient.setMinimumWidth(300)
        self.patient.currentIndexChanged.connect(self._patient_changed)
        self.new_patient = QPushButton(icon("patient-add"), "New patient…")
        self.new_patient.clicked.connect(self._create_patient)
        self.view = QComboBox()
        for view in View:
            self.view.addItem(view.label, view.value)
        self.view.setCurrentIndex(self.view.findData(settings.default_view.value))
        self.view.activated.connect(self._default_view_chosen)
        self.view.setToolTip("Applied to every file (or to the selected rows); remembered for "
                             "the next import")
        top = QHBoxLayout()
        top.addWidget(QLabel("Patient"))
        top.addWidget(self.patient, 1)
        top.addWidget(self.new_patient)
        top.addSpacing(24)
        top.addWidget(QLabel("View"))
        top.addWidget(self.view)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("importTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(32)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.SelectedClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setItemDelegate(RowDelegate(self))
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(RESULT, QHeaderView.ResizeMode.Stretch)
        for column, width in ((FILE, 210), (CAPTURED, 160), (SOURCE, 110), (VISIT, 180),
                              (VIEW, 140)):
            self.table.setColumnWidth(column, width)

        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.analyse = QCheckBox("Analyse the photos after importing")
        self.analyse.setChecked(settings.analyse_after_import)
        self.progress_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel import")
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        self.progress_box.setLayout(progress_row)
        progress_row.setContentsMargins(0, 0, 0, 0)
        self.progress_box.hide()

        self.import_button = QPushButton(icon("import", "#ffffff"), "Import")
        self.import_button.setObjectName("primaryButton")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start)
        self.close_button = QPushButton("Cancel")
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.analyse)
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        bottom.addWidget(self.import_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress_box)
        layout.addLayout(bottom)

        self._fill_patients(patient_id)
        self._scan()

    # ---- patients and visits -----------------------------------------------------------------
    def _fill_patients(self, chosen: int | None) -> None:
        patients = records.list_patients(self.context.library)
        self.patient.blockSignals(True)
        self.patient.clear()
        for patient in patients:
            self.patient.addItem(icon("patients"), f"{patient.name}  —  {patient.mrn}", patient.id)
        self.patient.setCurrentIndex(self.patient.findData(chosen) if chosen is not None
                                     else (0 if len(patients) == 1 else -1))
        self.patient.setPlaceholderText("Choose a patient")
        self.patient.blockSignals(False)
        self._patient_changed()

    def chosen_view(self) -> View:
        return View(self.view.currentData())

    def patient_id(self) -> int | None:
        data = self.patient.currentData()
        return int(data) if data is not None else None

    def _patient_changed(self, *_args: object) -> None:
        pid = self.patient_id()
        self.visits = list(records.patient_record(self.context.library, pid).visits) \
            if pid is not None else []
        for row in range(len(self.rows)):
            self.rows[row]["visit"] = self._propose_visit(self.rows[row]["captured"])
            self._show_row(row)
        self._update_summary()

    def _propose_visit(self, captured: datetime) -> VisitChoice:
        return propose_visit(self.visits, captured)

    def visit_choices(self) -> list[tuple[str, VisitChoice]]:
        return visit_choices(self.visits, self.rows)

    def _visit_label(self, choice: VisitChoice) -> str:
        return visit_label(self.visits, choice)

    def _create_patient(self) -> None:
        self.patient_dialog = open_patient_dialog(
            self.context, None, self, lambda patient: self._fill_patients(patient.id))

    # ---- rows ----------------------------------------------------------------------------------
    def _scan(self) -> None:
        self._busy("Reading capture times…")
        self._phase = "scan"
        self.busy = True
        paths = self.paths

        def work(token: CancelToken) -> Any:
            self.token = token
            return importer.scan(paths, cancel=token)

        self.context.runner.run(
            "Reading capture times", work, on_progress=self._progress, on_done=self._scanned,
            on_error=lambda exc: self._finished_with_error("Could not read the files", exc))

    def _scanned(self, result: tuple[list[importer.ScannedFile], list[importer.Rejected]]) -> None:
        self.busy, self.token = False, None
        scanned, rejected = result
        default = self.chosen_view()
        for found in scanned:
            self.rows.append({"path": found.path, "captured": found.captured_at,
                              "source": found.capture_source, "typed": False,
                              "view": default, "visit": self._propose_visit(found.captured_at),
                              "result": "", "state": "pending", "note": found.note})
        for refused in rejected:
            self.rows.append({"path": refused.path, "captured": None, "source": None,
                              "typed": False, "view": None, "visit": None,
                              "result": refused.reason, "state": "rejected", "note": None})
        self.table.setRowCount(len(self.rows))
        for row in range(len(self.rows)):
            self._show_row(row)
        self._idle()
        self._update_summary()
        self._dispose_if_done()

    def _show_row(self, row: int) -> None:
        data = self.rows[row]
        render_row(self.table, row, data,
                   self._visit_label(data["visit"]) if data["visit"] else "")

    def set_view(self, row: int, view: View) -> None:
        self.rows[row]["view"] = view
        self._show_row(row)

    def set_visit(self, row: int, choice: VisitChoice) -> None:
        self.rows[row]["visit"] = choice
        self._show_row(row)
        self._update_summary()

    def set_captured(self, row: int, moment: datetime) -> None:
        data = self.rows[row]
        data.update(captured=moment, typed=True, source=CaptureSource.MANUAL,
                    visit=self._propose_visit(moment))
        self._show_row(row)
        self._update_summary()

    def _default_view_chosen(self, _index: int) -> None:
        view = self.chosen_view()
        selected = {index.row() for index in self.table.selectionModel().selectedRows()}
        targets = selected if len(selected) > 1 else range(len(self.rows))
        for row in targets:
            if self.rows[row]["state"] == "pending":
                self.set_view(row, view)

    def pending_rows(self) -> list[int]:
        return [i for i, r in enumerate(self.rows) if r["state"] == "pending"]

    def _update_summary(self) -> None:
        pending = self.pending_rows()
        rejected = sum(1 for r in self.rows if r["state"] == "rejected")
        new_visits = {self.rows[i]["visit"] for i in pending
                      if self.rows[i]["visit"][0] == "date"}
        visits = {self.rows[i]["visit"] for i in pending}
        parts = [fmt.count(len(pending), "photo") + " to import"]
        if pending:
            parts.append(f"{fmt.count(len(visits), 'visit')} ({len(new_visits)} new)")
        if rejected:
            parts.append(f"{rejected} cannot be imported")
        self.summary.setText("  ·  ".join(parts))
        ready = bool(pending) and self.patient_id() is not None and not self.busy
        self.import_button.setEnabled(ready and self.report is None)
        self.import_button.setText(f"Import {fmt.count(len(pending), 'photo')}"
                                   if pending else "Import")

    # ---- import ------------------------------------------------------------------------------
    def items(self) -> list[importer.ImportItem]:
        result = []
        for row in self.pending_rows():
            data = self.rows[row]
            kind, value = data["visit"]
            result.append(importer.ImportItem(
                data["path"], view=data["view"],
                visit_id=int(value) if kind == "visit" else None,
                visit_date=value if kind == "date" else None,
                captured_at=data["captured"] if data["typed"] else None))
        return result

    def start(self) -> None:
        patient_id = self.patient_id()
        items = self.items()
        if patient_id is None or not items or self.busy:
            return
        self.settings.default_view = self.chosen_view()
        self.settings.analyse_after_import = self.analyse.isChecked()
        self.table.setEnabled(False)
        for widget in (self.patient, self.new_patient, self.view, self.analyse):
            widget.setEnabled(False)
        self._busy(f"Importing {fmt.count(len(items), 'photo')}…")
        self._phase = "import"
        self.busy = True
        library = self.context.library

        def work(token: CancelToken) -> Any:
            self.token = token
            return importer.import_items(library, patient_id, items, cancel=token)

        self.context.runner.run(
            "Importing photos", work, writes=True, on_progress=self._progress,
            on_done=lambda report: self._imported(patient_id, report),
            on_error=lambda exc: self._finished_with_error("The import failed", exc))

    def cancel(self) -> None:
        if self.busy and self.token is not None:
            self.token.cancel()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Cancelling after the current photo…")

    def _imported(self, patient_id: int, report: importer.ImportReport) -> None:
        self.busy, self.token = False, None
        self.report = report
        by_path = outcomes(report)
        for row, data in enumerate(self.rows):
            if data["state"] != "pending":
                continue
            state, text = by_path.get(data["path"], ("skipped", "Not imported (cancelled)"))
            data.update(state=state, result=text)
            self._show_row(row)
        self._idle()
        self.table.setEnabled(True)
        rejected = sum(1 for r in self.rows if r["state"] == "rejected")
        self.summary.setText(outcome_summary(report, rejected))
        self.import_button.hide()
        self.close_button.setText("Close")
        self.close_button.setObjectName("primaryButton")
        self.close_button.setStyle(self.close_button.style())  # re-polish with the new name
        self.table.setWordWrap(True)
        self.table.resizeRowsToContents()  # rejection reasons are shown in full
        self.close_button.setDefault(True)
        self.imported.emit(patient_id, report)
        self._dispose_if_done()

    def _finished_with_error(self, title: str, exc: Exception) -> None:
        self.busy, self.token = False, None
        self._idle()
        self.table.setEnabled(True)
        self.summary.setText(f"<span style='color:{Colours.ERROR}'>{title}: "
                             f"{messages.error_text(exc)}</span>")
        self._dispose_if_done()

    def _busy(self, label: str) -> None:
        self.progress_box.show()
        self.progress.setRange(0, 0)
        self.progress_label.setText(label)
        self.cancel_button.setEnabled(True)
        self.import_button.setEnabled(False)
        self.close_button.setEnabled(False)

    def _idle(self) -> None:
        self.progress_box.hide()
        self.close_button.setEnabled(True)
        self._update_summary()

    def _progress(self, step: Progress) -> None:
        self.progress.setRange(0, max(1, step.total))
        self.progress.setValue(step.done)
        if self._phase == "import":
            current = min(step.done + 1, step.total)
            self.progress_label.setText(f"Importing {current} of {step.total}")

    def reject(self) -> None:
        if self.busy and self.token is not None:  # closing cancels; the outcome still arrives
            self.token.cancel()
        self._closed = True
        super().reject()
        self._dispose_if_done()

    def _dispose_if_done(self) -> None:
        """A closed dialog lives until its task reported, so the window still hears of it."""
        if self._closed and not self.busy:
            self.deleteLater()

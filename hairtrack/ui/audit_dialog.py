"""File > Audit log: who did what and when, whether the log is intact, and a CSV export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.services import audit_log
from hairtrack.core.services.audit_log import AuditEntry, ChainProblem
from hairtrack.ui import formatting as fmt
from hairtrack.ui import messages
from hairtrack.ui.context import AppContext

SHOWN = 1000  # newest entries listed; the CSV export holds them all


class AuditDialog(QDialog):
    def __init__(self, context: AppContext, patient_id: int | None = None,
                 patient_label: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audit log")
        self.setObjectName("auditDialog")
        self.resize(960, 520)
        self.context = context
        self.patient_id = patient_id
        layout = QVBoxLayout(self)
        self.status = QLabel("Checking the log…")
        self.status.setObjectName("auditStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.only_patient = QCheckBox(f"Only {patient_label}" if patient_label else "")
        self.only_patient.setVisible(patient_id is not None)
        self.only_patient.setChecked(patient_id is not None)
        self.only_patient.toggled.connect(lambda _on: self.reload())
        layout.addWidget(self.only_patient)
        self.tree = QTreeWidget()
        self.tree.setObjectName("auditList")
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["#", "When", "Who", "Action", "What"])
        self.tree.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.tree, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = QPushButton("Export CSV…")
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.export)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    def _filter(self) -> int | None:
        return self.patient_id if self.only_patient.isChecked() else None

    def reload(self) -> None:
        library, patient_id = self.context.library, self._filter()

        def read() -> tuple[list[AuditEntry], list[ChainProblem]]:
            return (audit_log.entries(library, patient_id, SHOWN), audit_log.verify(library))

        self.context.runner.call("Reading the audit log", read, on_done=self._show,
                                 on_error=messages.warner(self, "Cannot read the audit log"))

    def _show(self, result: tuple[list[AuditEntry], list[ChainProblem]]) -> None:
        entries, problems = result
        self.tree.clear()
        for e in entries:
            self.tree.addTopLevelItem(QTreeWidgetItem(
                [str(e.seq), fmt.moment(e.at), e.actor, e.action, e.summary]))
        for column in range(4):
            self.tree.resizeColumnToContents(column)
        shown = f"{fmt.count(len(entries), 'entry', 'entries')} shown (newest first)"
        if problems:
            self.status.setText(
                f"⚠ The audit log was altered outside HairTrack: {problems[0].problem}"
                + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
                + f". Run 'hairtrack doctor' for details. {shown}.")
            self.status.setStyleSheet("color: #a94442; font-weight: 600;")
        else:
            self.status.setText(f"The log is intact: every entry still matches the chain of "
                                f"checksums it was written into. {shown}.")
            self.status.setStyleSheet("")

    def export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export audit log", "audit-log.csv",
                                              "CSV files (*.csv)")
        if name:
            self.export_to(Path(name))

    def export_to(self, target: Path) -> None:
        library, patient_id = self.context.library, self._filter()

        def done(count: int) -> None:
            self.context.statusMessage.emit(f"Exported {count} audit entries to {target}")
            self.reload()

        self.context.runner.call("Exporting the audit log",
                                 lambda: audit_log.export_csv(library, target, patient_id),
                                 writes=True, on_done=done,
                                 on_error=messages.warner(self, "Cannot export the audit log"))

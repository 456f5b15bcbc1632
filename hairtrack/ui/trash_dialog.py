"""File > Trash: what was deleted, by whom and when; restore it or delete it for good."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.services import trash
from hairtrack.core.services.records import NotFound
from hairtrack.core.services.trash import TrashEntry
from hairtrack.ui import formatting as fmt
from hairtrack.ui import messages
from hairtrack.ui.context import AppContext

ENTRY_ROLE = Qt.ItemDataRole.UserRole
KIND_LABELS = {trash.Kind.PATIENT: "Patient", trash.Kind.VISIT: "Visit",
               trash.Kind.PHOTO: "Photo"}


class TrashDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trash")
        self.setObjectName("trashDialog")
        self.resize(820, 420)
        self.context = context
        self.entries: list[TrashEntry] = []
        layout = QVBoxLayout(self)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setObjectName("trashList")
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["Kind", "What", "Deleted", "By", "Photos"])
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.tree, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = QPushButton("Restore")
        self.restore_button.setToolTip("Bring the selected items back where they were")
        self.purge_button = QPushButton("Delete permanently…")
        self.empty_button = QPushButton("Empty trash…")
        for button in (self.restore_button, self.purge_button, self.empty_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.clicked.connect(self.restore_selected)
        self.purge_button.clicked.connect(self.purge_selected)
        self.empty_button.clicked.connect(self.empty)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        self.context.runner.call("Reading the trash", lambda: trash.list_trash(
            self.context.library), on_done=self._show,
            on_error=messages.warner(self, "Cannot read the trash"))

    def _show(self, entries: list[TrashEntry]) -> None:
        self.entries = entries
        self.tree.clear()
        for entry in entries:
            item = QTreeWidgetItem([KIND_LABELS[entry.kind], entry.label,
                                    fmt.moment(entry.deleted_at), entry.deleted_by,
                                    str(entry.photo_count)])
            item.setData(0, ENTRY_ROLE, entry)
            self.tree.addTopLevelItem(item)
        photos = sum(e.photo_count for e in entries)
        self.summary.setText(
            "The trash is empty." if not entries else
            f"{fmt.count(len(entries), 'item')} holding {fmt.count(photos, 'photo')}. Deleted "
            "records stay here, with their photos, until you delete them permanently.")
        for column in (0, 2, 3, 4):
            self.tree.resizeColumnToContents(column)
        self._update_buttons()

    def selected(self) -> list[TrashEntry]:
        return [item.data(0, ENTRY_ROLE) for item in self.tree.selectedItems()]

    def _update_buttons(self) -> None:
        writable = not self.context.library.read_only
        chosen = bool(self.selected())
        self.restore_button.setEnabled(writable and chosen)
        self.purge_button.setEnabled(writable and chosen)
        self.empty_button.setEnabled(writable and bool(self.entries))

    def restore_selected(self) -> None:
        chosen = self.selected()
        library = self.context.library

        def work() -> None:
            for entry in chosen:
                try:
                    trash.restore(library, entry.kind, entry.id)
                except NotFound:  # came back with an item restored before it
                    continue

        self._write("Restoring", work, chosen, f"Restored {fmt.count(len(chosen), 'item')}")

    def purge_selected(self) -> None:
        chosen = self.selected()
        photos = sum(e.photo_count for e in chosen)
        if not messages.confirm(self, "Delete permanently",
                                f"Delete {fmt.count(len(chosen), 'item')} and "
                                f"{fmt.count(photos, 'photo')} permanently? This cannot be "
                                "undone.", "Delete permanently"):
            return
        library = self.context.library

        def work() -> None:
            for entry in chosen:
                try:
                    trash.purge(library, entry.kind, entry.id)
                except NotFound:  # went with a patient or visit purged before it
                    continue

        self._write("Deleting permanently", work, chosen,
                    f"Deleted {fmt.count(len(chosen), 'item')} permanently")

    def empty(self) -> None:
        photos = sum(e.photo_count for e in self.entries)
        if not messages.confirm(self, "Empty trash",
                                f"Delete everything in the trash ({fmt.count(photos, 'photo')}) "
                                "permanently? This cannot be undone.", "Empty trash"):
            return
        library = self.context.library
        self._write("Emptying the trash", lambda: trash.empty_trash(library), self.entries,
                    "Emptied the trash")

    def _write(self, label: str, work: Callable[[], object], entries: list[TrashEntry],
               message: str) -> None:
        patients = {e.patient_id for e in entries}

        def done(_result: object) -> None:
            self.context.statusMessage.emit(message)
            self.context.patientsChanged.emit()
            for patient_id in patients:
                self.context.recordChanged.emit(patient_id)
            self.reload()

        self.context.runner.call(label, work, writes=True, on_done=done,
                                 on_error=messages.warner(self, label))

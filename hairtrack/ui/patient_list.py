"""The patient list: instant search by name or MRN, a count, and open/add/edit.

The whole list is read once (a few thousand rows at most in a clinic) and
filtered in memory as the user types, so search never waits on the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import Patient
from hairtrack.ui import formatting as fmt
from hairtrack.ui.icons import avatar, icon

COLUMNS = ("Name", "MRN", "Date of birth", "Age", "Sex", "Last updated")
PATIENT_ROLE = Qt.ItemDataRole.UserRole
Index = QModelIndex | QPersistentModelIndex


class PatientModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.patients: list[Patient] = []

    def set_patients(self, patients: Sequence[Patient]) -> None:
        self.beginResetModel()
        self.patients = list(patients)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.patients)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        patient = self.patients[index.row()]
        column = index.column()
        if role == PATIENT_ROLE:
            return patient
        if role == Qt.ItemDataRole.DisplayRole:
            years = fmt.age(patient.date_of_birth)
            return (patient.name, patient.mrn, fmt.day(patient.date_of_birth),
                    "" if years is None else str(years), fmt.SEX_WORDS.get(patient.sex, ""),
                    fmt.day(patient.updated_at))[column]
        if role == Qt.ItemDataRole.UserRole + 1:  # sort key
            return (patient.name.lower(), patient.mrn.lower(),
                    patient.date_of_birth.isoformat() if patient.date_of_birth else "",
                    fmt.age(patient.date_of_birth) or -1, patient.sex.value,
                    patient.updated_at.isoformat())[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return avatar(patient.name)
        if role == Qt.ItemDataRole.ToolTipRole and patient.notes:
            return patient.notes
        return None


class _Filter(QSortFilterProxyModel):
    """Matches every word of the search against the name or the MRN."""

    def __init__(self) -> None:
        super().__init__()
        self._words: list[str] = []
        self.setSortRole(Qt.ItemDataRole.UserRole + 1)

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._words = text.lower().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        if not self._words:
            return True
        model = self.sourceModel()
        assert isinstance(model, PatientModel)
        patient = model.patients[row]
        haystack = f"{patient.name.lower()} {patient.mrn.lower()}"
        return all(word in haystack for word in self._words)


class PatientListPage(QWidget):
    openRequested = Signal(object)  # Patient
    newRequested = Signal()
    editRequested = Signal(object)  # Patient
    importRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PatientModel()
        self.proxy = _Filter()
        self.proxy.setSourceModel(self.model)

        title = QLabel("Patients")
        title.setObjectName("pageTitle")
        self.count = QLabel()
        self.count.setObjectName("muted")
        self.search = QLineEdit()
        self.search.setObjectName("searchField")
        self.search.setPlaceholderText("Search by name or MRN")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(320)
        self.search.textChanged.connect(self._search)
        self.new_button = QPushButton(icon("patient-add", "#ffffff"), "New patient")
        self.new_button.setObjectName("primaryButton")
        self.new_button.clicked.connect(self.newRequested)
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.edit_button.clicked.connect(self._edit)
        self.open_button = QPushButton(icon("open"), "Open")
        self.open_button.clicked.connect(self._open)

        header = QHBoxLayout()
        header.addWidget(title)
        header.addSpacing(12)
        header.addWidget(self.count)
        header.addStretch(1)
        header.addWidget(self.search)
        tools = QHBoxLayout()
        tools.addWidget(self.new_button)
        tools.addWidget(self.edit_button)
        tools.addWidget(self.open_button)
        tools.addStretch(1)

        self.table = QTableView()
        self.table.setObjectName("patientTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(36)
        head = self.table.horizontalHeader()
        head.setHighlightSections(False)
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 150), (2, 140), (3, 70), (4, 90), (5, 140)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _index: self._open())
        self.table.activated.connect(lambda _index: self._open())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.empty = QLabel("No patient matches the search.")
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(14)
        layout.addLayout(header)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        clear = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search)
        clear.activated.connect(self.search.clear)
        self._update_count()
        self._update_buttons()

    # ---- data ------------------------------------------------------------------------------
    def set_patients(self, patients: Sequence[Patient]) -> None:
        """Replace the list; the selection and the scroll position stay where they were."""
        chosen = self.selected()
        bar = self.table.verticalScrollBar()
        top = bar.value()
        self.model.set_patients(patients)
        self._update_count()
        if chosen is not None:
            self.select(chosen.id)
        elif self.proxy.rowCount() == 1:
            self.table.selectRow(0)
        bar.setValue(top)  # selecting may have scrolled; a refresh must not move the list
        self._update_buttons()

    def visible_patients(self) -> list[Patient]:
        return [self.proxy.index(row, 0).data(PATIENT_ROLE)
                for row in range(self.proxy.rowCount())]

    def selected(self) -> Patient | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(PATIENT_ROLE) if rows else None

    def select(self, patient_id: int) -> bool:
        for row in range(self.proxy.rowCount()):
            patient = self.proxy.index(row, 0).data(PATIENT_ROLE)
            if patient.id == patient_id:
                self.table.selectRow(row)
                return True
        return False

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # ---- internals -------------------------------------------------------------------------
    def _search(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()
        if self.proxy.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._update_buttons()

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        if shown == total:
            self.count.setText(fmt.count(total, "patient"))
        else:
            self.count.setText(f"{shown} of {fmt.count(total, 'patient')}")
        self.empty.setVisible(total > 0 and shown == 0)

    def _update_buttons(self, *_args: object) -> None:
        has = self.selected() is not None
        self.edit_button.setEnabled(has)
        self.open_button.setEnabled(has)

    def _open(self) -> None:
        patient = self.selected()
        if patient is not None:
            self.openRequested.emit(patient)

    def _edit(self) -> None:
        patient = self.selected()
        if patient is not None:
            self.editRequested.emit(patient)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open()
        elif event.key() == Qt.Key.Key_Down and self.search.hasFocus():
            self.table.setFocus()
        else:
            super().keyPressEvent(event)

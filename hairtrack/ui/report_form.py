"""The report's options: views, period, what to include, privacy, paper and file.

A widget of its own so the export dialog only runs the export. The file name
it suggests carries the pseudonymous code when the report is de-identified,
never the name or MRN; a name the user typed is left alone (the rule for what
may be exported is `report.choices.export_problem`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import View
from hairtrack.report.choices import PatientChoices, export_problem, suggested_name
from hairtrack.report.model import ReportOptions
from hairtrack.settings import PAPER_SIZES
from hairtrack.ui import icons


class ReportForm(QWidget):
    """Inputs of one export; `options()` and `problem()` read them."""

    #: Who the report is about, as it will print ("Alex Demo · MRN …" or the code).
    identity_changed = Signal(str)

    def __init__(self, paper: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices: PatientChoices | None = None
        self._suggested = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self._content_group())
        layout.addWidget(self._output_group(paper))

    def _content_group(self) -> QGroupBox:
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
        self.date_from = _date_edit()
        self.date_to = _date_edit()
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
        return content

    def _output_group(self, paper: str) -> QGroupBox:
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
        self.paper.setCurrentText(paper)
        out_form.addRow("Paper:", self.paper)
        self.path = QLineEdit()
        self.path.setPlaceholderText("Where to save the PDF")
        self.choose = QPushButton(icons.icon("folder"), "Choose…")
        self.choose.clicked.connect(self._choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.choose)
        out_form.addRow("File:", file_row)
        return output

    # filling ------------------------------------------------------------------------------
    def set_choices(self, choices: PatientChoices) -> None:
        """The patient's analysed views, visit dates and pseudonymous code, once loaded."""
        self.choices = choices
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

    def set_busy(self, busy: bool) -> None:
        """Nothing can be changed while the record is read or the report written."""
        for widget in (self.choose, self.path, self.deidentify, self.paper, self.strip,
                       self.overlays, self.limit, *self.view_boxes.values()):
            widget.setEnabled(not busy)
        if not busy and self.choices is not None and self.choices.code is None:
            self.deidentify.setEnabled(False)
        self.date_from.setEnabled(not busy and self.limit.isChecked())
        self.date_to.setEnabled(not busy and self.limit.isChecked())

    # reading ------------------------------------------------------------------------------
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

    def target(self) -> Path:
        return Path(self.path.text().strip())

    # reactions ----------------------------------------------------------------------------
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
        self.identity_changed.emit(
            f"De-identified as {self.choices.code}" if self.deidentify.isChecked()
            else f"{self.choices.name} · MRN {self.choices.mrn}")

    def _choose_file(self) -> None:
        start = self.path.text().strip() or str(_documents() / self._suggested)
        chosen, _ = QFileDialog.getSaveFileName(self, "Save progress report", start,
                                                "PDF documents (*.pdf)")
        if chosen:
            if not chosen.lower().endswith(".pdf"):
                chosen += ".pdf"
            self.path.setText(chosen)


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d MMM yyyy")
    return edit


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _documents() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder) if folder and Path(folder).is_dir() else Path.home()

"""The import dialog's table: its columns, how a row is drawn, its cell editors,
and the words for each file's outcome.

The editors write back through the dialog (`set_captured`, `set_view`,
`set_visit`), which owns the rows and re-proposes visits when a time changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QDateTime, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from hairtrack.core.domain import CaptureSource, View, Visit
from hairtrack.core.services.importer import ImportReport, display_path
from hairtrack.ui import formatting as fmt
from hairtrack.ui.icons import Colours, icon

FILE, CAPTURED, SOURCE, VISIT, VIEW, RESULT = range(6)
COLUMNS = ("File", "Captured", "Time from", "Visit", "View", "Result")
DATA = Qt.ItemDataRole.UserRole
SOURCE_WORDS = {CaptureSource.EXIF: "Camera (EXIF)", CaptureSource.FILE: "File date",
                CaptureSource.MANUAL: "Typed"}
VisitChoice = tuple[str, object]  # ("visit", id) or ("date", date)
Index = QModelIndex | QPersistentModelIndex


class RowEditor(Protocol):
    def visit_choices(self) -> list[tuple[str, VisitChoice]]: ...

    def set_captured(self, row: int, moment: datetime) -> None: ...

    def set_view(self, row: int, view: View) -> None: ...

    def set_visit(self, row: int, choice: VisitChoice) -> None: ...


class RowDelegate(QStyledItemDelegate):
    """Combo boxes for the visit and view columns, a date-time editor for capture time."""

    def __init__(self, dialog: RowEditor) -> None:
        super().__init__(dialog)  # type: ignore[arg-type]
        self.dialog = dialog

    def createEditor(self, parent: QWidget, option: Any, index: Index) -> QWidget:
        if index.column() == CAPTURED:
            editor = QDateTimeEdit(parent)
            editor.setDisplayFormat("d MMM yyyy  HH:mm")
            editor.setCalendarPopup(True)
            return editor
        combo = QComboBox(parent)
        if index.column() == VIEW:
            for view in View:
                combo.addItem(view.label, view.value)
        else:
            for label, choice in self.dialog.visit_choices():
                combo.addItem(label, choice)
        combo.activated.connect(lambda _i: self.commitData.emit(combo))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data(DATA)
        if isinstance(editor, QDateTimeEdit):
            editor.setDateTime(QDateTime.fromSecsSinceEpoch(int(value.timestamp())))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)))

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        row = index.row()
        if isinstance(editor, QDateTimeEdit):
            moment = editor.dateTime().toPython()
            assert isinstance(moment, datetime)
            self.dialog.set_captured(row, moment.astimezone())
        elif isinstance(editor, QComboBox) and editor.currentIndex() >= 0:
            if index.column() == VIEW:
                self.dialog.set_view(row, View(editor.currentData()))
            else:
                self.dialog.set_visit(row, editor.currentData())


def render_row(table: QTableWidget, row: int, data: dict[str, Any], visit_label: str) -> None:
    """Draw one file's row: editable while pending, its outcome once imported or refused."""
    editable = data["state"] == "pending"
    captured = data["captured"]
    cells = [
        (display_path(data["path"].name), None, False),  # Qt drops undecodable bytes
        (fmt.moment(captured) if captured else "—", captured, editable),
        (SOURCE_WORDS.get(data["source"], "") if data["source"] else "", None, False),
        (visit_label, data["visit"], editable),
        (data["view"].label if data["view"] else "", data["view"], editable),
        (data["result"][:1].upper() + data["result"][1:], None, False),
    ]
    items: list[QTableWidgetItem] = []
    for column, (text, value, can_edit) in enumerate(cells):
        item = QTableWidgetItem(text)
        if value is not None:
            item.setData(DATA, value)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if can_edit:
            flags |= Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
        table.setItem(row, column, item)
        items.append(item)
    items[FILE].setToolTip(str(data["path"]))
    if data["note"]:
        items[SOURCE].setToolTip(data["note"])
    result = items[RESULT]
    state = data["state"]
    if state in ("imported", "duplicate", "rejected"):
        colour = {"imported": Colours.SUCCESS, "duplicate": Colours.MUTED,
                  "rejected": Colours.ERROR}[state]
        result.setForeground(QColor(colour))
        result.setIcon(icon({"imported": "check", "duplicate": "info",
                             "rejected": "error"}[state], colour))
        result.setToolTip(data["result"])


def propose_visit(visits: Sequence[Visit], captured: datetime) -> VisitChoice:
    """The patient's visit on the photo's (local) capture day, else a new visit that day."""
    day = fmt.local_date(captured)
    for visit in visits:
        if fmt.local_date(visit.visited_at) == day:
            return ("visit", visit.id)
    return ("date", day)


def visit_choices(visits: Sequence[Visit],
                  rows: Sequence[dict[str, Any]]) -> list[tuple[str, VisitChoice]]:
    """Existing visits, then a new visit for every capture day not covered by one."""
    choices: list[tuple[str, VisitChoice]] = [
        (f"{fmt.day(v.visited_at)} ({fmt.count(v.photo_count, 'photo')})", ("visit", v.id))
        for v in sorted(visits, key=lambda v: v.visited_at)]
    days = {r["visit"][1] for r in rows if r["visit"] and r["visit"][0] == "date"}
    days |= {fmt.local_date(r["captured"]) for r in rows if r["captured"] is not None}
    known = {fmt.local_date(v.visited_at) for v in visits}
    choices += [(f"New visit {fmt.day(d)}", ("date", d)) for d in sorted(days) if d not in known]
    return choices


def visit_label(visits: Sequence[Visit], choice: VisitChoice) -> str:
    kind, value = choice
    if kind == "visit":
        visit = next((v for v in visits if v.id == value), None)
        return fmt.day(visit.visited_at) if visit else "?"
    assert isinstance(value, date)
    return f"New visit {fmt.day(value)}"


def outcomes(report: ImportReport) -> dict[Path, tuple[str, str]]:
    """Each imported file's row state and Result text, by path."""
    by_path: dict[Path, tuple[str, str]] = {}
    for ok in report.imported:
        by_path[ok.path] = ("imported", "Imported" + (f" ({ok.note})" if ok.note else ""))
    for dup in report.duplicates:
        by_path[dup.path] = ("duplicate", f"Already in the library (photo {dup.photo_id})")
    for bad in report.rejected:
        by_path[bad.path] = ("rejected", bad.reason)
    return by_path


def outcome_summary(report: ImportReport, rejected: int) -> str:
    """One line on what an import did; `rejected` counts every refused row."""
    parts = [f"Imported {fmt.count(len(report.imported), 'photo')}"]
    if report.duplicates:
        parts.append(f"{len(report.duplicates)} already in the library")
    if rejected:
        parts.append(f"{rejected} rejected (see Result)")
    if report.cancelled:
        parts.append("cancelled before the end")
    return "  ·  ".join(parts)

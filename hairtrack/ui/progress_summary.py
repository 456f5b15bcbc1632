"""The numbers behind one view's line, as a small table under the progress chart.

A chart shows the shape of a course; a clinician deciding on the next session
also wants the figures: where the view started, where it is now, whether the
change exceeds what the method can resolve, and what happened since the last
treatment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import View
from hairtrack.core.services.progress_series import ProgressSeries, ViewSeries
from hairtrack.ui import formatting as fmt
from hairtrack.ui.chart_style import format_pp, view_colour
from hairtrack.ui.icons import Colours


def summary_rows(vs: ViewSeries, labels: Mapping[int, str]) -> list[tuple[str, str, str]]:
    """(row name, value, tone) for one view; tone is '', 'good', 'bad' or 'muted'."""
    rows: list[tuple[str, str, str]] = []
    base, latest = vs.baseline, vs.latest
    if base is not None:
        rows.append(("Baseline", f"{base.coverage * 100:.1f}%  ·  {fmt.day(base.visited_at)}",
                     ""))
    if latest is not None and latest is not base:
        rows.append(("Latest", f"{latest.coverage * 100:.1f}% \u00b1 {latest.uncertainty * 100:.1f}"
                     f" pp  ·  {fmt.day(latest.visited_at)}", ""))
        if latest.change_pp is not None:
            relative = (f" ({latest.change_relative * 100:+.0f}%)"
                        if latest.change_relative is not None else "")
            tone = ("muted" if not latest.significant else
                    "good" if latest.change_pp > 0 else "bad")
            rows.append(("Change", f"{format_pp(latest.change_pp)}{relative}", tone))
            # the service's test: |change| > expanded uncertainty of the difference
            limit = math.hypot(latest.uncertainty, base.uncertainty) * 100 if base else None
            if latest.significant is not None and limit is not None:
                verdict = (f"Yes: beyond \u00b1{limit:.1f} pp" if latest.significant
                           else f"No: within \u00b1{limit:.1f} pp")
                rows.append(("Significant", verdict, tone))
        event = latest.since_treatment
        if event is not None and latest.change_since_treatment_pp is not None:
            name = labels.get(event.id, event.type_label)
            rows.append((f"Since {name}", f"{format_pp(latest.change_since_treatment_pp)}  ·  "
                         f"{fmt.day(event.date)}", ""))
    measured = fmt.count(len(vs.points), "visit")
    missing = len(vs.unmeasured)
    rows.append(("Measured", measured + (f"  ·  {fmt.count(missing, 'photo')} unmeasured"
                                         if missing else ""), "muted" if not missing else "bad"))
    return rows


class ViewSummary(QFrame):
    """A titled card holding one view's summary table."""

    def __init__(self, vs: ViewSeries, labels: Mapping[int, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = vs.view
        self.setObjectName("viewSummary")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame#viewSummary {{ background: {Colours.PANEL};"
                           f" border: 1px solid {Colours.BORDER}; border-radius: 6px;"
                           f" border-top: 3px solid {view_colour(vs.view)}; }}")
        swatch = QLabel()
        swatch.setFixedSize(10, 10)
        swatch.setStyleSheet(f"background: {view_colour(vs.view)}; border-radius: 5px;")
        title = QLabel(vs.view.label)
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        note = QLabel("automatic region" if vs.roi_automatic else "drawn region")
        note.setStyleSheet(f"color: {Colours.MUTED};")
        note.setToolTip("Coverage is measured inside this region of the baseline photo")
        head = QHBoxLayout()
        head.setSpacing(6)
        head.addWidget(swatch)
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(note)

        rows = summary_rows(vs, labels)
        self.table = QTableWidget(len(rows), 2)
        self.table.setObjectName("viewSummaryTable")
        self.table.horizontalHeader().hide()
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setFrameShape(QFrame.Shape.NoFrame)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # compact rows whatever the application's table style: this is a caption, not a grid
        self.table.setStyleSheet(
            "QTableWidget#viewSummaryTable { border: none; background: transparent; }"
            " QTableWidget#viewSummaryTable::item { padding: 0px 10px 0px 0px; border: none; }")
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        row_height = self.table.fontMetrics().height() + 6
        self.table.verticalHeader().setMinimumSectionSize(row_height)
        self.table.verticalHeader().setDefaultSectionSize(row_height)
        tones = {"good": Colours.SUCCESS, "bad": Colours.WARNING, "muted": Colours.MUTED}
        for r, (name, value, tone) in enumerate(rows):
            key = QTableWidgetItem(name)
            key.setForeground(QColor(Colours.MUTED))
            item = QTableWidgetItem(value)
            item.setForeground(QColor(tones.get(tone, Colours.TEXT)))
            item.setToolTip(value)
            self.table.setItem(r, 0, key)
            self.table.setItem(r, 1, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        height = sum(self.table.rowHeight(r) for r in range(len(rows))) + 2
        self.table.setFixedHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.table)

    def value(self, name: str) -> str | None:
        """The text in the row called `name` (tests and accessibility tools read it)."""
        for r in range(self.table.rowCount()):
            key = self.table.item(r, 0)
            if key is not None and key.text() == name:
                cell = self.table.item(r, 1)
                return cell.text() if cell is not None else None
        return None


class SummaryCards(QScrollArea):
    """The cards of the shown views, side by side in rows of equal length.

    The area scrolls when the page is short, so the chart above keeps its height.
    """

    CARD_WIDTH = 270  # narrower cards truncate their dates

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        holder = QWidget()
        holder.setObjectName("summaryCards")
        self.grid = QGridLayout(holder)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(10)
        self.setWidget(holder)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setStyleSheet("QScrollArea, QWidget#summaryCards { background: transparent; }")
        self.cards: list[ViewSummary] = []
        self._columns = 0
        self._room = 10_000

    def set_views(self, series: ProgressSeries | None, views: Sequence[View],
                  labels: Mapping[int, str]) -> None:
        for card in self.cards:
            self.grid.removeWidget(card)
            card.hide()  # deleteLater waits for the event loop; it must vanish now
            card.deleteLater()
        self.cards = []
        if series is not None:
            for view in views:
                vs = series.view(view)
                if vs is not None:
                    self.cards.append(ViewSummary(vs, labels))
        self._arrange()

    def columns_for(self, width: int) -> int:
        count = len(self.cards)
        fit = max(1, min(4, width // self.CARD_WIDTH))
        rows = math.ceil(count / fit) if count else 1
        return max(1, math.ceil(count / rows))

    def fit_height(self, room: int) -> None:
        """All the cards if `room` px allows, else as much as fits and a scroll bar."""
        self._room = room
        if not self.cards:
            self.hide()
            return
        self.show()
        card = max(c.sizeHint().height() for c in self.cards)
        rows = math.ceil(len(self.cards) / max(1, self._columns))
        full = rows * card + (rows - 1) * self.grid.spacing()
        self.setFixedHeight(max(min(full + 2, room), min(card, 120)))

    def _arrange(self) -> None:
        columns = self.columns_for(self.width())
        for card in self.cards:
            self.grid.removeWidget(card)
        for index, card in enumerate(self.cards):
            self.grid.addWidget(card, index // columns, index % columns)
        for column in range(max(4, self._columns)):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
        self._columns = columns
        self.fit_height(self._room)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.cards and self.columns_for(self.width()) != self._columns:
            self._arrange()

"""What QtCharts cannot draw by itself: staggered treatment labels and a symbol key.

The overlay is a child item of the chart, so it is painted wherever the chart
is (a QChartView, or a QGraphicsScene rendered into a PDF). It lays itself out
whenever the plot area moves and asks the chart for the margins it needs: a
band above the plot for treatment labels, a strip below the axis for the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCharts import QChart
from PySide6.QtCore import QMargins, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

MAX_LABEL_ROWS = 3


@dataclass(frozen=True)
class MarkerLabel:
    """One treatment label: its marker's x in chart values, its text and colour."""

    x_value: float
    text: str
    colour: str


@dataclass(frozen=True)
class KeyEntry:
    """One item of the key; `symbol` names how its swatch is drawn."""

    symbol: str  # view | baseline-point | significant | not-significant | band | baseline-line
    #              | treatment
    colour: str
    text: str


def stack_labels(anchors: Sequence[float], widths: Sequence[float], left: float, right: float,
                 *, gap: float = 6.0, max_rows: int = MAX_LABEL_ROWS
                 ) -> list[tuple[float, int]] | None:
    """Place flag labels (to the right of their marker) in as few rows as keep them apart.

    Anchors must be sorted. A label that would run past `right` flips to the left of its
    marker. Returns (left edge, row) per label, or None when `max_rows` rows do not suffice.
    """
    placed, failed = _stack(anchors, widths, left, right, gap, max_rows)
    return None if failed is not None else placed


def _stack(anchors: Sequence[float], widths: Sequence[float], left: float, right: float,
           gap: float, max_rows: int) -> tuple[list[tuple[float, int]], int | None]:
    """The placements, and the index of the first label that found no row (or None)."""
    row_ends: list[float] = []
    placed: list[tuple[float, int]] = []
    for index, (x, width) in enumerate(zip(anchors, widths, strict=True)):
        start = x if x + width <= right else max(left, x - width)
        for row, end in enumerate(row_ends):
            if start >= end + gap:
                row_ends[row] = start + width
                placed.append((start, row))
                break
        else:
            if len(row_ends) >= max_rows:
                return placed, index
            row_ends.append(start + width)
            placed.append((start, len(row_ends) - 1))
    return placed, None


def merge_crowded(items: Sequence[tuple[float, MarkerLabel]],
                  width_of: Callable[[str], float], left: float, right: float
                  ) -> tuple[list[tuple[float, MarkerLabel]], list[tuple[float, int]]]:
    """Stack the labels; where they do not fit, fold a label into its left neighbour's.

    Only crowded places are merged ("Exo 4 +3"), so isolated events keep their own
    label. Returns the labels drawn and their placements.
    """
    groups = [[item] for item in items]
    while True:
        labels = [_group_label(group) for group in groups]
        widths = [width_of(label.text) for _, label in labels]
        placed, failed = _stack([x for x, _ in labels], widths, left, right, 6.0,
                                MAX_LABEL_ROWS)
        if failed is None:
            return labels, placed
        into = failed - 1 if failed > 0 else 0
        groups[into:into + 2] = [groups[into] + groups[into + 1]]


def _group_label(group: Sequence[tuple[float, MarkerLabel]]) -> tuple[float, MarkerLabel]:
    x, first = group[0]
    if len(group) == 1:
        return x, first
    return x, MarkerLabel(first.x_value, f"{first.text} +{len(group) - 1}", first.colour)


class ChartOverlay(QGraphicsItem):
    """Treatment labels above the plot, the key below it, a message on an empty chart."""

    def __init__(self, chart: QChart, to_x: Callable[[float], float], *,
                 labels: Sequence[MarkerLabel], key: Sequence[KeyEntry], label_font: QFont,
                 key_font: QFont, text_colour: str, base_margins: QMarginsF,
                 empty_message: str = "") -> None:
        super().__init__(chart)
        self._chart = chart
        self._to_x = to_x
        self.labels = sorted(labels, key=lambda m: m.x_value)
        self.key = list(key)
        self._label_font = label_font
        self._key_font = key_font
        self._text_colour = QColor(text_colour)
        self._base = base_margins
        self.empty_message = empty_message
        self.label_boxes: list[tuple[QRectF, MarkerLabel, float]] = []  # box, label, marker x
        self.key_boxes: list[tuple[QRectF, KeyEntry]] = []
        self._busy = False
        self.setZValue(100)  # above the series and the axes
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        chart.plotAreaChanged.connect(self.relayout)

    # -- layout ---------------------------------------------------------------------------

    def relayout(self) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            plot = self._chart.plotArea()
            band = self._layout_labels(plot)
            strip = self._layout_key(self._chart.rect().width())
            wanted = QMargins(round(self._base.left()), math.ceil(self._base.top() + band),
                              round(self._base.right()), math.ceil(self._base.bottom() + strip))
            if self._chart.margins() != wanted:
                self._chart.setMargins(wanted)
                layout = self._chart.layout()
                if layout is not None:  # apply now: a PDF render may follow immediately
                    layout.activate()
                plot = self._chart.plotArea()
                self._layout_labels(plot)
            self._place_key(plot)
        finally:
            self._busy = False
        self.prepareGeometryChange()
        self.update()

    def _layout_labels(self, plot: QRectF) -> float:
        """Lay the labels out in the band above `plot`; returns the band's height."""
        self.label_boxes = []
        if not self.labels or plot.width() <= 0:
            return 0.0
        metrics = QFontMetricsF(self._label_font)
        pad = metrics.height() * 0.25
        xs = [self._to_x(m.x_value) for m in self.labels]
        inside = [(x, m) for x, m in zip(xs, self.labels, strict=True)
                  if plot.left() - 0.5 <= x <= plot.right() + 0.5]
        if not inside:
            return 0.0
        inside, placed = merge_crowded(
            inside, lambda text: metrics.horizontalAdvance(text) + 2 * pad, plot.left(),
            self._chart.rect().right())
        widths = [metrics.horizontalAdvance(m.text) + 2 * pad for _, m in inside]
        row_height = metrics.height() + pad
        rows = 1 + max(row for _, row in placed)
        for (start, row), width, (x, label) in zip(placed, widths, inside, strict=True):
            top = plot.top() - (rows - row) * row_height - pad
            self.label_boxes.append((QRectF(start, top, width, metrics.height()), label, x))
        return rows * row_height + 2 * pad

    def _layout_key(self, width: float) -> float:
        """Flow the key entries into lines; returns the strip's height."""
        self.key_boxes = []
        if not self.key:
            return 0.0
        metrics = QFontMetricsF(self._key_font)
        swatch = metrics.height() * 1.6
        spacing = metrics.height() * 1.2
        usable = max(1.0, width - 2 * max(self._base.left(), self._base.right()) - 16)
        x, y = 0.0, 0.0
        previous = ""
        for entry in self.key:
            w = swatch + metrics.height() * 0.35 + metrics.horizontalAdvance(entry.text)
            # treatments start their own line: data symbols and annotations stay apart
            first_treatment = entry.symbol == "treatment" and previous not in ("", "treatment")
            previous = entry.symbol
            if x > 0 and (x + w > usable or first_treatment):
                x, y = 0.0, y + metrics.height() * 1.35
            self.key_boxes.append((QRectF(x, y, w, metrics.height()), entry))
            x += w + spacing
        lines = y / (metrics.height() * 1.35) + 1
        return lines * metrics.height() * 1.35 + metrics.height() * 0.6

    def _place_key(self, plot: QRectF) -> None:
        """Centre each key line under the chart, inside the bottom margin."""
        if not self.key_boxes:
            return
        metrics = QFontMetricsF(self._key_font)
        chart_rect = self._chart.rect()
        strip_top = chart_rect.bottom() - self._chart.margins().bottom() + self._base.bottom()
        strip_top += metrics.height() * 0.3
        by_line: dict[float, list[int]] = {}
        for index, (box, _) in enumerate(self.key_boxes):
            by_line.setdefault(box.top(), []).append(index)
        for indices in by_line.values():
            first, last = self.key_boxes[indices[0]][0], self.key_boxes[indices[-1]][0]
            shift = chart_rect.left() + (chart_rect.width() - (last.right() - first.left())) / 2
            for i in indices:
                box, entry = self.key_boxes[i]
                self.key_boxes[i] = (box.translated(shift, strip_top), entry)
        del plot

    # -- painting -------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return self._chart.rect()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        plot = self._chart.plotArea()
        self._paint_labels(painter, plot)
        self._paint_key(painter)
        if self.empty_message:
            painter.setFont(self._key_font)
            painter.setPen(self._text_colour)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.empty_message)
        painter.restore()

    def _paint_labels(self, painter: QPainter, plot: QRectF) -> None:
        painter.setFont(self._label_font)
        for box, label, x in self.label_boxes:
            colour = QColor(label.colour)
            connector = QColor(colour)
            connector.setAlphaF(0.7)
            painter.setPen(QPen(connector, 1.0, Qt.PenStyle.SolidLine))
            painter.drawLine(QPointF(x, box.bottom()), QPointF(x, plot.top()))
            painter.drawLine(QPointF(x, box.top()), QPointF(x, box.bottom()))
            painter.setPen(colour)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label.text)

    def _paint_key(self, painter: QPainter) -> None:
        painter.setFont(self._key_font)
        metrics = QFontMetricsF(self._key_font)
        swatch = metrics.height() * 1.6
        for box, entry in self.key_boxes:
            area = QRectF(box.left(), box.top(), swatch, box.height())
            _paint_swatch(painter, entry, area)
            painter.setPen(self._text_colour)
            text = QRectF(box.left() + swatch + metrics.height() * 0.35, box.top(),
                          box.width(), box.height())
            painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             entry.text)


def _paint_swatch(painter: QPainter, entry: KeyEntry, area: QRectF) -> None:
    colour = QColor(entry.colour)
    mid = area.center()
    radius = area.height() * 0.26
    if entry.symbol == "view":
        painter.setPen(QPen(colour, 2.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(QPointF(area.left(), mid.y()), QPointF(area.right(), mid.y()))
        painter.setPen(QPen(QColor("white"), 1.2))
        painter.setBrush(colour)
        painter.drawEllipse(mid, radius, radius)
    elif entry.symbol in ("significant", "not-significant"):
        filled = entry.symbol == "significant"
        painter.setPen(QPen(colour, 1.6))
        painter.setBrush(colour if filled else QColor("white"))
        painter.drawEllipse(mid, radius, radius)
    elif entry.symbol == "baseline-point":
        path = QPainterPath()
        r = radius * 1.25
        path.moveTo(mid.x(), mid.y() - r)
        path.lineTo(mid.x() + r, mid.y())
        path.lineTo(mid.x(), mid.y() + r)
        path.lineTo(mid.x() - r, mid.y())
        path.closeSubpath()
        painter.setPen(QPen(colour, 1.0))
        painter.setBrush(colour)
        painter.drawPath(path)
    elif entry.symbol == "band":
        fill = QColor(colour)
        fill.setAlphaF(0.22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(fill))
        painter.drawRect(QRectF(area.left(), mid.y() - radius * 1.3, area.width(), radius * 2.6))
        painter.setPen(QPen(colour, 1.6))
        painter.drawLine(QPointF(area.left(), mid.y()), QPointF(area.right(), mid.y()))
    elif entry.symbol == "baseline-line":
        pen = QPen(colour, 1.4, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(QPointF(area.left(), mid.y()), QPointF(area.right(), mid.y()))
    elif entry.symbol == "treatment":
        painter.setPen(QPen(colour, 1.2, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(mid.x(), area.top()), QPointF(mid.x(), area.bottom()))

"""Axes, ranges and the look of the progress chart on screen and on paper.

X values are milliseconds since the epoch (the QDateTimeAxis convention). The
visible month ticks are a QCategoryAxis over the same range, because a
QDateTimeAxis can only space its ticks evenly, which lands them on arbitrary
days of the month.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from PySide6.QtCharts import QCategoryAxis, QValueAxis
from PySide6.QtCore import QDate, QDateTime, QMarginsF, QTime
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QPen

from hairtrack.core.domain import TreatmentEvent
from hairtrack.core.services.progress_series import ViewSeries

DAY_MS = 86_400_000


class ChartStyle:
    """Screen and paper differ: paper gets fixed pixel fonts, thicker lines, no animation."""

    def __init__(self, for_print: bool) -> None:
        self.for_print = for_print
        base = QFont(QGuiApplication.font())
        if for_print:
            self.axis_font = _font(base, pixels=15)
            self.title_font = _font(base, pixels=15)
            self.label_font = _font(base, pixels=14, bold=True)
            self.key_font = _font(base, pixels=14)
        else:
            size = base.pointSizeF() if base.pointSizeF() > 0 else 9.0
            self.axis_font = _font(base, points=size)
            self.title_font = _font(base, points=size)
            self.label_font = _font(base, points=size - 0.5, bold=True)
            self.key_font = _font(base, points=size)
        self.text = "#222222" if for_print else "#3C4650"
        self.grid = "#D9D9D9" if for_print else "#E4E8EC"
        self.axis_line = "#8C8C8C" if for_print else "#B8C0C8"
        self.line_width = 2.6 if for_print else 2.2
        self.baseline_width = 1.5 if for_print else 1.3
        self.marker_size = 11.0 if for_print else 10.0
        self.band_alpha = 0.16 if for_print else 0.13
        self.margins = QMarginsF(6, 8, 14, 4) if for_print else QMarginsF(6, 10, 14, 6)


def _font(base: QFont, *, pixels: int | None = None, points: float | None = None,
          bold: bool = False) -> QFont:
    font = QFont(base)
    if pixels is not None:
        font.setPixelSize(pixels)
    elif points is not None:
        font.setPointSizeF(points)
    font.setBold(bold)
    # ligatures ("fi" as one glyph) break searching and copying "significant" in PDFs
    font.setFeature(QFont.Tag("liga"), 0)
    return font


def ms(moment: datetime) -> float:
    return moment.timestamp() * 1000.0


def date_ms(day: date) -> float:
    """A calendar date sits at local noon: the middle of that day on the axis."""
    return float(QDateTime(QDate(day.year, day.month, day.day), QTime(12, 0))
                 .toMSecsSinceEpoch())


def _qdate_ms(day: QDate) -> float:
    return float(QDateTime(day, QTime(0, 0)).toMSecsSinceEpoch())


def x_range(shown: Sequence[ViewSeries], treatments: Sequence[TreatmentEvent],
             date_range: tuple[date, date] | None) -> tuple[float, float]:
    if date_range is not None:
        start = datetime.combine(date_range[0], time(0, 0)).astimezone()
        end = datetime.combine(date_range[1], time(23, 59)).astimezone()
        return ms(start), max(ms(end), ms(start) + DAY_MS)
    values = [ms(p.visited_at) for s in shown for p in s.points]
    values += [date_ms(t.date) for t in treatments]
    if not values:
        today = datetime.now().astimezone()
        return ms(today - timedelta(days=30)), ms(today + timedelta(days=30))
    lo, hi = min(values), max(values)
    pad = max(10 * DAY_MS, (hi - lo) * 0.03)
    return lo - pad, hi + pad


def y_range(shown: Sequence[ViewSeries]) -> tuple[float, float, float]:
    """Zoom to the data with a margin, on round numbers, never outside 0-100 %."""
    values = [v for s in shown for p in s.points
              for v in ((p.coverage - p.uncertainty) * 100, (p.coverage + p.uncertainty) * 100)]
    if not values:
        return 0.0, 100.0, 20.0
    lo, hi = min(values), max(values)
    span = max(hi - lo, 12.0)
    pad = max(3.0, span * 0.08)
    lo, hi = lo - pad, hi + pad
    step = 5.0 if hi - lo <= 35 else 10.0 if hi - lo <= 70 else 20.0
    lo = max(0.0, math.floor(lo / step) * step)
    hi = min(100.0, math.ceil(hi / step) * step)
    return lo, hi, step


def value_axis(lo: float, hi: float, step: float, style: ChartStyle) -> QValueAxis:
    axis = QValueAxis()
    axis.setRange(lo, hi)
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0.0)
    axis.setTickInterval(step)
    axis.setLabelFormat("%d%%")
    axis.setTitleText("Hair coverage in region" if style.for_print else "Hair coverage")
    _style_axis(axis, style)
    return axis


#: Month steps between x labels; the smallest whose labels do not collide is used.
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60)


def month_axis(lo: float, hi: float, style: ChartStyle) -> QCategoryAxis:
    axis = QCategoryAxis()
    axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    axis.setRange(lo, hi)
    axis.setStartValue(lo)
    set_month_ticks(axis, lo, hi, month_step(lo, hi, None, 0.0))
    _style_axis(axis, style)
    return axis


def month_step(lo: float, hi: float, plot_width: float | None, label_width: float) -> int:
    """Months between labels: about nine labels before layout, then as many as fit."""
    span = max((hi - lo) / (30.44 * DAY_MS), 1e-6)
    if not plot_width or plot_width < 100:  # not laid out yet
        return next((s for s in MONTH_STEPS if span / s <= 9), MONTH_STEPS[-1])
    per_month = plot_width / span
    return next((s for s in MONTH_STEPS if s * per_month >= label_width * 1.3), MONTH_STEPS[-1])


def set_month_ticks(axis: QCategoryAxis, lo: float, hi: float, step: int) -> None:
    """Label the first day of every `step`-th month (Jan, Apr, Jul, Oct for 3, ...)."""
    for label in axis.categoriesLabels():
        axis.remove(label)
    axis.setProperty("hairtrack_month_step", step)
    first = QDateTime.fromMSecsSinceEpoch(round(lo)).date()
    day = QDate(first.year(), first.month(), 1)
    while _qdate_ms(day) < lo or (day.year() * 12 + day.month() - 1) % step:
        day = day.addMonths(1)
    used: set[str] = set()
    while _qdate_ms(day) <= hi:
        # the year only where it changes, as a printed calendar does
        text = day.toString("MMM yyyy" if not used or day.month() == 1 else "MMM")
        if text in used:  # category labels must be unique
            text = day.toString("MMM yyyy")
        used.add(text)
        axis.append(text, _qdate_ms(day))
        day = day.addMonths(step)


def _style_axis(axis: QValueAxis, style: ChartStyle) -> None:
    axis.setLabelsFont(style.axis_font)
    axis.setLabelsColor(QColor(style.text))
    axis.setTitleFont(style.title_font)
    axis.setTitleBrush(QBrush(QColor(style.text)))
    axis.setGridLinePen(QPen(QColor(style.grid), 1.0))
    axis.setLinePen(QPen(QColor(style.axis_line), 1.0))
    axis.setMinorGridLineVisible(False)

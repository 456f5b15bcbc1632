"""The progress chart: hair coverage per view over time, with its uncertainty.

A pure builder, used by the progress view on screen and by the PDF report on
paper. Each view gets a line through its visits, a band of its expanded (95 %)
uncertainty, and a dashed line at its baseline level; a filled point marks a
change beyond the uncertainty, a hollow one a change that is not significant,
a diamond the baseline. Treatments are thin vertical markers with short,
staggered labels ("Exo 3", "MN 2"), coloured by type.

Everything the screen and paper versions share comes from here; axes, ranges
and the two looks are in `chart_axes`, the treatment labels and the key (which
QtCharts cannot draw) in `chart_overlay`, colours and wording in `chart_style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCharts import (
    QAbstractSeries,
    QAreaSeries,
    QCategoryAxis,
    QChart,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
)
from PySide6.QtCore import QDateTime, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene

from hairtrack.core.domain import TreatmentEvent, View
from hairtrack.core.services.progress_series import ProgressSeries, SeriesPoint, ViewSeries
from hairtrack.ui.chart_axes import (
    DAY_MS,
    ChartStyle,
    date_ms,
    month_axis,
    month_step,
    ms,
    set_month_ticks,
    value_axis,
    x_range,
    y_range,
)
from hairtrack.ui.chart_overlay import ChartOverlay, KeyEntry, MarkerLabel
from hairtrack.ui.chart_style import (
    TREATMENT_COLOURS,
    VIEW_COLOURS,
    treatment_abbreviation,
    treatment_colour,
    treatment_labels,
    view_colour,
)
from hairtrack.ui.chart_style import tooltip_text as _tooltip_text

__all__ = ["PRINT_SIZE", "TREATMENT_COLOURS", "VIEW_COLOURS", "ProgressChart",
           "build_progress_chart", "chart_image", "render_chart"]

#: The scene size print mode is designed for (fonts and line widths are in these units);
#: render_chart() scales it to the target rectangle, e.g. the width of an A4 text block.
PRINT_SIZE = QSizeF(1000.0, 480.0)

ROLE = "hairtrack_role"
VIEW = "hairtrack_view"
POINT_ROLES = ("point-baseline", "point-significant", "point-not-significant")


class ProgressChart(QChart):
    """A QChart that remembers which visit each drawn point stands for."""

    def __init__(self, series: ProgressSeries, *, for_print: bool) -> None:
        super().__init__()
        self.progress = series
        self.for_print = for_print
        self.labels = treatment_labels(series.treatments)
        self.shown_views: tuple[View, ...] = ()
        self.treatment_events: tuple[TreatmentEvent, ...] = ()
        self.overlay: ChartOverlay | None = None
        self.month_axis: QCategoryAxis | None = None
        self.x_span = (0.0, 1.0)  # the x range in ms, for re-ticking
        self._fitting = False

    def fit_month_ticks(self) -> None:
        """Use the densest month labels that fit the plot's width without colliding."""
        axis = self.month_axis
        if axis is None or self._fitting:
            return
        width = QFontMetricsF(axis.labelsFont()).horizontalAdvance("May 2026")
        lo, hi = self.x_span
        step = month_step(lo, hi, self.plotArea().width(), width)
        if step != axis.property("hairtrack_month_step"):
            self._fitting = True
            try:
                set_month_ticks(axis, lo, hi, step)
            finally:
                self._fitting = False

    def series_with_role(self, role: str, view: View | None = None) -> list[QAbstractSeries]:
        """Series drawn for `role` (band, treatment, baseline, line, point-...)."""
        return [s for s in self.series() if s.property(ROLE) == role
                and (view is None or s.property(VIEW) == view.value)]

    def point_series(self) -> list[QScatterSeries]:
        """The clickable markers (one series per view and style)."""
        return [s for s in self.series()
                if isinstance(s, QScatterSeries) and s.property(ROLE) in POINT_ROLES]

    def point_at(self, view: View, position: QPointF) -> SeriesPoint | None:
        """The visit drawn nearest to `position` (chart values), within half a day."""
        vs = self.progress.view(view)
        if vs is None or not vs.points:
            return None
        best = min(vs.points, key=lambda p: abs(ms(p.visited_at) - position.x()))
        return best if abs(ms(best.visited_at) - position.x()) <= DAY_MS / 2 else None

    def tooltip_at(self, view: View, position: QPointF) -> str | None:
        point = self.point_at(view, position)
        return None if point is None else _tooltip_text(view, point, self.labels)


def build_progress_chart(series: ProgressSeries, *, views: Sequence[View] | None = None,
                         for_print: bool = False,
                         date_range: tuple[date, date] | None = None) -> QChart:
    """Coverage per view over time; `views` limits and orders what is drawn."""
    chart = ProgressChart(series, for_print=for_print)
    style = ChartStyle(for_print)
    wanted = list(views) if views is not None else [s.view for s in series.views]
    shown = [s for v in wanted if (s := series.view(v)) is not None and s.points]
    chart.shown_views = tuple(s.view for s in shown)
    x_lo, x_hi = x_range(shown, series.treatments, date_range)
    events = tuple(t for t in series.treatments if x_lo <= date_ms(t.date) <= x_hi)
    chart.treatment_events = events
    y_lo, y_hi, y_step = y_range(shown)

    x_axis = QDateTimeAxis()
    x_axis.setRange(QDateTime.fromMSecsSinceEpoch(round(x_lo)),
                    QDateTime.fromMSecsSinceEpoch(round(x_hi)))
    x_axis.setVisible(False)
    months = month_axis(x_lo, x_hi, style)
    chart.month_axis = months
    chart.x_span = (x_lo, x_hi)
    y_axis = value_axis(y_lo, y_hi, y_step, style)
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(months, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)

    def add(s: QAbstractSeries, role: str, view: View | None = None) -> None:
        s.setProperty(ROLE, role)
        if view is not None:
            s.setProperty(VIEW, view.value)
        chart.addSeries(s)
        for axis in (x_axis, months, y_axis):
            s.attachAxis(axis)

    for vs in shown:  # bands first, so every line is drawn over every band
        add(_band(vs, style), "band", vs.view)
    for event in events:
        add(_treatment_line(event, y_lo, y_hi, style), "treatment")
    for vs in shown:
        if (base := vs.baseline) is not None:
            add(_baseline_line(vs.view, base, x_lo, x_hi, style), "baseline", vs.view)
    for vs in shown:
        add(_view_line(vs, style), "line", vs.view)
    for vs in shown:
        for role, scatter in _markers(vs, style):
            add(scatter, role, vs.view)

    _style_chart(chart, style)
    chart.plotAreaChanged.connect(chart.fit_month_ticks)  # before the overlay lays out

    def to_x(value: float) -> float:
        return chart.mapToPosition(QPointF(value, y_lo), chart.series()[0]).x()

    chart.overlay = ChartOverlay(
        chart, to_x,
        labels=[MarkerLabel(date_ms(t.date), chart.labels[t.id], treatment_colour(t.type_code))
                for t in events],
        key=_key_entries(shown, events), label_font=style.label_font,
        key_font=style.key_font, text_colour=style.text, base_margins=style.margins,
        empty_message="" if shown else "No coverage measurements to show yet")
    if not chart.series():  # axes need a series to be drawn at all
        anchor = QLineSeries()
        anchor.append(x_lo, y_lo)
        anchor.setPen(QPen(Qt.PenStyle.NoPen))
        add(anchor, "anchor")
    chart.overlay.relayout()
    return chart


def render_chart(chart: QChart, painter: QPainter, target: QRectF,
                 scene_width: float = PRINT_SIZE.width()) -> None:
    """Paint `chart` into `target` (a PDF page, an image) at the width print mode expects.

    A chart shown in no view has no size; it is laid out at `scene_width` scene units and
    the target's aspect ratio, then scaled, so text and lines keep their designed
    proportions at any resolution.
    """
    size = QSizeF(scene_width, scene_width * target.height() / max(target.width(), 1.0))
    scene = chart.scene()
    owned = scene is None
    if owned:
        scene = QGraphicsScene()
        scene.addItem(chart)
    chart.setPos(0, 0)
    chart.resize(size)
    layout = chart.layout()
    if layout is not None:
        layout.activate()
    overlay = getattr(chart, "overlay", None)
    if isinstance(overlay, ChartOverlay):
        overlay.relayout()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, target, QRectF(0, 0, size.width(), size.height()))
    painter.restore()
    if owned:
        scene.removeItem(chart)


def chart_image(chart: QChart, width: int, height: int, *, scale: float = 2.0) -> QImage:
    """The chart as an image of width x height scene units at `scale` pixels per unit."""
    image = QImage(round(width * scale), round(height * scale), QImage.Format.Format_ARGB32)
    image.setDotsPerMeterX(round(96 / 0.0254 * scale))
    image.setDotsPerMeterY(round(96 / 0.0254 * scale))
    image.fill(QColor("white"))
    painter = QPainter(image)
    render_chart(chart, painter, QRectF(0, 0, image.width(), image.height()), float(width))
    painter.end()
    return image


def _band(vs: ViewSeries, style: ChartStyle) -> QAreaSeries:
    upper, lower = QLineSeries(), QLineSeries()
    for p in vs.points:
        upper.append(ms(p.visited_at), min(100.0, (p.coverage + p.uncertainty) * 100))
        lower.append(ms(p.visited_at), max(0.0, (p.coverage - p.uncertainty) * 100))
    band = QAreaSeries(upper, lower)
    upper.setParent(band)  # QAreaSeries does not own its edges; Python would free them
    lower.setParent(band)
    band.setName(f"{vs.view.label} uncertainty")
    fill = QColor(view_colour(vs.view))
    fill.setAlphaF(style.band_alpha)
    band.setBrush(QBrush(fill))
    band.setPen(QPen(Qt.PenStyle.NoPen))
    return band


def _treatment_line(event: TreatmentEvent, lo: float, hi: float,
                    style: ChartStyle) -> QLineSeries:
    line = QLineSeries()
    x = date_ms(event.date)
    line.append(x, lo)
    line.append(x, hi)
    line.setName(event.type_label)
    colour = QColor(treatment_colour(event.type_code))
    colour.setAlphaF(0.75 if style.for_print else 0.6)
    pen = QPen(colour, 1.2 if style.for_print else 1.0)
    pen.setDashPattern([4.0, 3.0])
    line.setPen(pen)
    return line


def _baseline_line(view: View, base: SeriesPoint, lo: float, hi: float,
                   style: ChartStyle) -> QLineSeries:
    line = QLineSeries()
    line.append(lo, base.coverage * 100)
    line.append(hi, base.coverage * 100)
    line.setName(f"{view.label} baseline")
    colour = QColor(view_colour(view))
    colour.setAlphaF(0.85)
    pen = QPen(colour, style.baseline_width)
    pen.setDashPattern([6.0, 4.0])
    line.setPen(pen)
    return line


def _view_line(vs: ViewSeries, style: ChartStyle) -> QLineSeries:
    line = QLineSeries()
    for p in vs.points:
        line.append(ms(p.visited_at), p.coverage * 100)
    line.setName(vs.view.label)
    line.setPen(QPen(QColor(view_colour(vs.view)), style.line_width, Qt.PenStyle.SolidLine,
                     Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    return line


def _markers(vs: ViewSeries, style: ChartStyle) -> list[tuple[str, QScatterSeries]]:
    colour = QColor(view_colour(vs.view))
    groups: dict[str, list[SeriesPoint]] = {role: [] for role in POINT_ROLES}
    for p in vs.points:
        role = ("point-baseline" if p.is_baseline else
                "point-significant" if p.significant else "point-not-significant")
        groups[role].append(p)
    out = []
    for role, points in groups.items():
        if not points:
            continue
        scatter = QScatterSeries()
        scatter.setName(vs.view.label)
        for p in points:
            scatter.append(ms(p.visited_at), p.coverage * 100)
        if role == "point-baseline":
            scatter.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeRotatedRectangle)
            scatter.setMarkerSize(style.marker_size * 1.15)
            scatter.setBrush(QBrush(colour))
            scatter.setPen(QPen(QColor("white"), 1.2))
        elif role == "point-significant":
            scatter.setMarkerSize(style.marker_size)
            scatter.setBrush(QBrush(colour))
            scatter.setPen(QPen(QColor("white"), 1.2))
        else:  # hollow: the change is within what the method cannot tell apart
            scatter.setMarkerSize(style.marker_size)
            scatter.setBrush(QBrush(QColor("white")))
            scatter.setPen(QPen(colour, 2.0))
        out.append((role, scatter))
    return out


def _key_entries(shown: Sequence[ViewSeries],
                 events: Sequence[TreatmentEvent]) -> list[KeyEntry]:
    neutral = "#5A6470"
    entries = [KeyEntry("view", view_colour(s.view), s.view.label) for s in shown]
    if shown:
        entries += [KeyEntry("baseline-point", neutral, "Baseline"),
                    KeyEntry("baseline-line", neutral, "Baseline level"),
                    KeyEntry("significant", neutral, "Change beyond uncertainty"),
                    KeyEntry("not-significant", neutral, "Not significant"),
                    KeyEntry("band", neutral, "95% uncertainty")]
    seen: set[str] = set()
    for event in sorted(events, key=lambda t: (t.date, t.id)):
        if event.type_code in seen:
            continue
        seen.add(event.type_code)
        short = treatment_abbreviation(event.type_code, event.type_label)
        text = event.type_label if short == event.type_label else f"{short}: {event.type_label}"
        entries.append(KeyEntry("treatment", treatment_colour(event.type_code), text))
    return entries


def _style_chart(chart: QChart, style: ChartStyle) -> None:
    chart.legend().hide()  # the overlay's key explains symbols the legend cannot
    chart.setBackgroundRoundness(0)
    chart.setDropShadowEnabled(False)
    chart.setBackgroundBrush(QBrush(QColor("white")))
    chart.setBackgroundPen(QPen(Qt.PenStyle.NoPen))
    chart.setPlotAreaBackgroundVisible(False)
    chart.setMargins(style.margins.toMargins())
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation if style.for_print
                              else QChart.AnimationOption.SeriesAnimations)
    chart.setAnimationDuration(450)

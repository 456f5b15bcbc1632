"""The progress chart builder: what it draws must be the series' numbers, nothing else.

Series are built by hand (ProgressSeries is plain frozen data) so every value
the chart shows can be compared with the value it came from.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from PySide6.QtCharts import QAreaSeries, QCategoryAxis, QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QPageSize, QPainter, QPdfWriter

from hairtrack.core.domain import Patient, Sex, TreatmentEvent, View
from hairtrack.core.services.progress_series import ProgressSeries, SeriesPoint, ViewSeries
from hairtrack.ui.chart_overlay import stack_labels
from hairtrack.ui.chart_style import VIEW_COLOURS, tooltip_text, treatment_labels
from hairtrack.ui.charts import (
    ProgressChart,
    build_progress_chart,
    chart_image,
    render_chart,
)

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


def event(event_id: int, days: int, code: str, label: str) -> TreatmentEvent:
    return TreatmentEvent(event_id, 1, (T0 + timedelta(days=days)).date(), code, label)


TREATMENTS = (
    event(1, 0, "exosome-injection", "Exosome injection"),
    event(2, 0, "minoxidil", "Minoxidil"),
    event(3, 15, "exosome-microneedling", "Exosome microneedling"),
    event(4, 30, "exosome-injection", "Exosome injection"),
    event(5, 45, "exosome-microneedling", "Exosome microneedling"),
    event(6, 91, "exosome-injection", "Exosome injection"),
)


def point(visit: int, days: int, coverage: float, *, base: float | None, photos: tuple[int, ...],
          significant: bool | None, uncertainty: float = 0.02,
          since: TreatmentEvent | None = None, since_pp: float | None = None) -> SeriesPoint:
    is_base = base is None
    change = None if is_base else (coverage - base) * 100  # type: ignore[operator]
    relative = None if is_base else (coverage - base) / base  # type: ignore[operator]
    return SeriesPoint(visit, T0 + timedelta(days=days), photos, coverage, uncertainty,
                       "method", 1.0, is_base, change, relative, significant, since, since_pp)


def make_series(treatments: tuple[TreatmentEvent, ...] = TREATMENTS) -> ProgressSeries:
    vertex = ViewSeries(View.VERTEX, 11, (
        point(1, 0, 0.30, base=None, photos=(11,), significant=None),
        point(2, 30, 0.31, base=0.30, photos=(21, 22), significant=False,
              since=TREATMENTS[2], since_pp=1.0),
        point(3, 91, 0.42, base=0.30, photos=(31,), significant=True, uncertainty=0.03,
              since=TREATMENTS[4], since_pp=11.0),
        point(4, 183, 0.55, base=0.30, photos=(41,), significant=True,
              since=TREATMENTS[5], since_pp=13.0),
    ), (), True)
    frontal = ViewSeries(View.FRONTAL, 12, (
        point(1, 0, 0.50, base=None, photos=(12,), significant=None),
        point(2, 30, 0.505, base=0.50, photos=(23,), significant=False),
        point(4, 183, 0.58, base=0.50, photos=(42,), significant=True),
    ), ((50, "not analysed yet"),), False)
    patient = Patient(1, "P-1", "Test Patient", date(1980, 1, 1), Sex.MALE, "", NOW, NOW)
    return ProgressSeries(patient, (vertex, frontal), treatments)


@pytest.fixture
def series() -> ProgressSeries:
    return make_series()


def build(series: ProgressSeries, **kwargs: object) -> ProgressChart:
    chart = build_progress_chart(series, **kwargs)  # type: ignore[arg-type]
    assert isinstance(chart, ProgressChart)
    return chart


def xy(s: QLineSeries) -> list[float]:
    """x0, y0, x1, y1, ... (pytest.approx compares flat sequences only)."""
    return [v for p in s.points() for v in (p.x(), p.y())]


def expected(points: list[SeriesPoint] | tuple[SeriesPoint, ...]) -> list[float]:
    return [v for p in points for v in (ms(p.visited_at), p.coverage * 100)]


def ms(moment: datetime) -> float:
    return moment.timestamp() * 1000


def test_one_line_per_view_through_the_coverage_in_percent(qapp, series) -> None:
    chart = build(series)
    for vs in series.views:
        (line,) = chart.series_with_role("line", vs.view)
        assert len(line.points()) == len(vs.points)
        assert xy(line) == pytest.approx(expected(vs.points))
        assert line.pen().color() == QColor(VIEW_COLOURS[vs.view])


def test_band_spans_the_expanded_uncertainty(qapp, series) -> None:
    chart = build(series)
    (band,) = chart.series_with_role("band", View.VERTEX)
    assert isinstance(band, QAreaSeries)
    vertex = series.views[0]
    assert [p.y() for p in band.upperSeries().points()] == pytest.approx(
        [(p.coverage + p.uncertainty) * 100 for p in vertex.points])
    assert [p.y() for p in band.lowerSeries().points()] == pytest.approx(
        [(p.coverage - p.uncertainty) * 100 for p in vertex.points])
    assert band.brush().color().alphaF() < 0.3  # a tint behind the lines, never a wall


def test_a_dashed_baseline_per_view_and_a_marker_per_treatment(qapp, series) -> None:
    chart = build(series)
    baselines = chart.series_with_role("baseline")
    assert len(baselines) == 2
    for line in baselines:
        view = View(line.property("hairtrack_view"))
        level = series.view(view).baseline.coverage * 100
        assert [p.y() for p in line.points()] == pytest.approx([level, level])
        assert line.pen().style() == Qt.PenStyle.CustomDashLine
    markers = chart.series_with_role("treatment")
    assert len(markers) == len(TREATMENTS)
    assert sorted(m.points()[0].x() for m in markers) == sorted(
        _date_ms(t.date) for t in TREATMENTS)
    for m in markers:  # vertical: one x, the full y range
        first, last = m.points()
        assert first.x() == last.x() and first.y() < last.y()


def _date_ms(day: date) -> float:
    from hairtrack.ui.chart_axes import date_ms
    return date_ms(day)


def test_not_significant_points_are_hollow(qapp, series) -> None:
    chart = build(series)
    colour = QColor(VIEW_COLOURS[View.VERTEX])
    (filled,) = chart.series_with_role("point-significant", View.VERTEX)
    (hollow,) = chart.series_with_role("point-not-significant", View.VERTEX)
    (base,) = chart.series_with_role("point-baseline", View.VERTEX)
    vertex = series.views[0]
    assert xy(filled) == pytest.approx(expected([p for p in vertex.points if p.significant]))
    assert xy(hollow) == pytest.approx(
        expected([p for p in vertex.points if p.significant is False]))
    assert len(base.points()) == 1
    assert filled.brush().color() == colour
    assert hollow.brush().color() == QColor("white") and hollow.pen().color() == colour
    assert base.markerShape() != filled.markerShape()


def test_views_limits_what_is_drawn(qapp, series) -> None:
    chart = build(series, views=[View.FRONTAL])
    assert chart.shown_views == (View.FRONTAL,)
    assert chart.series_with_role("line", View.VERTEX) == []
    assert len(chart.series_with_role("line")) == 1
    assert len(chart.series_with_role("baseline")) == 1
    key = [entry.text for entry in chart.overlay.key]
    assert "Frontal" in key and "Vertex / crown" not in key


def test_axes_percent_and_dates_spanning_visits_and_treatments(qapp, series) -> None:
    chart = build(series)
    (y_axis,) = [a for a in chart.axes(Qt.Orientation.Vertical)]
    assert isinstance(y_axis, QValueAxis)
    assert y_axis.labelFormat() == "%d%%"
    low = min((p.coverage - p.uncertainty) * 100 for s in series.views for p in s.points)
    high = max((p.coverage + p.uncertainty) * 100 for s in series.views for p in s.points)
    assert 0 <= y_axis.min() < low - 2 and high + 2 < y_axis.max() <= 100
    assert y_axis.max() - y_axis.min() <= 60  # zoomed to the data, not 0-100
    dates = [a for a in chart.axes(Qt.Orientation.Horizontal) if isinstance(a, QDateTimeAxis)]
    (x_axis,) = dates
    first = min(ms(T0), _date_ms(TREATMENTS[0].date))
    last = ms(series.views[0].points[-1].visited_at)
    assert x_axis.min().toMSecsSinceEpoch() < first and x_axis.max().toMSecsSinceEpoch() > last
    (months,) = [a for a in chart.axes(Qt.Orientation.Horizontal)
                 if isinstance(a, QCategoryAxis)]
    labels = months.categoriesLabels()
    # monthly ticks for a six-month course; the year only where it changes
    assert labels[:4] == ["Nov 2025", "Dec", "Jan 2026", "Feb"] and "May" in labels


def test_date_range_overrides_the_span(qapp, series) -> None:
    chart = build(series, date_range=(date(2025, 10, 1), date(2026, 1, 31)))
    (x_axis,) = [a for a in chart.axes(Qt.Orientation.Horizontal)
                 if isinstance(a, QDateTimeAxis)]
    assert x_axis.min().date().toPython() == date(2025, 10, 1)
    assert x_axis.max().date().toPython() == date(2026, 1, 31)
    # the treatment after the range is left out
    assert len(chart.series_with_role("treatment")) == len(TREATMENTS) - 1


def test_treatment_labels_are_short_and_numbered_per_type() -> None:
    labels = treatment_labels(TREATMENTS)
    assert [labels[t.id] for t in TREATMENTS] == ["Exo 1", "Min", "MN 1", "Exo 2", "MN 2",
                                                   "Exo 3"]
    custom = TreatmentEvent(9, 1, date(2026, 1, 1), "custom-9", "Dutasteride mesotherapy")
    assert treatment_labels([custom]) == {9: "DM"}


def test_stacked_labels_never_overlap() -> None:
    anchors = [0, 0, 25, 50, 75, 100, 200]
    widths = [40] * len(anchors)
    placed = stack_labels(anchors, widths, 0, 300, gap=4, max_rows=3)
    assert placed is not None
    boxes = [(start, start + w, row) for (start, row), w in zip(placed, widths, strict=True)]
    for i, (a0, a1, ra) in enumerate(boxes):
        for b0, b1, rb in boxes[i + 1:]:
            assert ra != rb or a1 + 4 <= b0 or b1 + 4 <= a0
    assert max(row for _, row in placed) == 2
    assert stack_labels(anchors, widths, 0, 300, gap=4, max_rows=2) is None
    # a label at the right edge flips to the left of its marker
    assert stack_labels([290], [40], 0, 300) == [(250, 0)]


def test_tooltip_says_date_coverage_and_changes(qapp, series) -> None:
    vertex = series.views[0]
    labels = treatment_labels(series.treatments)
    text = tooltip_text(View.VERTEX, vertex.points[2], labels)
    assert text.splitlines()[0] == "Vertex / crown \u2014 2 Feb 2026"
    assert "Coverage: 42.0% \u00b1 3.0 pp" in text
    assert "Change since baseline: +12.0 pp (+40%), beyond measurement uncertainty" in text
    assert "Since MN 2 (Exosome microneedling, 18 Dec 2025): +11.0 pp" in text
    hollow = tooltip_text(View.VERTEX, vertex.points[1], labels)
    assert "+1.0 pp" in hollow and "not significant" in hollow and "2 photos" in hollow
    assert "Baseline" in tooltip_text(View.VERTEX, vertex.points[0], labels)
    chart = build(series)
    at = QPointF(ms(vertex.points[2].visited_at), 42.0)
    assert chart.tooltip_at(View.VERTEX, at) == text
    assert chart.point_at(View.VERTEX, at) == vertex.points[2]
    assert chart.point_at(View.VERTEX, QPointF(ms(T0 + timedelta(days=60)), 40)) is None


def test_labels_are_placed_without_overlap_above_their_markers(qapp, series) -> None:
    chart = build(series, for_print=True)
    chart_image(chart, 1000, 480, scale=1.0)
    overlay = chart.overlay
    assert overlay is not None
    texts = sorted(label.text for _, label, _ in overlay.label_boxes)
    assert texts == sorted(["Exo 1", "Min", "MN 1", "Exo 2", "MN 2", "Exo 3"])
    plot = chart.plotArea()
    boxes = [box for box, _, _ in overlay.label_boxes]
    for i, a in enumerate(boxes):
        assert a.bottom() <= plot.top() and a.top() >= 0
        assert not any(a.intersects(b) for b in boxes[i + 1:])
    for box, label, x in overlay.label_boxes:
        assert chart.mapToPosition(QPointF(label.x_value, 50),
                                   chart.series()[0]).x() == pytest.approx(x)
        assert box.left() == pytest.approx(x) or box.right() == pytest.approx(x)


def _colour_pixels(image, colour: str, tolerance: int = 40) -> int:
    target = QColor(colour)
    count = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if (abs(c.red() - target.red()) + abs(c.green() - target.green())
                    + abs(c.blue() - target.blue())) < tolerance:
                count += 1
    return count


def test_print_mode_renders_full_size_without_animation(qapp, series) -> None:
    chart = build(series, for_print=True)
    assert chart.animationOptions() == chart.AnimationOption.NoAnimation
    assert build(series).animationOptions() != chart.AnimationOption.NoAnimation
    image = chart_image(chart, 1000, 480, scale=0.8)
    assert (image.width(), image.height()) == (800, 384)
    assert chart.size() == QSizeF(1000, 480)
    # the lines reach across the picture: a tiny chart would leave most columns empty
    blue = [x for x in range(0, image.width(), 4)
            if any(_colour_pixels_at(image, x, y, VIEW_COLOURS[View.VERTEX])
                   for y in range(image.height()))]
    assert max(blue) - min(blue) > image.width() * 0.6


def _colour_pixels_at(image, x: int, y: int, colour: str) -> bool:
    c, t = image.pixelColor(x, y), QColor(colour)
    return abs(c.red() - t.red()) + abs(c.green() - t.green()) + abs(c.blue() - t.blue()) < 40


def test_pdf_keeps_labels_as_text(qapp, series) -> None:
    import pypdf  # a test dependency: its absence must fail, not skip
    buffer_path = io.BytesIO()
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    data = QByteArray()
    device = QBuffer(data)
    device.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(device)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setResolution(300)
    painter = QPainter(writer)
    width = writer.width()
    render_chart(build(series, for_print=True), painter, QRectF(0, 0, width, width * 0.48))
    painter.end()
    device.close()
    buffer_path.write(bytes(data))
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(buffer_path).pages)
    words = re.sub(r"\s+", " ", text)
    for expected in ("Exo 1", "MN 2", "Vertex / crown", "Frontal", "Hair coverage in region",
                     "Jan 2026", "40%"):
        assert expected in words


def test_empty_series_gives_an_explaining_chart(qapp, series) -> None:
    empty = ProgressSeries(series.patient, (), ())
    chart = build(empty, for_print=True)
    assert chart.overlay is not None and "No coverage" in chart.overlay.empty_message
    assert chart.series_with_role("line") == []
    image = chart_image(chart, 600, 300, scale=1.0)
    assert _colour_pixels(image, "#222222", tolerance=120) > 50  # axes and message are drawn


def test_month_labels_thin_out_on_a_narrow_chart(qapp, series) -> None:
    def month_labels(width: int) -> list[str]:
        chart = build(series, for_print=True)
        chart_image(chart, width, 400, scale=0.5)
        assert chart.month_axis is not None
        return chart.month_axis.categoriesLabels()

    wide, narrow = month_labels(1400), month_labels(420)
    assert wide[:3] == ["Nov 2025", "Dec", "Jan 2026"]
    assert 2 <= len(narrow) < len(wide)
    assert "Jan 2026" in narrow  # steps are anchored on January


def test_crowded_treatments_merge_into_legible_labels(qapp, series) -> None:
    weekly = tuple(event(100 + i, 60 + i, "prp", "PRP") for i in range(12))
    crowded = make_series(TREATMENTS + weekly)
    chart = build(crowded, for_print=True)
    chart_image(chart, 800, 400, scale=0.5)
    assert len(chart.series_with_role("treatment")) == len(TREATMENTS) + 12
    boxes = chart.overlay.label_boxes
    rows = {round(box.top()) for box, _, _ in boxes}
    assert len(rows) <= 3  # the band never grows past three rows
    for i, (a, _, _) in enumerate(boxes):
        assert not any(a.intersects(b) for b, _, _ in boxes[i + 1:])
    merged = [label.text for _, label, _ in boxes if "+" in label.text]
    assert merged and merged[0].startswith("PRP")
    # every marker is accounted for: alone or in a "+n" label
    counted = sum(1 + int(label.text.split("+")[1]) if "+" in label.text else 1
                  for _, label, _ in boxes)
    assert counted == len(TREATMENTS) + 12

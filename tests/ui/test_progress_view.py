"""The progress page: loads in the background, redraws on change, opens clicked photos.

Measurements are written straight into the library (no image work), so each
number on the page can be checked against the one that was stored.
"""

from __future__ import annotations

import shutil
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.progress import CancelToken, Progress, run_task
from hairtrack.core.services import records
from hairtrack.core.services.demo import create_demo_patient
from hairtrack.core.services.progress_series import progress_series
from hairtrack.core.storage.models import MeasurementRow, PhotoRow
from hairtrack.ui import progress_view
from hairtrack.ui.charts import ProgressChart
from hairtrack.ui.context import AppContext
from hairtrack.ui.progress_view import ProgressView
from hairtrack.ui.tasks import TaskRunner

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def add_photo(library: Library, visit_id: int, view: View, n: int, when: datetime) -> int:
    with library.session() as session:
        row = PhotoRow(visit_id=visit_id, view=view.value, captured_at=when,
                       capture_source="manual", sha256=f"{n:064x}", size_bytes=1, width=10,
                       height=10, media_type="image/jpeg", original_name=f"{n}.jpg")
        session.add(row)
        session.flush()
        return row.id


def measure(library: Library, photo_id: int, baseline_id: int, coverage: float | None,
            reason: str | None = None) -> None:
    with library.session() as session:
        session.add(MeasurementRow(photo_id=photo_id, baseline_photo_id=baseline_id,
                                   cache_key="k", aligned=coverage is not None,
                                   alignment_reason=reason, coverage=coverage,
                                   coverage_confidence=1.0, roi_automatic=True,
                                   warnings=[], algorithm_version="test"))


class Patient:
    """Two views over three visits; the day-90 vertex visit has two photos."""

    def __init__(self, library: Library) -> None:
        self.id = records.add_patient(library, "P-7", "Robin Example").id
        self.visits = [records.add_visit(library, self.id, T0 + timedelta(days=d)).id
                       for d in (0, 90, 180)]
        self.photos: dict[tuple[View, int], list[int]] = {}
        n = 0
        for view in (View.VERTEX, View.FRONTAL):
            for index, days in enumerate((0, 90, 180)):
                count = 2 if (view, index) == (View.VERTEX, 1) else 1
                for k in range(count):
                    n += 1
                    when = T0 + timedelta(days=days, minutes=k)
                    self.photos.setdefault((view, index), []).append(
                        add_photo(library, self.visits[index], view, n, when))

    def measure_all(self, library: Library) -> None:
        values = {View.VERTEX: (0.30, 0.36, 0.45), View.FRONTAL: (0.50, 0.505, 0.51)}
        for view, covers in values.items():
            base = self.photos[(view, 0)][0]
            for index, value in enumerate(covers):
                for pid in self.photos[(view, index)]:
                    measure(library, pid, base, value)


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner(synchronous=True)
    yield runner
    runner.shutdown()


@pytest.fixture
def context(library: Library, runner: TaskRunner) -> AppContext:
    return AppContext(library, runner)


@pytest.fixture
def view(qtbot, context: AppContext, monkeypatch) -> ProgressView:
    monkeypatch.setattr(ProgressView, "animate", False)
    widget = ProgressView(context)
    qtbot.addWidget(widget)
    widget.resize(1100, 760)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def patient(library: Library) -> Patient:
    return Patient(library)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> tuple[Path, int]:
    """A small demo patient (4 views x 4 visits), imported but not analysed."""
    root = tmp_path_factory.mktemp("demo") / "library"
    library = Library.open(root)
    try:
        # realistic photo size and early-course cadence: what alignment needs
        result = run_task(create_demo_patient(library, canvas_size=(1000, 750),
                                              photo_size=(960, 720), months=(0, 2, 3, 4.5)))
    finally:
        library.close()
    return root, result.patient.id


@pytest.fixture
def demo(tmp_path: Path, demo_template: tuple[Path, int]) -> Iterator[tuple[Library, int]]:
    """A private copy of the demo library: tests analyse it, which writes."""
    root = tmp_path / "demo-library"
    shutil.copytree(demo_template[0], root)
    library = Library.open(root)
    yield library, demo_template[1]
    library.close()


@pytest.fixture
def demo_view(qtbot, demo, monkeypatch) -> Iterator[tuple[ProgressView, AppContext]]:
    monkeypatch.setattr(ProgressView, "animate", False)
    runner = TaskRunner(synchronous=True)
    context = AppContext(demo[0], runner)
    widget = ProgressView(context)
    qtbot.addWidget(widget)
    widget.resize(1100, 760)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget, context
    widget.close()
    runner.shutdown()


def chart_of(view: ProgressView) -> ProgressChart:
    assert view.chart is not None
    return view.chart


def test_shows_each_views_line_and_summary(view, library, patient) -> None:
    patient.measure_all(library)
    view.show_patient(patient.id)
    assert view.stack.currentWidget() is view.chart_page
    chart = chart_of(view)
    assert chart.shown_views == (View.VERTEX, View.FRONTAL)
    (line,) = chart.series_with_role("line", View.VERTEX)
    assert [round(p.y(), 6) for p in line.points()] == [30.0, 36.0, 45.0]
    cards = {card.view: card for card in view.summaries()}
    assert set(cards) == {View.VERTEX, View.FRONTAL}
    assert cards[View.VERTEX].value("Baseline").startswith("30.0%")
    assert cards[View.VERTEX].value("Change") == "+15.0 pp (+50%)"
    assert cards[View.VERTEX].value("Significant").startswith("Yes")
    assert cards[View.FRONTAL].value("Significant").startswith("No")
    assert "Robin Example" in view.subtitle.text() and "3 visits" in view.subtitle.text()
    assert not view.banner.isVisible()


def test_clicking_a_point_opens_its_first_photo(qtbot, view, library, patient) -> None:
    patient.measure_all(library)
    view.show_patient(patient.id)
    chart = chart_of(view)
    (filled,) = chart.series_with_role("point-significant", View.VERTEX)
    # the day-90 visit has two photos: the first one opens
    with qtbot.waitSignal(view.photoActivated, timeout=1000) as signal:
        filled.clicked.emit(filled.points()[0])
    assert signal.args == [patient.photos[(View.VERTEX, 1)][0]]
    # a real mouse click on the drawn day-180 marker
    target = filled.points()[-1]
    scene_pos = chart.mapToScene(chart.mapToPosition(target, filled))
    widget_pos = view.chart_view.mapFromScene(scene_pos)
    with qtbot.waitSignal(view.photoActivated, timeout=1000) as signal:
        qtbot.mouseClick(view.chart_view.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(widget_pos.x(), widget_pos.y()))
    assert signal.args == [patient.photos[(View.VERTEX, 2)][0]]


def test_hovering_a_point_explains_it(view, library, patient) -> None:
    patient.measure_all(library)
    records.add_treatment(library, patient.id,
                          records.TreatmentFields((T0 + timedelta(days=100)).date(), "prp"))
    view.show_patient(patient.id)
    (filled,) = chart_of(view).series_with_role("point-significant", View.VERTEX)
    filled.hovered.emit(filled.points()[-1], True)
    text = view.last_tooltip
    assert text.startswith("Vertex / crown \u2014 ")
    assert "Coverage: 45.0%" in text
    assert "Change since baseline: +15.0 pp (+50%), beyond measurement uncertainty" in text
    assert "Since PRP (PRP, 15 Apr 2026): +9.0 pp" in text
    assert "Click to open" in text


def test_toggling_a_view_hides_its_line_and_card(qtbot, view, library, patient) -> None:
    patient.measure_all(library)
    view.show_patient(patient.id)
    toggle = view._toggles[View.FRONTAL]
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    chart = chart_of(view)
    assert chart.shown_views == (View.VERTEX,)
    assert chart.series_with_role("line", View.FRONTAL) == []
    assert [card.view for card in view.summaries()] == [View.VERTEX]
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert chart_of(view).shown_views == (View.VERTEX, View.FRONTAL)


def test_redraws_when_measurements_change(view, context, library, patient) -> None:
    patient.measure_all(library)
    view.show_patient(patient.id)
    before = chart_of(view)
    with library.session() as session:
        row = session.query(MeasurementRow).filter_by(
            photo_id=patient.photos[(View.VERTEX, 2)][0]).one()
        row.coverage = 0.40
    context.measurementsChanged.emit(patient.id + 1)  # another patient: nothing to do
    assert view.chart is before
    context.measurementsChanged.emit(patient.id)
    (line,) = chart_of(view).series_with_role("line", View.VERTEX)
    assert round(line.points()[-1].y(), 6) == 40.0


def test_no_photos_explains_and_offers_nothing_to_analyse(view, library) -> None:
    empty = records.add_patient(library, "P-0", "No Photos").id
    view.show_patient(empty)
    assert view.stack.currentWidget() is view.message_page
    assert view.message_page.title.text() == "No photos yet"
    assert not view.message_page.button.isVisible()


def test_unanalysed_photos_offer_analyse_now(qtbot, view, context, library, patient,
                                             monkeypatch) -> None:
    view.show_patient(patient.id)
    page = view.message_page
    assert page.title.text() == "Photos not analysed yet"
    assert "7 photos" in page.text.text()
    assert page.button.isVisible()
    steps: list[tuple[int, int]] = []
    original_step = view.progress.step
    monkeypatch.setattr(view.progress, "step",
                        lambda p: (steps.append((p.done, p.total)), original_step(p)))

    def fake_analysis(ctx: AppContext, patient_id: int) -> Any:
        def task(token: CancelToken) -> Generator[Progress, None, object]:
            yield Progress(0, 2, "start")
            patient.measure_all(ctx.library)
            yield Progress(2, 2, "done")
            return type("Report", (), {"analysed": (1, 2), "failed": ()})()
        return task

    monkeypatch.setattr(progress_view, "_analysis_task", fake_analysis)
    with qtbot.waitSignal(context.measurementsChanged, timeout=2000) as changed:
        qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
    assert changed.args == [patient.id]
    assert steps == [(0, 2), (2, 2)]
    assert view.stack.currentWidget() is view.chart_page
    assert chart_of(view).shown_views == (View.VERTEX, View.FRONTAL)
    assert not view.progress.isVisible()


def test_partly_analysed_shows_chart_with_a_banner(view, library, patient) -> None:
    base = patient.photos[(View.VERTEX, 0)][0]
    measure(library, base, base, 0.30)
    measure(library, patient.photos[(View.VERTEX, 2)][0], base, None, reason="blurred photo")
    view.show_patient(patient.id)
    assert view.stack.currentWidget() is view.chart_page
    assert view.banner.isVisible()
    text = view.banner.text.text()
    assert "5 photos not analysed yet" in text and "blurred photo" in text
    assert view.banner.button.isVisible()


def test_analysis_failure_is_shown(qtbot, view, context, library, patient, monkeypatch) -> None:
    view.show_patient(patient.id)

    def broken(ctx: AppContext, patient_id: int) -> Any:
        def task(token: CancelToken) -> Any:
            raise RuntimeError("imaging module missing")
        return task

    monkeypatch.setattr(progress_view, "_analysis_task", broken)
    messages: list[str] = []
    context.statusMessage.connect(messages.append)
    qtbot.mouseClick(view.message_page.button, Qt.MouseButton.LeftButton)
    assert "imaging module missing" in view.message_page.text.text()
    assert view.message_page.button.text() == "Try again"
    assert any("Analysis failed" in m for m in messages)


def test_point_lookup_ignores_positions_between_visits(view, library, patient) -> None:
    patient.measure_all(library)
    view.show_patient(patient.id)
    chart = chart_of(view)
    (line,) = chart.series_with_role("line", View.VERTEX)
    midway = QPointF((line.points()[0].x() + line.points()[1].x()) / 2, 33)
    assert chart.point_at(View.VERTEX, midway) is None


def test_demo_patient_before_analysis_asks_for_it(demo_view, demo) -> None:
    view, _ = demo_view
    view.show_patient(demo[1])
    assert view.message_page.title.text() == "Photos not analysed yet"
    assert "16 photos" in view.message_page.text.text()
    assert view.message_page.button.isVisible()


@pytest.mark.slow  # about 25 s: renders, imports and analyses 16 photos
def test_demo_patient_analysed_through_the_service(qtbot, demo_view, demo) -> None:
    """The whole path: Analyse now -> analysis service -> progress series -> chart."""
    view, context = demo_view
    library, patient_id = demo
    view.show_patient(patient_id)
    changed: list[int] = []
    context.measurementsChanged.connect(changed.append)
    qtbot.mouseClick(view.message_page.button, Qt.MouseButton.LeftButton)  # runs inline
    assert changed == [patient_id], view.message_page.text.text()
    assert view.stack.currentWidget() is view.chart_page
    series = progress_series(library, patient_id)
    chart = chart_of(view)
    assert set(chart.shown_views) == {View.VERTEX, View.MID_SCALP, View.FRONTAL,
                                      View.OCCIPITAL}
    for vs in series.views:
        assert len(vs.points) >= 2, vs.unmeasured  # a baseline and at least one follow-up
        assert len(vs.points) + len(vs.unmeasured) == 4
        (line,) = chart.series_with_role("line", vs.view)
        assert [p.y() for p in line.points()] == pytest.approx(
            [p.coverage * 100 for p in vs.points])
        markers = [p for role in ("point-baseline", "point-significant",
                                  "point-not-significant")
                   for s in chart.series_with_role(role, vs.view) for p in s.points()]
        assert len(markers) == len(vs.points)
    # a baseline line for each view whose baseline photo has a number (an over-exposed
    # baseline may not: the view is still drawn, its photo listed as unmeasured)
    measured = [vs for vs in series.views if vs.baseline is not None]
    assert len(measured) >= 3
    assert len(chart.series_with_role("baseline")) == len(measured)
    assert len(chart.series_with_role("treatment")) == len(series.treatments) == 10
    assert len(view.summaries()) == 4
    refused = [why for vs in series.views for _, why in vs.unmeasured]
    assert view.banner.isVisible() == bool(refused)
    if refused:
        assert refused[0] in view.banner.text.text()
    # clicking a view's last point opens its photo
    mid = series.view(View.MID_SCALP)
    last = mid.points[-1]
    role = "point-significant" if last.significant else "point-not-significant"
    (markers_series,) = chart.series_with_role(role, View.MID_SCALP)
    with qtbot.waitSignal(view.photoActivated, timeout=1000) as signal:
        markers_series.clicked.emit(markers_series.points()[-1])
    assert signal.args == [last.photo_ids[0]]

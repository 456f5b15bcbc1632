"""The progress page: coverage per view over time, with the numbers beneath it.

The series is read in the background and redrawn whenever the patient's
record or measurements change. Clicking a point asks the window to open that
visit's photo in the comparison view. A patient whose photos were never
analysed gets an explanation and an "Analyse now" button instead of an empty
chart.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

from PySide6.QtCharts import QChart, QChartView
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QCursor, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import View
from hairtrack.core.progress import CancelToken, Progress
from hairtrack.core.services.progress_series import ProgressSeries, progress_series
from hairtrack.ui import formatting as fmt
from hairtrack.ui.charts import VIEW, ProgressChart, build_progress_chart
from hairtrack.ui.context import AppContext
from hairtrack.ui.icons import Colours
from hairtrack.ui.progress_summary import SummaryCards, ViewSummary
from hairtrack.ui.progress_widgets import AnalysisProgress, Banner, EmptyState, ViewToggle
from hairtrack.ui.tasks import TaskHandle

NOT_ANALYSED = "not analysed yet"


class ProgressView(QWidget):
    photoActivated = Signal(int)  # photo id: open it in the comparison view

    #: Grow the lines in when a patient's chart first appears (tests turn it off so
    #: points are where they will stay).
    animate = True

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.patient_id: int | None = None
        self.series: ProgressSeries | None = None
        self.chart: ProgressChart | None = None
        self.hidden_views: set[View] = set()
        self.last_tooltip = ""
        self.analysis: TaskHandle | None = None
        self._analysis_patient: int | None = None
        self._generation = 0
        self._toggles: dict[View, ViewToggle] = {}

        title = QLabel("Progress")
        title.setObjectName("pageTitle")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("muted")
        self.toggle_bar = QHBoxLayout()
        self.toggle_bar.setSpacing(4)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addSpacing(12)
        header.addWidget(self.subtitle)
        header.addStretch(1)
        header.addLayout(self.toggle_bar)

        self.banner = Banner()  # photos without a number, and the way to fix it
        self.banner.button.clicked.connect(self.analyse)
        self.banner.hide()
        self.progress = AnalysisProgress()
        self.progress.cancel_button.clicked.connect(self.cancel_analysis)
        self.progress.hide()

        self.stack = QStackedWidget()
        self.message_page = EmptyState()
        self.message_page.button.clicked.connect(self.analyse)
        self.chart_page = QWidget()
        self.chart_view = QChartView()
        self.chart_view.setObjectName("progressChart")
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(340)
        self.chart_view.setStyleSheet(f"QChartView#progressChart {{ background: {Colours.PANEL};"
                                      f" border: 1px solid {Colours.BORDER};"
                                      " border-radius: 6px; }")
        self.summary_area = SummaryCards()  # scrolls when short: the chart keeps its height
        self.chart_page.installEventFilter(self)
        chart_layout = QVBoxLayout(self.chart_page)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.setSpacing(10)
        chart_layout.addWidget(self.chart_view, 1)
        chart_layout.addWidget(self.summary_area)
        self.stack.addWidget(self.message_page)
        self.stack.addWidget(self.chart_page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addLayout(header)
        layout.addWidget(self.banner)
        layout.addWidget(self.progress)
        layout.addWidget(self.stack, 1)
        self._show_message("Choose a patient", "Their coverage over time appears here.")

        context.measurementsChanged.connect(self._patient_changed)
        context.recordChanged.connect(self._patient_changed)

    # ---- loading ---------------------------------------------------------------------------
    def show_patient(self, patient_id: int) -> None:
        if patient_id != self.patient_id:
            self.series = None
            self.hidden_views.clear()
            self._set_chart(None)
            self.subtitle.clear()
            self.banner.hide()
            self._show_message("Loading progress\u2026", "", icon_name="progress")
        self.patient_id = patient_id
        self.progress.setVisible(self._analysis_running() and self._analysis_patient == patient_id)
        self.reload()

    def reload(self) -> None:
        if self.patient_id is None:
            return
        self._generation += 1
        generation, patient_id = self._generation, self.patient_id
        library = self.context.library
        self.context.runner.call(
            "Loading progress", lambda: progress_series(library, patient_id),
            on_done=lambda result: self._loaded(generation, result),
            on_error=lambda exc: self._failed(generation, exc))

    def _patient_changed(self, patient_id: int) -> None:
        if patient_id == self.patient_id:
            self.reload()

    def _loaded(self, generation: int, series: ProgressSeries) -> None:
        if generation != self._generation:  # a newer request is on its way
            return
        self.series = series
        self._rebuild_toggles(series)
        self._refresh()

    def _failed(self, generation: int, exc: Exception) -> None:
        if generation == self._generation:
            self._set_chart(None)
            self._show_message("Progress could not be loaded", str(exc), icon_name="error")

    # ---- state -----------------------------------------------------------------------------
    def _refresh(self) -> None:
        series = self.series
        if series is None:
            return
        measured = [s for s in series.views if s.points]
        waiting = [pid for s in series.views for pid, why in s.unmeasured if why == NOT_ANALYSED]
        other = [why for s in series.views for _, why in s.unmeasured if why != NOT_ANALYSED]
        self.subtitle.setText(self._subtitle(series))
        running = self._analysis_running()
        if not series.views:
            self._set_chart(None)
            self.banner.hide()
            self._show_message("No photos yet", "Import photos for this patient to follow their "
                               "hair coverage over time.", icon_name="photos")
            return
        if not measured:
            self._set_chart(None)
            self.banner.hide()
            if waiting:
                self._show_message(
                    "Photos not analysed yet",
                    f"{fmt.count(len(waiting), 'photo')} must be aligned to their baseline and "
                    "measured before progress can be charted. This runs in the background.",
                    icon_name="analyse", button=not running)
            else:
                reasons = "; ".join(dict.fromkeys(other))
                self._show_message("No coverage could be measured",
                                   f"Every photo was analysed, but none gave a number: "
                                   f"{reasons}.", icon_name="warning")
            return
        self.stack.setCurrentWidget(self.chart_page)
        for toggle in self._toggles.values():
            toggle.show()
        missing = len(waiting) + len(other)
        if missing:
            detail = (f"{fmt.count(len(waiting), 'photo')} not analysed yet" if waiting else "")
            if other:
                detail += ("; " if detail else "") + (
                    f"{fmt.count(len(other), 'photo')} without a number "
                    f"({'; '.join(dict.fromkeys(other))})")
            self.banner.text.setText(detail[:1].upper() + detail[1:] + ".")
            self.banner.button.setVisible(bool(waiting) and not running)
            self.banner.show()
        else:
            self.banner.hide()
        self._draw(animate=self.chart is None)  # grow in once; redraws stay still

    def _subtitle(self, series: ProgressSeries) -> str:
        points = [p for s in series.views for p in s.points]
        if not points:
            return series.patient.name
        first = min(p.visited_at for p in points)
        last = max(p.visited_at for p in points)
        visits = len({p.visit_id for p in points})
        return (f"{series.patient.name}  ·  {fmt.count(visits, 'visit')} measured  ·  "
                f"{fmt.day(first)} \u2013 {fmt.day(last)}")

    def _show_message(self, title: str, text: str, *, icon_name: str = "progress",
                      button: bool = False) -> None:
        for toggle in self._toggles.values():
            toggle.hide()
        self.message_page.set_message(title, text, icon_name, button)
        self.stack.setCurrentWidget(self.message_page)

    # ---- chart -----------------------------------------------------------------------------
    def shown_views(self) -> list[View]:
        if self.series is None:
            return []
        return [s.view for s in self.series.views if s.points and s.view not in self.hidden_views]

    def set_view_visible(self, view: View, visible: bool) -> None:
        (self.hidden_views.discard if visible else self.hidden_views.add)(view)
        button = self._toggles.get(view)
        if button is not None and button.isChecked() != visible:
            button.setChecked(visible)  # re-enters through toggled with the same state
            return
        if self.series is not None and self.stack.currentWidget() is self.chart_page:
            self._draw(animate=False)

    def _rebuild_toggles(self, series: ProgressSeries) -> None:
        views = [s.view for s in series.views if s.points]
        if views == list(self._toggles):
            return
        for button in self._toggles.values():
            self.toggle_bar.removeWidget(button)
            button.hide()
            button.deleteLater()
        self._toggles = {}
        self.hidden_views &= set(views)
        for view in views:
            button = ViewToggle(view, view not in self.hidden_views)
            button.toggled.connect(lambda on, v=view: self.set_view_visible(v, on))
            self.toggle_bar.addWidget(button)
            self._toggles[view] = button

    def _draw(self, animate: bool = True) -> None:
        assert self.series is not None
        shown = self.shown_views()
        chart = build_progress_chart(self.series, views=shown)
        assert isinstance(chart, ProgressChart)
        if not (animate and self.animate):
            chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        for scatter in chart.point_series():
            view = View(scatter.property(VIEW))
            scatter.clicked.connect(lambda pos, v=view: self._point_clicked(v, pos))
            scatter.hovered.connect(lambda pos, state, v=view: self._point_hovered(v, pos, state))
        self._set_chart(chart)
        self._fill_summaries(shown)

    def _set_chart(self, chart: ProgressChart | None) -> None:
        old = self.chart
        self.chart = chart
        if chart is not None:
            self.chart_view.setChart(chart)
        if old is not None and old is not chart:
            if chart is None:
                self.chart_view.setChart(QChart())
            old.deleteLater()  # the view releases, but does not delete, a replaced chart
        if chart is None:
            self._fill_summaries([])

    def _fill_summaries(self, views: Sequence[View]) -> None:
        labels = self.chart.labels if self.chart is not None else {}
        self.summary_area.set_views(self.series, views, labels)
        self._fit_summaries()

    def _fit_summaries(self) -> None:
        room = self.chart_page.height() - self.chart_view.minimumHeight() - 10
        self.summary_area.fit_height(room)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.chart_page and event.type() == QEvent.Type.Resize:
            self._fit_summaries()
        return super().eventFilter(watched, event)

    def summaries(self) -> list[ViewSummary]:
        return list(self.summary_area.cards)

    def _point_clicked(self, view: View, position: QPointF) -> None:
        if self.chart is None:
            return
        point = self.chart.point_at(view, position)
        if point is not None and point.photo_ids:
            self.photoActivated.emit(point.photo_ids[0])

    def _point_hovered(self, view: View, position: QPointF, state: bool) -> None:
        if self.chart is None:
            return
        if not state:
            QToolTip.hideText()
            self.chart_view.unsetCursor()
            return
        text = self.chart.tooltip_at(view, position)
        if text is None:
            return
        self.last_tooltip = text + "\nClick to open this photo"
        self.chart_view.setCursor(Qt.CursorShape.PointingHandCursor)
        QToolTip.showText(QCursor.pos(), self.last_tooltip, self.chart_view)

    # ---- analysis --------------------------------------------------------------------------
    def _analysis_running(self) -> bool:
        return self.analysis is not None and not self.analysis.finished

    def analyse(self) -> None:
        """Analyse the shown patient's photos in the background (one writer)."""
        if self.patient_id is None or self._analysis_running():
            return
        patient_id = self.patient_id
        self._analysis_patient = patient_id
        self.progress.start()
        self.message_page.button.hide()
        self.banner.button.hide()
        self.context.statusMessage.emit("Analysing photos\u2026")
        self.analysis = self.context.runner.run(
            "Analysing photos", _analysis_task(self.context, patient_id), writes=True,
            on_progress=self._analysis_progress,
            on_done=lambda report: self._analysis_done(patient_id, report),
            on_error=lambda exc: self._analysis_failed(patient_id, exc))

    def cancel_analysis(self) -> None:
        if self.analysis is not None and not self.analysis.finished:
            self.analysis.cancel()
            self.progress.cancelling()

    def _analysis_progress(self, step: Progress) -> None:
        if self._analysis_patient == self.patient_id:
            self.progress.step(step)

    def _analysis_done(self, patient_id: int, report: Any) -> None:
        self.progress.hide()
        failed = getattr(report, "failed", ())
        done = len(getattr(report, "analysed", ()))
        message = f"Analysed {fmt.count(done, 'photo')}"
        if failed:
            message += f"; {fmt.count(len(failed), 'photo')} could not be read"
        if getattr(report, "cancelled", False):
            message += " (cancelled)"
        self.context.statusMessage.emit(message)
        self.context.measurementsChanged.emit(patient_id)  # every view refreshes, this one too

    def _analysis_failed(self, patient_id: int, exc: Exception) -> None:
        self.progress.hide()
        self.context.statusMessage.emit(f"Analysis failed: {exc}")
        if patient_id == self.patient_id:
            self._refresh()
            if self.stack.currentWidget() is self.message_page:
                self.message_page.text.setText(f"The analysis failed: {exc}")
                self.message_page.text.show()
                self.message_page.button.setText("Try again")
                self.message_page.button.show()


def _analysis_task(context: AppContext, patient_id: int
                   ) -> Callable[[CancelToken], Generator[Progress, None, Any]]:
    library = context.library

    def task(token: CancelToken) -> Generator[Progress, None, Any]:
        # in the analysis process: image work would hold the GUI process's interpreter lock
        from hairtrack.ui import analysis_process
        return analysis_process.analysis_task(library, patient_id, cancel=token,
                                              own=context.own_writes)

    return task

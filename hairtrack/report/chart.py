"""The progress chart for print, recorded as SVG on the GUI thread.

QChart is a QGraphicsWidget: it may only be created and laid out on the GUI
thread (in a worker thread it renders empty and floods the log with timer
warnings). The export itself runs in the background, so the chart is built
with the GUI's own builder on the GUI thread, painted through
QGraphicsScene.render into a QSvgGenerator, and the worker replays that
recording onto the PDF page with QSvgRenderer: still vector paths and real,
searchable text, drawn by the same code as the chart on screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QCoreApplication, QIODevice, QRectF, QSize, QThread
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator

from hairtrack.report.model import ReportData

CHART_HEIGHT_MM = 92.0
UNITS_PER_MM = 10.0  # resolution of the recording: 0.1 mm


@dataclass(frozen=True)
class ChartDrawing:
    svg: bytes
    width_mm: float
    height_mm: float


class NotOnGuiThread(RuntimeError):
    """The chart was requested from a worker thread; prepare it on the GUI thread first."""


def on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() == app.thread()


def prepare_chart(data: ReportData, width_mm: float,
                  height_mm: float = CHART_HEIGHT_MM) -> ChartDrawing:
    """Build the chart for `data` and record it; must run on the GUI thread."""
    if not on_gui_thread():
        raise NotOnGuiThread("the progress chart must be prepared on the GUI thread "
                             "(pass chart=prepare_chart(...) to export_report)")
    from hairtrack.ui.charts import build_progress_chart, render_chart

    options = data.options
    date_range = None
    start, end = data.period
    if (options.date_from or options.date_to) and start is not None and end is not None:
        date_range = (start, end)
    chart = build_progress_chart(data.series, views=data.views, for_print=True,
                                 date_range=date_range)
    w, h = width_mm * UNITS_PER_MM, height_mm * UNITS_PER_MM
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(round(w), round(h)))
    generator.setViewBox(QRectF(0, 0, w, h))
    generator.setTitle("Hair coverage over time")
    painter = QPainter(generator)
    try:
        render_chart(chart, painter, QRectF(0, 0, w, h))
    finally:
        painter.end()
    return ChartDrawing(bytes(buffer.data().data()), width_mm, height_mm)

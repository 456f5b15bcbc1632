"""Run Python's cyclic garbage collector on the GUI thread only.

CPython collects cycles on whichever thread happens to allocate. When a cycle
holds Qt objects owned by the GUI thread (a chart, a widget captured by a
lambda) and a worker thread triggers the collection, Qt objects are destroyed
on the wrong thread and the process can crash. So automatic collection is
switched off and the same generational thresholds are checked from a timer on
the GUI thread (the approach pyqtgraph takes).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadGarbageCollector(QObject):
    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)
        self._was_enabled = gc.isenabled()  # restored by stop(): tests keep it off throughout
        gc.disable()

    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._threshold[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
        gc.collect()

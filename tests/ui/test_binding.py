"""The Qt binding must not leak references to Python's singletons.

PySide6 6.12.0 on Python 3.11 released a reference to None (and True) that it
never took on ordinary calls and signal emits; after a few thousand calls the
interpreter aborts ("deallocating None"). pyproject.toml excludes that release;
this test fails on any binding with the same bug.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    fired = Signal()


def test_calls_and_emits_keep_singleton_refcounts(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    emitter.fired.connect(lambda: None)
    before = (sys.getrefcount(None), sys.getrefcount(True))
    for _ in range(2000):
        label.setText("x")
        emitter.fired.emit()
    after = (sys.getrefcount(None), sys.getrefcount(True))
    # a few references may come and go with caches; a leak loses thousands
    assert abs(after[0] - before[0]) < 100 and abs(after[1] - before[1]) < 100

"""The GUI-thread collector hands back the collector in the state it found it."""

from __future__ import annotations

import gc

from hairtrack.ui.gc_guard import GuiThreadGarbageCollector


def test_stopping_restores_a_disabled_collector(qapp: object) -> None:
    assert not gc.isenabled()  # tests/conftest.py keeps it off: workers must never collect
    guard = GuiThreadGarbageCollector()
    guard.stop()
    assert not gc.isenabled()


def test_stopping_restores_an_enabled_collector(qapp: object) -> None:
    gc.enable()
    try:
        guard = GuiThreadGarbageCollector()
        assert not gc.isenabled()
        guard.stop()
        assert gc.isenabled()
    finally:
        gc.disable()

"""The change watcher: off the GUI thread, one poll at a time, others' changes only."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from hairtrack.core.domain import View
from hairtrack.core.progress import run_task
from hairtrack.core.services import changes, importer, records
from hairtrack.ui import analysis_process
from hairtrack.ui.change_watcher import ChangeWatcher, Update
from hairtrack.ui.context import AppContext
from hairtrack.ui.tasks import TaskRunner


@pytest.fixture
def threaded(library) -> Iterator[AppContext]:
    runner = TaskRunner()
    yield AppContext(library, runner)
    runner.shutdown()


@pytest.fixture
def watcher(threaded) -> Iterator[ChangeWatcher]:
    made = ChangeWatcher(threaded, changes.change_marker(threaded.library), interval_ms=30)
    yield made
    made.stop()


def test_polls_on_a_timer_off_the_gui_thread(qtbot, watcher, other_desktop, monkeypatch):
    library = watcher.context.library
    threads: list[str] = []
    real_poll = changes.poll

    def spying_poll(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real_poll(*args, **kwargs)

    monkeypatch.setattr(changes, "poll", spying_poll)
    records.add_patient(library, "OWN-1", "Own write")  # this window's: not reported
    watcher.start()
    qtbot.waitUntil(lambda: watcher.marker == 1, timeout=3000)
    other = other_desktop(library)
    with qtbot.waitSignal(watcher.changed, timeout=3000) as arrived:
        records.add_patient(other, "OTH-1", "Other write")
    update = arrived.args[0]
    assert isinstance(update, Update)
    assert [e.summary for e in update.changes.entries] == ["added patient Other write "
                                                           "(MRN OTH-1)"]
    assert {p.mrn for p in update.patients} == {"OWN-1", "OTH-1"}
    assert threads and all(name.startswith("hairtrack-watch") for name in threads)


def test_a_slow_database_never_blocks_the_window(qtbot, watcher, monkeypatch):
    release = threading.Event()

    def stuck_poll(*_args, **_kwargs):
        release.wait(5)
        raise ConnectionError("server at db.clinic:5432 does not answer")

    monkeypatch.setattr(changes, "poll", stuck_poll)
    started = time.monotonic()
    assert watcher.poll()
    assert not watcher.poll()  # one in flight at most: no pile-up while the server hangs
    assert time.monotonic() - started < 0.2
    failures: list[str] = []
    watcher.failed.connect(failures.append)
    release.set()
    qtbot.waitUntil(lambda: not watcher.busy, timeout=3000)
    assert failures == ["server at db.clinic:5432 does not answer"]
    release.clear()
    release.set()
    assert watcher.poll()
    qtbot.waitUntil(lambda: not watcher.busy, timeout=3000)
    assert len(failures) == 1  # said once per outage, not every few seconds


def test_the_windows_analysis_child_writes_count_as_its_own(library, scalp_photos):
    """Entries the analysis process writes are reported back as they are written."""
    patient = records.add_patient(library, "AN-2", "Two, Photos")
    for index, when in enumerate((datetime(2024, 1, 5, 10, tzinfo=timezone.utc),
                                  datetime(2024, 4, 5, 10, tzinfo=timezone.utc))):
        item = importer.ImportItem(scalp_photos[index], view=View.VERTEX, captured_at=when)
        assert run_task(importer.import_items(library, patient.id, [item])).imported
    runner = TaskRunner(synchronous=True)
    context = AppContext(library, runner)
    try:
        since = changes.change_marker(library)
        report = run_task(analysis_process.analyse_in_subprocess(
            library, patient.id, own=context.own_writes))
        assert len(report.analysed) == 2
        found = changes.poll(library, since)
        assert [e.action for e in found.entries] == ["analyse", "analyse"]
        assert context.own_writes.foreign(found).entries == ()
    finally:
        runner.shutdown()

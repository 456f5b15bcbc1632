"""The task runner: services run off the GUI thread and report back on it."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator

import pytest
from PySide6.QtCore import QThread

from hairtrack.core.progress import CancelToken, Progress
from hairtrack.ui.tasks import TaskRunner


def counting_service(n: int, cancel: CancelToken,
                     started: threading.Event | None = None,
                     gate: threading.Event | None = None) -> Generator[Progress, None, int]:
    done = 0
    for i in range(n):
        if started is not None:
            started.set()
        if gate is not None:
            gate.wait(5)
        if cancel.cancelled:
            break
        done += 1
        yield Progress(i + 1, n, f"step {i + 1}")
    return done


@pytest.fixture
def runner(qtbot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def test_results_and_progress_arrive_on_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    gui = QThread.currentThread()
    seen: list[tuple[int, bool]] = []
    results: list[int] = []
    runner.run("count", lambda token: counting_service(5, token),
               on_progress=lambda p: seen.append((p.done, QThread.currentThread() == gui)),
               on_done=lambda r: results.append(r if QThread.currentThread() == gui else -1))
    qtbot.waitUntil(lambda: results == [5], timeout=5000)
    assert [d for d, _ in seen] == [1, 2, 3, 4, 5]
    assert all(on_gui for _, on_gui in seen)
    assert runner.running == 0


def test_cancel_stops_the_service_between_units(qtbot, runner: TaskRunner) -> None:
    started, gate = threading.Event(), threading.Event()
    results: list[int] = []
    handle = runner.run("count", lambda token: counting_service(100, token, started, gate),
                        on_done=results.append)
    assert started.wait(5)
    handle.cancel()
    gate.set()
    qtbot.waitUntil(lambda: results != [], timeout=5000)
    assert results[0] < 100
    assert handle.finished


def test_errors_reach_the_error_callback(qtbot, runner: TaskRunner) -> None:
    errors: list[Exception] = []

    def boom() -> None:
        raise ValueError("bad input")

    runner.call("boom", boom, on_error=errors.append)
    qtbot.waitUntil(lambda: errors != [], timeout=5000)
    assert str(errors[0]) == "bad input"


def test_unhandled_errors_are_announced(qtbot, runner: TaskRunner) -> None:
    def boom() -> None:
        raise RuntimeError("disk on fire")

    with qtbot.waitSignal(runner.taskFailed, timeout=5000) as blocker:
        runner.call("boom", boom)
    assert blocker.args[0] == "boom" and "disk on fire" in blocker.args[1]


def test_writes_are_serialised_on_one_thread(qtbot, runner: TaskRunner) -> None:
    threads: list[str] = []
    done: list[int] = []
    for i in range(6):
        runner.call(f"write {i}", lambda: threads.append(threading.current_thread().name),
                    writes=True, on_done=lambda _r, i=i: done.append(i))
    qtbot.waitUntil(lambda: len(done) == 6, timeout=5000)
    assert len(set(threads)) == 1 and threads[0].startswith("hairtrack-write")
    assert done == sorted(done)


def test_synchronous_runner_runs_inline(qtbot) -> None:
    runner = TaskRunner(synchronous=True)
    results: list[int] = []
    runner.run("count", lambda token: counting_service(3, token), on_done=results.append)
    assert results == [3]
    runner.shutdown()

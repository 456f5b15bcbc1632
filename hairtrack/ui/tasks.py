"""Run core services off the GUI thread; deliver results back on it.

Reads run on a small pool; every task that writes to the library goes to one
single-thread writer, so SQLite only ever sees one writer at a time (the
pattern of Anki's task manager). Service generators report `Progress` between
units of work and stop at the next unit when their CancelToken is cancelled.
Callbacks always run on the GUI thread, through a queued signal.

Tests construct `TaskRunner(synchronous=True)`: tasks then run inline, so a
test needs no event-loop waiting to see their effect.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

from hairtrack.core.progress import CancelToken, Progress

T = TypeVar("T")
ProgressCallback = Callable[[Progress], None]
TaskFactory = Callable[[CancelToken], "Generator[Progress, None, Any] | Any"]


@dataclass
class TaskHandle:
    """What a caller keeps to cancel a task or ask whether it is still running."""

    label: str
    token: CancelToken = field(default_factory=CancelToken)
    finished: bool = False

    def cancel(self) -> None:
        self.token.cancel()


class _Bridge(QObject):
    """Lives on the GUI thread; worker threads emit, the GUI thread runs the callback."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._run)

    @Slot(object)
    def _run(self, callback: Callable[[], None]) -> None:
        callback()


class TaskRunner(QObject):
    """Starts tasks; tells the window how many are running so it can show busy state."""

    busyChanged = Signal(int)  # number of running tasks
    taskFailed = Signal(str, str)  # label, message

    def __init__(self, *, synchronous: bool = False, readers: int = 2,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._synchronous = synchronous
        self._bridge = _Bridge()
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="hairtrack-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="hairtrack-write")
        self._running: list[TaskHandle] = []
        self._closed = False

    @property
    def synchronous(self) -> bool:
        """Tasks run inline (tests); helpers with their own threads follow suit."""
        return self._synchronous

    @property
    def running(self) -> int:
        return len(self._running)

    def run(self, label: str, factory: TaskFactory, *, writes: bool = False,
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[Exception], None] | None = None,
            on_progress: ProgressCallback | None = None) -> TaskHandle:
        """Run `factory(token)`; a generator result is driven as a service task."""
        handle = TaskHandle(label)
        self._running.append(handle)
        self.busyChanged.emit(len(self._running))

        def work() -> None:
            try:
                result = _drive(factory(handle.token),
                                lambda step: self._post(lambda: _call(on_progress, step)))
            except Exception as exc:  # reported on the GUI thread, never swallowed
                error = exc  # `exc` is unbound after this block; the callback runs later
                detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                self._post(lambda: self._finish(handle, on_error, error, detail))
                return
            self._post(lambda: self._finish_ok(handle, on_done, result))

        if self._synchronous:
            work()
        elif not self._closed:
            pool = self._writer if writes else self._readers
            future: Future[None] = pool.submit(work)
            del future
        return handle

    def call(self, label: str, function: Callable[[], T], *, writes: bool = False,
             on_done: Callable[[T], None] | None = None,
             on_error: Callable[[Exception], None] | None = None) -> TaskHandle:
        """Run a plain function (no progress) in the background."""
        return self.run(label, lambda _token: function(), writes=writes, on_done=on_done,
                        on_error=on_error)

    def _post(self, callback: Callable[[], None]) -> None:
        if self._synchronous:
            callback()
        elif not self._closed:
            self._bridge.deliver.emit(callback)

    def _finish_ok(self, handle: TaskHandle, on_done: Callable[[Any], None] | None,
                   result: Any) -> None:
        self._forget(handle)
        if on_done is not None:
            on_done(result)

    def _finish(self, handle: TaskHandle, on_error: Callable[[Exception], None] | None,
                exc: Exception, detail: str) -> None:
        self._forget(handle)
        if on_error is not None:
            on_error(exc)
        else:
            self.taskFailed.emit(handle.label, detail)

    def _forget(self, handle: TaskHandle) -> None:
        handle.finished = True
        if handle in self._running:
            self._running.remove(handle)
        self.busyChanged.emit(len(self._running))

    def cancel_all(self) -> None:
        for handle in list(self._running):
            handle.cancel()

    def shutdown(self, wait: bool = True) -> None:
        """Cancel what runs and wait for the threads: no thread may outlive the window."""
        self.cancel_all()
        self._closed = True
        self._readers.shutdown(wait=wait, cancel_futures=True)
        self._writer.shutdown(wait=wait, cancel_futures=True)


def _call(callback: ProgressCallback | None, step: Progress) -> None:
    if callback is not None:
        callback(step)


def _drive(result: Any, report: ProgressCallback) -> Any:
    """Drive a service generator; services honour their CancelToken themselves."""
    if not isinstance(result, Generator):
        return result
    while True:
        try:
            step = next(result)
        except StopIteration as stop:
            return stop.value
        report(step)

"""Notice what other desktops changed in the library, without ever blocking the window.

Every few seconds the watcher reads the library's change counter
(`changes.poll`: one primary-key SELECT while nothing changed). The read runs on
the watcher's own worker thread, not the GUI thread: against a PostgreSQL
server that is slow or unreachable it can wait for the connect timeout (10 s),
and the window must go on responding meanwhile; "cheap" is not "bounded" on a
network. It does not go through the task runner either: a poll every few
seconds would flash the busy indicator, and a poll stuck on a dead connection
must not hold one of the reader threads the views load with. At most one poll
is in flight; a tick that finds one still running is skipped, so an outage
never piles up threads or connections.

When other programs changed something (the window's own writes are told apart
by `AppContext.own_writes`), the same worker also reads the patient list, so
applying the update needs no read on the GUI thread; `changed` then delivers an
`Update` on the GUI thread.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from hairtrack.core.domain import Patient
from hairtrack.core.services import changes, records
from hairtrack.core.services.changes import Changes
from hairtrack.ui import messages
from hairtrack.ui.context import AppContext

#: Often enough that a colleague's edit shows up "at once", rare enough to cost nothing.
POLL_MS = 2500


@dataclass(frozen=True)
class Update:
    """Other programs' changes since the last look, and the patient list read after them."""

    changes: Changes
    patients: tuple[Patient, ...]


class ChangeWatcher(QObject):
    changed = Signal(object)  # Update: other programs changed the library
    failed = Signal(str)  # the check could not read the library (once per outage)
    _arrived = Signal(object)  # worker -> GUI thread: an Update, None or an Exception

    def __init__(self, context: AppContext, since: int, *, interval_ms: int = POLL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.marker = since  # the counter the views on screen were read at (or after)
        self._synchronous = context.runner.synchronous
        self._executor = (None if self._synchronous
                          else ThreadPoolExecutor(1, thread_name_prefix="hairtrack-watch"))
        self._in_flight = False
        self._stopped = False
        self._failing = False
        self._arrived.connect(self._deliver)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    @property
    def busy(self) -> bool:
        return self._in_flight

    def start(self) -> None:
        """Poll on a timer (tests without a timer call `poll` themselves)."""
        if not self._stopped:
            self._timer.start()

    def stop(self) -> None:
        """No more polls or deliveries; a read still waiting on the network is abandoned."""
        self._stopped = True
        self._timer.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def poll(self) -> bool:
        """Start one check; False when one is still running (or the watcher stopped)."""
        if self._in_flight or self._stopped:
            return False
        self._in_flight = True
        since = self.marker
        if self._executor is None:
            self._deliver(self._read(since))
        else:
            self._executor.submit(self._work, since)
        return True

    # ---- worker thread -----------------------------------------------------------------------
    def _work(self, since: int) -> None:
        result = self._read(since)
        if not self._stopped:
            with contextlib.suppress(RuntimeError):  # the window went away meanwhile
                self._arrived.emit(result)

    def _read(self, since: int) -> Update | Changes | Exception:
        """An Update when others changed something, else the Changes (only the marker moved)."""
        library = self.context.library
        try:
            found = changes.poll(library, since)
            if not found.moved:
                return found
            others = self.context.own_writes.foreign(found)
            if not others.entries and others.complete:
                return others
            return Update(others, tuple(records.list_patients(library)))
        except Exception as exc:  # shown once per outage; the next tick tries again
            return exc

    # ---- GUI thread --------------------------------------------------------------------------
    @Slot(object)
    def _deliver(self, result: Update | Changes | Exception) -> None:
        self._in_flight = False
        if self._stopped:
            return
        if isinstance(result, Exception):
            if not self._failing:
                self._failing = True
                self.failed.emit(messages.error_text(result))
            return
        self._failing = False
        if isinstance(result, Update):
            self.marker = result.changes.marker
            self.changed.emit(result)
        else:
            self.marker = result.marker

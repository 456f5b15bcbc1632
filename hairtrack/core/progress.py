"""Progress reports and cooperative cancellation for long-running services.

Services are generators that yield `Progress` between units of work and return
their result; a caller that cancels sees `Cancelled` raised at the next unit
boundary, so no unit is ever left half-done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    label: str = ""

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)


class Cancelled(Exception):
    """Raised inside a service when its CancelToken was cancelled."""


class CancelToken:
    """Thread-safe flag shared between the caller and a running service."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


Task = Generator[Progress, None, T]


def run_task(task: Task[T], on_progress: Callable[[Progress], None] | None = None) -> T:
    """Drive a service generator to the end and return its result."""
    while True:
        try:
            step = next(task)
        except StopIteration as stop:
            result: T = stop.value
            return result
        if on_progress is not None:
            on_progress(step)

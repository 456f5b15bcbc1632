"""Printing for the CLI: JSON on stdout for machines, a progress bar on stderr for people."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any, TextIO

from hairtrack.core.progress import Progress, T, Task, run_task


class CommandError(Exception):
    """A failure the user can fix; printed as one line, exit code 1."""


def print_json(data: Any, stream: TextIO | None = None) -> None:
    """Strict JSON: a number that could not be measured (NaN, infinite) is printed as null.

    Python would print NaN, which is not JSON: jq, JavaScript and most other
    readers reject the whole document.
    """
    json.dump(_finite(data), stream or sys.stdout, indent=2, ensure_ascii=False, default=str,
              allow_nan=False)
    (stream or sys.stdout).write("\n")


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data


def progress_printer(stream: TextIO | None = None) -> Callable[[Progress], None] | None:
    """A one-line terminal progress bar, or nothing when stderr is not a terminal."""
    out = stream or sys.stderr
    if not out.isatty():
        return None

    def show(step: Progress) -> None:
        width = 30
        filled = int(width * step.fraction)
        label = step.label[:40]
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {step.done}/{step.total} "
                  f"{label:<40}")
        if step.done >= step.total:
            out.write("\n")
        out.flush()

    return show


def run_with_progress(task: Task[T]) -> T:
    return run_task(task, progress_printer())

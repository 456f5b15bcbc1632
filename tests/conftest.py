"""Test-wide set-up: Qt must never need a display, and each test gets its own library."""

from __future__ import annotations

import gc
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# Before anything imports Qt: without a display QApplication would abort pytest.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="hairtrack-xdg-"))
os.environ.pop("HAIRTRACK_LIBRARY", None)
os.environ.pop("HAIRTRACK_DATABASE_URL", None)

import pytest

from hairtrack.core.library import Library

DATA = Path(__file__).parent / "data"
SCALP_PHOTOS = DATA / "scalp-photos"


# Qt objects must be destroyed on their own thread, but CPython runs the cyclic collector
# on whichever thread allocates; worker threads (exports, analysis) would then free GUI
# objects. As the app does (hairtrack/ui/gc_guard.py), collect only on the main thread.
gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path / "library")
    yield lib
    lib.close()


@pytest.fixture
def scalp_photos() -> list[Path]:
    return sorted(SCALP_PHOTOS.glob("*.jpg"))


@pytest.fixture
def local_zone() -> Iterator[Callable[[str], None]]:
    """Set the process's local time zone to a POSIX TZ rule for one test, then restore it.

    POSIX rules need no time-zone database, so this works on a bare CI machine.
    """
    old = os.environ.get("TZ")

    def use(rule: str) -> None:
        os.environ["TZ"] = rule
        time.tzset()

    try:
        yield use
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.fixture
def store_disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on every copy into a photo store fails with ENOSPC, as on a full disk."""
    import errno
    from typing import Any

    from hairtrack.core.storage import photo_store

    class FullDisk:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, _data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.handle, name)

    real_new = photo_store._private_new

    def fake_new(path: Path) -> Any:
        assert path.name.startswith(photo_store._TMP_PREFIX)
        return FullDisk(real_new(path))

    monkeypatch.setattr(photo_store, "_private_new", fake_new)

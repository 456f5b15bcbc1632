"""Run `hairtrack import` and SIGKILL it at the Nth occurrence of one phase.

Used by test_crash_kill.py as a subprocess:

    python crash_harness.py PHASE N LIBRARY MRN FILE...

PHASE is where the process dies:
  copy       half-way through writing an original into the store
  stored     after the original is renamed into place, before its row exists
  commit     with the photo's rows written but not yet committed
  committed  right after the commit, before the thumbnail
  thumbnail  with the thumbnail half-written
  random     at a random moment (N is the delay in milliseconds)
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from sqlalchemy import Engine, event

from hairtrack.cli.main import main
from hairtrack.core.imaging import io
from hairtrack.core.storage import database, photo_store


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(phase: str, nth: int) -> None:
    seen = 0

    def due() -> bool:
        nonlocal seen
        seen += 1
        return seen == nth

    if phase == "random":
        threading.Timer(nth / 1000, die).start()
    elif phase == "copy":
        real_new = photo_store._private_new

        class HalfWritten:
            def __init__(self, handle: Any) -> None:
                self.handle = handle

            def __enter__(self) -> HalfWritten:
                return self

            def __exit__(self, *exc: object) -> None:
                self.handle.close()

            def write(self, data: bytes) -> int:
                if due():
                    self.handle.write(data[: len(data) // 2])
                    self.handle.flush()
                    die()
                return int(self.handle.write(data))

            def __getattr__(self, name: str) -> Any:
                return getattr(self.handle, name)

        photo_store._private_new = lambda path: HalfWritten(real_new(path))
    elif phase == "stored":
        real_fsync_dir = photo_store.fsync_dir

        def fsync_then_die(folder: Any) -> None:
            real_fsync_dir(folder)
            if due():
                die()

        photo_store.fsync_dir = fsync_then_die
    elif phase in ("commit", "committed"):
        real_make_engine = database.make_engine

        def make_engine(url: str) -> Engine:
            engine = real_make_engine(url)
            # "commit" fires before the database commits; "committed" is the next
            # thing the importer does after it: start the thumbnail.
            if phase == "commit":
                event.listen(engine, "commit", lambda _conn: due() and die())
            return engine

        database.make_engine = make_engine
        if phase == "committed":
            real_thumb = io.make_thumbnail

            def thumb_after_commit(*args: Any, **kwargs: Any) -> None:
                if due():
                    die()
                real_thumb(*args, **kwargs)

            io.make_thumbnail = thumb_after_commit
    elif phase == "thumbnail":
        from PIL import Image

        real_save = Image.Image.save

        def save_half(self: Image.Image, fp: Any, *args: Any, **kwargs: Any) -> None:
            real_save(self, fp, *args, **kwargs)
            if due():
                with open(fp, "r+b") as handle:
                    handle.truncate(os.path.getsize(fp) // 2)
                die()

        Image.Image.save = save_half  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown phase {phase}")


if __name__ == "__main__":
    phase, nth, library, mrn, *files = sys.argv[1:]
    arm(phase, int(nth))
    raise SystemExit(main(["--library", library, "import", "--patient", mrn, *files]))

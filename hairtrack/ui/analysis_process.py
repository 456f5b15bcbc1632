"""Run the analysis service in a child process, so the GUI thread never waits on it.

Analysis is numpy and OpenCV work on two threads; parts of it hold the GIL for
a long time (measured: stalls of 100-900 ms in the GUI thread while it ran in
the same process). In a child process it cannot touch the GUI's GIL at all.

The parent side (`analyse_in_subprocess`) is an ordinary service generator: the
task runner drives it on the writer thread, so the child is the one database
writer while it runs. It yields the child's progress, forwards a cancel as a
line on the child's stdin (the child stops at the next photo, like the service
in-process), and returns the same `AnalysisReport`. The child side is
`python -m hairtrack.ui.analysis_process`; it never imports Qt.

Views that offer "Analyse now" should call `analysis_task` rather than the
service itself, for the same reason.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hairtrack.core.library import DATABASE_ENV, Library
from hairtrack.core.progress import CancelToken, Progress
from hairtrack.core.services.changes import OwnWrites

#: False runs the service in this process (tests that stand in a fake service).
IN_SUBPROCESS = True


def analysis_task(library: Library, patient_id: int, *, force: bool = False,
                  cancel: CancelToken | None = None,
                  own: OwnWrites | None = None) -> Generator[Progress, None, Any]:
    """The analysis of one patient as a service generator, off this process when possible.

    `own` learns the audit entries the analysis writes (the child reports them as it
    writes), so the change watcher does not take this window's analysis for another
    desktop's.
    """
    if IN_SUBPROCESS:
        return (yield from analyse_in_subprocess(library, patient_id, force=force,
                                                 cancel=cancel, own=own))
    from hairtrack.core.services import analysis  # imaging modules load on first use

    return (yield from analysis.analyze_patient(library, patient_id, force=force,
                                                cancel=cancel))


@dataclass(frozen=True)
class ChildReport:
    """The child's `AnalysisReport`, field for field (importing the real class here would load
    OpenCV into the GUI process just to name a result)."""

    analysed: tuple[int, ...] = ()
    unchanged: tuple[int, ...] = ()
    refused: tuple[int, ...] = ()
    failed: tuple[tuple[int, str], ...] = ()
    cancelled: bool = False
    changed_views: frozenset[object] = field(default_factory=frozenset)


def analyse_in_subprocess(library: Library, patient_id: int, *, force: bool = False,
                          cancel: CancelToken | None = None,
                          own: OwnWrites | None = None) -> Generator[Progress, None, Any]:
    command = [sys.executable, "-m", "hairtrack.ui.analysis_process", "--library",
               str(library.root), "--patient", str(patient_id)]
    if force:
        command.append("--force")
    env = dict(os.environ)
    # In the environment, not the arguments: a server URL may hold a password, and any
    # local account can read another process's command line.
    env[DATABASE_ENV] = library.engine.url.render_as_string(hide_password=False)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # also from a source tree
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.extend(child.stderr or ()), daemon=True)
    drain.start()
    result: dict[str, Any] | None = None
    failure: str | None = None
    asked_to_stop = False
    try:
        assert child.stdout is not None and child.stdin is not None
        for line in child.stdout:
            if cancel is not None and cancel.cancelled and not asked_to_stop:
                asked_to_stop = True
                _tell(child, "cancel")
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue  # a stray print of a library: not ours
            if "progress" in message:
                done, total, label = message["progress"]
                yield Progress(int(done), int(total), str(label))
                if cancel is not None and cancel.cancelled and not asked_to_stop:
                    asked_to_stop = True
                    _tell(child, "cancel")
            elif "written" in message:
                if own is not None:
                    own.add(int(seq) for seq in message["written"])
            elif "report" in message:
                result = message["report"]
            elif "error" in message:
                failure = str(message["error"])
    finally:
        if child.poll() is None and (cancel is not None and cancel.cancelled):
            _tell(child, "cancel")
        code = child.wait()
        drain.join(timeout=2)
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    if failure is not None:
        raise RuntimeError(failure)
    if result is None:
        detail = "".join(errors).strip().splitlines()[-1:] or [f"exit code {code}"]
        raise RuntimeError(f"the analysis process stopped unexpectedly: {detail[0]}")
    return ChildReport(
        analysed=tuple(result["analysed"]), unchanged=tuple(result["unchanged"]),
        refused=tuple(result["refused"]),
        failed=tuple((int(f["photo_id"]), str(f["reason"])) for f in result["failed"]),
        cancelled=bool(result["cancelled"]))


def _tell(child: subprocess.Popen[str], word: str) -> None:
    try:
        assert child.stdin is not None
        child.stdin.write(word + "\n")
        child.stdin.flush()
    except (OSError, ValueError):
        pass  # it has already finished


# ---- the child ---------------------------------------------------------------------------------
def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _watch_stdin(token: CancelToken) -> None:
    """A "cancel" line, or the parent going away (end of input), stops the analysis."""
    for line in sys.stdin:
        if line.strip() == "cancel":
            break
    token.cancel()


def child_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hairtrack.ui.analysis_process")
    parser.add_argument("--library", required=True)
    parser.add_argument("--database")
    parser.add_argument("--patient", type=int, required=True)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    token = CancelToken()
    threading.Thread(target=_watch_stdin, args=(token,), daemon=True).start()
    try:
        from hairtrack.core.services import analysis

        library = Library.open(Path(args.library), args.database, create=False)
        # Each audit entry's number, as it is written (before its commit), so the parent's
        # change watcher knows the entry is its own by the time it can see it.
        OwnWrites(library, on_write=lambda seq: _emit({"written": [seq]}))
        try:
            task = analysis.analyze_patient(library, args.patient, force=args.force,
                                            cancel=token)
            while True:
                try:
                    step = next(task)
                except StopIteration as stop:
                    _emit({"report": stop.value.to_json()})
                    break
                _emit({"progress": [step.done, step.total, step.label]})
        finally:
            library.close()
    except Exception as exc:  # reported to the parent, which shows it
        _emit({"error": str(exc) or type(exc).__name__})
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main())

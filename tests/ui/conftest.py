"""Fixtures for the widget tests: a small demo library, a synchronous runner, windows.

Background work runs inline (`TaskRunner(synchronous=True)`), so a test sees
the effect of an action as soon as the action returns; only thumbnails still
load on their own threads (`wait_for_thumbnails`). Every window and runner is
closed and shut down at teardown so no thread outlives its test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import demo, records
from hairtrack.settings import Settings
from hairtrack.ui.context import AppContext
from hairtrack.ui.main_window import MainWindow
from hairtrack.ui.tasks import TaskRunner

#: Small enough to build in a few seconds, large enough to have 4 views x 4 visits.
SMALL_DEMO = {"canvas_size": (640, 480), "photo_size": (560, 420), "months": (0, 3, 6, 12)}


@pytest.fixture(scope="session")
def small_demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DEMO-001 with 16 small photos, imported but not analysed (built once per session)."""
    root = tmp_path_factory.mktemp("ui-demo") / "library"
    library = Library.open(root)
    try:
        run_task(demo.create_demo_patient(library, **SMALL_DEMO))  # type: ignore[arg-type]
    finally:
        library.close()
    return root


@pytest.fixture
def demo_library(small_demo_root: Path, tmp_path: Path) -> Iterator[Library]:
    """A private copy of the small demo library: tests may write to it."""
    root = tmp_path / "demo-library"
    shutil.copytree(small_demo_root, root)
    library = Library.open(root)
    yield library
    library.close()


@pytest.fixture
def sync_runner() -> Iterator[TaskRunner]:
    runner = TaskRunner(synchronous=True)
    yield runner
    runner.shutdown()


@pytest.fixture
def app_settings(tmp_path: Path) -> Settings:
    """Private settings; analysis after import is off (tests that want it turn it on)."""
    settings = Settings(path=tmp_path / "settings.ini")
    settings.analyse_after_import = False
    return settings


WindowFactory = Callable[[Library], MainWindow]


@pytest.fixture
def make_window(qtbot, app_settings: Settings) -> Iterator[WindowFactory]:
    """Build a shown main window over a library; closed (threads joined) at teardown."""
    made: list[tuple[MainWindow, TaskRunner]] = []

    def build(library: Library) -> MainWindow:
        runner = TaskRunner(synchronous=True)
        context = AppContext(library, runner)
        window = MainWindow(context, app_settings, remember_geometry=False)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        made.append((window, runner))
        return window

    yield build
    for window, runner in made:
        window.close()
        runner.shutdown()
    QApplication.processEvents()


@pytest.fixture
def wait_thumbnails(qtbot) -> Callable[[MainWindow], None]:
    """Wait until the window's thumbnail loader has nothing queued or in flight."""

    def wait(window: MainWindow) -> None:
        QApplication.processEvents()
        qtbot.waitUntil(lambda: window.loader.pending == 0, timeout=10_000)
        QApplication.processEvents()

    return wait


@pytest.fixture
def other_desktop() -> Iterator[Callable[[Library], Library]]:
    """The same library opened by a second program (another desktop), as "alice (desk 2)"."""
    opened: list[Library] = []

    def open_other(library: Library) -> Library:
        other = Library.open(library.root)
        other.actor = "alice (desk 2)"
        opened.append(other)
        return other

    yield open_other
    for other in opened:
        other.close()


@pytest.fixture
def open_demo(demo_library: Library, make_window: WindowFactory,
              other_desktop: Callable[[Library], Library]) -> tuple[MainWindow, Any, Library]:
    """A window on the demo patient's timeline, the patient, and another desktop."""
    window = make_window(demo_library)
    patient = records.patient_by_mrn(demo_library, demo.DEMO_MRN)
    window.open_patient(patient, "timeline")
    return window, patient, other_desktop(demo_library)


@pytest.fixture
def edit_entry() -> Callable[[MainWindow, str, int], tuple[Any, Any]]:
    """Open the timeline's edit dialog on the n-th visit or treatment: (dialog, entry)."""

    def edit(window: MainWindow, kind: str, index: int) -> tuple[Any, Any]:
        timeline = window.workspace.timeline
        record = timeline.record
        assert record is not None
        entry = (record.visits if kind == "visit" else record.treatments)[index]
        timeline.select(kind, entry.id)
        timeline.edit_selected()
        return timeline.dialog, entry

    return edit

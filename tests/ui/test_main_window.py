"""The main window: welcome screen, drag-and-drop import, demo patient, menus and pages."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from hairtrack.core.domain import View
from hairtrack.core.services import demo, records
from hairtrack.ui import analysis_process
from hairtrack.ui.context import AppContext
from hairtrack.ui.import_dialog import RESULT, ImportDialog
from hairtrack.ui.main_window import MainWindow
from hairtrack.ui.tasks import TaskRunner

from .conftest import SMALL_DEMO

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "scalp-photos"


def _drop(window: MainWindow, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    position = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()


def test_empty_library_opens_on_welcome(library, make_window):
    window = make_window(library)
    assert window.stack.currentWidget() is window.welcome
    assert window.welcome.import_button.isEnabled()
    assert window.welcome.demo_button.isEnabled()
    assert not window.commands["analyse"].isEnabled()  # no patient yet


def test_drop_files_and_folder_imports_with_reasons(qtbot, tmp_path, demo_library,
                                                   make_window, wait_thumbnails):
    folder = tmp_path / "visit"
    folder.mkdir()
    for source in sorted(PHOTOS.glob("*.jpg"))[:3]:
        shutil.copy(source, folder / source.name)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    single = sorted(PHOTOS.glob("*.jpg"))[3]
    window = make_window(demo_library)
    window.settings.analyse_after_import = False
    patient = records.patient_by_mrn(demo_library, demo.DEMO_MRN)
    window.open_patient(patient, "timeline")

    _drop(window, [folder, broken, single])
    dialog = window.dialog
    assert isinstance(dialog, ImportDialog)
    assert dialog.patient_id() == patient.id  # the patient in view
    expected = [*sorted(p.name for p in folder.iterdir()), "broken.jpg", single.name]
    assert [r["path"].name for r in dialog.rows] == expected
    # new files are proposed a new visit on their capture date and the remembered view
    assert all(r["visit"][0] == "date" for r in dialog.rows)
    dialog.view.setCurrentIndex(dialog.view.findData(View.FRONTAL.value))
    dialog.view.activated.emit(dialog.view.currentIndex())
    assert {r["view"] for r in dialog.rows} == {View.FRONTAL}
    dialog.set_view(0, View.OCCIPITAL)

    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.report is not None
    assert len(dialog.report.imported) == 4
    assert [r.path.name for r in dialog.report.rejected] == ["broken.jpg"]
    broken_row = [r["path"].name for r in dialog.rows].index("broken.jpg")
    assert dialog.rows[broken_row]["state"] == "rejected"
    reason = dialog.table.item(broken_row, RESULT).text()
    assert reason and reason != "Imported"
    assert "Imported 4 photos" in dialog.summary.text()
    assert window.settings.default_view == View.FRONTAL  # remembered for next time

    record = records.patient_record(demo_library, patient.id)
    assert len(record.photos) == 16 + 4
    new = [p for p in record.photos if p.original_name in {r["path"].name for r in dialog.rows}]
    assert sorted(p.view for p in new) == sorted([View.OCCIPITAL] + [View.FRONTAL] * 3)
    # the window shows the photos page of that patient, refreshed
    assert window.current_page() == "photos"
    assert window.workspace.photos.grid.photo_count() == 20
    assert "Imported 4 photos" in window.status_label.text()
    wait_thumbnails(window)

    # the same files again are duplicates, not new photos
    dialog.close()
    _drop(window, [single])
    again = window.dialog
    assert isinstance(again, ImportDialog) and again is not dialog
    again.start()
    assert again.report is not None
    assert len(again.report.duplicates) == 1 and not again.report.imported


def test_import_cancel_stops_between_files(qtbot, tmp_path, demo_library, make_window):
    window = make_window(demo_library)
    paths = sorted(PHOTOS.glob("*.jpg"))[:5]
    dialog = window.import_files(paths)
    assert dialog is not None
    original = dialog._progress

    def progress_then_cancel(step) -> None:
        original(step)
        if step.done == 2:  # as if the user pressed Cancel while the third file was next
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    dialog._progress = progress_then_cancel  # type: ignore[method-assign]
    dialog.start()
    assert dialog.report is not None and dialog.report.cancelled
    assert len(dialog.report.imported) == 2
    states = [r["state"] for r in dialog.rows]
    assert states.count("imported") == 2 and states.count("skipped") == 3


def test_demo_patient_from_welcome(qtbot, library, make_window, monkeypatch):
    original = demo.create_demo_patient
    monkeypatch.setattr(demo, "create_demo_patient",
                        lambda lib, cancel=None: original(lib, cancel=cancel, **SMALL_DEMO))
    window = make_window(library)
    window.settings.analyse_after_import = False
    qtbot.mouseClick(window.welcome.demo_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.workspace
    assert window.workspace.patient is not None
    assert window.workspace.patient.mrn == demo.DEMO_MRN
    assert window.current_page() == "photos"
    assert window.workspace.photos.grid.photo_count() == 16
    assert "Demo patient created" in window.status_label.text()
    # asking again opens the existing patient instead of failing
    window.show_home()
    window.commands["demo"].trigger()
    assert window.workspace.patient.mrn == demo.DEMO_MRN
    assert len(records.list_patients(library)) == 1


def test_pages_shortcuts_and_back(qtbot, demo_library, make_window):
    window = make_window(demo_library)
    window.open_patient(records.patient_by_mrn(demo_library, demo.DEMO_MRN))
    with qtbot.waitActive(window):
        window.activateWindow()  # window shortcuts fire only in the active window
    assert window.current_page() == "timeline"
    for key, page in ((Qt.Key.Key_2, "photos"), (Qt.Key.Key_4, "progress"),
                      (Qt.Key.Key_3, "compare"), (Qt.Key.Key_1, "timeline")):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == page
        assert window.commands[f"page_{page}"].isChecked()
    # the compare and progress pages are the real views, not placeholders
    assert type(window.workspace.pages["compare"]).__name__ == "CompareView"
    assert type(window.workspace.pages["progress"]).__name__ == "ProgressView"
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.current_page() == "patients"


def test_every_shortcut_is_unique(library, make_window):
    window = make_window(library)
    keys = [a.shortcut().toString() for a in window.commands.values() if not a.shortcut()
            .isEmpty()]
    assert len(keys) == len(set(keys)) >= 15
    assert window.commands["import"].shortcut() == QKeySequence("Ctrl+I")


def test_about_box_names_the_version(library, make_window):
    from hairtrack import __version__

    window = make_window(library)
    window.commands["about"].trigger()
    box = window.dialog
    assert isinstance(box, QMessageBox)
    assert __version__ in box.text()
    box.close()
    window.commands["shortcuts"].trigger()
    table = window.dialog
    assert isinstance(table, QMessageBox)
    assert "Import photos" in table.text() and "Ctrl+I" in table.text()
    table.close()


def test_window_geometry_is_restored(qtbot, library, app_settings):
    runner = TaskRunner(synchronous=True)
    try:
        first = MainWindow(AppContext(library, runner), app_settings)
        qtbot.addWidget(first)
        first.resize(761, 533)  # fits the offscreen screen (800x600)
        first.show()
        first.close()
        assert app_settings.window_state("geometry") is not None
        second = MainWindow(AppContext(library, runner), app_settings)
        qtbot.addWidget(second)
        assert (second.width(), second.height()) == (761, 533)
        second.close()
    finally:
        runner.shutdown()
    assert isinstance(app_settings.window_state("geometry"), QByteArray)


def test_analysis_after_import_runs_in_background_and_refreshes(qtbot, demo_library,
                                                                make_window, monkeypatch):
    """The wiring, with a stand-in analysis service (the real one is tested in core)."""
    import sys
    import types

    from hairtrack.core.progress import Progress

    calls: list[int] = []

    def analyze_patient(library, patient_id, *, force=False, cancel=None, **_):
        calls.append(patient_id)
        for done in range(3):
            yield Progress(done, 3, f"photo {done}")
        return types.SimpleNamespace(analysed=(1, 2, 3), unchanged=(), refused=(4,), failed=(),
                                     cancelled=False)

    fake = types.ModuleType("hairtrack.core.services.analysis")
    fake.analyze_patient = analyze_patient  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hairtrack.core.services.analysis", fake)
    import hairtrack.core.services as services

    monkeypatch.setattr(services, "analysis", fake, raising=False)
    monkeypatch.setattr(analysis_process, "IN_SUBPROCESS", False)  # the fake lives here
    window = make_window(demo_library)
    window.settings.analyse_after_import = True
    refreshed: list[int] = []
    window.context.measurementsChanged.connect(refreshed.append)
    dialog = window.import_files([sorted(PHOTOS.glob("*.jpg"))[10]])
    assert dialog is not None
    dialog.start()
    patient_id = dialog.patient_id()
    assert calls == [patient_id]
    assert refreshed == [patient_id]
    assert "Analysed 3 photos" in window.status_label.text()
    assert "1 could not be aligned" in window.status_label.text()
    assert not window.indicator.isVisible()


def test_export_report_opens_the_report_dialog(qtbot, demo_library, make_window):
    window = make_window(demo_library)
    window.open_patient(records.patient_by_mrn(demo_library, demo.DEMO_MRN), "timeline")
    action = window.commands["report"]
    assert action.isEnabled()
    action.trigger()
    dialog = window.dialog
    assert type(dialog).__name__ == "ReportDialog"
    assert dialog.isVisible()
    dialog.close()


def test_closing_import_dialog_while_importing_still_refreshes(qtbot, demo_library,
                                                                make_window):
    """Cancel by closing: the files done so far stay imported and the window hears of it."""
    window = make_window(demo_library)
    window.settings.analyse_after_import = False
    dialog = window.import_files(sorted(PHOTOS.glob("*.jpg"))[:4])
    assert dialog is not None
    original = dialog._progress

    def close_midway(step) -> None:
        original(step)
        if step.done == 1:
            dialog.reject()

    dialog._progress = close_midway  # type: ignore[method-assign]
    dialog.start()
    assert dialog.report is not None and dialog.report.cancelled
    assert len(dialog.report.imported) == 1
    assert window.current_page() == "photos"
    assert window.workspace.photos.grid.photo_count() == 17


def test_analysis_runs_in_a_child_process(library):
    """The real child process: protocol, report and its database access (no photos: fast)."""
    from hairtrack.core.progress import run_task

    patient = records.add_patient(library, "AN-1", "Empty, Record")
    steps = []
    report = run_task(analysis_process.analyse_in_subprocess(library, patient.id),
                      steps.append)
    assert isinstance(report, analysis_process.ChildReport)
    assert report.analysed == () and not report.cancelled
    assert steps and steps[0].total == 0


def test_import_dialog_edits_rows_and_lists_missing_files(qtbot, tmp_path, demo_library,
                                                           make_window):
    from datetime import datetime, timezone

    from PySide6.QtWidgets import QComboBox, QDateTimeEdit

    from hairtrack.ui.import_table import CAPTURED, VISIT

    window = make_window(demo_library)
    patient = records.patient_by_mrn(demo_library, demo.DEMO_MRN)
    window.open_patient(patient)
    photo = sorted(PHOTOS.glob("*.jpg"))[20]
    dialog = window.import_files([photo, tmp_path / "gone.jpg"])
    assert [r["state"] for r in dialog.rows] == ["pending", "rejected"]
    assert "no such file" in dialog.rows[1]["result"]
    # typing the capture time of an old visit proposes that visit
    first_visit = records.patient_record(demo_library, patient.id).visits[0]
    moment = first_visit.visited_at.astimezone().replace(hour=11)
    delegate = dialog.table.itemDelegate()
    editor = delegate.createEditor(dialog.table.viewport(), None,
                                   dialog.table.model().index(0, CAPTURED))
    assert isinstance(editor, QDateTimeEdit)
    from PySide6.QtCore import QDateTime

    editor.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp())))
    delegate.setModelData(editor, dialog.table.model(), dialog.table.model().index(0, CAPTURED))
    assert dialog.rows[0]["visit"] == ("visit", first_visit.id)
    assert dialog.rows[0]["typed"]
    combo = delegate.createEditor(dialog.table.viewport(), None,
                                  dialog.table.model().index(0, VISIT))
    assert isinstance(combo, QComboBox) and combo.count() >= 4  # the patient's visits
    dialog.start()
    imported = dialog.report.imported[0].photo
    assert imported.visit_id == first_visit.id
    assert abs(imported.captured_at - moment.astimezone(timezone.utc)).total_seconds() < 60
    assert imported.capture_source.value == "manual"
    assert datetime.now(timezone.utc) > imported.captured_at

"""The report dialog, driven like a user: options, file name, export, refusal, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pdf_reading import page_texts
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox
from pytestqt.qtbot import QtBot

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.report import deidentify
from hairtrack.settings import ClinicDetails, Settings
from hairtrack.ui import messages
from hairtrack.ui.context import AppContext
from hairtrack.ui.report_dialog import ReportDialog
from hairtrack.ui.tasks import TaskRunner


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(path=tmp_path / "settings.ini")
    s.clinic = ClinicDetails("Keller Hair Clinic", None, "Dr. M. Keller", "Letter")
    return s


def _dialog(qtbot: QtBot, library: Library, patient_id: int, settings: Settings,
            runner: TaskRunner) -> ReportDialog:
    context = AppContext(library, runner)
    dialog = ReportDialog(context, patient_id, settings=settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


@pytest.fixture
def sync_dialog(qtbot: QtBot, fake_copy: tuple[Library, int],
                settings: Settings) -> Iterator[ReportDialog]:
    library, patient_id = fake_copy
    runner = TaskRunner(synchronous=True)
    dialog = _dialog(qtbot, library, patient_id, settings, runner)
    yield dialog
    dialog.close()
    runner.shutdown()


def _click_box(qtbot: QtBot, box: QCheckBox) -> None:
    """Click the box itself: a check box ignores clicks beside its label."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def _type_path(qtbot: QtBot, dialog: ReportDialog, path: Path) -> None:
    dialog.form.path.clear()
    qtbot.keyClicks(dialog.form.path, str(path))


def test_options_come_from_the_record_and_settings(sync_dialog: ReportDialog,
                                                   qtbot: QtBot) -> None:
    dialog = sync_dialog
    assert list(dialog.form.view_boxes) == [View.VERTEX, View.FRONTAL, View.MID_SCALP,
                                       View.OCCIPITAL]
    assert all(box.isChecked() for box in dialog.form.view_boxes.values())
    assert dialog.form.paper.currentText() == "Letter"
    assert not dialog.form.date_from.isEnabled()
    _click_box(qtbot, dialog.form.limit)
    assert dialog.form.date_from.isEnabled() and dialog.form.date_to.isEnabled()
    assert dialog.form.date_from.date().toPython() == date(2025, 11, 3)
    _click_box(qtbot, dialog.form.view_boxes[View.FRONTAL])
    _click_box(qtbot, dialog.form.strip)
    options = dialog.options()
    assert options.views == (View.VERTEX, View.MID_SCALP, View.OCCIPITAL)
    assert options.date_from == date(2025, 11, 3) and options.date_to is not None
    assert not options.include_strip and options.include_overlays
    assert options.paper == "Letter"


def test_deidentified_file_name_carries_only_the_code(sync_dialog: ReportDialog,
                                                      qtbot: QtBot) -> None:
    dialog = sync_dialog
    assert "DEMO-001" in Path(dialog.form.path.text()).name
    assert "Alex Demo" in dialog.subtitle.text()
    _click_box(qtbot, dialog.form.deidentify)
    code = deidentify.pseudonym(dialog.context.library.root, "DEMO-001")
    name = Path(dialog.form.path.text()).name
    assert code in name and "DEMO" not in name and "Alex" not in name
    assert dialog.subtitle.text() == f"De-identified as {code}"
    _click_box(qtbot, dialog.form.deidentify)
    assert "DEMO-001" in Path(dialog.form.path.text()).name


def test_export_writes_the_report_and_reports_back(sync_dialog: ReportDialog, qtbot: QtBot,
                                                   tmp_path: Path) -> None:
    dialog = sync_dialog
    out = tmp_path / "dialog.pdf"
    _type_path(qtbot, dialog, out)
    with qtbot.waitSignal(dialog.context.statusMessage, timeout=60_000) as signal:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert signal.args == [f"Report saved to {out}"]
    assert out.exists()
    assert dialog.report_result is not None and dialog.report_result.pages == 7
    assert dialog.status.text().startswith("Saved dialog.pdf: 7 pages")
    assert dialog.progress.value() == 100
    assert dialog.open_button.isVisibleTo(dialog)
    assert dialog.export_button.isEnabled()
    assert "Keller Hair Clinic" in page_texts(out)[0]


def test_deidentified_export_refuses_a_name_with_the_mrn(sync_dialog: ReportDialog,
                                                         qtbot: QtBot, tmp_path: Path) -> None:
    dialog = sync_dialog
    _click_box(qtbot, dialog.form.deidentify)
    _type_path(qtbot, dialog, tmp_path / "report DEMO-001.pdf")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.error.isVisibleTo(dialog)
    assert "name or MRN" in dialog.error.text()
    assert not list(tmp_path.glob("*.pdf"))
    _type_path(qtbot, dialog, tmp_path / "anonymous.pdf")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "anonymous.pdf").exists()
    assert "DEMO-001" not in " ".join(page_texts(tmp_path / "anonymous.pdf"))


def test_replacing_an_existing_file_asks_first(sync_dialog: ReportDialog, qtbot: QtBot,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = sync_dialog
    out = tmp_path / "exists.pdf"
    out.write_bytes(b"old")
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda *args: asked.append(args[2]) or False)
    _type_path(qtbot, dialog, out)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert asked and "exists.pdf" in asked[0]
    assert out.read_bytes() == b"old"


def test_cancel_stops_a_background_export(qtbot: QtBot, fake_copy: tuple[Library, int],
                                          settings: Settings, tmp_path: Path) -> None:
    library, patient_id = fake_copy
    runner = TaskRunner()
    try:
        dialog = _dialog(qtbot, library, patient_id, settings, runner)
        qtbot.waitUntil(lambda: bool(dialog.form.view_boxes), timeout=30_000)
        out = tmp_path / "cancelled.pdf"
        _type_path(qtbot, dialog, out)

        def cancel_once_running(value: int) -> None:
            if value > 0 and dialog.cancel_button.isEnabled():
                assert dialog.cancel_button.text() == "Cancel"
                qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

        dialog.progress.valueChanged.connect(cancel_once_running)
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "cancelled" in dialog.status.text(), timeout=60_000)
        assert dialog.report_result is None
        assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*partial"))
        assert dialog.export_button.isEnabled()
        assert dialog.cancel_button.text() == "Close"
        dialog.close()
    finally:
        runner.shutdown()

"""Settings: the dialog writes QSettings, and a new Settings object reads the same values."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QDialogButtonBox

from hairtrack.core.domain import View
from hairtrack.core.services import demo, records
from hairtrack.settings import Settings
from hairtrack.ui.settings_dialog import SettingsDialog


def test_dialog_values_persist(qtbot, tmp_path: Path):
    path = tmp_path / "settings.ini"
    settings = Settings(path=path)
    assert settings.default_view == View.VERTEX and settings.analyse_after_import
    dialog = SettingsDialog(settings, tmp_path / "library")
    qtbot.addWidget(dialog)
    logo = tmp_path / "logo.png"
    image = QImage(120, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("#1a6fa3"))
    image.save(str(logo))
    dialog.library.setText(str(tmp_path / "elsewhere"))
    qtbot.keyClicks(dialog.clinic_name, "Northside Hair Clinic")
    qtbot.keyClicks(dialog.clinician, "Dr. A. Rossi")
    dialog.logo.setText(str(logo))
    assert dialog.logo_preview.pixmap() is not None and not dialog.logo_preview.pixmap().isNull()
    dialog.paper.setCurrentText("Letter")
    dialog.default_view.setCurrentIndex(dialog.default_view.findData(View.FRONTAL.value))
    dialog.analyse.setChecked(False)
    assert dialog.library_changed()
    dialog.accept()

    again = Settings(path=path)  # a fresh QSettings reads the file
    clinic = again.clinic
    assert (clinic.clinic_name, clinic.clinician, clinic.paper) == (
        "Northside Hair Clinic", "Dr. A. Rossi", "Letter")
    assert clinic.clinic_logo == logo
    assert again.default_view == View.FRONTAL
    assert again.analyse_after_import is False
    assert again.library_path == str(tmp_path / "elsewhere")

    reopened = SettingsDialog(again, tmp_path / "elsewhere")
    qtbot.addWidget(reopened)
    assert reopened.clinic_name.text() == "Northside Hair Clinic"
    assert reopened.default_view.currentData() == View.FRONTAL.value
    assert not reopened.analyse.isChecked()
    assert not reopened.library_changed()


def test_cancel_changes_nothing(qtbot, tmp_path: Path):
    settings = Settings(path=tmp_path / "s.ini")
    dialog = SettingsDialog(settings, tmp_path)
    qtbot.addWidget(dialog)
    dialog.clinic_name.setText("Not saved")
    dialog.reject()
    assert Settings(path=tmp_path / "s.ini").clinic.clinic_name == ""


def test_settings_action_opens_dialog_and_clinician_is_default(qtbot, demo_library,
                                                              make_window):
    window = make_window(demo_library)
    window.commands["settings"].trigger()
    dialog = window.dialog
    assert isinstance(dialog, SettingsDialog)
    dialog.clinician.setText("Dr. Default")
    box = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert "Settings saved" in window.status_label.text()
    window.open_patient(records.patient_by_mrn(demo_library, demo.DEMO_MRN), "timeline")
    window.workspace.timeline.add_treatment()
    assert window.workspace.timeline.dialog.clinician.text() == "Dr. Default"

"""Preferences: library location, clinic details for reports, import and analysis defaults.

Values are written to `Settings` (QSettings) only when the user saves; a new
library location takes effect the next time HairTrack starts, because every
open view holds the current library.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import View
from hairtrack.settings import PAPER_SIZES, ClinicDetails, Settings
from hairtrack.ui import forms
from hairtrack.ui.icons import icon


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, current_library: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setMinimumWidth(560)
        self.settings = settings
        self.current_library = current_library

        self.library = QLineEdit(settings.library_path or (str(current_library)
                                                           if current_library else ""))
        self.library.setPlaceholderText("Default location")
        browse_library = QPushButton(icon("folder"), "Browse…")
        browse_library.clicked.connect(self._browse_library)
        library_row = QHBoxLayout()
        library_row.addWidget(self.library, 1)
        library_row.addWidget(browse_library)
        self.library_note = QLabel("A new location is used the next time HairTrack starts.")
        self.library_note.setObjectName("muted")
        library_box = QGroupBox("Library")
        library_form = forms.prepare(QFormLayout(library_box))
        labels = [forms.add_row(library_form, "Location", library_row)]
        library_form.addRow("", self.library_note)

        clinic = settings.clinic
        self.clinic_name = QLineEdit(clinic.clinic_name)
        self.clinic_name.setPlaceholderText("Shown at the top of every report")
        self.clinician = QLineEdit(clinic.clinician)
        self.clinician.setPlaceholderText("Default clinician for new treatments and reports")
        self.logo = QLineEdit(str(clinic.clinic_logo) if clinic.clinic_logo else "")
        self.logo.setPlaceholderText("PNG or JPEG")
        self.logo.textChanged.connect(self._show_logo)
        browse_logo = QPushButton(icon("folder"), "Browse…")
        browse_logo.clicked.connect(self._browse_logo)
        self.logo_preview = QLabel()
        self.logo_preview.setFixedSize(QSize(120, 48))
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setObjectName("logoPreview")
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo, 1)
        logo_row.addWidget(browse_logo)
        self.paper = QComboBox()
        self.paper.addItems(list(PAPER_SIZES))
        self.paper.setCurrentText(clinic.paper)
        clinic_box = QGroupBox("Clinic and reports")
        clinic_form = forms.prepare(QFormLayout(clinic_box))
        labels += [forms.add_row(clinic_form, "Clinic name", self.clinic_name),
                   forms.add_row(clinic_form, "Clinician", self.clinician),
                   forms.add_row(clinic_form, "Logo", logo_row)]
        clinic_form.addRow("", self.logo_preview)
        labels.append(forms.add_row(clinic_form, "Paper size", self.paper))

        self.default_view = QComboBox()
        for view in View:
            self.default_view.addItem(view.label, view.value)
        self.default_view.setCurrentIndex(self.default_view.findData(settings.default_view.value))
        self.analyse = QCheckBox("Analyse new photos right after importing them")
        self.analyse.setChecked(settings.analyse_after_import)
        analysis_box = QGroupBox("Import and analysis")
        analysis_form = forms.prepare(QFormLayout(analysis_box))
        labels.append(forms.add_row(analysis_form, "Default view", self.default_view))
        analysis_form.addRow("", self.analyse)
        width = max(label.sizeHint().width() for label in labels)  # one label column for all
        for label in labels:
            label.setMinimumWidth(width)
        for form in (library_form, clinic_form, analysis_form):
            for row in range(form.rowCount()):
                item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                spacer = item.widget() if item is not None else None
                if spacer is not None and spacer not in labels:
                    spacer.setMinimumWidth(width)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(14)
        layout.addWidget(library_box)
        layout.addWidget(clinic_box)
        layout.addWidget(analysis_box)
        layout.addWidget(buttons)
        self._show_logo(self.logo.text())

    def _browse_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder", self.library.text())
        if folder:
            self.library.setText(folder)

    def _browse_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Clinic logo", self.logo.text(),
                                              "Images (*.png *.jpg *.jpeg *.svg)")
        if path:
            self.logo.setText(path)

    def _show_logo(self, text: str) -> None:
        image = QPixmap(text) if text.strip() else QPixmap()
        if image.isNull():
            self.logo_preview.setText("No logo" if not text.strip() else "Cannot read image")
            return
        self.logo_preview.setPixmap(image.scaled(self.logo_preview.size(),
                                                 Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation))

    def library_changed(self) -> bool:
        chosen = self.library.text().strip()
        return bool(chosen) and (self.current_library is None
                                 or Path(chosen).expanduser() != self.current_library)

    def save(self) -> None:
        library = self.library.text().strip()
        current = str(self.current_library) if self.current_library else ""
        if library != current or self.settings.library_path:
            self.settings.library_path = library
        logo = self.logo.text().strip()
        self.settings.clinic = ClinicDetails(self.clinic_name.text().strip(),
                                             Path(logo) if logo else None,
                                             self.clinician.text().strip(),
                                             self.paper.currentText())
        self.settings.default_view = View(self.default_view.currentData())
        self.settings.analyse_after_import = self.analyse.isChecked()

    def accept(self) -> None:
        self.save()
        super().accept()

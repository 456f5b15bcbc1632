"""What an empty library shows: how to start, and a demo patient to explore.

Creating the demo renders and imports 32 photos, which takes a while: it runs
in the background with its progress here and can be cancelled.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.progress import Progress
from hairtrack.ui.icons import app_icon, icon


class WelcomePage(QWidget):
    importRequested = Signal()
    demoRequested = Signal()
    newPatientRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(QSize(72, 72)))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Welcome to HairTrack")
        title.setObjectName("welcomeTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel("Objective, repeatable scalp-photo evidence. Photos are aligned to each "
                      "view's baseline and hair coverage is measured in the same region at "
                      "every visit.\n\nYour library is empty. Start with a patient of your own "
                      "or explore the demo patient.")
        text.setObjectName("welcomeText")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.import_button = QPushButton(icon("import", "#ffffff"), "Import photos…")
        self.import_button.setObjectName("primaryButton")
        self.import_button.setToolTip("Import photos of a patient (Ctrl+I); you can also drag "
                                      "files or folders onto this window")
        self.import_button.clicked.connect(self.importRequested)
        self.new_button = QPushButton(icon("patient-add"), "New patient…")
        self.new_button.clicked.connect(self.newPatientRequested)
        self.demo_button = QPushButton(icon("demo"), "Open the demo patient")
        self.demo_button.setToolTip("Create a fictional patient with a 12-month treatment "
                                    "course and 32 photos")
        self.demo_button.clicked.connect(self.demoRequested)
        for button in (self.import_button, self.new_button, self.demo_button):
            button.setMinimumHeight(38)
            button.setIconSize(QSize(18, 18))
        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)

        self.progress_label = QLabel()
        self.progress_label.setObjectName("muted")
        self.progress_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(self.cancelRequested)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        box_layout = QVBoxLayout(self.progress_box)
        box_layout.setContentsMargins(0, 8, 0, 0)
        box_layout.addWidget(self.progress_label)
        box_layout.addLayout(progress_row)
        self.progress_box.hide()

        drop = QLabel("Drop photos or folders anywhere on this window to import them.")
        drop.setObjectName("dropHint")
        drop.setAlignment(Qt.AlignmentFlag.AlignCenter)

        card = QFrame()
        card.setObjectName("welcomeCard")
        card.setMaximumWidth(640)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(44, 40, 44, 36)
        inner.setSpacing(16)
        inner.addWidget(logo)
        inner.addWidget(title)
        inner.addWidget(text)
        inner.addSpacing(8)
        inner.addLayout(buttons)
        inner.addWidget(self.progress_box)
        inner.addSpacing(6)
        inner.addWidget(drop)

        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 4)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def set_busy(self, busy: bool, label: str = "") -> None:
        for button in (self.import_button, self.new_button, self.demo_button):
            button.setEnabled(not busy)
        self.progress_box.setVisible(busy)
        self.progress.setRange(0, 0)
        self.progress_label.setText(label)

    def set_progress(self, step: Progress) -> None:
        self.progress.setRange(0, max(1, step.total))
        self.progress.setValue(step.done)
        if step.label:
            self.progress_label.setText(f"Creating the demo patient: {step.label}")

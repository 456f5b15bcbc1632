"""The status bar's view of long background work: what runs, how far, and Cancel.

Several tasks may run at once (an analysis while thumbnails load); the
indicator follows the most recently started tracked task and falls back to
the one before it when that finishes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from hairtrack.core.progress import Progress
from hairtrack.ui.icons import icon
from hairtrack.ui.tasks import TaskHandle


class TaskIndicator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taskIndicator")
        self.label = QLabel()
        self.label.setMinimumWidth(240)  # "Analysing photos: 12 of 300" must not be cut
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setFixedHeight(8)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("cancel"))
        self.cancel_button.setToolTip("Cancel")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(8)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._tracked: list[tuple[TaskHandle, str, Progress | None]] = []
        self.hide()

    def track(self, handle: TaskHandle, label: str) -> None:
        if handle.finished:
            return
        self._tracked.append((handle, label, None))
        self._show()

    def progress(self, handle: TaskHandle, step: Progress) -> None:
        self._tracked = [(h, label, step if h is handle else p) for h, label, p in self._tracked]
        self._show()

    def finished(self, handle: TaskHandle) -> None:
        self._tracked = [t for t in self._tracked if t[0] is not handle]
        self._show()

    def cancel(self) -> None:
        if self._tracked:
            handle, label, _step = self._tracked[-1]
            handle.cancel()
            self.label.setText(f"Cancelling {label.lower()}…")
            self.cancel_button.setEnabled(False)

    @property
    def current(self) -> TaskHandle | None:
        return self._tracked[-1][0] if self._tracked else None

    def _show(self) -> None:
        self._tracked = [t for t in self._tracked if not t[0].finished]
        if not self._tracked:
            self.hide()
            return
        handle, label, step = self._tracked[-1]
        if handle.token.cancelled:
            return
        self.cancel_button.setEnabled(True)
        if step is None or step.total <= 0:
            self.bar.setRange(0, 0)
            self.label.setText(f"{label}…")
        else:
            self.bar.setRange(0, step.total)
            self.bar.setValue(step.done)
            self.label.setText(f"{label}: {step.done} of {step.total}")
        self.show()

"""The shape every edit dialog shares: a form, a place for refusals, Save and Cancel.

A dialog only collects and checks its fields and emits `submitted`; the caller
saves through the writer and then calls `accept()`, or `show_error()` so the
dialog stays open with what the user typed. An edit made on a copy another
desktop has changed since is refused by the core; `reload_from` then fills the
form with the current version (and its row version, so the next save can go
through) and lists what the user had entered, so they can make their change
again: nothing is overwritten, and nothing typed disappears unseen.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from hairtrack.ui import formatting as fmt
from hairtrack.ui import forms


class FormDialog(QDialog):
    submitted = Signal(object)  # the dialog's fields, checked
    #: (field name, label) pairs, for the list of entries a reload replaced.
    FIELD_LABELS: tuple[tuple[str, str], ...] = ()

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.form = forms.prepare(QFormLayout())
        self.notice = QLabel()
        self.notice.setObjectName("warningBox")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.setEnabled(True)
        self._fit()

    def _fit(self) -> None:
        """Grow to show a message that appeared; the buttons must stay in sight."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def _check(self) -> None:
        message = self.problem()
        if message:
            self.show_error(message)
            return
        self.setEnabled(False)  # until the caller saved (accept) or refused (show_error)
        self.submitted.emit(self.fields())

    def problem(self) -> str:
        """Why the fields cannot be saved yet ("" when they can)."""
        return ""

    def fields(self) -> object:
        raise NotImplementedError

    def load(self, record: object) -> None:
        """Fill the form from `record` and edit that version of it from now on."""
        raise NotImplementedError

    def reload_from(self, record: object) -> None:
        """Show the current version; say which of the user's entries it replaced."""
        mine = self.fields()
        self.load(record)
        self.error.hide()
        self.setEnabled(True)
        lost = differences(mine, self.fields(), self.FIELD_LABELS)
        if lost:
            self.notice.setText("This form now shows the version saved on the other desktop. "
                                f"Your entries, not saved: {lost}. Make your change again "
                                "and save.")
        else:
            self.notice.setText("This form now shows the version saved on the other desktop; "
                                "it already holds everything you had entered.")
        self.notice.show()
        self._fit()


def differences(mine: object, current: object, labels: tuple[tuple[str, str], ...]) -> str:
    """'Name: “Vera V.”; Notes: (empty)' for the labelled fields where `mine` differs."""
    parts = []
    for name, label in labels:
        value = getattr(mine, name)
        if value != getattr(current, name):
            parts.append(f"{label}: {_show(value)}")
    return "; ".join(parts)


def _show(value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, datetime):
        return fmt.moment(value)
    if isinstance(value, date):
        return fmt.day(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return f"“{value}”"

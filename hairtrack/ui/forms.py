"""Form rows whose labels line up with the first line of their field.

QFormLayout aligns a label's top with its field's top, which leaves the text
a few pixels above the text of a padded line edit. Each label here is as tall
as a one-line field with its text centred, and sits at the top of its row: it
lines up with single-line fields and with the first line of a text box.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QLayout, QLineEdit, QWidget

_LINE_HEIGHT: list[int] = []


def line_height() -> int:
    if not _LINE_HEIGHT:
        probe = QLineEdit()
        probe.ensurePolished()
        _LINE_HEIGHT.append(max(24, probe.sizeHint().height()))
        probe.deleteLater()
    return _LINE_HEIGHT[0]


def prepare(form: QFormLayout, *, right: bool = True) -> QFormLayout:
    horizontal = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
    form.setLabelAlignment(horizontal | Qt.AlignmentFlag.AlignTop)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(8)
    return form


def add_row(form: QFormLayout, text: str, field: QWidget | QLayout, *,
            right: bool = True) -> QLabel:
    label = QLabel(text)
    label.setMinimumHeight(line_height())
    horizontal = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
    label.setAlignment(horizontal | Qt.AlignmentFlag.AlignVCenter)
    if isinstance(field, QWidget):
        label.setBuddy(field)
    form.addRow(label, field)
    return label

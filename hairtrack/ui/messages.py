"""Message boxes behind one seam, so tests can answer them without a modal loop.

Views call `messages.confirm(...)` (module attribute, not an imported name) so a
test can monkeypatch the answer.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget | None, title: str, text: str, action: str = "Delete") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    ok = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is ok


def warn(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """Window-modal but non-blocking: background results keep arriving meanwhile."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def warner(parent: QWidget | None, title: str) -> Callable[[Exception], None]:
    """An `on_error` callback that shows the failure to the user."""

    def show(exc: Exception) -> None:
        warn(parent, title, error_text(exc))

    return show


def error_text(exc: BaseException) -> str:
    """What a clinician can act on: the service's message, not a traceback."""
    text = str(exc).strip()
    return text or type(exc).__name__


CHANGED_ELSEWHERE = "Changed on another desktop"


def changed_elsewhere(parent: QWidget | None, text: str,
                      on_reload: Callable[[], None]) -> QMessageBox:
    """A save refused because another desktop changed the record first; offer a reload.

    Window-modal but non-blocking, like `warn`; Reload calls `on_reload`.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, CHANGED_ELSEWHERE, _sentence(text),
                      parent=parent)
    box.setInformativeText("Nothing was saved. Reload shows the current version.")
    reload = box.addButton("Reload", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.setDefaultButton(reload)
    box.buttonClicked.connect(lambda button: on_reload() if button is reload else None)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")

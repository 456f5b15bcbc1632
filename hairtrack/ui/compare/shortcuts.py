"""The comparison page's keyboard: step visits, zoom, and drive the editing tools.

Kept apart from the page so the whole key map reads in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

if TYPE_CHECKING:
    from hairtrack.ui.compare.compare_view import CompareView

#: Zoom factor of one key press or toolbar click.
ZOOM_STEP = 1.25


def handle_key(page: CompareView, event: QKeyEvent) -> bool:
    """Act on `event` if it is one of the page's keys; False leaves it to Qt."""
    key, editing = event.key(), page.editing
    if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
        page.step_visit(-1 if key == Qt.Key.Key_Left else 1)
    elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
        page.sync.zoom_by(ZOOM_STEP)
    elif key == Qt.Key.Key_Minus:
        page.sync.zoom_by(1 / ZOOM_STEP)
    elif key in (Qt.Key.Key_0, Qt.Key.Key_F):
        page.sync.fit()
    elif key == Qt.Key.Key_1:
        page.sync.actual_size()
    elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and editing.tool == "region":
        editing.region.delete_selected()
    elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and editing.tool == "region":
        editing.region.close_polygon()
    elif event.matches(QKeySequence.StandardKey.Undo) and editing.tool == "landmarks":
        editing.landmarks.undo()
    elif key == Qt.Key.Key_Escape and editing.tool is not None:
        editing.set_tool(None)
    else:
        return False
    return True

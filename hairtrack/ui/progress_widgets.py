"""The small parts of the progress page: view toggles, the empty state, banners.

Kept out of `progress_view` so that module holds only the page's behaviour:
loading, redrawing, clicks and the analysis it starts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import View
from hairtrack.core.progress import Progress
from hairtrack.ui.chart_style import view_colour
from hairtrack.ui.icons import Colours, icon, pixmap


def _dot(colour: str, filled: bool, size: int = 12) -> QPixmap:
    image = QPixmap(size * 2, size * 2)  # drawn at 2x so it stays crisp on HiDPI screens
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(colour), 3))
    painter.setBrush(QColor(colour) if filled else QColor("white"))
    painter.drawEllipse(3, 3, size * 2 - 6, size * 2 - 6)
    painter.end()
    image.setDevicePixelRatio(2.0)
    return image


class ViewToggle(QToolButton):
    """Shows or hides one view's line; a filled dot in the view's colour when shown."""

    def __init__(self, view: View, shown: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setObjectName("viewToggle")
        self.setText(view.label)
        self.setCheckable(True)
        self.setChecked(shown)
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        states = QIcon()
        states.addPixmap(_dot(view_colour(view), True), QIcon.Mode.Normal, QIcon.State.On)
        states.addPixmap(_dot(view_colour(view), False), QIcon.Mode.Normal, QIcon.State.Off)
        self.setIcon(states)
        self.setToolTip(f"Show or hide {view.label} on the chart")


class EmptyState(QWidget):
    """A calm explanation instead of an empty chart, with the action that fixes it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.text = QLabel()
        self.text.setObjectName("muted")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # the default button is drawn in the accent colour by the style sheet: a white icon
        self.button = QPushButton(icon("analyse", "#ffffff"), "Analyse now")
        self.button.setObjectName("analyseNow")
        self.button.setDefault(True)
        inner = QWidget()
        inner.setMaximumWidth(520)
        column = QVBoxLayout(inner)
        column.setSpacing(8)
        column.addWidget(self.icon)
        column.addWidget(self.title)
        column.addWidget(self.text)
        column.addSpacing(6)
        column.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(inner, 4)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addLayout(row)
        outer.addStretch(3)

    def set_message(self, title: str, text: str, icon_name: str, button: bool) -> None:
        self.icon.setPixmap(pixmap(icon_name, 48, Colours.FAINT))
        self.title.setText(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        self.button.setText("Analyse now")
        self.button.setVisible(button)


class Banner(QWidget):
    """A one-line warning above the chart, e.g. photos that have no number yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progressBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(f"QWidget#progressBanner {{ background: {Colours.WARNING_LIGHT};"
                           " border: 1px solid #f0d9a8; border-radius: 6px; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        sign = QLabel()
        sign.setPixmap(pixmap("warning", 18, Colours.WARNING))
        self.button = QPushButton(icon("analyse"), "Analyse now")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(sign)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)


class AnalysisProgress(QWidget):
    """A progress bar and a Cancel button for the analysis this page started."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setMaximumHeight(18)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)

    def start(self) -> None:
        self.bar.setRange(0, 0)  # busy until the service says how many photos
        self.bar.setFormat("Preparing analysis\u2026")
        self.cancel_button.setEnabled(True)
        self.show()

    def step(self, progress: Progress) -> None:
        self.bar.setRange(0, max(1, progress.total))
        self.bar.setValue(progress.done)
        self.bar.setFormat(f"Analysing photos: {progress.done} of {progress.total}")

    def cancelling(self) -> None:
        self.bar.setFormat("Cancelling\u2026")
        self.cancel_button.setEnabled(False)

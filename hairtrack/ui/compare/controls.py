"""The comparison page's controls: toolbar, mode sliders, legend, alignment bar, pane frames.

Layout only: the page (compare_view.py) connects these widgets to its logic.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hairtrack.ui.compare import modes
from hairtrack.ui.compare.image_pane import ImagePane
from hairtrack.ui.compare.modes import Mode

STYLE = """
#compareToolbar QToolButton { padding: 4px 10px; }
QToolButton[segment="true"] { border: 1px solid #b9c0c8; background: #f7f8fa; margin: 0px; }
QToolButton[segment="true"]:checked { background: #2f6fb5; color: white; border-color: #2f6fb5; }
QToolButton[segment="true"]:disabled { color: #a4abb3; }
#comparePaneFrame { background: #25282c; border: 1px solid #cfd5db; border-radius: 4px; }
#comparePaneTitle { color: #ffffff; font-weight: 600; }
#comparePaneDetail { color: #c5cad1; }
#comparePaneWarning { color: #ffc857; }
#comparePaneHeader { background: #31353a; border-top-left-radius: 4px;
                     border-top-right-radius: 4px; }
#compareBanner { background: #fff4d6; border: 1px solid #e2b33c; border-radius: 4px; }
#compareBanner[severity="error"] { background: #fde8e8; border-color: #d9534f; }
#compareBannerText { color: #3d2f00; }
#compareAlignment { color: #4a525b; }
#compareEditBar { background: #eef3f9; border: 1px solid #c4d4e6; border-radius: 4px; }
"""


def segment_button(text: str, tip: str = "") -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    button.setProperty("segment", True)
    button.setToolTip(tip)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    # a segment is read by its label: never let a narrow window elide it to "..."
    button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    return button


def tool_button(text: str, tip: str, icon: QStyle.StandardPixmap | None = None,
                checkable: bool = False) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setCheckable(checkable)
    if icon is not None:
        button.setIcon(button.style().standardIcon(icon))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return button


class Toolbar(QWidget):
    """View selector, comparison modes, display toggles, zoom, and the two editing tools."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareToolbar")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(QLabel("View"))
        self.view_combo = QComboBox()
        self.view_combo.setObjectName("compareViewCombo")
        self.view_combo.setMinimumContentsLength(14)
        self.view_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row.addWidget(self.view_combo)
        row.addSpacing(12)

        self.mode_group = QButtonGroup(self)
        self.mode_group.setExclusive(True)
        self.mode_buttons: dict[Mode, QToolButton] = {}
        tips = {Mode.SIDE_BY_SIDE: "Baseline and follow-up next to each other",
                Mode.BLEND: "Onion skin: the aligned follow-up over the baseline",
                Mode.WIPE: "A curtain between baseline (left) and aligned follow-up (right)",
                Mode.DIFFERENCE: "Where hair coverage grew or thinned since the baseline"}
        segments = QHBoxLayout()
        segments.setSpacing(0)
        for mode in Mode:
            button = segment_button(mode.label, tips[mode])
            button.setObjectName(f"compareMode-{mode.value}")
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            segments.addWidget(button)
        row.addLayout(segments)
        row.addSpacing(12)

        self.aligned_button = segment_button(
            "Aligned", "Show the follow-up warped onto the baseline (off: the original photo)")
        self.mask_button = segment_button("Hair mask", "Tint the pixels measured as hair")
        row.addWidget(self.aligned_button)
        row.addWidget(self.mask_button)
        row.addStretch(1)

        self.zoom_out = tool_button("−", "Zoom out (-)")
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_in = tool_button("+", "Zoom in (+)")
        self.fit_button = tool_button("Fit", "Fit the photo in the pane (0)")
        self.actual_button = tool_button("100%", "One screen pixel per baseline pixel (1)")
        for widget in (self.zoom_out, self.zoom_label, self.zoom_in, self.fit_button,
                       self.actual_button):
            row.addWidget(widget)
        # The editing tools sit on the alignment line below (`edit_tools`): one row holding
        # everything would not fit a 1280 px window without eliding the mode labels.
        self.edit_tools = QWidget()
        self.edit_tools.setObjectName("compareToolbar")  # same button padding
        tools = QHBoxLayout(self.edit_tools)
        tools.setContentsMargins(0, 0, 0, 0)
        tools.setSpacing(6)
        self.landmarks_button = tool_button(
            "Landmarks", "Set the alignment by clicking matching points in both photos",
            checkable=True)
        self.region_button = tool_button(
            "Edit region", "Draw the region of interest on the baseline", checkable=True)
        for button in (self.landmarks_button, self.region_button):
            button.setProperty("segment", True)  # checked = blue, like the mode buttons
            tools.addWidget(button)


class SliderBar(QWidget):
    """Baseline ... follow-up slider for blend and wipe."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.left = QLabel("Baseline")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("compareSlider")
        self.slider.setRange(0, 1000)
        self.slider.setValue(500)
        self.right = QLabel("Follow-up")
        self.value_label = QLabel("")
        self.value_label.setMinimumWidth(120)
        row.addWidget(self.left)
        row.addWidget(self.slider, 1)
        row.addWidget(self.right)
        row.addWidget(self.value_label)


class GradientSwatch(QWidget):
    """Loss colour -> transparent -> gain colour, as the heat map draws it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(180, 14)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        gradient = QLinearGradient(0, 0, self.width(), 0)
        grey = QColor(190, 190, 190)
        gradient.setColorAt(0.0, QColor(*modes.LOSS_RGB))
        gradient.setColorAt(0.42, grey)
        gradient.setColorAt(0.58, grey)
        gradient.setColorAt(1.0, QColor(*modes.GAIN_RGB))
        painter.fillRect(self.rect(), gradient)
        painter.setPen(QColor("#7b838c"))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))


class Legend(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareLegend")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Hair lost"))
        row.addWidget(GradientSwatch())
        row.addWidget(QLabel("Hair gained"))
        dark = QLabel("  ")
        dark.setFixedSize(18, 14)
        dark.setStyleSheet("background: #333; border: 1px solid #7b838c;")
        row.addSpacing(12)
        row.addWidget(dark)
        row.addWidget(QLabel("not compared"))
        row.addSpacing(12)
        self.summary = QLabel("")
        self.summary.setObjectName("compareLegendSummary")
        self.summary.setWordWrap(True)
        self.setToolTip("Local change of the hair masks, smoothed over a neighbourhood: a "
                        "visual aid to see where coverage changed. The measured coverage, "
                        "with its uncertainty, is in the pane header.")
        self.summary.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.summary, 1)


class Banner(QFrame):
    """A clear warning with an optional action."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareBanner")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(20, 20))
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        self.text = QLabel("")
        self.text.setObjectName("compareBannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.text, 1)
        self.landmarks = QPushButton("Set landmarks…")
        self.analyse = QPushButton("Analyse now")
        row.addWidget(self.landmarks)
        row.addWidget(self.analyse)

    def show_warning(self, text: str, severity: str = "warning", *, landmarks: bool = False,
                     analyse: bool = False) -> None:
        self.text.setText(text)
        self.setProperty("severity", severity)
        self.style().unpolish(self)
        self.style().polish(self)
        self.landmarks.setVisible(landmarks)
        self.analyse.setVisible(analyse)
        self.setVisible(bool(text))


class EditBar(QFrame):
    """Instructions, a live status and the buttons of one editing tool."""

    def __init__(self, instructions: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareEditBar")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.setSpacing(4)
        self.instructions = QLabel(instructions)
        self.instructions.setWordWrap(True)
        outer.addWidget(self.instructions)
        self.row = QHBoxLayout()
        self.status = QLabel("")
        self.status.setObjectName("compareEditStatus")
        self.row.addWidget(self.status, 1)
        outer.addLayout(self.row)

    def add_button(self, text: str, tip: str, icon: QStyle.StandardPixmap | None = None,
                   default: bool = False) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        if icon is not None:
            button.setIcon(self.style().standardIcon(icon))
        button.setDefault(default)
        self.row.addWidget(button)
        return button


class PaneFrame(QFrame):
    """A pane with its header: what photo it shows and what was measured on it."""

    def __init__(self, pane: ImagePane, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparePaneFrame")
        self.pane = pane
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        header = self.header = QWidget()
        header.setObjectName("comparePaneHeader")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        head = QVBoxLayout(header)
        head.setContentsMargins(10, 6, 10, 6)
        head.setSpacing(1)
        self.title = QLabel("")
        self.title.setObjectName("comparePaneTitle")
        self.detail = QLabel("")
        self.detail.setObjectName("comparePaneDetail")
        self.detail.setWordWrap(True)
        self.warning = QLabel("")
        self.warning.setObjectName("comparePaneWarning")
        # wrapped, so a long warning cannot widen its pane at the other photo's expense
        self.warning.setWordWrap(True)
        self.warning.setVisible(False)
        head.addWidget(self.title)
        head.addWidget(self.detail)
        head.addWidget(self.warning)
        head.addStretch(1)  # when the other pane's header is taller, stay at the top
        layout.addWidget(header)
        layout.addWidget(pane, 1)

    def set_text(self, title: str, detail: str, warnings: Sequence[str] = ()) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        if warnings:
            more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
            self.warning.setText(f"⚠ {warnings[0]}{more}")
            self.warning.setToolTip("\n".join(warnings))
        self.warning.setVisible(bool(warnings))

"""Screen-sized graphics items for editors: numbered landmark markers and vertex handles.

They ignore the view's zoom (ItemIgnoresTransformations), so a marker stays
the same size on screen while its position stays on the same image pixel.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

MARKER_RADIUS = 9.0
HANDLE_HALF = 5.0


class LandmarkMarker(QGraphicsItem):
    """A crosshair ring with its pair number; hollow while its partner is missing."""

    def __init__(self, number: int, colour: QColor, paired: bool) -> None:
        super().__init__()
        self.number = number
        self.colour = colour
        self.paired = paired
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(20)

    def set_state(self, number: int, paired: bool) -> None:
        if (number, paired) != (self.number, self.paired):
            self.number, self.paired = number, paired
            self.update()

    def boundingRect(self) -> QRectF:
        r = MARKER_RADIUS + 4
        return QRectF(-r, -r, 2 * r + 26, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = MARKER_RADIUS
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(0, 0), r, r)
        pen = QPen(self.colour, 2.0)
        if not self.paired:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawEllipse(QPointF(0, 0), r, r)
        painter.setPen(QPen(self.colour, 1.0))
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            painter.drawLine(QPointF(dx * 3, dy * 3), QPointF(dx * (r - 2), dy * (r - 2)))
        label = QRectF(r + 2, -r, 22, 16)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(self.colour))
        painter.drawRoundedRect(label, 4, 4)
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(11)
        painter.setFont(font)
        painter.setPen(QColor("#1b1d20"))
        painter.drawText(label, Qt.AlignmentFlag.AlignCenter, str(self.number))


class VertexHandle(QGraphicsItem):
    """A small square on a polygon vertex; filled when selected."""

    def __init__(self, colour: QColor) -> None:
        super().__init__()
        self.colour = colour
        self.selected = False
        self.first = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(21)

    def set_state(self, selected: bool, first: bool) -> None:
        if (selected, first) != (self.selected, self.first):
            self.selected, self.first = selected, first
            self.update()

    def boundingRect(self) -> QRectF:
        h = HANDLE_HALF + 3
        return QRectF(-h, -h, 2 * h, 2 * h)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        h = HANDLE_HALF + (1.5 if self.first else 0.0)
        rect = QRectF(-h, -h, 2 * h, 2 * h)
        painter.setPen(QPen(QColor(0, 0, 0, 170), 1.0))
        painter.setBrush(QBrush(self.colour if self.selected else QColor("#ffffff")))
        painter.drawRect(rect)
        if not self.selected:
            painter.setPen(QPen(self.colour, 2.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(1.5, 1.5, -1.5, -1.5))

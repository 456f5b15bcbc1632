"""A zoomable, pannable view of one image frame, driven by the shared ViewSync.

The pane never zooms or scrolls itself: wheel and drag become requests that
the synchroniser applies to every pane, so two panes cannot drift apart.
Editors (landmarks, region) plug in as a `PaneTool`: a short click goes to
the tool, a drag pans unless the tool grabs the point (a vertex, a marker).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsPathItem, QGraphicsScene, QGraphicsView, QWidget

from hairtrack.ui.compare.tiles import TiledImageItem

BACKGROUND = QColor("#25282c")
REGION_COLOUR = QColor("#ffd24a")
CURTAIN_COLOUR = QColor("#ffffff")
DRAG_THRESHOLD = 4.0
CURTAIN_GRAB = 8.0
_SCENE_EXTENT = 2.0e6


class PaneTool(Protocol):
    """An editor that receives clicks and drags in scene coordinates of a pane."""

    def grab(self, pane: ImagePane, scene_pos: QPointF) -> bool: ...

    def drag(self, pane: ImagePane, scene_pos: QPointF) -> None: ...

    def drop(self, pane: ImagePane, scene_pos: QPointF) -> None: ...

    def click(self, pane: ImagePane, scene_pos: QPointF) -> None: ...

    def context_click(self, pane: ImagePane, scene_pos: QPointF) -> None: ...


class ImagePane(QGraphicsView):
    zoomRequested = Signal(object, float, QPointF)  # pane, factor, viewport position
    panRequested = Signal(object, float, float)  # pane, dx, dy in screen pixels
    curtainMoved = Signal(float)  # fraction of the viewport width
    resized = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setScene(QGraphicsScene(self))
        # a handful of items, some moving (markers, handles): an index would only cost time
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.scene().setSceneRect(QRectF(-_SCENE_EXTENT, -_SCENE_EXTENT,
                                         2 * _SCENE_EXTENT, 2 * _SCENE_EXTENT))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        # The curtain is fixed to the screen, so the whole viewport repaints on a pan.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QBrush(BACKGROUND))
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMouseTracking(True)

        # base (+ its mask overlay) is the pane's image; top (+ overlay) is blended or wiped
        # over it in the composite modes.
        self.base = TiledImageItem()
        self.base_overlay = TiledImageItem()
        self.top = TiledImageItem()
        self.top_overlay = TiledImageItem()
        for z, item in enumerate((self.base, self.base_overlay, self.top, self.top_overlay)):
            item.setZValue(z)
            self.scene().addItem(item)
        self.region_item = QGraphicsPathItem()
        self.region_item.setZValue(5)
        self.scene().addItem(self.region_item)

        self.tool: PaneTool | None = None
        self.message = ""
        self._centre = QPointF(0.0, 0.0)
        self._scale = 1.0
        self._curtain: float | None = None  # fraction of viewport width, wipe mode only
        self._press: QPointF | None = None
        self._last: QPointF | None = None
        self._state = "idle"  # idle | pending | pan | tool | curtain
        self._press_button = Qt.MouseButton.NoButton
        self._update_cursor()

    # -- what the synchroniser drives ----------------------------------------------------------
    def set_view(self, centre: QPointF, scale: float) -> None:
        self._centre, self._scale = QPointF(centre), scale
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(centre)
        self.viewport().update()

    def viewport_size(self) -> QSize:
        return self.viewport().size()

    @property
    def view_centre(self) -> QPointF:
        """The scene point at the centre of the viewport, as set (no scroll rounding)."""
        return QPointF(self._centre)

    @property
    def view_scale(self) -> float:
        return self._scale

    def scene_at(self, viewport_pos: QPointF) -> QPointF:
        """Scene coordinates under a viewport position, in float precision."""
        size = self.viewport_size()
        return QPointF(self._centre.x() + (viewport_pos.x() - size.width() / 2.0) / self._scale,
                       self._centre.y() + (viewport_pos.y() - size.height() / 2.0) / self._scale)

    def viewport_at(self, scene_pos: QPointF) -> QPointF:
        size = self.viewport_size()
        return QPointF((scene_pos.x() - self._centre.x()) * self._scale + size.width() / 2.0,
                       (scene_pos.y() - self._centre.y()) * self._scale + size.height() / 2.0)

    # -- content -------------------------------------------------------------------------------
    def set_message(self, text: str) -> None:
        if text != self.message:
            self.message = text
            self.viewport().update()

    def set_curtain(self, fraction: float | None) -> None:
        self._curtain = fraction
        x = None if fraction is None else fraction * self.viewport().width()
        for item in (self.top, self.top_overlay):
            item.set_curtain(None if x is None else (x, True))
        self.viewport().update()

    @property
    def curtain(self) -> float | None:
        return self._curtain

    def set_region_outline(self, polygon: Sequence[tuple[float, float]] | None,
                           automatic: bool = False) -> None:
        """The region of interest in this pane's scene coordinates; dashed when automatic."""
        if not polygon or len(polygon) < 3:
            self.region_item.setPath(QPainterPath())
            self.region_item.setVisible(False)
            return
        path = QPainterPath()
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in polygon]))
        path.closeSubpath()
        pen = QPen(REGION_COLOUR, 2.0)
        pen.setCosmetic(True)
        if automatic:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.region_item.setPen(pen)
        self.region_item.setPath(path)
        self.region_item.setVisible(True)

    def set_tool(self, tool: PaneTool | None) -> None:
        self.tool = tool
        self._update_cursor()

    # -- events --------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.zoomRequested.emit(self, 2.0 ** (delta / 480.0), event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._press = self._last = pos
        self._press_button = event.button()
        if event.button() == Qt.MouseButton.LeftButton:
            if self._near_curtain(pos):
                self._state = "curtain"
            elif self.tool is not None and self.tool.grab(self, self.scene_at(pos)):
                self._state = "tool"
            else:
                self._state = "pending"
        elif event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._state = "pending"
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._state == "curtain":
            self.curtainMoved.emit(min(1.0, max(0.0, pos.x() / max(1, self.viewport().width()))))
        elif self._state == "tool" and self.tool is not None:
            self.tool.drag(self, self.scene_at(pos))
        elif self._state == "pending" and self._press is not None:
            moved = pos - self._press
            if abs(moved.x()) + abs(moved.y()) > DRAG_THRESHOLD:
                self._state = "pan"
                self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        if self._state == "pan" and self._last is not None:
            delta = pos - self._last
            self.panRequested.emit(self, delta.x(), delta.y())
        elif self._state == "idle":
            near = self._near_curtain(pos)
            self.viewport().setCursor(Qt.CursorShape.SplitHCursor if near else self._cursor())
        self._last = pos
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._state == "tool" and self.tool is not None:
            self.tool.drop(self, self.scene_at(pos))
        elif self._state == "pending" and self.tool is not None:
            if self._press_button == Qt.MouseButton.LeftButton:
                self.tool.click(self, self.scene_at(pos))
            elif self._press_button == Qt.MouseButton.RightButton:
                self.tool.context_click(self, self.scene_at(pos))
        self._state = "idle"
        self._press = self._last = None
        self._update_cursor()
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        event.ignore()  # the page handles arrows, zoom keys and Delete

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._curtain is not None:
            self.set_curtain(self._curtain)
        self.resized.emit()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        if self._curtain is None and not self.message:
            return
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        width, height = self.viewport().width(), self.viewport().height()
        if self._curtain is not None:
            x = self._curtain * width
            painter.setPen(QPen(QColor(0, 0, 0, 120), 3.0))
            painter.drawLine(QPointF(x, 0), QPointF(x, height))
            painter.setPen(QPen(CURTAIN_COLOUR, 1.5))
            painter.drawLine(QPointF(x, 0), QPointF(x, height))
            painter.setBrush(CURTAIN_COLOUR)
            painter.setPen(QPen(QColor(0, 0, 0, 140), 1.0))
            painter.drawEllipse(QPointF(x, height / 2.0), 9.0, 9.0)
            painter.setPen(QPen(QColor("#25282c"), 1.5))
            mid = height / 2.0
            for sign in (-1, 1):
                painter.drawLine(QPointF(x + sign * 2.5, mid - 3.5), QPointF(x + sign * 5.5, mid))
                painter.drawLine(QPointF(x + sign * 5.5, mid), QPointF(x + sign * 2.5, mid + 3.5))
        if self.message:
            painter.setPen(QColor("#d8dbe0"))
            painter.drawText(QRectF(0, 0, width, height),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
        painter.restore()

    # -- helpers -------------------------------------------------------------------------------
    def _near_curtain(self, pos: QPointF) -> bool:
        if self._curtain is None:
            return False
        return abs(pos.x() - self._curtain * self.viewport().width()) <= CURTAIN_GRAB

    def _cursor(self) -> Qt.CursorShape:
        return (Qt.CursorShape.CrossCursor if self.tool is not None
                else Qt.CursorShape.OpenHandCursor)

    def _update_cursor(self) -> None:
        self.viewport().setCursor(self._cursor())

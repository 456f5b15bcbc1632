"""Drawing and editing the region of interest as a polygon on the baseline.

Points are the baseline pane's scene coordinates, i.e. full-resolution
baseline pixels, which is what `measurements.set_region` stores. While the
polygon is open a click appends a point and a click on the first point
closes it; once closed, a click on an edge inserts a point there. Vertices
can be dragged, and removed by right-click or by selecting one and pressing
Delete.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsPathItem

from hairtrack.ui.compare.image_pane import ImagePane
from hairtrack.ui.compare.markers import VertexHandle

HIT_RADIUS = 10.0  # screen pixels
EDGE_RADIUS = 8.0
EDIT_COLOUR = QColor("#ffd24a")

Point = tuple[float, float]


class RegionEditor(QObject):
    changed = Signal()

    def __init__(self, pane: ImagePane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pane = pane
        self._points: list[QPointF] = []
        self._handles: list[VertexHandle] = []
        self.closed = False
        self.selected: int | None = None
        self.dirty = False  # edited since loaded
        self._bounds = QRectF()
        self._dragging: int | None = None
        self.active = False
        self._path = QGraphicsPathItem()
        self._path.setZValue(19)
        pen = QPen(EDIT_COLOUR, 2.0)
        pen.setCosmetic(True)
        self._path.setPen(pen)
        self._path.setVisible(False)
        pane.scene().addItem(self._path)

    # -- state ---------------------------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        self.active = active
        self._pane.set_tool(self if active else None)
        self._refresh()

    def set_bounds(self, rect: QRectF) -> None:
        self._bounds = QRectF(rect)

    def load(self, polygon: Sequence[Point] | None) -> None:
        """Start editing from an existing polygon (closed) or from nothing."""
        self._points = [QPointF(x, y) for x, y in polygon or ()]
        self.closed = len(self._points) >= 3
        self.selected = None
        self.dirty = False
        self._refresh()

    def polygon(self) -> list[Point]:
        return [(p.x(), p.y()) for p in self._points]

    def can_save(self) -> bool:
        return self.closed and len(self._points) >= 3 and _area(self._points) > 1.0

    def add_point(self, point: QPointF) -> None:
        self._points.append(self._clamp(point))
        self.dirty = True
        self._refresh()

    def close_polygon(self) -> bool:
        if len(self._points) < 3:
            return False
        self.closed = True
        self.dirty = True
        self._refresh()
        return True

    def delete_selected(self) -> bool:
        if self.selected is None or not 0 <= self.selected < len(self._points):
            return False
        self._delete(self.selected)
        return True

    def start_over(self) -> None:
        self._points.clear()
        self.closed = False
        self.selected = None
        self.dirty = True
        self._refresh()

    def status_text(self) -> str:
        n = len(self._points)
        if not n:
            return "Click on the baseline to place the first point"
        if not self.closed:
            return (f"{n} points · click the first point or Close to finish" if n >= 3
                    else f"{n} point{'s' if n > 1 else ''} · keep clicking around the region")
        return f"Closed polygon, {n} points" + (" · unsaved changes" if self.dirty else "")

    # -- PaneTool ------------------------------------------------------------------------------
    def grab(self, pane: ImagePane, scene_pos: QPointF) -> bool:
        hit = self._hit(scene_pos)
        if hit is None:
            return False
        if hit == 0 and not self.closed and len(self._points) >= 3:
            return False  # a click on the first point closes: handled in click()
        self.selected = hit
        self._dragging = hit
        self._refresh()
        return True

    def drag(self, pane: ImagePane, scene_pos: QPointF) -> None:
        if self._dragging is not None:
            self._points[self._dragging] = self._clamp(scene_pos)
            self.dirty = True
            self._refresh(emit=False)

    def drop(self, pane: ImagePane, scene_pos: QPointF) -> None:
        self._dragging = None
        self._refresh()

    def click(self, pane: ImagePane, scene_pos: QPointF) -> None:
        if not self.closed:
            if len(self._points) >= 3 and self._hit(scene_pos) == 0:
                self.close_polygon()
            else:
                self.add_point(scene_pos)
            return
        edge = self._edge_hit(scene_pos)
        if edge is not None:
            self._points.insert(edge + 1, self._clamp(scene_pos))
            self.selected = edge + 1
            self.dirty = True
        else:
            self.selected = None
        self._refresh()

    def context_click(self, pane: ImagePane, scene_pos: QPointF) -> None:
        hit = self._hit(scene_pos)
        if hit is not None:
            self._delete(hit)

    # -- helpers -------------------------------------------------------------------------------
    def _delete(self, index: int) -> None:
        del self._points[index]
        if len(self._points) < 3:
            self.closed = False
        self.selected = None
        self.dirty = True
        self._refresh()

    def _hit(self, scene_pos: QPointF) -> int | None:
        at = self._pane.viewport_at(scene_pos)
        best, best_d = None, HIT_RADIUS
        for i, point in enumerate(self._points):
            d = math.dist((at.x(), at.y()), _xy(self._pane.viewport_at(point)))
            if d <= best_d:
                best, best_d = i, d
        return best

    def _edge_hit(self, scene_pos: QPointF) -> int | None:
        at = self._pane.viewport_at(scene_pos)
        n = len(self._points)
        best, best_d = None, EDGE_RADIUS
        for i in range(n):
            a = self._pane.viewport_at(self._points[i])
            b = self._pane.viewport_at(self._points[(i + 1) % n])
            d = _segment_distance(at, a, b)
            if d <= best_d:
                best, best_d = i, d
        return best

    def _clamp(self, point: QPointF) -> QPointF:
        r = self._bounds
        if r.isEmpty():
            return QPointF(point)
        return QPointF(min(max(point.x(), r.left() + 0.5), r.right() - 0.5),
                       min(max(point.y(), r.top() + 0.5), r.bottom() - 0.5))

    def _refresh(self, emit: bool = True) -> None:
        scene = self._pane.scene()
        while len(self._handles) > len(self._points):
            scene.removeItem(self._handles.pop())
        while len(self._handles) < len(self._points):
            handle = VertexHandle(EDIT_COLOUR)
            scene.addItem(handle)
            self._handles.append(handle)
        for i, (handle, point) in enumerate(zip(self._handles, self._points, strict=True)):
            handle.setPos(point)
            handle.set_state(i == self.selected, i == 0 and not self.closed)
            handle.setVisible(self.active)
        path = QPainterPath()
        if self._points:
            path.addPolygon(QPolygonF(self._points))
            if self.closed:
                path.closeSubpath()
        self._path.setPath(path)
        self._path.setBrush(QBrush(QColor(255, 210, 74, 40)) if self.closed
                            else Qt.BrushStyle.NoBrush)
        self._path.setVisible(self.active)
        if emit:
            self.changed.emit()


def _xy(p: QPointF) -> tuple[float, float]:
    return p.x(), p.y()


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    line = QLineF(a, b)
    length2 = line.dx() ** 2 + line.dy() ** 2
    if length2 < 1e-9:
        return math.dist(_xy(p), _xy(a))
    t = ((p.x() - a.x()) * line.dx() + (p.y() - a.y()) * line.dy()) / length2
    t = min(1.0, max(0.0, t))
    return math.dist(_xy(p), (a.x() + t * line.dx(), a.y() + t * line.dy()))


def _area(points: list[QPointF]) -> float:
    n = len(points)
    s = 0.0
    for i in range(n):
        a, b = points[i], points[(i + 1) % n]
        s += a.x() * b.y() - b.x() * a.y()
    return abs(s) / 2.0

"""Clicking corresponding landmarks in the baseline and follow-up originals.

Points are kept in each pane's scene coordinates, which for originals are the
photo's full-resolution pixels (pixel-centre convention): exactly what
`measurements.set_manual_alignment` stores. Pair n is the n-th point of each
side; a point whose partner is missing is drawn dashed.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtGui import QColor

from hairtrack.ui.compare.image_pane import ImagePane
from hairtrack.ui.compare.markers import LandmarkMarker

MIN_PAIRS = 3
HIT_RADIUS = 12.0  # screen pixels
MARKER_COLOUR = QColor("#ffb000")

Point = tuple[float, float]


class LandmarkEditor(QObject):
    changed = Signal()

    def __init__(self, baseline_pane: ImagePane, follow_pane: ImagePane,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._panes = (baseline_pane, follow_pane)
        self._points: dict[int, list[QPointF]] = {0: [], 1: []}
        self._markers: dict[int, list[LandmarkMarker]] = {0: [], 1: []}
        self._history: list[int] = []  # side of each added point, for undo
        self._bounds: dict[int, QRectF] = {0: QRectF(), 1: QRectF()}
        self._dragging: tuple[int, int] | None = None
        self.active = False

    # -- state ---------------------------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        self.active = active
        for pane in self._panes:
            pane.set_tool(self if active else None)
        for side in (0, 1):
            for marker in self._markers[side]:
                marker.setVisible(active)

    def set_bounds(self, baseline: QRectF, follow: QRectF) -> None:
        """Image rectangles: clicks outside a photo are clamped onto its edge."""
        self._bounds = {0: QRectF(baseline), 1: QRectF(follow)}

    def points(self, side: int) -> list[Point]:
        return [(p.x(), p.y()) for p in self._points[side]]

    @property
    def pair_count(self) -> int:
        return min(len(self._points[0]), len(self._points[1]))

    def can_apply(self) -> bool:
        return len(self._points[0]) == len(self._points[1]) >= MIN_PAIRS

    def pairs(self) -> tuple[list[Point], list[Point]]:
        """(baseline points, follow-up points), full-resolution pixels of each original."""
        n = self.pair_count
        return self.points(0)[:n], self.points(1)[:n]

    def add_point(self, side: int, point: QPointF) -> None:
        self._points[side].append(self._clamp(side, point))
        self._history.append(side)
        self._sync_markers()

    def undo(self) -> None:
        if not self._history:
            return
        side = self._history.pop()
        if self._points[side]:
            self._points[side].pop()
        self._sync_markers()

    def load(self, baseline_points: list[Point], follow_points: list[Point]) -> None:
        """Show pairs stored earlier so the clinician corrects them instead of starting over."""
        self._points = {0: [QPointF(x, y) for x, y in baseline_points],
                        1: [QPointF(x, y) for x, y in follow_points]}
        self._history = [0, 1] * min(len(baseline_points), len(follow_points))
        self._sync_markers()

    def clear_side(self, side: int) -> None:
        self._points[side].clear()
        self._history = [s for s in self._history if s != side]
        self._sync_markers()

    def clear(self) -> None:
        self._points = {0: [], 1: []}
        self._history.clear()
        self._sync_markers()

    def status_text(self) -> str:
        a, b = len(self._points[0]), len(self._points[1])
        if a == b:
            need = max(0, MIN_PAIRS - a)
            return (f"{a} pairs" + (f" · {need} more needed" if need else " · ready to apply"))
        waiting = "follow-up" if a > b else "baseline"
        return f"{min(a, b)} pairs · click point {max(a, b)} in the {waiting}"

    # -- PaneTool ------------------------------------------------------------------------------
    def grab(self, pane: ImagePane, scene_pos: QPointF) -> bool:
        side = self._side(pane)
        hit = self._hit(pane, side, scene_pos)
        if hit is None:
            return False
        self._dragging = (side, hit)
        return True

    def drag(self, pane: ImagePane, scene_pos: QPointF) -> None:
        if self._dragging is not None:
            side, index = self._dragging
            self._points[side][index] = self._clamp(side, scene_pos)
            self._markers[side][index].setPos(self._points[side][index])

    def drop(self, pane: ImagePane, scene_pos: QPointF) -> None:
        self.drag(pane, scene_pos)
        self._dragging = None
        self.changed.emit()

    def click(self, pane: ImagePane, scene_pos: QPointF) -> None:
        self.add_point(self._side(pane), scene_pos)

    def context_click(self, pane: ImagePane, scene_pos: QPointF) -> None:
        side = self._side(pane)
        hit = self._hit(pane, side, scene_pos)
        if hit is None:
            return
        del self._points[side][hit]
        for i in range(len(self._history) - 1, -1, -1):
            if self._history[i] == side:
                del self._history[i]
                break
        self._sync_markers()

    # -- helpers -------------------------------------------------------------------------------
    def _side(self, pane: ImagePane) -> int:
        return 0 if pane is self._panes[0] else 1

    def _hit(self, pane: ImagePane, side: int, scene_pos: QPointF) -> int | None:
        at = pane.viewport_at(scene_pos)
        best, best_d = None, HIT_RADIUS
        for i, point in enumerate(self._points[side]):
            d = (pane.viewport_at(point) - at).manhattanLength()
            if d <= best_d:
                best, best_d = i, d
        return best

    def _clamp(self, side: int, point: QPointF) -> QPointF:
        r = self._bounds[side]
        if r.isEmpty():
            return QPointF(point)
        return QPointF(min(max(point.x(), r.left() + 0.5), r.right() - 0.5),
                       min(max(point.y(), r.top() + 0.5), r.bottom() - 0.5))

    def _sync_markers(self) -> None:
        for side in (0, 1):
            scene = self._panes[side].scene()
            markers = self._markers[side]
            points = self._points[side]
            while len(markers) > len(points):
                scene.removeItem(markers.pop())
            while len(markers) < len(points):
                marker = LandmarkMarker(len(markers) + 1, MARKER_COLOUR, False)
                scene.addItem(marker)
                markers.append(marker)
            other = len(self._points[1 - side])
            for i, (marker, point) in enumerate(zip(markers, points, strict=True)):
                marker.set_state(i + 1, i < other)
                marker.setPos(point)
                marker.setVisible(self.active)
        self.changed.emit()

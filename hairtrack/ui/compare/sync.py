"""One zoom and pan state, shared by every pane, kept in the BASELINE's frame.

Each pane shows its image in some frame: the baseline's own pixels (the
baseline photo, or a follow-up warped onto it) or a follow-up's original
pixels. A `Frame` maps baseline full-resolution coordinates into the pane's
scene coordinates; the shared state (a centre in baseline pixels and a scale
in screen pixels per baseline pixel) is pushed to every pane through its
frame. Aligned images use the identity, so both panes show exactly the same
anatomy; originals are synchronised by relative position (the same fraction
of each photo's width and height, the same fraction of its size on screen),
because an original follow-up is not in the baseline's geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject, QPointF, QSize, Signal

MIN_SCALE = 1 / 64
MAX_SCALE = 32.0
FIT_MARGIN = 0.98


@dataclass(frozen=True)
class Frame:
    """Baseline full-res pixels -> pane scene pixels (pixel-centre convention).

    x_pane = (x_baseline + 0.5) * sx - 0.5; the pane's zoom is `zoom` times the
    baseline's, so the same fraction of each image fills the screen.
    """

    sx: float = 1.0
    sy: float = 1.0

    @property
    def zoom(self) -> float:
        return math.sqrt(self.sx * self.sy)

    @staticmethod
    def relative(baseline_size: tuple[int, int], pane_size: tuple[int, int]) -> Frame:
        bw, bh = baseline_size
        pw, ph = pane_size
        return Frame(pw / max(bw, 1), ph / max(bh, 1))

    def to_pane(self, point: QPointF) -> QPointF:
        return QPointF((point.x() + 0.5) * self.sx - 0.5, (point.y() + 0.5) * self.sy - 0.5)

    def to_baseline(self, point: QPointF) -> QPointF:
        return QPointF((point.x() + 0.5) / self.sx - 0.5, (point.y() + 0.5) / self.sy - 0.5)


IDENTITY = Frame()


class SyncedPane(Protocol):
    """What the synchroniser needs from a pane (ImagePane implements it)."""

    def set_view(self, centre: QPointF, scale: float) -> None: ...

    def viewport_size(self) -> QSize: ...

    def isVisible(self) -> bool: ...


class ViewSync(QObject):
    """Applies zoom and pan requests from any pane to all of them."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._panes: list[SyncedPane] = []
        self._frames: dict[int, Frame] = {}
        self.baseline_size: tuple[int, int] = (1, 1)
        self.centre = QPointF(0.0, 0.0)  # baseline full-res pixels
        self.scale = 1.0  # screen pixels per baseline pixel
        self._fitted = True  # keep fitting on resize until the user zooms or pans

    # -- configuration -------------------------------------------------------------------------
    def add_pane(self, pane: SyncedPane, frame: Frame = IDENTITY) -> None:
        self._panes.append(pane)
        self._frames[id(pane)] = frame

    def set_frame(self, pane: SyncedPane, frame: Frame) -> None:
        if self._frames.get(id(pane)) != frame:
            self._frames[id(pane)] = frame
            self._apply_to(pane)

    def frame(self, pane: SyncedPane) -> Frame:
        return self._frames.get(id(pane), IDENTITY)

    def set_baseline_size(self, size: tuple[int, int], *, refit: bool = False) -> None:
        changed = size != self.baseline_size
        self.baseline_size = size
        if refit or (changed and self._fitted):
            self.fit()

    @property
    def fitted(self) -> bool:
        return self._fitted

    # -- requests ------------------------------------------------------------------------------
    def zoom_at(self, pane: SyncedPane, factor: float, viewport_pos: QPointF) -> None:
        """Zoom about the point under the cursor of `pane`, which stays under the cursor."""
        frame = self.frame(pane)
        size = pane.viewport_size()
        offset = QPointF(viewport_pos.x() - size.width() / 2.0,
                         viewport_pos.y() - size.height() / 2.0)
        pane_scale = self.scale * frame.zoom
        centre_p = frame.to_pane(self.centre)
        anchor_p = centre_p + offset / pane_scale
        new_scale = _clamp_scale(self.scale * factor)
        new_centre_p = anchor_p - offset / (new_scale * frame.zoom)
        self._set(frame.to_baseline(new_centre_p), new_scale)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by `factor` about a baseline-pixel anchor (default: the centre of the view)."""
        new_scale = _clamp_scale(self.scale * factor)
        if anchor is None:
            self._set(self.centre, new_scale)
            return
        ratio = self.scale / new_scale
        centre = anchor + (self.centre - anchor) * ratio
        self._set(centre, new_scale)

    def pan_by(self, pane: SyncedPane, dx: float, dy: float) -> None:
        """Move the view so the image follows a drag of (dx, dy) screen pixels in `pane`."""
        frame = self.frame(pane)
        pane_scale = self.scale * frame.zoom
        centre_p = frame.to_pane(self.centre) - QPointF(dx, dy) / pane_scale
        self._set(frame.to_baseline(centre_p), self.scale)

    def set_view(self, centre: QPointF, scale: float) -> None:
        self._set(centre, _clamp_scale(scale))

    def fit(self) -> None:
        """The whole baseline frame in the (first visible) pane."""
        size = self._viewport()
        bw, bh = self.baseline_size
        if size.width() < 2 or size.height() < 2:
            scale = self.scale
        else:
            scale = min(size.width() / bw, size.height() / bh) * FIT_MARGIN
        self._set(QPointF((bw - 1) / 2.0, (bh - 1) / 2.0), _clamp_scale(scale))
        self._fitted = True

    def actual_size(self) -> None:
        """One screen pixel per baseline pixel, about the current centre."""
        self._set(self.centre, 1.0)

    def refresh(self) -> None:
        """Re-apply the state (after a resize, or a pane became visible)."""
        if self._fitted:
            self.fit()
        else:
            for pane in self._panes:
                self._apply_to(pane)

    # -- internals -----------------------------------------------------------------------------
    def _set(self, centre: QPointF, scale: float) -> None:
        self.centre = QPointF(centre)
        self.scale = scale
        self._fitted = False
        for pane in self._panes:
            self._apply_to(pane)
        self.changed.emit()

    def _apply_to(self, pane: SyncedPane) -> None:
        frame = self.frame(pane)
        pane.set_view(frame.to_pane(self.centre), self.scale * frame.zoom)

    def _viewport(self) -> QSize:
        visible = [p for p in self._panes if p.isVisible()] or self._panes
        return visible[0].viewport_size() if visible else QSize(0, 0)


def _clamp_scale(scale: float) -> float:
    return min(MAX_SCALE, max(MIN_SCALE, scale))

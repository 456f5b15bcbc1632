"""Decides what each pane shows for the current state, and asks for the pixels it needs.

Re-composing is cheap (it only hands shared pyramids to graphics items), so
the page calls `compose` after every change and again whenever a background
load finishes. While a full-resolution image decodes, the best available
stand-in (the analysis' copy of up to 2048 px, or the thumbnail) is shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtGui import QTransform

from hairtrack.core.domain import Measurement, Photo, View
from hairtrack.core.imaging.transforms import transform_points
from hairtrack.core.services import importer
from hairtrack.ui.compare import loaders, region_outline
from hairtrack.ui.compare.controls import PaneFrame
from hairtrack.ui.compare.data import AlignmentStatus, Snapshot, alignment_status
from hairtrack.ui.compare.modes import Mode
from hairtrack.ui.compare.sync import IDENTITY, Frame, ViewSync
from hairtrack.ui.compare.tiles import Pyramid, TiledImageItem
from hairtrack.ui.context import AppContext

Polygon = Sequence[tuple[float, float]]
Chain = list[tuple[str, Callable[[], Any]]]


@dataclass
class DisplayState:
    snapshot: Snapshot | None = None
    view: View | None = None
    follow_id: int | None = None
    mode: Mode = Mode.SIDE_BY_SIDE
    aligned: bool = True
    show_mask: bool = False
    blend: float = 0.5
    wipe: float = 0.5
    tool: str | None = None  # None, "landmarks" or "region"


@dataclass
class Composition:
    """What the page needs to update its controls after composing."""

    baseline: Photo | None = None
    follow: Photo | None = None
    status: AlignmentStatus = field(default_factory=lambda: AlignmentStatus("none", ""))
    mode: Mode = Mode.SIDE_BY_SIDE  # the mode actually shown
    aligned: bool = False  # whether the follow-up pane shows the aligned image
    composite_available: bool = False
    aligned_available: bool = False
    masks_available: bool = False
    region: Polygon | None = None  # shown on the baseline, full-res baseline pixels
    region_automatic: bool = True
    gain_loss: loaders.GainLossResult | None = None
    loading: bool = False
    errors: list[str] = field(default_factory=list)


class Composer:
    def __init__(self, context: AppContext, store: loaders.ImageStore, sync: ViewSync,
                 left: PaneFrame, right: PaneFrame) -> None:
        self._context = context
        self._store = store
        self._sync = sync
        self._left = left
        self._right = right
        self._wanted: set[str] = set()

    def compose(self, state: DisplayState) -> Composition:
        out = Composition()
        self._wanted = set()
        snap = state.snapshot
        if snap is None or state.view is None:
            self.clear("No patient selected" if snap is None else "No photos")
            return out
        baseline = snap.baseline(state.view)
        follow = snap.photo(state.follow_id) if state.follow_id is not None else None
        if follow is None or follow.view != state.view:
            follow = baseline
        out.baseline, out.follow = baseline, follow
        if baseline is None or follow is None:
            self.clear("No photos of this view")
            return out
        status = alignment_status(snap, follow, baseline)
        out.status = status
        follow_m = snap.measurements.get(follow.id)
        base_m = snap.measurements.get(baseline.id)
        is_self = follow.id == baseline.id
        matrix = follow_m.matrix if (status.usable and follow_m is not None) else None
        out.aligned_available = status.usable and not is_self and matrix is not None
        out.composite_available = out.aligned_available and _has_key(follow_m) and \
            _has_key(base_m)
        out.masks_available = _has_key(base_m) or _has_key(follow_m)
        landmarks = state.tool == "landmarks"
        composite = state.mode.composite and out.composite_available and state.tool is None
        out.mode = state.mode if composite else Mode.SIDE_BY_SIDE
        out.aligned = (composite or (state.aligned and out.aligned_available)) and not landmarks
        frame = (baseline.width, baseline.height)
        self._sync.set_baseline_size(frame)

        drawn = snap.regions.get(state.view)
        out.region_automatic = drawn is None
        out.region = drawn.polygon if drawn is not None else self._auto_region(baseline, base_m)

        left, right = self._left.pane, self._right.pane
        self._left.setVisible(not composite)
        self._sync.set_frame(left, IDENTITY)
        self._set(left.base, out, self._photo_chain(baseline))
        self._set(left.base_overlay, out, self._mask_chain(base_m, frame) if state.show_mask
                  else [])
        for item in (left.top, left.top_overlay):
            item.set_pyramid(None)
        left.set_curtain(None)
        left.set_region_outline(out.region, out.region_automatic)

        for item in (right.base, right.base_overlay, right.top, right.top_overlay):
            item.setOpacity(1.0)
            item.setTransform(QTransform())
        right.set_curtain(None)
        if composite:
            self._sync.set_frame(right, IDENTITY)
            self._compose_composite(state, out, baseline, follow, base_m, follow_m, frame)
            right.set_region_outline(out.region, out.region_automatic)
        else:
            right.top.set_pyramid(None)
            right.top_overlay.set_pyramid(None)
            if is_self:
                self._sync.set_frame(right, IDENTITY)
                self._set(right.base, out, self._photo_chain(follow))
                self._set(right.base_overlay, out, self._mask_chain(base_m, frame)
                          if state.show_mask else [])
                right.set_region_outline(out.region, out.region_automatic)
            elif out.aligned:
                self._sync.set_frame(right, IDENTITY)
                self._set(right.base, out, self._aligned_chain(follow, follow_m, frame))
                self._set(right.base_overlay, out, self._mask_chain(follow_m, frame)
                          if state.show_mask else [])
                right.set_region_outline(out.region, out.region_automatic)
            else:
                self._sync.set_frame(right, Frame.relative(frame, (follow.width, follow.height)))
                self._set(right.base, out, self._photo_chain(follow))
                inverse = None if matrix is None else np.linalg.inv(np.asarray(matrix))
                mask = self._mask_chain(follow_m, frame) if state.show_mask else []
                self._set(right.base_overlay, out, mask if inverse is not None else [])
                if inverse is not None:
                    right.base_overlay.setTransform(_qtransform(inverse))
                outline = None
                if inverse is not None and out.region:
                    outline = [(float(x), float(y))
                               for x, y in transform_points(inverse, np.asarray(out.region))]
                right.set_region_outline(outline, out.region_automatic)
        self._prefetch(state, follow, out)
        self._store.keep_only(self._wanted)
        for pane_frame in (self._left, self._right):
            pane = pane_frame.pane
            if pane.base.pyramid is not None:
                pane.set_message("")
            elif out.errors:
                pane.set_message(out.errors[-1])
            else:
                pane.set_message("Loading…")
        return out

    # -- composite modes -----------------------------------------------------------------------
    def _compose_composite(self, state: DisplayState, out: Composition, baseline: Photo,
                           follow: Photo, base_m: Measurement | None,
                           follow_m: Measurement | None, frame: tuple[int, int]) -> None:
        right = self._right.pane
        assert follow_m is not None and base_m is not None and follow_m.matrix is not None
        if state.mode is Mode.DIFFERENCE:
            lib = self._context.library
            region = out.region
            digest = _digest(region)
            key = f"diff:{base_m.cache_key}:{follow_m.cache_key}:{digest}"
            matrix = follow_m.matrix
            chain: Chain = [(key, lambda: loaders.gain_loss(
                _mask_path(lib.cache_dir, base_m.cache_key),
                _mask_path(lib.cache_dir, follow_m.cache_key),
                _aligned_path(lib.cache_dir, base_m.cache_key), matrix,
                (follow.width, follow.height), frame, region))]
            value = self._best(chain, out)
            out.gain_loss = value if isinstance(value, loaders.GainLossResult) else None
            right.base.set_pyramid(out.gain_loss.pyramid if out.gain_loss else None)
            for item in (right.base_overlay, right.top, right.top_overlay):
                item.set_pyramid(None)
            return
        self._set(right.base, out, self._photo_chain(baseline))
        self._set(right.top, out, self._aligned_chain(follow, follow_m, frame))
        masks = state.show_mask
        self._set(right.base_overlay, out, self._mask_chain(base_m, frame) if masks else [])
        self._set(right.top_overlay, out, self._mask_chain(follow_m, frame) if masks else [])
        if state.mode is Mode.BLEND:
            right.top.setOpacity(state.blend)
            right.top_overlay.setOpacity(state.blend)
            right.base_overlay.setOpacity(1.0 - state.blend)
        else:
            right.set_curtain(state.wipe)

    # -- chains of (key, loader), best first ---------------------------------------------------
    def _photo_chain(self, photo: Photo) -> Chain:
        lib = self._context.library
        path = lib.store.path_for(photo.sha256)
        size = (photo.width, photo.height)
        return [(f"orig:{photo.sha256}", lambda: loaders.original(path)),
                (f"thumb:{photo.sha256}",
                 lambda: loaders.preview(importer.ensure_thumbnail(lib, photo), size))]

    def _aligned_chain(self, photo: Photo, m: Measurement | None,
                       frame: tuple[int, int]) -> Chain:
        if m is None or m.matrix is None:
            return []
        lib = self._context.library
        path = lib.store.path_for(photo.sha256)
        matrix = m.matrix
        chain: Chain = [(f"warp:{photo.sha256}:{_digest(matrix)}:{frame}",
                         lambda: loaders.warped(path, matrix, frame))]
        if m.cache_key:
            cached = _aligned_path(lib.cache_dir, m.cache_key)
            moving = (photo.width, photo.height)
            chain.append((f"work:{m.cache_key}:{frame}",
                          lambda: loaders.working_copy(cached, frame, (matrix, moving))))
        return chain

    def _mask_chain(self, m: Measurement | None, frame: tuple[int, int]) -> Chain:
        if m is None or not m.cache_key or m.coverage is None:
            return []
        path = _mask_path(self._context.library.cache_dir, m.cache_key)
        return [(f"mask:{m.cache_key}:{frame}", lambda: loaders.mask_tint(path, frame))]

    def _auto_region(self, baseline: Photo, m: Measurement | None) -> Polygon | None:
        if m is None or not m.cache_key:
            return None
        path = self._context.library.store.path_for(baseline.sha256)
        size = (baseline.width, baseline.height)
        key = f"roi:{baseline.sha256}"
        value = self._store.request(key, lambda: region_outline.automatic_region(path, size))
        self._wanted.add(key)
        return value if isinstance(value, list) and value else None

    # -- helpers -------------------------------------------------------------------------------
    def _best(self, chain: Chain, out: Composition) -> Any | None:
        """The best ready value of a chain; requests the best (and stand-ins while it loads)."""
        if not chain:
            return None
        for i, (key, loader) in enumerate(chain):
            self._wanted.add(key)
            value = self._store.request(key, loader)
            if value is not None:
                if i > 0 and self._store.pending(chain[0][0]):
                    out.loading = True
                return value
            error = self._store.error(key)
            if error is None:
                out.loading = True
            elif i == 0:
                out.errors.append(error)
        return None

    def _set(self, item: TiledImageItem, out: Composition, chain: Chain) -> None:
        value = self._best(chain, out)
        item.set_pyramid(value if isinstance(value, Pyramid) else None)

    def _prefetch(self, state: DisplayState, follow: Photo, out: Composition) -> None:
        """Start decoding the neighbouring visits, so arrow keys step without waiting."""
        snap = state.snapshot
        if snap is None or state.view is None:
            return
        photos = snap.photos_of(state.view)
        ids = [p.id for p in photos]
        if follow.id not in ids:
            return
        index = ids.index(follow.id)
        for neighbour in (index + 1, index - 1):
            if 0 <= neighbour < len(photos):
                key, loader = self._photo_chain(photos[neighbour])[0]
                self._wanted.add(key)
                if not out.aligned:
                    self._store.request(key, loader)

    def clear(self, message: str) -> None:
        """Empty panes showing `message` (no patient, nothing loaded yet)."""
        for frame in (self._left, self._right):
            pane = frame.pane
            for item in (pane.base, pane.base_overlay, pane.top, pane.top_overlay):
                item.set_pyramid(None)
            pane.set_region_outline(None)
            pane.set_curtain(None)
            pane.set_message(message)
        self._store.keep_only(())


def _has_key(m: Measurement | None) -> bool:
    return m is not None and bool(m.cache_key) and m.coverage is not None


def _mask_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "masks" / f"{key}.png"


def _aligned_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "aligned" / f"{key}.jpg"


def _digest(value: object) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _qtransform(matrix: np.ndarray) -> QTransform:
    """Column-vector 3x3 matrix -> Qt's row-vector QTransform."""
    m = np.asarray(matrix, dtype=float)
    m = m / m[2, 2]
    return QTransform(m[0, 0], m[1, 0], m[2, 0], m[0, 1], m[1, 1], m[2, 1],
                      m[0, 2], m[1, 2], m[2, 2])

"""Decoding and preparing pixels off the GUI thread, with a small shared cache.

Every loader is a plain function run by the TaskRunner's readers; it returns
an immutable Pyramid (or a Pyramid with its summary) that panes can share.
The store caches results by key within a memory budget, starts each load at
most once, and cancels queued loads that the screen no longer needs (arrow
keys can step through visits faster than 12 MP photos decode).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, Signal

from hairtrack.core.imaging import io
from hairtrack.core.imaging.transforms import warp_to_reference
from hairtrack.core.progress import Cancelled, CancelToken
from hairtrack.ui.compare import modes
from hairtrack.ui.compare.tiles import Pyramid, build_pyramid
from hairtrack.ui.tasks import TaskHandle, TaskRunner

Size = tuple[int, int]  # (width, height)
DEFAULT_BUDGET = 900 * 2**20


def original(path: Path) -> Pyramid:
    """A photo at full resolution, in its own frame."""
    return build_pyramid(io.read_image(path))


def preview(path: Path, frame: Size) -> Pyramid:
    """A small stand-in (a thumbnail) stretched over the full frame while the photo decodes."""
    return build_pyramid(io.read_image(path), frame)


def working_copy(path: Path, frame: Size,
                 warp: tuple[Sequence[Sequence[float]], Size] | None = None) -> Pyramid:
    """An analysis output (up to 2048 px, baseline working frame) over the full baseline frame.

    For a warped follow-up, `warp` (its matrix and original size) makes the
    area outside the photo transparent, so blend and wipe show the baseline there.
    """
    image = _read_cache(path)
    if warp is None:
        return build_pyramid(image, frame)
    valid = modes.valid_area(warp[0], warp[1], frame, (image.shape[0], image.shape[1]))
    return build_pyramid(_with_alpha(image, valid), frame, premultiplied_alpha=True)


def warped(path: Path, matrix: Sequence[Sequence[float]], frame: Size) -> Pyramid:
    """A follow-up original warped onto the full-resolution baseline frame, transparent
    where the follow-up has no pixels."""
    image, valid = warp_to_reference(io.read_image(path), np.asarray(matrix, dtype=float),
                                     (frame[1], frame[0]))
    return build_pyramid(_with_alpha(image, valid), premultiplied_alpha=True)


def _with_alpha(image: NDArray[np.uint8], valid: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """Premultiplied BGRA: opaque inside `valid`, fully transparent (all zero) outside."""
    bgra = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2BGRA), dtype=np.uint8)
    bgra[~valid] = 0
    return bgra


def mask_tint(path: Path, frame: Size) -> Pyramid:
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise io.ImageError(f"cannot read the hair mask {path.name}")
    return build_pyramid(modes.mask_overlay(mask), frame, premultiplied_alpha=True)


@dataclass(frozen=True)
class GainLossResult:
    pyramid: Pyramid
    summary: modes.GainLoss


def gain_loss(baseline_mask: Path, follow_mask: Path, background: Path,
              matrix: Sequence[Sequence[float]], moving_size: Size, frame: Size,
              region: Sequence[tuple[float, float]] | None) -> GainLossResult:
    """The gain/loss map of two analysis masks, both in the baseline's working frame."""
    base = cv2.imread(str(baseline_mask), cv2.IMREAD_GRAYSCALE)
    follow = cv2.imread(str(follow_mask), cv2.IMREAD_GRAYSCALE)
    if base is None or follow is None:
        raise io.ImageError("the hair masks of this pair are missing; analyse again")
    shape = (base.shape[0], base.shape[1])
    valid = modes.valid_area(matrix, moving_size, frame, shape)
    region_mask = None if not region else modes.polygon_mask(region, frame, shape)
    summary = modes.gain_loss(base, follow, valid, _read_cache(background), region_mask)
    # The picture is kept, the masks are not: the summary holds no arrays beyond `image`.
    return GainLossResult(build_pyramid(summary.image, frame), summary)


def _read_cache(path: Path) -> NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise io.ImageError(f"cannot read the cached image {path.name}; analyse again")
    return np.asarray(image, dtype=np.uint8)


def _size_of(value: Any) -> int:
    if isinstance(value, Pyramid):
        return value.nbytes
    if isinstance(value, GainLossResult):
        return value.pyramid.nbytes + value.summary.image.nbytes
    return 1024


class ImageStore(QObject):
    """Key -> prepared image, loaded once in the background, evicted least-recently-used."""

    loaded = Signal(str)  # key (or failed: see error())

    def __init__(self, runner: TaskRunner, budget_bytes: int = DEFAULT_BUDGET,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._budget = budget_bytes
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._pending: dict[str, TaskHandle] = {}
        self._errors: dict[str, str] = {}
        self._pinned: set[str] = set()

    def get(self, key: str) -> Any | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def error(self, key: str) -> str | None:
        return self._errors.get(key)

    def pending(self, key: str) -> bool:
        return key in self._pending

    def request(self, key: str, loader: Callable[[], Any]) -> Any | None:
        """The value if ready; otherwise start loading it (once) and return None."""
        value = self.get(key)
        if value is not None or key in self._pending or key in self._errors:
            return value

        def work(token: CancelToken) -> Any:
            if token.cancelled:  # queued behind other loads and no longer wanted
                raise Cancelled()
            return loader()

        def done(value: Any) -> None:
            self._done(key, value)

        def failed(exc: Exception) -> None:
            self._failed(key, exc)

        handle = self._runner.run(f"load {key.split(':', 1)[0]}", work, on_done=done,
                                  on_error=failed)
        if not handle.finished:
            self._pending[key] = handle
        return self.get(key)

    def keep_only(self, wanted: Iterable[str]) -> None:
        """Cancel queued loads that are not wanted any more; never evict the wanted ones."""
        keep = set(wanted)
        self._pinned = keep
        for key, handle in list(self._pending.items()):
            if key not in keep:
                handle.cancel()

    def forget_errors(self) -> None:
        """Files may have appeared (a new analysis): try failed keys again."""
        self._errors.clear()

    def clear(self) -> None:
        self.keep_only(())
        self._items.clear()
        self._errors.clear()

    def _done(self, key: str, value: Any) -> None:
        self._pending.pop(key, None)
        self._items[key] = value
        self._items.move_to_end(key)
        total = sum(_size_of(v) for v in self._items.values())
        for old in list(self._items):
            if total <= self._budget:
                break
            if old in self._pinned or old == key:
                continue
            total -= _size_of(self._items.pop(old))
        self.loaded.emit(key)

    def _failed(self, key: str, exc: Exception) -> None:
        self._pending.pop(key, None)
        if isinstance(exc, Cancelled):
            return
        self._errors[key] = str(exc) or type(exc).__name__
        self.loaded.emit(key)

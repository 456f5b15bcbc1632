"""Thumbnails decoded off the GUI thread, kept in a bounded LRU cache of QPixmaps.

Views ask for the thumbnails they are about to paint; the newest request is
served first (the tiles the user is looking at now, not the ones scrolled past
a second ago). Workers make the cached JPEG (`importer.ensure_thumbnail`),
decode it and shrink it to the display size as a QImage; the GUI thread turns
it into a QPixmap (QPixmaps may only be made there) and evicts the least
recently used ones once the cache holds more than its byte limit, so a
300-photo patient costs a bounded amount of memory whatever the user scrolls.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from hairtrack.core.domain import Photo
from hairtrack.core.library import Library
from hairtrack.core.services import importer

DEFAULT_LIMIT_BYTES = 48 * 1024 * 1024


class ThumbnailLoader(QObject):
    thumbnailReady = Signal(str)  # sha256 of the photo whose thumbnail is now cached
    idle = Signal()  # nothing queued or in flight any more

    _loaded = Signal(str, QImage)
    _failed = Signal(str, str)

    def __init__(self, library: Library, *, display: QSize | None = None,
                 limit_bytes: int = DEFAULT_LIMIT_BYTES, workers: int = 2,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._display = display or QSize(400, 300)
        self._limit = max(1, limit_bytes)
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._bytes = 0
        self._failures: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stack: list[Photo] = []  # newest request last: served first
        self._queued: set[str] = set()
        self._in_flight = 0
        self._closed = False
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="hairtrack-thumb")
        self._loaded.connect(self._store, Qt.ConnectionType.QueuedConnection)
        self._failed.connect(self._fail, Qt.ConnectionType.QueuedConnection)
        self.loads = 0  # completed decodes, for benchmarks and tests

    # ---- queries ---------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Requests queued or being decoded (screenshot mode waits for 0)."""
        with self._lock:
            return len(self._queued)

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    @property
    def cached_count(self) -> int:
        return len(self._cache)

    @property
    def limit_bytes(self) -> int:
        return self._limit

    def pixmap(self, photo: Photo) -> QPixmap | None:
        found = self._cache.get(photo.sha256)
        if found is not None:
            self._cache.move_to_end(photo.sha256)
        return found

    def failure(self, photo: Photo) -> str | None:
        return self._failures.get(photo.sha256)

    # ---- requests --------------------------------------------------------------------------
    def request(self, photos: Iterable[Photo]) -> None:
        """Queue the thumbnails not cached yet; the last ones asked for come first."""
        if self._closed:
            return
        new = []
        with self._lock:
            for photo in photos:
                sha = photo.sha256
                if sha in self._cache or sha in self._failures:
                    continue
                if sha in self._queued:  # asked again: move it to the front
                    for index, queued in enumerate(self._stack):
                        if queued.sha256 == sha:
                            self._stack.append(self._stack.pop(index))
                            break
                    continue
                self._queued.add(sha)
                self._stack.append(photo)
                new.append(photo)
        for _ in new:
            self._pool.submit(self._work)

    def forget_queue(self) -> None:
        """Drop requests not started yet (another patient was opened)."""
        with self._lock:
            for photo in self._stack:
                self._queued.discard(photo.sha256)
            self._stack.clear()
        if self.pending == 0:
            self.idle.emit()

    def clear(self) -> None:
        self.forget_queue()
        self._cache.clear()
        self._failures.clear()
        self._bytes = 0

    def shutdown(self) -> None:
        self._closed = True
        self.forget_queue()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # ---- worker side -----------------------------------------------------------------------
    def _work(self) -> None:
        with self._lock:
            if not self._stack or self._closed:
                return
            photo = self._stack.pop()
        try:
            path = importer.ensure_thumbnail(self._library, photo)
            image = QImage(str(path))
            if image.isNull():
                raise OSError("the cached thumbnail cannot be decoded")
            if image.width() > self._display.width() or image.height() > self._display.height():
                image = image.scaled(self._display, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
        except Exception as exc:  # a missing original must not kill the worker
            if not self._closed:
                self._failed.emit(photo.sha256, str(exc) or type(exc).__name__)
            return
        if not self._closed:
            self._loaded.emit(photo.sha256, image)

    # ---- GUI side --------------------------------------------------------------------------
    @Slot(str, QImage)
    def _store(self, sha: str, image: QImage) -> None:
        with self._lock:
            self._queued.discard(sha)
        if self._closed:
            return
        pixmap = QPixmap.fromImage(image)
        old = self._cache.pop(sha, None)
        if old is not None:
            self._bytes -= _cost(old)
        self._cache[sha] = pixmap
        self._bytes += _cost(pixmap)
        while self._bytes > self._limit and len(self._cache) > 1:
            _, evicted = self._cache.popitem(last=False)
            self._bytes -= _cost(evicted)
        self.loads += 1
        self.thumbnailReady.emit(sha)
        if self.pending == 0:
            self.idle.emit()

    @Slot(str, str)
    def _fail(self, sha: str, message: str) -> None:
        with self._lock:
            self._queued.discard(sha)
        self._failures[sha] = message
        self.thumbnailReady.emit(sha)
        if self.pending == 0:
            self.idle.emit()


def _cost(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)

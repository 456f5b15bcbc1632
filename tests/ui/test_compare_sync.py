"""Zoomable panes kept in step: wheel, drag, fit and 100 %, in the baseline's frame.

Real ImagePane widgets receive real wheel and mouse events; the checks are on
where each pane ends up, mapped back into baseline pixels.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from hairtrack.ui.compare.image_pane import ImagePane
from hairtrack.ui.compare.sync import Frame, ViewSync
from hairtrack.ui.compare.tiles import TILE, build_pyramid

BASELINE = (1200, 900)


class Rig:
    def __init__(self, follow_size: tuple[int, int] = BASELINE) -> None:
        self.window = QWidget()
        layout = QHBoxLayout(self.window)
        self.left, self.right = ImagePane("left"), ImagePane("right")
        layout.addWidget(self.left)
        layout.addWidget(self.right)
        self.sync = ViewSync()
        for pane in (self.left, self.right):
            self.sync.add_pane(pane)
            pane.zoomRequested.connect(self.sync.zoom_at)
            pane.panRequested.connect(self.sync.pan_by)
            pane.resized.connect(self.sync.refresh)
        rng = np.random.default_rng(3)
        self.left.base.set_pyramid(build_pyramid(
            rng.integers(0, 255, (BASELINE[1], BASELINE[0], 3), dtype=np.uint8)))
        self.right.base.set_pyramid(build_pyramid(
            rng.integers(0, 255, (follow_size[1], follow_size[0], 3), dtype=np.uint8)))
        self.sync.set_frame(self.right, Frame.relative(BASELINE, follow_size))
        self.window.resize(1000, 500)
        self.window.show()
        QApplication.processEvents()
        self.sync.set_baseline_size(BASELINE, refit=True)

    def baseline_centre(self, pane: ImagePane) -> QPointF:
        """What baseline pixel is at the centre of `pane`, from the pane's own transform."""
        vp = pane.viewport().rect().center()
        centre = pane.mapToScene(vp)  # Qt's own mapping, scroll rounding included
        return self.sync.frame(pane).to_baseline(centre)


@pytest.fixture
def rig(qtbot: object) -> Iterator[Rig]:
    made = Rig()
    yield made
    made.window.close()
    made.window.deleteLater()


def wheel(pane: ImagePane, pos: QPointF, notches: int = 1) -> None:
    event = QWheelEvent(pos, pane.viewport().mapToGlobal(pos), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(pane.viewport(), event)


def test_wheel_on_one_pane_zooms_both_identically_about_the_cursor(rig: Rig) -> None:
    before_scale = rig.left.transform().m11()
    cursor = QPointF(100.0, 80.0)
    under_cursor = rig.left.scene_at(cursor)
    wheel(rig.left, cursor, notches=2)

    factor = 2.0 ** (240 / 480)
    assert rig.left.transform().m11() == pytest.approx(before_scale * factor)
    assert rig.right.transform() == rig.left.transform()  # same size: identical transforms
    # the image point under the cursor stayed under the cursor
    assert rig.left.scene_at(cursor).x() == pytest.approx(under_cursor.x(), abs=1e-6)
    assert rig.left.scene_at(cursor).y() == pytest.approx(under_cursor.y(), abs=1e-6)
    # and both panes look at the same baseline pixel (within one screen pixel)
    a, b = rig.baseline_centre(rig.left), rig.baseline_centre(rig.right)
    tolerance = 1.0 / rig.left.transform().m11()
    assert abs(a.x() - b.x()) <= tolerance and abs(a.y() - b.y()) <= tolerance
    # and it is no longer the image centre: the zoom followed the cursor
    assert a.x() < (BASELINE[0] - 1) / 2 - 50


def test_wheel_on_the_other_pane_drives_the_first(rig: Rig) -> None:
    wheel(rig.right, QPointF(300.0, 200.0), notches=-1)
    assert rig.left.transform() == rig.right.transform()
    assert rig.left.view_centre == rig.right.view_centre


def test_drag_pans_both_panes(rig: Rig) -> None:
    rig.sync.zoom_by(3.0)
    start = rig.baseline_centre(rig.right)
    scale = rig.sync.scale
    viewport = rig.left.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(200, 200))
    for x in range(200, 139, -10):  # drag 60 px to the left, in steps
        QTest.mouseMove(viewport, QPoint(x, 200))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(140, 200))
    moved = rig.baseline_centre(rig.right)
    # dragging the image left shows what lies to its right
    assert moved.x() - start.x() == pytest.approx(60 / scale, abs=1.0 / scale + 1e-6)
    assert moved.y() == pytest.approx(start.y(), abs=1.0 / scale)
    assert rig.baseline_centre(rig.left).x() == pytest.approx(moved.x(), abs=1.0 / scale)


def test_fit_and_actual_size(rig: Rig) -> None:
    rig.sync.zoom_by(5.0, QPointF(10, 10))
    rig.sync.fit()
    vp = rig.left.viewport_size()
    expected = min(vp.width() / BASELINE[0], vp.height() / BASELINE[1]) * 0.98
    assert rig.sync.scale == pytest.approx(expected)
    assert rig.left.transform().m11() == pytest.approx(expected)
    # the whole image is inside the viewport
    top_left = rig.left.viewport_at(QPointF(-0.5, -0.5))
    bottom_right = rig.left.viewport_at(QPointF(BASELINE[0] - 0.5, BASELINE[1] - 0.5))
    assert top_left.x() >= 0 and top_left.y() >= 0
    assert bottom_right.x() <= vp.width() and bottom_right.y() <= vp.height()
    rig.sync.actual_size()
    assert rig.left.transform().m11() == pytest.approx(1.0)
    assert rig.right.transform().m11() == pytest.approx(1.0)


def test_originals_of_different_sizes_follow_by_relative_position(qtbot: object) -> None:
    rig = Rig(follow_size=(600, 600))  # half as wide, 2/3 as tall, another aspect ratio
    try:
        anchor = QPointF(900.0, 300.0)
        rig.sync.zoom_by(4.0, anchor)
        rig.sync.set_view(QPointF(900.0, 300.0), rig.sync.scale)
        right_centre = rig.right.view_centre
        # 900 of 1200 px across -> 3/4 across the 600-px follow-up
        assert (right_centre.x() + 0.5) / 600 == pytest.approx((900 + 0.5) / 1200)
        assert (right_centre.y() + 0.5) / 600 == pytest.approx((300 + 0.5) / 900)
        zoom = Frame.relative(BASELINE, (600, 600)).zoom
        assert rig.right.view_scale == pytest.approx(rig.left.view_scale * zoom)
    finally:
        rig.window.close()
        rig.window.deleteLater()


def test_pyramid_draws_from_a_level_matching_the_zoom() -> None:
    image = np.zeros((3000, 4000, 3), dtype=np.uint8)
    pyramid = build_pyramid(image)
    scales = [level.scale for level in pyramid.levels]
    assert scales[0] == pytest.approx(1.0)
    assert all(a > b for a, b in itertools.pairwise(scales))
    assert max(pyramid.levels[-1].tiles[0].image.width(), 1) <= TILE
    # fitting 4000 px into 1000 px draws from the quarter-size level, not the full image
    assert pyramid.level_for(0.25).scale == pytest.approx(0.25)
    assert pyramid.level_for(0.3).scale == pytest.approx(0.5)
    assert pyramid.level_for(2.0).scale == pytest.approx(1.0)
    # tiles cover the full frame, each starting on the tile grid
    full = pyramid.levels[0]
    assert len(full.tiles) == 8 * 6
    assert min(t.rect.left() for t in full.tiles) == -0.5
    assert max(t.rect.right() for t in full.tiles) == 3999.5
    assert max(t.rect.bottom() for t in full.tiles) == 2999.5
    assert {(t.rect.left() + 0.5) % TILE for t in full.tiles} == {0.0}


def test_tiles_leave_no_seams(rig: Rig) -> None:
    """A smooth gradient must stay smooth across tile borders at any zoom (1-px gaps showed
    the dark background at exactly 100 % before tiles overlapped)."""
    yy, xx = np.mgrid[0:2000, 0:2600]
    gradient = np.dstack([xx * 255 // 2600, yy * 255 // 2000, (xx + yy) * 255 // 4600])
    rig.left.base.set_pyramid(build_pyramid(gradient.astype(np.uint8)))
    for scale in (0.61, 1.0, 1.37, 2.0, 3.7):
        rig.sync.set_view(QPointF(1023.3, 1022.7), scale)  # tile borders in view
        image = rig.left.viewport().grab().toImage().convertToFormat(
            QImage.Format.Format_RGB888)
        rows = np.asarray(image.constBits(), dtype=np.uint8).reshape(
            image.height(), image.bytesPerLine())[:, : image.width() * 3]
        pixels = rows.reshape(image.height(), image.width(), 3).astype(int)
        assert np.abs(np.diff(pixels, axis=1)).max() <= 2, scale
        assert np.abs(np.diff(pixels, axis=0)).max() <= 2, scale

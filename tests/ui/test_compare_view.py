"""The comparison page on the small demo patient (tests/ui/conftest.py), before analysis.

Everything here works on originals only: the view selector, the visit strip
and arrow keys, synchronised zoom through the real widget, and that both
panes really draw their photos.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.services import records
from hairtrack.ui.compare import CompareView
from hairtrack.ui.compare.modes import Mode
from hairtrack.ui.context import AppContext
from hairtrack.ui.tasks import TaskRunner


class Page:
    def __init__(self, root: Path, tmp_path: Path) -> None:
        shutil.copytree(root, tmp_path / "library")
        self.library = Library.open(tmp_path / "library")
        self.runner = TaskRunner(synchronous=True)
        self.context = AppContext(self.library, self.runner)
        self.messages: list[str] = []
        self.context.statusMessage.connect(self.messages.append)
        self.failures: list[str] = []
        self.runner.taskFailed.connect(lambda label, why: self.failures.append(f"{label}: {why}"))
        self.view = CompareView(self.context)
        self.view.resize(1300, 850)
        self.view.show()
        QApplication.processEvents()
        self.patient_id = records.list_patients(self.library)[0].id
        self.record = records.patient_record(self.library, self.patient_id)

    def photos(self, view: View) -> list[int]:
        return [p.id for p in sorted((p for p in self.record.photos if p.view == view),
                                     key=lambda p: p.captured_at)]

    def close(self) -> None:
        self.view.close()
        self.view.deleteLater()
        self.runner.shutdown()
        self.library.close()


@pytest.fixture
def page(small_demo_root: Path, tmp_path: Path, qtbot: object) -> Iterator[Page]:
    made = Page(small_demo_root, tmp_path)
    yield made
    assert not made.failures
    made.close()


def viewport_pixels(pane: object) -> np.ndarray:
    image = pane.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.asarray(image.constBits(), dtype=np.uint8)
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3].copy()


def test_shows_baseline_against_the_latest_visit(page: Page) -> None:
    page.view.show_patient(page.patient_id)
    vertex = page.photos(View.VERTEX)
    assert page.view.state.view is View.VERTEX
    assert page.view.current_photo_id == vertex[-1]
    assert page.view.composition.baseline is not None
    assert page.view.composition.baseline.id == vertex[0]
    assert page.view.strip.photo_ids() == vertex
    combo = page.view.toolbar.view_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [
        "vertex", "frontal", "mid-scalp", "occipital"]  # the patient's views, in View order
    assert combo.itemText(0) == "Vertex / crown (4)"
    assert "Baseline · 3 Nov 2025 · visit 1" in page.view.left_frame.title.text()
    assert "+12 mo" in page.view.right_frame.title.text()
    assert "not analysed" in page.view.right_frame.detail.text()
    # before analysis only the originals can be compared, and the page says why
    assert not page.view.toolbar.mode_buttons[Mode.BLEND].isEnabled()
    assert page.view.banner.isVisible()
    assert "not been analysed" in page.view.banner.text.text()


def test_both_panes_draw_their_photos(page: Page) -> None:
    page.view.show_patient(page.patient_id)
    left = viewport_pixels(page.view.left_pane)
    right = viewport_pixels(page.view.right_pane)
    background = np.array([0x25, 0x28, 0x2C])
    for pixels in (left, right):
        h, w = pixels.shape[0], pixels.shape[1] // 3
        centre = pixels[h // 2 - 5: h // 2 + 5, (w // 2 - 5) * 3: (w // 2 + 5) * 3]
        assert np.abs(centre.reshape(-1, 3).mean(axis=0) - background).max() > 30
        assert pixels.std() > 20  # a photo, not a flat fill
    assert not page.view.left_pane.message and not page.view.right_pane.message
    assert not np.array_equal(left, right)


def test_arrow_keys_step_through_visits(page: Page) -> None:
    page.view.show_patient(page.patient_id)
    vertex = page.photos(View.VERTEX)
    page.view.setFocus()
    QTest.keyClick(page.view, Qt.Key.Key_Left)
    assert page.view.current_photo_id == vertex[-2]
    QTest.keyClick(page.view.right_pane.viewport(), Qt.Key.Key_Left)  # from a pane too
    assert page.view.current_photo_id == vertex[-3]
    QTest.keyClick(page.view, Qt.Key.Key_Right)
    assert page.view.current_photo_id == vertex[-2]
    assert page.view.strip.currentRow() == len(vertex) - 2
    assert "+6 mo" in page.view.right_frame.title.text()
    for _ in range(5):  # stops at the first visit
        QTest.keyClick(page.view, Qt.Key.Key_Left)
    assert page.view.current_photo_id == vertex[0]


def test_view_selector_and_show_photo(page: Page) -> None:
    page.view.show_patient(page.patient_id)
    combo = page.view.toolbar.view_combo
    combo.setCurrentIndex(combo.findData(View.OCCIPITAL.value))
    occipital = page.photos(View.OCCIPITAL)
    assert page.view.state.view is View.OCCIPITAL
    assert page.view.strip.photo_ids() == occipital
    assert page.view.composition.baseline.id == occipital[0]
    vertex = page.photos(View.VERTEX)
    page.view.show_photo(vertex[1])
    assert page.view.state.view is View.VERTEX
    assert combo.currentData() == View.VERTEX.value
    assert page.view.current_photo_id == vertex[1]
    assert "+3 mo" in page.view.right_frame.title.text()


def test_wheel_and_zoom_buttons_keep_the_panes_together(page: Page) -> None:
    page.view.show_patient(page.patient_id)
    left, right = page.view.left_pane, page.view.right_pane
    fitted = left.transform().m11()
    pos = QPointF(60.0, 70.0)
    event = QWheelEvent(pos, left.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, 360),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(left.viewport(), event)
    assert left.transform().m11() == pytest.approx(fitted * 2 ** 0.75)
    assert right.transform() == left.transform()
    assert right.view_centre == left.view_centre  # same-size originals: same pixels
    centre = left.mapToScene(left.viewport().rect().center())
    assert right.mapToScene(right.viewport().rect().center()) == centre
    QTest.mouseClick(page.view.toolbar.actual_button, Qt.MouseButton.LeftButton)
    assert left.transform().m11() == pytest.approx(1.0)
    assert right.transform().m11() == pytest.approx(1.0)
    assert page.view.toolbar.zoom_label.text() == "100 %"
    QTest.mouseClick(page.view.toolbar.fit_button, Qt.MouseButton.LeftButton)
    assert left.transform().m11() == pytest.approx(fitted)
    page.view.zoom_by(2.0)  # the benchmark's entry point
    assert right.transform().m11() == pytest.approx(fitted * 2.0)


def click(pane: object, point: tuple[float, float],
          button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    at = pane.viewport_at(QPointF(*point))
    QTest.mouseClick(pane.viewport(), button, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(at.x()), round(at.y())))
    QTest.qWait(5)  # keep clicks apart so they are not taken as double-clicks


def drag(pane: object, start: tuple[float, float], end: tuple[float, float]) -> None:
    a, b = pane.viewport_at(QPointF(*start)), pane.viewport_at(QPointF(*end))
    viewport = pane.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(a.x()), round(a.y())))
    for t in (0.25, 0.5, 0.75, 1.0):
        QTest.mouseMove(viewport, QPoint(round(a.x() + (b.x() - a.x()) * t),
                                         round(a.y() + (b.y() - a.y()) * t)))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(round(b.x()), round(b.y())))
    QTest.qWait(5)


def near(points: list[tuple[float, float]], expected: list[tuple[float, float]],
         pane: object) -> bool:
    tolerance = 1.0 / pane.view_scale
    return len(points) == len(expected) and bool(
        np.abs(np.array(points) - np.array(expected)).max() <= tolerance)


def test_region_editor_draws_and_edits_a_polygon(page: Page) -> None:
    page.view.show_patient(page.patient_id)
    QTest.mouseClick(page.view.toolbar.region_button, Qt.MouseButton.LeftButton)
    editor, pane = page.view.editing.region, page.view.left_pane
    assert pane.tool is editor and page.view.editing.region_bar.isVisible()
    pts = [(100.0, 100.0), (400.0, 100.0), (400.0, 300.0), (100.0, 300.0)]
    for p in pts:
        click(pane, p)
    assert not editor.closed and not page.view.editing.save_button.isEnabled()
    QTest.mouseClick(page.view.editing.close_button, Qt.MouseButton.LeftButton)
    assert editor.closed and page.view.editing.save_button.isEnabled()
    drag(pane, pts[2], (450.0, 350.0))  # move a vertex
    assert near(editor.polygon(), [pts[0], pts[1], (450.0, 350.0), pts[3]], pane)
    click(pane, (250.0, 100.0))  # a click on the top edge inserts a vertex there
    assert near(editor.polygon(), [pts[0], (250.0, 100.0), pts[1], (450.0, 350.0), pts[3]],
                pane)
    click(pane, pts[3], Qt.MouseButton.RightButton)  # right-click removes a vertex
    assert near(editor.polygon(), [pts[0], (250.0, 100.0), pts[1], (450.0, 350.0)], pane)
    drag(pane, (250.0, 100.0), (250.0, 100.0))  # select without moving...
    page.view.setFocus()
    QTest.keyClick(page.view, Qt.Key.Key_Delete)  # ...and delete it with the keyboard
    assert near(editor.polygon(), [pts[0], pts[1], (450.0, 350.0)], pane)
    assert editor.closed
    click(pane, pts[0], Qt.MouseButton.RightButton)  # below 3 points it opens again
    assert not editor.closed and not page.view.editing.save_button.isEnabled()
    QTest.mouseClick(page.view.editing.restart_button, Qt.MouseButton.LeftButton)
    assert editor.polygon() == []
    click(pane, (-50.0, 20.0))  # outside the photo: clamped onto its edge
    assert editor.polygon() == [(0.0, 20.0)] or near(editor.polygon(), [(0.0, 20.0)], pane)
    QTest.keyClick(page.view, Qt.Key.Key_Escape)
    assert page.view.editing.tool is None and pane.tool is None


def test_landmark_editor_pairs_undo_and_clear(page: Page) -> None:
    page.view.show_patient(page.patient_id)
    QTest.mouseClick(page.view.toolbar.landmarks_button, Qt.MouseButton.LeftButton)
    lm, left, right = page.view.editing.landmarks, page.view.left_pane, page.view.right_pane
    assert left.tool is lm and right.tool is lm
    click(left, (50.0, 60.0))
    click(left, (300.0, 80.0))
    click(right, (55.0, 65.0))
    assert lm.pair_count == 1 and "click point 2 in the follow-up" in lm.status_text()
    click(right, (310.0, 90.0))
    click(left, (200.0, 300.0))
    assert not page.view.editing.apply_button.isEnabled()
    click(right, (205.0, 310.0))
    assert lm.pair_count == 3 and page.view.editing.apply_button.isEnabled()
    drag(right, (205.0, 310.0), (220.0, 320.0))  # adjust a marker
    assert near(lm.points(1), [(55.0, 65.0), (310.0, 90.0), (220.0, 320.0)], right)
    QTest.mouseClick(page.view.editing.undo_button, Qt.MouseButton.LeftButton)
    assert lm.pair_count == 2 and not page.view.editing.apply_button.isEnabled()
    click(left, (50.0, 60.0), Qt.MouseButton.RightButton)  # remove a marker
    assert near(lm.points(0), [(300.0, 80.0), (200.0, 300.0)], left)
    markers = [i for i in left.scene().items() if type(i).__name__ == "LandmarkMarker"]
    assert len(markers) == 2 and {m.number for m in markers} == {1, 2}
    QTest.mouseClick(page.view.editing.clear_button, Qt.MouseButton.LeftButton)
    assert lm.points(0) == [] and lm.points(1) == []
    # stepping to another visit keeps the baseline points but drops the follow-up's
    click(left, (50.0, 60.0))
    click(right, (55.0, 65.0))
    QTest.keyClick(page.view, Qt.Key.Key_Left)
    assert lm.points(1) == [] and len(lm.points(0)) == 1


def test_show_photo_right_after_show_patient_with_a_threaded_runner(small_demo_root: Path,
                                                                    tmp_path: Path,
                                                                    qtbot: object) -> None:
    """The shell calls show_patient then show_photo at once; loads finish later."""
    shutil.copytree(small_demo_root, tmp_path / "library")
    library = Library.open(tmp_path / "library")
    runner = TaskRunner()
    view = CompareView(AppContext(library, runner))
    try:
        view.resize(1000, 700)
        view.show()
        patient = records.list_patients(library)[0]
        photos = sorted((p for p in records.patient_record(library, patient.id).photos
                         if p.view is View.OCCIPITAL), key=lambda p: p.captured_at)
        view.show_patient(patient.id)
        view.show_photo(photos[1].id)
        assert view.left_pane.message == "Loading…"
        qtbot.waitUntil(lambda: view.current_photo_id == photos[1].id, timeout=10_000)
        assert view.state.view is View.OCCIPITAL
        qtbot.waitUntil(lambda: view.right_pane.base.pyramid is not None
                        and view.right_pane.base.pyramid.levels[0].scale == 1.0,
                        timeout=10_000)  # the full photo replaced the thumbnail
        assert not view.right_pane.message
    finally:
        view.close()
        runner.shutdown()
        library.close()


def test_toolbar_labels_fit_a_1280_px_window(page: Page) -> None:
    """In a 1280 px main window the page gets ~1090 px; no button may be squeezed to '...'."""
    page.view.resize(1090, 800)
    QApplication.processEvents()
    tb = page.view.toolbar
    buttons = [*tb.mode_buttons.values(), tb.aligned_button, tb.mask_button,
               tb.landmarks_button, tb.region_button, tb.fit_button, tb.actual_button]
    for button in buttons:
        assert button.width() >= button.sizeHint().width(), button.text()
    assert page.view.minimumSizeHint().width() <= 1090

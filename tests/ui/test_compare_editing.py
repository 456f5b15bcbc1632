"""The comparison page on an analysed demo patient: modes, warnings, landmarks, region.

Besides the demo photos, the vertex view gets two extra follow-ups with known
answers: the baseline itself moved by a known similarity transform with hair
painted into the bald crown (so alignment, landmark positions and the sign of
the change are known), and an unrelated featureless photo that alignment must
refuse. Analysis runs for real, through the service.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from hairtrack.core.domain import View
from hairtrack.core.imaging import io
from hairtrack.core.imaging.transforms import corner_error
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import analysis, demo, importer, measurements, records
from hairtrack.core.storage.models import ManualAlignmentRow
from hairtrack.ui.compare import CompareView
from hairtrack.ui.compare.image_pane import ImagePane
from hairtrack.ui.compare.modes import Mode
from hairtrack.ui.context import AppContext
from hairtrack.ui.tasks import TaskRunner

#: Every photo is analysed again when the region changes: one view and two demo visits keep
#: that to seconds (views, visits and the strip are covered by test_compare_view.py).
VIEWS = (demo.DEMO_VIEWS[0],)
MONTHS = (0, 12)


@dataclass(frozen=True)
class Demo:
    root: Path
    patient_id: int
    baseline_id: int
    moved_id: int  # the baseline moved by `moved` (baseline -> follow-up pixels)
    moved: np.ndarray
    unrelated_id: int


def _moved_copy(original: Path, target: Path) -> np.ndarray:
    image = io.read_image(original)
    h, w = image.shape[:2]
    a = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), 4.0, 1.03)
    a[:, 2] += (10.0, -6.0)
    moved = cv2.warpAffine(image, a, (w, h), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT101)
    rng = np.random.default_rng(5)
    for _ in range(260):  # new dark hairs in the crown: a clear, known gain
        x0, y0 = rng.normal((w / 2, h / 2), (w / 9, h / 9))
        angle = rng.uniform(0, np.pi)
        length = rng.uniform(18, 40)
        x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
        cv2.line(moved, (int(x0), int(y0)), (int(x1), int(y1)), (40, 45, 60), 2, cv2.LINE_AA)
    Image.fromarray(moved[:, :, ::-1]).save(target, "JPEG", quality=95)
    return np.vstack([a, [0.0, 0.0, 1.0]])


def _unrelated(target: Path) -> None:
    rng = np.random.default_rng(9)
    ramp = np.linspace(150, 190, 560)[None, :, None]
    image = np.clip(ramp + rng.normal(0, 1.5, (420, 560, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(image).save(target, "JPEG", quality=95)


@pytest.fixture(scope="session")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    base = tmp_path_factory.mktemp("compare-analysed")
    root = base / "library"
    library = Library.open(root)
    result = run_task(demo.create_demo_patient(
        library, canvas_size=(640, 480), photo_size=(560, 420), months=MONTHS, views=VIEWS))
    pid = result.patient.id
    record = records.patient_record(library, pid)
    baseline = next(p for p in record.photos if p.view is View.VERTEX and p.is_baseline)
    matrix = _moved_copy(library.store.path_for(baseline.sha256), base / "moved.jpg")
    _unrelated(base / "unrelated.jpg")
    report = run_task(importer.import_items(library, pid, [
        importer.ImportItem(base / "moved.jpg", View.VERTEX, visit_date=date(2027, 1, 15)),
        importer.ImportItem(base / "unrelated.jpg", View.VERTEX, visit_date=date(2027, 3, 1)),
    ]))
    moved_id, unrelated_id = (item.photo.id for item in report.imported)
    run_task(analysis.analyze_patient(library, pid))
    library.close()
    return Demo(root, pid, baseline.id, moved_id, matrix, unrelated_id)


class Page:
    def __init__(self, data: Demo, tmp_path: Path) -> None:
        shutil.copytree(data.root, tmp_path / "library")
        self.data = data
        self.library = Library.open(tmp_path / "library")
        self.runner = TaskRunner(synchronous=True)
        self.context = AppContext(self.library, self.runner)
        self.changed: list[int] = []
        self.context.measurementsChanged.connect(self.changed.append)
        self.failures: list[str] = []
        self.runner.taskFailed.connect(lambda label, why: self.failures.append(f"{label}: {why}"))
        self.view = CompareView(self.context)
        self.view.resize(1300, 850)
        self.view.show()
        QApplication.processEvents()
        self.view.show_patient(data.patient_id)

    def measurement(self, photo_id: int) -> measurements.Measurement:
        return measurements.measurements(self.library, self.data.patient_id)[photo_id]

    def close(self) -> None:
        self.view.close()
        self.view.deleteLater()
        self.runner.shutdown()
        self.library.close()


@pytest.fixture
def page(analysed: Demo, tmp_path: Path, qtbot: object) -> Iterator[Page]:
    made = Page(analysed, tmp_path)
    yield made
    assert not made.failures
    made.close()


def pixels(pane: ImagePane) -> np.ndarray:
    QApplication.processEvents()
    image = pane.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.asarray(image.constBits(), dtype=np.uint8)
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).astype(np.int16)


def click(pane: ImagePane, point: tuple[float, float],
          button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    at = pane.viewport_at(QPointF(*point))
    QTest.mouseClick(pane.viewport(), button, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(at.x()), round(at.y())))
    QTest.qWait(5)  # keep clicks apart so they are not taken as double-clicks


def test_modes_render_different_pixels(page: Page) -> None:
    view = page.view
    view.show_photo(page.data.moved_id)
    assert view.composition.status.level == "ok", view.composition.status
    side = pixels(view.right_pane)
    view.set_aligned(False)
    original = pixels(view.right_pane)
    assert np.abs(side - original).mean() > 3  # warped vs as photographed
    view.set_aligned(True)
    view.set_mask_visible(True)
    masked = pixels(view.right_pane)
    assert np.abs(side - masked).mean() > 3
    view.set_mask_visible(False)

    shown = {}
    for mode in (Mode.BLEND, Mode.WIPE, Mode.DIFFERENCE):
        QTest.mouseClick(view.toolbar.mode_buttons[mode], Qt.MouseButton.LeftButton)
        assert view.composition.mode is mode
        assert not view.left_frame.isVisible()  # one large pane in the composite modes
        shown[mode] = pixels(view.right_pane)
    view.set_mode(Mode.BLEND)
    view.set_blend(0.0)
    only_baseline = pixels(view.right_pane)
    view.set_blend(1.0)
    only_follow = pixels(view.right_pane)
    assert np.abs(only_baseline - only_follow).mean() > 3
    # the wipe shows the baseline left of the curtain and the follow-up right of it
    wipe = shown[Mode.WIPE]
    middle = wipe.shape[1] // 2
    assert np.abs(wipe[:, : middle - 12] - only_baseline[:, : middle - 12]).mean() < 1.0
    assert np.abs(wipe[:, middle + 12:] - only_follow[:, middle + 12:]).mean() < 1.0
    assert np.abs(shown[Mode.DIFFERENCE] - shown[Mode.BLEND]).mean() > 10
    # the heat map says hair was gained (green) where we painted it, with a legend
    view.set_mode(Mode.DIFFERENCE)
    assert view.legend.isVisible()
    summary = view.composition.gain_loss.summary
    assert summary.net_change_pp is not None and summary.net_change_pp > 1.0
    assert "Net +" in view.legend.summary.text()
    view.set_mode(Mode.SIDE_BY_SIDE)
    assert view.left_frame.isVisible()


def test_alignment_quality_is_shown(page: Page) -> None:
    page.view.show_photo(page.data.moved_id)
    m = page.measurement(page.data.moved_id)
    text = page.view.alignment_label.text()
    assert f"score {m.quality.score:.2f}" in text
    assert f"{m.quality.inliers} inliers" in text and "RMSE" in text


def test_refused_alignment_shows_the_warning(page: Page) -> None:
    page.view.show_photo(page.data.unrelated_id)
    m = page.measurement(page.data.unrelated_id)
    assert not m.aligned and m.alignment_reason
    assert page.view.banner.isVisible()
    assert page.view.banner.text.text().startswith(f"Alignment refused: {m.alignment_reason}")
    assert page.view.banner.landmarks.isVisible()
    assert not page.view.toolbar.mode_buttons[Mode.WIPE].isEnabled()
    assert not page.view.toolbar.aligned_button.isEnabled()
    assert page.view.composition.aligned is False


def test_landmark_alignment_end_to_end(page: Page) -> None:
    view = page.view
    view.show_photo(page.data.moved_id)
    QTest.mouseClick(view.toolbar.landmarks_button, Qt.MouseButton.LeftButton)
    assert view.editing.tool == "landmarks" and view.editing.landmark_bar.isVisible()
    assert view.composition.aligned is False  # landmarks go on the originals
    baseline_pts = [(90.0, 80.0), (470.0, 95.0), (455.0, 340.0), (110.0, 330.0)]
    follow_pts = [tuple(page.data.moved[:2] @ [x, y, 1.0]) for x, y in baseline_pts]
    for b, f in zip(baseline_pts, follow_pts, strict=True):
        click(view.left_pane, b)
        click(view.right_pane, f)
    click(view.left_pane, (300.0, 200.0))  # a stray fifth point...
    view.editing.undo_button.click()  # ...undone
    assert view.editing.landmarks.pair_count == 4
    assert view.editing.apply_button.isEnabled()
    view.editing.apply_button.click()

    with page.library.session() as session:
        row = session.scalar(select(ManualAlignmentRow)
                             .where(ManualAlignmentRow.photo_id == page.data.moved_id))
        assert row is not None
        stored = np.array(row.reference_points), np.array(row.moving_points)
    tolerance = 1.0 / view.left_pane.view_scale
    assert np.abs(stored[0] - np.array(baseline_pts)).max() <= tolerance
    assert np.abs(stored[1] - np.array(follow_pts)).max() <= tolerance
    m = page.measurement(page.data.moved_id)
    assert m.alignment_model == "manual" and m.aligned
    truth = np.linalg.inv(page.data.moved)  # follow-up -> baseline
    assert corner_error(np.array(m.matrix), truth, (560, 420), at_width=560) < 3.0
    assert page.changed == [page.data.patient_id]
    assert view.editing.tool is None
    assert view.alignment_label.text().startswith("Manual alignment")
    assert view.composition.aligned  # back to the aligned view the clinician had chosen


def test_stored_landmarks_come_back_for_correction(page: Page) -> None:
    from hairtrack.core.services import measurements

    baseline_pts = [(90.0, 80.0), (470.0, 95.0), (455.0, 340.0)]
    follow_pts = [tuple(page.data.moved[:2] @ [x, y, 1.0]) for x, y in baseline_pts]
    measurements.set_manual_alignment(page.library, page.data.moved_id, baseline_pts,
                                      follow_pts)
    view = page.view
    view.show_photo(page.data.moved_id)
    QTest.mouseClick(view.toolbar.landmarks_button, Qt.MouseButton.LeftButton)
    assert view.editing.landmarks.pair_count == 3
    assert np.allclose(view.editing.landmarks.points(0), baseline_pts)
    assert np.allclose(view.editing.landmarks.points(1), follow_pts)
    view.editing.landmarks.undo()  # corrections start from the stored pairs
    assert view.editing.landmarks.pair_count == 2


def test_region_editing_end_to_end(page: Page) -> None:
    view = page.view
    baseline_before = page.measurement(page.data.baseline_id)
    assert baseline_before.roi_automatic
    QTest.mouseClick(view.toolbar.region_button, Qt.MouseButton.LeftButton)
    assert view.editing.tool == "region"
    # half thinning crown, half dense hair: a region whose coverage can be measured reliably
    corners = [(60.0, 60.0), (300.0, 60.0), (300.0, 240.0), (60.0, 240.0)]
    for point in corners:
        click(view.left_pane, point)
    assert not view.editing.save_button.isEnabled()  # still open
    click(view.left_pane, corners[0])  # the first point closes the polygon
    assert view.editing.region.closed
    view.editing.save_button.click()

    stored = measurements.region(page.library, page.data.patient_id, View.VERTEX)
    assert stored is not None and not stored.automatic
    tolerance = 1.0 / view.left_pane.view_scale
    assert np.abs(np.array(stored.polygon) - np.array(corners)).max() <= tolerance
    after = page.measurement(page.data.baseline_id)
    assert not after.roi_automatic
    assert after.roi_pixels == pytest.approx(241 * 181, rel=0.05)  # 1:1 working copy
    assert after.coverage != pytest.approx(baseline_before.coverage, abs=1e-4)
    assert page.changed == [page.data.patient_id]
    assert "drawn by clinician" in view.left_frame.detail.text()
    assert f"{after.coverage * 100:.1f} %" in view.left_frame.detail.text()

    QTest.mouseClick(view.toolbar.region_button, Qt.MouseButton.LeftButton)
    np.testing.assert_allclose(view.editing.region.polygon(), stored.polygon)  # edits it
    view.editing.auto_button.click()
    assert measurements.region(page.library, page.data.patient_id, View.VERTEX) is None
    restored = page.measurement(page.data.baseline_id)
    assert restored.roi_automatic
    assert restored.coverage == pytest.approx(baseline_before.coverage, abs=1e-6)
    assert "automatic default" in view.left_frame.detail.text()

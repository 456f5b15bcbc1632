"""The Photos page: grid grouped by visit, background thumbnails, view/visit/baseline edits."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QSize, Qt

from hairtrack.core.domain import AlignmentQuality, Measurement, View
from hairtrack.core.services import demo, records
from hairtrack.ui.photo_state import PhotoState, photo_state
from hairtrack.ui.thumbnails import ThumbnailLoader


@pytest.fixture
def photos_page(qtbot, demo_library, make_window, wait_thumbnails):
    window = make_window(demo_library)
    patient = records.patient_by_mrn(demo_library, demo.DEMO_MRN)
    window.open_patient(patient, "photos")
    wait_thumbnails(window)
    return window, window.workspace.photos, demo_library, patient.id


def _click(qtbot, grid, photo_id: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    rect = grid.tile_rect(photo_id)
    assert rect is not None
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_grid_groups_by_visit_then_view_and_loads_thumbnails(qtbot, photos_page):
    window, page, library, patient_id = photos_page
    grid = page.grid
    record = records.patient_record(library, patient_id)
    assert [s.visit.id for s in grid.sections] == [v.id for v in record.visits]
    first = grid.sections[0]
    assert [t.photo.view for t in first.tiles] == [View.VERTEX, View.FRONTAL, View.MID_SCALP,
                                                    View.OCCIPITAL]
    assert first.subtitle.startswith("Start")
    assert all(t.state.baseline for t in first.tiles)  # earliest photo of each view
    assert not any(t.state.baseline for s in grid.sections[1:] for t in s.tiles)
    visible = grid.visible_tiles()
    assert visible, "the grid shows tiles"
    assert all(window.loader.pixmap(t.photo) is not None for t in visible)
    image = grid.viewport().grab().toImage()
    tile = visible[0].rect.translated(0, -grid.verticalScrollBar().value())
    centre = image.pixelColor(tile.center().x(), tile.top() + 60)
    assert centre.name() not in ("#e9edf1", "#ffffff")  # a photo, not the placeholder
    assert "16 photos" in page.summary.text()


def test_click_selects_and_details_show_the_photo(qtbot, photos_page):
    _, page, _library, _patient_id = photos_page
    grid = page.grid
    target = grid.sections[1].tiles[2].photo
    _click(qtbot, grid, target.id)
    assert grid.selected_ids() == [target.id]
    details = page.details
    assert details.heading.text().startswith(target.view.label)
    assert details.file.text() == target.original_name
    assert details.baseline_button.isEnabled()
    assert details.view.currentText() == target.view.label
    other = grid.sections[2].tiles[0].photo
    _click(qtbot, grid, other.id, Qt.KeyboardModifier.ControlModifier)
    assert grid.selected_ids() == [target.id, other.id]
    assert details.heading.text() == "2 photos selected"
    assert not details.baseline_button.isEnabled()


def test_change_view_of_selected_photos(qtbot, photos_page):
    _, page, library, patient_id = photos_page
    grid = page.grid
    first, second = grid.sections[2].tiles[0].photo, grid.sections[3].tiles[0].photo
    assert first.view == second.view == View.VERTEX
    _click(qtbot, grid, first.id)
    _click(qtbot, grid, second.id, Qt.KeyboardModifier.ControlModifier)
    combo = page.details.view
    combo.setCurrentIndex(combo.findData(View.CLOSE_UP.value))
    combo.activated.emit(combo.currentIndex())
    by_id = {p.id: p for p in records.patient_record(library, patient_id).photos}
    assert by_id[first.id].view == by_id[second.id].view == View.CLOSE_UP
    # the grid shows the new view, and the two photos made the close-up view's baseline
    state = grid.state_of(first.id)
    assert state is not None and state.baseline
    labels = [t.photo.view for t in grid.sections[2].tiles]
    assert labels[-1] == View.CLOSE_UP  # ordered by view within the visit


def test_mark_baseline_and_move_to_visit(qtbot, photos_page):
    window, page, library, patient_id = photos_page
    grid = page.grid
    later = grid.sections[3].tiles[0].photo  # vertex at 12 months
    _click(qtbot, grid, later.id)
    qtbot.mouseClick(page.details.baseline_button, Qt.MouseButton.LeftButton)
    photos = records.patient_record(library, patient_id).photos
    baselines = {p.view: p.id for p in photos if p.is_baseline}
    assert baselines[View.VERTEX] == later.id
    assert grid.state_of(later.id).baseline
    assert not grid.state_of(grid.sections[0].tiles[0].photo.id).baseline
    assert not page.details.baseline_button.isEnabled()  # already the baseline
    assert "Baseline of Vertex" in window.status_label.text()

    visit = records.patient_record(library, patient_id).visits[1]
    combo = page.details.visit
    combo.setCurrentIndex(combo.findData(visit.id))
    combo.activated.emit(combo.currentIndex())
    moved = next(p for p in records.patient_record(library, patient_id).photos
                 if p.id == later.id)
    assert moved.visit_id == visit.id
    assert later.id in [t.photo.id for t in grid.sections[1].tiles]


def test_view_filter_and_context_menu(qtbot, photos_page):
    _, page, _, _ = photos_page
    page.filter.setCurrentIndex(page.filter.findData(View.OCCIPITAL.value))
    assert page.grid.photo_count() == 4
    assert {t.photo.view for t in page.grid.tiles()} == {View.OCCIPITAL}
    page.grid.select_photo(page.grid.tiles()[1].photo.id)
    menu = page.build_menu()
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[:2] == ["Open in Compare", "Mark as baseline"]
    assert "Set view" in texts and "Move to visit" in texts
    page.filter.setCurrentIndex(0)
    assert page.grid.photo_count() == 16


def test_double_click_opens_compare_on_that_photo(qtbot, photos_page, monkeypatch):
    window, page, _, _ = photos_page
    compare = window.workspace.page("compare")
    shown: list[int] = []
    monkeypatch.setattr(compare, "show_photo", shown.append)
    photo = page.grid.sections[1].tiles[0].photo
    rect = page.grid.tile_rect(photo.id)
    qtbot.mouseDClick(page.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page() == "compare"
    assert shown == [photo.id]


def _measurement(photo_id: int, **changes) -> Measurement:
    base = Measurement(photo_id, 1, True, ((1.0, 0, 0), (0, 1.0, 0), (0, 0, 1.0)), "homography",
                       AlignmentQuality(0.9, 400, 0.8, 0.5, 0.95), None, 0.42, 0.9, 0.5, 1000,
                       True, (), "v1")
    return replace(base, **changes)


def test_badges_from_measurements(photos_page):
    _, page, _, _ = photos_page
    photo = page.grid.sections[1].tiles[0].photo
    ok = photo_state(photo, _measurement(photo.id), baseline_id=1)
    assert ok == PhotoState(False, (), None, False, 0.42)
    refused = photo_state(photo, _measurement(
        photo.id, aligned=False, coverage=None, alignment_reason="too few matches",
        warnings=("Not aligned to the baseline: too few matches", "Much darker")), 1)
    assert refused.refused == "too few matches" and refused.needs_attention
    assert refused.warnings == ("Much darker",)  # the refusal is not listed twice
    warned = photo_state(photo, _measurement(photo.id, warnings=("blurred",)), 1)
    assert warned.warnings == ("blurred",) and warned.coverage == 0.42
    stale = photo_state(photo, _measurement(photo.id, warnings=("blurred",)), baseline_id=99)
    assert stale.stale and stale.coverage is None and not stale.warnings  # no stale numbers

    states = dict(page.states)
    states[photo.id] = refused
    page.grid.set_photos(page.record.visits, page.record.photos, states)
    page.grid.select_photo(photo.id)
    page.details.set_selection([photo], states, page.record.visits)
    assert "too few matches" in page.details.alignment.text()


def test_thumbnail_cache_stays_within_its_limit(qtbot, demo_library):
    record = records.patient_record(demo_library, records.list_patients(demo_library)[0].id)
    loader = ThumbnailLoader(demo_library, display=QSize(200, 150), limit_bytes=5 * 120_000)
    try:
        loader.request(record.photos)
        qtbot.waitUntil(lambda: loader.pending == 0, timeout=10_000)
        assert loader.loads == 16
        assert loader.cached_bytes <= loader.limit_bytes
        assert 0 < loader.cached_count < 16
        newest = [p for p in record.photos if loader.pixmap(p) is not None]
        assert all(loader.pixmap(p).width() <= 200 for p in newest)
    finally:
        loader.shutdown()

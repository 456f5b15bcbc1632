"""The pixel work behind the comparison overlays, against masks with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from hairtrack.ui.compare import modes

H, W = 200, 300


def test_mask_overlay_is_premultiplied_tint_only_on_hair() -> None:
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[50:60, 100:200] = 255
    out = modes.mask_overlay(mask, (200, 100, 0), alpha=0.5)
    assert out.shape == (H, W, 4)
    assert (out[~(mask > 0)] == 0).all()
    b, g, r, a = out[55, 150]
    assert (a, r, g, b) == (128, 100, 50, 0)


def test_valid_area_follows_the_matrix() -> None:
    identity = np.eye(3)
    full = modes.valid_area(identity, (W * 4, H * 4), (W * 4, H * 4), (H, W))
    assert full.all()
    # a follow-up shifted right by a quarter of the frame leaves the left quarter empty
    shift = np.array([[1.0, 0.0, W], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    valid = modes.valid_area(shift, (W * 4, H * 4), (W * 4, H * 4), (H, W))
    assert not valid[:, : W // 4 - 1].any()
    assert valid[:, W // 4 + 1:].all()


def test_gain_loss_colours_and_numbers() -> None:
    baseline = np.zeros((H, W), dtype=np.uint8)
    baseline[:, : W // 2] = 255  # hair on the left half only
    follow = np.full((H, W), 255, dtype=np.uint8)  # hair everywhere
    follow[:, : W // 6] = 0  # ...except the far left, where it was lost
    valid = np.ones((H, W), dtype=bool)
    result = modes.gain_loss(baseline, follow, valid)

    gain_px = result.image[H // 2, int(W * 0.85)].astype(int)  # BGR
    loss_px = result.image[H // 2, W // 20].astype(int)
    same_px = result.image[H // 2, W // 3].astype(int)
    assert gain_px[1] > gain_px[2] + 40 and gain_px[1] > gain_px[0] + 40  # green
    assert loss_px[2] > loss_px[1] + 60 and loss_px[0] > loss_px[1] + 30  # magenta
    assert abs(same_px[2] - same_px[1]) < 5 and abs(same_px[1] - same_px[0]) < 5  # grey
    # net change: +1/2 of the frame gained, -1/6 lost
    assert result.net_change_pp == pytest.approx((0.5 - 1 / 6) * 100, abs=0.01)
    assert result.clear_gain == pytest.approx(0.5, abs=0.08)
    assert result.clear_loss == pytest.approx(1 / 6, abs=0.06)
    assert result.compared_fraction == pytest.approx(1.0)


def test_gain_loss_compares_only_where_both_photos_have_pixels() -> None:
    baseline = np.zeros((H, W), dtype=np.uint8)
    follow = np.full((H, W), 255, dtype=np.uint8)
    valid = np.zeros((H, W), dtype=bool)
    valid[:, W // 2:] = True  # the follow-up covers only the right half
    result = modes.gain_loss(baseline, follow, valid)
    assert result.compared_fraction == pytest.approx(0.5, abs=0.03)
    outside = result.image[H // 2, W // 6].astype(int)
    inside = result.image[H // 2, W - 20].astype(int)
    assert outside.max() < 90  # darkened, uncoloured: nothing compared there
    assert abs(outside[1] - outside[2]) < 5
    assert inside[1] > inside[2] + 40  # gain inside the overlap
    region = np.zeros((H, W), dtype=bool)
    region[:, : W // 4] = True  # a region entirely outside the overlap
    empty = modes.gain_loss(baseline, follow, valid, region=region)
    assert empty.net_change_pp is None and empty.within_region
    assert empty.compared_fraction == 0.0
    assert empty.image[H // 2, W - 20].max() < 90  # outside the region: not compared either


def test_polygon_mask_uses_full_resolution_coordinates() -> None:
    square = [(400.0, 400.0), (799.0, 400.0), (799.0, 799.0), (400.0, 799.0)]
    mask = modes.polygon_mask(square, (1200, 800), (200, 300))  # quarter-size working copy
    ys, xs = np.nonzero(mask)
    assert xs.min() == pytest.approx(100, abs=1) and xs.max() == pytest.approx(200, abs=1)
    assert ys.min() == pytest.approx(100, abs=1) and ys.max() == pytest.approx(200, abs=1)

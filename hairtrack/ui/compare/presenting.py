"""What the comparison page's controls show for a display state and its composition.

Only reflection: nothing here connects a signal or changes the state, so the
controls can be redrawn after every composition (compare_view.py routes the
events that lead there).
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QStackedWidget

from hairtrack.ui.compare import data
from hairtrack.ui.compare.composer import Composition, DisplayState
from hairtrack.ui.compare.controls import Banner, Legend, PaneFrame, SliderBar, Toolbar
from hairtrack.ui.compare.modes import Mode
from hairtrack.ui.compare.strip import StripEntry, VisitStrip


def show_views(combo: QComboBox, strip: VisitStrip, state: DisplayState) -> None:
    """The view chooser (with each view's photo count) and the strip of its visits."""
    snap = state.snapshot
    combo.blockSignals(True)
    combo.clear()
    if snap is not None:
        for view in snap.views():
            combo.addItem(f"{view.label} ({len(snap.photos_of(view))})", view.value)
        if state.view is not None:
            combo.setCurrentIndex(combo.findData(state.view.value))
    combo.blockSignals(False)
    entries: list[StripEntry] = []
    if snap is not None and state.view is not None:
        baseline = snap.baseline(state.view)
        for photo in snap.photos_of(state.view):
            entries.append(StripEntry(photo, data.strip_caption(snap, photo, baseline)))
    strip.set_entries(entries, state.follow_id)


def show_modes(tb: Toolbar, panel: QStackedWidget, slider_bar: SliderBar, legend: Legend,
               c: Composition, state: DisplayState, tool: str | None) -> None:
    """Which buttons are on and usable, and the blend/wipe slider or the gain/loss legend.

    `tool` is the editing tool in use ("landmarks", "region" or None): a
    composite is not edited, and landmarks are clicked on unaligned photos.
    """
    for mode, button in tb.mode_buttons.items():
        button.setEnabled(not mode.composite or (c.composite_available and tool is None))
        button.setChecked(mode is c.mode)
    tb.aligned_button.setEnabled(c.aligned_available and not c.mode.composite
                                 and tool != "landmarks")
    tb.aligned_button.setChecked(c.aligned)
    tb.mask_button.setChecked(state.show_mask)
    tb.mask_button.setEnabled(c.masks_available)
    tb.landmarks_button.setChecked(tool == "landmarks")
    tb.region_button.setChecked(tool == "region")
    tb.landmarks_button.setEnabled(c.follow is not None and c.baseline is not None
                                   and c.follow.id != c.baseline.id)
    tb.region_button.setEnabled(c.baseline is not None)
    panel.setVisible(c.mode.composite)
    panel.setCurrentWidget(legend if c.mode is Mode.DIFFERENCE else slider_bar)
    slider = slider_bar.slider
    slider.blockSignals(True)
    value = state.blend if c.mode is Mode.BLEND else state.wipe
    slider.setValue(round(value * 1000))
    slider.blockSignals(False)
    slider_bar.value_label.setText(f"{value * 100:.0f} % follow-up" if c.mode is Mode.BLEND
                                   else "drag the curtain line")
    legend.summary.setText(data.gain_loss_text(c.gain_loss, c.loading))


def show_headers(left: PaneFrame, right: PaneFrame, snap: data.Snapshot | None,
                 c: Composition) -> None:
    """Each pane's title, coverage and warnings, the two headers kept the same height."""
    if snap is None or c.baseline is None or c.follow is None:
        left.set_text("Baseline", "")
        right.set_text("Follow-up", "")
        return
    left_text, right_text = data.pane_headers(snap, c.baseline, c.follow,
                                              c.mode.label if c.mode.composite else None,
                                              c.aligned, c.region_automatic)
    left.set_text(*left_text)
    right.set_text(*right_text)
    # equal headers keep both viewports the same size, so synchronised panes line up
    headers = (left.header, right.header)
    for header in headers:
        header.setMinimumHeight(0)
    height = max(h.sizeHint().height() for h in headers)
    for header in headers:
        header.setMinimumHeight(height)


def show_alignment(label: QLabel, banner: Banner, c: Composition) -> None:
    """The alignment summary line, and the banner when alignment is missing or in doubt."""
    status = c.status
    label.setText(status.summary)
    label.setVisible(bool(status.summary))
    severity = "error" if status.level in ("refused", "stale") else "warning"
    banner.show_warning(status.warning, severity,
                        landmarks=status.level in ("refused", "marginal"),
                        analyse=status.level in ("missing", "stale"))

"""The comparison page: baseline against any visit of the same view.

The page keeps the display state, lays out the controls and routes events;
`Composer` decides what the panes show, `presenting` what the controls show,
`ViewSync` keeps the panes in step, `Editing` runs the landmark and region
tools and `shortcuts` maps the keys.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from hairtrack.core.domain import View
from hairtrack.ui.compare import data, presenting
from hairtrack.ui.compare.composer import Composer, Composition, DisplayState
from hairtrack.ui.compare.controls import (
    STYLE,
    Banner,
    Legend,
    PaneFrame,
    SliderBar,
    Toolbar,
)
from hairtrack.ui.compare.editing import Editing, Targets
from hairtrack.ui.compare.image_pane import ImagePane
from hairtrack.ui.compare.loaders import ImageStore
from hairtrack.ui.compare.modes import Mode
from hairtrack.ui.compare.shortcuts import ZOOM_STEP, handle_key
from hairtrack.ui.compare.strip import VisitStrip
from hairtrack.ui.compare.sync import ViewSync
from hairtrack.ui.context import AppContext


class CompareView(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self.setStyleSheet(STYLE)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._context = context
        self.state = DisplayState()
        self.composition = Composition()
        self._patient_id: int | None = None
        self._pending_photo: int | None = None
        self._composing = False
        self._recompose = False

        self.store = ImageStore(context.runner, parent=self)
        self.sync = ViewSync(self)
        self.left_pane = ImagePane("compareBaselinePane")
        self.right_pane = ImagePane("compareFollowPane")
        self.left_pane.setAccessibleName("Baseline photo")
        self.right_pane.setAccessibleName("Follow-up photo")
        self.left_frame = PaneFrame(self.left_pane)
        self.right_frame = PaneFrame(self.right_pane)
        for pane in (self.left_pane, self.right_pane):
            self.sync.add_pane(pane)
            pane.zoomRequested.connect(self.sync.zoom_at)
            pane.panRequested.connect(self.sync.pan_by)
            pane.resized.connect(self.sync.refresh)
        self.right_pane.curtainMoved.connect(self.set_wipe)
        self.composer = Composer(context, self.store, self.sync, self.left_frame,
                                 self.right_frame)
        self.editing = Editing(context, self.left_pane, self.right_pane, self)

        self.toolbar = Toolbar()
        self.slider_bar = SliderBar()
        self.legend = Legend()
        # One slot for the blend/wipe slider and the gain/loss legend, so the pane keeps its
        # size when switching between the composite modes.
        self.mode_panel = QStackedWidget()
        self.mode_panel.addWidget(self.slider_bar)
        self.mode_panel.addWidget(self.legend)
        self.mode_panel.setFixedHeight(max(self.slider_bar.sizeHint().height(),
                                           self.legend.sizeHint().height() + 12))
        self.alignment_label = QLabel("")
        self.alignment_label.setObjectName("compareAlignment")
        self.alignment_label.setWordWrap(True)
        self.banner = Banner()
        self.banner.setVisible(False)
        self.strip = VisitStrip(context)
        self._layout()
        self._connect()
        self._update_controls()

    # -- public API ----------------------------------------------------------------------------
    def show_patient(self, patient_id: int) -> None:
        """Show this patient's first view: its baseline against its latest visit."""
        if patient_id != self._patient_id:
            self.editing.set_tool(None)
            self.store.clear()
            self.state = DisplayState(mode=self.state.mode, aligned=self.state.aligned,
                                      show_mask=self.state.show_mask, blend=self.state.blend,
                                      wipe=self.state.wipe)
            self.sync.fit()
            self.composer.clear("Loading…")
        self._patient_id = patient_id
        self.reload()

    def show_photo(self, photo_id: int, patient_id: int | None = None) -> None:
        """Show this photo against its view's baseline.

        Works right after show_patient (the photo is shown once the patient has
        loaded); `patient_id` lets a caller open a photo of another patient.
        """
        snap = self.state.snapshot
        if snap is not None and snap.patient_id == self._patient_id \
                and snap.photo(photo_id) is not None:
            self._select_photo(photo_id)
        elif patient_id is not None and patient_id != self._patient_id:
            self._pending_photo = photo_id
            self.show_patient(patient_id)
        elif self._patient_id is not None:  # loading, or a photo imported since: read again
            self._pending_photo = photo_id
            self.reload()
        else:
            self._context.statusMessage.emit("Choose a patient first")

    def reload(self) -> None:
        """Read the patient again (after analysis or edits elsewhere)."""
        if self._patient_id is None:
            return
        patient_id, library = self._patient_id, self._context.library
        self._context.runner.call(
            "Loading comparison", lambda: data.load_snapshot(library, patient_id),
            on_done=self._snapshot_loaded,
            on_error=lambda exc: self._context.statusMessage.emit(
                f"Could not load the comparison: {exc}"))

    def set_view(self, view: View) -> None:
        snap = self.state.snapshot
        if snap is None or view not in snap.views() or view == self.state.view:
            return
        self.state.view = view
        self.state.follow_id = snap.latest_follow_up(view)
        self.sync.fit()
        self._refresh_lists()
        self.compose()

    def set_mode(self, mode: Mode) -> None:
        if mode != self.state.mode:
            self.state.mode = mode
            self.compose()
            self.sync.refresh()

    def set_aligned(self, aligned: bool) -> None:
        if aligned != self.state.aligned:
            self.state.aligned = aligned
            self.compose()

    def set_mask_visible(self, visible: bool) -> None:
        if visible != self.state.show_mask:
            self.state.show_mask = visible
            self.compose()

    def set_blend(self, fraction: float) -> None:
        self.state.blend = min(1.0, max(0.0, fraction))
        self.compose()

    def set_wipe(self, fraction: float) -> None:
        self.state.wipe = min(1.0, max(0.0, fraction))
        self.compose()

    def step_visit(self, delta: int) -> bool:
        return self.strip.step(delta)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom all panes by `factor` about a baseline-pixel anchor (benchmark entry point)."""
        self.sync.zoom_by(factor, anchor)

    def pan_by(self, dx: float, dy: float) -> None:
        """Pan all panes as a drag of (dx, dy) screen pixels would."""
        self.sync.pan_by(self.right_pane, dx, dy)

    def fit(self) -> None:
        self.sync.fit()

    def actual_size(self) -> None:
        self.sync.actual_size()

    @property
    def current_photo_id(self) -> int | None:
        return self.composition.follow.id if self.composition.follow else None

    # -- composing -----------------------------------------------------------------------------
    def compose(self) -> None:
        if self._composing:  # a synchronous load finished inside compose: go round again
            self._recompose = True
            return
        self._composing = True
        try:
            while True:
                self._recompose = False
                self.composition = self.composer.compose(self.state)
                if not self._recompose:
                    break
        finally:
            self._composing = False
        self._update_controls()

    def _snapshot_loaded(self, snap: data.Snapshot) -> None:
        if snap.patient_id != self._patient_id:
            return  # an older request
        self.state.snapshot = snap
        self.store.forget_errors()
        views = snap.views()
        wanted = snap.photo(self._pending_photo) if self._pending_photo is not None else None
        if wanted is None and self._pending_photo is not None:
            self._context.statusMessage.emit("That photo is not in this patient's record")
        if wanted is not None:
            self.state.view, self.state.follow_id = wanted.view, wanted.id
        elif self.state.view not in views:
            self.state.view = views[0] if views else None
            self.state.follow_id = None
        self._pending_photo = None
        if self.state.view is not None and (self.state.follow_id is None or
                                            snap.photo(self.state.follow_id) is None):
            self.state.follow_id = snap.latest_follow_up(self.state.view)
        self._refresh_lists()
        self.compose()

    def _select_photo(self, photo_id: int) -> None:
        snap = self.state.snapshot
        photo = snap.photo(photo_id) if snap is not None else None
        if snap is None or photo is None:
            return
        view_changed = photo.view != self.state.view
        self.state.view, self.state.follow_id = photo.view, photo_id
        if view_changed:
            self.sync.fit()
            self._refresh_lists()
        else:
            self.strip.select_photo(photo_id)
        self.compose()

    def _refresh_lists(self) -> None:
        presenting.show_views(self.toolbar.view_combo, self.strip, self.state)

    # -- controls ------------------------------------------------------------------------------
    def _update_controls(self) -> None:
        c, snap = self.composition, self.state.snapshot
        presenting.show_modes(self.toolbar, self.mode_panel, self.slider_bar, self.legend, c,
                              self.state, self.editing.tool)
        presenting.show_headers(self.left_frame, self.right_frame, snap, c)
        presenting.show_alignment(self.alignment_label, self.banner, c)
        if snap is not None and c.baseline is not None and c.follow is not None \
                and self.state.view is not None:
            self.editing.set_targets(Targets(snap.patient_id, self.state.view, c.baseline,
                                             c.follow), c.region, c.region_automatic)
        else:
            self.editing.set_targets(None, None, True)
        self._update_zoom_label()

    def _update_zoom_label(self) -> None:
        self.toolbar.zoom_label.setText(f"{self.sync.scale * 100:.0f} %")

    # -- layout and wiring ---------------------------------------------------------------------
    def _layout(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        outer.setSpacing(8)
        outer.addWidget(self.toolbar)
        alignment_row = QHBoxLayout()
        alignment_row.addWidget(self.alignment_label, 1)
        alignment_row.addWidget(self.toolbar.edit_tools)
        outer.addLayout(alignment_row)
        outer.addWidget(self.banner)
        outer.addWidget(self.editing.landmark_bar)
        outer.addWidget(self.editing.region_bar)
        panes = QHBoxLayout()
        panes.setSpacing(8)
        panes.addWidget(self.left_frame, 1)
        panes.addWidget(self.right_frame, 1)
        outer.addLayout(panes, 1)
        outer.addWidget(self.mode_panel)
        outer.addWidget(self.strip)

    def _connect(self) -> None:
        tb = self.toolbar
        tb.view_combo.currentIndexChanged.connect(
            lambda i: self.set_view(View(tb.view_combo.itemData(i))) if i >= 0 else None)
        for mode, button in tb.mode_buttons.items():
            button.clicked.connect(lambda _c=False, m=mode: self.set_mode(m))
        # clicked, not toggled: only the user's clicks change the state, not our setChecked()
        tb.aligned_button.clicked.connect(self.set_aligned)
        tb.mask_button.clicked.connect(self.set_mask_visible)
        tb.fit_button.clicked.connect(self.sync.fit)
        tb.actual_button.clicked.connect(self.sync.actual_size)
        tb.zoom_in.clicked.connect(lambda: self.sync.zoom_by(ZOOM_STEP))
        tb.zoom_out.clicked.connect(lambda: self.sync.zoom_by(1 / ZOOM_STEP))
        tb.landmarks_button.clicked.connect(
            lambda on: self.editing.set_tool("landmarks" if on else None))
        tb.region_button.clicked.connect(
            lambda on: self.editing.set_tool("region" if on else None))
        self.slider_bar.slider.valueChanged.connect(self._slider_moved)
        self.sync.changed.connect(self._update_zoom_label)
        self.store.loaded.connect(lambda _key: self.compose())
        self.strip.photoChosen.connect(self._select_photo)
        self.editing.toolChanged.connect(self._tool_changed)
        self.editing.saved.connect(self._edits_saved)
        self.banner.landmarks.clicked.connect(lambda: self.editing.set_tool("landmarks"))
        self.banner.analyse.clicked.connect(self._analyse_now)
        self._context.measurementsChanged.connect(self._maybe_reload)
        self._context.recordChanged.connect(self._maybe_reload)

    def _slider_moved(self, value: int) -> None:
        if self.composition.mode is Mode.BLEND:
            self.set_blend(value / 1000)
        else:
            self.set_wipe(value / 1000)

    def _tool_changed(self, tool: str | None) -> None:
        self.state.tool = tool
        self.compose()
        self.sync.refresh()

    def _edits_saved(self, patient_id: int, message: str) -> None:
        self._context.statusMessage.emit(message)
        if patient_id != self._patient_id:
            return
        # every view of this patient refreshes, this page too (through _maybe_reload)
        self._context.measurementsChanged.emit(patient_id)

    def _maybe_reload(self, patient_id: int) -> None:
        if patient_id == self._patient_id and not self.editing.busy:
            self.reload()

    def _analyse_now(self) -> None:
        if self._patient_id is not None and not self.editing.busy:
            self.editing.analyse(self._patient_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if handle_key(self, event):
            event.accept()
        else:
            super().keyPressEvent(event)

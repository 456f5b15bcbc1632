"""The two editing tools' bars and what happens when the clinician saves.

Saving writes through the runner's single writer, then re-runs the analysis
of exactly what changed (one photo for landmarks, the patient's stale photos
for a region) in the background, and finally tells the page to refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtWidgets import QStyle

from hairtrack.core.domain import Photo, View
from hairtrack.core.progress import Progress
from hairtrack.core.services import measurements
from hairtrack.ui.compare.controls import EditBar
from hairtrack.ui.compare.image_pane import ImagePane
from hairtrack.ui.compare.landmarks import LandmarkEditor
from hairtrack.ui.compare.region_editor import RegionEditor
from hairtrack.ui.context import AppContext

LANDMARK_HELP = (
    "Click the same feature in the baseline (left) and in the follow-up (right): a mole, "
    "a scar, a freckle, a distinct hair whorl. Use at least 3 pairs, spread widely over the "
    "photos. Drag a marker to adjust it; right-click removes it. Drag elsewhere to pan.")
REGION_HELP = (
    "Click on the baseline to outline the region to measure; click the first point (or "
    "Close) to finish. Drag a point to move it; click an edge to add one; right-click a "
    "point (or select it and press Delete) to remove it.")


@dataclass(frozen=True)
class Targets:
    """What the tools edit: the shown patient, view, baseline and follow-up."""

    patient_id: int
    view: View
    baseline: Photo
    follow: Photo


class Editing(QObject):
    toolChanged = Signal(object)  # None, "landmarks" or "region"
    saved = Signal(int, str)  # patient id, message: the page reloads and notifies others

    def __init__(self, context: AppContext, left: ImagePane, right: ImagePane,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.tool: str | None = None
        self.busy = False
        self._targets: Targets | None = None
        self._region_start: tuple[list[tuple[float, float]] | None, bool] = (None, True)
        self.landmarks = LandmarkEditor(left, right, self)
        self.region = RegionEditor(left, self)

        bar = self.landmark_bar = EditBar(LANDMARK_HELP)
        self.undo_button = bar.add_button("Undo", "Remove the last point (Ctrl+Z)",
                                          QStyle.StandardPixmap.SP_ArrowBack)
        self.clear_button = bar.add_button("Clear", "Remove all points",
                                           QStyle.StandardPixmap.SP_DialogResetButton)
        self.revert_button = bar.add_button(
            "Use automatic", "Forget manual landmarks of this photo and align automatically")
        self.apply_button = bar.add_button("Apply alignment", "Save and re-analyse this photo",
                                           QStyle.StandardPixmap.SP_DialogApplyButton, True)
        self.landmarks_done = bar.add_button("Close", "Leave landmark mode")
        bar.setVisible(False)

        bar = self.region_bar = EditBar(REGION_HELP)
        self.delete_button = bar.add_button("Delete point", "Remove the selected point (Delete)",
                                            QStyle.StandardPixmap.SP_TrashIcon)
        self.close_button = bar.add_button("Close polygon", "Join the last point to the first")
        self.restart_button = bar.add_button("Start over", "Remove all points")
        self.auto_button = bar.add_button(
            "Reset to automatic", "Forget the drawn region; measure the automatic default")
        self.save_button = bar.add_button("Save region", "Save and re-analyse this view",
                                          QStyle.StandardPixmap.SP_DialogSaveButton, True)
        self.region_done = bar.add_button("Cancel", "Leave the region editor without saving")
        bar.setVisible(False)

        self.undo_button.clicked.connect(self.landmarks.undo)
        self.clear_button.clicked.connect(self.landmarks.clear)
        self.apply_button.clicked.connect(self.apply_landmarks)
        self.revert_button.clicked.connect(self.revert_landmarks)
        self.landmarks_done.clicked.connect(lambda: self.set_tool(None))
        self.delete_button.clicked.connect(self.region.delete_selected)
        self.close_button.clicked.connect(self.region.close_polygon)
        self.restart_button.clicked.connect(self.region.start_over)
        self.auto_button.clicked.connect(self.reset_region)
        self.save_button.clicked.connect(self.save_region)
        self.region_done.clicked.connect(lambda: self.set_tool(None))
        self.landmarks.changed.connect(self._update_bars)
        self.region.changed.connect(self._update_bars)

    # -- the tools -----------------------------------------------------------------------------
    def set_targets(self, targets: Targets | None, region: Sequence[tuple[float, float]] | None,
                    region_automatic: bool) -> None:
        """Called by the page after every change of photo, view or patient."""
        old = self._targets
        self._targets = targets
        if targets is None:
            self.set_tool(None)
            return
        b, f = targets.baseline, targets.follow
        self.landmarks.set_bounds(QRectF(-0.5, -0.5, b.width, b.height),
                                  QRectF(-0.5, -0.5, f.width, f.height))
        self.region.set_bounds(QRectF(-0.5, -0.5, b.width, b.height))
        if old is not None and (old.baseline.id != b.id or old.patient_id != targets.patient_id):
            self.landmarks.clear()
            if self.tool == "region":
                self.set_tool(None)
        elif old is not None and old.follow.id != f.id:
            self.landmarks.clear_side(1)  # those points belonged to the other photo
        if self.tool == "landmarks" and f.id == b.id:
            self.set_tool(None)
        # A drawn region is edited as it is; an automatic one stays visible (dashed) as a
        # guide while the clinician draws a new polygon.
        drawn = list(region) if region and not region_automatic else None
        self._region_start = (drawn, region_automatic)
        self._update_bars()

    def set_tool(self, tool: str | None) -> None:
        if tool == self.tool:
            return
        targets = self._targets
        if tool == "landmarks" and (targets is None or targets.follow.id == targets.baseline.id):
            self._context.statusMessage.emit("Choose a follow-up visit to set landmarks")
            tool = None
        if tool == "region" and targets is None:
            tool = None
        self.tool = tool
        # Both tools share the baseline pane: switch the old one off before the new one on.
        if tool != "landmarks":
            self.landmarks.set_active(False)
            self.landmarks.clear()
        if tool != "region":
            self.region.set_active(False)
        if tool == "landmarks" and targets is not None:
            stored = measurements.manual_alignment(self._context.library, targets.follow.id)
            if stored is not None:  # one small row: cheap enough for the GUI thread
                self.landmarks.load(*stored)
            self.landmarks.set_active(True)
        if tool == "region":
            self.region.load(self._region_start[0])
            self.region.set_active(True)
        self.landmark_bar.setVisible(tool == "landmarks")
        self.region_bar.setVisible(tool == "region")
        self._update_bars()
        self.toolChanged.emit(tool)

    # -- saving --------------------------------------------------------------------------------
    def apply_landmarks(self) -> None:
        targets = self._targets
        if targets is None or not self.landmarks.can_apply() or self.busy:
            return
        ref, mov = self.landmarks.pairs()
        library, photo_id = self._context.library, targets.follow.id
        count = len(ref)
        self._write("Saving landmarks",
                    lambda: measurements.set_manual_alignment(library, photo_id, ref, mov),
                    targets.patient_id, f"Alignment set from {count} landmark pairs")

    def revert_landmarks(self) -> None:
        targets = self._targets
        if targets is None or self.busy:
            return
        library, photo_id = self._context.library, targets.follow.id
        self._write("Clearing landmarks",
                    lambda: measurements.clear_manual_alignment(library, photo_id),
                    targets.patient_id, "Automatic alignment restored")

    def save_region(self) -> None:
        targets = self._targets
        if targets is None or not self.region.can_save() or self.busy:
            return
        polygon = self.region.polygon()
        library, view = self._context.library, targets.view
        self._write("Saving region",
                    lambda: measurements.set_region(library, targets.patient_id, view, polygon),
                    targets.patient_id, f"Region saved for {view.label}")

    def reset_region(self) -> None:
        targets = self._targets
        if targets is None or self.busy:
            return
        library, view = self._context.library, targets.view
        self._write("Resetting region",
                    lambda: measurements.clear_region(library, targets.patient_id, view),
                    targets.patient_id, f"Automatic region restored for {view.label}")

    def analyse(self, patient_id: int) -> None:
        """Analyse whatever is out of date for the patient (the banner's "Analyse now")."""
        self.busy = True
        self._update_bars()
        self._analyse(patient_id, "Analysis finished")

    def _write(self, label: str, write: Callable[[], Any], patient_id: int,
               message: str) -> None:
        self.busy = True
        self._update_bars()
        self._context.statusMessage.emit(f"{label}…")
        self._context.runner.call(
            label, write, writes=True,
            on_done=lambda _r: self._analyse(patient_id, message),
            on_error=lambda exc: self._failed(label, exc))

    def _analyse(self, patient_id: int, message: str) -> None:
        from hairtrack.ui import analysis_process

        library = self._context.library
        self.set_tool(None)

        def progress(step: Progress) -> None:
            self._context.statusMessage.emit(f"Re-analysing: {step.done} of {step.total}")

        def done(report: Any) -> None:
            self.busy = False
            refused = len(getattr(report, "refused", ()))
            note = (f"; {refused} photo{'s' if refused > 1 else ''} could not be aligned"
                    if refused else "")
            self.saved.emit(patient_id, message + note)
            self._update_bars()

        self._context.runner.run(
            # whole patient in the analysis process: unchanged photos are skipped by cache key
            "Re-analysing", lambda token: analysis_process.analysis_task(
                library, patient_id, cancel=token, own=self._context.own_writes),
            writes=True, on_progress=progress, on_done=done,
            on_error=lambda exc: self._failed("Re-analysis", exc, patient_id))

    def _failed(self, label: str, exc: Exception, patient_id: int | None = None) -> None:
        self.busy = False
        self._update_bars()
        self._context.statusMessage.emit(f"{label} failed: {exc}")
        if patient_id is not None:  # the write happened: show what is stored now
            self.saved.emit(patient_id, f"{label} failed: {exc}")

    def _update_bars(self) -> None:
        idle = not self.busy
        self.landmark_bar.status.setText(self.landmarks.status_text())
        self.apply_button.setEnabled(idle and self.landmarks.can_apply())
        self.undo_button.setEnabled(idle)
        self.clear_button.setEnabled(idle)
        self.revert_button.setEnabled(idle)
        self.region_bar.status.setText(self.region.status_text())
        self.save_button.setEnabled(idle and self.region.can_save())
        self.close_button.setEnabled(idle and not self.region.closed
                                     and len(self.region.polygon()) >= 3)
        self.delete_button.setEnabled(idle and self.region.selected is not None)
        self.auto_button.setEnabled(idle and not self._region_start[1])
        self.restart_button.setEnabled(idle)

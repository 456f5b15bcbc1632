"""What a photo's badges say, derived from its stored measurement.

A measurement made against another baseline than the view's current one is
stale: its numbers and warnings are not shown as current, the photo asks to be
analysed again instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from hairtrack.core.domain import Measurement, Photo
from hairtrack.ui import formatting as fmt
from hairtrack.ui.icons import Colours

SOURCE_WORDS = {"exif": "camera (EXIF)", "file": "file date", "manual": "typed by hand"}


@dataclass(frozen=True)
class PhotoState:
    """What the badges of one photo say, derived once per refresh."""

    baseline: bool
    warnings: tuple[str, ...] = ()
    refused: str | None = None  # why the alignment was refused
    stale: bool = False  # measured against another baseline than the current one
    coverage: float | None = None

    @property
    def needs_attention(self) -> bool:
        return bool(self.warnings or self.refused)


def photo_state(photo: Photo, measurement: Measurement | None,
                baseline_id: int | None) -> PhotoState:
    if measurement is None:
        return PhotoState(photo.is_baseline)
    stale = measurement.baseline_photo_id is not None and measurement.baseline_photo_id != \
        baseline_id
    refused = None
    if not measurement.aligned and not photo.is_baseline and not stale:
        refused = measurement.alignment_reason or "alignment to the baseline was refused"
    coverage = None if stale or refused else measurement.coverage
    warnings = () if stale else measurement.warnings
    if refused:  # the refusal has its own badge: do not list it again as a warning
        warnings = tuple(w for w in warnings if refused not in w)
    return PhotoState(photo.is_baseline, warnings, refused, stale, coverage)


def tooltip(photo: Photo, state: PhotoState) -> str:
    lines = [f"<b>{photo.view.label}</b> — {fmt.moment(photo.captured_at)}",
             f"Time from {SOURCE_WORDS.get(photo.capture_source.value, 'unknown')}",
             f"{photo.original_name}  ({photo.width}×{photo.height})"]
    if state.baseline:
        lines.append("Baseline of its view")
    if state.refused:
        lines.append(f"<span style='color:{Colours.ERROR}'>Alignment refused: "
                     f"{state.refused}</span>")
    for warning in state.warnings:
        lines.append(f"<span style='color:{Colours.WARNING}'>⚠ {fmt.humanise(warning)}</span>")
    if state.stale:
        lines.append("Measured against an earlier baseline: analyse again")
    if state.coverage is not None:
        lines.append(f"Hair coverage {state.coverage * 100:.1f}%")
    return "<br>".join(lines)

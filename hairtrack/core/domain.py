"""Frozen value objects that cross the core's boundary.

The UI, the CLI and reports only ever see these: never ORM rows, never a
Session. They are plain data, cheap to pass between threads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class Sex(str, enum.Enum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"
    UNKNOWN = "U"


class View(str, enum.Enum):
    """The standard photographic views of the scalp."""

    VERTEX = "vertex"
    FRONTAL = "frontal"
    MID_SCALP = "mid-scalp"
    LEFT_TEMPLE = "left-temple"
    RIGHT_TEMPLE = "right-temple"
    OCCIPITAL = "occipital"
    CLOSE_UP = "close-up"

    @property
    def label(self) -> str:
        return _VIEW_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> View:
        """Accept the value, the enum name or the label, case-insensitively."""
        key = text.strip().lower().replace("_", "-").replace(" ", "-")
        for view in cls:
            if key in (view.value, view.name.lower().replace("_", "-"), _slug(view.label)):
                return view
        aliases = {"crown": cls.VERTEX, "donor": cls.OCCIPITAL, "closeup": cls.CLOSE_UP,
                   "midscalp": cls.MID_SCALP}
        if key in aliases:
            return aliases[key]
        choices = ", ".join(v.value for v in cls)
        raise ValueError(f"unknown view {text!r}; choose one of: {choices}")


def _slug(text: str) -> str:
    return text.lower().replace("/", "-").replace(" ", "-")


_VIEW_LABELS = {
    View.VERTEX: "Vertex / crown",
    View.FRONTAL: "Frontal",
    View.MID_SCALP: "Mid-scalp",
    View.LEFT_TEMPLE: "Left temple",
    View.RIGHT_TEMPLE: "Right temple",
    View.OCCIPITAL: "Occipital / donor",
    View.CLOSE_UP: "Close-up",
}


def day_text(day: date) -> str:
    """'3 Nov 2025': how the app, the reports and stored notes spell a day.

    The month by name, so a date cannot be misread between day-first and
    month-first conventions.
    """
    return f"{day.day} {day:%b %Y}"


class CaptureSource(str, enum.Enum):
    """Where a photo's capture time came from, so its reliability is known."""

    EXIF = "exif"
    FILE = "file"
    MANUAL = "manual"


@dataclass(frozen=True)
class TreatmentType:
    code: str
    label: str
    builtin: bool = True


BUILTIN_TREATMENT_TYPES: tuple[TreatmentType, ...] = (
    TreatmentType("exosome-injection", "Exosome injection"),
    TreatmentType("exosome-microneedling", "Exosome microneedling"),
    TreatmentType("prp", "PRP"),
    TreatmentType("cytokine-rich-plasma", "Cytokine-rich plasma"),
    TreatmentType("stem-cell", "Stem-cell therapy"),
    TreatmentType("topical-finasteride", "Topical finasteride"),
    TreatmentType("oral-finasteride", "Oral finasteride"),
    TreatmentType("minoxidil", "Minoxidil"),
    TreatmentType("fue-transplant", "FUE transplant"),
    TreatmentType("low-level-laser", "Low-level laser"),
    TreatmentType("other", "Other"),
)


@dataclass(frozen=True)
class Patient:
    id: int
    mrn: str
    name: str
    date_of_birth: date | None
    sex: Sex
    notes: str
    created_at: datetime
    updated_at: datetime
    #: The row version this copy was read at; an edit sends it back (optimistic locking).
    version: int = 1


@dataclass(frozen=True)
class TreatmentEvent:
    id: int
    patient_id: int
    date: date
    type_code: str
    type_label: str
    product: str = ""
    lot: str = ""
    dose: str = ""
    device_settings: str = ""
    clinician: str = ""
    notes: str = ""
    version: int = 1


@dataclass(frozen=True)
class Visit:
    id: int
    patient_id: int
    visited_at: datetime
    notes: str = ""
    photo_count: int = 0
    version: int = 1


@dataclass(frozen=True)
class Photo:
    id: int
    visit_id: int
    patient_id: int
    view: View
    captured_at: datetime
    capture_source: CaptureSource
    sha256: str
    size_bytes: int
    width: int
    height: int
    media_type: str
    original_name: str
    imported_at: datetime
    is_baseline: bool = False


@dataclass(frozen=True)
class AlignmentQuality:
    score: float
    inliers: int
    inlier_ratio: float
    reprojection_rmse_px: float
    overlap: float


@dataclass(frozen=True)
class Region:
    """A region of interest drawn on a baseline photo, in its pixel coordinates."""

    patient_id: int
    view: View
    baseline_photo_id: int
    polygon: tuple[tuple[float, float], ...]
    automatic: bool = False


@dataclass(frozen=True)
class Measurement:
    """One photo's stored analysis: alignment, coverage and capture warnings."""

    photo_id: int
    baseline_photo_id: int | None
    aligned: bool
    matrix: tuple[tuple[float, ...], ...] | None
    alignment_model: str
    quality: AlignmentQuality | None
    alignment_reason: str | None
    coverage: float | None
    coverage_confidence: float | None
    threshold: float | None
    roi_pixels: int | None
    roi_automatic: bool
    warnings: tuple[str, ...]
    algorithm_version: str
    parameters: dict[str, object] = field(default_factory=dict)
    computed_at: datetime | None = None
    cache_key: str = ""  # names the cached mask and aligned image of this measurement

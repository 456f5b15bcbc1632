"""What a progress report says, assembled from the core services; no Qt, no drawing.

Everything printed comes from here, so the numbers in the PDF are the stored
numbers, and a de-identified report is de-identified before any drawing code
sees the data: the name, MRN and date of birth never reach the layout.

Date range: the summary always compares against the view's baseline (every
stored change is relative to it); the period selects which follow-up visits,
treatments and notes are shown, and the latest visit in the period is the one
summarised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from hairtrack import __version__
from hairtrack.core.domain import (
    Measurement,
    Patient,
    Photo,
    Sex,
    TreatmentEvent,
    View,
    Visit,
)
from hairtrack.core.library import Library
from hairtrack.core.services import measurements as measurement_service
from hairtrack.core.services import records
from hairtrack.core.services.progress_series import (
    COVERAGE_FACTOR,
    METHOD_SD,
    ProgressSeries,
    SeriesPoint,
    ViewSeries,
    progress_series,
)
from hairtrack.report import deidentify, formatting, texts

PAPERS = ("A4", "Letter")
Point = tuple[float, float]


class ClinicInfo(Protocol):
    """The clinic details a report needs (hairtrack.settings.ClinicDetails fits)."""

    @property
    def clinic_name(self) -> str: ...
    @property
    def clinic_logo(self) -> Path | None: ...
    @property
    def clinician(self) -> str: ...
    @property
    def paper(self) -> str: ...


@dataclass(frozen=True)
class ReportOptions:
    views: tuple[View, ...] | None = None  # None: every view with a baseline
    date_from: date | None = None
    date_to: date | None = None
    deidentify: bool = False
    include_strip: bool = True
    include_overlays: bool = True
    paper: str | None = None  # "A4" or "Letter"; None: the clinic's setting

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("the report period starts after it ends")
        if self.paper is not None and self.paper not in PAPERS:
            raise ValueError(f"paper must be one of {', '.join(PAPERS)}")

    def in_period(self, day: date) -> bool:
        return ((self.date_from is None or day >= self.date_from)
                and (self.date_to is None or day <= self.date_to))


@dataclass(frozen=True)
class Subject:
    """Who the report is about, exactly as it may be printed."""

    code: str | None = None  # set only when de-identified
    name: str | None = None
    mrn: str | None = None
    date_of_birth: date | None = None

    @property
    def deidentified(self) -> bool:
        return self.code is not None

    @property
    def label(self) -> str:
        return self.code if self.code else f"{self.name} · MRN {self.mrn}"


@dataclass(frozen=True)
class SummaryRow:
    view: View
    baseline_day: date
    baseline_coverage: float
    baseline_uncertainty: float
    latest_day: date | None
    latest_coverage: float | None
    latest_uncertainty: float | None
    change_pp: float | None
    change_relative: float | None
    difference_uncertainty_pp: float | None  # expanded uncertainty of the change
    significant: bool | None
    baseline_warnings: tuple[str, ...] = ()
    latest_warnings: tuple[str, ...] = ()
    later_unmeasured: int = 0  # photos after the latest value that have no number

    @property
    def has_warnings(self) -> bool:
        return bool(self.baseline_warnings or self.latest_warnings)


@dataclass(frozen=True)
class VisitPhoto:
    """One visit of one view: its number, and the cached images that show it."""

    visit_id: int
    day: date
    photo_id: int
    photo_count: int
    coverage: float
    uncertainty: float
    is_baseline: bool
    change_pp: float | None
    significant: bool | None
    image: Path | None  # aligned copy in the baseline's working frame
    mask: Path | None  # hair mask in the same frame
    footprint: tuple[Point, ...] | None  # photo corners in full-res baseline pixels
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ViewSection:
    view: View
    baseline: VisitPhoto
    latest: VisitPhoto | None
    visits: tuple[VisitPhoto, ...]  # oldest first; the baseline first
    baseline_size: tuple[int, int]  # full-resolution baseline width, height
    region: tuple[Point, ...] | None  # drawn region of interest, full-res baseline pixels
    roi_automatic: bool
    warnings: tuple[str, ...]
    unmeasured: tuple[str, ...]


@dataclass(frozen=True)
class TreatmentRow:
    day: date
    type_label: str
    product: str
    lot: str
    dose: str
    device_settings: str
    clinician: str
    notes: str


@dataclass(frozen=True)
class ReportData:
    title: str
    clinic_name: str
    clinic_logo: Path | None
    clinician: str
    paper: str
    subject: Subject
    period: tuple[date | None, date | None]
    generated_at: datetime
    options: ReportOptions
    series: ProgressSeries  # its patient is a stand-in when de-identified
    summary: tuple[SummaryRow, ...]
    treatments: tuple[TreatmentRow, ...]
    sections: tuple[ViewSection, ...]
    notes: tuple[str, ...]
    methods: str
    disclaimer: str
    algorithm_versions: tuple[str, ...]
    software: str = f"HairTrack {__version__}"
    missing_views: tuple[View, ...] = field(default_factory=tuple)

    @property
    def views(self) -> tuple[View, ...]:
        return tuple(row.view for row in self.summary)

    @property
    def author(self) -> str:
        return self.clinic_name or "HairTrack"


def local_day(moment: datetime) -> date:
    """The calendar day a clinician saw the visit on (times are stored in UTC)."""
    return moment.astimezone().date()


def build_report_data(library: Library, patient_id: int, options: ReportOptions,
                      clinic: ClinicInfo, *, now: datetime | None = None) -> ReportData:
    series = progress_series(library, patient_id)
    record = records.patient_record(library, patient_id)
    stored = measurement_service.measurements(library, patient_id)
    patient = record.patient
    identifiers: tuple[str, ...] = ()
    if options.deidentify:
        code = deidentify.pseudonym(library.root, patient.mrn)
        subject = Subject(code=code)
        identifiers = deidentify.identifying_strings(patient.name, patient.mrn,
                                                     patient.date_of_birth)
        series = replace(series, patient=_stand_in(patient, code))
    else:
        subject = Subject(name=patient.name, mrn=patient.mrn,
                          date_of_birth=patient.date_of_birth)

    def clean(text: str) -> str:
        return deidentify.scrub(text, identifiers) if identifiers else text

    wanted = options.views or tuple(v.view for v in series.views)
    # a view whose baseline has no number has nothing to compare against: listed as missing
    shown = [s for s in series.views if s.view in wanted and s.baseline is not None]
    missing = tuple(v for v in wanted if v not in {s.view for s in shown})
    photos = {p.id: p for p in record.photos}
    visit_days = {v.id: local_day(v.visited_at) for v in record.visits}
    photo_days = {p.id: visit_days.get(p.visit_id, local_day(p.captured_at))
                  for p in record.photos}
    summary = tuple(_summary_row(s, options, photo_days) for s in shown)
    sections = tuple(_section(library, s, options, stored, photos, photo_days, clean)
                     for s in shown)
    treatments = tuple(_treatment_row(t, clean) for t in series.treatments
                       if options.in_period(t.date))
    used = [stored[pid] for s in sections for v in s.visits
            for pid in (v.photo_id,) if pid in stored]
    versions = tuple(sorted({m.algorithm_version for m in used if m.algorithm_version}))
    notes = _notes(patient, record.visits, options, clean)
    clinician = clinic.clinician or _usual_clinician(series.treatments)
    paper = options.paper or (clinic.paper if clinic.paper in PAPERS else "A4")
    return ReportData(
        title="Hair restoration progress report", clinic_name=clean(clinic.clinic_name),
        clinic_logo=clinic.clinic_logo, clinician=clean(clinician), paper=paper,
        subject=subject, period=_period(shown, treatments, options),
        generated_at=(now or datetime.now()).astimezone(), options=options, series=series,
        summary=summary, treatments=treatments, sections=sections, notes=notes,
        methods=texts.methods(used, any(not s.roi_automatic for s in shown), METHOD_SD,
                              COVERAGE_FACTOR),
        disclaimer=texts.DISCLAIMER, algorithm_versions=versions, missing_views=missing)


def _stand_in(patient: Patient, code: str) -> Patient:
    """The series' patient as the chart may see it: the code, nothing else."""
    return replace(patient, mrn=code, name=code, date_of_birth=None, sex=Sex.UNKNOWN, notes="")


def shown_points(series: ViewSeries, options: ReportOptions) -> list[SeriesPoint]:
    """The baseline, then the follow-ups inside the period."""
    return [p for p in series.points
            if p.is_baseline or options.in_period(local_day(p.visited_at))]


def _summary_row(series: ViewSeries, options: ReportOptions,
                 photo_days: dict[int, date]) -> SummaryRow:
    points = shown_points(series, options)
    base = series.baseline
    assert base is not None  # views without a measured baseline are not shown
    follow = [p for p in points if not p.is_baseline]
    last = follow[-1] if follow else None
    diff = None
    if last is not None:
        diff = (last.uncertainty ** 2 + base.uncertainty ** 2) ** 0.5 * 100.0
    last_day = local_day(last.visited_at) if last else local_day(base.visited_at)
    later = sum(1 for pid, _ in series.unmeasured
                if pid in photo_days and photo_days[pid] > last_day
                and options.in_period(photo_days[pid]))
    return SummaryRow(
        series.view, local_day(base.visited_at), base.coverage, base.uncertainty,
        local_day(last.visited_at) if last else None, last.coverage if last else None,
        last.uncertainty if last else None, last.change_pp if last else None,
        last.change_relative if last else None, diff, last.significant if last else None,
        base.warnings, last.warnings if last else (), later)


def _section(library: Library, series: ViewSeries, options: ReportOptions,
             stored: dict[int, Measurement], photos: dict[int, Photo],
             photo_days: dict[int, date], clean: _Cleaner) -> ViewSection:
    points = shown_points(series, options)
    visits = tuple(_visit_photo(library, p, series.baseline_photo_id, stored, photos, clean)
                   for p in points)
    base = next((v for v in visits if v.is_baseline), visits[0])
    follow = [v for v in visits if not v.is_baseline]
    baseline_photo = photos.get(series.baseline_photo_id)
    size = (baseline_photo.width, baseline_photo.height) if baseline_photo else (0, 0)
    region = None
    if not series.roi_automatic and baseline_photo is not None:
        drawn = measurement_service.region(library, baseline_photo.patient_id, series.view)
        region = drawn.polygon if drawn is not None else None
    warnings = tuple(f"{_day_text(v.day)}: {clean(w)}" for v in visits for w in v.warnings)
    unmeasured = tuple(_unmeasured(series, photo_days, options, clean))
    return ViewSection(series.view, base, follow[-1] if follow else None, visits, size,
                       region, series.roi_automatic, warnings, unmeasured)


class _Cleaner(Protocol):
    def __call__(self, text: str) -> str: ...


def _day_text(day: date) -> str:
    return formatting.day(day)


def _visit_photo(library: Library, point: SeriesPoint, baseline_id: int,
                 stored: dict[int, Measurement], photos: dict[int, Photo],
                 clean: _Cleaner) -> VisitPhoto:
    candidates = [baseline_id] if point.is_baseline and baseline_id in point.photo_ids \
        else list(point.photo_ids)
    measured = [stored[pid] for pid in candidates if pid in stored]
    best = max(measured, key=lambda m: (m.coverage_confidence or 0.0, -m.photo_id),
               default=None)
    photo_id = best.photo_id if best is not None else candidates[0]
    image = mask = None
    footprint = None
    if best is not None and best.cache_key:
        aligned = library.cache_dir / "aligned" / f"{best.cache_key}.jpg"
        hair = library.cache_dir / "masks" / f"{best.cache_key}.png"
        image = aligned if aligned.exists() else None
        mask = hair if hair.exists() else None
        footprint = _footprint(best, photos.get(photo_id))
    return VisitPhoto(point.visit_id, local_day(point.visited_at), photo_id,
                      len(point.photo_ids), point.coverage, point.uncertainty,
                      point.is_baseline, point.change_pp, point.significant, image, mask,
                      footprint, tuple(clean(w) for w in point.warnings))


def _footprint(measurement: Measurement, photo: Photo | None) -> tuple[Point, ...] | None:
    """Where the photo's corners land in the baseline: outside it nothing was measured."""
    if photo is None or measurement.matrix is None or len(measurement.matrix) < 2:
        return None
    m = measurement.matrix
    w, h = float(photo.width), float(photo.height)
    out: list[Point] = []
    for x, y in ((0.0, 0.0), (w, 0.0), (w, h), (0.0, h)):
        px = m[0][0] * x + m[0][1] * y + m[0][2]
        py = m[1][0] * x + m[1][1] * y + m[1][2]
        pw = m[2][0] * x + m[2][1] * y + m[2][2] if len(m) > 2 else 1.0
        if abs(pw) < 1e-12:
            return None
        out.append((px / pw, py / pw))
    return tuple(out)


def _unmeasured(series: ViewSeries, photo_days: dict[int, date], options: ReportOptions,
                clean: _Cleaner) -> Iterable[str]:
    for photo_id, reason in series.unmeasured:
        day = photo_days.get(photo_id)
        if day is not None and options.in_period(day):
            yield f"{_day_text(day)}: a photo has no number ({clean(reason)})"


def _treatment_row(event: TreatmentEvent, clean: _Cleaner) -> TreatmentRow:
    return TreatmentRow(event.date, clean(event.type_label), clean(event.product),
                        clean(event.lot), clean(event.dose), clean(event.device_settings),
                        clean(event.clinician), clean(event.notes))


def _notes(patient: Patient, visits: Sequence[Visit], options: ReportOptions,
           clean: _Cleaner) -> tuple[str, ...]:
    notes = [clean(patient.notes.strip())] if patient.notes.strip() else []
    for visit in visits:
        day = local_day(visit.visited_at)
        if visit.notes.strip() and options.in_period(day):
            notes.append(f"{_day_text(day)}: {clean(visit.notes.strip())}")
    return tuple(notes)


def _usual_clinician(treatments: Sequence[TreatmentEvent]) -> str:
    names = Counter(t.clinician for t in treatments if t.clinician.strip())
    return names.most_common(1)[0][0] if names else ""


def _period(shown: Sequence[ViewSeries], treatments: Sequence[TreatmentRow],
            options: ReportOptions) -> tuple[date | None, date | None]:
    days = [local_day(p.visited_at) for s in shown for p in shown_points(s, options)]
    days += [t.day for t in treatments]
    start = options.date_from or (min(days) if days else None)
    end = options.date_to or (max(days) if days else None)
    return start, end

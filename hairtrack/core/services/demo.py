"""The demo patient: a realistic 12-month exosome course with synthetic photos.

Photos are rendered by the project's scalp generator (so their true hair
coverage is known), saved as JPEGs with EXIF capture times, and imported
through the real import service, exactly as a clinic's photos would be.
Framing (shift, rotation, scale) and lighting vary between visits as they do
with a handheld camera.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from hairtrack.core.domain import Patient, Sex, View
from hairtrack.core.imaging import synth
from hairtrack.core.library import Library
from hairtrack.core.progress import CancelToken, Progress, Task
from hairtrack.core.services import importer, records

DEMO_MRN = "DEMO-001"
CLINIC_TZ = timezone(timedelta(hours=1))
COURSE_START = date(2025, 11, 3)
#: How differently the hair lies at each visit (0 = combed identically, 1 = restyled).
RESTYLE = 0.25
#: Months after the baseline visit at which follow-up photos are taken.
VISIT_MONTHS: tuple[float, ...] = (0, 1, 2, 3, 4.5, 6, 9, 12)


@dataclass(frozen=True)
class DemoView:
    view: View
    seed: int
    skin: str
    hair: str
    start_density: float
    end_density: float


DEMO_VIEWS: tuple[DemoView, ...] = (
    DemoView(View.VERTEX, 101, "light", "brown", 0.32, 0.72),
    DemoView(View.MID_SCALP, 102, "light", "brown", 0.45, 0.68),
    DemoView(View.FRONTAL, 103, "light", "brown", 0.55, 0.64),
    DemoView(View.OCCIPITAL, 104, "light", "brown", 0.88, 0.88),  # donor area: a control
)


class DemoExists(Exception):
    """The library already holds the demo patient."""


@dataclass(frozen=True)
class DemoResult:
    patient: Patient
    visits: int
    photos: int
    treatments: int


def response(months: float) -> float:
    """Share of the eventual gain reached after `months`: slow start, then a plateau.

    Follicles need 2-3 months to move from telogen back to anagen, so visible
    change lags the first sessions.
    """
    return 1.0 / (1.0 + math.exp(-(months - 4.5) / 1.4)) if months > 0 else 0.0


def visit_date(months: float) -> date:
    return COURSE_START + timedelta(days=round(months * 30.44))


def treatment_plan() -> list[records.TreatmentFields]:
    clinician = "Dr. M. Keller"
    plan: list[records.TreatmentFields] = []
    for session, month in enumerate((0, 1, 2, 3, 6, 9), start=1):
        plan.append(records.TreatmentFields(
            visit_date(month), "exosome-injection", "ExoHair 20B", f"EX-24{session:02d}7",
            "2 mL over 40 sites", "30G needle, 4 mm depth", clinician,
            f"Exosome session {session}"))
    for session, months in enumerate((0.5, 1.5, 2.5), start=1):
        plan.append(records.TreatmentFields(
            visit_date(months), "exosome-microneedling", "ExoHair topical 10B",
            f"EXT-31{session}", "1 mL", "needles 300 µm wide, 600 µm tall; 4 passes",
            clinician, f"Microneedling session {session}"))
    plan.append(records.TreatmentFields(
        visit_date(0), "minoxidil", "Minoxidil 5% foam", "", "1 mL twice daily", "", clinician,
        "Started at baseline"))
    return sorted(plan, key=lambda f: f.date)


def create_demo_patient(library: Library, *, canvas_size: tuple[int, int] = (1800, 1350),
                        photo_size: tuple[int, int] = (1600, 1200),
                        views: Sequence[DemoView] = DEMO_VIEWS,
                        months: Sequence[float] = VISIT_MONTHS,
                        cancel: CancelToken | None = None) -> Task[DemoResult]:
    """Create DEMO-001 with its treatments and photos; refuses if it already exists."""
    if any(p.mrn == DEMO_MRN for p in records.list_patients(library, DEMO_MRN)):
        raise DemoExists(f"the demo patient {DEMO_MRN} already exists in this library")
    total = len(views) * len(months)
    with tempfile.TemporaryDirectory(prefix="hairtrack-demo-") as tmp:
        items: list[importer.ImportItem] = []
        jobs = [(visit, month, spec, Path(tmp) / f"{spec.view.value}-m{month:04.1f}.jpg")
                for visit, month in enumerate(months) for spec in views]
        # rendering is numpy/OpenCV work that releases the GIL: use both cores
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="hairtrack-demo") as pool:
            futures = [pool.submit(_render_photo, spec, visit, month, canvas_size, photo_size,
                                   path) for visit, month, spec, path in jobs]
            for index, future in enumerate(futures):
                if cancel is not None and cancel.cancelled:
                    for pending in futures:
                        pending.cancel()
                    cancel.raise_if_cancelled()
                future.result()
                spec, path = jobs[index][2], jobs[index][3]
                yield Progress(index + 1, total * 2, f"rendered {spec.view.label}")
                items.append(importer.ImportItem(path, view=spec.view))
        patient = records.add_patient(library, DEMO_MRN, "Alex Demo", date(1984, 5, 12), Sex.MALE,
                                      "Fictional patient generated by HairTrack for "
                                      "demonstration. Androgenetic alopecia, Norwood IV vertex.")
        plan = treatment_plan()
        for fields in plan:
            records.add_treatment(library, patient.id, fields)
        report = None
        task = importer.import_items(library, patient.id, items, cancel=cancel)
        while True:
            try:
                step = next(task)
            except StopIteration as stop:
                report = stop.value
                break
            yield Progress(total + step.done, total * 2, f"importing {step.label}")
    assert report is not None
    if report.rejected:
        problems = "; ".join(f"{r.path.name}: {r.reason}" for r in report.rejected)
        raise RuntimeError(f"demo photos could not be imported: {problems}")
    yield Progress(total * 2, total * 2, "done")
    return DemoResult(patient, len(report.visit_ids), len(report.imported), len(plan))


def _render_photo(spec: DemoView, visit_index: int, month: float, canvas_size: tuple[int, int],
                  photo_size: tuple[int, int], path: Path) -> None:
    density = spec.start_density + (spec.end_density - spec.start_density) * response(month)
    # miniaturised hairs thicken as they recover
    improving = spec.end_density > spec.start_density
    thickness = 1.6 + (0.8 * response(month) if improving else 0.0)
    subject = synth.make_subject(spec.seed, skin=spec.skin, hair=spec.hair,
                                 canvas_size=canvas_size)
    # Clinics comb the hair the same way for follow-up photos; some variation remains.
    state = synth.VisitState(density=density, thickness=thickness, restyle=RESTYLE,
                             styling_seed=1000 * spec.seed + visit_index)
    scalp = synth.render_scalp(subject, state)
    rng = np.random.default_rng(spec.seed * 7919 + visit_index)
    strength = 0.0 if month == 0 else 0.8
    capture = synth.random_capture(rng, canvas_size, out_size=photo_size, strength=strength)
    photo = synth.photograph(scalp, capture)
    moment = datetime.combine(visit_date(month), time(10, 0), CLINIC_TZ) + timedelta(
        minutes=5 * list(View).index(spec.view))
    _save_jpeg_with_exif(photo.image, path, moment)


def _save_jpeg_with_exif(bgr: np.ndarray, path: Path, moment: datetime) -> None:
    image = Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))
    exif = Image.Exif()
    exif[0x010F] = "HairTrack"  # Make
    exif[0x0110] = "Synthetic scalp camera"  # Model
    sub = exif.get_ifd(0x8769)
    sub[36867] = moment.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    sub[36881] = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"  # OffsetTimeOriginal
    image.save(path, "JPEG", quality=92, exif=exif.tobytes())

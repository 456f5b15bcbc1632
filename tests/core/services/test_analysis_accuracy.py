"""Ground truth for the whole pipeline: known camera poses and known hair masks.

One synthetic subject is photographed at five visits with known capture
matrices while its hair regrows; the photos go through the real import and
analysis. Stored matrices (direct or chained through earlier visits) must
match the true poses, and measured coverage must follow the true coverage.

Two grooming cases: hair combed the same way at every visit (what the photo
protocol asks for) must meet the targets of 1 px median and 3 px worst at
1000 px width; hair combed differently (restyle 0.25) moves the strands the
features sit on, and is held to the 2-5 px that the alignment benchmark
measures for it.
"""

from __future__ import annotations

from datetime import date

import cv2
import numpy as np
import pytest

from hairtrack.core.domain import View
from hairtrack.core.imaging import synth
from hairtrack.core.imaging.transforms import corner_error
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import analysis, importer, measurements, records

CANVAS = (900, 675)
PHOTO = (800, 600)
DENSITIES = (0.32, 0.40, 0.50, 0.60, 0.72)


#: restyle -> (median, worst) corner error allowed, px at 1000 px width
LIMITS = {0.0: (1.0, 3.0), 0.25: (3.0, 6.0)}


@pytest.fixture(scope="module", params=sorted(LIMITS), ids=lambda r: f"restyle-{r}")
def course(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    restyle = request.param
    tmp = tmp_path_factory.mktemp("course")
    subject = synth.make_subject(7, skin="light", hair="dark", canvas_size=CANVAS)
    rng = np.random.default_rng(2024)
    truths, true_cov = [], []
    library = Library.open(tmp / "library")
    patient = records.add_patient(library, "GT-1", "Ground Truth")
    disc = np.zeros(CANVAS[::-1], np.uint8)
    cv2.circle(disc, (CANVAS[0] // 2, CANVAS[1] // 2), int(0.3 * CANVAS[0]), 255, -1)
    for visit, density in enumerate(DENSITIES):
        scalp = synth.render_scalp(subject, synth.VisitState(
            density=density, restyle=restyle, styling_seed=visit, thickness=2.0))
        capture = synth.random_capture(rng, CANVAS, out_size=PHOTO,
                                       strength=0.0 if visit == 0 else 0.8)
        photo = synth.photograph(scalp, capture)
        path = tmp / f"visit{visit}.png"
        cv2.imwrite(str(path), photo.image)
        truths.append(capture.matrix)
        true_cov.append(scalp.coverage_in(disc > 0))
        item = importer.ImportItem(path, view=View.VERTEX,
                                   visit_date=date(2026, 1 + 2 * visit, 1))
        run_task(importer.import_items(library, patient.id, [item]))
    run_task(analysis.analyze_patient(library, patient.id))
    yield library, patient.id, truths, true_cov, LIMITS[restyle]
    library.close()


def test_alignment_matches_the_true_camera_poses(course) -> None:
    library, patient_id, truths, _, (median_limit, worst_limit) = course
    record = records.patient_record(library, patient_id)
    stored = measurements.measurements(library, patient_id)
    photos = sorted(record.photos, key=lambda p: p.captured_at)
    errors = []
    for photo, truth in zip(photos, truths, strict=True):
        m = stored[photo.id]
        assert m.aligned, m.alignment_reason
        # true moving -> baseline: canonical -> baseline after photo -> canonical
        true_matrix = truths[0] @ np.linalg.inv(truth)
        errors.append(corner_error(np.array(m.matrix), true_matrix, PHOTO))
    follow_ups = errors[1:]
    assert max(follow_ups) <= worst_limit, errors
    assert float(np.median(follow_ups)) <= median_limit, errors


def test_measured_coverage_follows_the_truth(course) -> None:
    library, patient_id, _, true_cov, _ = course
    record = records.patient_record(library, patient_id)
    stored = measurements.measurements(library, patient_id)
    measured = [stored[p.id].coverage for p in sorted(record.photos, key=lambda p: p.captured_at)]
    assert all(v is not None for v in measured)
    gains = np.diff(measured)
    assert (gains > 0).all(), measured
    # the change since baseline is what clinicians act on: it must track the true change
    true_change = np.array(true_cov) - true_cov[0]
    measured_change = np.array(measured) - measured[0]
    assert np.abs(measured_change - true_change).max() < 0.06, (measured, true_cov)

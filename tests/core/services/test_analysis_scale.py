"""The size at which `analyze` measures: as fine as `coverage` would measure the photo itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2

from hairtrack.core.domain import View
from hairtrack.core.imaging.hair_coverage import CoverageParams
from hairtrack.core.imaging.io import read_reduced
from hairtrack.core.imaging.roi import default_roi
from hairtrack.core.imaging.synth import VisitState, make_subject, render_scalp
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import analysis, analysis_work, importer, measurements, records


def test_the_analysis_copy_reaches_the_finest_working_copy_coverage_may_choose() -> None:
    """A smaller copy would cap strand width below what coverage itself would keep."""
    assert CoverageParams().max_work_side <= analysis_work.WORK_SIDE


def test_a_large_photo_is_analysed_at_the_analysis_size(tmp_path: Path) -> None:
    """A 2400-px photo with 2-px strands: decoded, measured and cached at 2048 px.

    At the former 1600-px analysis copy its strands were 1.3 px wide; here
    they are 1.7 px. The number must match the exact mask in the region.
    """
    subject = make_subject(11, "light", "dark", canvas_size=(2400, 1800), pattern="vertex")
    scalp = render_scalp(subject, VisitState(0.5, thickness=2.0, styling_seed=11))
    path = tmp_path / "crown.png"
    cv2.imwrite(str(path), scalp.image)
    library = Library.open(tmp_path / "library")
    try:
        patient = records.add_patient(library, "BIG-1", "Large Photo")
        item = importer.ImportItem(path, view=View.VERTEX, visit_date=date(2026, 1, 5))
        photo = run_task(importer.import_items(library, patient.id, [item])).imported[0].photo
        run_task(analysis.analyze_patient(library, patient.id))
        m = measurements.measurements(library, patient.id)[photo.id]
        mask = cv2.imread(str(library.cache_dir / "masks" / f"{m.cache_key}.png"),
                          cv2.IMREAD_GRAYSCALE)
        assert mask is not None and mask.shape == (1536, 2048)
        assert m.parameters["work_side"] == 2048
        copy, _ = read_reduced(path, analysis_work.WORK_SIDE)
        region = cv2.resize(default_roi(copy), (2400, 1800), interpolation=cv2.INTER_NEAREST)
        assert m.coverage is not None
        assert abs(m.coverage - scalp.coverage_in(region > 0)) <= 0.03
    finally:
        library.close()

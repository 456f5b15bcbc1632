"""Fixtures for report tests: small demo libraries, analysed for real or by a stand-in.

`analysed_library` runs the real analysis on the small demo patient (what the
evidence tests read back). `fake_library` stores measurements made without the
imaging pipeline (known numbers, a darkness threshold as the hair mask) for
layout and option tests that should not depend on, or wait for, analysis.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services.demo import create_demo_patient
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.models import MeasurementRow, PhotoRow, VisitRow

FAKE_VERSION = "fake-1.0"
# Realistic photo size and an early-course visit cadence: alignment needs both.
SMALL_DEMO = {"canvas_size": (1000, 750), "photo_size": (960, 720), "months": (0, 2, 3, 4.5)}

# The tests import their helpers (pdf_reading.py) from this folder; --import-mode=importlib
# does not put test folders on sys.path.
sys.path.insert(0, str(Path(__file__).parent))

def fake_analyse(library: Library, patient_id: int, *, warn_photo: int | None = None,
                 skip_cache_for: int | None = None) -> dict[int, float]:
    """Store a measurement for every photo; returns the coverage stored per photo id."""
    stored: dict[int, float] = {}
    with library.session() as session:
        baselines = repo.baseline_ids(session, patient_id)
        rows = session.scalars(select(PhotoRow).join(VisitRow)
                               .where(VisitRow.patient_id == patient_id)
                               .order_by(VisitRow.visited_at, PhotoRow.id)).all()
        for row in rows:
            baseline = baselines[View(row.view)]
            key = hashlib.sha256(f"{row.sha256}:{baseline}".encode()).hexdigest()
            image = cv2.imread(str(library.store.path_for(row.sha256)))
            grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            mask = grey < np.percentile(grey, 45)
            coverage = float(mask.mean())
            if skip_cache_for != row.id:
                for sub, data in (("aligned", image), ("masks", mask.astype(np.uint8) * 255)):
                    folder = library.cache_dir / sub
                    folder.mkdir(parents=True, exist_ok=True)
                    ext = "jpg" if sub == "aligned" else "png"
                    cv2.imwrite(str(folder / f"{key}.{ext}"), data)
            m = session.scalar(select(MeasurementRow).where(MeasurementRow.photo_id == row.id))
            if m is None:
                m = MeasurementRow(photo_id=row.id)
                session.add(m)
            m.baseline_photo_id = baseline
            m.cache_key = key
            m.aligned = True
            m.alignment_model = "baseline" if row.id == baseline else "similarity"
            m.matrix = np.eye(3).tolist()
            m.quality = {"score": 1.0, "inliers": 100, "inlier_ratio": 0.9,
                         "reprojection_rmse_px": 0.5, "overlap": 1.0}
            m.coverage = coverage
            m.coverage_confidence = 1.0
            m.threshold = 0.5
            m.roi_pixels = int(mask.size)
            m.roi_automatic = True
            m.warnings = ["image is slightly blurred"] if row.id == warn_photo else []
            m.metrics = {}
            m.algorithm_version = FAKE_VERSION
            m.parameters = {}
            m.computed_at = datetime.now(timezone.utc)
            stored[row.id] = coverage
    return stored


def _small_demo(root: Path) -> tuple[Library, int]:
    library = Library.open(root)
    result = run_task(create_demo_patient(library, **SMALL_DEMO))
    return library, result.patient.id


@pytest.fixture(scope="session")
def fake_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, int]]:
    """The small demo patient with stand-in measurements; do not modify it."""
    library, patient_id = _small_demo(tmp_path_factory.mktemp("fake") / "library")
    first_frontal = _first_photo(library, patient_id, View.FRONTAL)
    fake_analyse(library, patient_id, warn_photo=first_frontal)
    yield library, patient_id
    library.close()


@pytest.fixture
def fake_copy(fake_library: tuple[Library, int], tmp_path: Path) -> Iterator[tuple[Library, int]]:
    """A private copy of `fake_library` a test may change."""
    source, patient_id = fake_library
    root = tmp_path / "library"
    shutil.copytree(source.root, root)
    library = Library.open(root)
    yield library, patient_id
    library.close()


@pytest.fixture(scope="session")
def analysed_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, int]]:
    """The small demo patient analysed by the real pipeline; do not modify it."""
    from hairtrack.core.services.analysis import analyze_patient

    library, patient_id = _small_demo(tmp_path_factory.mktemp("analysed") / "library")
    report = run_task(analyze_patient(library, patient_id))
    assert not report.failed, report.failed
    yield library, patient_id
    library.close()


def _first_photo(library: Library, patient_id: int, view: View) -> int:
    with library.session() as session:
        return repo.baseline_ids(session, patient_id)[view]

"""The demo patient: a real course imported through the real import service."""

from __future__ import annotations

import pytest

from hairtrack.core.domain import CaptureSource, View
from hairtrack.core.library import Library
from hairtrack.core.progress import Cancelled, CancelToken, run_task
from hairtrack.core.services import demo, records

SMALL = {"canvas_size": (480, 360), "photo_size": (400, 300), "months": (0, 3, 12)}


def test_demo_patient_has_a_course_of_treatment_and_photos(library: Library) -> None:
    steps = []
    result = run_task(demo.create_demo_patient(library, **SMALL), steps.append)
    assert result.patient.mrn == demo.DEMO_MRN
    record = records.patient_record(library, result.patient.id)
    assert len(record.visits) == 3 == result.visits
    assert len(record.photos) == 3 * len(demo.DEMO_VIEWS) == result.photos
    assert {p.view for p in record.photos} == {v.view for v in demo.DEMO_VIEWS}
    assert all(p.capture_source is CaptureSource.EXIF for p in record.photos)
    types = {t.type_code for t in record.treatments}
    assert {"exosome-injection", "exosome-microneedling"} <= types
    assert any("600 µm" in t.device_settings for t in record.treatments)
    assert [v.visited_at.date() for v in record.visits] == [demo.visit_date(m)
                                                            for m in SMALL["months"]]
    assert steps[-1].done == steps[-1].total


def test_demo_course_improves_over_the_months() -> None:
    assert demo.response(0) == 0.0
    values = [demo.response(m) for m in (1, 3, 6, 9, 12)]
    assert values == sorted(values) and values[-1] > 0.95 and values[0] < 0.2
    vertex = next(v for v in demo.DEMO_VIEWS if v.view is View.VERTEX)
    assert vertex.end_density > vertex.start_density


def test_demo_refuses_to_overwrite(library: Library) -> None:
    run_task(demo.create_demo_patient(library, **{**SMALL, "months": (0,)}))
    with pytest.raises(demo.DemoExists):
        run_task(demo.create_demo_patient(library, **SMALL))


def test_demo_can_be_cancelled_before_anything_is_stored(library: Library) -> None:
    token = CancelToken()
    task = demo.create_demo_patient(library, cancel=token, **SMALL)
    next(task)
    token.cancel()
    with pytest.raises(Cancelled):
        run_task(task)
    assert records.list_patients(library) == []

"""The report's content model: the stored numbers, filtered by the options, nothing invented."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.services import records
from hairtrack.core.services.progress_series import progress_series
from hairtrack.report import deidentify
from hairtrack.report.model import ReportOptions, build_report_data, local_day
from hairtrack.settings import ClinicDetails

CLINIC = ClinicDetails("Keller Hair Clinic", None, "Dr. M. Keller", "Letter")


def test_summary_is_the_progress_series(fake_library: tuple[Library, int]) -> None:
    library, patient_id = fake_library
    series = progress_series(library, patient_id)
    data = build_report_data(library, patient_id, ReportOptions(), CLINIC)
    assert [r.view for r in data.summary] == [s.view for s in series.views]
    for row in data.summary:
        vs = series.view(row.view)
        assert vs is not None and vs.baseline is not None and vs.latest is not None
        assert row.baseline_coverage == vs.baseline.coverage
        assert row.latest_coverage == vs.latest.coverage
        assert row.change_pp == vs.latest.change_pp
        assert row.change_relative == vs.latest.change_relative
        assert row.significant == vs.latest.significant
        assert row.latest_day == local_day(vs.latest.visited_at)
    assert data.paper == "Letter"
    assert data.clinician == "Dr. M. Keller"
    assert data.algorithm_versions == ("fake-1.0",)
    assert len(data.treatments) == 10


def test_capture_warnings_are_attached_where_they_affect_a_number(
        fake_library: tuple[Library, int]) -> None:
    library, patient_id = fake_library
    data = build_report_data(library, patient_id, ReportOptions(), CLINIC)
    frontal = next(r for r in data.summary if r.view is View.FRONTAL)
    assert frontal.baseline_warnings == ("image is slightly blurred",)
    assert not frontal.latest_warnings
    assert all(not r.has_warnings for r in data.summary if r.view is not View.FRONTAL)
    section = next(s for s in data.sections if s.view is View.FRONTAL)
    assert section.warnings == ("3 Nov 2025: image is slightly blurred",)


def test_period_selects_follow_ups_and_treatments_but_keeps_the_baseline(
        fake_library: tuple[Library, int]) -> None:
    library, patient_id = fake_library
    series = progress_series(library, patient_id)
    days = sorted({local_day(p.visited_at) for s in series.views for p in s.points})
    assert len(days) == 4
    end = days[2]  # month 6
    options = ReportOptions(date_from=days[1], date_to=end)
    data = build_report_data(library, patient_id, options, CLINIC)
    assert data.period == (days[1], end)
    for row, section in zip(data.summary, data.sections, strict=True):
        assert row.baseline_day == days[0]
        assert row.latest_day == end
        vs = series.view(row.view)
        assert vs is not None
        assert row.latest_coverage == next(p.coverage for p in vs.points
                                           if local_day(p.visited_at) == end)
        assert [v.day for v in section.visits] == [days[0], days[1], end]
    assert data.treatments
    assert all(days[1] <= t.day <= end for t in data.treatments)


def test_views_option_limits_and_reports_missing_views(
        fake_library: tuple[Library, int]) -> None:
    library, patient_id = fake_library
    options = ReportOptions(views=(View.MID_SCALP, View.VERTEX, View.LEFT_TEMPLE),
                            include_strip=False)
    data = build_report_data(library, patient_id, options, CLINIC)
    assert data.views == (View.VERTEX, View.MID_SCALP)  # the series' order
    assert data.missing_views == (View.LEFT_TEMPLE,)


def test_deidentified_data_holds_no_identifier(fake_copy: tuple[Library, int]) -> None:
    library, patient_id = fake_copy
    record = records.patient_record(library, patient_id)
    visit = record.visits[1]
    records.update_visit(library, visit.id, visit.visited_at,
                         "Alex Demo (DEMO-001) asked about 12/05/1984 records.")
    data = build_report_data(library, patient_id, ReportOptions(deidentify=True), CLINIC)
    code = deidentify.pseudonym(library.root, "DEMO-001")
    assert data.subject.code == code
    assert (data.subject.name, data.subject.mrn, data.subject.date_of_birth) == (None, None,
                                                                                None)
    assert data.series.patient.name == code and data.series.patient.mrn == code
    assert data.series.patient.date_of_birth is None
    text = repr(dataclasses.replace(data, options=ReportOptions()))
    for secret in ("Alex", "DEMO-001", "12/05/1984", "1984-05-12", "12 May 1984"):
        assert secret not in text
    assert any(deidentify.REDACTED in note for note in data.notes)


def test_options_are_validated() -> None:
    today = date.today()
    with pytest.raises(ValueError, match="starts after"):
        ReportOptions(date_from=today, date_to=today - timedelta(days=1))
    with pytest.raises(ValueError, match="paper"):
        ReportOptions(paper="A3")


def test_missing_cache_files_leave_paths_empty(fake_copy: tuple[Library, int]) -> None:
    library, patient_id = fake_copy
    for path in Path(library.cache_dir, "aligned").glob("*.jpg"):
        path.unlink()
    data = build_report_data(library, patient_id, ReportOptions(), CLINIC)
    assert all(v.image is None and v.mask is not None for s in data.sections for v in s.visits)


def test_methods_name_the_sizes_the_analysis_used(analysed_library: tuple[Library, int]) -> None:
    """The report is read years later: it must say what was done, from what was stored."""
    from hairtrack.core.imaging.hair_coverage import CoverageParams
    from hairtrack.core.services.analysis_work import WORK_SIDE

    library, patient_id = analysed_library
    data = build_report_data(library, patient_id, ReportOptions(), CLINIC)
    assert f"reduced to at most {WORK_SIDE} pixels" in data.methods
    # A 1600-px photo is worked at 800 px, a 2048-px one at 682: "at most 800".
    assert f"working copy of at most {CoverageParams().work_side} pixels" in data.methods
    fine = min(WORK_SIDE, CoverageParams().max_work_side)
    assert f"(up to {fine} pixels where hair strands" in data.methods

"""Export options, cancellation, threads and damaged caches, on stand-in measurements."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pypdf
import pytest
from pdf_reading import images, page_texts
from PIL import Image

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.progress import Cancelled, CancelToken, Progress, run_task
from hairtrack.report import formatting as fmt
from hairtrack.report.chart import NotOnGuiThread, prepare_chart
from hairtrack.report.export import ReportResult, export_report
from hairtrack.report.layout import Geometry
from hairtrack.report.model import ReportOptions, build_report_data
from hairtrack.settings import ClinicDetails

CLINIC = ClinicDetails("Keller Hair Clinic", None, "Dr. M. Keller", "A4")


def export(library: Library, patient_id: int, path: Path, clinic: ClinicDetails = CLINIC,
           **options: Any) -> ReportResult:
    return run_task(export_report(library, patient_id, path, ReportOptions(**options), clinic))


def test_strip_and_overlays_can_be_left_out(fake_library: tuple[Library, int], qapp: object,
                                            tmp_path: Path) -> None:
    library, patient_id = fake_library
    full = export(library, patient_id, tmp_path / "full.pdf")
    lean = export(library, patient_id, tmp_path / "lean.pdf", include_strip=False,
                  include_overlays=False)
    assert full.images == 4 * (3 + 4)
    assert lean.images == len(images(tmp_path / "lean.pdf")) == 4 * 2
    text = " ".join(page_texts(tmp_path / "lean.pdf"))
    assert "All visits" not in text and "Where hair was gained and lost" not in text
    assert lean.size_bytes < full.size_bytes


def test_views_and_period_limit_the_report(fake_library: tuple[Library, int], qapp: object,
                                           tmp_path: Path) -> None:
    library, patient_id = fake_library
    data = build_report_data(library, patient_id, ReportOptions(), CLINIC)
    days = [v.day for v in data.sections[0].visits]
    path = tmp_path / "period.pdf"
    result = export(library, patient_id, path, views=(View.VERTEX,), date_to=days[2])
    texts = page_texts(path)
    assert result.pages == len(texts) == 2 + 1 + 1
    assert f"PERIOD COVERED {fmt.period(days[0], days[2])}" in texts[0]
    assert fmt.day(days[3]) not in " ".join(texts[2:3])  # the last visit is outside
    assert "Frontal" not in texts[0]
    assert len([i for i in images(path) if i.page == 3]) == 3 + 3


def test_letter_paper(fake_library: tuple[Library, int], qapp: object, tmp_path: Path) -> None:
    library, patient_id = fake_library
    path = tmp_path / "letter.pdf"
    export(library, patient_id, path, paper="Letter")
    box = pypdf.PdfReader(path).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    export(library, patient_id, tmp_path / "a4.pdf")
    box = pypdf.PdfReader(tmp_path / "a4.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_logo_is_drawn_and_clinic_is_the_author(fake_library: tuple[Library, int],
                                                qapp: object, tmp_path: Path) -> None:
    library, patient_id = fake_library
    logo = tmp_path / "logo.png"
    Image.new("RGB", (600, 200), (31, 95, 139)).save(logo)
    clinic = ClinicDetails("Northside Hair", logo, "Dr. A. Lind", "A4")
    path = tmp_path / "logo.pdf"
    export(library, patient_id, path, clinic=clinic, include_strip=False)
    first = [i for i in images(path) if i.page == 1]
    assert len(first) == 1
    meta = pypdf.PdfReader(path).metadata
    assert meta is not None and meta.author == "Northside Hair"
    assert "Dr. A. Lind" in page_texts(path)[0]


def test_cancel_leaves_no_file(fake_library: tuple[Library, int], qapp: object,
                               tmp_path: Path) -> None:
    library, patient_id = fake_library
    token = CancelToken()
    path = tmp_path / "cancelled.pdf"
    seen: list[Progress] = []

    def on_progress(step: Progress) -> None:
        seen.append(step)
        if step.label.startswith("drawing page 2"):
            token.cancel()

    with pytest.raises(Cancelled):
        run_task(export_report(library, patient_id, path, ReportOptions(), CLINIC,
                               cancel=token), on_progress)
    assert any(s.label.startswith("drawing page 2") for s in seen)
    assert list(tmp_path.iterdir()) == []  # neither the report nor its partial file


def test_a_worker_thread_needs_the_chart_prepared_on_the_gui_thread(
        fake_library: tuple[Library, int], qapp: object, tmp_path: Path) -> None:
    library, patient_id = fake_library
    options = ReportOptions(include_strip=False)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(run_task, export_report(library, patient_id, tmp_path / "x.pdf",
                                                     options, CLINIC))
        with pytest.raises(NotOnGuiThread):
            future.result()
        data = build_report_data(library, patient_id, options, CLINIC)
        chart = prepare_chart(data, Geometry.for_paper(data.paper).text_width_mm)
        path = tmp_path / "threaded.pdf"
        result = pool.submit(run_task, export_report(library, patient_id, path, options,
                                                     CLINIC, data=data, chart=chart)).result()
    text = page_texts(path)[0]
    assert result.pages == 7
    assert "Hair coverage in region" in text and "Exo 1" in text


def test_missing_cached_images_become_labelled_blanks(fake_copy: tuple[Library, int],
                                                      qapp: object, tmp_path: Path) -> None:
    library, patient_id = fake_copy
    for path in (library.cache_dir / "aligned").glob("*.jpg"):
        path.unlink()
    out = tmp_path / "blank.pdf"
    result = export(library, patient_id, out)
    assert result.images == 0
    text = " ".join(page_texts(out))
    assert "Image not available: analyse this patient again" in text
    assert "not available" in text


def test_unwritable_destination_is_an_error_and_leaves_nothing(
        fake_library: tuple[Library, int], qapp: object, tmp_path: Path) -> None:
    library, patient_id = fake_library
    with pytest.raises(OSError, match="cannot write"):
        export(library, patient_id, tmp_path / "missing-folder" / "r.pdf")
    assert not (tmp_path / "missing-folder").exists()

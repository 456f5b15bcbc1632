"""The demo patient's report, analysed for real, read back from the PDF.

Every number checked here is formatted from the stored measurements with the
report's own formatting functions and looked up in the text pypdf and poppler
extract, so a report that drifted from the database would fail.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from pdf_reading import images, page_texts, pdfimages_list, pdftotext, tool

from hairtrack import __version__
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import measurements
from hairtrack.core.services.progress_series import progress_series
from hairtrack.report import formatting as fmt
from hairtrack.report.export import ReportResult, export_report
from hairtrack.report.model import ReportOptions, build_report_data
from hairtrack.report.pages import summary_cells
from hairtrack.settings import ClinicDetails

CLINIC = ClinicDetails("Keller Hair Clinic", None, "Dr. M. Keller", "A4")
MAX_BYTES = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def report(analysed_library: tuple[Library, int], qapp: object,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReportResult, Path]]:
    library, patient_id = analysed_library
    path = tmp_path_factory.mktemp("report") / "demo.pdf"
    result = run_task(export_report(library, patient_id, path, ReportOptions(), CLINIC))
    yield result, path


def test_pages_follow_the_outline(report: tuple[ReportResult, Path],
                                  analysed_library: tuple[Library, int]) -> None:
    result, path = report
    library, patient_id = analysed_library
    series = progress_series(library, patient_id)
    # A view gets a page when its baseline has a number; the others are named as missing.
    views = [s.view for s in series.views if s.baseline is not None]
    missing = [s.view for s in series.views if s.baseline is None]
    assert len(views) >= 3
    texts = page_texts(path)
    assert len(texts) == result.pages == 2 + len(views) + 1
    assert all(view.label in texts[0] for view in missing)
    assert "Summary" in texts[0] and "Progress over time" in texts[0]
    assert "Treatments" in texts[0] + texts[1] and "Device settings" in texts[1]
    for index, view in enumerate(views):
        page = texts[2 + index]
        assert page.count(view.label) >= 1
        assert all(other.label not in page for other in views if other is not view)
        assert "Where hair was gained and lost" in page and "All visits" in page
    assert "Methods" in texts[-1] and "Disclaimer" in texts[-1]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {result.pages}" in text
        assert "Alex Demo · MRN DEMO-001" in text  # every page says whose it is


def test_summary_prints_the_stored_numbers(report: tuple[ReportResult, Path],
                                           analysed_library: tuple[Library, int]) -> None:
    _, path = report
    library, patient_id = analysed_library
    series = progress_series(library, patient_id)
    stored = measurements.measurements(library, patient_id)
    first = page_texts(path)[0]
    data = build_report_data(library, patient_id, ReportOptions(), CLINIC)
    shown = [s for s in series.views if s.baseline is not None]
    assert len(data.summary) == len(shown) >= 3
    for row in data.summary:
        vs = series.view(row.view)
        assert vs is not None and vs.baseline is not None and vs.latest is not None
        # the baseline value is the baseline photo's own stored measurement
        assert stored[vs.baseline_photo_id].coverage == pytest.approx(vs.baseline.coverage)
        latest_photo = vs.latest.photo_ids[0]
        assert stored[latest_photo].coverage == pytest.approx(vs.latest.coverage)
        expected = [fmt.coverage(vs.baseline.coverage), fmt.coverage(vs.latest.coverage),
                    fmt.change_pp(vs.latest.change_pp), fmt.relative(vs.latest.change_relative),
                    fmt.significance(vs.latest.significant)]
        cells = summary_cells(row)
        flat = " ".join(c if isinstance(c, str) else f"{c[0]} {c[1]}" for c in cells)
        assert flat in first, flat
        for text in expected:
            assert text in flat


def test_chart_is_vector_with_real_text(report: tuple[ReportResult, Path]) -> None:
    _, path = report
    first = pypdf.PdfReader(path).pages[0]
    text = page_texts(path)[0]
    assert "Hair coverage in region" in text  # the y axis title
    assert "Nov 2025" in text and "Exo 1" in text  # a month tick and a treatment label
    assert "%" in text
    assert not [i for i in images(path) if i.page == 1]  # no raster chart (no logo set)
    content = first.get_contents()
    assert content is not None
    ops = content.get_data().split()
    assert ops.count(b"l") + ops.count(b"c") > 200  # lines and curves of the plot


def test_photos_are_present_at_print_resolution(report: tuple[ReportResult, Path],
                                                analysed_library: tuple[Library, int]) -> None:
    result, path = report
    library, patient_id = analysed_library
    series = progress_series(library, patient_id)
    embedded = images(path)
    assert len(embedded) == result.images
    for index, vs in enumerate(s for s in series.views if s.baseline is not None):
        on_page = [i for i in embedded if i.page == 3 + index]
        assert len(on_page) == 3 + len(vs.points)  # baseline, latest, overlay, strip
    listed = pdfimages_list(tool("pdfimages"), path)
    assert len(listed) == len(embedded)
    for row in listed:
        assert row["enc"] == "jpeg"
        assert float(row["x-ppi"]) >= 200 and float(row["y-ppi"]) >= 200


def test_embedded_jpegs_carry_no_metadata(report: tuple[ReportResult, Path]) -> None:
    _, path = report
    for image in images(path):
        assert image.filter == "/DCTDecode"
        assert image.data[:2] == b"\xff\xd8"
        assert b"Exif\x00\x00" not in image.data
        assert b"http://ns.adobe.com/xap" not in image.data  # no XMP either


def test_metadata_and_embedded_fonts(report: tuple[ReportResult, Path]) -> None:
    _, path = report
    reader = pypdf.PdfReader(path)
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Hair restoration progress report – Alex Demo"
    assert meta.author == "Keller Hair Clinic"
    assert meta.creator == f"HairTrack {__version__}"
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(font["/BaseFont"])] = descriptor.get_object()
    assert any("DejaVuSans" in name for name in fonts)
    for name, descriptor in fonts.items():
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, name


def test_every_page_renders(report: tuple[ReportResult, Path], tmp_path: Path) -> None:
    result, path = report
    run = subprocess.run([tool("pdftoppm"), "-r", "40", "-png", str(path),
                          str(tmp_path / "page")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "Error" not in run.stderr
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == result.pages
    from PIL import Image, ImageStat

    for png in pngs:  # none is blank
        assert ImageStat.Stat(Image.open(png).convert("L")).stddev[0] > 10


def test_poppler_reads_the_same_text(report: tuple[ReportResult, Path]) -> None:
    _, path = report
    text = pdftotext(tool("pdftotext"), path, first=1)
    assert "Hair restoration progress report" in text
    assert "DEMO-001" in text and "12 May 1984" in text


def test_demo_report_is_small(report: tuple[ReportResult, Path]) -> None:
    result, path = report
    assert result.size_bytes == path.stat().st_size < MAX_BYTES

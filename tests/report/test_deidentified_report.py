"""A de-identified report: no name, MRN or date of birth anywhere in the file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from pdf_reading import decoded_streams, images, page_texts, pdftotext, tool

from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.report import deidentify
from hairtrack.report.export import ReportResult, export_report
from hairtrack.report.model import ReportOptions
from hairtrack.settings import ClinicDetails

CLINIC = ClinicDetails("Keller Hair Clinic", None, "Dr. M. Keller", "A4")
NAME, MRN = "Alex Demo", "DEMO-001"
DOB_SPELLINGS = ("1984-05-12", "12 May 1984", "12/05/1984", "05/12/1984", "12.05.1984",
                 "May 12, 1984")


@pytest.fixture(scope="module")
def deidentified(analysed_library: tuple[Library, int], qapp: object,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReportResult, Path]]:
    library, patient_id = analysed_library
    path = tmp_path_factory.mktemp("deid") / "report.pdf"
    result = run_task(export_report(library, patient_id, path,
                                    ReportOptions(deidentify=True), CLINIC))
    yield result, path


def _leaks(text: str) -> list[str]:
    found = [s for s in (NAME, MRN, *DOB_SPELLINGS) if s.lower() in text.lower()]
    found += [w for w in ("Alex", "Demo") if re.search(rf"(?<!\w){w}(?!\w)", text, re.I)]
    return found


def test_the_code_replaces_the_identity(deidentified: tuple[ReportResult, Path],
                                        analysed_library: tuple[Library, int]) -> None:
    result, path = deidentified
    library, _ = analysed_library
    code = deidentify.pseudonym(library.root, MRN)
    assert result.deidentified and result.patient_code == code
    texts = page_texts(path)
    assert code in texts[0] and "Withheld (de-identified)" in texts[0]
    assert all(code in t for t in texts)  # in every footer


def test_no_identifier_in_the_text(deidentified: tuple[ReportResult, Path]) -> None:
    _, path = deidentified
    for text in page_texts(path):
        assert not _leaks(text)
    assert not _leaks(pdftotext(tool("pdftotext"), path))


def test_no_identifier_in_the_metadata(deidentified: tuple[ReportResult, Path]) -> None:
    result, path = deidentified
    reader = pypdf.PdfReader(path)
    meta = reader.metadata
    assert meta is not None
    assert meta.title == f"Hair restoration progress report – {result.patient_code}"
    assert not _leaks(" ".join(str(v) for v in meta.values()))
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert not _leaks(xmp.stream.get_data().decode("utf-8"))


def test_no_identifier_in_the_raw_or_decompressed_bytes(
        deidentified: tuple[ReportResult, Path]) -> None:
    _, path = deidentified
    raw = path.read_bytes()
    streams = decoded_streams(path)
    assert any(b"<x:xmpmeta" in s for s in streams)  # the reading covers metadata streams
    for blob in (raw, *streams):
        for secret in (NAME, MRN, *DOB_SPELLINGS):
            for encoded in (secret.encode(), secret.encode("utf-16-be")):
                assert encoded not in blob, secret


def test_no_metadata_in_the_embedded_images(deidentified: tuple[ReportResult, Path]) -> None:
    _, path = deidentified
    embedded = images(path)
    assert embedded
    for image in embedded:
        assert b"Exif\x00\x00" not in image.data
        assert b"<x:xmpmeta" not in image.data
        assert b"HairTrack" not in image.data  # the demo camera's EXIF "Make"


def test_same_patient_same_code_in_every_report(analysed_library: tuple[Library, int],
                                                deidentified: tuple[ReportResult, Path],
                                                qapp: object, tmp_path: Path) -> None:
    library, patient_id = analysed_library
    again = run_task(export_report(library, patient_id, tmp_path / "again.pdf",
                                   ReportOptions(deidentify=True, include_strip=False),
                                   CLINIC))
    assert again.patient_code == deidentified[0].patient_code

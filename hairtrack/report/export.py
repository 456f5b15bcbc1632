"""Write a patient's progress report as a PDF: a service generator like the core's.

Steps: read the record (ReportData), record the chart (GUI thread), prepare
each view's pictures at print resolution, lay out all pages, paint them one
by one. Progress is reported and cancellation honoured between steps. The PDF
is written next to its destination and moved into place only when complete,
so a cancelled or failed export never leaves a half-written report behind.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QMarginsF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPainter, QPdfWriter

from hairtrack import __version__
from hairtrack.core.domain import View
from hairtrack.core.library import Library, LibraryError
from hairtrack.core.progress import CancelToken, Progress, Task
from hairtrack.core.services import audit_log
from hairtrack.report import images
from hairtrack.report import painter_utils as pu
from hairtrack.report.chart import ChartDrawing, prepare_chart
from hairtrack.report.layout import Geometry, paginate, paint_page
from hairtrack.report.model import (
    ClinicInfo,
    ReportData,
    ReportOptions,
    ViewSection,
    build_report_data,
)
from hairtrack.report.pages import (
    ViewImages,
    build_blocks,
    frame_for,
    photo_aspect,
    photo_width_mm,
    thumb_width_mm,
)

LOGO_BOX_MM = (36.0, 14.0)


@dataclass(frozen=True)
class ReportResult:
    path: Path
    pages: int
    size_bytes: int
    seconds: float
    deidentified: bool
    patient_code: str | None
    views: tuple[View, ...]
    images: int  # raster images placed (photos, overlays, thumbnails, logo)

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "pages": self.pages, "size_bytes": self.size_bytes,
                "seconds": round(self.seconds, 3), "deidentified": self.deidentified,
                "patient_code": self.patient_code, "views": [v.value for v in self.views],
                "images": self.images}


def export_report(library: Library, patient_id: int, path: Path | str, options: ReportOptions,
                  clinic: ClinicInfo, cancel: CancelToken | None = None, *,
                  data: ReportData | None = None, chart: ChartDrawing | None = None,
                  ) -> Task[ReportResult]:
    """Write the report to `path`.

    Run it anywhere: on the GUI thread it builds the chart itself; from a worker
    thread pass `chart=prepare_chart(data, ...)` made on the GUI thread (and the
    `data` it was made from), as the report dialog does.
    """
    started = time.perf_counter()
    target = Path(path)
    check = cancel.raise_if_cancelled if cancel is not None else _nothing
    yield Progress(0, 1, "reading the patient record")
    if data is None:
        data = build_report_data(library, patient_id, options, clinic)
    geometry = Geometry.for_paper(data.paper)
    if chart is None:
        chart = prepare_chart(data, geometry.text_width_mm)
    check()
    steps = 2 + len(data.sections) + (2 + len(data.sections))  # estimate until laid out
    pictures: dict[View, ViewImages] = {}
    for index, section in enumerate(data.sections, start=1):
        yield Progress(index, steps, f"preparing {section.view.label} photos")
        pictures[section.view] = prepare_view(section, data.options, geometry)
        check()
    logo = _logo(data)
    pending = target.with_name(f".{target.name}.partial")
    writer = _writer(pending, data, geometry)
    painter = QPainter()
    try:
        if not painter.begin(writer):
            raise OSError(f"cannot write {target}: check the folder exists and is writable")
        canvas = pu.Canvas(writer)
        content = geometry.content_rect(canvas)
        blocks = build_blocks(data, pictures, chart, geometry, logo)
        pages = paginate(blocks, canvas, content.width(), content.height())
        frame = frame_for(data)
        done = 1 + len(data.sections)
        steps = done + len(pages)
        for number, page in enumerate(pages, start=1):
            yield Progress(done + number - 1, steps, f"drawing page {number} of {len(pages)}")
            if number > 1:
                writer.newPage()
            paint_page(painter, canvas, geometry, page, frame, number, len(pages))
            check()
        painter.end()
        os.replace(pending, target)
    except BaseException:
        if painter.isActive():
            painter.end()
        pending.unlink(missing_ok=True)
        raise
    kind = "de-identified report" if data.subject.deidentified else "report"
    with contextlib.suppress(LibraryError):  # read-only or busy: the report is still good
        library.record(audit_log.Action.EXPORT, "report", patient_id,
                       f"exported a {kind} ({len(pages)} pages) to {target.name}", patient_id)
    yield Progress(steps, steps, "done")
    count = sum(_image_count(p) for p in pictures.values()) + (1 if logo is not None else 0)
    return ReportResult(target, len(pages), target.stat().st_size,
                        time.perf_counter() - started, data.subject.deidentified,
                        data.subject.code, data.views, count)


def _nothing() -> None:
    return None


def _writer(path: Path, data: ReportData, geometry: Geometry) -> QPdfWriter:
    writer = QPdfWriter(str(path))
    writer.setResolution(pu.RESOLUTION)
    writer.setPageSize(geometry.page_size)
    writer.setPageOrientation(geometry.orientation)
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    writer.setTitle(f"{data.title} – {data.subject.code or data.subject.name}")
    writer.setAuthor(data.author)
    writer.setCreator(f"HairTrack {__version__}")
    return writer


def prepare_view(section: ViewSection, options: ReportOptions, geometry: Geometry) -> ViewImages:
    """Decode and resample one view's pictures for print (pure pixel work, any thread)."""
    aspect = photo_aspect(section)
    width = photo_width_mm(geometry)
    box = images.pixels_for(width, width * aspect)
    out = ViewImages()
    out.baseline = _maybe(lambda: images.print_image(_need(section.baseline.image), box))
    last = section.latest
    if last is not None:
        out.latest = _maybe(lambda: images.print_image(_need(last.image), box))
        if options.include_overlays:
            out.overlay = _maybe(lambda: _overlay(section, box))
    if options.include_strip:
        tw = thumb_width_mm(geometry, len(section.visits))
        thumb = images.pixels_for(tw, tw * aspect)
        for visit in section.visits:
            out.strip.append(_maybe(partial(_thumbnail, visit.image, thumb)))
    return out


def _thumbnail(path: Path | None, box: tuple[int, int]) -> images.BGR:
    return images.print_image(_need(path), box)


def _overlay(section: ViewSection, box: tuple[int, int]) -> images.BGR:
    last = section.latest
    assert last is not None
    base = images.read(_need(section.baseline.image), max(box))
    return images.gain_loss_overlay(
        base, images.read_mask(_need(section.baseline.mask)), images.read_mask(_need(last.mask)),
        footprint=last.footprint, region=section.region, full_size=section.baseline_size,
        box_px=box)


def _need(path: Path | None) -> Path:
    if path is None:
        raise images.MissingImage("the cached image is missing; analyse the patient again")
    return path


def _maybe(make: Callable[[], images.BGR]) -> QImage | None:
    """A picture that cannot be made becomes a labelled blank, not a failed report."""
    try:
        return pu.to_qimage(make())
    except (images.MissingImage, OSError):
        return None


def _image_count(view: ViewImages) -> int:
    return sum(1 for image in (view.baseline, view.latest, view.overlay, *view.strip)
               if image is not None)


def _logo(data: ReportData) -> QImage | None:
    path = data.clinic_logo
    if path is None or not Path(path).is_file():
        return None
    image = QImage(str(path))
    if image.isNull():
        return None
    w, h = images.pixels_for(*LOGO_BOX_MM, dpi=300)
    if image.width() > w or image.height() > h:
        image = image.scaled(w, h, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image

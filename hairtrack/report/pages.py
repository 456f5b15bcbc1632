"""The report's content in reading order: header, summary, chart, treatments, views, methods.

Everything printed is taken from ReportData and formatted by `formatting`, so
the PDF shows the stored numbers; this module only decides where they go.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from hairtrack.core.domain import View
from hairtrack.report import formatting as fmt
from hairtrack.report import images, texts
from hairtrack.report import painter_utils as pu
from hairtrack.report.blocks import (
    Bullets,
    Chart,
    Column,
    Figure,
    Figures,
    Heading,
    KeyValues,
    Legend,
    Paragraph,
    TableHeader,
    TableRow,
)
from hairtrack.report.chart import ChartDrawing
from hairtrack.report.layout import Block, Frame, Geometry, PageBreak
from hairtrack.report.model import ReportData, SummaryRow, ViewSection, VisitPhoto

GAP_MM = 6.0
OUTLINE = QColor(45, 45, 45)
STRIP_GAP_MM = 3.0
WARNING_MARK = "*"
LATER_MARK = "†"


@dataclass
class ViewImages:
    """The prepared pictures of one view, ready to draw."""

    baseline: QImage | None = None
    latest: QImage | None = None
    overlay: QImage | None = None
    strip: list[QImage | None] = field(default_factory=list)


def photo_aspect(section: ViewSection) -> float:
    """Box height/width for a view's photos: its own shape, portrait capped at square."""
    w, h = section.baseline_size
    return min(max(h / w, 0.5), 1.0) if w > 0 and h > 0 else 0.75


def photo_width_mm(geometry: Geometry) -> float:
    return (geometry.text_width_mm - GAP_MM) / 2


def strip_columns(count: int) -> int:
    return 8 if count > 6 else 6


def thumb_width_mm(geometry: Geometry, count: int) -> float:
    cols = strip_columns(count)
    return (geometry.text_width_mm - STRIP_GAP_MM * (cols - 1)) / cols


def frame_for(data: ReportData) -> Frame:
    return Frame(running_left=data.clinic_name or "HairTrack",
                 running_right=f"{data.title} · {data.subject.label}",
                 footer_left=data.subject.label,
                 footer_centre=f"Generated {fmt.day(data.generated_at)} with {data.software}")


def build_blocks(data: ReportData, view_images: dict[View, ViewImages],
                 chart: ChartDrawing | None, geometry: Geometry,
                 logo: QImage | None = None) -> list[Block]:
    blocks: list[Block] = [TitleBand(data, logo), KeyValues(_subject_pairs(data))]
    blocks += _summary(data)
    blocks.append(Heading("Progress over time"))
    if chart is not None:
        blocks.append(Chart(chart.svg, chart.height_mm, space_after_mm=1.5))
    blocks.append(Paragraph(
        "Hair coverage in the region of interest at each visit. Shaded bands: 95 % "
        "uncertainty. Dashed horizontal lines: baseline level. Vertical lines: treatments.",
        size=7.0, colour=pu.MUTED, space_after_mm=5.0))
    blocks += _treatments(data)
    for section in data.sections:
        blocks.append(PageBreak())
        blocks += _view_blocks(data, section, view_images.get(section.view, ViewImages()),
                               geometry)
    blocks += _closing(data)
    return blocks


class TitleBand(Block):
    space_after_mm = 4.0

    def __init__(self, data: ReportData, logo: QImage | None) -> None:
        self.data, self.logo = data, logo

    def height(self, canvas: pu.Canvas, width: float) -> float:
        return canvas.mm(19.0)

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        x = rect.left()
        if self.logo is not None and not self.logo.isNull():
            box = QRectF(x, rect.top(), canvas.mm(36), canvas.mm(14))
            target = pu.fit_rect(box, self.logo.width(), self.logo.height())
            target.moveLeft(x)
            painter.drawImage(target, self.logo)
            x = target.right() + canvas.mm(4)
        half = rect.width() * 0.42
        left = QRectF(x, rect.top(), rect.left() + half - x, canvas.mm(17))
        name_font = pu.font(12.0, bold=True)
        pu.draw_text(painter, left, self.data.clinic_name or "HairTrack", name_font, pu.INK)
        if not self.data.clinic_name:
            below = canvas.text_height(name_font, left.width(), "HairTrack") + canvas.mm(1)
            pu.draw_text(painter, left.adjusted(0, below, 0, 0),
                         "Clinic name and logo: set them in Settings", pu.font(7.0), pu.MUTED)
        right = QRectF(rect.left() + half, rect.top(), rect.width() - half, canvas.mm(16))
        align = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        pu.draw_text(painter, right, self.data.title, pu.font(14.0, bold=True), pu.ACCENT,
                     align)
        pu.draw_text(painter, right.adjusted(0, canvas.mm(7.0), 0, 0),
                     f"Generated {fmt.moment(self.data.generated_at)}", pu.font(7.5), pu.MUTED,
                     align)
        pu.hline(painter, canvas, rect.left(), rect.right(), rect.bottom() - canvas.mm(0.5),
                 pu.ACCENT, 1.4)


def _subject_pairs(data: ReportData) -> list[tuple[str, str]]:
    s = data.subject
    views = ", ".join(v.label for v in data.views) or "none measured"
    if s.deidentified:
        return [("Patient code", s.code or ""), ("Identity", "Withheld (de-identified)"),
                ("Clinician", data.clinician), ("Period covered", fmt.period(*data.period)),
                ("Views", views), ("Report generated", fmt.day(data.generated_at))]
    return [("Patient", s.name or ""), ("MRN", s.mrn or ""),
            ("Date of birth", fmt.day(s.date_of_birth)),
            ("Clinician", data.clinician), ("Period covered", fmt.period(*data.period)),
            ("Views", views)]


SUMMARY_COLUMNS = (
    Column("View", 1.6), Column("Baseline", 1.2), Column("Coverage", 1.15, "right"),
    Column("Latest", 1.35), Column("Coverage", 1.15, "right"), Column("Change", 1.05, "right"),
    Column("Relative", 1.0, "right"), Column("Uncertainty of change", 1.25, "right"),
    Column("Beyond uncertainty", 1.1, "centre"))


def summary_cells(row: SummaryRow) -> list[str | tuple[str, str]]:
    base_mark = f" {WARNING_MARK}" if row.baseline_warnings else ""
    last_mark = f" {WARNING_MARK}" if row.latest_warnings else ""
    later = f" {LATER_MARK}" if row.later_unmeasured else ""
    return [row.view.label, fmt.day(row.baseline_day),
            (fmt.coverage(row.baseline_coverage) + base_mark,
             fmt.uncertainty(row.baseline_uncertainty)),
            fmt.day(row.latest_day) + later,
            (fmt.coverage(row.latest_coverage) + last_mark,
             fmt.uncertainty(row.latest_uncertainty)),
            fmt.change_pp(row.change_pp), fmt.relative(row.change_relative),
            fmt.uncertainty(None if row.difference_uncertainty_pp is None
                            else row.difference_uncertainty_pp / 100.0),
            fmt.significance(row.significant)]


def _summary(data: ReportData) -> list[Block]:
    out: list[Block] = [Heading("Summary")]
    if not data.summary:
        out.append(Paragraph("No analysed photos in the selected views and period. Analyse the "
                             "patient's photos to see coverage and change.", colour=pu.MUTED))
        return out
    header = TableHeader(SUMMARY_COLUMNS)
    out.append(header)
    for row in data.summary:
        emphasis = {8: pu.OK} if row.significant else {}
        out.append(TableRow(header, summary_cells(row), bold_first=True, emphasis=emphasis))
    notes = ["Change: percentage points (pp) of coverage since the baseline; relative: the "
             "change as a share of the baseline value. Uncertainties are expanded (k = 2, "
             "about 95 %). A change is beyond uncertainty when it is larger than the "
             "uncertainty of the change."]
    if any(r.has_warnings for r in data.summary):
        notes.append(f"{WARNING_MARK} Capture warnings apply to this value; they are listed "
                     "on the view's page.")
    if any(r.later_unmeasured for r in data.summary):
        notes.append(f"{LATER_MARK} Later photos of this view have no number (for example, "
                     "alignment was refused); the view's page says why.")
    if data.missing_views:
        notes.append("No measured baseline photo, so nothing to compare against, for: "
                     + ", ".join(v.label for v in data.missing_views) + ".")
    out.append(Paragraph(" ".join(notes[:1]), size=6.8, colour=pu.MUTED, space_after_mm=0.8))
    for extra in notes[1:]:
        out.append(Paragraph(extra, size=6.8, colour=pu.MUTED, space_after_mm=0.8))
    out[-1].space_after_mm = 5.0
    return out


TREATMENT_COLUMNS = (
    Column("Date", 0.95), Column("Treatment", 1.5), Column("Product", 1.35), Column("Lot", 0.85),
    Column("Dose", 1.2), Column("Device settings", 1.55), Column("Clinician", 1.05))


def _treatments(data: ReportData) -> list[Block]:
    out: list[Block] = [Heading("Treatments")]
    if not data.treatments:
        out.append(Paragraph("No treatments recorded in this period.", colour=pu.MUTED))
        return out
    header = TableHeader(TREATMENT_COLUMNS)
    out.append(header)
    for t in data.treatments:
        kind: str | tuple[str, str] = (t.type_label, t.notes) if t.notes else t.type_label
        out.append(TableRow(header, [fmt.day(t.day), kind, t.product or "-", t.lot or "-",
                                     t.dose or "-", t.device_settings or "-",
                                     t.clinician or "-"], size=7.2))
    return out


def _photo_caption(visit: VisitPhoto) -> str:
    return f"{fmt.day(visit.day)} · coverage {fmt.coverage(visit.coverage)} " \
           f"{fmt.uncertainty(visit.uncertainty)}"


def _view_sentence(section: ViewSection) -> str:
    base, last = section.baseline, section.latest
    if last is None or last.change_pp is None:
        return (f"Baseline coverage {fmt.coverage(base.coverage)} on {fmt.day(base.day)}. "
                "No follow-up visit of this view in the selected period.")
    verdict = ("larger than its uncertainty: a measurable change" if last.significant
               else "within its uncertainty: not distinguishable from no change")
    return (f"Coverage {fmt.coverage(base.coverage)} at baseline ({fmt.day(base.day)}) and "
            f"{fmt.coverage(last.coverage)} at the latest visit ({fmt.day(last.day)}): "
            f"{fmt.change_pp(last.change_pp)}, {verdict}.")


def _view_blocks(data: ReportData, section: ViewSection, pictures: ViewImages,
                 geometry: Geometry) -> list[Block]:
    aspect = photo_aspect(section)
    out: list[Block] = [Heading(section.view.label),
                        Paragraph(_view_sentence(section), size=8.5, space_after_mm=3.5)]
    base, last = section.baseline, section.latest
    pair = [Figure(pictures.baseline, "Baseline", _photo_caption(base),
                   "Working copy of the baseline photo"
                   + (f" (visit mean of {base.photo_count} photos)"
                      if base.photo_count > 1 else ""))]
    if last is not None:
        pair.append(Figure(pictures.latest, "Latest", _photo_caption(last),
                           f"{fmt.change_pp(last.change_pp)} since baseline; aligned to the "
                           "baseline photo"
                           + (f"; visit mean of {last.photo_count} photos"
                              if last.photo_count > 1 else "")))
    out.append(Figures(pair, per_row=2, aspect=aspect, gap_mm=GAP_MM))
    if data.options.include_overlays and last is not None:
        out.append(Heading("Where hair was gained and lost", level=2, space_after_mm=1.8))
        entries = [(QColor(*images.GAIN_RGB), texts.LEGEND_GAIN),
                   (QColor(*images.LOSS_RGB), texts.LEGEND_LOSS),
                   (QColor(*images.KEPT_RGB), texts.LEGEND_KEPT),
                   (OUTLINE, texts.LEGEND_REGION)]
        share = photo_width_mm(geometry) / geometry.text_width_mm
        out.append(Legend(Figure(pictures.overlay), entries,
                          f"{texts.OVERLAY_NOTE} Baseline {fmt.day(base.day)} compared with "
                          f"{fmt.day(last.day)}.", image_share=share, aspect=aspect))
    if data.options.include_strip and section.visits:
        out.append(Heading("All visits", level=2, space_after_mm=1.8))
        figures = []
        for index, visit in enumerate(section.visits):
            picture = pictures.strip[index] if index < len(pictures.strip) else None
            mark = f" {WARNING_MARK}" if visit.warnings else ""
            detail = "baseline" if visit.is_baseline else fmt.change_pp(visit.change_pp)
            figures.append(Figure(picture, "", fmt.day(visit.day),
                                  f"{fmt.coverage(visit.coverage)}{mark}\n{detail}",
                                  missing_text="not available"))
        out.append(Figures(figures, per_row=strip_columns(len(figures)), aspect=aspect,
                           gap_mm=STRIP_GAP_MM, caption_size=6.5))
    notes = [*section.warnings, *section.unmeasured]
    if notes:
        out.append(Heading("Capture warnings affecting these numbers", level=2,
                           space_after_mm=1.5))
        out.append(Bullets(notes, size=7.5))
    return out


def _closing(data: ReportData) -> list[Block]:
    out: list[Block] = [PageBreak(), Heading("Notes")]
    if data.notes:
        out += [Paragraph(n, size=8.0, space_after_mm=1.5) for n in data.notes]
    else:
        out.append(Paragraph("No notes recorded.", colour=pu.MUTED))
    out[-1].space_after_mm = 5.0
    out.append(Heading("Methods"))
    out += [Paragraph(p, size=7.8, space_after_mm=1.8) for p in data.methods.split("\n")]
    out[-1].space_after_mm = 5.0
    out.append(Heading("Disclaimer"))
    out.append(Paragraph(data.disclaimer, size=7.5, italic=True, colour=pu.MUTED,
                         box=pu.FAINT))
    return out

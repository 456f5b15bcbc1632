"""Pagination: tables continue under a repeated header, headings never end a page."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QPageSize, QPdfWriter

from hairtrack.report import painter_utils as pu
from hairtrack.report.blocks import Column, Heading, Paragraph, TableHeader, TableRow
from hairtrack.report.layout import Block, Geometry, PageBreak, Spacer, paginate


def _canvas(tmp_path: Path) -> tuple[pu.Canvas, QPdfWriter]:
    writer = QPdfWriter(str(tmp_path / "unused.pdf"))
    writer.setResolution(pu.RESOLUTION)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    return pu.Canvas(writer), writer


def test_long_table_repeats_its_header_on_each_page(qapp: object, tmp_path: Path) -> None:
    canvas, _writer = _canvas(tmp_path)
    geometry = Geometry.for_paper("A4")
    area = geometry.content_rect(canvas)
    header = TableHeader([Column("Date"), Column("Treatment", 2)])
    rows: list[Block] = [TableRow(header, [f"day {i}", f"session {i}"]) for i in range(150)]
    blocks: list[Block] = [Heading("Treatments"), header, *rows, Heading("After"),
                           Paragraph("end")]
    pages = paginate(blocks, canvas, area.width(), area.height())
    assert len(pages) >= 3
    placed_rows = [p.block for page in pages for p in page.items if isinstance(p.block,
                                                                             TableRow)]
    assert placed_rows == rows  # every row once, in order
    for page in pages[1:]:
        first = page.items[0].block
        if isinstance(page.items[1].block, TableRow):
            assert first is header  # continued table: header first
    for page in pages:
        assert page.items[-1].y + page.items[-1].height <= area.height() + 1e-6
        assert not isinstance(page.items[-1].block, (Heading, TableHeader))


def test_page_breaks_and_spacers(qapp: object, tmp_path: Path) -> None:
    canvas, _writer = _canvas(tmp_path)
    area = Geometry.for_paper("Letter").content_rect(canvas)
    one, two = Paragraph("one"), Paragraph("two")
    pages = paginate([one, PageBreak(), Spacer(10), two, PageBreak(), PageBreak()], canvas,
                     area.width(), area.height())
    assert [[p.block for p in page.items] for page in pages] == [[one], [two]]
    assert Geometry.for_paper("Letter").height_mm == 279.4

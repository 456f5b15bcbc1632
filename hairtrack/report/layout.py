"""Page geometry, pagination of blocks and the frame (running head, footer) of each page.

Content is a flat list of blocks that know their height for a given width and
how to paint themselves in a rectangle. Pagination runs before any painting,
so every footer can say "page 3 of 7". Headings stay with what follows them,
and a table's column header is repeated on each page its rows continue on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPageLayout, QPageSize, QPainter

from hairtrack.report import painter_utils as pu

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
MARGIN_X_MM = 17.0
MARGIN_TOP_MM = 20.0
MARGIN_BOTTOM_MM = 20.0


class Block:
    """A piece of content that is never split across pages."""

    keep_with_next = False  # headings: never the last thing on a page
    page_break_before = False
    space_after_mm = 0.0
    repeat_header: Block | None = None  # table rows: the header to repeat on a new page

    def height(self, canvas: pu.Canvas, width: float) -> float:
        raise NotImplementedError

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        raise NotImplementedError


class PageBreak(Block):
    page_break_before = True

    def height(self, canvas: pu.Canvas, width: float) -> float:
        return 0.0

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        return None


class Spacer(Block):
    def __init__(self, mm: float) -> None:
        self.mm = mm

    def height(self, canvas: pu.Canvas, width: float) -> float:
        return canvas.mm(self.mm)

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        return None


@dataclass
class Placed:
    block: Block
    y: float
    height: float


@dataclass
class Page:
    items: list[Placed] = field(default_factory=list)


@dataclass(frozen=True)
class Geometry:
    paper: str
    width_mm: float
    height_mm: float

    @classmethod
    def for_paper(cls, paper: str) -> Geometry:
        size = QPageSize(PAGE_SIZES.get(paper, QPageSize.PageSizeId.A4))
        mm = size.size(QPageSize.Unit.Millimeter)
        return cls(paper, mm.width(), mm.height())

    @property
    def page_size(self) -> QPageSize:
        return QPageSize(PAGE_SIZES.get(self.paper, QPageSize.PageSizeId.A4))

    @property
    def orientation(self) -> QPageLayout.Orientation:
        return QPageLayout.Orientation.Portrait

    @property
    def text_width_mm(self) -> float:
        return self.width_mm - 2 * MARGIN_X_MM

    def content_rect(self, canvas: pu.Canvas) -> QRectF:
        return QRectF(canvas.mm(MARGIN_X_MM), canvas.mm(MARGIN_TOP_MM),
                      canvas.mm(self.text_width_mm),
                      canvas.mm(self.height_mm - MARGIN_TOP_MM - MARGIN_BOTTOM_MM))


def paginate(blocks: list[Block], canvas: pu.Canvas, width: float,
             page_height: float) -> list[Page]:
    pages = [Page()]
    y = 0.0
    heights = [b.height(canvas, width) for b in blocks]

    def new_page() -> None:
        nonlocal y
        pages.append(Page())
        y = 0.0

    for index, block in enumerate(blocks):
        if block.page_break_before:
            if pages[-1].items:
                new_page()
            continue
        need = heights[index]
        follow = index
        while blocks[follow].keep_with_next and follow + 1 < len(blocks):
            follow += 1
            need += heights[follow] + canvas.mm(blocks[follow - 1].space_after_mm)
        if pages[-1].items and y + need > page_height:
            new_page()
        if not pages[-1].items and block.repeat_header is not None and \
                _previous_row(blocks, index):
            header = block.repeat_header
            h = header.height(canvas, width)
            pages[-1].items.append(Placed(header, y, h))
            y += h
        if not pages[-1].items and isinstance(block, Spacer):
            continue  # no blank band at the top of a page
        pages[-1].items.append(Placed(block, y, heights[index]))
        y += heights[index] + canvas.mm(block.space_after_mm)
    return [p for p in pages if p.items] or [Page()]


def _previous_row(blocks: list[Block], index: int) -> bool:
    """True when the row continues a table begun on an earlier page."""
    return index > 0 and blocks[index - 1].repeat_header is blocks[index].repeat_header


@dataclass(frozen=True)
class Frame:
    """What every page carries: who, what, and where in the document."""

    running_left: str
    running_right: str
    footer_left: str
    footer_centre: str

    def paint(self, painter: QPainter, canvas: pu.Canvas, geometry: Geometry, number: int,
              count: int) -> None:
        left = canvas.mm(MARGIN_X_MM)
        right = canvas.mm(geometry.width_mm - MARGIN_X_MM)
        width = right - left
        small = pu.font(7.0)
        if number > 1:  # the first page has the full header instead
            top = canvas.mm(9.0)
            box = QRectF(left, top, width, canvas.mm(5.0))
            pu.draw_text(painter, box, self.running_left, pu.font(7.0, bold=True), pu.MUTED,
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom))
            pu.draw_text(painter, box, self.running_right, small, pu.MUTED,
                         int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom))
            pu.hline(painter, canvas, left, right, top + canvas.mm(6.3), pu.RULE, 0.5)
        base = canvas.mm(geometry.height_mm - 13.0)
        pu.hline(painter, canvas, left, right, base, pu.RULE, 0.5)
        box = QRectF(left, base + canvas.mm(1.6), width, canvas.mm(8.0))
        pu.draw_text(painter, box, self.footer_left, small, pu.MUTED,
                     int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop))
        pu.draw_text(painter, box, self.footer_centre, small, pu.MUTED,
                     int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop))
        pu.draw_text(painter, box, f"Page {number} of {count}", pu.font(7.0, bold=True),
                     pu.INK, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop))


def paint_page(painter: QPainter, canvas: pu.Canvas, geometry: Geometry, page: Page,
               frame: Frame, number: int, count: int) -> None:
    content = geometry.content_rect(canvas)
    for item in page.items:
        rect = QRectF(content.x(), content.y() + item.y, content.width(), item.height)
        painter.save()
        item.block.paint(painter, canvas, rect)
        painter.restore()
    frame.paint(painter, canvas, geometry, number, count)

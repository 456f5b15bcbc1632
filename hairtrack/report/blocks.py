"""The kinds of content a report page is made of: headings, text, tables, images, the chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from hairtrack.report import painter_utils as pu
from hairtrack.report.layout import Block

LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | int(Qt.TextFlag.TextWordWrap)
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop) | int(
    Qt.TextFlag.TextWordWrap)
CENTRE = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop) | int(
    Qt.TextFlag.TextWordWrap)


class Heading(Block):
    keep_with_next = True

    def __init__(self, text: str, level: int = 1, space_after_mm: float = 2.5) -> None:
        self.text, self.level = text, level
        self.space_after_mm = space_after_mm
        self.font = pu.font(12.5 if level == 1 else 9.5, bold=True)
        self.colour = pu.ACCENT if level == 1 else pu.INK

    def height(self, canvas: pu.Canvas, width: float) -> float:
        rule = canvas.mm(1.6) if self.level == 1 else 0.0
        return canvas.text_height(self.font, width, self.text) + rule

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        pu.draw_text(painter, rect, self.text, self.font, self.colour, LEFT)
        if self.level == 1:
            pu.hline(painter, canvas, rect.left(), rect.right(), rect.bottom() - canvas.mm(0.4),
                     pu.ACCENT, 0.9)


class Paragraph(Block):
    def __init__(self, text: str, *, size: float = 8.5, colour: QColor = pu.INK,
                 italic: bool = False, bold: bool = False, space_after_mm: float = 2.0,
                 indent_mm: float = 0.0, box: QColor | None = None) -> None:
        self.text = text
        self.font = pu.font(size, italic=italic, bold=bold)
        self.colour = colour
        self.space_after_mm = space_after_mm
        self.indent_mm = indent_mm
        self.box = box

    def _pad(self, canvas: pu.Canvas) -> float:
        return canvas.mm(3.0) if self.box is not None else 0.0

    def height(self, canvas: pu.Canvas, width: float) -> float:
        inner = width - canvas.mm(self.indent_mm) - 2 * self._pad(canvas)
        return canvas.text_height(self.font, inner, self.text) + 2 * self._pad(canvas)

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        if self.box is not None:
            pu.fill(painter, rect, self.box)
        pad = self._pad(canvas)
        inner = rect.adjusted(canvas.mm(self.indent_mm) + pad, pad, -pad, -pad)
        pu.draw_text(painter, inner, self.text, self.font, self.colour, LEFT)


class Bullets(Block):
    def __init__(self, items: Sequence[str], *, size: float = 8.0,
                 colour: QColor = pu.INK, space_after_mm: float = 2.0) -> None:
        self.items = list(items)
        self.font = pu.font(size)
        self.colour = colour
        self.space_after_mm = space_after_mm

    def _heights(self, canvas: pu.Canvas, width: float) -> list[float]:
        inner = width - canvas.mm(4.0)
        return [canvas.text_height(self.font, inner, item) + canvas.mm(0.8)
                for item in self.items]

    def height(self, canvas: pu.Canvas, width: float) -> float:
        return sum(self._heights(canvas, width))

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        y = rect.top()
        for item, h in zip(self.items, self._heights(canvas, rect.width()), strict=True):
            pu.draw_text(painter, QRectF(rect.left() + canvas.mm(1.0), y, canvas.mm(3), h),
                         "•", self.font, pu.MUTED, LEFT)
            pu.draw_text(painter, QRectF(rect.left() + canvas.mm(4.0), y,
                                         rect.width() - canvas.mm(4.0), h),
                         item, self.font, self.colour, LEFT)
            y += h


@dataclass(frozen=True)
class Column:
    title: str
    weight: float = 1.0
    align: str = "left"  # left, right or centre


Cell = str | tuple[str, str]  # text, or (text, a muted second line)


def _widths(columns: Sequence[Column], width: float) -> list[float]:
    total = sum(c.weight for c in columns)
    return [width * c.weight / total for c in columns]


def _flags(column: Column) -> int:
    return {"right": RIGHT, "centre": CENTRE}.get(column.align, LEFT)


class TableHeader(Block):
    keep_with_next = True

    def __init__(self, columns: Sequence[Column], size: float = 7.0) -> None:
        self.columns = list(columns)
        self.font = pu.font(size, bold=True)

    def height(self, canvas: pu.Canvas, width: float) -> float:
        pad = canvas.mm(1.5)
        return max(canvas.text_height(self.font, w - 2 * pad, c.title)
                   for c, w in zip(self.columns, _widths(self.columns, width), strict=True)) \
            + 2 * pad

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        pu.fill(painter, rect, pu.ACCENT_LIGHT)
        pad = canvas.mm(1.5)
        x = rect.left()
        for column, w in zip(self.columns, _widths(self.columns, rect.width()), strict=True):
            pu.draw_text(painter, QRectF(x + pad, rect.top() + pad, w - 2 * pad,
                                         rect.height() - 2 * pad),
                         column.title, self.font, pu.ACCENT, _flags(column))
            x += w
        pu.hline(painter, canvas, rect.left(), rect.right(), rect.bottom(), pu.ACCENT, 0.6)


class TableRow(Block):
    def __init__(self, header: TableHeader, cells: Sequence[Cell], *, size: float = 7.5,
                 bold_first: bool = False, emphasis: dict[int, QColor] | None = None) -> None:
        self.repeat_header = header
        self.columns = header.columns
        self.cells = list(cells)
        self.font = pu.font(size)
        self.bold = pu.font(size, bold=True)
        self.small = pu.font(size - 1.0)
        self.bold_first = bold_first
        self.emphasis = emphasis or {}

    def _font(self, index: int) -> QFont:
        return self.bold if (index == 0 and self.bold_first) or index in self.emphasis \
            else self.font

    def _cell_height(self, canvas: pu.Canvas, index: int, cell: Cell, width: float) -> float:
        main, extra = (cell, "") if isinstance(cell, str) else cell
        h = canvas.text_height(self._font(index), width, main)
        if extra:
            h += canvas.mm(0.5) + canvas.text_height(self.small, width, extra)
        return h

    def height(self, canvas: pu.Canvas, width: float) -> float:
        pad = canvas.mm(1.4)
        widths = _widths(self.columns, width)
        return max(self._cell_height(canvas, i, c, w - 2 * pad)
                   for i, (c, w) in enumerate(zip(self.cells, widths, strict=True))) + 2 * pad

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        pad = canvas.mm(1.4)
        x = rect.left()
        widths = _widths(self.columns, rect.width())
        for index, (column, cell, w) in enumerate(zip(self.columns, self.cells, widths,
                                                      strict=True)):
            main, extra = (cell, "") if isinstance(cell, str) else cell
            box = QRectF(x + pad, rect.top() + pad, w - 2 * pad, rect.height() - 2 * pad)
            f = self._font(index)
            pu.draw_text(painter, box, main, f, self.emphasis.get(index, pu.INK),
                         _flags(column))
            if extra:
                top = canvas.text_height(f, box.width(), main) + canvas.mm(0.5)
                pu.draw_text(painter, box.adjusted(0, top, 0, 0), extra, self.small, pu.MUTED,
                             _flags(column))
            x += w
        pu.hline(painter, canvas, rect.left(), rect.right(), rect.bottom(), pu.RULE, 0.4)


class KeyValues(Block):
    """Labelled facts in a grid on a light panel (the patient block of the header)."""

    def __init__(self, pairs: Sequence[tuple[str, str]], columns: int = 3,
                 space_after_mm: float = 5.0) -> None:
        self.pairs = list(pairs)
        self.columns = columns
        self.label_font = pu.font(6.5, bold=True)
        self.value_font = pu.font(9.0)
        self.space_after_mm = space_after_mm

    def _rows(self) -> list[list[tuple[str, str]]]:
        return [self.pairs[i:i + self.columns] for i in range(0, len(self.pairs), self.columns)]

    def _row_height(self, canvas: pu.Canvas, row: list[tuple[str, str]], cell_w: float) -> float:
        return max(canvas.text_height(self.label_font, cell_w, k.upper()) + canvas.mm(0.6)
                   + canvas.text_height(self.value_font, cell_w, v or "-") for k, v in row)

    def height(self, canvas: pu.Canvas, width: float) -> float:
        pad = canvas.mm(3.0)
        cell_w = (width - 2 * pad) / self.columns - canvas.mm(3)
        rows = self._rows()
        return sum(self._row_height(canvas, r, cell_w) for r in rows) \
            + canvas.mm(2.5) * (len(rows) - 1) + 2 * pad

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        pu.fill(painter, rect, pu.FAINT)
        pad = canvas.mm(3.0)
        col_w = (rect.width() - 2 * pad) / self.columns
        cell_w = col_w - canvas.mm(3)
        y = rect.top() + pad
        for row in self._rows():
            for i, (key, value) in enumerate(row):
                x = rect.left() + pad + i * col_w
                pu.draw_text(painter, QRectF(x, y, cell_w, canvas.mm(5)), key.upper(),
                             self.label_font, pu.MUTED, LEFT)
                top = canvas.text_height(self.label_font, cell_w, key.upper()) + canvas.mm(0.6)
                pu.draw_text(painter, QRectF(x, y + top, cell_w, canvas.mm(12)), value or "-",
                             self.value_font, pu.INK, LEFT)
            y += self._row_height(canvas, row, cell_w) + canvas.mm(2.5)


@dataclass
class Figure:
    """One image with a short label above and caption lines below it."""

    image: QImage | None
    label: str = ""
    caption: str = ""
    detail: str = ""
    missing_text: str = "Image not available: analyse this patient again"


class Figures(Block):
    """Images side by side in equal boxes of one aspect ratio (photos, the visit strip)."""

    def __init__(self, figures: Sequence[Figure], *, per_row: int, aspect: float = 0.75,
                 gap_mm: float = 4.0, caption_size: float = 7.5,
                 space_after_mm: float = 4.0) -> None:
        self.figures = list(figures)
        self.per_row = max(1, per_row)
        self.aspect = aspect
        self.gap_mm = gap_mm
        self.label_font = pu.font(caption_size, bold=True)
        self.caption_font = pu.font(caption_size)
        self.detail_font = pu.font(caption_size - 0.5)
        self.space_after_mm = space_after_mm

    def cell_width(self, canvas: pu.Canvas, width: float) -> float:
        return (width - canvas.mm(self.gap_mm) * (self.per_row - 1)) / self.per_row

    def _parts(self, canvas: pu.Canvas, w: float) -> tuple[float, float, float]:
        label = max((canvas.text_height(self.label_font, w, f.label) for f in self.figures),
                    default=0.0)
        label = label + canvas.mm(1.0) if label else 0.0
        caption = max((canvas.text_height(self.caption_font, w, f.caption)
                       + (canvas.text_height(self.detail_font, w, f.detail) if f.detail else 0)
                       for f in self.figures), default=0.0)
        return label, w * self.aspect, caption + canvas.mm(1.2)

    def height(self, canvas: pu.Canvas, width: float) -> float:
        w = self.cell_width(canvas, width)
        rows = -(-len(self.figures) // self.per_row)
        return rows * sum(self._parts(canvas, w)) + (rows - 1) * canvas.mm(self.gap_mm)

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        w = self.cell_width(canvas, rect.width())
        label_h, image_h, caption_h = self._parts(canvas, w)
        row_h = label_h + image_h + caption_h + canvas.mm(self.gap_mm)
        for index, figure in enumerate(self.figures):
            row, col = divmod(index, self.per_row)
            x = rect.left() + col * (w + canvas.mm(self.gap_mm))
            y = rect.top() + row * row_h
            if figure.label:
                pu.draw_text(painter, QRectF(x, y, w, label_h), figure.label, self.label_font,
                             pu.ACCENT, LEFT)
            box = QRectF(x, y + label_h, w, image_h)
            if figure.image is not None:
                landed = pu.draw_image(painter, box, figure.image)
                pu.frame(painter, canvas, landed, pu.RULE, 0.4)
            else:
                pu.fill(painter, box, pu.FAINT)
                pu.draw_text(painter, box.adjusted(canvas.mm(2), canvas.mm(2), -canvas.mm(2), 0),
                             figure.missing_text, self.detail_font, pu.MUTED, CENTRE)
            top = y + label_h + image_h + canvas.mm(1.2)
            pu.draw_text(painter, QRectF(x, top, w, caption_h), figure.caption,
                         self.caption_font, pu.INK, LEFT)
            if figure.detail:
                top += canvas.text_height(self.caption_font, w, figure.caption)
                pu.draw_text(painter, QRectF(x, top, w, caption_h), figure.detail,
                             self.detail_font, pu.MUTED, LEFT)


class Legend(Block):
    """An image with a legend of colour swatches and a note beside it."""

    def __init__(self, figure: Figure, entries: Sequence[tuple[QColor, str]], note: str,
                 *, image_share: float, aspect: float = 0.75,
                 space_after_mm: float = 4.0) -> None:
        self.figure = figure
        self.entries = list(entries)
        self.note = note
        self.image_share = image_share
        self.aspect = aspect
        self.font = pu.font(7.5)
        self.note_font = pu.font(7.0)
        self.space_after_mm = space_after_mm

    def height(self, canvas: pu.Canvas, width: float) -> float:
        return self._image_box(canvas, QRectF(0, 0, width, 0)).height()

    def _image_box(self, canvas: pu.Canvas, rect: QRectF) -> QRectF:
        w = rect.width() * self.image_share
        return QRectF(rect.left(), rect.top(), w, w * self.aspect)

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        box = self._image_box(canvas, rect)
        if self.figure.image is not None:
            pu.frame(painter, canvas, pu.draw_image(painter, box, self.figure.image), pu.RULE,
                     0.4)
        else:
            pu.fill(painter, box, pu.FAINT)
            pu.draw_text(painter, box.adjusted(canvas.mm(2), canvas.mm(2), -canvas.mm(2), 0),
                         self.figure.missing_text, self.note_font, pu.MUTED, CENTRE)
        x = box.right() + canvas.mm(6)
        width = rect.right() - x
        y = rect.top()
        sw = canvas.mm(4.0)
        for colour, text in self.entries:
            box = QRectF(x, y + canvas.mm(0.3), sw, sw * 0.75)
            if text.startswith("Outline"):  # a region boundary: drawn as one
                pu.fill(painter, box, QColor("#F4F4F4"))
                pu.frame(painter, canvas, box, colour, 1.2)
            else:
                pu.swatch(painter, canvas, box, colour)
            h = canvas.text_height(self.font, width - sw - canvas.mm(2), text)
            pu.draw_text(painter, QRectF(x + sw + canvas.mm(2), y, width - sw - canvas.mm(2), h),
                         text, self.font, pu.INK, LEFT)
            y += max(h, sw) + canvas.mm(2.2)
        y += canvas.mm(1.5)
        pu.draw_text(painter, QRectF(x, y, width, rect.bottom() - y), self.note,
                     self.note_font, pu.MUTED, LEFT)


class Chart(Block):
    """The progress chart, replayed as vector graphics from the SVG recorded on the GUI thread."""

    def __init__(self, svg: bytes, height_mm: float, space_after_mm: float = 4.0) -> None:
        self.svg = svg
        self.height_mm = height_mm
        self.space_after_mm = space_after_mm

    def height(self, canvas: pu.Canvas, width: float) -> float:
        return canvas.mm(self.height_mm)

    def paint(self, painter: QPainter, canvas: pu.Canvas, rect: QRectF) -> None:
        renderer = QSvgRenderer(QByteArray(self.svg))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, rect)

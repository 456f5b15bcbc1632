"""Icons, colours and the style sheet: one place so every view looks the same.

The icons are single-colour SVG line drawings in `resources/icons/` that draw
with `currentColor`; `icon()` renders them in the palette's colours (and white
for selected items), so a view never hard-codes a pixmap.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer


def _resources() -> Path:
    """Installed from a wheel: `hairtrack/resources`; in a checkout: `resources/` at its top."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "resources"
    return installed if installed.is_dir() else package.parent / "resources"


RESOURCES = _resources()
ICONS = RESOURCES / "icons"


class Colours:
    """The palette the style sheet uses, for widgets that paint themselves."""

    ACCENT = "#1a6fa3"
    ACCENT_DARK = "#155a86"
    ACCENT_LIGHT = "#e4eff7"
    TEXT = "#1f2933"
    MUTED = "#616e7c"
    FAINT = "#9aa5b1"
    BORDER = "#d9dee4"
    WINDOW = "#f4f6f8"
    PANEL = "#ffffff"
    PLACEHOLDER = "#e9edf1"
    WARNING = "#b7791f"
    WARNING_LIGHT = "#fdf3e1"
    ERROR = "#c53030"
    ERROR_LIGHT = "#fde8e8"
    SUCCESS = "#2f855a"
    VISIT = "#1a6fa3"
    TREATMENT = "#7b4fa6"


def _render(svg: str, colour: str, size: int) -> QPixmap:
    data = QByteArray(svg.replace("currentColor", colour).encode())
    renderer = QSvgRenderer(data)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


class _SvgIconEngine(QIconEngine):
    """Renders the SVG at the size and in the colour asked for, when first painted.

    Building an icon is then free: a window with fifty icons does not render
    hundreds of pixmaps up front.
    """

    def __init__(self, svg: str, colour: str, selected: str | None) -> None:
        super().__init__()
        self._svg = svg
        self._colours = {QIcon.Mode.Normal: colour, QIcon.Mode.Active: colour,
                         QIcon.Mode.Disabled: Colours.FAINT,
                         QIcon.Mode.Selected: selected or colour}
        self._cache: dict[tuple[int, int, QIcon.Mode], QPixmap] = {}

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State,
                     scale: float) -> QPixmap:
        side = max(1, round(min(size.width(), size.height()) * scale))
        key = (side, side, mode)
        found = self._cache.get(key)
        if found is None:
            found = _render(self._svg, self._colours.get(mode, self._colours[QIcon.Mode.Normal]),
                            side)
            found.setDevicePixelRatio(scale)
            self._cache[key] = found
        return found

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        scale = painter.device().devicePixelRatioF() if painter.device() else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._svg, self._colours[QIcon.Mode.Normal],
                              self._colours[QIcon.Mode.Selected])


@lru_cache(maxsize=256)
def icon(name: str, colour: str = "#3e4c59", selected: str | None = "#ffffff") -> QIcon:
    """The named icon drawn in `colour`; `selected` is its colour on a selected row."""
    path = ICONS / f"{name}.svg"
    if not path.exists():
        return QIcon()
    return QIcon(_SvgIconEngine(path.read_text(encoding="utf-8"), colour, selected))


@lru_cache(maxsize=128)
def pixmap(name: str, size: int, colour: str = "#3e4c59") -> QPixmap:
    path = ICONS / f"{name}.svg"
    if not path.exists():
        return QPixmap()
    return _render(path.read_text(encoding="utf-8"), colour, size)


_AVATAR_COLOURS = ("#1a6fa3", "#2f855a", "#7b4fa6", "#b7791f", "#c05621", "#2c7a7b",
                   "#4a5568", "#b83280")


@lru_cache(maxsize=512)
def avatar(name: str, size: int = 28) -> QPixmap:
    """A disc with the person's initials: tells rows apart at a glance, carries no data."""
    words = [w for w in name.replace(",", " ").split() if w[:1].isalpha()]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    tint = _AVATAR_COLOURS[sum(map(ord, name)) % len(_AVATAR_COLOURS)]
    result = QPixmap(size, size)
    result.fill(Qt.GlobalColor.transparent)
    painter = QPainter(result)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(tint))
    painter.drawEllipse(0, 0, size, size)
    font = painter.font()
    font.setPixelSize(int(size * 0.4))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, initials)
    painter.end()
    return result


def app_icon() -> QIcon:
    path = ICONS / "app.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def style_sheet() -> str:
    """The shared style sheet; `@ICONS@` in it stands for the icon folder's absolute path."""
    path = RESOURCES / "style.qss"
    if not path.exists():
        return ""
    return path.read_text(encoding="utf-8").replace("@ICONS@", ICONS.as_posix())


def colour(name: str) -> QColor:
    return QColor(getattr(Colours, name))

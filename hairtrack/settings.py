"""User settings, stored with QSettings (the platform's native settings store).

Outside the core because it uses Qt; the GUI's settings dialog edits these and
the report and CLI read them. Tests point QSettings at a temporary folder
(`Settings(path=...)`) so they never touch the user's real settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from hairtrack.core.domain import View

ORGANISATION = "HairTrack"
APPLICATION = "HairTrack"
PAPER_SIZES = ("A4", "Letter")


@dataclass(frozen=True)
class ClinicDetails:
    """What a report header shows about who issued it."""

    clinic_name: str = ""
    clinic_logo: Path | None = None
    clinician: str = ""
    paper: str = "A4"


class Settings:
    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            self._qs = QSettings(ORGANISATION, APPLICATION)
        else:
            self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    def _str(self, key: str, default: str = "") -> str:
        value = self._qs.value(key, default)
        return str(value) if value is not None else default

    def _set(self, key: str, value: object) -> None:
        self._qs.setValue(key, value)
        self._qs.sync()

    # library -------------------------------------------------------------------------------
    @property
    def library_path(self) -> str:
        return self._str("library/path")

    @library_path.setter
    def library_path(self, value: str) -> None:
        self._set("library/path", value)

    # clinic --------------------------------------------------------------------------------
    @property
    def clinic(self) -> ClinicDetails:
        logo = self._str("clinic/logo")
        paper = self._str("report/paper", "A4")
        return ClinicDetails(self._str("clinic/name"), Path(logo) if logo else None,
                             self._str("clinic/clinician"),
                             paper if paper in PAPER_SIZES else "A4")

    @clinic.setter
    def clinic(self, details: ClinicDetails) -> None:
        self._set("clinic/name", details.clinic_name)
        self._set("clinic/logo", str(details.clinic_logo) if details.clinic_logo else "")
        self._set("clinic/clinician", details.clinician)
        self._set("report/paper", details.paper if details.paper in PAPER_SIZES else "A4")

    # import and analysis defaults ----------------------------------------------------------
    @property
    def default_view(self) -> View:
        try:
            return View(self._str("import/view", View.VERTEX.value))
        except ValueError:
            return View.VERTEX

    @default_view.setter
    def default_view(self, view: View) -> None:
        self._set("import/view", view.value)

    @property
    def analyse_after_import(self) -> bool:
        return self._str("analysis/after_import", "true") == "true"

    @analyse_after_import.setter
    def analyse_after_import(self, value: bool) -> None:
        self._set("analysis/after_import", "true" if value else "false")

    # window --------------------------------------------------------------------------------
    def window_state(self, name: str) -> QByteArray | None:
        value = self._qs.value(f"window/{name}")
        return value if isinstance(value, QByteArray) else None

    def set_window_state(self, name: str, state: QByteArray) -> None:
        self._set(f"window/{name}", state)

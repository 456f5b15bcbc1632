"""One patient's workspace: a header and four pages (Timeline, Photos, Compare, Progress).

Opening a patient shows the workspace at once with the header filled from the
patient we already have; the record (visits, treatments, photos) and the
measurements are read off the GUI thread and fill the pages when they arrive,
thumbnails after that. The Compare and Progress pages are built the first time
they are shown and told about a patient only when they become visible, so
opening a patient never pays for a page the user does not look at.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hairtrack.core.domain import Measurement, Patient
from hairtrack.core.services import measurements as measuring
from hairtrack.core.services import records
from hairtrack.core.services.records import PatientRecord
from hairtrack.settings import Settings
from hairtrack.ui import formatting as fmt
from hairtrack.ui.context import AppContext
from hairtrack.ui.icons import icon
from hairtrack.ui.photos_page import PhotosPage
from hairtrack.ui.thumbnails import ThumbnailLoader
from hairtrack.ui.timeline import TimelinePage

log = logging.getLogger(__name__)

PAGES = ("timeline", "photos", "compare", "progress")
PAGE_TITLES = {"timeline": "Timeline", "photos": "Photos", "compare": "Compare",
               "progress": "Progress"}
PAGE_ICONS = {"timeline": "timeline", "photos": "photos", "compare": "compare",
              "progress": "progress"}
#: Pages written in their own packages: module, class.
LAZY_PAGES = {"compare": ("hairtrack.ui.compare", "CompareView"),
              "progress": ("hairtrack.ui.progress_view", "ProgressView")}


def load_page_class(name: str) -> Callable[..., QWidget] | None:
    module_name, class_name = LAZY_PAGES[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    widget_class: Callable[..., QWidget] | None = getattr(module, class_name, None)
    return widget_class


class PatientWorkspace(QWidget):
    backRequested = Signal()
    pageChanged = Signal(str)
    recordLoaded = Signal(int)  # patient id: the pages show its current record

    def __init__(self, context: AppContext, settings: Settings, loader: ThumbnailLoader,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.loader = loader
        self.patient: Patient | None = None
        self.record: PatientRecord | None = None
        self.measurements: dict[int, Measurement] = {}
        self._generation = 0
        self._loading = False
        self._reload_again = False
        self._shown_patient: dict[str, int | None] = dict.fromkeys(PAGES)
        self.pages: dict[str, QWidget] = {}

        # header ------------------------------------------------------------------------------
        self.back = QToolButton()
        self.back.setObjectName("backButton")
        self.back.setIcon(icon("back"))
        self.back.setText("Patients")
        self.back.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.back.setToolTip("Back to the patient list (Alt+Left)")
        self.back.clicked.connect(self.backRequested)
        self.name = QLabel()
        self.name.setObjectName("patientName")
        self.meta = QLabel()
        self.meta.setObjectName("muted")
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self.name)
        names.addWidget(self.meta)
        self.actions_row = QHBoxLayout()
        self.actions_row.setSpacing(8)
        header = QFrame()
        header.setObjectName("workspaceHeader")
        top = QHBoxLayout(header)
        top.setContentsMargins(16, 12, 24, 12)
        top.setSpacing(16)
        top.addWidget(self.back, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addLayout(names, 1)
        top.addLayout(self.actions_row)

        # navigation and pages ----------------------------------------------------------------
        self.nav = QListWidget()
        self.nav.setObjectName("navList")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(176)
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pageStack")
        self.timeline = TimelinePage(context, settings)
        self.photos = PhotosPage(context, loader)
        self.photos.compareRequested.connect(self.open_in_compare)
        for name in PAGES:
            item = QListWidgetItem(icon(PAGE_ICONS[name]), PAGE_TITLES[name])
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setSizeHint(QSize(150, 42))
            self.nav.addItem(item)
            placeholder: QWidget = {"timeline": self.timeline, "photos": self.photos}.get(
                name) or QWidget()
            self.pages[name] = placeholder
            self.stack.addWidget(placeholder)
        self.nav.currentRowChanged.connect(self._nav_changed)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addLayout(body, 1)

        for page in (self.timeline, self.photos):  # style them now, not on first open
            page.ensurePolished()
        context.recordChanged.connect(self._record_changed)
        context.measurementsChanged.connect(self._record_changed)
        context.patientsChanged.connect(self._patients_changed)
        self.nav.setCurrentRow(0)

    # ---- header actions ----------------------------------------------------------------------
    def set_header_actions(self, actions: Sequence[QAction]) -> None:
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setObjectName("headerButton")
            self.actions_row.addWidget(button)

    # ---- patient -----------------------------------------------------------------------------
    @property
    def patient_id(self) -> int | None:
        return self.patient.id if self.patient else None

    @property
    def loading(self) -> bool:
        return self._loading

    def show_patient(self, patient: Patient, page: str | None = None) -> None:
        changed = self.patient is None or patient.id != self.patient.id
        self.patient = patient
        self._show_header(patient)
        if changed:
            self._forget_record()
        if page is not None:
            self.set_page(page)
        self.reload()
        self._activate_current()

    def close_patient(self) -> None:
        """Forget the patient (it was deleted): nothing may reload it afterwards."""
        self.patient = None
        self._generation += 1  # a load still running for it is discarded when it arrives
        self._forget_record()

    def _forget_record(self) -> None:
        self.loader.forget_queue()
        self.record = None
        self.measurements = {}
        self.timeline.set_record(None)
        self.photos.set_data(None, {})
        self._shown_patient = dict.fromkeys(PAGES)

    def _show_header(self, patient: Patient) -> None:
        self.name.setText(patient.name)
        self.meta.setText(fmt.patient_summary(patient))

    def reload(self) -> None:
        """Read the record and measurements in the background; newest request wins."""
        if self.patient is None:
            return
        if self._loading:
            self._reload_again = True
            return
        self._generation += 1
        generation, patient_id = self._generation, self.patient.id
        library = self.context.library
        self._loading = True

        def read() -> tuple[PatientRecord, dict[int, Measurement]]:
            return (records.patient_record(library, patient_id),
                    measuring.measurements(library, patient_id))

        self.context.runner.call("Reading the patient record", read,
                                 on_done=lambda result: self._loaded(generation, result),
                                 on_error=lambda exc: self._failed(generation, exc))

    def _loaded(self, generation: int,
                result: tuple[PatientRecord, dict[int, Measurement]]) -> None:
        self._loading = False
        if self._reload_again:  # something changed while reading: read once more after this
            self._reload_again = False
            self.reload()
        if generation != self._generation - (1 if self._loading else 0) or self.patient is None:
            return
        record, measured = result
        if record.patient.id != self.patient.id:
            return
        self.record, self.measurements = record, measured
        self.patient = record.patient
        self._show_header(record.patient)
        self.timeline.set_record(record)
        self.photos.set_data(record, measured)
        self.recordLoaded.emit(record.patient.id)

    def _failed(self, generation: int, exc: Exception) -> None:
        self._loading = False
        if self._reload_again:
            self._reload_again = False
            self.reload()
            return
        if generation == self._generation:
            self.context.statusMessage.emit(f"Could not read the record: {exc}")

    def _record_changed(self, patient_id: int) -> None:
        if self.patient is not None and patient_id == self.patient.id:
            self.reload()

    def _patients_changed(self) -> None:
        if self.patient is not None:
            self.reload()  # the header (name, MRN) may have been edited

    # ---- pages -------------------------------------------------------------------------------
    def current_page(self) -> str:
        item = self.nav.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else PAGES[0]

    def set_page(self, name: str) -> None:
        if name not in PAGES:
            raise ValueError(f"unknown page {name!r}; choose one of: {', '.join(PAGES)}")
        self.nav.setCurrentRow(PAGES.index(name))

    def page(self, name: str) -> QWidget:
        return self._ensure_page(name)

    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        name = PAGES[row]
        widget = self._ensure_page(name)
        self.stack.setCurrentWidget(widget)
        self._activate_current()
        self.pageChanged.emit(name)

    def _ensure_page(self, name: str) -> QWidget:
        widget = self.pages[name]
        if name not in LAZY_PAGES or widget.property("hairtrackPage"):
            return widget
        real = self._build_lazy_page(name)
        real.setProperty("hairtrackPage", True)
        index = self.stack.indexOf(widget)
        self.stack.insertWidget(index, real)
        self.stack.removeWidget(widget)
        widget.deleteLater()
        self.pages[name] = real
        return real

    def _build_lazy_page(self, name: str) -> QWidget:
        try:
            cls = load_page_class(name)
        except Exception as exc:  # a broken page must not take the workspace down
            log.exception("cannot load the %s page", name)
            return _unavailable(f"The {PAGE_TITLES[name]} view could not be loaded:\n{exc}")
        if cls is None:
            return _unavailable(f"The {PAGE_TITLES[name]} view is not available in this build.")
        widget = cls(self.context, parent=self.stack)
        if name == "progress" and hasattr(widget, "photoActivated"):
            widget.photoActivated.connect(self.open_in_compare)
        return widget

    def _activate_current(self) -> None:
        name = self.current_page()
        if self.patient is None or name not in LAZY_PAGES:
            return
        widget = self._ensure_page(name)
        if self._shown_patient[name] != self.patient.id and hasattr(widget, "show_patient"):
            self._shown_patient[name] = self.patient.id
            widget.show_patient(self.patient.id)

    def focus_content(self) -> None:
        """Keyboard focus on the page itself, so arrows and shortcuts act on its content."""
        name = self.current_page()
        target = {"timeline": self.timeline.tree, "photos": self.photos.grid}.get(name)
        (target or self.pages[name]).setFocus()

    def open_in_compare(self, photo_id: int) -> None:
        """Show one photo against its view's baseline on the Compare page."""
        self.set_page("compare")
        widget = self._ensure_page("compare")
        if hasattr(widget, "show_photo"):
            widget.show_photo(photo_id)


def _unavailable(text: str) -> QWidget:
    widget = QWidget()
    label = QLabel(text)
    label.setObjectName("muted")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    layout = QVBoxLayout(widget)
    layout.addWidget(label)
    widget.setProperty("hairtrackPage", True)
    return widget


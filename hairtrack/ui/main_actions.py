"""The main window's actions, shortcuts and menus, declared in one table.

Keeping them apart from the window's behaviour makes the full list of
keyboard shortcuts readable in one place (and testable for clashes).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence

from hairtrack.ui.icons import icon

if TYPE_CHECKING:
    from hairtrack.ui.main_window import MainWindow

Shortcut = str | QKeySequence.StandardKey | None
REPORT_MODULE = "hairtrack.ui.report_dialog"

#: name: (text, icon, shortcut, status tip)
ACTIONS: dict[str, tuple[str, str | None, Shortcut, str]] = {
    "home": ("Patients", "patients", "Ctrl+L", "Show the patient list"),
    "find": ("Find patient", "search", QKeySequence.StandardKey.Find,
             "Search patients by name or MRN"),
    "new_patient": ("New patient…", "patient-add", QKeySequence.StandardKey.New,
                    "Add a patient"),
    "edit_patient": ("Edit patient…", "edit", "Ctrl+Shift+E", "Edit the patient's details"),
    "import": ("Import photos…", "import", "Ctrl+I",
               "Import photos or folders (or drop them on the window)"),
    "import_folder": ("Import folder…", "folder", "Ctrl+Shift+I",
                      "Import every photo in a folder and its subfolders"),
    "report": ("Export report…", "report", "Ctrl+E", "Export a PDF progress report"),
    "trash": ("Trash…", "delete", None, "Restore deleted patients, visits and photos"),
    "audit": ("Audit log…", None, None, "Who changed what, and when; export it as CSV"),
    "delete_patient": ("Move patient to trash…", "delete", None,
                       "Delete the patient (restorable from File > Trash)"),
    "delete_photos": ("Move photos to trash…", "delete", None,
                      "Delete the selected photos (restorable from File > Trash)"),
    "settings": ("Settings…", "settings", QKeySequence.StandardKey.Preferences,
                 "Library, clinic details and defaults"),
    "quit": ("Quit", None, QKeySequence.StandardKey.Quit, "Quit HairTrack"),
    "add_visit": ("Add visit…", "visit", "Ctrl+Shift+V", "Add a visit to the timeline"),
    "add_treatment": ("Add treatment…", "treatment", "Ctrl+Shift+T",
                      "Add a treatment event to the timeline"),
    "analyse": ("Analyse", "analyse", "Ctrl+R",
                "Align new photos to their baseline and measure coverage"),
    "baseline": ("Mark as baseline", "baseline", "Ctrl+B",
                 "Make the selected photo the baseline of its view"),
    "page_timeline": ("Timeline", "timeline", "Ctrl+1", "Show the timeline"),
    "page_photos": ("Photos", "photos", "Ctrl+2", "Show the photos"),
    "page_compare": ("Compare", "compare", "Ctrl+3", "Compare a photo with its baseline"),
    "page_progress": ("Progress", "progress", "Ctrl+4", "Show coverage over time"),
    "back": ("Back to patients", "back", "Alt+Left", "Return to the patient list"),
    "demo": ("Open the demo patient", "demo", None,
             "Open (or create) the fictional demo patient"),
    "shortcuts": ("Keyboard shortcuts", None, "F1", "List every keyboard shortcut"),
    "about": ("About HairTrack", "info", None, "Version and licence"),
}


def build_actions(window: MainWindow) -> dict[str, QAction]:
    workspace = window.workspace
    handlers: dict[str, Callable[[], Any]] = {
        "home": window.show_home,
        "find": window.show_patients,
        "new_patient": window.new_patient,
        "edit_patient": window.edit_patient,
        "import": window.import_files,
        "import_folder": window.import_folder,
        "report": window.export_report,
        "settings": window.open_settings,
        "trash": window.open_trash,
        "audit": window.open_audit_log,
        "delete_patient": window.delete_patient,
        "delete_photos": lambda: workspace.photos.delete_selected(),
        "quit": window.close,
        "add_visit": lambda: _on_timeline(window, "add_visit"),
        "add_treatment": lambda: _on_timeline(window, "add_treatment"),
        "analyse": lambda: window.work.analyse_current(),
        "baseline": lambda: workspace.photos.mark_baseline(),
        "page_timeline": lambda: window.set_workspace_page("timeline"),
        "page_photos": lambda: window.set_workspace_page("photos"),
        "page_compare": lambda: window.set_workspace_page("compare"),
        "page_progress": lambda: window.set_workspace_page("progress"),
        "back": window.show_home,
        "demo": window.work.open_demo,
        "shortcuts": window.show_shortcuts,
        "about": window.about,
    }
    actions: dict[str, QAction] = {}
    for name, (text, icon_name, shortcut, tip) in ACTIONS.items():
        action = QAction(text, window)
        action.setObjectName(f"action_{name}")
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        handler = handlers[name]
        action.triggered.connect(lambda _checked=False, h=handler: h())
        if name.startswith("page_"):
            action.setCheckable(True)
        actions[name] = action
    actions["quit"].setMenuRole(QAction.MenuRole.QuitRole)
    actions["settings"].setMenuRole(QAction.MenuRole.PreferencesRole)
    actions["about"].setMenuRole(QAction.MenuRole.AboutRole)
    actions["home"].setIconText("Patients")
    actions["new_patient"].setIconText("New patient")
    actions["import"].setIconText("Import")
    actions["report"].setIconText("Report")
    actions["settings"].setIconText("Settings")
    return actions


def _on_timeline(window: MainWindow, method: str) -> None:
    window.set_workspace_page("timeline")
    getattr(window.workspace.timeline, method)()


def build_menus(window: MainWindow, actions: dict[str, QAction]) -> None:
    bar = window.menuBar()
    layout: tuple[tuple[str, tuple[str | None, ...]], ...] = (
        ("&File", ("new_patient", "import", "import_folder", "report", None, "trash", "audit",
                   None, "settings", None, "quit")),
        ("&Patient", ("edit_patient", None, "add_visit", "add_treatment", None, "analyse",
                      "baseline", None, "delete_photos", "delete_patient")),
        ("&View", ("home", "find", "back", None, "page_timeline", "page_photos",
                   "page_compare", "page_progress")),
        ("&Help", ("demo", None, "shortcuts", "about")),
    )
    for title, names in layout:
        menu = bar.addMenu(title)
        for name in names:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(actions[name])


def shortcut_table(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """(action, keys) for every action that has a shortcut, in menu order."""
    rows = []
    for action in actions.values():
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…"), keys))
    return rows


def report_available() -> bool:
    """Whether this build has the report dialog, without importing it (that takes ~0.1 s)."""
    try:
        return importlib.util.find_spec(REPORT_MODULE) is not None
    except (ImportError, ValueError):
        return False


def report_dialog_class() -> Any:
    """The report engineer's dialog, imported on first use."""
    try:
        module = importlib.import_module(REPORT_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == REPORT_MODULE:
            return None
        raise
    return getattr(module, "ReportDialog", None)

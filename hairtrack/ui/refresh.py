"""Bring what is on screen up to date when another desktop changed the library.

The watcher says what others changed; this applies it through the paths the
window's own edits use: the patient list is replaced (selection, search and
scroll position kept) and the open patient's pages reload through
`recordChanged`, which the timeline, photos, compare and progress pages all
follow. Nothing here touches an open dialog: a form being filled in keeps what
the user typed, and if its record changed meanwhile, saving it is refused and
the user is offered a reload (`ui/conflicts.py`). A patient deleted elsewhere
closes its workspace, and the status bar says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from hairtrack.core.domain import Patient
from hairtrack.core.services import changes
from hairtrack.core.services.changes import Changes
from hairtrack.ui.change_watcher import ChangeWatcher, Update

if TYPE_CHECKING:
    from hairtrack.ui.main_window import MainWindow


class RefreshFromOthers(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        context = window.context
        # Read before the window's first load: a change made in between is then seen.
        self.watcher = ChangeWatcher(context, changes.change_marker(context.library),
                                     parent=self)
        self.watcher.changed.connect(self.apply)
        self.watcher.failed.connect(self._failed)
        if not context.runner.synchronous:  # tests poll by hand, like their runner
            self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()

    def apply(self, update: Update) -> None:
        window, found = self.window, update.changes
        window.set_patient_list(update.patients)
        patient = window.workspace.patient
        if patient is not None and patient.id not in {p.id for p in update.patients}:
            self._patient_gone(patient, found)
            return
        if patient is not None and found.touches(patient.id):
            window.context.recordChanged.emit(patient.id)
        window.show_message(f"Updated: changes by {_names(found)}")

    def _patient_gone(self, patient: Patient, found: Changes) -> None:
        window = self.window
        who = next((e.actor for e in reversed(found.entries)
                    if e.entity == "patient" and e.entity_id == patient.id), "")
        window.workspace.close_patient()
        if window.stack.currentWidget() is window.workspace:
            window.show_home()
        window.show_message(f"{patient.name} (MRN {patient.mrn}) was deleted on another "
                            f"desktop{f' by {who}' if who else ''}; their record was closed")

    def _failed(self, text: str) -> None:
        self.window.show_message(f"Cannot check for changes made on other desktops: {text}")


def _names(found: Changes) -> str:
    actors = found.actors
    if not actors:
        return "another desktop"
    if len(actors) > 3:
        return f"{', '.join(actors[:3])} and others"
    return ", ".join(actors)

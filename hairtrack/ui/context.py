"""What every widget of one window shares: the library, the task runner, the settings.

Widgets never hold a Session; they call core services through the runner and
listen to these signals to know when to refresh (the change notifications of
Anki's operations, reduced to what our views need).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from hairtrack.core.library import Library
from hairtrack.core.services.changes import OwnWrites
from hairtrack.ui.tasks import TaskRunner


class AppContext(QObject):
    patientsChanged = Signal()  # a patient was added or edited
    recordChanged = Signal(int)  # patient id: visits, treatments or photos changed
    measurementsChanged = Signal(int)  # patient id: analysis results changed
    statusMessage = Signal(str)  # one line for the status bar

    def __init__(self, library: Library, runner: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.runner = runner
        #: The audit entries this window's writes made: other desktops' are told apart.
        self.own_writes = OwnWrites(library)

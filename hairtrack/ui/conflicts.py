"""Saves refused because another desktop changed the record first: say so, offer a reload.

Every edit sends the row version its form or view was filled from
(`expected_version`); the core refuses a stale one with
`records.ChangedElsewhere`, whose message names who changed the record and
when. The user then sees "Changed on another desktop" with that message and a
Reload button: a form is filled with the current version and lists what the
user had entered (`FormDialog.reload_from`), a view reads the record again.
Nothing is overwritten, and nothing typed is dropped without the user seeing it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from hairtrack.core.services import records
from hairtrack.ui import messages
from hairtrack.ui.context import AppContext
from hairtrack.ui.form_dialog import FormDialog


def is_stale(exc: BaseException) -> bool:
    return isinstance(exc, records.ChangedElsewhere)


def save_failed(dialog: FormDialog, exc: Exception, reload: Callable[[], None]) -> None:
    """A form's `on_error`: a stale copy offers a reload, other refusals show in place."""
    if is_stale(exc):
        dialog.setEnabled(True)  # what the user typed stays in the form meanwhile
        messages.changed_elsewhere(dialog, messages.error_text(exc), reload)
    else:
        dialog.show_error(messages.error_text(exc))


def action_failed(parent: QWidget, title: str,
                  reload: Callable[[], None]) -> Callable[[Exception], None]:
    """An `on_error` for an action on a view (e.g. delete): stale copies offer a reload."""

    def show(exc: Exception) -> None:
        if is_stale(exc):
            messages.changed_elsewhere(parent, messages.error_text(exc), reload)
        else:
            messages.warn(parent, title, messages.error_text(exc))

    return show


def reload_form(context: AppContext, dialog: FormDialog, read: Callable[[], object | None],
                gone: str = "It was deleted on another desktop; it cannot be saved.") -> None:
    """Read the record again off the GUI thread and show it in the form (None: deleted)."""

    def done(current: object | None) -> None:
        if current is None:
            dialog.show_error(gone)
        else:
            dialog.reload_from(current)

    context.runner.call("Reloading", read, on_done=done,
                        on_error=lambda exc: dialog.show_error(messages.error_text(exc)))

"""Hide trashed rows from every ORM query, so no caller can forget to.

A deleted patient, visit or photo keeps its row (and its photo file) with
`deleted_at` set until the trash is purged. Filtering in each query would
leave one forgotten `where` away from a deleted photo in a report; instead
every ORM SELECT gets the criterion, including joins and relationship loads.
Queries that must see the trash (the trash itself, duplicate detection,
integrity checks, backups) pass `execution_options(include_deleted=True)`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from hairtrack.core.storage.models import Trashable

INCLUDE_DELETED = "include_deleted"


def _hide_trashed(state: ORMExecuteState) -> None:
    if (state.is_select and not state.is_column_load and not state.is_relationship_load
            and not state.execution_options.get(INCLUDE_DELETED, False)):
        state.statement = state.statement.options(with_loader_criteria(
            Trashable, lambda cls: cls.deleted_at.is_(None), include_aliases=True))


def install(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "do_orm_execute", _hide_trashed)


def including_deleted() -> dict[str, Any]:
    """Execution options for a query that must see trashed rows too."""
    return {INCLUDE_DELETED: True}

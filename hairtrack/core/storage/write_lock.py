"""One write order for every desktop: a writing transaction locks the audit head first.

Several desktops (processes) may write to one database at once. Two
transactions that lock the same rows in different orders deadlock on
PostgreSQL, and a check-then-insert ("is there a visit on this day? no, add
one") done by two desktops at once adds two. So every transaction that writes
first updates the one `audit_head` row (without changing it): on PostgreSQL
that is a row lock held to commit, on SQLite the database write lock. Writers
therefore run one after another, in the order they took the lock, and all
their later reads see what the writer before them committed (READ COMMITTED
reads a fresh snapshot per statement). Writes are milliseconds long (files are
copied and photos analysed outside transactions), so the queue stays short.

The lock is taken automatically before a transaction's first flush or bulk
statement. Code that reads in order to decide what to write calls `acquire`
before that read.
"""

from __future__ import annotations

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

from hairtrack.core.storage.models import AuditHeadRow

_HELD = "hairtrack_write_lock"



def acquire(session: Session) -> None:
    """Take the library's write lock for the rest of this transaction (idempotent)."""
    # On the Connection, not the Session: no autoflush, no ORM events, no recursion.
    connection = session.connection()  # begins the transaction if none is open yet
    transaction = session.get_transaction()
    if session.info.get(_HELD) is transaction:
        return
    connection.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1)
                       .values(seq=AuditHeadRow.seq))
    session.info[_HELD] = transaction


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        acquire(session)


def _before_bulk(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        acquire(state.session)


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.get(_HELD) is transaction:
        del session.info[_HELD]


def install(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "do_orm_execute", _before_bulk)
    event.listen(factory, "after_transaction_end", _forget)

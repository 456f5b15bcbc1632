"""What changed in a library since a view last looked, and whether this program did it.

Every change appends an audit entry and bumps `audit_head.seq` in the same
transaction, so `seq` is a clinic-wide counter of committed changes: a view
that was read at counter N is current while the counter still reads N. Reading
it is one primary-key SELECT of a one-row table, cheap enough for every
desktop to poll every few seconds, and it works the same on SQLite (several
programs on one file) and on PostgreSQL, without LISTEN/NOTIFY (which SQLite
does not have) or a connection held open per desktop.

A desktop refreshes only for changes *other* programs made: its own edits
already refresh its views, and an analysis it runs writes an entry per photo.
The actor name cannot tell them apart (two desktops may run under one login),
so `OwnWrites` remembers the audit sequence numbers written through one
`Library` object, from session events, as they are flushed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from hairtrack.core.library import Library
from hairtrack.core.storage.audit import Action, AuditEntry
from hairtrack.core.storage.models import AuditHeadRow, AuditRow

__all__ = ["AuditEntry", "Changes", "OwnWrites", "change_marker", "poll"]

#: More entries than this since the last look: a view reloads everything instead.
MAX_ENTRIES = 500
#: Entries that record an event but change no record (`Library.record`): nothing to reload.
NOT_CHANGES = frozenset({Action.EXPORT, Action.BACKUP})
_SESSION_SEQS = "hairtrack_own_audit_seqs"


@dataclass(frozen=True)
class Changes:
    """The entries committed after `since`, up to `marker` (the counter when read).

    `complete` is False when some entries were left out (more than the limit,
    or the counter went backwards: a restored or different database), and a
    view should then assume that anything may have changed.
    """

    since: int
    marker: int
    entries: tuple[AuditEntry, ...]
    complete: bool = True

    @property
    def moved(self) -> bool:
        return self.marker != self.since

    @property
    def patient_ids(self) -> frozenset[int]:
        return frozenset(e.patient_id for e in self.entries if e.patient_id is not None)

    @property
    def actors(self) -> tuple[str, ...]:
        """Who made the changes, each once, in the order they first appear."""
        return tuple(dict.fromkeys(e.actor for e in self.entries))

    def touches(self, patient_id: int) -> bool:
        return not self.complete or patient_id in self.patient_ids


def change_marker(library: Library) -> int:
    """The library's change counter (0 for a library nothing was ever written to)."""
    with library.session() as session:
        return _head(session)


def poll(library: Library, since: int, limit: int = MAX_ENTRIES) -> Changes:
    """The counter and, when it moved, the entries since `since`, from one read.

    Exports and backups are left out: they are logged, but change nothing to show.
    """
    with library.session() as session:
        marker = _head(session)
        if marker == since:
            return Changes(since, marker, ())
        if marker < since:
            return Changes(since, marker, (), complete=False)
        # Bounded by the head read above: on PostgreSQL each statement sees its own
        # snapshot, and an entry committed in between is left for the next poll.
        found = _entries(session, since, marker, limit)
        return Changes(since, marker, tuple(e for e in found if e.action not in NOT_CHANGES),
                       complete=len(found) == marker - since)


def _head(session: Session) -> int:
    seq = session.scalar(select(AuditHeadRow.seq).where(AuditHeadRow.id == 1))
    return int(seq or 0)


def _entries(session: Session, after: int, through: int | None,
             limit: int) -> list[AuditEntry]:
    query = select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq).limit(limit)
    if through is not None:
        query = query.where(AuditRow.seq <= through)
    return [AuditEntry(r.seq, r.at, r.actor, r.action, r.entity, r.entity_id, r.patient_id,
                       r.summary) for r in session.scalars(query)]


class OwnWrites:
    """The audit sequence numbers this program wrote through one `Library`.

    A number is remembered when its entry is flushed, before the commit, so a
    poll on another thread can never see the committed entry before it is known
    as ours; it is forgotten again if the transaction rolls back (that number is
    then free for another writer). Entries written for us by a child process
    (the GUI's analysis) are added with `add`: the child passes `on_write`, which
    hears each number as it is flushed. Thread-safe: writes happen on a
    worker thread while the GUI's poll reads on another.
    """

    def __init__(self, library: Library,
                 on_write: Callable[[int], None] | None = None) -> None:
        self.actor = library.actor
        self._factory = library.sessions
        self._on_write = on_write
        self._lock = threading.Lock()
        self._seqs: set[int] = set()
        event.listen(self._factory, "pending_to_persistent", self._flushed)
        event.listen(self._factory, "after_commit", self._committed)
        event.listen(self._factory, "after_rollback", self._rolled_back)

    def close(self) -> None:
        """Stop listening (the library stays open)."""
        for name, listener in (("pending_to_persistent", self._flushed),
                               ("after_commit", self._committed),
                               ("after_rollback", self._rolled_back)):
            if event.contains(self._factory, name, listener):
                event.remove(self._factory, name, listener)

    def add(self, seqs: Iterable[int]) -> None:
        with self._lock:
            self._seqs.update(seqs)

    def foreign(self, changes: Changes) -> Changes:
        """The same changes without ours; numbers up to the marker are then forgotten.

        An entry is ours when its number is remembered *and* it names our actor: a
        number reported by a child whose transaction then rolled back may be reused
        by another desktop, which most likely runs as someone else.
        """
        with self._lock:
            others = tuple(e for e in changes.entries
                           if not (e.seq in self._seqs and e.actor == self.actor))
            self._seqs = {seq for seq in self._seqs if seq > changes.marker}
        return Changes(changes.since, changes.marker, others, changes.complete)

    # ---- session events (on whichever thread writes) -----------------------------------------
    def _flushed(self, session: Session, instance: object) -> None:
        if not isinstance(instance, AuditRow):
            return
        session.info.setdefault(_SESSION_SEQS, []).append(instance.seq)
        with self._lock:
            self._seqs.add(instance.seq)
        if self._on_write is not None:
            self._on_write(instance.seq)

    def _committed(self, session: Session) -> None:
        session.info.pop(_SESSION_SEQS, None)

    def _rolled_back(self, session: Session) -> None:
        seqs = session.info.pop(_SESSION_SEQS, [])
        with self._lock:
            self._seqs.difference_update(seqs)

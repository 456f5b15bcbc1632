"""The append-only audit log: who did what to which record, and when.

Each entry is written in the same transaction as the change it describes, so
a change and its entry are committed or lost together. Entries form a hash
chain: each `hash` covers the entry's fields and the previous entry's hash,
and the one-row `audit_head` holds the tip. Editing, removing or inserting an
entry breaks the chain, which `verify` (and `hairtrack doctor`) reports.
A chain cannot stop someone who rewrites every later entry and the head as
well; it makes tampering visible, not impossible.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hairtrack.core.storage.models import AuditHeadRow, AuditRow

GENESIS = "0" * 64


class Action:
    """The verbs of the log (plain strings in the database)."""

    CREATE = "create"
    EDIT = "edit"
    IMPORT = "import"
    DELETE = "delete"
    RESTORE = "restore"
    PURGE = "purge"
    ANALYSE = "analyse"
    EXPORT = "export"
    BACKUP = "backup"
    MIGRATE = "migrate"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    summary: str


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    problem: str


def os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container without passwd entry)
        return "unknown"


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, entity: str,
               entity_id: int | None, patient_id: int | None, summary: str) -> str:
    stamp = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps([prev_hash, seq, stamp, actor, action, entity, entity_id,
                            patient_id, summary], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(session: Session, actor: str, action: str, entity: str, entity_id: int | None,
           summary: str, patient_id: int | None = None) -> AuditEntry:
    """Add an entry to the chain inside the caller's transaction.

    The head row is updated *before* it is read: that takes the write lock
    (SQLite) or the row lock (PostgreSQL) first, so two writers can never both
    extend the same tip.
    """
    session.flush()
    bump = update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq + 1)
    if session.get_bind().dialect.update_returning:  # one round trip less under the lock
        head = session.execute(bump.returning(AuditHeadRow.seq, AuditHeadRow.last_hash)).one()
    else:  # SQLite before 3.35
        session.execute(bump)
        head = session.execute(select(AuditHeadRow.seq, AuditHeadRow.last_hash)
                               .where(AuditHeadRow.id == 1)).one()
    seq, prev = int(head.seq), str(head.last_hash)
    at = datetime.now(timezone.utc)
    digest = entry_hash(prev, seq, at, actor, action, entity, entity_id, patient_id, summary)
    session.add(AuditRow(seq=seq, at=at, actor=actor, action=action, entity=entity,
                         entity_id=entity_id, patient_id=patient_id, summary=summary,
                         prev_hash=prev, hash=digest))
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1)
                    .values(last_hash=digest))
    return AuditEntry(seq, at, actor, action, entity, entity_id, patient_id, summary)


def entries(session: Session, patient_id: int | None = None,
            limit: int | None = None) -> list[AuditEntry]:
    """Newest first."""
    query = select(AuditRow).order_by(AuditRow.seq.desc())
    if patient_id is not None:
        query = query.where(AuditRow.patient_id == patient_id)
    if limit is not None:
        query = query.limit(limit)
    return [AuditEntry(r.seq, r.at, r.actor, r.action, r.entity, r.entity_id, r.patient_id,
                       r.summary) for r in session.scalars(query)]


def verify(session: Session) -> list[ChainProblem]:
    """Every break in the chain, oldest first; empty when the log is intact."""
    problems: list[ChainProblem] = []
    prev, expected_seq = GENESIS, 1
    for row in session.scalars(select(AuditRow).order_by(AuditRow.seq)):
        if row.seq != expected_seq:
            problems.append(ChainProblem(row.seq, f"entries {expected_seq}..{row.seq - 1} "
                                                  "are missing"))
        if row.prev_hash != prev:
            problems.append(ChainProblem(row.seq, "does not follow the entry before it"))
        digest = entry_hash(row.prev_hash, row.seq, row.at, row.actor, row.action, row.entity,
                            row.entity_id, row.patient_id, row.summary)
        if digest != row.hash:
            problems.append(ChainProblem(row.seq, "was changed after it was written"))
        prev, expected_seq = row.hash, row.seq + 1
    head = session.execute(select(AuditHeadRow.seq, AuditHeadRow.last_hash)).one_or_none()
    if head is None:
        problems.append(ChainProblem(None, "the chain's head record is missing"))
    elif head.seq != expected_seq - 1 or head.last_hash != prev:
        problems.append(ChainProblem(None, f"the log ends at entry {expected_seq - 1} but "
                                           f"{head.seq} were written: the newest entries were "
                                           "removed or replaced"))
    return problems

"""Reading, checking and exporting the audit log (writing happens with each change)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from hairtrack.core.library import Library
from hairtrack.core.storage import audit
from hairtrack.core.storage.audit import Action, AuditEntry, ChainProblem

__all__ = ["Action", "AuditEntry", "ChainProblem", "entries", "export_csv", "verify"]

COLUMNS = ("seq", "time_utc", "actor", "action", "entity", "entity_id", "patient_id", "summary")


def entries(library: Library, patient_id: int | None = None,
            limit: int | None = None) -> list[AuditEntry]:
    """Newest first; one patient's entries when `patient_id` is given."""
    with library.session() as session:
        return audit.entries(session, patient_id, limit)


def verify(library: Library) -> list[ChainProblem]:
    with library.session() as session:
        return audit.verify(session)


def export_csv(library: Library, target: Path, patient_id: int | None = None) -> int:
    """Write the log oldest first as UTF-8 CSV (atomically); returns the number of entries.

    Cells that a spreadsheet would run as a formula are prefixed with a quote:
    a patient name such as `=HYPERLINK(...)` must stay text.
    """
    rows = list(reversed(entries(library, patient_id)))
    pending = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with pending.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for e in rows:
                writer.writerow([e.seq, e.at.isoformat(timespec="seconds"), _cell(e.actor),
                                 e.action, e.entity, "" if e.entity_id is None else e.entity_id,
                                 "" if e.patient_id is None else e.patient_id,
                                 _cell(e.summary)])
        os.replace(pending, target)
    finally:
        pending.unlink(missing_ok=True)
    library.record(Action.EXPORT, "audit-log", None,
                   f"exported {len(rows)} audit entries to {target.name}", patient_id)
    return len(rows)


def _cell(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

"""Rows of one table, copied between two databases and compared afterwards (`migrate`).

Everything here is generic over a SQLAlchemy `Table`: a column added by a later
migration is copied and compared without a change here. SQLAlchemy Core is used,
not the ORM, because the ORM session hides trashed rows and a copy must not.

Two details keep the copy exact across backends:

- A JSON column can hold SQL NULL or the JSON value `null`; both read back as
  Python None. The source says which (`IS NULL`) and the insert writes the same.
- Rows are compared by primary key, fetched from the target by key, so the two
  databases' different text collations cannot misalign them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Row,
    Select,
    Table,
    TableClause,
    column,
    delete,
    false,
    func,
    insert,
    not_,
    select,
    tuple_,
)
from sqlalchemy import table as table_clause

#: Rows the schema migrations seed into every new database. A target holding only
#: these is empty; the copy replaces them with the source's own rows.
SEEDED: dict[str, Any] = {
    "treatment_types": lambda t: t.c.builtin.is_(True),
    "audit_head": lambda t: t.c.seq == 0,
}

_NULL_SUFFIX = "__is_sql_null"


@dataclass(frozen=True)
class Mismatch:
    """A row that differs between the two databases; names columns, never values (privacy)."""

    table: str
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table} {self.key}: {self.problem}"


def _is_json(col: Column[Any]) -> bool:
    return isinstance(col.type, JSON)


def _key_columns(table: Table) -> list[Column[Any]]:
    columns = list(table.primary_key.columns)
    if not columns:  # every HairTrack table has one; a new one without must not pass silently
        raise ValueError(f"table {table.name} has no primary key, so rows cannot be matched")
    return columns


def _read(table: Table) -> Select[Any]:
    """All rows ordered by key, with an `IS NULL` flag beside each JSON column."""
    flags = [col.is_(None).label(col.name + _NULL_SUFFIX) for col in table.columns
             if _is_json(col)]
    return select(*table.columns, *flags).order_by(*_key_columns(table))


def _insert_target(table: Table) -> TableClause:
    """The table for inserts, with JSON columns writing Python None as SQL NULL."""
    columns = [column(col.name, JSON(none_as_null=True) if _is_json(col) else col.type)
               for col in table.columns]
    return table_clause(table.name, *columns, schema=table.schema)


def target_row(table: Table, row: Row[Any]) -> dict[str, Any]:
    """The values to insert for one source row: SQL NULL stays NULL, JSON null stays null."""
    values = row._mapping
    result: dict[str, Any] = {}
    for col in table.columns:
        value = values[col.name]
        if _is_json(col) and value is None and not values[col.name + _NULL_SUFFIX]:
            value = JSON.NULL
        result[col.name] = value
    return result


def count_rows(connection: Connection, table: Table, *, except_seeded: bool = False) -> int:
    query = select(func.count()).select_from(table)
    seeded = SEEDED.get(table.name)
    if except_seeded and seeded is not None:
        query = query.where(not_(seeded(table)))
    return int(connection.scalar(query) or 0)


def copy_table(source: Connection, target: Connection, table: Table, batch_size: int) -> int:
    """Insert every source row into the target (executemany per batch); returns the count."""
    if table.name in SEEDED:
        target.execute(delete(table).where(SEEDED[table.name](table)))
    statement = insert(_insert_target(table))
    copied = 0
    for batch in _batches(source, table, batch_size):
        target.execute(statement, [target_row(table, row) for row in batch])
        copied += len(batch)
    return copied


def _batches(connection: Connection, table: Table, size: int) -> Iterator[Sequence[Row[Any]]]:
    result = connection.execute(_read(table).execution_options(yield_per=size))
    yield from result.partitions()


def reset_sequence(target: Connection, table: Table) -> None:
    """PostgreSQL: the next generated id follows the largest copied one."""
    col = table.autoincrement_column
    if col is None or target.dialect.name != "postgresql":
        return
    name = target.dialect.identifier_preparer.format_table(table)
    target.execute(select(func.setval(func.pg_get_serial_sequence(name, col.name),
                                      func.coalesce(func.max(col), 0) + 1, false()))
                   .select_from(table))


def compare_table(source: Connection, target: Connection, table: Table, batch_size: int,
                  limit: int) -> list[Mismatch]:
    """Up to `limit` differences between the two sides of `table`, in key order."""
    keys = _key_columns(table)
    found: list[Mismatch] = []
    seen: set[tuple[Any, ...]] = set()
    for batch in _batches(source, table, batch_size):
        wanted = [tuple(row._mapping[k.name] for k in keys) for row in batch]
        seen.update(wanted)
        theirs = {tuple(row._mapping[k.name] for k in keys): row
                  for row in target.execute(_read(table).where(_key_in(keys, wanted)))}
        for key, row in zip(wanted, batch, strict=True):
            other = theirs.get(key)
            if other is None:
                found.append(Mismatch(table.name, _show(keys, key), "missing in the target"))
            else:
                differing = [col.name for col in table.columns
                             if _normal(col, row) != _normal(col, other)]
                if differing:
                    found.append(Mismatch(table.name, _show(keys, key),
                                          f"differs in {', '.join(differing)}"))
            if len(found) >= limit:
                return found
    if count_rows(target, table) > len(seen):
        for row in target.execute(select(*keys).order_by(*keys)):
            if tuple(row) not in seen:
                found.append(Mismatch(table.name, _show(keys, tuple(row)),
                                      "in the target but not in the source"))
                if len(found) >= limit:
                    break
    return found


def _key_in(keys: list[Column[Any]], wanted: list[tuple[Any, ...]]) -> ColumnElement[bool]:
    if len(keys) == 1:
        return keys[0].in_([key[0] for key in wanted])
    return tuple_(*keys).in_(wanted)


def _show(keys: list[Column[Any]], key: tuple[Any, ...]) -> str:
    return ", ".join(f"{col.name}={value!r}" for col, value in zip(keys, key, strict=True))


def _normal(col: Column[Any], row: Row[Any]) -> Any:
    """A value in a form both backends agree on when the data is the same."""
    values = row._mapping
    value = values[col.name]
    if _is_json(col):  # parsed values, with 1 != 1.0 and SQL NULL != JSON null
        if values[col.name + _NULL_SUFFIX]:
            return None
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, datetime):  # Core may return naive UTC from SQLite
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc)
    if isinstance(value, float) and math.isnan(value):  # floats compare exactly, NaN too
        return "NaN"
    if isinstance(value, memoryview):
        return bytes(value)
    return value

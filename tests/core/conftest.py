"""The storage and service tests run on SQLite and on a real PostgreSQL server.

Tests that are about SQLite itself (its file, pragmas, backups) say so with
`@pytest.mark.parametrize("database_url", [None], ids=["sqlite"])`.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def database_url(backend_database_url: str | None) -> str | None:
    return backend_database_url

"""Test-wide set-up: Qt must never need a display, and each test gets its own library.

A library's database is SQLite unless a test directory overrides `database_url`
with `backend_database_url` (tests/core does), which runs each test once on
SQLite and once on a fresh database of the PostgreSQL server named by
HAIRTRACK_TEST_POSTGRES_URL (scripts/run-tests.sh starts a throwaway one).
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

# Before anything imports Qt: without a display QApplication would abort pytest.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="hairtrack-xdg-"))
os.environ.pop("HAIRTRACK_LIBRARY", None)
os.environ.pop("HAIRTRACK_DATABASE_URL", None)

import pytest
from sqlalchemy import create_engine, make_url, text

from hairtrack.core.library import Library

#: An admin URL of a PostgreSQL server the tests may create databases on.
POSTGRES_ENV = "HAIRTRACK_TEST_POSTGRES_URL"
#: Set (as CI does) to make a missing server an error instead of a skip.
REQUIRE_POSTGRES_ENV = "HAIRTRACK_REQUIRE_POSTGRES"

DATA = Path(__file__).parent / "data"
SCALP_PHOTOS = DATA / "scalp-photos"


# Qt objects must be destroyed on their own thread, but CPython runs the cyclic collector
# on whichever thread allocates; worker threads (exports, analysis) would then free GUI
# objects. As the app does (hairtrack/ui/gc_guard.py), collect only on the main thread.
gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    yield
    gc.collect()


class PostgresServer:
    """Creates one database per test, copied from a template migrated once per session.

    The template's name is unique to the session: several checkouts (at different
    schema revisions) may run their tests against one server at the same time.
    """

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.template = f"hairtrack_template_{uuid.uuid4().hex[:12]}"
        self._template_ready = False

    def url(self, database: str) -> str:
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.engine.connect() as connection:
            connection.execute(text(sql))

    def _ensure_template(self, scratch: Path) -> None:
        if self._template_ready:
            return
        self._execute(f"CREATE DATABASE {self.template}")
        Library.open(scratch, self.url(self.template)).close()  # runs every migration
        self._template_ready = True

    def create_database(self, scratch: Path, *, migrated: bool = True) -> str:
        """A new empty database (at the schema head, or bare), returned as a URL."""
        if migrated:
            self._ensure_template(scratch)
        name = f"t_{uuid.uuid4().hex[:16]}"
        template = f" TEMPLATE {self.template}" if migrated else ""
        self._execute(f"CREATE DATABASE {name}{template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")

    def close(self) -> None:
        if self._template_ready:
            self._execute(f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)")
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = f"no PostgreSQL server for the tests ({POSTGRES_ENV} is not set)"
        if os.environ.get(REQUIRE_POSTGRES_ENV):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(url)
    yield server
    server.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[str]:
    """A fresh PostgreSQL database at the schema head, dropped after the test."""
    url = postgres_server.create_database(tmp_path_factory.mktemp("pg-template"))
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def database_url() -> str | None:
    """The library's database: None is the SQLite file inside the library folder."""
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_database_url(request: pytest.FixtureRequest) -> str | None:
    """Both backends in turn; a directory's conftest maps `database_url` onto this."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def library(tmp_path: Path, database_url: str | None) -> Iterator[Library]:
    lib = Library.open(tmp_path / "library", database_url)
    yield lib
    lib.close()


@pytest.fixture
def scalp_photos() -> list[Path]:
    return sorted(SCALP_PHOTOS.glob("*.jpg"))


@pytest.fixture
def local_zone() -> Iterator[Callable[[str], None]]:
    """Set the process's local time zone to a POSIX TZ rule for one test, then restore it.

    POSIX rules need no time-zone database, so this works on a bare CI machine.
    """
    old = os.environ.get("TZ")

    def use(rule: str) -> None:
        os.environ["TZ"] = rule
        time.tzset()

    try:
        yield use
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.fixture
def store_disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on every copy into a photo store fails with ENOSPC, as on a full disk."""
    import errno
    from typing import Any

    from hairtrack.core.storage import photo_store

    class FullDisk:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, _data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.handle, name)

    real_new = photo_store._private_new

    def fake_new(path: Path) -> Any:
        assert path.name.startswith(photo_store._TMP_PREFIX)
        return FullDisk(real_new(path))

    monkeypatch.setattr(photo_store, "_private_new", fake_new)

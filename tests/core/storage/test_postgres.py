"""What only a database server shared by several desktops has to get right."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from hairtrack.core.library import Library, LibraryBusy, LibraryError
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer, records
from hairtrack.core.storage import database, write_lock
from hairtrack.core.storage.models import AuditRow


def test_a_database_from_a_newer_hairtrack_is_refused(postgres_url: str, tmp_path: Path) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    with pytest.raises(LibraryError, match=r"0999, which this HairTrack does not know.*newer"):
        Library.open(tmp_path / "shared", postgres_url)


def test_desktops_opening_a_new_database_at_once_all_get_the_schema(
        postgres_server: Any, tmp_path: Path) -> None:
    """Only one migrates (an advisory lock); the others wait and find it at head."""
    url = postgres_server.create_database(tmp_path / "tpl", migrated=False)
    barrier = threading.Barrier(4)
    opened: list[object] = []

    def open_one(n: int) -> None:
        barrier.wait()
        try:
            library = Library.open(tmp_path / "shared", url)
            opened.append(database.current_revision(library.engine))
            library.close()
        except Exception as exc:  # asserted on below
            opened.append(exc)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert opened == [database.head_revision()] * 4
    finally:
        postgres_server.drop_database(url)


def test_an_unreachable_server_is_named_without_its_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://clinic:s3cret@127.0.0.1:1/hairtrack"
    with pytest.raises(LibraryError) as caught:
        Library.open(tmp_path / "shared", url)
    message = str(caught.value)
    assert "127.0.0.1" in message and "s3cret" not in message


def test_a_writer_stuck_behind_another_desktop_gives_up_clearly(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 300)
    holder = Library.open(tmp_path / "shared", postgres_url)
    waiter = Library.open(tmp_path / "shared", postgres_url)
    try:
        with holder.session() as session:
            write_lock.acquire(session)  # another desktop mid-transaction (e.g. hung)
            with pytest.raises(LibraryBusy, match=r"busy.*Nothing was changed"):
                records.add_patient(waiter, "WAIT-1", "Wendy Wait")
        assert records.list_patients(waiter) == []
        records.add_patient(waiter, "WAIT-1", "Wendy Wait")  # free again once it commits
    finally:
        holder.close()
        waiter.close()


def test_the_audit_log_refuses_updates_and_deletes_on_the_server(postgres_url: str,
                                                                 tmp_path: Path) -> None:
    library = Library.open(tmp_path / "shared", postgres_url)
    try:
        records.add_patient(library, "AUD-1", "Audrey Audit")
        for statement in (f"UPDATE {AuditRow.__tablename__} SET actor = 'mallory'",
                          f"DELETE FROM {AuditRow.__tablename__}"):
            with pytest.raises(DBAPIError, match="append-only"), library.engine.begin() as c:
                c.execute(text(statement))
    finally:
        library.close()


def test_a_desktop_whose_shared_folder_is_not_mounted_is_stopped(
        postgres_url: str, tmp_path: Path, scalp_photos: list[Path]) -> None:
    shared = tmp_path / "share"
    library = Library.open(shared, postgres_url)
    patient = records.add_patient(library, "MNT-1", "Monty Mount")
    run_task(importer.import_paths(library, patient.id, scalp_photos[:1]))
    library.close()
    unmounted = tmp_path / "mnt-point"  # the empty mount point of a share that did not mount
    unmounted.mkdir()
    with pytest.raises(LibraryError, match=r"holds 1 photos.*is the clinic's shared folder"):
        Library.open(unmounted, postgres_url)
    assert list(unmounted.iterdir()) == []  # nothing was written locally
    Library.open(shared, postgres_url).close()

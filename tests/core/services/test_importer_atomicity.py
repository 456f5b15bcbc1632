"""Importing is atomic per file: failures and crashes leave neither a row without its file
nor, for long, a file without its row."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import importer, records
from hairtrack.core.storage import repositories as repo
from hairtrack.core.storage.models import PhotoRow
from hairtrack.core.storage.photo_store import StoreError, sha256_of

UTC = timezone.utc


@pytest.fixture
def patient_id(library: Library) -> int:
    return records.add_patient(library, "ATOM-1", "Ada Tomic").id


def assert_consistent(lib: Library) -> None:
    """Every row has its file and every file its row; no temporaries are left behind."""
    with lib.session() as session:
        rows = set(session.scalars(select(PhotoRow.sha256)))
    assert lib.store.hashes() == rows
    assert not list(lib.store.root.glob(".incoming-*"))


def fail_on_call(number: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == number:
            raise OperationalError("INSERT INTO photos", {}, Exception("disk I/O error"))
        return real(*args, **kwargs)

    return wrapper


def test_database_failure_rejects_only_that_file(library: Library, patient_id: int,
                                                 scalp_photos: list[Path],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    files = scalp_photos[:3]
    monkeypatch.setattr(repo, "visit_on_date", fail_on_call(2, repo.visit_on_date))
    report = run_task(importer.import_paths(library, patient_id, files))
    assert [i.path for i in report.imported] == [files[0], files[2]]
    (rejected,) = report.rejected
    assert rejected.path == files[1]
    assert "could not record the photo" in rejected.reason and "disk I/O" in rejected.reason
    assert sha256_of(files[1]) not in library.store.hashes()  # its copy was removed again
    assert_consistent(library)


def test_store_failure_rejects_only_that_file(library: Library, patient_id: int,
                                              scalp_photos: list[Path],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real_add = library.store.add

    def add(source: Path) -> Any:
        if source == scalp_photos[0]:
            raise StoreError(f"the disk holding the library ({library.store.root}) is full")
        return real_add(source)

    monkeypatch.setattr(library.store, "add", add)
    report = run_task(importer.import_paths(library, patient_id, scalp_photos[:2]))
    (rejected,) = report.rejected
    assert "could not store the photo" in rejected.reason and "full" in rejected.reason
    assert [i.path for i in report.imported] == [scalp_photos[1]]
    assert_consistent(library)


def test_file_changing_during_import_is_rejected(library: Library, patient_id: int,
                                                 scalp_photos: list[Path],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "sha256_of", lambda _path: "0" * 64)
    report = run_task(importer.import_paths(library, patient_id, scalp_photos[:1]))
    (rejected,) = report.rejected
    assert "changed while it was being imported" in rejected.reason
    assert library.store.hashes() == set()
    assert_consistent(library)


def test_crash_between_store_and_commit_is_cleaned_up(library: Library, patient_id: int,
                                                      scalp_photos: list[Path]) -> None:
    """A file in the store with no row (the process died before committing) is garbage."""
    report = run_task(importer.import_paths(library, patient_id, scalp_photos[:2]))
    kept = {i.photo.sha256 for i in report.imported}
    orphan = library.store.add(scalp_photos[5])
    assert library.collect_garbage() == 0  # young: it may be another process's import
    assert library.collect_garbage(grace_seconds=0) == 1
    assert not orphan.path.exists()
    assert library.store.hashes() == kept
    assert_consistent(library)


def test_the_next_import_collects_old_leftovers(library: Library, patient_id: int,
                                                scalp_photos: list[Path]) -> None:
    orphan = library.store.add(scalp_photos[5])
    old = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
    os.utime(orphan.path, (old, old))
    run_task(importer.import_paths(library, patient_id, scalp_photos[:1]))
    assert not orphan.path.exists()
    assert_consistent(library)


def test_a_concurrent_import_of_the_same_photo_keeps_its_file(
        library: Library, patient_id: int, scalp_photos: list[Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another desktop commits the same photo between our store copy and our commit.

    (It cannot commit *inside* our transaction: the write lock makes it wait.)
    """
    source = scalp_photos[0]
    sha = sha256_of(source)
    other_visit = records.add_visit(library, patient_id, datetime(2024, 1, 1, tzinfo=UTC))
    real = library.store.add

    def other_desktop_commits_first(path: Path) -> Any:
        stored = real(path)
        with library.session() as other:
            other.add(PhotoRow(visit_id=other_visit.id, view="vertex",
                               captured_at=datetime(2024, 1, 1, tzinfo=UTC),
                               capture_source="file", sha256=sha, size_bytes=1, width=640,
                               height=640, media_type="image/jpeg",
                               original_name=source.name))
        return stored

    monkeypatch.setattr(library.store, "add", other_desktop_commits_first)
    report = run_task(importer.import_paths(library, patient_id, [source]))
    (duplicate,) = report.duplicates
    assert duplicate.sha256 == sha
    assert library.store.path_for(sha).read_bytes() == source.read_bytes()
    assert_consistent(library)

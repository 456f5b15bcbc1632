"""Shared set-up for the data-safety tests: a patient, a consistency check, Hypothesis,
and a small library with photos and a pseudonym secret, with a backup of it."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import select

from hairtrack.core.imaging import io
from hairtrack.core.library import SECRET_FILENAME, Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import backup, importer, records
from hairtrack.core.storage.models import PhotoRow
from hairtrack.core.storage.photo_store import sha256_of
from hairtrack.core.storage.soft_delete import including_deleted

# Reproducible on every machine and in CI: a fixed sequence of examples, no example
# database written into the repository, no timing flakiness on a busy 2-core runner.
settings.register_profile("reliability", max_examples=150, deadline=None, derandomize=True,
                          database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("reliability")
# Hypothesis still caches Unicode tables and constants; keep them out of the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "hairtrack-hypothesis")


@pytest.fixture
def patient_id(library: Library) -> int:
    return records.add_patient(library, "BAD-1", "Bea Dinput").id


def assert_library_consistent(lib: Library) -> None:
    """No row without its stored file, no file without its row, every file intact."""
    with lib.session() as session:
        rows = list(session.scalars(select(PhotoRow.sha256)
                                    .execution_options(**including_deleted())))
    assert len(rows) == len(set(rows))
    assert lib.store.hashes() == set(rows)
    for sha in rows:
        assert sha256_of(lib.store.path_for(sha)) == sha
    assert not list(lib.store.root.glob(".incoming-*"))


@pytest.fixture
def consistent() -> Callable[[Library], None]:
    return assert_library_consistent


@pytest.fixture
def lock_after_validation(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], list[Path]]:
    """From the moment a file has been validated, opening it fails as a locked file does.

    A monkeypatch, because root (as in CI) reads a chmod 000 file. Returns the list of
    files actually locked, so a test can check that the lock happened mid-import.
    """
    real_validate, real_open = io.validate_image, Path.open
    victims: list[Path] = []
    locked: list[Path] = []

    def validate(path: Path) -> io.ImageInfo:
        info = real_validate(path)
        if path in victims:
            locked.append(path)
        return info

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self in locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    def lock(victim: Path) -> list[Path]:
        if not victims:
            monkeypatch.setattr(io, "validate_image", validate)
            monkeypatch.setattr(Path, "open", open_)
        victims.append(victim)
        return locked

    return lock


@pytest.fixture
def populated(library: Library, scalp_photos: list[Path]) -> Library:
    """Two patients, eight photos, a treatment event and a secret."""
    first = records.add_patient(library, "BK-1", "Bea Keller").id
    second = records.add_patient(library, "BK-2", "Ben Kohl").id
    report = run_task(importer.import_paths(library, first, scalp_photos[:5]))
    assert len(report.imported) == 5
    report = run_task(importer.import_paths(library, second, scalp_photos[5:8]))
    assert len(report.imported) == 3
    (library.root / SECRET_FILENAME).write_bytes(os.urandom(32))
    return library


@pytest.fixture
def archive(populated: Library, tmp_path: Path) -> Path:
    path = tmp_path / "backup.zip"
    run_task(backup.create_backup(populated.root, path))
    return path

"""Shared set-up for the data-safety tests: a patient, a consistency check, Hypothesis."""

from __future__ import annotations

import errno
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import select

from hairtrack.core.imaging import io
from hairtrack.core.library import Library
from hairtrack.core.services import records
from hairtrack.core.storage.models import PhotoRow
from hairtrack.core.storage.photo_store import sha256_of

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
        rows = list(session.scalars(select(PhotoRow.sha256)))
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

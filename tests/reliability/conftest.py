"""A small library with photos and a pseudonym secret, and a backup of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hairtrack.core.library import SECRET_FILENAME, Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import backup, importer, records


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

"""The content-addressed store: byte-for-byte, named by hash, atomic, self-cleaning."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from hairtrack.core.storage import photo_store
from hairtrack.core.storage.photo_store import PhotoStore, StoreError, sha256_of

SCALP = Path(__file__).resolve().parents[2] / "data" / "scalp-photos"


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "photos")


def photos(n: int) -> list[Path]:
    return sorted(SCALP.glob("*.jpg"))[:n]


def make_old(path: Path, seconds: float = 3600) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_add_copies_byte_for_byte_under_its_hash(store: PhotoStore) -> None:
    source = photos(1)[0]
    data = source.read_bytes()
    expected = hashlib.sha256(data).hexdigest()
    stored = store.add(source)
    assert stored.sha256 == expected == sha256_of(source)
    assert stored.created
    assert stored.size_bytes == len(data)
    assert stored.path == store.root / expected[:2] / f"{expected}.jpg"
    assert stored.path.read_bytes() == data
    assert store.path_for(expected) == stored.path
    assert store.hashes() == {expected}


def test_stored_originals_are_read_only(store: PhotoStore) -> None:
    stored = store.add(photos(1)[0])
    mode = stat.S_IMODE(stored.path.stat().st_mode)
    assert mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0
    assert mode & stat.S_IRUSR


def test_suffix_is_lower_case_and_only_cosmetic(store: PhotoStore, tmp_path: Path) -> None:
    source = tmp_path / "IMG_0001.JPG"
    source.write_bytes(photos(1)[0].read_bytes())
    stored = store.add(source)
    assert stored.path.suffix == ".jpg"
    assert store.path_for(stored.sha256, ".PNG") == stored.path  # found by hash, not suffix


def test_identical_content_is_stored_once(store: PhotoStore, tmp_path: Path) -> None:
    source = photos(1)[0]
    copy = tmp_path / "renamed-copy.jpeg"
    copy.write_bytes(source.read_bytes())
    first = store.add(source)
    second = store.add(copy)
    assert not second.created
    assert second.path == first.path
    assert second.sha256 == first.sha256
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert files == [first.path]


def test_distinct_content_gets_distinct_files(store: PhotoStore) -> None:
    stored = [store.add(p) for p in photos(5)]
    assert len({s.sha256 for s in stored}) == 5
    assert store.hashes() == {s.sha256 for s in stored}


def test_remove(store: PhotoStore) -> None:
    stored = store.add(photos(1)[0])
    store.remove(stored.sha256)
    assert not stored.path.exists()
    store.remove(stored.sha256)  # removing twice is harmless
    assert store.hashes() == set()


def test_missing_source_is_a_store_error_and_leaves_nothing(store: PhotoStore,
                                                            tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="No such file"):
        store.add(tmp_path / "gone.jpg")
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_full_disk(store: PhotoStore, store_disk_full: None) -> None:
    """ENOSPC while writing the temporary copy: a clear message and no leftovers."""
    with pytest.raises(StoreError, match="full") as caught:
        store.add(photos(1)[0])
    assert str(store.root) in str(caught.value)
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_permission_error_is_explained(store: PhotoStore,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StoreError, match="read-only or not writable"):
        store.add(photos(1)[0])
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_garbage_collection(store: PhotoStore) -> None:
    kept, orphan, young = (store.add(p) for p in photos(3))
    stale_tmp = store.root / f"{photo_store._TMP_PREFIX}123-456"
    stale_tmp.write_bytes(b"half a photo")
    young_tmp = store.root / f"{photo_store._TMP_PREFIX}789-000"
    young_tmp.write_bytes(b"an import in progress")
    for path in (kept.path, orphan.path, stale_tmp):
        make_old(path)

    removed = store.collect_garbage({kept.sha256})
    assert set(removed) == {orphan.path, stale_tmp}
    assert kept.path.exists()
    assert young.path.exists()  # unreferenced but young: maybe another process's import
    assert young_tmp.exists()

    removed = store.collect_garbage({kept.sha256}, grace_seconds=0)
    assert set(removed) == {young.path, young_tmp}
    assert store.hashes() == {kept.sha256}


def test_garbage_collection_of_a_missing_store(tmp_path: Path) -> None:
    assert PhotoStore(tmp_path / "nothing-here").collect_garbage(set(), grace_seconds=0) == []


def test_garbage_collection_tolerates_files_vanishing(store: PhotoStore,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process may rename its temporary file between listing and inspecting it."""
    first, second = (store.add(p) for p in photos(2))
    real_stat = Path.stat
    calls: list[Path] = []

    def flaky_stat(self: Path, *args: Any, **kwargs: Any) -> os.stat_result:
        calls.append(self)
        if self == first.path and calls.count(self) > 1:  # listed, then gone when inspected
            raise FileNotFoundError(errno.ENOENT, "gone", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", flaky_stat)
    removed = store.collect_garbage(set(), grace_seconds=0)
    assert removed == [second.path]

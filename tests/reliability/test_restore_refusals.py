"""Restore refuses damaged or hostile archives, names the problem and writes nothing."""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from hairtrack.core.library import DB_FILENAME, SECRET_FILENAME
from hairtrack.core.progress import run_task
from hairtrack.core.services import backup


def read_entries(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_archive(path: Path, entries: dict[str, bytes], *, manifest: dict[str, Any] | None = None,
                  extra: Sequence[tuple[zipfile.ZipInfo, bytes]] = ()) -> Path:
    """A well-formed zip (correct CRCs) with these contents: only our own checks can object."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            if name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
            zf.writestr(name, data)
        for info, data in extra:
            zf.writestr(info, data)
    return path


def first_photo(entries: dict[str, bytes]) -> str:
    return sorted(name for name in entries if name.startswith("photos/"))[0]


def refused(archive: Path, target: Path, match: str) -> str:
    """Restore must fail with this message and leave nothing at or beside the target."""
    before = sorted(p.name for p in target.parent.iterdir())
    with pytest.raises(backup.BackupError, match=match) as raised:
        run_task(backup.restore_backup(archive, target))
    assert not target.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == before
    return str(raised.value)


@pytest.fixture
def entries(archive: Path) -> dict[str, bytes]:
    return read_entries(archive)


@pytest.fixture
def target(tmp_path: Path) -> Path:
    folder = tmp_path / "restores"
    folder.mkdir()
    return folder / "new-library"


# ---- damage -----------------------------------------------------------------------------------

def test_a_flipped_byte_in_a_photo_is_refused_naming_it(entries: dict[str, bytes],
                                                        tmp_path: Path, target: Path) -> None:
    name = first_photo(entries)
    data = bytearray(entries[name])
    data[1000] ^= 0x01
    entries[name] = bytes(data)
    damaged = write_archive(tmp_path / "damaged.zip", entries)
    message = refused(damaged, target, "archive is damaged")
    assert f"{name} does not match its checksum" in message


def test_a_manifest_hash_that_does_not_match_is_refused(entries: dict[str, bytes],
                                                        tmp_path: Path, target: Path) -> None:
    manifest = json.loads(entries["manifest.json"])
    [secret] = [m for m in manifest["members"] if m["path"] == SECRET_FILENAME]
    secret["sha256"] = "0" * 64
    damaged = write_archive(tmp_path / "manifest.zip", entries, manifest=manifest)
    refused(damaged, target, f"{SECRET_FILENAME} does not match its checksum")


def test_a_photo_swapped_with_a_matching_manifest_is_refused_by_its_name(
        entries: dict[str, bytes], tmp_path: Path, target: Path) -> None:
    """Bytes and manifest changed together still cannot pass: a photo's name is its hash."""
    name = first_photo(entries)
    entries[name] = entries[name][:-10] + b"0123456789"
    manifest = json.loads(entries["manifest.json"])
    [member] = [m for m in manifest["members"] if m["path"] == name]
    member["sha256"] = hashlib.sha256(entries[name]).hexdigest()
    swapped = write_archive(tmp_path / "swapped.zip", entries, manifest=manifest)
    refused(swapped, target, f"{name} does not match its name")


def test_a_bad_crc_is_refused(archive: Path, tmp_path: Path, target: Path) -> None:
    """A byte flipped in the file itself (no rewrite): zipfile's CRC check catches it."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(first_photo(read_entries(archive)))
    data[info.header_offset + 30 + len(info.filename) + 500] ^= 0x01
    damaged = tmp_path / "crc.zip"
    damaged.write_bytes(bytes(data))
    refused(damaged, target, f"archive is damaged: {info.filename}")


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_truncated_archive_is_refused(archive: Path, tmp_path: Path, target: Path,
                                        keep: float) -> None:
    data = archive.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[:int(len(data) * keep)])
    message = refused(cut, target, "not a readable HairTrack backup")
    assert "truncated" in message


def test_a_photo_missing_from_archive_and_manifest_is_refused(entries: dict[str, bytes],
                                                              tmp_path: Path,
                                                              target: Path) -> None:
    name = first_photo(entries)
    del entries[name]
    manifest = json.loads(entries["manifest.json"])
    manifest["members"] = [m for m in manifest["members"] if m["path"] != name]
    incomplete = write_archive(tmp_path / "incomplete.zip", entries, manifest=manifest)
    refused(incomplete, target, f"photo {name[10:74]} is recorded in its database")


@pytest.mark.parametrize("change, match", [
    ("drop-member", "is listed but missing"),
    ("extra-member", "does not list: photos/"),
    ("duplicate", "twice"),
    ("newer-schema", "update HairTrack"),
    ("newer-format", "format version 2"),
    ("not-json", "not valid JSON"),
])
def test_inconsistent_archives_are_refused(entries: dict[str, bytes], tmp_path: Path,
                                           target: Path, change: str, match: str) -> None:
    manifest = json.loads(entries["manifest.json"])
    extra: list[tuple[zipfile.ZipInfo, bytes]] = []
    if change == "drop-member":
        del entries[first_photo(entries)]
    elif change == "extra-member":
        entries[f"photos/ee/{'e' * 64}.jpg"] = b"not listed"
    elif change == "duplicate":
        extra.append((zipfile.ZipInfo(DB_FILENAME), b"a second database"))
    elif change == "newer-schema":
        manifest["schema_revision"] = "9999_from_the_future"
    elif change == "newer-format":
        manifest["format_version"] = 2
    else:
        entries["manifest.json"] = b"{not json"
    path = tmp_path / f"{change}.zip"
    with pytest.warns(UserWarning) if change == "duplicate" else nullcontext():
        write_archive(path, entries, manifest=None if change == "not-json" else manifest,
                      extra=extra)
    refused(path, target, match)


# ---- hostile names ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "photos/../../evil", "..\\evil",
                                  "C:/evil", "photos/ab/../../../evil"])
def test_paths_outside_the_library_are_refused(entries: dict[str, bytes], tmp_path: Path,
                                               target: Path, name: str) -> None:
    manifest = json.loads(entries["manifest.json"])
    manifest["members"].append({"path": name, "size": 5, "sha256": "a" * 64})
    hostile = write_archive(tmp_path / "hostile.zip", entries, manifest=manifest,
                            extra=[(zipfile.ZipInfo(name), b"owned")])
    message = refused(hostile, target, "archive contains a path outside the library")
    assert message.endswith(name)
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()


def test_a_symlink_member_is_refused(entries: dict[str, bytes], tmp_path: Path,
                                     target: Path) -> None:
    name = first_photo(entries)
    del entries[name]
    link = zipfile.ZipInfo(name)
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    hostile = write_archive(tmp_path / "link.zip", entries, extra=[(link, b"/etc/passwd")])
    refused(hostile, target, f"archive contains a symbolic link: {name}")


def test_a_member_that_is_no_library_file_is_refused(entries: dict[str, bytes],
                                                     tmp_path: Path, target: Path) -> None:
    entries["cache/run.sh"] = b"#!/bin/sh"
    odd = write_archive(tmp_path / "odd.zip", entries)
    refused(odd, target, "does not belong in a library: cache/run.sh")


# ---- the target -------------------------------------------------------------------------------

def test_a_non_empty_target_is_refused_and_left_alone(archive: Path, target: Path) -> None:
    target.mkdir()
    (target / "library.sqlite").write_bytes(b"someone's real library")
    with pytest.raises(backup.BackupError, match="not an empty folder"):
        run_task(backup.restore_backup(archive, target))
    assert [p.name for p in target.iterdir()] == ["library.sqlite"]
    assert (target / "library.sqlite").read_bytes() == b"someone's real library"
    assert [p.name for p in target.parent.iterdir()] == ["new-library"]


def test_a_file_as_target_is_refused(archive: Path, target: Path) -> None:
    target.write_text("a file")
    with pytest.raises(backup.BackupError, match="not an empty folder"):
        run_task(backup.restore_backup(archive, target))
    assert target.read_text() == "a file"


def test_no_backup_file(tmp_path: Path, target: Path) -> None:
    refused(tmp_path / "absent.zip", target, "no backup file at")

"""Pseudonymous codes: stable per patient and library, unguessable without the secret."""

from __future__ import annotations

import re
import stat
from datetime import date
from pathlib import Path

import pytest

from hairtrack.report import deidentify

CODE = re.compile(r"^HT-[A-Z2-7]{4}-[A-Z2-7]{4}$")


def test_code_is_stable_and_the_secret_is_created_once(tmp_path: Path) -> None:
    first = deidentify.pseudonym(tmp_path, "MRN-123")
    secret = (tmp_path / "secret.key").read_bytes()
    assert CODE.match(first)
    assert len(secret) == deidentify.SECRET_BYTES
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert deidentify.pseudonym(tmp_path, "MRN-123") == first
    assert deidentify.pseudonym(tmp_path, "  mrn-123 ") == first  # trimmed, case-folded
    assert (tmp_path / "secret.key").read_bytes() == secret


def test_codes_differ_between_patients_and_libraries(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    codes = {deidentify.pseudonym(a, f"MRN-{i:04d}") for i in range(500)}
    assert len(codes) == 500
    assert deidentify.pseudonym(a, "MRN-0001") != deidentify.pseudonym(b, "MRN-0001")


def test_code_is_not_a_plain_hash_of_the_mrn(tmp_path: Path) -> None:
    """Someone holding the report but not the library cannot test guessed MRNs."""
    import base64
    import hashlib

    plain = base64.b32encode(hashlib.sha256(b"mrn-123").digest()[:5]).decode()
    assert deidentify.pseudonym(tmp_path, "MRN-123") != f"HT-{plain[:4]}-{plain[4:]}"


def test_secret_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(deidentify.SecretUnavailable, match="secret"):
        deidentify.pseudonym(not_a_folder, "MRN-1")


def test_damaged_secret_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_bytes(b"short")
    with pytest.raises(deidentify.SecretUnavailable, match="damaged"):
        deidentify.pseudonym(tmp_path, "MRN-1")


def test_scrub_removes_every_spelling_of_the_identifiers() -> None:
    ids = deidentify.identifying_strings("Alex Demo", "DEMO-001", date(1984, 5, 12))
    text = ("Alex Demo (DEMO-001), born 12/05/1984, also written 1984-05-12 and "
            "12 May 1984; ALEX agreed. Demonstration photos were taken.")
    out = deidentify.scrub(text, ids)
    for leaked in ("Alex", "ALEX", "DEMO-001", "1984", "12/05"):
        assert leaked not in out
    assert "Demonstration photos" in out  # whole words only
    assert out.count(deidentify.REDACTED) >= 5

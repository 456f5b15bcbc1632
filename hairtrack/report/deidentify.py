"""Pseudonymous patient codes and scrubbing of identifying text for de-identified reports.

The code is HMAC-SHA256 of the patient's MRN under a secret kept in the
library folder (`<library>/secret.key`, 32 random bytes made on first use).
Why this scheme:

- stable: the same patient gets the same code in every report from this
  library, so a researcher can follow one patient across exports;
- not reversible by guessing: MRNs are short and often sequential, so a plain
  hash of the MRN could be undone by hashing every possible MRN; without the
  secret that is impossible;
- local: nothing leaves the clinic, and the clinic can re-identify a code by
  recomputing it for its own patients (`pseudonym(root, mrn)`).

The MRN (trimmed, case-folded) is used rather than the database id so a patient
keeps its code when the library is rebuilt from the same records, as long as
the secret file is kept with it. Correcting a mistyped MRN changes the code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from hairtrack.core.library import SECRET_FILENAME

SECRET_NAME = SECRET_FILENAME
SECRET_BYTES = 32
CODE_PREFIX = "HT"
REDACTED = "[redacted]"


class SecretUnavailable(Exception):
    """The library has no secret yet and cannot be written to create one."""


def library_secret(root: Path) -> bytes:
    """The library's pseudonym secret, created atomically on first use."""
    path = Path(root) / SECRET_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = _create_secret(path)
    except OSError as exc:
        raise SecretUnavailable(f"cannot read the pseudonym secret {path}: "
                                f"{exc.strerror or exc}") from exc
    if len(data) < 16:
        raise SecretUnavailable(f"{path} is damaged (too short); restore it from a backup")
    return data


def _create_secret(path: Path) -> bytes:
    data = os.urandom(SECRET_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes()
    except OSError as exc:
        raise SecretUnavailable(
            f"cannot create the pseudonym secret {path}: {exc.strerror or exc}; "
            "open the library once with write access") from exc
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return data


def pseudonym(root: Path, mrn: str) -> str:
    """A stable code such as `HT-7K4Q-M2XD` for the patient with this MRN."""
    digest = hmac.new(library_secret(root), mrn.strip().casefold().encode("utf-8"),
                      hashlib.sha256).digest()
    text = base64.b32encode(digest[:5]).decode("ascii")  # 40 bits, 8 characters
    return f"{CODE_PREFIX}-{text[:4]}-{text[4:]}"


def identifying_strings(name: str, mrn: str, date_of_birth: date | None) -> tuple[str, ...]:
    """Every spelling of the identifiers that must not appear in a de-identified report."""
    found: list[str] = []
    if name.strip():
        found.append(name.strip())
        found.extend(part for part in re.split(r"[\s,]+", name) if len(part) >= 2)
    if mrn.strip():
        found.append(mrn.strip())
    if date_of_birth is not None:
        found.extend(date_spellings(date_of_birth))
    return tuple(dict.fromkeys(found))


def date_spellings(day: date) -> tuple[str, ...]:
    """The usual ways a date of birth is written in notes."""
    d, m, y = day.day, day.month, day.year
    month = day.strftime("%B")
    return (day.isoformat(), f"{d:02d}/{m:02d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{d}/{m}/{y}",
            f"{m}/{d}/{y}", f"{d:02d}.{m:02d}.{y}", f"{d}.{m}.{y}", f"{d} {month} {y}",
            f"{month} {d}, {y}", f"{d} {month[:3]} {y}", f"{month[:3]} {d}, {y}")


def scrub(text: str, identifiers: Iterable[str]) -> str:
    """Replace whole-word occurrences of any identifier, case-insensitively."""
    for item in sorted(set(identifiers), key=len, reverse=True):
        pattern = r"(?<!\w)" + re.escape(item) + r"(?!\w)"
        text = re.sub(pattern, REDACTED, text, flags=re.IGNORECASE)
    return text

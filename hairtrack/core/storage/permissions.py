"""Owner-only permissions for everything in a library (POSIX).

Photos and measurements are medical records: the library folder is 0700,
its files 0600 and stored originals 0400 (read-only, they never change), so
other accounts on a shared workstation can read nothing, even if the folder's
own mode is later loosened. On Windows the user profile's ACLs do this job
and these calls do nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
ORIGINAL_FILE = 0o400

POSIX = os.name == "posix"


def private_dirs(path: Path, root: Path | None = None) -> None:
    """Create `path` and its missing parents (below `root`, when given) as 0700."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != root and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made meanwhile by another process
            continue
        if POSIX:
            os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is filtered by the umask


def private_file(path: Path, mode: int = PRIVATE_FILE) -> None:
    if POSIX:
        os.chmod(path, mode)


def create_private_file(path: Path) -> None:
    """Create an empty file that was never readable by others, if it does not exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)

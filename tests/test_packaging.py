"""A built wheel must carry everything the app loads at run time.

The packages are listed by hand in pyproject.toml (so `resources/`, at the top
of the repository, can be installed as `hairtrack.resources`); these checks
fail when a new package or resource file would be left out of the wheel.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]


def _source_dir(package: str) -> Path:
    mapped = SETUPTOOLS.get("package-dir", {})
    for prefix in sorted(mapped, key=len, reverse=True):
        if package == prefix or package.startswith(prefix + "."):
            rest = package[len(prefix):].lstrip(".")
            return ROOT / mapped[prefix] / Path(*rest.split(".")) if rest else ROOT / mapped[prefix]
    return ROOT / Path(*package.split("."))


def test_every_python_folder_is_a_listed_package() -> None:
    folders = {p.parent for p in (ROOT / "hairtrack").rglob("*.py") if "__pycache__" not in p.parts}
    expected = {".".join(f.relative_to(ROOT).parts) for f in folders}
    listed = set(SETUPTOOLS["packages"])
    assert expected <= listed, sorted(expected - listed)
    for package in listed:
        assert _source_dir(package).is_dir(), package


def test_every_resource_file_is_package_data() -> None:
    data = SETUPTOOLS["package-data"]
    resources = [p for p in (ROOT / "resources").rglob("*") if p.is_file()]
    assert any(p.name == "style.qss" for p in resources)
    for path in resources:
        folder = path.parent.relative_to(ROOT / "resources").parts
        package = ".".join(("hairtrack", "resources", *folder))
        assert package in SETUPTOOLS["packages"], path
        assert any(fnmatch.fnmatch(path.name, g) for g in data.get(package, [])), path


def test_migrations_ship_with_their_template() -> None:
    folder = ROOT / "hairtrack" / "core" / "storage" / "migrations"
    globs = SETUPTOOLS["package-data"]["hairtrack.core.storage.migrations"]
    assert all(any(fnmatch.fnmatch(p.name, g) for g in globs) for p in folder.glob("*.mako"))

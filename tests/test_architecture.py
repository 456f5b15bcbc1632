"""The core stays Qt-free and never reaches up into the UI, reports or CLI.

import-linter checks the same contract in CI; this test keeps it true for anyone
who only runs pytest, and also catches imports hidden inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "hairtrack" / "core"
FORBIDDEN = ("PySide6", "shiboken6", "hairtrack.ui", "hairtrack.report", "hairtrack.cli")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute module an import statement names, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
              and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
              == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_core_modules_exist() -> None:
    assert len(list(CORE.rglob("*.py"))) >= 10


def test_core_never_imports_qt_ui_report_or_cli() -> None:
    offenders = [f"{path.relative_to(REPO)}:{line}: {module}"
                 for path in sorted(CORE.rglob("*.py"))
                 for line, module in imported_modules(path) if is_forbidden(module)]
    assert offenders == []


def test_the_checker_catches_offenders(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import os\n"
                      "def f():\n"
                      "    from PySide6.QtCore import QObject\n"
                      "    import importlib; importlib.import_module('hairtrack.ui.main')\n"
                      "from hairtrack.cli import main\n"
                      "from hairtrack import report\n")
    bad = {m for _, m in imported_modules(sample) if is_forbidden(m)}
    assert bad == {"PySide6.QtCore", "PySide6.QtCore.QObject", "hairtrack.ui.main",
                   "hairtrack.cli", "hairtrack.cli.main", "hairtrack.report"}


@pytest.mark.parametrize("module", ["hairtrack.core.services.importer",
                                    "hairtrack.core.services.records",
                                    "hairtrack.core.library"])
def test_importing_core_services_does_not_load_qt(module: str) -> None:
    code = (f"import sys, {module}\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6') or m.startswith(('hairtrack.ui', 'hairtrack.report', "
            "'hairtrack.cli')))\n"
            "print(','.join(loaded))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""

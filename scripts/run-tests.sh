#!/usr/bin/env bash
# Install everything on a fresh Debian/Ubuntu machine and run the checks CI runs:
# lint, architecture contracts, strict typing of the core, and the test suite.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
install_debian_packages "${QT_RUNTIME_PACKAGES[@]}" poppler-utils
make_venv "[test]"
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check hairtrack tests benchmarks main.py
.venv/bin/lint-imports --no-cache
.venv/bin/mypy hairtrack/core
.venv/bin/python -m pytest "$@"

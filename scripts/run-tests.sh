#!/usr/bin/env bash
# Install everything on a fresh Debian/Ubuntu machine and run the checks CI runs:
# lint, architecture contracts, typing (strict in the core), and the test suite.
# The storage and service tests also run against a real PostgreSQL server: a throwaway
# cluster on a loopback port (scripts/test-postgres.sh), stopped again when the tests end.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
source scripts/test-postgres.sh
install_debian_packages "${QT_RUNTIME_PACKAGES[@]}" poppler-utils
find_postgres_bin >/dev/null || install_debian_packages postgresql
make_venv "[test]"
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check hairtrack tests benchmarks main.py
.venv/bin/lint-imports --no-cache
.venv/bin/mypy hairtrack
trap stop_test_postgres EXIT
if start_test_postgres; then
  export HAIRTRACK_REQUIRE_POSTGRES=1  # from here on a missing server is a failure, not a skip
else
  echo "No PostgreSQL server could be started: its tests will be skipped." >&2
fi
.venv/bin/python -m pytest "$@"

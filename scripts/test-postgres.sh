# A throwaway PostgreSQL cluster for the test suite (sourced by run-tests.sh, not run).
#
# start_test_postgres: initdb into a fresh temporary folder, start the server on a free
# loopback port (no Unix socket outside that folder, trust authentication for loopback
# only) and export HAIRTRACK_TEST_POSTGRES_URL for the tests. PostgreSQL refuses to run
# as root, so under root (as in CI) the cluster belongs to the unprivileged `postgres`
# user that Debian's package creates. stop_test_postgres stops it and removes the folder.

find_postgres_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

_as_cluster_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_test_postgres() {
  local bin
  bin="$(find_postgres_bin)" || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  TEST_PG_DIR="$(mktemp -d /tmp/hairtrack-pg.XXXXXX)"
  chmod 0755 "$TEST_PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$TEST_PG_DIR"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  _as_cluster_owner "$bin/initdb" -D "$TEST_PG_DIR/data" -U hairtrack -A trust -E UTF8 \
    --locale=C --no-sync >"$TEST_PG_DIR/initdb.log" 2>&1 \
    || { cat "$TEST_PG_DIR/initdb.log" >&2; return 1; }
  # fsync off: a test cluster is thrown away, durability would only slow the suite down.
  _as_cluster_owner "$bin/pg_ctl" -D "$TEST_PG_DIR/data" -l "$TEST_PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $TEST_PG_DIR -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$TEST_PG_DIR/server.log" >&2; return 1; }
  export HAIRTRACK_TEST_POSTGRES_URL="postgresql+psycopg://hairtrack@127.0.0.1:$port/postgres"
  export TEST_PG_BIN="$bin"
  echo "Test PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

stop_test_postgres() {
  [ -n "${TEST_PG_DIR:-}" ] && [ -d "$TEST_PG_DIR/data" ] || return 0
  _as_cluster_owner "$TEST_PG_BIN/pg_ctl" -D "$TEST_PG_DIR/data" -m fast -w stop \
    >/dev/null 2>&1 || true
  rm -rf "$TEST_PG_DIR"
}

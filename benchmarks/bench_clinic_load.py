"""A clinic's desktops on one library: throughput and latency of imports and edits.

Runs the clinic load test's client program (benchmarks/clinic_load_client.py) as
separate processes: 1 client x N operations (the baseline, measured in the same run)
and K clients x N operations at once, each on a fresh library, against PostgreSQL (a
database created on the server named by --database or HAIRTRACK_TEST_POSTGRES_URL and
dropped afterwards) and against SQLite (one library file shared by the processes).
Prints throughput with its ratio to the 1-client baseline, p50/p95/max latency per
operation kind, the slowest operation and the conflict counts. The photos (about 0.5 MB
each, a distinct SHA-256 per file) are made before anything is timed.

    python benchmarks/bench_clinic_load.py                    # 1 and 4 clients x 100 ops
    python benchmarks/bench_clinic_load.py --operations 200 --clients 8
    python benchmarks/bench_clinic_load.py --only sqlite
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clinic_load import KINDS, Summary, make_photos, photos_needed, run_clients, summarise
from sqlalchemy import create_engine, make_url, text

from hairtrack.core.library import DATABASE_ENV, Library

POSTGRES_ENV = "HAIRTRACK_TEST_POSTGRES_URL"


@contextmanager
def scratch_database(admin_url: str | None) -> Iterator[str | None]:
    """None for SQLite; else a new PostgreSQL database, dropped afterwards."""
    if admin_url is None:
        yield None
        return
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"hairtrack_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def measure(backend: str, admin_url: str | None, photos: Path, work: Path, *, clients: int,
            operations: int, seed: int) -> Summary:
    folder = work / f"{backend}-{clients}"
    with scratch_database(admin_url) as url:
        Library.open(folder / "library", url).close()  # migrations are not part of the load
        runs = run_clients(folder / "library", url, photos, folder / "clients",
                           clients=clients, operations=operations, seed=seed)
    failed = [run for run in runs if run.returncode != 0 or run.result is None]
    for run in failed:
        print(f"{backend}, client {run.client} failed ({run.returncode}):\n"
              f"{run.stderr[-2000:]}", file=sys.stderr)
    if failed:
        raise SystemExit(1)
    return summarise([run.result for run in runs if run.result is not None])


def print_tables(rows: list[tuple[str, Summary]]) -> None:
    print()
    print(f"{'database':<11}{'clients':>8}{'ops':>6}{'wall s':>8}{'op/s':>8}{'x 1-client':>11}"
          f"{'sync s':>8}{'cores':>7}  {'slowest operation':<30}{'dup':>5}{'MRN':>5}{'stale':>7}"
          f"{'again':>6}{'err':>5}")
    baseline: dict[str, float] = {}
    for backend, s in rows:
        base = baseline.setdefault(backend, s.throughput)
        kind, seconds, client, index = s.slowest
        print(f"{backend:<11}{s.clients:>8}{s.operations:>6}{s.wall_seconds:>8.1f}"
              f"{s.throughput:>8.1f}{s.throughput / base:>11.2f}{s.sync_seconds:>8.1f}"
              f"{s.cpu_seconds / s.wall_seconds:>7.2f}  "
              f"{f'{kind} {seconds * 1000:.0f} ms (c{client}#{index})':<30}"
              f"{s.outcomes['duplicate']:>5}{s.outcomes['conflict']:>5}"
              f"{s.changed_elsewhere:>7}{s.outcomes['changed-elsewhere']:>6}"
              f"{s.outcomes['error']:>5}")
    print()
    print("latency per operation, ms (p50 / p95 / max; count)")
    print(f"{'database':<11}{'clients':>8}  " + "".join(f"{kind:>22}" for kind in KINDS))
    for backend, s in rows:
        cells = []
        for kind in KINDS:
            k = s.per_kind.get(kind)
            cells.append(f"{k.p50 * 1e3:.0f}/{k.p95 * 1e3:.0f}/{k.max * 1e3:.0f}; {k.count}"
                         if k else "-")
        print(f"{backend:<11}{s.clients:>8}  " + "".join(f"{c:>22}" for c in cells))
    print()
    print("dup: imports of a file another client had just imported (together steps);\n"
          "MRN: patients refused because another client had taken the MRN;\n"
          "stale: edits saved on a version another client had changed (first attempt);\n"
          "again: of those, still stale after one reload and retry; sync s: mean time a\n"
          "client waited for the others before a together step (part of the wall time);\n"
          "cores: the clients' processor seconds per wall second (the server's not counted).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--database", default=os.environ.get(POSTGRES_ENV),
                        help=f"admin URL of a PostgreSQL server (default: ${POSTGRES_ENV})")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    os.environ.pop(DATABASE_ENV, None)  # the SQLite runs use the libraries' own files
    backends = [("sqlite", None), ("postgresql", args.database)]
    if args.only:
        backends = [b for b in backends if b[0] == args.only]
    if any(name == "postgresql" and url is None for name, url in backends):
        print(f"PostgreSQL left out: no --database and no {POSTGRES_ENV}")
        backends = [b for b in backends if b[1] is not None or b[0] == "sqlite"]
    work = Path(tempfile.mkdtemp(prefix="hairtrack-bench-load-"))
    try:
        started = time.perf_counter()
        wanted = photos_needed(args.seed, args.clients, args.operations)
        make_photos(work / "photos", wanted)
        size = sum(p.stat().st_size for p in (work / "photos").iterdir()) / len(wanted)
        print(f"{len(wanted)} photos, {size / 1e6:.2f} MB on average, made in "
              f"{time.perf_counter() - started:.1f} s (not timed)")
        rows = []
        for backend, url in backends:
            for clients in (1, args.clients):
                summary = measure(backend, url, work / "photos", work, clients=clients,
                                  operations=args.operations, seed=args.seed)
                rows.append((backend, summary))
                print(f"{backend}: {summary.describe()}")
        print_tables(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

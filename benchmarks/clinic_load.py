"""The clinic load test's shared parts: each client's plan, its photos, running the
clients as separate processes at once, and summarising what they measured.

Used by benchmarks/bench_clinic_load.py and tests/reliability/test_clinic_load.py (which
loads this file by path: benchmarks/ is not a package); benchmarks/clinic_load_client.py
is the client program. Plans are fixed in advance from the seed so that

- every client knows the *together* steps (same index, same content in every plan):
  all clients meet at a file barrier and then add one MRN, import one file or save an
  edit made on one version at the same moment: exactly one may win;
- the photos every plan needs are made before any client starts, outside the timed part.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import struct
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hairtrack.core.library import DATABASE_ENV

ROOT = Path(__file__).resolve().parents[1]
CLIENT = Path(__file__).with_name("clinic_load_client.py")
REAL_PHOTOS = ROOT / "tests" / "data" / "scalp-photos"

KINDS = ("import", "add-patient", "edit-patient", "add-treatment", "edit-treatment",
         "add-visit", "edit-visit")
#: The mix of the steps between together steps (relative weights).
WEIGHTS = {"import": 50, "add-patient": 8, "edit-patient": 12, "add-treatment": 10,
           "edit-treatment": 10, "add-visit": 8, "edit-visit": 12}
#: Every 8th step (1, 9, 17, ...) is done by all clients at once, in this order.
TOGETHER_EVERY = 8
TOGETHER_CYCLE = ("add-patient", "import", "edit-patient", "add-treatment", "edit-treatment",
                  "import", "edit-visit")
#: Imports choose visits on these days, by date or by capture time: few days, so that
#: clients importing for one patient meet on the same visit day.
IMPORT_DAYS = tuple(date(2024, month, 10) for month in (1, 3, 5, 7, 9, 11))
#: Visits added by hand are in 2023: never on an import day, which they would capture.
VISIT_DAYS = tuple(date(2023, month, 15) for month in range(1, 13))
TREATMENTS = ("prp", "minoxidil", "exosome-injection", "low-level-laser")
OUTCOMES = ("ok", "duplicate", "conflict", "changed-elsewhere", "skipped", "error")


@dataclass(frozen=True)
class Step:
    """One operation of a plan; which record an edit touches is decided when it runs."""

    index: int
    kind: str
    together: bool = False  # every client does this step at the same moment
    shared: bool = False  # on a patient every client works on (edits may conflict)
    mrn: str = ""  # add-patient
    photo: str = ""  # import: file name in the photos folder
    taken: str = ""  # import: EXIF capture time, "YYYY:MM:DD HH:MM:SS" (local)
    by_date: bool = False  # import: visit chosen by a typed date, else by capture time
    day: str = ""  # ISO date: an import's visit day, a visit's or a treatment's date


def plan(seed: int, client: int, operations: int) -> list[Step]:
    """Client `client`'s steps: its own patient first, together steps, then a random mix."""
    rng = random.Random(f"{seed}-{client}")
    steps: list[Step] = []
    counters: Counter[str] = Counter()
    together = 0
    for index in range(operations):
        if index == 0:
            steps.append(Step(0, "add-patient", mrn=f"C{client}-P0"))
            counters["own-patient"] += 1
        elif index % TOGETHER_EVERY == 1:
            steps.append(_together(seed, index, together))
            together += 1
        else:
            kind = rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
            steps.append(_own_step(rng, client, index, kind, counters))
    return steps


def _together(seed: int, index: int, number: int) -> Step:
    """The same step in every client's plan: drawn from the seed alone."""
    rng = random.Random(f"{seed}-together-{number}")
    kind = TOGETHER_CYCLE[number % len(TOGETHER_CYCLE)]
    if kind == "add-patient":
        return Step(index, kind, together=True, shared=True, mrn=f"SH-{number}")
    if kind == "import":
        return _import_step(rng, index, f"shared-{number:02d}.jpg", together=True,
                            shared=True)
    return Step(index, kind, together=True, shared=True,
                day=_random_day(rng, kind).isoformat())


def _own_step(rng: random.Random, client: int, index: int, kind: str,
              counters: Counter[str]) -> Step:
    shared = rng.random() < 0.5
    if kind == "import":
        counters["photo"] += 1
        return _import_step(rng, index, f"c{client}-{counters['photo']:03d}.jpg",
                            together=False, shared=shared)
    if kind == "add-patient":
        if rng.random() < 0.3:  # an MRN every client tries once, at different moments
            counters["contended"] += 1
            return Step(index, kind, shared=True, mrn=f"ANY-{counters['contended']}")
        counters["own-patient"] += 1
        return Step(index, kind, mrn=f"C{client}-P{counters['own-patient'] - 1}")
    return Step(index, kind, shared=shared, day=_random_day(rng, kind).isoformat())


def _import_step(rng: random.Random, index: int, photo: str, *, together: bool,
                 shared: bool) -> Step:
    day = rng.choice(IMPORT_DAYS)
    taken = f"{day:%Y:%m:%d} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}:" \
            f"{rng.randint(0, 59):02d}"
    return Step(index, "import", together=together, shared=shared, photo=photo, taken=taken,
                by_date=rng.random() < 0.5, day=day.isoformat())


def _random_day(rng: random.Random, kind: str) -> date:
    if kind == "add-visit":
        return rng.choice(VISIT_DAYS)
    return date(2024, 1, 1) + timedelta(days=rng.randrange(330))


def photos_needed(seed: int, clients: int, operations: int) -> dict[str, str]:
    """File name -> EXIF capture time, for every import of every client's plan."""
    return {step.photo: step.taken for client in range(clients)
            for step in plan(seed, client, operations) if step.kind == "import"}


# ---- photos ---------------------------------------------------------------------------------

def make_photos(folder: Path, wanted: dict[str, str], *, size: tuple[int, int] = (2000, 1500),
                quality: int = 92, bases: int = 12) -> None:
    """Distinct JPEGs of a clinic camera's size (about 0.5 MB each).

    A few real scalp photos are enlarged (with sensor-like noise) and encoded once; each
    file is one of them with its own EXIF block (capture time and a unique description)
    spliced in, so every file has its own SHA-256 and capture time without re-encoding.
    """
    import cv2
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261125)
    encoded: list[bytes] = []
    for path in sorted(REAL_PHOTOS.glob("*.jpg"))[:bases]:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        assert image is not None, path
        big = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_CUBIC), np.float32)
        noisy = np.clip(big + rng.normal(0.0, 3.0, big.shape), 0, 255).astype(np.uint8)
        ok, buffer = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        encoded.append(buffer.tobytes())
    for number, (name, taken) in enumerate(sorted(wanted.items())):
        (folder / name).write_bytes(with_exif(encoded[number % len(encoded)], taken,
                                              f"HairTrack load test {name}"))


def with_exif(jpeg: bytes, taken: str, description: str) -> bytes:
    """`jpeg` with an EXIF APP1 segment (DateTimeOriginal, ImageDescription) after APP0."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010E] = description
    exif.get_ifd(0x8769)[0x9003] = taken
    payload = exif.tobytes()
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    assert jpeg[:4] == b"\xff\xd8\xff\xe0", "expected a JFIF file from the encoder"
    after_app0 = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:after_app0] + segment + jpeg[after_app0:]


# ---- the barrier ----------------------------------------------------------------------------

class Barrier:
    """Client processes meet here: each leaves a file, all go on when all files are there."""

    def __init__(self, folder: Path, parties: int, me: int, timeout: float = 120.0) -> None:
        self.folder, self.parties, self.me, self.timeout = folder, parties, me, timeout
        folder.mkdir(parents=True, exist_ok=True)

    def wait(self, name: str) -> float:
        """Seconds spent waiting for the others (not counted in any operation's time)."""
        started = time.perf_counter()
        (self.folder / f"{name}.{self.me}").touch()
        while len(list(self.folder.glob(f"{name}.*"))) < self.parties:
            if time.perf_counter() - started > self.timeout:
                raise TimeoutError(f"barrier {name}: the other clients did not arrive within "
                                   f"{self.timeout:.0f} s")
            time.sleep(0.002)
        return time.perf_counter() - started


# ---- running clients ------------------------------------------------------------------------

@dataclass(frozen=True)
class ClientRun:
    client: int
    returncode: int
    stderr: str
    result: dict[str, Any] | None  # the client's JSON (None if it wrote none)


def run_clients(library: Path, database: str | None, photos: Path, workdir: Path, *,
                clients: int, operations: int, seed: int,
                timeout: float = 600.0) -> list[ClientRun]:
    """Start `clients` client processes together and wait for all of them."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    env.pop(DATABASE_ENV, None)  # never the clinic's own server: --database or the library's
    barrier = workdir / "barrier"
    processes = []
    for client in range(clients):
        command = [sys.executable, str(CLIENT), "--library", str(library), "--client",
                   str(client), "--clients", str(clients), "--operations", str(operations),
                   "--photos", str(photos), "--seed", str(seed), "--barrier", str(barrier),
                   "--out", str(workdir / f"client-{client}.json")]
        if database:
            command += ["--database", database]
        stderr = (workdir / f"client-{client}.stderr").open("w")
        processes.append((client, subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                                   stderr=stderr, env=env), stderr))
    deadline = time.monotonic() + timeout
    runs = []
    for client, process, stderr in processes:
        try:
            code = process.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        stderr.close()
        out = workdir / f"client-{client}.json"
        result = json.loads(out.read_text()) if out.exists() else None
        runs.append(ClientRun(client, code, (workdir / f"client-{client}.stderr").read_text(),
                              result))
    return runs


# ---- summary --------------------------------------------------------------------------------

@dataclass(frozen=True)
class KindStats:
    count: int
    p50: float
    p95: float
    max: float


@dataclass(frozen=True)
class Summary:
    clients: int
    operations: int
    wall_seconds: float  # from the common start to the last client's last operation
    sync_seconds: float  # mean time a client waited for the others at together steps
    cpu_seconds: float  # the clients' processor time, all together (not the server's)
    per_kind: dict[str, KindStats]
    slowest: tuple[str, float, int, int]  # kind, seconds, client, step index
    outcomes: Counter[str] = field(default_factory=Counter)
    changed_elsewhere: int = 0  # edits refused on their first attempt (before any retry)

    @property
    def throughput(self) -> float:
        return self.operations / self.wall_seconds if self.wall_seconds > 0 else float("nan")

    def describe(self) -> str:
        kind, seconds, client, index = self.slowest
        counts = ", ".join(f"{self.outcomes[o]} {o}" for o in OUTCOMES if self.outcomes[o])
        return (f"{self.clients} client(s) x {self.operations // max(1, self.clients)} "
                f"operations in {self.wall_seconds:.1f} s = {self.throughput:.1f} op/s; "
                f"slowest: {kind} {seconds:.3f} s (client {client}, step {index}); "
                f"outcomes: {counts}; first-attempt stale edits: {self.changed_elsewhere}")


def summarise(results: list[dict[str, Any]]) -> Summary:
    steps = [dict(s, client=r["client"]) for r in results for s in r["steps"]]
    per_kind = {}
    for kind in KINDS:
        times = sorted(s["seconds"] for s in steps if s["kind"] == kind)
        if times:
            per_kind[kind] = KindStats(len(times), statistics.median(times),
                                       _percentile(times, 95), times[-1])
    slowest = max(steps, key=lambda s: s["seconds"])
    wall = max(r["finished"] for r in results) - min(r["started"] for r in results)
    return Summary(len(results), len(steps), wall,
                   statistics.fmean(r["sync_seconds"] for r in results),
                   sum(r["cpu_seconds"] for r in results), per_kind,
                   (slowest["kind"], slowest["seconds"], slowest["client"], slowest["index"]),
                   Counter(s["outcome"] for s in steps),
                   sum(s["first"] == "changed-elsewhere" for s in steps))


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]

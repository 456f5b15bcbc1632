"""How long the GUI thread can stall while the app works: open, import, analyse, zoom, scroll.

Drives the real main window (offscreen) on a freshly built demo library while a 10 ms
QTimer measures how late each of its ticks arrives: a late tick is time the event
loop could not react to the user. The baseline is the same timer on an idle window
in the same run (the machine's own noise), so the ratio column is comparable across
machines. The target is that no stall exceeds 100 ms.

It also builds a 50-visit x 6-photo patient (300 photos: demo photos with one byte
appended, so each has its own hash) and measures how fast its workspace appears,
when the visible thumbnails have filled in, and that the thumbnail cache stays
within its byte limit after scrolling through all 300.

    python benchmarks/bench_gui_responsiveness.py            # the full-size demo
    python benchmarks/bench_gui_responsiveness.py --quick    # small photos, ~1 minute
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="hairtrack-xdg-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QGraphicsView

from hairtrack.core.domain import View
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import demo, importer, records
from hairtrack.settings import Settings
from hairtrack.ui.context import AppContext
from hairtrack.ui.icons import style_sheet
from hairtrack.ui.main_window import MainWindow
from hairtrack.ui.tasks import TaskRunner

TICK_MS = 10
STALL_LIMIT_MS = 100.0


class StallMonitor:
    """A 10 ms timer that records how late each tick is (the GUI thread's stalls)."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.lateness: list[float] = []
        self._last = 0.0

    def start(self) -> None:
        self.lateness = []
        self.clock.start()
        self._last = 0.0
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        self.lateness.append(max(0.0, now - self._last - TICK_MS))
        self._last = now

    @property
    def longest(self) -> float:
        return max(self.lateness, default=0.0)

    def percentile(self, q: float) -> float:
        if not self.lateness:
            return 0.0
        ordered = sorted(self.lateness)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def spin_until(done: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.perf_counter() + timeout_s
    app = QApplication.instance()
    assert app is not None
    while time.perf_counter() < deadline:
        app.processEvents()
        if done():
            return True
        time.sleep(0.002)
    return False


def spin_for(seconds: float) -> None:
    spin_until(lambda: False, seconds)


class Bench:
    def __init__(self, window: MainWindow, monitor: StallMonitor) -> None:
        self.window = window
        self.monitor = monitor
        self.rows: list[tuple[str, float, int, float, float, int, str]] = []
        self.idle_longest = 1.0

    def measure(self, label: str, action: Callable[[], Callable[[], bool]],
                timeout_s: float = 900.0, note: str = "") -> float:
        self.monitor.start()
        started = time.perf_counter()
        finished = action()
        ok = spin_until(finished, timeout_s)
        elapsed = time.perf_counter() - started
        spin_for(0.05)
        self.monitor.stop()
        late = self.monitor.lateness
        over = sum(1 for v in late if v > STALL_LIMIT_MS)
        self.rows.append((label, elapsed, len(late), self.monitor.longest,
                          self.monitor.percentile(99), over,
                          note if ok else f"TIMED OUT {note}".strip()))
        return elapsed

    def table(self) -> str:
        lines = [f"{'scenario':40s} {'secs':>7s} {'ticks':>6s} {'longest ms':>11s} "
                 f"{'p99 ms':>7s} {'x idle':>7s} {'>100ms':>6s}  note"]
        for label, secs, ticks, longest, p99, over, note in self.rows:
            ratio = longest / max(self.idle_longest, 0.1)
            lines.append(f"{label:40s} {secs:7.2f} {ticks:6d} {longest:11.1f} {p99:7.1f} "
                         f"{ratio:7.1f} {over:6d}  {note}")
        return "\n".join(lines)


def make_big_patient(library: Library, sources: list[Path], work: Path, visits: int = 50,
                     per_visit: int = 6) -> int:
    """50 visits x 6 photos: the demo's photos again, each with one distinct byte appended."""
    patient = records.add_patient(library, "BENCH-300", "Bench, Large Record")
    views = list(View)[:per_visit]
    items = []
    start = date(2022, 1, 10)
    for visit in range(visits):
        for slot in range(per_visit):
            source = sources[(visit * per_visit + slot) % len(sources)]
            target = work / f"v{visit:02d}-{slot}.jpg"
            target.write_bytes(source.read_bytes() + f"{visit}-{slot}".encode())
            items.append(importer.ImportItem(target, view=views[slot],
                                             visit_date=start + timedelta(days=30 * visit)))
    report = run_task(importer.import_items(library, patient.id, items))
    assert len(report.imported) == visits * per_visit, report.rejected[:3]
    return patient.id


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small demo photos (faster)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary library")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setStyle("Fusion")
    app.setStyleSheet(style_sheet())
    tmp = Path(tempfile.mkdtemp(prefix="hairtrack-bench-gui-"))
    demo_kw: dict[str, object] = {}
    if args.quick:
        demo_kw = {"canvas_size": (900, 675), "photo_size": (800, 600)}
    print(f"building the demo library in {tmp} ({'quick' if args.quick else 'full size'})…",
          flush=True)
    library = Library.open(tmp / "library")
    t0 = time.perf_counter()
    result = run_task(demo.create_demo_patient(library, **demo_kw))  # type: ignore[arg-type]
    print(f"  demo patient: {result.photos} photos in {time.perf_counter() - t0:.1f} s",
          flush=True)
    demo_photos = records.patient_record(library, result.patient.id).photos
    sources = [library.store.path_for(p.sha256) for p in demo_photos]
    big_dir = tmp / "big"
    big_dir.mkdir()
    t0 = time.perf_counter()
    big_id = make_big_patient(library, sources[:6], big_dir)
    print(f"  300-photo patient imported in {time.perf_counter() - t0:.1f} s", flush=True)
    import_dir = tmp / "incoming"
    import_dir.mkdir()
    for index, source in enumerate(sources[:12]):
        (import_dir / f"new-{index:02d}.jpg").write_bytes(source.read_bytes() + b"new")

    settings = Settings(path=tmp / "settings.ini")
    settings.analyse_after_import = False
    runner = TaskRunner()
    window = MainWindow(AppContext(library, runner), settings, remember_geometry=False)
    window.resize(1440, 900)
    window.show()
    spin_for(0.5)
    monitor = StallMonitor()
    bench = Bench(window, monitor)

    monitor.start()
    spin_for(1.0)
    monitor.stop()
    bench.idle_longest = monitor.longest
    bench.rows.append(("idle window (baseline)", 1.0, len(monitor.lateness), monitor.longest,
                       monitor.percentile(99), 0, "noise floor of this machine"))

    demo_patient = result.patient
    bench.measure("open demo patient, photos + thumbnails",
                  lambda: (window.open_patient(demo_patient, "photos"),
                           lambda: not window.workspace.loading
                           and window.loader.pending == 0 and runner.running == 0)[1])

    dialog_box: dict[str, object] = {}

    def start_import() -> Callable[[], bool]:
        dialog = window.import_files([import_dir])
        assert dialog is not None
        dialog_box["dialog"] = dialog
        spin_until(lambda: not dialog.busy, 60)
        dialog.start()
        return lambda: dialog.report is not None and runner.running == 0

    bench.measure("import 12 photos (dialog, writer thread)", start_import)
    dialog = dialog_box["dialog"]
    imported = len(dialog.report.imported) if dialog.report else 0  # type: ignore[attr-defined]
    dialog.close()  # type: ignore[attr-defined]
    bench.rows[-1] = (*bench.rows[-1][:6], f"{imported} imported")

    analysis_note = ""
    try:
        from hairtrack.core.services import analysis  # noqa: F401
    except ImportError as exc:
        analysis_note = f"analysis unavailable: {exc}"
    if analysis_note:
        bench.rows.append(("analyse demo patient", 0, 0, 0, 0, 0, analysis_note))
    else:
        def start_analysis() -> Callable[[], bool]:
            handle = window.work.analyse(demo_patient.id)
            return lambda: runner.running == 0 and (handle is None or handle.finished)

        bench.measure("analyse demo patient (child process)", start_analysis)
        report = window.work.last_analysis
        if report is None:
            bench.rows[-1] = (*bench.rows[-1][:6], window.status_label.text())
        else:
            bench.rows[-1] = (*bench.rows[-1][:6], f"{len(report.analysed)} analysed, "
                              f"{len(report.refused)} refused, {len(report.failed)} failed")

    def zoom() -> Callable[[], bool]:
        window.open_patient(demo_patient, "compare")
        compare = window.workspace.page("compare")
        later = [p for p in records.patient_record(library, demo_patient.id).photos
                 if not p.is_baseline]
        if hasattr(compare, "show_photo") and later:
            compare.show_photo(later[-1].id)
        spin_until(lambda: runner.running == 0, 60)
        panes = [v for v in compare.findChildren(QGraphicsView) if v.isVisible()]
        if not panes:
            return lambda: True
        pane = panes[0]
        centre = QPointF(pane.viewport().width() / 2, pane.viewport().height() / 2)
        for step in range(60):
            delta = 120 if step < 30 else -120
            event = QWheelEvent(centre, QPointF(pane.viewport().mapToGlobal(centre.toPoint())),
                                QPoint(0, 0), QPoint(0, delta), Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                                False)
            QApplication.sendEvent(pane.viewport(), event)
            spin_for(0.03)
        return lambda: runner.running == 0

    if type(window.workspace.page("compare")).__name__ == "CompareView":
        bench.measure("compare: 60 wheel zooms, load tiles", zoom)
    else:
        bench.rows.append(("compare zoom", 0, 0, 0, 0, 0, "CompareView not available"))

    # the 300-photo patient: time to a usable workspace, then thumbnails, then memory
    big = records.patient_record(library, big_id)
    t_read = time.perf_counter()
    records.patient_record(library, big_id)
    read_ms = (time.perf_counter() - t_read) * 1000
    window.show_home()
    spin_for(0.2)
    window.loader.clear()
    rss_before = rss_mb()
    shown: dict[str, float] = {}

    def open_big() -> Callable[[], bool]:
        start = time.perf_counter()
        window.workspace.recordLoaded.connect(
            lambda _pid: shown.setdefault("record", (time.perf_counter() - start) * 1000))
        window.open_patient(big.patient, "photos")
        app.processEvents()
        shown["shell"] = (time.perf_counter() - start) * 1000

        def done() -> bool:
            if "record" in shown and "painted" not in shown:
                window.workspace.photos.grid.viewport().repaint()
                shown["painted"] = (time.perf_counter() - start) * 1000
            if "painted" in shown and window.loader.pending == 0 and runner.running == 0:
                shown.setdefault("thumbs", (time.perf_counter() - start) * 1000)
                return True
            return False

        return done

    bench.measure("open 50x6-photo patient", open_big)

    def scroll_all() -> Callable[[], bool]:
        bar = window.workspace.photos.grid.verticalScrollBar()
        for value in range(0, bar.maximum() + bar.pageStep(), max(1, bar.pageStep() // 2)):
            bar.setValue(value)
            spin_for(0.03)
        return lambda: window.loader.pending == 0 and runner.running == 0

    bench.measure("scroll through 300 photos", scroll_all)
    rss_after = rss_mb()

    print()
    print(bench.table())
    print()
    loader = window.loader
    print(f"300-photo patient: record read {read_ms:.0f} ms (synchronous baseline); workspace "
          f"shell {shown.get('shell', float('nan')):.0f} ms; record shown "
          f"{shown.get('record', float('nan')):.0f} ms; first paint "
          f"{shown.get('painted', float('nan')):.0f} ms; visible thumbnails "
          f"{shown.get('thumbs', float('nan')):.0f} ms (target: shown < 300 ms)")
    print(f"thumbnail cache after scrolling all 300: {loader.cached_count} pixmaps, "
          f"{loader.cached_bytes / 1e6:.1f} MB of a {loader.limit_bytes / 1e6:.0f} MB limit; "
          f"{loader.loads} decodes; process RSS {rss_before:.0f} -> {rss_after:.0f} MB")
    worst = max(r[3] for r in bench.rows[1:] if r[2])
    print(f"longest stall while working: {worst:.1f} ms "
          f"({'OK' if worst <= STALL_LIMIT_MS else 'OVER'} the {STALL_LIMIT_MS:.0f} ms target)")
    window.close()
    runner.shutdown()
    library.close()
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"library kept in {tmp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How long the demo patient's PDF report takes, next to the analysis it draws on.

Builds the full-size demo patient (4 views x 8 visits, 1600x1200 photos) in a
temporary library, analyses it (timed: the baseline of the table), then writes
its full report several times (identified and de-identified) and prints the
median time, the ratio to the analysis time, the file size and page count.
Targets: a report in under 3 s and under 10 MB.

    python benchmarks/bench_report.py                 # the full-size demo
    python benchmarks/bench_report.py --quick         # the small test demo, seconds
    python benchmarks/bench_report.py --library PATH  # an analysed library (DEMO-001)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="hairtrack-xdg-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import demo, records
from hairtrack.report import ensure_app
from hairtrack.report.export import ReportResult, export_report
from hairtrack.report.model import ReportOptions
from hairtrack.settings import ClinicDetails

TARGET_SECONDS = 3.0
TARGET_BYTES = 10 * 1024 * 1024
CLINIC = ClinicDetails("Keller Hair Clinic", None, "Dr. M. Keller", "A4")
QUICK = {"canvas_size": (640, 480), "photo_size": (560, 420), "months": (0, 3, 6, 12)}


def analyse(library: Library, patient_id: int) -> float:
    from hairtrack.core.services.analysis import analyze_patient

    started = time.perf_counter()
    report = run_task(analyze_patient(library, patient_id, force=True))
    if report.failed:
        raise SystemExit(f"analysis failed for photos {report.failed}")
    return time.perf_counter() - started


def time_reports(library: Library, patient_id: int, out: Path, options: ReportOptions,
                 repeat: int) -> tuple[float, ReportResult]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run_task(export_report(library, patient_id, out, options, CLINIC))
        times.append(time.perf_counter() - started)
    assert result is not None
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small photos and 4 visits")
    parser.add_argument("--library", type=Path, help="use this analysed library")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="copy the report PDFs into this folder")
    args = parser.parse_args()
    ensure_app()
    tmp = Path(tempfile.mkdtemp(prefix="hairtrack-bench-report-"))
    try:
        if args.library:
            library = Library.open(args.library)
            patient_id = records.patient_by_mrn(library, demo.DEMO_MRN).id
        else:
            library = Library.open(tmp / "library")
            started = time.perf_counter()
            kwargs = QUICK if args.quick else {}
            created = run_task(demo.create_demo_patient(library, **kwargs))
            patient_id = created.patient.id
            print(f"demo patient: {created.photos} photos, {created.visits} visits "
                  f"({time.perf_counter() - started:.1f} s to render and import)")
        analysis = analyse(library, patient_id)
        rows = []
        for label, options in (("report", ReportOptions()),
                               ("report, de-identified", ReportOptions(deidentify=True)),
                               ("report, no strip/overlays",
                                ReportOptions(include_strip=False, include_overlays=False))):
            out = tmp / f"{label.replace(' ', '_').replace(',', '').replace('/', '-')}.pdf"
            seconds, result = time_reports(library, patient_id, out, options, args.repeat)
            rows.append((label, seconds, result))
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(out, args.keep / out.name)
        library.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"{'step':<28}{'seconds':>9}{'x analysis':>12}{'pages':>7}{'images':>8}{'MB':>8}")
    print(f"{'analysis (baseline)':<28}{analysis:>9.2f}{1.0:>12.2f}")
    ok = True
    for label, seconds, result in rows:
        print(f"{label:<28}{seconds:>9.2f}{seconds / analysis:>12.3f}{result.pages:>7}"
              f"{result.images:>8}{result.size_bytes / 1e6:>8.2f}")
        ok &= seconds < TARGET_SECONDS and result.size_bytes < TARGET_BYTES
    print()
    print(f"targets: report < {TARGET_SECONDS:.0f} s and < {TARGET_BYTES / 2**20:.0f} MB: "
          f"{'met' if ok else 'MISSED'} (median of {args.repeat} runs each)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Analysis of a whole patient, and the repeatability that sets the method's uncertainty.

Part 1 times the analysis of the demo patient (first run, and a re-run with
nothing changed) against the floor of decoding every photo at full
resolution once, measured in the same run.

Part 2 photographs one unchanged synthetic scalp many times with realistic
capture variation (pose, exposure, white balance, noise, blur, JPEG) and runs
each photo through the real pipeline (align -> warp -> coverage). The spread
of the measured coverage is the method's standard uncertainty
(`progress_series.METHOD_SD` must not be smaller than the typical value).

    python benchmarks/bench_analysis.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from hairtrack.core.imaging import synth
from hairtrack.core.imaging.alignment import align
from hairtrack.core.imaging.hair_coverage import coverage
from hairtrack.core.imaging.roi import default_roi
from hairtrack.core.imaging.transforms import warp_to_reference
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import analysis, demo, records
from hairtrack.core.services.progress_series import METHOD_SD


def analysis_table(quick: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        library = Library.open(Path(tmp) / "library")
        kwargs = {"months": (0, 3, 6, 12)} if quick else {}
        patient = run_task(demo.create_demo_patient(library, **kwargs)).patient
        photos = records.patient_record(library, patient.id).photos
        paths = [library.store.path_for(p.sha256) for p in photos]
        start = time.perf_counter()
        for path in paths:
            cv2.imread(str(path))
        floor = time.perf_counter() - start
        start = time.perf_counter()
        first = run_task(analysis.analyze_patient(library, patient.id))
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        again = run_task(analysis.analyze_patient(library, patient.id))
        again_s = time.perf_counter() - start
        library.close()
    width, height = photos[0].width, photos[0].height
    print(f"\nAnalysis of the demo patient: {len(photos)} photos of {width}x{height}")
    print(f"{'step':<44}{'seconds':>10}{'x decode floor':>16}")
    print(f"{'full decode of every photo once (floor)':<44}{floor:>10.2f}{1.0:>16.2f}")
    print(f"{'first analysis (align, checks, coverage)':<44}{first_s:>10.2f}"
          f"{first_s / floor:>16.2f}")
    print(f"{'re-analysis, nothing changed':<44}{again_s:>10.2f}{again_s / floor:>16.2f}")
    print(f"re-analysis / first analysis: {again_s / first_s:.1%} (target < 5%); "
          f"aligned {len(first.analysed) - len(first.refused)}/{len(first.analysed)}, "
          f"unchanged on re-run {len(again.unchanged)}")


SUBJECTS = (  # seed, skin, hair, density
    (11, "light", "dark", 0.50),
    (12, "light", "brown", 0.88),
    (13, "medium", "dark", 0.40),
    (14, "dark", "grey", 0.50),
    (15, "light", "blond", 0.55),
)


def repeatability_table(quick: bool) -> None:
    canvas, out = (1200, 900), (1000, 750)
    repeats = 4 if quick else 10
    print(f"\nRepeatability: one unchanged scalp photographed {repeats + 1} times")
    print(f"{'skin / hair':<18}{'density':>8}{'mean cov':>10}{'SD (pp)':>9}{'max dev (pp)':>14}"
          f"{'refused':>9}{'low conf':>10}")
    sds = []
    for seed, skin, hair, density in SUBJECTS[:3] if quick else SUBJECTS:
        subject = synth.make_subject(seed, skin=skin, hair=hair, canvas_size=canvas)
        rng = np.random.default_rng(seed)
        base = synth.photograph(
            synth.render_scalp(subject, synth.VisitState(density=density, restyle=0.25)),
            synth.random_capture(rng, canvas, out_size=out, strength=0.3))
        roi = default_roi(base.image)
        values = [coverage(base.image, roi).coverage]
        refused = low = 0
        for k in range(1, repeats + 1):
            scalp = synth.render_scalp(subject, synth.VisitState(
                density=density, restyle=0.25, styling_seed=k))
            photo = synth.photograph(scalp, synth.random_capture(rng, canvas, out_size=out,
                                                                 strength=0.8))
            result = align(base.image, photo.image)
            if not result.ok or result.matrix is None:
                refused += 1
                continue
            warped, valid = warp_to_reference(photo.image, result.matrix, base.image.shape)
            measured = coverage(warped, roi, valid=valid)
            if measured.confidence < 0.3:
                low += 1
                continue
            values.append(measured.coverage)
        sd = statistics.stdev(values) * 100 if len(values) > 1 else float("nan")
        sds.append(sd)
        dev = max(abs(v - values[0]) for v in values) * 100
        print(f"{skin + ' / ' + hair:<18}{density:>8.2f}{statistics.fmean(values):>10.3f}"
              f"{sd:>9.2f}{dev:>14.2f}{refused:>9}{low:>10}")
    print(f"median SD {statistics.median(sds):.2f} pp; METHOD_SD in progress_series: "
          f"{METHOD_SD * 100:.2f} pp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer photos, for a smoke run")
    args = parser.parse_args()
    analysis_table(args.quick)
    repeatability_table(args.quick)


if __name__ == "__main__":
    main()

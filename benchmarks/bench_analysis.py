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
    python benchmarks/bench_analysis.py --camera [--quick]   # the demo patient at 12 MP
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from hairtrack.core.imaging import synth
from hairtrack.core.imaging.alignment import align
from hairtrack.core.imaging.hair_coverage import (
    CoverageParams,
    CoverageResult,
    choose_work_factor,
    coverage,
)
from hairtrack.core.imaging.roi import default_roi
from hairtrack.core.imaging.transforms import warp_to_reference
from hairtrack.core.library import Library
from hairtrack.core.progress import run_task
from hairtrack.core.services import analysis, demo, records
from hairtrack.core.services.progress_series import METHOD_SD

#: `--camera`: the demo patient photographed as a 12 MP phone would (canvas, photo size;
#: strands about 2 px wide at 4000 px, as in a whole-crown photo).
CAMERA = ((4400, 3300), (4000, 3000))


def analysis_table(quick: bool, camera: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        library = Library.open(Path(tmp) / "library")
        months = (0, 3, 6, 12) if quick else demo.VISIT_MONTHS
        task = (demo.create_demo_patient(library, canvas_size=CAMERA[0], photo_size=CAMERA[1],
                                         months=months) if camera
                else demo.create_demo_patient(library, months=months))
        patient = run_task(task).patient
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
    """Each scalp measured as the service measures a view: at its baseline's working scale.

    The same photos are also measured with the working copy fixed at the
    default 800 px (coverage-2.1's rule), as the baseline of this table.
    "bias" is the mean error against the exact hair mask inside the region.
    """
    canvas, out = (1200, 900), (1000, 750)
    repeats = 4 if quick else 10
    fixed = CoverageParams(max_work_side=CoverageParams().work_side)
    print(f"\nRepeatability: one unchanged scalp photographed {repeats + 1} times "
          "(strand-chosen working copy | fixed 800-px copy)")
    print(f"{'skin / hair':<18}{'density':>8}{'factor':>7}{'mean cov':>10}{'SD (pp)':>9}"
          f"{'bias (pp)':>10}{'max dev':>8}{'refused':>8}{'low conf':>9}{'| SD':>7}{'bias':>7}")
    sds, fixed_sds = [], []
    for seed, skin, hair, density in SUBJECTS[:3] if quick else SUBJECTS:
        subject = synth.make_subject(seed, skin=skin, hair=hair, canvas_size=canvas)
        rng = np.random.default_rng(seed)
        base = synth.photograph(
            synth.render_scalp(subject, synth.VisitState(density=density, restyle=0.25)),
            synth.random_capture(rng, canvas, out_size=out, strength=0.3))
        roi = default_roi(base.image)
        factor = choose_work_factor(base.image, roi)
        shown = np.ones(base.image.shape[:2], bool)
        photos = [(base.image, shown, _share(base.hair_mask, roi, shown))]
        refused = 0
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
            moved, _ = warp_to_reference(photo.hair_mask.astype(np.uint8) * 255, result.matrix,
                                        base.image.shape)
            photos.append((warped, valid, _share(moved > 127, roi, valid)))
        row = [_spread([coverage(im, roi, valid=v, work_factor=factor) for im, v, _ in photos],
                       [t for _, _, t in photos]),
               _spread([coverage(im, roi, valid=v, params=fixed) for im, v, _ in photos],
                       [t for _, _, t in photos])]
        (sd, bias, dev, low), (fsd, fbias, _, _) = row
        sds.append(sd)
        fixed_sds.append(fsd)
        print(f"{skin + ' / ' + hair:<18}{density:>8.2f}{factor:>7d}"
              f"{statistics.fmean([t for _, _, t in photos]):>10.3f}{sd:>9.2f}{bias:>+10.2f}"
              f"{dev:>8.2f}{refused:>8}{low:>9}{fsd:>7.2f}{fbias:>+7.2f}")
    print(f"median SD {statistics.median(sds):.2f} pp (fixed 800-px copy "
          f"{statistics.median(fixed_sds):.2f}); METHOD_SD in progress_series: "
          f"{METHOD_SD * 100:.2f} pp")


def _share(hair: NDArray[np.bool_], roi: NDArray[np.uint8], valid: NDArray[np.bool_]) -> float:
    """The exact coverage inside the region, where the photo shows the scalp."""
    inside = (roi > 0) & valid
    return float(np.count_nonzero(hair & inside)) / max(1, int(np.count_nonzero(inside)))


def _spread(results: list[CoverageResult],
            truths: list[float]) -> tuple[float, float, float, int]:
    """SD, mean error and largest deviation from the first (pp) of the confident results."""
    kept = [(r.coverage, t) for r, t in zip(results, truths, strict=True) if r.confidence >= 0.3]
    values = [v for v, _ in kept]
    if not values:
        return math.nan, math.nan, math.nan, len(results)
    sd = statistics.stdev(values) * 100 if len(values) > 1 else math.nan
    bias = statistics.fmean(v - t for v, t in kept) * 100
    dev = max(abs(v - values[0]) for v in values) * 100
    return sd, bias, dev, len(results) - len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer photos, for a smoke run")
    parser.add_argument("--camera", action="store_true",
                        help="only the analysis table, with the demo patient's photos at 12 MP "
                             "(4000x3000; rendering them takes a few minutes)")
    args = parser.parse_args()
    analysis_table(args.quick, args.camera)
    if not args.camera:
        repeatability_table(args.quick)


if __name__ == "__main__":
    main()

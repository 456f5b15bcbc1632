"""Coverage speed on 12-megapixel JPEGs against the decode floor (`bench_coverage.py --only speed`).

Files: 4000x3000 JPEG q90 made from real photos and from a synthetic scalp
(upscaled, with sensor-like noise so they compress and decode like camera
files). The floor is one full cv2.imread of the same file, measured in the same
run; coverage() is timed on the decoded pixels, with a drawn region and with
the default region, and then on the copy `analyze` reads (io.read_reduced).
Target: coverage <= 1x decode.
"""

from __future__ import annotations

import statistics
import tempfile
import tracemalloc
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from _common import PHOTOS, Image, disc, load, timed

from hairtrack.core.imaging import io
from hairtrack.core.imaging.coverage_model import ModelParams
from hairtrack.core.imaging.hair_coverage import CoverageParams, coverage
from hairtrack.core.imaging.synth import VisitState, make_subject, render_scalp
from hairtrack.core.services.analysis_work import WORK_SIDE

#: The baseline of the scale and speed tables: coverage-2.1's working copy, never over 800 px.
FIXED_800 = CoverageParams(max_work_side=CoverageParams().work_side)
#: Not a product setting: the fastest variant tried (2026-12-05) of what the 1x target would
#: cost. A 400-px working copy, no runner-up refit, two refinements. Still 1.0-1.4x one decode
#: on the real photos, and it nearly doubles the confident-and-wrong synthetic results
#: (`bench_coverage.py --only accuracy --lean`).
LEAN = CoverageParams(work_side=400, fit_side=200, alt_margin=0.0,
                      model=ModelParams(iterations=2))


def as_analyze_measures(path: Path, repeat: int) -> tuple[float, str, float, int]:
    """Median ms to read `path` as `analyze` does, its size, coverage's ms on it, its factor."""
    read = timed(lambda: io.read_reduced(path, WORK_SIDE), repeat)
    copy, _ = io.read_reduced(path, WORK_SIDE)
    roi = disc(copy.shape)
    took = timed(lambda: coverage(copy, roi), repeat)
    return read, f"{copy.shape[1]}x{copy.shape[0]}", took, coverage(copy, roi).work_factor


def camera_like(image: Image, size: tuple[int, int], seed: int) -> Image:
    big = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_CUBIC), np.float32)
    noise = np.random.default_rng(seed).normal(0.0, 3.0, big.shape).astype(np.float32)
    return np.asarray(np.clip(big + noise, 0, 255), np.uint8)


def peak_growth_mb(image: Image, roi: Image, params: CoverageParams | None = None) -> float:
    """Peak memory coverage allocates above what the caller holds, in MB.

    tracemalloc sees NumPy's allocations, which include every array OpenCV
    returns; OpenCV's internal scratch buffers are not counted.
    """
    tracemalloc.start()
    try:
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        coverage(image, roi, params=params)
        return (tracemalloc.get_traced_memory()[1] - held) / 2**20
    finally:
        tracemalloc.stop()


def speed(repeat: int) -> None:
    sources: list[tuple[str, Image]] = []
    for name in ("test-001-top-down.jpg", "test-004-top-down.jpg", "train-013-top-down.jpg"):
        sources.append((f"real {name[:8]}", load(PHOTOS / name)))
    subject = make_subject(7, "light", "dark", canvas_size=(2000, 1500))
    sources.append(("synthetic scalp", render_scalp(subject, VisitState(0.5)).image))
    print(f"\nSpeed, 4000x3000 JPEG q90 (median of {repeat} runs); 'fixed 800': the working "
          "copy fixed at 800 px (coverage-2.1); 'lean': coverage_speed.LEAN, the fastest "
          "variant tried; memory: peak MB that coverage allocates")
    print(f"{'image':22s} {'file MB':>7s} {'decode ms':>10s} {'coverage ms':>12s} "
          f"{'ratio':>6s} {'default-ROI ms':>15s} {'ratio':>6s} {'factor':>6s} "
          f"{'fixed 800 ms':>12s} {'lean ms':>8s} {'ratio':>6s} {'memory':>7s} {'fixed':>6s}")
    ratios = []
    from_file: list[tuple[str, float, float, str, float, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, src) in enumerate(sources):
            path = Path(tmp) / f"{i}.jpg"
            cv2.imwrite(str(path), camera_like(src, (4000, 3000), i),
                        [cv2.IMWRITE_JPEG_QUALITY, 90])
            decode = timed(partial(cv2.imread, str(path)), repeat)
            image = load(path)
            roi = disc(image.shape)
            drawn = timed(partial(coverage, image, roi), repeat)
            auto = timed(partial(coverage, image), repeat)
            base = timed(partial(coverage, image, roi, params=FIXED_800), repeat)
            lean = timed(partial(coverage, image, roi, params=LEAN), repeat)
            factor = coverage(image, roi).work_factor
            ratios.append(drawn / decode)
            print(f"{label:22s} {path.stat().st_size / 2**20:7.1f} {decode:10.1f} {drawn:12.1f} "
                  f"{drawn / decode:6.2f} {auto:15.1f} {auto / decode:6.2f} {factor:6d} "
                  f"{base:12.1f} {lean:8.1f} {lean / decode:6.2f} "
                  f"{peak_growth_mb(image, roi):7.0f} {peak_growth_mb(image, roi, FIXED_800):6.0f}")
            from_file.append((label, decode, *as_analyze_measures(path, repeat)))
    print(f"median ratio coverage/decode: {statistics.median(ratios):.2f} (target <= 1.00)")
    print(f"\nThe same files as `analyze` measures them: read at up to {WORK_SIDE} px "
          "(io.read_reduced), then coverage of that copy in the same disc")
    print(f"{'image':22s} {'decode ms':>10s} {'read ms':>8s} {'size':>10s} {'coverage ms':>12s} "
          f"{'total ms':>9s} {'ratio':>6s} {'factor':>6s}")
    for label, decode, read, size, took, factor in from_file:
        print(f"{label:22s} {decode:10.1f} {read:8.1f} {size:>10s} {took:12.1f} "
              f"{read + took:9.1f} {(read + took) / decode:6.2f} {factor:6d}")
    total_ratios = [(r[2] + r[4]) / r[1] for r in from_file]
    print(f"median ratio (read + coverage)/decode: {statistics.median(total_ratios):.2f}")
    small = load(PHOTOS / "test-001-top-down.jpg")
    t = timed(lambda: coverage(small, disc(small.shape)), repeat)
    print(f"640x640 real photo, drawn region: {t:.1f} ms")

"""Alignment benchmark: speed against the decode floor, and accuracy/refusal tables.

    python benchmarks/bench_alignment.py            # full tables (several minutes)
    python benchmarks/bench_alignment.py --quick    # smaller samples
    python benchmarks/bench_alignment.py --only speed
    python benchmarks/bench_alignment.py --only baseline   # one baseline, many follow-ups
    python benchmarks/bench_alignment.py --only matching   # SIFT descriptor search

Speed: 12-megapixel (4000x3000) JPEG q90 pairs made from real photos (upscaled, with
sensor-like noise so they compress like camera files), the follow-up warped by a known
transform and relit. The floor is cv2.imread of both files (full decode), measured in the
same run; align_files includes its own (reduced) decoding. Baseline: several follow-ups of
one synthetic scalp aligned to its baseline as `analyze` does (the baseline prepared once,
`alignment.Reference`) against aligning each pair afresh, in the same run. Matching:
the SIFT nearest-neighbour search `align` uses (a BLAS matrix product) against OpenCV's
brute-force matcher on the same descriptors, in the same run.

Accuracy: corner error = mean misregistration at the reference's corners, px at 1000-px
width. "Solvable" sets must align; "unrelated" sets (different people) must be refused.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Image,
    change_capture,
    load,
    percentile,
    random_transform,
    real_photos,
    warped_case,
)

from hairtrack.core.imaging import align_features, synth
from hairtrack.core.imaging.align_types import AlignParams
from hairtrack.core.imaging.alignment import ALGORITHM_VERSION, Reference, align, align_files
from hairtrack.core.imaging.transforms import corner_error


def _noisy(image: Image, rng: np.random.Generator, sigma: float = 3.0) -> Image:
    """Sensor-like noise, so the JPEG compresses like a camera file, not a smooth upscale."""
    noise = rng.normal(0.0, sigma, image.shape).astype(np.float32)
    return np.asarray(np.clip(image.astype(np.float32) + noise, 0, 255), np.uint8)


def _interleaved(ref_path: Path, mov_path: Path, repeat: int) -> tuple[float, float]:
    """Median ms of the decode floor and of align_files, run alternately.

    Alternating keeps both under the same machine load (other processes on a shared
    2-core machine otherwise skew whichever happens to run during a busy spell).
    """
    align_files(ref_path, mov_path)  # warm-up: imports, thread pools, OpenCV init
    floors, aligns = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        cv2.imread(str(ref_path))
        cv2.imread(str(mov_path))
        t1 = time.perf_counter()
        align_files(ref_path, mov_path)
        t2 = time.perf_counter()
        floors.append((t1 - t0) * 1000.0)
        aligns.append((t2 - t1) * 1000.0)
    return float(np.median(floors)), float(np.median(aligns))


def speed_table(pairs: int, repeat: int) -> None:
    rng = np.random.default_rng(100)
    paths = real_photos()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(pairs):
            photo = load(paths[(k * 13) % len(paths)])
            scene = np.asarray(cv2.resize(photo, (4000, 3000), interpolation=cv2.INTER_CUBIC),
                               np.uint8)
            forward = random_transform(rng, (4000, 3000), (4000, 3000))
            moving = np.asarray(cv2.warpPerspective(scene, forward, (4000, 3000),
                                                    flags=cv2.INTER_LINEAR,
                                                    borderMode=cv2.BORDER_REFLECT_101), np.uint8)
            moving = change_capture(moving, rng, strength=0.7)
            ref_path, mov_path = Path(tmp) / f"r{k}.jpg", Path(tmp) / f"m{k}.jpg"
            cv2.imwrite(str(ref_path), _noisy(scene, rng), [cv2.IMWRITE_JPEG_QUALITY, 90])
            cv2.imwrite(str(mov_path), _noisy(moving, rng), [cv2.IMWRITE_JPEG_QUALITY, 90])
            floor, took = _interleaved(ref_path, mov_path, repeat)
            result = align_files(ref_path, mov_path)
            truth = np.asarray(np.linalg.inv(forward), np.float64)
            err = (corner_error(result.matrix, truth, (4000, 3000))
                   if result.ok and result.matrix is not None else float("nan"))
            mb = (ref_path.stat().st_size + mov_path.stat().st_size) / 2 / 1e6
            rows.append((k, mb, floor, took, took / floor, result.ok, result.model, err))
    print("\n## Speed: 4000x3000 JPEG q90 pairs (median of", repeat, "runs)")
    print(f"{'pair':>4} {'MB/file':>7} {'imread x2 ms':>12} {'align_files ms':>14} "
          f"{'ratio':>6} {'ok':>3} {'model':>10} {'err px':>7}")
    for k, mb, floor, took, ratio, ok, model, err in rows:
        print(f"{k:>4} {mb:>7.2f} {floor:>12.0f} {took:>14.0f} {ratio:>6.2f} "
              f"{'y' if ok else 'n':>3} {model:>10} {err:>7.2f}")
    ratios = [r[4] for r in rows]
    print(f"median ratio to the decode floor: {np.median(ratios):.2f} (target <= 1.5)")


def _row(name: str, errors: list[float], aligned: int, total: int) -> str:
    med = percentile(errors, 50)
    p95 = percentile(errors, 95)
    worst = max(errors) if errors else float("nan")
    return (f"{name:<44} {total:>5} {100 * aligned / total:>8.1f}% {med:>8.2f} "
            f"{p95:>8.2f} {worst:>8.2f}")


def _header(title: str) -> None:
    print(f"\n## {title}")
    print(f"{'set':<44} {'pairs':>5} {'aligned':>9} {'median':>8} {'p95':>8} {'max':>8}")


def real_accuracy(n: int) -> None:
    rng = np.random.default_rng(2025)
    photos = [load(p) for p in real_photos()]
    errors: list[float] = []
    aligned = 0
    t0 = time.perf_counter()
    for i in range(n):
        case = warped_case(photos[i % len(photos)], rng)
        result = align(case.reference, case.moving)
        if result.ok and result.matrix is not None:
            aligned += 1
            errors.append(corner_error(result.matrix, case.truth,
                                       (case.reference.shape[1], case.reference.shape[0])))
    took = (time.perf_counter() - t0) / n
    _header("Accuracy: real photos under known warps (corner error, px at 1000 px width)")
    print(_row("real photos, rot +-180, scale 0.7-1.4, tilt", errors, aligned, n))
    print(f"(mean {1000 * took:.0f} ms per in-memory pair of ~640-px photos)")


def real_unrelated(n: int) -> None:
    rng = np.random.default_rng(31)
    paths = real_photos()
    photos = [load(p) for p in paths]
    pairs = list(itertools.combinations(range(len(photos)), 2))
    picks = rng.choice(len(pairs), size=min(n, len(pairs)), replace=False)
    refused = sum(not align(photos[pairs[int(k)][0]], photos[pairs[int(k)][1]]).ok
                  for k in picks)
    print(f"\n## Refusal: unrelated real photos (different people)\n"
          f"refused {refused}/{len(picks)} = {100 * refused / len(picks):.1f}% (target >= 95%)")


def _capture(rng: np.random.Generator, canvas: tuple[int, int]) -> synth.Capture:
    base = synth.random_capture(rng, canvas, canvas)
    matrix = synth.capture_matrix(
        canvas, canvas, angle_deg=float(rng.uniform(-180, 180)),
        scale=float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))),
        shift=(float(rng.uniform(-0.06, 0.06) * canvas[0]),
               float(rng.uniform(-0.06, 0.06) * canvas[1])),
        tilt=(float(rng.uniform(-0.05, 0.05)), float(rng.uniform(-0.05, 0.05))))
    return dataclasses.replace(base, matrix=matrix)


def _subject(rng: np.random.Generator, canvas: tuple[int, int]) -> synth.Subject:
    return synth.make_subject(
        int(rng.integers(1 << 30)), skin=str(rng.choice(sorted(synth.SKIN_TONES))),
        hair=str(rng.choice(sorted(synth.HAIR_COLOURS))), canvas_size=canvas,
        pattern=str(rng.choice(list(synth.PATTERNS))))


def synthetic(n: int, restyles: tuple[float, ...]) -> None:
    canvas = (800, 600)
    _header("Accuracy: synthetic scalps, two visits of one subject "
            "(density +-0.15, new light and pose, any angle)")
    for restyle in restyles:
        rng = np.random.default_rng(int(1000 * restyle) + 5)
        errors: list[float] = []
        aligned = 0
        for _ in range(n):
            subject = _subject(rng, canvas)
            d0 = float(rng.uniform(0.3, 0.8))
            d1 = float(np.clip(d0 + rng.uniform(-0.15, 0.15), 0.1, 0.95))
            c0, c1 = _capture(rng, canvas), _capture(rng, canvas)
            p0 = synth.photograph(synth.render_scalp(subject, synth.VisitState(
                density=d0, styling_seed=1, restyle=restyle)), c0)
            p1 = synth.photograph(synth.render_scalp(subject, synth.VisitState(
                density=d1, styling_seed=2, restyle=restyle)), c1)
            result = align(p0.image, p1.image)
            if result.ok and result.matrix is not None:
                aligned += 1
                truth = c0.matrix @ np.linalg.inv(c1.matrix)
                errors.append(corner_error(result.matrix, truth, canvas))
        print(_row(f"restyle {restyle:.2f}", errors, aligned, n))
    rng = np.random.default_rng(77)
    refused = 0
    for _ in range(n):
        a, b = _subject(rng, canvas), _subject(rng, canvas)
        state = synth.VisitState(density=float(rng.uniform(0.3, 0.8)))
        pa = synth.photograph(synth.render_scalp(a, state), _capture(rng, canvas))
        pb = synth.photograph(synth.render_scalp(b, state), _capture(rng, canvas))
        refused += not align(pa.image, pb.image).ok
    print(f"different synthetic subjects: refused {refused}/{n} = {100 * refused / n:.1f}% "
          "(target >= 95%)")


def baseline_table(follow_ups: int, repeat: int) -> None:
    """Follow-ups of one baseline, as `analyze` aligns a view: its baseline prepared once."""
    canvas = (2000, 1500)  # the size `analyze` reads a 12 MP photo at
    rng = np.random.default_rng(31)
    subject = synth.make_subject(31, "light", "dark", canvas_size=canvas, pattern="vertex")
    photos = [synth.photograph(synth.render_scalp(subject, synth.VisitState(
        density=0.5 + 0.03 * i, styling_seed=i, restyle=0.15)), _capture(rng, canvas)).image
        for i in range(follow_ups + 1)]
    baseline, rest = photos[0], photos[1:]

    def afresh() -> list[dict[str, object]]:
        return [align(baseline, f).to_json() for f in rest]

    def prepared() -> list[dict[str, object]]:
        reference = Reference.from_image(baseline)
        return [align(reference, f).to_json() for f in rest]

    first = afresh()
    same = first == prepared()
    aligned = sum(bool(r["ok"]) for r in first)
    timings = {}
    for name, run in (("each pair afresh", afresh), ("baseline prepared once", prepared)):
        walls, cpus = [], []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        timings[name] = (1000 * float(np.median(walls)) / len(rest),
                         1000 * float(np.median(cpus)) / len(rest))
    print(f"\n## One baseline, {len(rest)} follow-ups ({canvas[0]}x{canvas[1]} synthetic "
          f"scalp; median of {repeat} runs; per follow-up)")
    print(f"{'way':<26} {'wall ms':>8} {'CPU ms':>8} {'CPU ratio':>10}")
    base_cpu = timings["each pair afresh"][1]
    for name, (wall, cpu) in timings.items():
        print(f"{name:<26} {wall:>8.0f} {cpu:>8.0f} {cpu / base_cpu:>10.2f}")
    print(f"aligned {aligned}/{len(rest)}; identical results both ways: {same}")


def matching_table(pairs: int, repeat: int) -> None:
    """SIFT descriptor search of whole-crown pairs: ours against OpenCV's brute force."""
    canvas = (2000, 1500)
    params = AlignParams()
    rng = np.random.default_rng(37)
    subject = synth.make_subject(37, "light", "dark", canvas_size=canvas, pattern="vertex")
    features = []
    for i in range(pairs + 1):
        photo = synth.photograph(synth.render_scalp(subject, synth.VisitState(
            density=0.5, styling_seed=i, restyle=0.15)), _capture(rng, canvas)).image
        features.append(Reference.from_image(photo, params).sift()[1])
    brute = cv2.BFMatcher(cv2.NORM_L2)
    print(f"\n## SIFT matching, {pairs} pairs of {canvas[0]}x{canvas[1]} synthetic scalps "
          f"(median of {repeat} runs)")
    print(f"{'pair':>4} {'descriptors':>12} {'OpenCV ms':>10} {'ours ms':>8} {'ratio':>6} "
          f"{'same nearest':>13}")
    ratios = []
    for i in range(pairs):
        mov, ref = features[i + 1], features[0]
        assert mov.descriptors is not None and ref.descriptors is not None
        q, t = mov.descriptors.astype(np.float32), ref.descriptors.astype(np.float32)
        theirs, ours = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            knn = brute.knnMatch(q, t, k=2)
            theirs.append(time.perf_counter() - start)
            start = time.perf_counter()
            found = align_features.nearest_two_l2(q, t)
            ours.append(time.perf_counter() - start)
        same = [k[0].trainIdx for k in knn] == [f[1] for f in found]
        ratio = float(np.median(ours) / np.median(theirs))
        ratios.append(ratio)
        print(f"{i:>4} {len(q):>5}x{len(t):<6} {1000 * np.median(theirs):>10.1f} "
              f"{1000 * np.median(ours):>8.1f} {ratio:>6.2f} {same!s:>13}")
    print(f"median ratio ours / OpenCV: {float(np.median(ratios)):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    parser.add_argument("--only", choices=("speed", "baseline", "matching", "accuracy"),
                        help="run one part")
    args = parser.parse_args()
    q = args.quick
    print(f"alignment {ALGORITHM_VERSION}; OpenCV {cv2.__version__}; "
          f"{cv2.getNumberOfCPUs()} CPUs")
    if args.only in (None, "speed"):
        speed_table(pairs=2 if q else 6, repeat=5 if q else 11)
    if args.only in (None, "baseline"):
        baseline_table(follow_ups=3 if q else 5, repeat=3 if q else 5)
    if args.only in (None, "matching"):
        matching_table(pairs=2 if q else 4, repeat=3 if q else 7)
    if args.only in (None, "accuracy"):
        real_accuracy(40 if q else 200)
        real_unrelated(40 if q else 300)
        synthetic(8 if q else 40, (0.0, 0.15, 0.3))


if __name__ == "__main__":
    main()

"""Imaging commands: align, coverage, check (on files) and analyze, progress (on patients).

The JSON keys printed here are a stable interface for scripts: see
docs/cli.md before changing any of them.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from hairtrack.cli.arguments import view as _view
from hairtrack.cli.output import CommandError, print_json, run_with_progress
from hairtrack.core.library import Library
from hairtrack.core.services import records

if TYPE_CHECKING:  # the imaging stack (OpenCV) loads only when a command needs it
    import numpy as np

    from hairtrack.core.services.progress_series import ProgressSeries

EXIT_REFUSED = 3


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    align = commands.add_parser("align", help="align MOVING to REFERENCE (no library needed)")
    align.add_argument("reference", type=Path)
    align.add_argument("moving", type=Path)
    align.add_argument("--out", type=Path, help="write MOVING warped onto REFERENCE here")
    align.add_argument("--json", action="store_true")
    align.set_defaults(handler=align_cmd, needs_library=False)

    cov = commands.add_parser("coverage", help="hair coverage of one photo")
    cov.add_argument("image", type=Path)
    cov.add_argument("--roi", type=Path, help="PNG of the image's size, non-zero inside")
    cov.add_argument("--mask-out", type=Path, help="write the hair mask PNG here")
    cov.add_argument("--json", action="store_true")
    cov.set_defaults(handler=coverage_cmd, needs_library=False)

    check = commands.add_parser("check", help="capture checks of one photo")
    check.add_argument("image", type=Path)
    check.add_argument("--reference", type=Path, help="the baseline photo to compare with")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=check_cmd, needs_library=False)

    analyze = commands.add_parser("analyze", help="align, check and measure a patient's photos")
    analyze.add_argument("--patient", required=True, metavar="MRN")
    analyze.add_argument("--force", action="store_true", help="redo even unchanged photos")
    analyze.add_argument("--json", action="store_true")
    analyze.set_defaults(handler=analyze_cmd)

    progress = commands.add_parser("progress", help="coverage per view over time")
    progress.add_argument("--patient", required=True, metavar="MRN")
    progress.add_argument("--json", action="store_true")
    progress.set_defaults(handler=progress_cmd)

    region = commands.add_parser("region", help="set the region of interest of a view")
    region.add_argument("--patient", required=True, metavar="MRN")
    region.add_argument("--view", required=True, type=_view)
    group = region.add_mutually_exclusive_group(required=True)
    group.add_argument("--polygon", help='baseline pixel coordinates: "x1,y1 x2,y2 x3,y3 ..."')
    group.add_argument("--clear", action="store_true", help="go back to the automatic region")
    region.set_defaults(handler=region_cmd)


def _read(path: Path) -> np.ndarray:
    from hairtrack.core.imaging import io

    try:
        return io.read_image(path)
    except io.ImageError as exc:
        raise CommandError(f"{path}: {exc}") from exc


def align_cmd(_library: Library | None, args: argparse.Namespace) -> int:
    import cv2

    from hairtrack.core.imaging.alignment import align_files, warp_to_reference

    for path in (args.reference, args.moving):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
    result = align_files(args.reference, args.moving)
    if args.out is not None and result.ok and result.matrix is not None:
        reference = _read(args.reference)
        warped, _ = warp_to_reference(_read(args.moving), result.matrix, reference.shape)
        if not cv2.imwrite(str(args.out), warped):
            raise CommandError(f"{args.out}: could not write the aligned image")
    if args.json:
        print_json(result.to_json())
    elif result.ok:
        q = result.quality
        print(f"aligned ({result.model}): score {q.score:.2f}, {q.inliers} inliers, "
              f"rmse {q.reprojection_rmse_px:.2f} px, overlap {q.overlap:.0%}")
    else:
        print(f"refused: {result.reason}")
    return 0 if result.ok else EXIT_REFUSED


def coverage_cmd(_library: Library | None, args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from hairtrack.core.imaging.hair_coverage import coverage

    image = _read(args.image)
    roi = None
    if args.roi is not None:
        read = cv2.imread(str(args.roi), cv2.IMREAD_GRAYSCALE)
        if read is None:
            raise CommandError(f"{args.roi}: not a readable PNG mask")
        if read.shape != image.shape[:2]:
            raise CommandError(f"{args.roi}: mask is {read.shape[1]}x{read.shape[0]} but the "
                               f"image is {image.shape[1]}x{image.shape[0]}")
        roi = np.asarray(read, dtype=np.uint8)
    result = coverage(image, roi)
    if args.mask_out is not None and not cv2.imwrite(
            str(args.mask_out), result.hair_mask.astype(np.uint8) * 255):
        raise CommandError(f"{args.mask_out}: could not write the mask")
    if args.json:
        print_json(result.to_json())
    else:
        if math.isnan(result.coverage):
            print(f"coverage not measured: {result.note or 'no reason given'}")
        else:
            note = f" ({result.note})" if result.note else ""
            print(f"coverage {result.coverage:.1%} (confidence {result.confidence:.2f}){note}")
    return 0


def check_cmd(_library: Library | None, args: argparse.Namespace) -> int:
    from hairtrack.core.imaging.checks import capture_checks

    image = _read(args.image)
    reference = _read(args.reference) if args.reference is not None else None
    result = capture_checks(image, reference)
    if args.json:
        print_json(result.to_json())
    else:
        print("\n".join(result.warnings) if result.warnings else "no capture problems found")
    return 0


def analyze_cmd(library: Library, args: argparse.Namespace) -> int:
    from hairtrack.core.services import analysis

    patient = records.patient_by_mrn(library, args.patient)
    report = run_with_progress(analysis.analyze_patient(library, patient.id, force=args.force))
    if args.json:
        print_json(report.to_json())
    else:
        print(f"{len(report.analysed)} analysed, {len(report.unchanged)} unchanged, "
              f"{len(report.refused)} not aligned, {len(report.failed)} failed")
        for photo_id, reason in report.failed:
            print(f"  photo {photo_id}: {reason}")
    return 1 if report.failed else 0


def progress_cmd(library: Library, args: argparse.Namespace) -> int:
    from hairtrack.core.services.progress_series import progress_series

    patient = records.patient_by_mrn(library, args.patient)
    series = progress_series(library, patient.id)
    if args.json:
        print_json(series.to_json())
    else:
        print(_progress_table(series))
    return 0


def _progress_table(series: ProgressSeries) -> str:
    lines: list[str] = []
    for view in series.views:
        auto = " (automatic region)" if view.roi_automatic else ""
        lines.append(f"{view.view.label}{auto}")
        for p in view.points:
            change = "baseline" if p.is_baseline else (
                f"{p.change_pp:+.1f} pp" + ("" if p.significant else " (not significant)")
                if p.change_pp is not None else "")
            lines.append(f"  {p.visited_at:%Y-%m-%d}  {p.coverage:6.1%} ± "
                         f"{p.uncertainty * 100:.1f} pp  {change}")
        for photo_id, reason in view.unmeasured:
            lines.append(f"  photo {photo_id}: {reason}")
    return "\n".join(lines) if lines else "no photos"


def region_cmd(library: Library, args: argparse.Namespace) -> int:
    from hairtrack.core.services import measurements

    patient = records.patient_by_mrn(library, args.patient)
    if args.clear:
        measurements.clear_region(library, patient.id, args.view)
        print(f"{args.view.label}: automatic region")
        return 0
    points = _parse_polygon(args.polygon)
    measurements.set_region(library, patient.id, args.view, points)
    print(f"{args.view.label}: region with {len(points)} points saved; run analyze to update")
    return 0


def _parse_polygon(text: str) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for pair in text.split():
        try:
            x, y = (float(v) for v in pair.split(","))
        except ValueError as exc:
            raise CommandError(f"{pair!r} is not an x,y pair") from exc
        points.append((x, y))
    return points

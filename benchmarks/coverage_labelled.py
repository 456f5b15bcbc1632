"""Coverage against hand-labelled hair masks (`bench_coverage.py --labelled DIR`).

The synthetic scalps have exact masks, but the generator is ours. Where it
gives hair and skin one colour (brown or blond strands on medium or dark
skin, bare skin darkened by the hair round it), no colour threshold can
separate them. Whether real heads do the same is not known: the 76 real
photos carry only a published hair-loss level. A clinic or research partner
with labelled photos settles it with one command:

    python benchmarks/bench_coverage.py --labelled DIR

DIR holds photos (JPEG, PNG or TIFF; EXIF orientation is applied, as on
import). Each photo has a mask `<stem>.hair.png` of the oriented photo's
size: non-zero where the labeller saw hair. It may also have
`<stem>.roi.png`, non-zero inside the region to measure; without one the
whole photo is measured. Per photo, the table shows the labelled share, the
estimate, the error, the confidence and the largest move under the
coverage tables' six lighting changes. The scores are the synthetic
table's (`coverage_scoring`): mean absolute error (target <= 3 points),
confident results more than 3 points off, and confident pairs the light
moved by more than 1.5 points. A photo that cannot be used is reported by name, with
the reason, and the others are measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from _common import LIGHTING, Image
from coverage_scoring import Reading, measure, score
from numpy.typing import NDArray

from hairtrack.core.imaging.hair_coverage import CoverageParams
from hairtrack.core.imaging.io import ImageError, read_image

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
MASK_SUFFIXES = (".hair.png", ".roi.png")


@dataclass(frozen=True)
class Labelled:
    name: str
    image: Image
    hair: NDArray[np.bool_]
    roi: NDArray[np.bool_] | None


def _mask(path: Path, shape: tuple[int, int]) -> NDArray[np.bool_]:
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise ValueError(f"{path.name}: not a readable PNG")
    if mask.shape != shape:
        raise ValueError(f"{path.name}: {mask.shape[1]}x{mask.shape[0]} px, but the photo is "
                         f"{shape[1]}x{shape[0]} (after EXIF orientation)")
    return np.asarray(mask > 0)


def find_labelled(folder: Path) -> tuple[list[Labelled], list[str]]:
    """Photos with their masks, and one line per photo that cannot be used."""
    found: list[Labelled] = []
    problems: list[str] = []
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        if not name.endswith(PHOTO_SUFFIXES) or name.endswith(MASK_SUFFIXES):
            continue
        hair_path = path.with_name(f"{path.stem}.hair.png")
        roi_path = path.with_name(f"{path.stem}.roi.png")
        if not hair_path.exists():
            problems.append(f"{path.name}: no hair mask ({hair_path.name})")
            continue
        try:
            image = read_image(path)
            shape = (image.shape[0], image.shape[1])
            hair = _mask(hair_path, shape)
            roi = _mask(roi_path, shape) if roi_path.exists() else None
        except (ImageError, ValueError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if roi is not None and not roi.any():
            problems.append(f"{path.name}: the region ({roi_path.name}) is empty")
            continue
        found.append(Labelled(path.name, image, hair, roi))
    return found, problems


def evaluate(photo: Labelled, params: CoverageParams | None = None) -> Reading:
    """One photo measured as taken and under each lighting change, against its mask."""
    region = photo.roi if photo.roi is not None else np.ones(photo.hair.shape, bool)
    truth = float(np.count_nonzero(photo.hair & region)) / float(np.count_nonzero(region))
    return measure(photo.name, photo.image, region.astype(np.uint8) * 255, truth, params)


def labelled(folder: Path, params: CoverageParams | None = None) -> list[Reading]:
    """Print the per-photo table and the scores for `folder`; return the readings."""
    photos, problems = find_labelled(folder)
    print(f"\nLabelled photos in {folder}: {len(photos)} usable, {len(problems)} not")
    for line in problems:
        print(f"  skipped {line}")
    print(f"{'photo':32s} {'labelled':>8s} {'estimate':>8s} {'error':>6s} {'conf':>5s} "
          f"{'worst light move':>16s}")
    readings = []
    for photo in photos:
        r = evaluate(photo, params)
        readings.append(r)
        moves = [move for move, _ in r.moves()]
        worst = max(range(len(moves)), key=lambda i: abs(moves[i]))
        print(f"{r.name[:32]:32s} {100 * r.truth:8.1f} {100 * r.estimate:8.1f} "
              f"{100 * r.error:+6.1f} {r.confidence:5.2f} "
              f"{100 * moves[worst]:+7.1f} {list(LIGHTING)[worst]:>8s}")
    s = score(readings)
    print(f"MAE {s.mae:.1f} points over {s.readings} photos as taken (target <= 3); "
          f"{s.confident} of {s.results} results confident (as taken and relit), "
          f"{s.confident_wrong} of them more than 3 points off; {s.moved} of "
          f"{s.confident_pairs} confident pairs moved by more than 1.5 points with the light "
          "(target: none)")
    return readings

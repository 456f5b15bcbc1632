"""The report's fixed wording: the methods paragraph and the disclaimer.

The methods paragraph is filled in from the measurements actually printed
(alignment models used, algorithm versions), so a report read years later
still says how its numbers were made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hairtrack.core.domain import Measurement

DISCLAIMER = (
    "This report summarises measurements made by software on standardised scalp photographs. "
    "It supports, and does not replace, clinical examination and judgement. Hair coverage is "
    "the share of the region of interest in which the photograph shows hair; it is not a hair "
    "count, and it depends on lighting, hair length, styling and camera position, which is "
    "why each value carries an uncertainty. A change smaller than its stated uncertainty "
    "should not be read as a real change. Photographs are shown resampled for print; the "
    "originals are kept unmodified in the clinic's HairTrack library.")

LEGEND_GAIN = "Gain: hair in the latest photo where the baseline had none"
LEGEND_LOSS = "Loss: hair in the baseline where the latest photo has none"
LEGEND_KEPT = "Hair in both photos"
LEGEND_REGION = "Outline: the region of interest, where coverage is measured"
OVERLAY_NOTE = ("Hair masks of the baseline and the latest photo, compared pixel by pixel in "
                "the baseline's frame after alignment. Only the region of interest is "
                "classified; outside it the photo is faded. Areas the latest photo does not "
                "cover are left blank.")


def methods(used: Sequence[Measurement], region_drawn: bool, method_sd: float,
            coverage_factor: float) -> str:
    models = Counter(m.alignment_model for m in used
                     if m.alignment_model and m.alignment_model not in ("baseline", "none"))
    model_text = ", ".join(f"{name} ({count})" for name, count in sorted(models.items()))
    versions = sorted({m.algorithm_version for m in used if m.algorithm_version})
    region = ("drawn by the clinician on the baseline photo" if region_drawn
              else "placed automatically on the baseline photo")
    parts = [
        "Alignment: each follow-up photo of a view was registered to that view's baseline "
        "photo by matching image features (ORB, with SIFT as a fallback), fitting a robust "
        "transform (similarity, promoted to affine or homography only when clearly better) "
        "and refining it by intensity correlation (ECC); alignments failing the quality checks "
        "were refused rather than used."
        + (f" Transforms used: {model_text}." if model_text else ""),
        f"Coverage: on {_working_copy(used)} in the baseline's frame, each "
        "pixel of the region of interest was classified as hair or bare scalp by its colour "
        "distance from the local bare-scalp colour, with a threshold set per photo from the "
        "photo itself (thresholding adapts to lighting and skin tone). The region of "
        f"interest was {region}.",
        f"Uncertainty: each value is shown with an expanded uncertainty (k = "
        f"{coverage_factor:g}, about 95 %), from the spread of repeat photos of the visit and "
        f"never less than the method's measured sensitivity to lighting and framing "
        f"({method_sd * 100:.1f} percentage points), scaled by the measurement's confidence. "
        "A change is marked as exceeding the uncertainty only when it is larger than the "
        "expanded uncertainty of the difference.",
        "Algorithm version: " + (", ".join(versions) if versions else "not recorded") + ".",
    ]
    return "\n".join(parts)


def _working_copy(used: Sequence[Measurement]) -> str:
    """The sizes the stored parameters say were used (they can change between versions).

    The analysis reads each photo reduced to `work_side`; coverage then block-averages
    that by a whole factor to at most its own `work_side`, or (from coverage-2.2,
    which stores `max_work_side`) by less where the strands would become too fine.
    """
    for m in used:
        photo_side = m.parameters.get("work_side")
        cov = m.parameters.get("coverage")
        cov_side = cov.get("work_side") if isinstance(cov, dict) else None
        if isinstance(photo_side, int) and isinstance(cov_side, int) and cov_side > 0:
            # A whole factor never leaves more than `cov_side` (an 800-px photo keeps all).
            side = min(photo_side, cov_side)
            text = (f"a copy of each photo reduced to at most {photo_side} pixels on its "
                    f"longest side and block-averaged to a working copy of at most {side} pixels")
            fine_side = cov.get("max_work_side") if isinstance(cov, dict) else None
            if isinstance(fine_side, int) and min(photo_side, fine_side) > side:
                text += (f" (up to {min(photo_side, fine_side)} pixels where hair strands would "
                         "otherwise be narrower than those the method was validated on)")
            return text
    return "a reduced working copy"

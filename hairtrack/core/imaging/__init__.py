"""Pure image functions on numpy BGR uint8 arrays (as cv2.imread returns).

The documented API for scripts and research::

    from hairtrack.core.imaging import Reference, align, choose_work_factor, coverage
    result = align(reference, moving)   # AlignmentResult: ok, matrix, model, quality, reason
    measured = coverage(image, roi)     # CoverageResult: coverage, confidence, roi_pixels, ...
    # Many follow-ups of one baseline: its features are found once, the results the same.
    prepared = Reference.from_image(baseline)
    results = [align(prepared, follow_up) for follow_up in follow_ups]
    # A series of one view: every visit at its baseline's working scale.
    later = coverage(follow_up, roi, work_factor=choose_work_factor(baseline, roi))

They live in `alignment` and `hair_coverage` and load on first use (PEP 562),
so code that only decodes photos (the importer, the CLI's record commands)
does not pay for importing OpenCV's feature and model code.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "align": "hairtrack.core.imaging.alignment",
    "align_files": "hairtrack.core.imaging.alignment",
    "AlignParams": "hairtrack.core.imaging.alignment",
    "AlignmentResult": "hairtrack.core.imaging.alignment",
    "choose_work_factor": "hairtrack.core.imaging.hair_coverage",
    "coverage": "hairtrack.core.imaging.hair_coverage",
    "CoverageParams": "hairtrack.core.imaging.hair_coverage",
    "CoverageResult": "hairtrack.core.imaging.hair_coverage",
    "Reference": "hairtrack.core.imaging.alignment",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

"""Pure image functions on numpy BGR uint8 arrays (as cv2.imread returns).

The documented API for scripts and research::

    from hairtrack.core.imaging import align, coverage
    result = align(reference, moving)   # AlignmentResult: ok, matrix, model, quality, reason
    measured = coverage(image, roi)     # CoverageResult: coverage, confidence, roi_pixels, ...

Note that the names `align` and `coverage` here are the functions; their
modules stay importable by full path (`from hairtrack.core.imaging.align
import AlignParams`).
"""

from hairtrack.core.imaging.align import AlignmentResult, AlignParams, align, align_files
from hairtrack.core.imaging.coverage import CoverageParams, CoverageResult, coverage

__all__ = ["AlignParams", "AlignmentResult", "CoverageParams", "CoverageResult", "align",
           "align_files", "coverage"]

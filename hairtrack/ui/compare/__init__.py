"""Side-by-side comparison of a baseline photo with any later visit of the same view."""

from hairtrack.ui.compare.compare_view import CompareView

__all__ = ["CompareView"]

"""Words a coverage result says about itself that other layers act on.

Kept apart from `hair_coverage` so a progress series can recognise them
without importing OpenCV.
"""

#: Said (and stored with the measurement's warnings) when no bare scalp is in view:
#: the number is then the ceiling, not a measurement against scalp.
NO_SCALP_NOTE = "no bare scalp seen in the region: dense hair, coverage at its ceiling"

"""Synthetic scalps with exact ground truth, for tests, benchmarks and the demo.

Real clinic photos have no hair masks and no known pose, so coverage and
alignment are validated on scalps generated here, where both are known
exactly. Three layers, each in its own module:

- `synth_subject`: a `Subject` is one person, made only by `make_subject(seed,
  skin, hair, canvas_size, pattern)`: skin tone ("light", "medium", "dark"),
  hair colour ("black", "dark", "brown", "grey", "blond"), balding pattern
  ("vertex", "frontal", "diffuse", "none"), skin texture (`synth_skin`) with
  moles at `landmarks` and freckles/red dots at `spots`, fixed follicle
  positions (also in a margin around the canvas, `inside` marks the rest) and
  growth directions (crown `whorl` + a parting).
- `synth_hair`: `render_scalp(subject, VisitState(density, thickness, length,
  styling_seed, lighting_seed, vellus, restyle))` draws one visit on the
  canonical canvas and returns a `SynthScalp` (image, hair_mask,
  hair_fraction, coverage, coverage_in(roi)). A follicle is active when its
  `follicle_rank` < density, so more density is a strict superset of hair
  (each hair keeps its shape) and coverage rises with it. The mask is
  terminal hair covering >= 50 % of a pixel; faint vellus hair is drawn but
  not counted; shine, shadow and lighting never change the mask.
- `synth_capture`: `photograph(scalp, Capture(matrix, out_size, brightness,
  gamma, white_balance, noise_sigma, blur_sigma, jpeg_quality))` gives a
  `SynthPhoto` (image, hair_mask, valid, matrix, coverage), where `matrix`
  maps canonical (x, y, 1) to photo pixels. `identity_capture`,
  `random_capture(rng, canvas_size, out_size, strength)` and
  `capture_matrix(canvas_size, out_size, angle_deg, scale, shift, tilt)` build
  captures; `apply_lighting` (gain, out = in ** gamma, B/G/R gains),
  `add_noise` and `encode_jpeg` also work on real photos.

Everything is deterministic in its seeds: the same arguments give identical
pixels on every run. Lengths are canvas pixels at a fixed scale (a hair is
about 2 px wide), so a bigger canvas shows more scalp, not a zoomed one.

Cross-visit alignment note: with the default `restyle=1.0` every visit is
combed differently and plain ORB/SIFT + RANSAC rarely aligns two visits; with
`restyle=0` they align to under a pixel. Pick the difficulty you mean to test.
"""

from hairtrack.core.imaging.synth_capture import (
    Capture,
    SynthPhoto,
    add_noise,
    apply_lighting,
    capture_matrix,
    encode_jpeg,
    identity_capture,
    photograph,
    random_capture,
)
from hairtrack.core.imaging.synth_hair import SynthScalp, VisitState, mask_coverage, render_scalp
from hairtrack.core.imaging.synth_subject import (
    HAIR_COLOURS,
    PATTERNS,
    SKIN_TONES,
    Subject,
    make_subject,
)

__all__ = [
    "HAIR_COLOURS",
    "PATTERNS",
    "SKIN_TONES",
    "Capture",
    "Subject",
    "SynthPhoto",
    "SynthScalp",
    "VisitState",
    "add_noise",
    "apply_lighting",
    "capture_matrix",
    "encode_jpeg",
    "identity_capture",
    "make_subject",
    "mask_coverage",
    "photograph",
    "random_capture",
    "render_scalp",
]

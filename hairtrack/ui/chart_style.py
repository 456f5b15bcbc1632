"""Colours, names and wording shared by the progress chart, its view and the PDF report.

Kept apart from the chart builder so the report can reuse the same colours and
treatment abbreviations in its tables, and so the wording of tooltips can be
tested without building a chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import MappingProxyType

from hairtrack.core.domain import TreatmentEvent, View
from hairtrack.core.services.progress_series import COVERAGE_FACTOR, SeriesPoint
from hairtrack.ui import formatting as fmt

#: One colour per view from the Okabe-Ito palette, which stays distinguishable with the
#: common colour-vision deficiencies and in greyscale print (yellow is left out: it
#: vanishes on white paper). The report uses these too, so a view keeps its colour.
VIEW_COLOURS: Mapping[View, str] = MappingProxyType({
    View.VERTEX: "#0072B2",  # blue
    View.MID_SCALP: "#009E73",  # bluish green
    View.FRONTAL: "#D55E00",  # vermillion
    View.OCCIPITAL: "#CC79A7",  # reddish purple
    View.LEFT_TEMPLE: "#E69F00",  # orange
    View.RIGHT_TEMPLE: "#56B4E9",  # sky blue
    View.CLOSE_UP: "#4D4D4D",  # dark grey
})

#: Treatment markers are muted, darker tones so they read as annotations, never as data.
TREATMENT_COLOURS: Mapping[str, str] = MappingProxyType({
    "exosome-injection": "#4E5B8C",
    "exosome-microneedling": "#7A5C2E",
    "prp": "#8C3F5A",
    "cytokine-rich-plasma": "#6B4C8A",
    "stem-cell": "#2F6F6A",
    "topical-finasteride": "#5E6B2E",
    "oral-finasteride": "#5E6B2E",
    "minoxidil": "#5F6B73",
    "fue-transplant": "#8A4B2A",
    "low-level-laser": "#3D6E8F",
    "other": "#6E6E6E",
})
_SPARE_TREATMENT_COLOURS = ("#5B5F97", "#876445", "#497174", "#7D4E6D", "#5D7052")

#: Short names for the marker labels ("Exo 3", "MN 2"): long labels collide on a chart.
TREATMENT_ABBREVIATIONS: Mapping[str, str] = MappingProxyType({
    "exosome-injection": "Exo",
    "exosome-microneedling": "MN",
    "prp": "PRP",
    "cytokine-rich-plasma": "CRP",
    "stem-cell": "SC",
    "topical-finasteride": "tFin",
    "oral-finasteride": "Fin",
    "minoxidil": "Min",
    "fue-transplant": "FUE",
    "low-level-laser": "LLLT",
    "other": "Tx",
})


def view_colour(view: View) -> str:
    return VIEW_COLOURS.get(view, "#4D4D4D")


def treatment_colour(type_code: str) -> str:
    if type_code in TREATMENT_COLOURS:
        return TREATMENT_COLOURS[type_code]
    # custom types: stable across runs and machines (no hash randomisation)
    return _SPARE_TREATMENT_COLOURS[sum(map(ord, type_code)) % len(_SPARE_TREATMENT_COLOURS)]


def treatment_abbreviation(type_code: str, type_label: str) -> str:
    if type_code in TREATMENT_ABBREVIATIONS:
        return TREATMENT_ABBREVIATIONS[type_code]
    words = [w for w in type_label.replace("-", " ").split() if w[:1].isalnum()]
    if len(words) >= 2:
        return "".join(w[0].upper() for w in words[:4])
    return (words[0][:4].capitalize() if words else "Tx")


def treatment_labels(treatments: Iterable[TreatmentEvent]) -> dict[int, str]:
    """Event id -> marker label; types given more than once are numbered in date order."""
    ordered = sorted(treatments, key=lambda t: (t.date, t.id))
    totals: dict[str, int] = {}
    for event in ordered:
        totals[event.type_code] = totals.get(event.type_code, 0) + 1
    seen: dict[str, int] = {}
    labels: dict[int, str] = {}
    for event in ordered:
        short = treatment_abbreviation(event.type_code, event.type_label)
        seen[event.type_code] = seen.get(event.type_code, 0) + 1
        labels[event.id] = (f"{short} {seen[event.type_code]}" if totals[event.type_code] > 1
                            else short)
    return labels


def format_date(moment: date | datetime) -> str:
    """Unambiguous in every locale (3 Feb 2026), spelled as every other view spells it."""
    return fmt.day(moment)


def format_pp(value: float) -> str:
    return f"{value:+.1f} pp"


def significance_text(point: SeriesPoint) -> str:
    if point.is_baseline:
        return "baseline"
    if point.significant is None:
        return "not assessed"
    if point.significant:
        return "beyond measurement uncertainty"
    return "within measurement uncertainty (not significant)"


def tooltip_text(view: View, point: SeriesPoint, labels: Mapping[int, str] | None = None) -> str:
    """What a clinician needs to judge one point, in plain lines of text."""
    lines = [f"{view.label} \u2014 {format_date(point.visited_at)}",
             f"Coverage: {point.coverage * 100:.1f}% \u00b1 {point.uncertainty * 100:.1f} pp "
             f"({_confidence_words()})"]
    if point.is_baseline:
        lines.append("Baseline: the reference for every change")
    elif point.change_pp is not None:
        relative = (f" ({point.change_relative * 100:+.0f}%)"
                    if point.change_relative is not None else "")
        lines.append(f"Change since baseline: {format_pp(point.change_pp)}{relative}, "
                     f"{significance_text(point)}")
    event = point.since_treatment
    if event is not None and point.change_since_treatment_pp is not None:
        name = (labels or {}).get(event.id) or event.type_label
        lines.append(f"Since {name} ({event.type_label}, {format_date(event.date)}): "
                     f"{format_pp(point.change_since_treatment_pp)}")
    count = len(point.photo_ids)
    lines.append(f"{count} photo{'s' if count != 1 else ''}; uncertainty from "
                 f"{point.uncertainty_source}")
    lines.extend(f"Warning: {w}" for w in point.warnings)
    return "\n".join(lines)


def _confidence_words() -> str:
    return "95% interval" if COVERAGE_FACTOR == 2.0 else f"k = {COVERAGE_FACTOR:g}"

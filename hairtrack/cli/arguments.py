"""Argument types shared by the command groups: argparse reports their errors as usage errors."""

from __future__ import annotations

import argparse
from datetime import date

from hairtrack.core.domain import View


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def view(text: str) -> View:
    try:
        return View.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc

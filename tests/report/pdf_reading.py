"""Reading a report back: text per page, images, streams, poppler's view of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import IndirectObject, StreamObject


def norm(text: str) -> str:
    """pypdf may split words with tabs or newlines; compare on single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def page_texts(path: Path) -> list[str]:
    return [norm(page.extract_text() or "") for page in pypdf.PdfReader(path).pages]


@dataclass(frozen=True)
class EmbeddedImage:
    page: int  # 1-based
    width: int
    height: int
    filter: str
    data: bytes  # the stream as stored (JPEG bytes for DCTDecode)


def images(path: Path) -> list[EmbeddedImage]:
    out = []
    for number, page in enumerate(pypdf.PdfReader(path).pages, start=1):
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources else None
        if not xobjects:
            continue
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            if obj.get("/Subtype") != "/Image":
                continue
            filt = obj.get("/Filter")
            name = str(filt[0] if isinstance(filt, list) else filt)
            out.append(EmbeddedImage(number, int(obj["/Width"]), int(obj["/Height"]), name,
                                     bytes(obj._data)))
    return out


def decoded_streams(path: Path) -> list[bytes]:
    """Every stream except images and font programs, decompressed."""
    reader = pypdf.PdfReader(path)
    out = []
    numbers = [(n, gen) for gen, table in reader.xref.items() for n in table]
    for number, gen in numbers:
        obj = reader.get_object(IndirectObject(number, gen, reader))
        if not isinstance(obj, StreamObject):
            continue
        if obj.get("/Subtype") == "/Image" or "/Length1" in obj:
            continue
        try:
            out.append(obj.get_data())
        except Exception:
            out.append(bytes(obj._data))
    return out


def pdfimages_list(tool: str, path: Path) -> list[dict[str, str]]:
    text = subprocess.run([tool, "-list", str(path)], capture_output=True, text=True,
                          check=True).stdout.splitlines()
    header = text[0].split()
    return [dict(zip(header, line.split(), strict=False)) for line in text[2:] if line.strip()]


def pdftotext(tool: str, path: Path, first: int | None = None) -> str:
    args = [tool, "-enc", "UTF-8"]
    if first is not None:
        args += ["-f", str(first), "-l", str(first)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def tool(name: str) -> str:
    """A poppler tool, or skip: the tests read PDFs back with pdftotext/pdftoppm/pdfimages."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install poppler-utils)"
        if os.environ.get("CI"):  # scripts/run-tests.sh installs it: CI must never skip
            pytest.fail(message)
        pytest.skip(message)
    return path


def clean_env() -> dict[str, str]:
    """The environment of a headless machine: no display, no platform chosen."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env

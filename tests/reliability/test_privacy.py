"""Nothing leaves the clinic by accident: no network, no EXIF or GPS in exported images."""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest
from PIL import Image

from hairtrack.cli.main import main

PACKAGE = Path(__file__).resolve().parents[2] / "hairtrack"
NETWORK_MODULES = {"socket", "ssl", "http", "urllib", "requests", "httpx", "aiohttp", "ftplib",
                   "smtplib", "poplib", "imaplib", "telnetlib", "xmlrpc", "websocket",
                   "PySide6.QtNetwork", "PySide6.QtWebEngineCore", "PySide6.QtWebSockets"}
GPS_IFD = 0x8825


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_of_the_application_can_reach_the_network() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        hits = {name for name in imported_modules(path)
                if name in NETWORK_MODULES or name.split(".")[0] in NETWORK_MODULES}
        if hits:
            offenders[str(path.relative_to(PACKAGE))] = sorted(hits)
    assert offenders == {}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any attempt to open a connection (or resolve a name) is recorded and refused."""
    attempts: list[str] = []

    def refuse(*args: object, **_kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_a_whole_working_day_makes_no_connection(tmp_path: Path, no_network: list[str],
                                                 scalp_photos: list[Path], qapp: object) -> None:
    root = str(tmp_path / "library")
    for command in (["patient", "add", "--mrn", "N-1", "--name", "Nia"],
                    ["import", "--patient", "N-1", *map(str, scalp_photos[:3])],
                    ["analyze", "--patient", "N-1"], ["progress", "--patient", "N-1"],
                    ["report", "--patient", "N-1", "-o", str(tmp_path / "r.pdf")],
                    ["backup", str(tmp_path / "b.zip")], ["doctor", "--quick"],
                    ["audit", "--csv", str(tmp_path / "audit.csv")]):
        assert main(["--library", root, *command]) == 0, command
    assert no_network == []


def photo_with_gps(path: Path, source: Path) -> Path:
    with Image.open(source) as image:
        exif = image.getexif()
        exif[0x010F] = "PrivateCam"  # Make
        gps = exif.get_ifd(GPS_IFD)
        gps[1], gps[2] = "N", (52.0, 22.0, 11.0)  # GPSLatitudeRef, GPSLatitude
        image.save(path, "JPEG", exif=exif.tobytes())
    with Image.open(path) as check:
        assert check.getexif().get_ifd(GPS_IFD)  # the test photo really carries GPS
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_exported_images_carry_no_exif_or_gps(tmp_path: Path, scalp_photos: list[Path],
                                              suffix: str) -> None:
    moving = photo_with_gps(tmp_path / "moving.jpg", scalp_photos[0])
    out = tmp_path / f"aligned{suffix}"
    mask = tmp_path / "mask.png"
    assert main(["align", str(moving), str(moving), "--out", str(out)]) == 0
    assert main(["coverage", str(moving), "--mask-out", str(mask)]) == 0
    for exported in (out, mask):
        data = exported.read_bytes()
        assert b"PrivateCam" not in data and b"Exif\x00\x00" not in data
        with Image.open(exported) as image:
            assert not image.getexif()

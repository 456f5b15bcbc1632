"""Screenshot mode: `hairtrack gui --screenshot` renders a page headless and exits 0."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtGui import QImage

from hairtrack.app import run
from hairtrack.core.services import demo


def test_screenshot_of_photos_page_has_the_requested_size(small_demo_root: Path,
                                                          tmp_path: Path):
    root = tmp_path / "library"
    shutil.copytree(small_demo_root, root)  # the app writes thumbnails into the library
    out = tmp_path / "shots" / "photos.png"
    code = run(str(root), None,
               ["--screenshot", str(out), "--patient", demo.DEMO_MRN, "--page", "photos",
                "--size", "1024x700", "--settings", str(tmp_path / "s.ini"), "--timeout", "60"])
    assert code == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1024, 700)
    # thumbnails were loaded before the grab: the grid area is not just placeholders
    colours = {image.pixelColor(x, y).name()
               for x in range(200, 700, 7) for y in range(200, 600, 7)}
    assert len(colours) > 200


def test_screenshot_rejects_unknown_patient(demo_library, tmp_path: Path, capsys):
    out = tmp_path / "none.png"
    code = run(str(demo_library.root), None,
               ["--screenshot", str(out), "--patient", "NOPE-1", "--page", "timeline",
                "--settings", str(tmp_path / "s.ini")])
    assert code == 1
    assert "NOPE-1" in capsys.readouterr().err
    assert not out.exists()

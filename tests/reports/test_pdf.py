"""The DOCX as an office suite renders it: LibreOffice (headless) → PDF → text and PNG pages (poppler).

Checks that the Chinese text survives (fonts resolve, no missing glyphs in the text layer), that the charts are
images in the PDF, and that the page holding the first chart has coloured pixels where the bars are.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

TOOLS = ("libreoffice", "pdftotext", "pdfimages", "pdftoppm")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    """`make test` installs these (scripts/ensure-system-packages.sh); a run without them fails, never skips."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: install Debian's libreoffice-writer-nogui, poppler-utils and "
            "fonts-noto-cjk (scripts/ensure-system-packages.sh does it)"
        )


def _run(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=180, cwd=cwd, check=False)
    assert done.returncode == 0, f"{args[0]} failed: {done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def pdf(built: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pdf")
    profile = (folder / "lo-profile").as_uri()  # a private profile: no clash with a running LibreOffice
    _run(
        "libreoffice",
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        str(built.phase.docx),
    )
    path = folder / (built.phase.docx.stem + ".pdf")
    assert path.is_file()
    return path


def test_pdf_text_is_the_report(pdf: Path) -> None:
    text = _run("pdftotext", "-layout", str(pdf), "-")
    flat = "".join(text.split())  # line breaks fall anywhere in Chinese text
    for expected in (
        "浙江省“模数共振”行动阶段总结报告",
        "一、总体进展",
        "八、下一步工作",
        "轧钢过程数据集",
        "缺陷漏检率下降30%",
        "TC609-6-2025-01",
        "暂无存证事件",
    ):
        assert expected in flat, expected


def test_pdf_holds_the_charts_as_images(pdf: Path, tmp_path: Path) -> None:
    listing = _run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    images = [line.split() for line in listing if line.split()[2] == "image"]
    assert len(images) == 2
    page = images[0][0]
    _run("pdftoppm", "-png", "-r", "60", "-f", page, "-l", page, str(pdf), str(tmp_path / "page"))
    [png] = list(tmp_path.glob("page*.png"))
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    coloured = int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())  # text and table shading are grey; bars blue
    inked = int((rgb.sum(axis=2) < 600).sum())
    assert coloured > 300, coloured
    assert inked > 0.01 * rgb.shape[0] * rgb.shape[1]

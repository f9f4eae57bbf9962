"""A records office's ``styles`` folder (``unfolio.toml``) replaces shipped styles files by name.

The overlay here holds one file, ``css/unfolio.css``: the shipped rules plus a red title. The
title's text must then be drawn in red (``1 0 0 rg`` before it in page 1's content stream), the
rest must stay as shipped, and the PDF must still pass the gate and ``verify``.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pikepdf
import pytest

from pipeline import source
from pipeline.cli import main
from pipeline.resources import style_file, styles_dir
from pipeline.typeset import render_pdf

from .conftest import REPO

RU = REPO / "tests" / "fixtures" / "documents" / "ru-note"
RED = ".doc-title { color: rgb(255, 0, 0); }\n"


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    folder = tmp_path / "house-styles"
    (folder / "css").mkdir(parents=True)
    shipped = (styles_dir() / "css" / "unfolio.css").read_text(encoding="utf-8")
    (folder / "css" / "unfolio.css").write_text(shipped + RED, encoding="utf-8")
    return folder


def red_fills(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        page = opened.pages[0]
        return sum(
            1
            for operands, operator in pikepdf.parse_content_stream(page)
            if str(operator) == "rg" and [float(x) for x in operands] == [1.0, 0.0, 0.0]
        )


def test_files_the_overlay_holds_replace_the_shipped_ones_and_only_those(overlay):
    assert style_file("css/unfolio.css", overlay) == overlay / "css" / "unfolio.css"
    assert style_file("css/geometry.css", overlay) == styles_dir() / "css" / "geometry.css"
    assert style_file("css/unfolio.css") == styles_dir() / "css" / "unfolio.css"


def test_the_overlay_styles_the_pdf_and_it_still_passes_the_gate(overlay):
    document = source.load(RU)
    assert ".doc-title" in (styles_dir() / "css" / "unfolio.css").read_text(encoding="utf-8")
    shipped = render_pdf(document, RU)  # the gate runs inside render_pdf
    styled = render_pdf(document, RU, styles=overlay)
    assert red_fills(shipped) == 0 and red_fills(styled) > 0


def test_build_uses_the_configured_styles_and_verify_accepts_the_bag(
    overlay, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1614902400")
    Path("unfolio.toml").write_text(f'styles = "{overlay.name}"\n', encoding="utf-8")
    assert main(["build", str(RU), "-o", "bags"]) == 0
    (bag,) = Path("bags").iterdir()
    (pdf,) = (bag / "data" / "objects").glob("*.pdf")
    assert red_fills(pdf.read_bytes()) > 0
    assert main(["verify", "--no-second-opinions", str(bag)]) == 0
    assert main(["render", str(RU), "-o", "same.pdf"]) == 0  # render reads unfolio.toml too
    assert Path("same.pdf").read_bytes() == pdf.read_bytes()
    os.remove("unfolio.toml")
    shutil.rmtree(overlay)
    assert main(["render", str(RU), "-o", "plain.pdf"]) == 0
    assert red_fills(Path("plain.pdf").read_bytes()) == 0

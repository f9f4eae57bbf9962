"""The asterisk notes of the agenda line and the title (``organs[].agenda_note``,
``title_note``): printed as the UN prints them, checked by the gate, refused where they
cannot be called. Positions are measured against A/HRC/WG.6/34/ITA/3 (English), whose title
carries such a note ("…on Italy*", "* The present document was not edited…")."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pytest

from pipeline import source
from pipeline.errors import UserError
from pipeline.typeset import gate, render_pdf

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "reference"
REFERENCE = Path("/work/shared/reference/A_HRC_WG.6_34_ITA_3-EN.pdf")
NOTE = (
    "The present document was not edited before being sent to United Nations translation services."
)


def _copy(tmp_path: Path, name: str, **changes) -> Path:
    folder = tmp_path / name
    shutil.copytree(FIXTURES / name, folder)
    meta = json.loads((folder / "document.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "agenda_note":
            meta["organs"][0]["agenda_note"] = value
        else:
            meta[key] = value
    (folder / "document.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


def _pdf(folder: Path) -> bytes:
    return render_pdf(source.load(folder), folder)  # the gate runs: text checks included


def _stars(chars: list[dict]) -> list[tuple[dict, dict | None]]:
    """Each "*" of the page with the character drawn before it."""
    return [(c, chars[i - 1] if i else None) for i, c in enumerate(chars) if c["text"] == "*"]


def _first_page(pdf: bytes) -> tuple[list[dict], float]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        return list(page.chars), float(page.height)


def _baseline(char: dict, height: float) -> float:
    return height - char["matrix"][5]


def _positions(chars: list[dict], height: float) -> dict[str, float]:
    """The call after the title and the note's marker and first letter at the page's foot."""
    stars = _stars(chars)
    call, before = next((s, b) for s, b in stars if b is not None and b["text"] == "y")
    marker = next(s for s, _ in stars if s["top"] > 600 and s["x0"] < 120)
    first = next(
        c
        for c in chars
        if c["text"] == "T" and abs(_baseline(c, height) - _baseline(marker, height)) < 0.5
    )
    return {
        "call x0 - title x1": call["x0"] - before["x1"],
        "call baseline - title baseline": _baseline(call, height) - _baseline(before, height),
        "call size": call["size"],
        "marker x0": marker["x0"],
        "marker size": marker["size"],
        "text x0": first["x0"],
        "text size": first["size"],
    }


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference PDF not available")
def test_title_note_printed_as_the_un_prints_it(tmp_path):
    folder = _copy(tmp_path, "hrc-en", title_note=NOTE)
    chars, height = _first_page(_pdf(folder))
    ours = _positions(chars, height)
    with pdfplumber.open(REFERENCE) as doc:
        page = doc.pages[0]
        theirs = _positions(list(page.chars), float(page.height))
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, abs=1.0), key
    call = next(c for c in chars if c["text"] == "*")
    assert "Bold" not in call["fontname"]  # roman, as the UN's, in a bold title


def test_agenda_and_title_notes_take_stars_in_order_and_body_notes_start_at_one(tmp_path):
    folder = _copy(tmp_path, "acabq-en", agenda_note="A/80/150.", title_note="Submitted late.")
    with pdfplumber.open(io.BytesIO(_pdf(folder))) as doc:
        lines = [line["text"] for line in doc.pages[0].extract_text_lines()]
    assert "Agenda item 156 (a)*" in lines
    assert "* A/80/150." in lines
    assert "** Submitted late." in lines
    first_note = next(i for i, t in enumerate(lines) if t.startswith("1 "))
    assert lines.index("** Submitted late.") < first_note  # the numbered notes follow, from 1


def test_gate_finds_a_title_note_the_pdf_does_not_draw(tmp_path):
    folder = _copy(tmp_path, "acabq-en", title_note="Submitted late.")
    document = source.load(folder)
    pdf = render_pdf(document, folder)
    other = replace(document, title_note="Submitted on time.")
    with pytest.raises(gate.GateFailed) as failed:
        gate.enforce(pdf, other, "2u")
    assert "PDF-TEXT" in str(failed.value)


def test_a_subtitle_note_takes_the_next_star_and_needs_a_subtitle(tmp_path):
    folder = _copy(tmp_path, "hrc-en", title_note="Not edited.", subtitle_note="Late.")
    with pdfplumber.open(io.BytesIO(_pdf(folder))) as doc:
        lines = [line["text"] for line in doc.pages[0].extract_text_lines()]
    assert "* Not edited." in lines and "** Late." in lines
    meta = json.loads((folder / "document.json").read_text(encoding="utf-8"))
    del meta["subtitle"]
    (folder / "document.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(UserError) as error:
        source.load(folder)
    assert "/subtitle_note" in str(error.value) and "there is no subtitle" in str(error.value)


def test_agenda_note_needs_an_agenda_line(tmp_path):
    folder = _copy(tmp_path, "hrc-en")
    meta = json.loads((folder / "document.json").read_text(encoding="utf-8"))
    meta["organs"][0]["agenda_note"] = "A/80/150."
    (folder / "document.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(UserError) as error:
        source.load(folder)
    assert "/organs/0/agenda_note" in str(error.value)
    assert "no agenda_items" in str(error.value)

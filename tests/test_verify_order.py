"""`unfolio verify` proves the text is drawn in the source's order (PDF-TEXT-ORDER).

The red team's holes: a PDF re-rendered by unfolio from a source where two figures of one
sentence (62 % ↔ 31 %) or two footnotes' texts are swapped, while the bag keeps the genuine
source, keeps every character count and every piece the round trip looks for. Each forgery
here is made as in ``test_verify_exact``: render the edited copy of the source, keep the
genuine source, ``remake`` the rest of the bag, and edit the environment record so that
reproduction is skipped (a warning): only the environment-independent checks stand between
the forger and exit 0.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline import source
from pipeline.package.environment import RECORD_PATH
from pipeline.typeset import gate, ordertext, render_pdf, structtext, textcheck

from .test_verify import EPOCH, edit, rekey
from .test_verify_exact import FIXTURES, SRC, _build, assert_caught, remake

REPORT = FIXTURES / "en-long-report"
PARAGRAPH_2 = (
    "The report covers the period from 1 January 2021 to 30 June 2022 at the four main duty "
    "stations, namely New York, Geneva, Vienna and Nairobi."
)
PARAGRAPH_4 = "The report is organized in nine chapters."


def _swap(a: str, b: str):
    def change(text: str) -> str:
        assert a in text and b in text, (a, b)
        return text.replace(a, "\0").replace(b, a).replace("\0", b)

    return change


def _cells(text: str) -> str:
    """New York 2020 (57) and Geneva 2020 (61) swapped in table 1."""
    old = ("| New York | 84 | 57 |", "| Geneva | 86 | 61 |")
    assert all(row in text for row in old)
    text = text.replace(old[0], "| New York | 84 | @@ |").replace(old[1], "| Geneva | 86 | 57 |")
    return text.replace("@@", "61")


FORGERIES = {
    # red team a01: two figures of one sentence swapped
    "percentages": _swap("62 per cent of", "31 per cent in"),
    # red team a05: the texts of footnotes 3 and 5 swapped
    "footnotes": _swap("A/76/32), annex.", "A/76/32), chap. II."),
    # the first sentences of paragraphs 2 and 4 swapped (their numbers stay)
    "paragraphs": _swap(PARAGRAPH_2, PARAGRAPH_4),
    "table cells": _cells,
}


@pytest.fixture(scope="module")
def bags(tmp_path_factory) -> dict[str, Path]:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        out = tmp_path_factory.mktemp("order")
        return {flavour: _build(REPORT, out / flavour, flavour) for flavour in ("2a", "2u")}
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


def _forged_pdf(bag: Path, flavour: str, change, tmp: Path, name: str = "report.md") -> bytes:
    """unfolio's own render of the bag's source with ``change`` applied to part ``name``."""
    edited = Path(shutil.copytree(bag / SRC, tmp / "edited"))
    path = edited / name
    text = path.read_text(encoding="utf-8")
    path.write_text(change(text), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != text
    return render_pdf(source.load(edited), edited, flavour=flavour)


def _skip_reproduction(bag: Path) -> None:
    """The careful forger's edit of the environment record, build key recomputed to match."""
    edit(bag, RECORD_PATH, '"lib:zlib": "', '"lib:zlib": "0.0-')
    rekey(bag)


@pytest.mark.parametrize("flavour", ["2a", "2u"])
@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_reordering_re_rendered_with_reproduction_skipped_fails(
    bags, flavour, forgery, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    bag = Path(shutil.copytree(bags[flavour], tmp_path / "bag" / bags[flavour].name))
    remake(bag, _forged_pdf(bag, flavour, FORGERIES[forgery], tmp_path))
    _skip_reproduction(bag)
    found = assert_caught(bag, capsys, "PDF-TEXT-ORDER", f"{SRC}/report.md")
    assert "PDF-REPRODUCE-SKIPPED" in {f["code"] for f in found}, found
    if forgery in ("percentages", "footnotes"):  # the holes: nothing else catches them
        assert {f["code"] for f in found} == {"PDF-TEXT-ORDER", "PDF-REPRODUCE-SKIPPED"}, found


def test_the_genuine_bags_pass_the_order_check(bags):
    for flavour, bag in bags.items():
        pdf = (bag / f"data/objects/{bag.name}.pdf").read_bytes()
        found = gate.check(pdf, source.load(bag / SRC), flavour)
        assert not found, found


def _genuine(bags, flavour: str) -> tuple[bytes, source.Document]:
    bag = bags[flavour]
    return (bag / f"data/objects/{bag.name}.pdf").read_bytes(), source.load(bag / SRC)


def test_text_moved_across_a_block_end_fails_on_the_block_ends(bags):
    """The joined texts stay equal; only where an element ends tells the two apart."""
    pdf, document = _genuine(bags, "2a")
    read = structtext.blocks(pdf)
    assert not list(ordertext.mismatches(document, read))
    at = next(i for i, b in enumerate(read) if b.role == "TD" and b.text == "New York ")
    assert read[at + 1].text == "84 "  # two cells: "New York" | "84" → "New York 8" | "4"
    moved = [*read[:at], structtext.Block("TD", "New York 8"), structtext.Block("TD", "4 ")]
    moved += read[at + 2 :]
    found = list(ordertext.mismatches(document, moved))
    assert len(found) == 1 and "does not end an element" in found[0].message, found
    assert found[0].file == "report.md"


def test_text_drawn_inside_a_block_on_the_same_page_fails_untagged(bags):
    """A piece found further on, with text between it and the previous piece on one page."""
    pdf, document = _genuine(bags, "2u")
    extracted = textcheck.extract(pdf)
    assert not list(ordertext.drawn_mismatches(document, extracted))
    assert extracted.count("namely New York") == 1
    added = extracted.replace("namely New York", "namely Bern, New York")
    found = list(ordertext.drawn_mismatches(document, added))
    assert len(found) == 1 and "'bern'" in found[0].message, found
    assert "inside the source's" in found[0].message and found[0].file == "report.md"


def test_two_numbers_swapped_in_an_arabic_line_fail_tagged(tmp_path):
    """Right to left: each drawn line must be a contiguous piece of its block."""
    folder = Path(shutil.copytree(FIXTURES / "ar-letter", tmp_path / "ar"))
    path = folder / "letter.md"
    text = path.read_text(encoding="utf-8")
    assert "يومي 8 و 9" in text
    path.write_text(text.replace("يومي 8 و 9", "يومي 9 و 8"), encoding="utf-8")
    genuine = source.load(FIXTURES / "ar-letter")
    good = render_pdf(genuine, FIXTURES / "ar-letter", flavour="2a")
    assert not list(ordertext.mismatches(genuine, structtext.blocks(good)))
    forged = render_pdf(source.load(folder), folder, flavour="2a")
    found = list(ordertext.mismatches(genuine, structtext.blocks(forged)))
    assert found and found[0].file == "letter.md", found


ARABIC_MIXED = """
# أولاً - مقدمة عن تقرير UNEP/EA.5/Res.14

1. قدمت الأمانة تقرير UNESCO لعام 2022 إلى الدورة 77، وبلغت نسبة الاجتماعات الحضورية 62 في المائة مقابل 31 في المائة في عام 2020.[^1] وتغطي الفترة 2018-2028 ما يلي.

2. وطلب المؤتمر من الأمين العام أن يقدم تقريراً عن تنفيذ القرار 76/245 في الوثيقة A/77/9106 وأن يدرج فيه بيانات عن المياه.[^2]

   (أ) تعزيز التعاون الإقليمي في إطار برنامج WASH؛

   (ب) إنشاء منصة إقليمية للبيانات عن طريق https://undocs.org/ar/A/80/1 والموقع الإلكتروني؛

| المحطة | 2019 | 2020 | 2021 |
|:--|--:|--:|--:|
| نيويورك (New York) | 84 | 57 | 73 |
| جنيف | 86 | 61 | 77 |

[^1]: انظر الوثيقة A/76/32، المرفق.
[^2]: انظر قرار الجمعية العامة 40/243 ووثيقة UNEP/EA.5/Res.14.
"""


@pytest.mark.parametrize("flavour", ["2a", "2u"])
def test_arabic_mixing_directions_numbers_notes_and_a_table_passes(tmp_path, flavour):
    """No false alarm where pdfium gives right-to-left text in visual pieces: a symbol and a
    URL inside Arabic lines, numbered paragraphs, footnotes, a table (render_pdf runs the
    gate, PDF-TEXT-ORDER included, and raises on any finding)."""
    folder = Path(shutil.copytree(FIXTURES / "ar-letter", tmp_path / "ar"))
    path = folder / "letter.md"
    path.write_text(path.read_text(encoding="utf-8") + ARABIC_MIXED, encoding="utf-8")
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour=flavour)
    if flavour == "2a":
        assert not list(ordertext.mismatches(document, structtext.blocks(pdf)))
        # and the same document with two figures of one line swapped is caught
        path.write_text(path.read_text(encoding="utf-8").replace("84 | 57", "57 | 84"))
        forged = render_pdf(source.load(folder), folder, flavour=flavour)
        found = list(ordertext.mismatches(document, structtext.blocks(forged)))
        assert found and found[0].file == "letter.md", found

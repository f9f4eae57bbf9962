"""Footnotes are never lost at a page break (``pipeline.typeset.wpfixes``).

The fixture is the smallest layout that loses a note in WeasyPrint 70.0: note A is on the
page, the second line of a paragraph carries the call of note B and overflows, and orphans
forbid breaking before it, so WeasyPrint moves note A to the next page to keep the line and
never lays out note B. Line height and page size are in px, so no font metric matters.
"""

from __future__ import annotations

import pypdfium2
import pytest
import weasyprint
from weasyprint.layout import block

from pipeline.typeset import engine, wpfixes

FIXTURE = """<style>
@page {{ size: 200px 100px; margin: 0; @footnote {{ margin: 0; padding: 0 }} }}
html {{ font: 10px/10px sans-serif }} body {{ margin: 0 }}
p {{ margin: 0; orphans: 2; widows: 2 }}
.fn {{ float: footnote }} ::footnote-call {{ content: "*"; vertical-align: baseline }} ::footnote-marker {{ content: none }}
</style>
<p>a<span class=fn>NOTEA</span></p>
<div style="height: {filler}px"></div>
<p>x<br>y<span class=fn>NOTEB</span><br>z<br>w</p>"""

# Filler heights that put the call of note B on the line that closes page 1 (60-68 px);
# 50 and 70 are ordinary layouts, where WeasyPrint alone places both notes.
FILLERS = (50, 60, 64, 68, 70)


def page_texts(filler: int) -> list[str]:
    pdf = weasyprint.HTML(string=FIXTURE.format(filler=filler)).write_pdf()
    document = pypdfium2.PdfDocument(pdf)
    return [page.get_textpage().get_text_range() for page in document]


def test_the_repair_is_installed_by_the_engine():
    assert engine.wpfixes is wpfixes
    assert getattr(block._linebox_layout, "unfolio_repair", False)


@pytest.mark.parametrize("filler", FILLERS)
def test_every_note_is_printed_once_and_after_its_call(filler):
    pages = page_texts(filler)
    text = "".join(pages)
    assert text.count("NOTEA") == 1 and text.count("NOTEB") == 1
    page_of = {
        note: next(i for i, p in enumerate(pages) if note in p) for note in ("NOTEA", "NOTEB")
    }
    call_b_page = next(i for i, p in enumerate(pages) if "y" in p)
    assert page_of["NOTEB"] >= call_b_page
    if page_of["NOTEA"] == page_of["NOTEB"]:
        assert pages[page_of["NOTEA"]].index("NOTEA") < pages[page_of["NOTEB"]].index("NOTEB")


def test_without_the_repair_weasyprint_loses_the_note(monkeypatch):
    """The fixture does reach the bug: the unwrapped function drops note B."""
    monkeypatch.setattr(block, "_linebox_layout", block._linebox_layout.__wrapped__)
    assert "NOTEB" not in "".join(page_texts(64))
    assert "NOTEB" in "".join(page_texts(50))


def test_another_weasyprint_version_is_refused(monkeypatch):
    monkeypatch.setattr(wpfixes, "_applied", False)
    monkeypatch.setattr(weasyprint, "__version__", "99.0")
    with pytest.raises(RuntimeError, match="re-check each repair"):
        wpfixes.apply()

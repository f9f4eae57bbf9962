"""`unfolio import` of what Word writes inside UN files beyond plain runs: tracked moves,
smart tags, content controls, symbol-font characters, raised text, equations, endnotes, and
Word's own list numbering ("I.", "(a)"), end to end (the steps: test_import_un_documents.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_import_un_documents import round_trip
from tests.word_files import note_ref, para, run, un_docx

# -- inline constructs Word writes into UN files ------------------------------------------

MOVE = (
    '<w:moveFrom w:id="5" w:author="E"><w:r><w:t>old place</w:t></w:r></w:moveFrom>'
    '<w:moveTo w:id="6" w:author="E"><w:r><w:t>new place</w:t></w:r></w:moveTo>'
)
WRAPPERS = (
    '<w:smartTag w:uri="x" w:element="place"><w:r><w:t>New York</w:t></w:r></w:smartTag>'
    + run(" and ")
    + "<w:sdt><w:sdtPr/><w:sdtContent><w:r><w:t>inline control</w:t></w:r></w:sdtContent>"
    "</w:sdt>"
    + run(" and ")
    + '<w:customXml w:element="x"><w:r><w:t>custom xml</w:t></w:r></w:customXml>'
)
MATH = (
    '<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"><m:r>'
    "<m:t>x=1</m:t></m:r></m:oMath>"
)


def inline_odds(path: Path) -> Path:
    blocks = [
        para("Session", "Eightieth session"),
        para("TitleHCH", "Inline constructs"),
        para("SingleTxt", "1.\tMoved ", MOVE, " end."),
        para("SingleTxt", "2.\tSmart ", WRAPPERS, "."),
        para(
            "SingleTxt",
            "3.\tco",
            "<w:r><w:noBreakHyphen/></w:r>",
            "operation, soft",
            "<w:r><w:softHyphen/></w:r>",
            "ware, ",
            '<w:r><w:sym w:font="Symbol" w:char="F0B3"/></w:r>',
            " 5 per cent, ",
            '<w:r><w:sym w:font="Wingdings" w:char="F0FC"/></w:r>',
            " done, ",
            '<w:r><w:sym w:font="Webdings" w:char="F021"/></w:r>',
            " unknown.",
        ),
        para("SingleTxt", "4.\tMath ", MATH, " and an object", "<w:r><w:object/></w:r>", "."),
        para(
            "SingleTxt",
            "5.\tArea in km",
            run("2", rpr='<w:vertAlign w:val="superscript"/>'),
            ", CO",
            run("2", rpr='<w:vertAlign w:val="subscript"/>'),
            ", ",
            run("capitals", rpr="<w:caps/>"),
            ".",
        ),
        para("SingleTxt", "6.\tAn endnote.", note_ref(1, endnote=True)),
        "<w:sdt><w:sdtPr/><w:sdtContent>"
        + para("SingleTxt", "7.\tA block content control.")
        + "</w:sdtContent></w:sdt>",
    ]
    return un_docx(path, blocks, endnotes={1: "The endnote text."})


def test_inline_constructs_are_carried_or_reported(capsys, tmp_path):
    docx = inline_odds(tmp_path / "odds.docx")
    _, report, source = round_trip(capsys, tmp_path, docx)
    body = (source / "body.md").read_text()
    for line in (
        "1. Moved new place end.",
        "2. Smart New York and inline control and custom xml.",
        "3. co-operation, software, ≥ 5 per cent, (mark) done, unknown.",
        "5. Area in km2, CO2, CAPITALS.",
        "6. An endnote.[^e1]",
        "7. A block content control.",
        "[^e1]: The endnote text.",
    ):
        assert line in body
    items = {(i["kind"], i["what"], i["text"]) for i in report["items"]}
    assert {
        ("not-carried", "tracked change", "old place"),
        ("changed", "symbol", "≥"),
        ("changed", "symbol", "✓"),
        ("changed", "superscript", "2"),
        ("changed", "subscript", "2"),
        ("changed", "capitals", "capitals"),
        ("not-carried", "equation", "x=1"),
    } <= items
    assert [i["detail"] for i in report["items"] if i["what"] == "symbol"][-1] == (
        "a Webdings character (U+F021) left out"
    )
    (gap,) = [i for i in report["items"] if i["what"] == "character"]
    assert (gap["kind"], gap["where"], gap["text"]) == ("to-fill", "body.md, line 5", "✓")
    assert "not in the en fonts, so build refuses it: replace it in body.md" in gap["detail"]


# -- Word's own list numbering: headings "I.", sub-paragraphs "(a)" "(i)" ------------------

NUMBERING = (
    '<w:abstractNum w:abstractNumId="0">'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/>'
    '<w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/>'
    '<w:numFmt w:val="upperLetter"/><w:lvlText w:val="%2."/></w:lvl></w:abstractNum>'
    '<w:abstractNum w:abstractNumId="1">'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
    '<w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/>'
    '<w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%2)"/></w:lvl>'
    '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/>'
    '<w:lvlText w:val="(%3)"/></w:lvl></w:abstractNum>'
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
)


def _numbered(level: int, num: int) -> str:
    return f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr>'


def word_numbered(path: Path) -> Path:
    blocks = [
        para("Session", "Eightieth session"),
        para("TitleHCH", "A report Word numbers"),
        para("HCh", "Introduction", ppr=_numbered(0, 1)),
        para("SingleTxt", "First paragraph.", ppr=_numbered(0, 2)),
        para("SingleTxt", "Second paragraph:", ppr=_numbered(0, 2)),
        para("SingleTxt", "sub a;", ppr=_numbered(1, 2)),
        para("SingleTxt", "sub b:", ppr=_numbered(1, 2)),
        para("SingleTxt", "sub-sub i.", ppr=_numbered(2, 2)),
        para("H1", "Section", ppr=_numbered(1, 1)),
        para("SingleTxt", "Third paragraph.", ppr=_numbered(0, 2)),
        para("HCh", "Conclusions", ppr=_numbered(0, 1)),
        para("SingleTxt", "Fourth paragraph:", ppr=_numbered(0, 2)),
        para("SingleTxt", "sub a again.", ppr=_numbered(1, 2)),
    ]
    return un_docx(path, blocks, numbering=NUMBERING)


def test_the_numbers_word_draws_are_written_as_the_document_shows_them(capsys, tmp_path):
    """Before, a heading's "I." and a sub-paragraph's "(a)" from Word numbering were lost
    (the report said "written as text", and they were not)."""
    docx = word_numbered(tmp_path / "numbered.docx")
    meta, report, source = round_trip(capsys, tmp_path, docx)
    assert "subtitle" not in meta  # an unnumbered heading is not taken for a subtitle
    assert (source / "body.md").read_text().split("\n\n") == [
        "# I. Introduction",
        "1. First paragraph.",
        "2. Second paragraph:",
        "(a) sub a;",
        "(b) sub b:",
        "(i) sub-sub i.",
        "## A. Section",
        "3. Third paragraph.",
        "# II. Conclusions",
        "4. Fourth paragraph:",
        "(a) sub a again.\n",
    ]
    labels = [i["text"] for i in report["items"] if i["what"] == "list numbering"]
    assert labels == ["I.", "(a)", "(b)", "(i)", "A.", "II.", "(a)"]


@pytest.mark.parametrize(
    ("n", "fmt", "text"),
    [
        (4, "upperRoman", "IV"),
        (14, "lowerRoman", "xiv"),
        (28, "lowerLetter", "bb"),
        (3, "decimalZero", "03"),
    ],
)
def test_word_number_formats(n, fmt, text):
    from pipeline.importer.numbering import format_number

    assert format_number(n, fmt) == text

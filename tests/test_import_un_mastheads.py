"""`unfolio import` of the masthead in the shapes UN files give it: in text boxes, with
broken lines, opening the body, without an organ, a joint letter's two session blocks side
by side, and the running heads of the other pages (the steps: test_import_un_documents.py)."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from tests.test_import_un_documents import round_trip
from tests.word_files import UNMasthead, cell, para, table, un_docx


def test_without_an_organ_in_the_header_the_session_and_agenda_are_still_read(capsys, tmp_path):
    """An organ the header does not name is a value to fill, not a guess; the session and
    agenda lines of the body are still read (before, they were dropped with the organ)."""
    docx = un_docx(
        tmp_path / "x.docx",
        [
            para("Session", "Eightieth session"),
            para("AgendaItemNormal", "Agenda item 72 (b)"),
            para("AgendaTitleH2", "Human rights questions"),
            para("TitleHCH", "A title"),
            para("SingleTxt", "1.\tText."),
        ],
        masthead=UNMasthead(organ="Some Other Body"),
    )
    code = main(["import", str(docx), "-o", str(tmp_path / "src"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert meta["organs"] == [
        {
            "organ": "[[TO FILL: organ]]",
            "session": 80,
            "agenda_items": [{"item": "72", "sub_item": "b", "title": "Human rights questions"}],
        }
    ]
    assert [i["what"] for i in report["items"] if i["kind"] == "to-fill"] == ["organs"]
    assert ("not-carried", "Some Other Body") in {(i["kind"], i["text"]) for i in report["items"]}
    assert main(["validate", str(tmp_path / "src")]) == 0
    assert "/organs/0/organ" in capsys.readouterr().err


# -- masthead variants: text boxes (older templates), line breaks in one cell ---------------


@pytest.mark.parametrize(
    "masthead",
    [
        UNMasthead(boxed=True),
        UNMasthead(lines=("Distr.: General\n7 April 2026\n\nOriginal: English",)),
    ],
    ids=["text boxes", "line breaks"],
)
def test_the_masthead_is_read_from_text_boxes_and_broken_lines(capsys, tmp_path, masthead):
    """Before, a text box's lines were read twice (and once more run together, from the
    paragraph holding the box), and lines broken inside one paragraph ran together, so the
    date, the distribution and the original language were left to fill."""
    docx = un_docx(
        tmp_path / "m.docx",
        [
            para("Session", "Eightieth session"),
            para("TitleHCH", "A title"),
            para("SingleTxt", "Text."),
        ],
        masthead=masthead,
    )
    meta, report, _ = round_trip(capsys, tmp_path, docx)
    assert (meta["date"], meta["distribution"], meta["original_languages"]) == (
        "2026-04-07",
        "general",
        ["en"],
    )
    assert meta["symbols"] == ["A/80/123"] and meta["organs"][0]["organ"] == "GA"
    assert [i for i in report["items"] if i["kind"] in ("to-fill", "not-carried")] == []
    labels = [i["text"] for i in report["items"] if i["what"] == "masthead label"]
    assert labels == ["United Nations"]


def test_a_body_masthead_with_broken_lines_is_read(capsys, tmp_path):
    """An older file without a first-page header: the masthead table opens the body, its
    distribution block one paragraph of broken lines (before: run together, not read)."""
    from tests.word_files import new_document, save

    document = new_document()
    table = document.add_table(2, 2)
    table.cell(0, 0).text = "United Nations"
    table.cell(0, 1).text = "A/80/777"
    table.cell(1, 0).text = "General Assembly"
    table.cell(1, 1).text = "Distr.: Limited\n3 March 2026\nOriginal: French"
    document.add_paragraph("Eightieth session", style="Session")
    document.add_paragraph("Body text.", style="SingleTxt")
    docx = save(document, tmp_path / "old.docx")
    assert main(["import", str(docx), "-o", str(tmp_path / "src")]) == 0
    capsys.readouterr()
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert (meta["distribution"], meta["date"], meta["original_languages"]) == (
        "limited",
        "2026-03-03",
        ["fr"],
    )


def test_a_running_head_line_that_is_no_field_is_reported(capsys, tmp_path):
    """Before, the headers and footers of the other pages were not read at all: an "Advance
    unedited version" line there was lost unsaid. Fields showing the symbol, the job number
    and the page number are unfolio's own running heads and feet."""
    docx = un_docx(
        tmp_path / "r.docx",
        [
            para("Session", "Eightieth session"),
            para("TitleHCH", "A title"),
            para("SingleTxt", "Text."),
        ],
        running=("Advance unedited version",),
    )
    _, report, _ = round_trip(capsys, tmp_path, docx)
    left = [(i["where"], i["text"]) for i in report["items"] if i["kind"] == "not-carried"]
    assert left == [("word/header2.xml (running header)", "Advance unedited version")]


# -- a joint General Assembly / Security Council letter ------------------------------------


@pytest.mark.parametrize("styled", [True, False], ids=["session styles", "plain lines"])
def test_a_joint_letter_reads_the_session_blocks_side_by_side(capsys, tmp_path, styled):
    """Identical letters to the Assembly and the Council: two symbols, two organs, and the
    session blocks in a two-column table. Before, the table ended the front matter: the
    session and the title were left to fill and the blocks became a table of the body, and
    the running head's joint symbol was reported as lost text."""

    def p(style: str, text: str) -> str:
        return para(style if styled else "Normal", text)

    front = table(
        [
            [
                cell(
                    p("Session", "General Assembly")
                    + p("Session", "Eightieth session")
                    + p("AgendaItemNormal", "Agenda item 34")
                ),
                cell(p("Session", "Security Council") + p("Session", "Eighty-first year")),
            ]
        ]
    )
    title = "Identical letters dated 3 March 2026 from the Permanent Representative of Testland"
    docx = un_docx(
        tmp_path / "joint.docx",
        [front, para("TitleHCH", "\t\t" + title), para("SingleTxt", "\tI have the honour.")],
        masthead=UNMasthead(
            symbol_rest="/80/123–S/2026/45", organ="General Assembly\nSecurity Council"
        ),
    )
    meta, report, source = round_trip(capsys, tmp_path, docx)
    assert meta["symbols"] == ["A/80/123", "S/2026/45"]
    assert meta["organs"] == [
        {"organ": "GA", "session": 80, "agenda_items": [{"item": "34"}]},
        {"organ": "SC", "year": 2026},
    ]
    assert meta["title"] == title
    assert (source / "body.md").read_text() == "I have the honour.\n"
    assert not [i for i in report["items"] if i["kind"] in ("not-carried", "to-fill")]

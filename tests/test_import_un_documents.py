"""`unfolio import` on Word files shaped like the UN's own, end to end as a user runs it:
import → validate → fill the values the report names → build → verify, and every text run of
the Word file is in the source folder or in the report, every block of the source in the PDF.

The files are written as raw WordprocessingML (tests/word_files.py, ``un_docx``) after the
UN's own (A/80/604/Add.1): the masthead in the first-page header, running heads of fields,
the document variables, the UN's style ids and names, hand-typed paragraph numbers."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.cli import main
from tests import pdf_paragraphs
from tests.test_import import _assert_no_text_dropped, _block_texts, _pdf_text
from tests.word_files import (
    UNMasthead,
    cell,
    comment_on,
    deleted,
    field,
    hyperlink,
    inserted,
    note_ref,
    page_break_run,
    para,
    picture,
    run,
    simple_field,
    table,
    text_box,
    un_docx,
)

FILL = {  # what a user types for each value the report says is still to fill
    "date": "2026-04-07",
    "job_number": "26-01234",
    "title": "A title typed by the user",
    "distribution": "general",
    "session": 80,
}


def _fill(value, key: str = ""):
    if isinstance(value, dict):
        return {k: _fill(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, key) for v in value]
    if isinstance(value, str) and ("[[TO FILL" in value or value == "00-00000"):
        return FILL.get(key, "filled")
    return value


def round_trip(capsys, tmp_path: Path, docx: Path) -> tuple[dict, dict, Path]:
    """Run the user's steps; return document.json, the report and the bag's PDF."""
    source, bags, report_file = tmp_path / "src", tmp_path / "bags", tmp_path / "import.json"
    code = main(["import", str(docx), "-o", str(source), "--report", str(report_file)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    report = json.loads(report_file.read_text())
    _assert_no_text_dropped(docx, source, report)
    code = main(["validate", str(source)])
    out, err = capsys.readouterr()
    assert code == 0, err
    meta_file = source / "document.json"
    meta = json.loads(meta_file.read_text())
    to_fill = [i for i in report["items"] if i["kind"] == "to-fill"]
    if to_fill:
        meta = _fill(meta)
        meta_file.write_text(json.dumps(meta, ensure_ascii=False, indent=2))
        for part in source.glob("*.md"):
            text = part.read_text(encoding="utf-8")
            part.write_text(text.replace("[[TO FILL: body text]]", "Filled."), encoding="utf-8")
    code = main(["build", str(source), "-o", str(bags), "--executor", "inline"])
    out, err = capsys.readouterr()
    assert code == 0, err
    (bag,) = [p for p in bags.iterdir() if p.is_dir()]
    code = main(["verify", str(bag)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    (pdf,) = bag.glob("data/objects/*.pdf")
    printed = _pdf_text(pdf)
    missing = [t for t in _block_texts(source) if pdf_paragraphs.normalise(t) not in printed]
    assert missing == [], missing[:5]
    return meta, report, source


# -- (1) a report of the Secretary-General ------------------------------------------------

SUB = '<w:ind w:left="1742" w:right="1267" w:hanging="475"/>'


def sg_report(path: Path) -> Path:
    """Front matter, a Summary box, HCh…H56 headings (a note in one), numbered paragraphs
    with (a) (b) (i) sub-paragraphs, bullets, notes with links, a cross-reference field, a
    tracked change, a comment, a picture, a text box, an annex with a table."""
    blocks = [
        para("SingleTxt", comment_on(0), ppr='<w:spacing w:after="0"/>'),
        para("Session", "Eightieth session "),
        para("AgendaItemNormal", "Agenda item 72 (b)"),
        para(
            "AgendaTitleH2",
            "Promotion and protection of human rights: human rights questions, including "
            "alternative approaches",
        ),
        para("SingleTxt", ppr='<w:spacing w:after="0" w:line="120" w:lineRule="exact"/>'),
        para("TitleHCH", "\t\tSafety of test documents"),
        para("TitleH1", "\t\tReport of the Secretary-General"),
        table(
            [
                [
                    cell(
                        para("SingleTxt", run("Summary", b=True), ppr='<w:jc w:val="center"/>')
                        + para(
                            "SingleTxt",
                            "\tThe present report, submitted pursuant to General Assembly "
                            "resolution 79/175, describes the measures taken.",
                        )
                        + para("SingleTxt", "\tIt ends with recommendations.")
                    )
                ]
            ]
        ),
        para("SingleTxt", page_break_run()),
        para("HCh", "\tI.\tIntroduction", note_ref(1)),
        para(
            "SingleTxt",
            "1.\tThe present report is submitted pursuant to General Assembly resolution ",
            hyperlink("rIdL1", "79/175"),
            ", in which the Assembly requested a report.",
            note_ref(2),
        ),
        para(
            "SingleTxt",
            "2.\tAs set out in paragraph ",
            field("REF _Ref12345 \\r \\h", "12"),
            " below, the measures (see ",
            run("A/79/300", i=True),
            ") are ",
            run("ongoing", b=True),
            ".",
        ),
        para("H1", "\tA.\tBackground"),
        para("SingleTxt", "3.\tThe Secretary-General notes that:"),
        para("SingleTxt", "\t(a)\tMember States have reported progress;", ppr=SUB),
        para("SingleTxt", "\t(b)\tThe following remain:", ppr=SUB),
        para("SingleTxt", "\t\t(i)\tFunding gaps;", ppr=SUB),
        para("SingleTxt", "\t\t(ii)\tStaffing gaps; and", ppr=SUB),
        para("SingleTxt", "\t(c)\tFurther work is needed.", ppr=SUB),
        para("Bullet1", "•\tA first point in a bulleted list;"),
        para("Bullet1", "•\tA second point."),
        para("Bullet2", "–\tA point one level down."),
        para("H23", "\t1.\tMeasures taken at Headquarters"),
        para(
            "SingleTxt",
            "4.\tThe Office ",
            deleted("has not "),
            inserted("has "),
            "revised its guidance",
            comment_on(1, run(" in 2025")),
            ".",
        ),
        para("H4", "\t\tRegional measures"),
        para("SingleTxt", "5.\tFigure I shows the trend.", picture("rIdImg1", "Chart of trends")),
        para("H56", "\t\tIn the field"),
        para("SingleTxt", "6.\tA paragraph beside a text box.", text_box("Box: key figures")),
        para(
            "SingleTxt",
            "7.\tA line broken by hand\nand continued; page ",
            simple_field("PAGE", "3"),
            " of the printed text.",
        ),
        para("HCh", "\tII.\tRecommendations"),
        para(
            "SingleTxt",
            "8.\t",
            run("The General Assembly may wish to:", b=True),
        ),
        para("SingleTxt", "\t(a)\tTake note of the present report;", ppr=SUB),
        para("SingleTxt", "\t(b)\tEncourage Member States to act.", ppr=SUB),
        para("SingleTxt", page_break_run()),
        para("HCh", "Annex"),
        para("H1", "\t\tContributions received"),
        table(
            [
                [cell("State", shade=True), cell("Date received", shade=True)],
                ["Argentina", "3 March 2026"],
                ["Côte d’Ivoire", "14 March 2026"],
            ],
            header_rows=1,
        ),
    ]
    return un_docx(
        path,
        blocks,
        masthead=UNMasthead(symbol_rest="/80/123", job_line="26-01234 (E)    150426"),
        footnotes={
            1: "The present report was submitted after the deadline.",
            2: [
                run("See ") + hyperlink("rIdL2", "https://undocs.org/A/RES/79/175") + run("."),
                "A second paragraph of the same note.",
            ],
        },
        comments={0: "Job number 26-01234", 1: "Check the year"},
        links={
            "rIdL1": "https://docs.un.org/en/A/RES/79/175",
            "rIdL2": "https://undocs.org/A/RES/79/175",
        },
        images=("rIdImg1",),
        doc_vars={"Symbol1": "A/80/123", "FooterJN": "26-01234", "DutyStation": "New York"},
    )


def test_a_report_of_the_secretary_general_imports_builds_and_verifies(capsys, tmp_path):
    docx = sg_report(tmp_path / "sg.docx")
    meta, report, source = round_trip(capsys, tmp_path, docx)
    assert meta["symbols"] == ["A/80/123"] and meta["job_number"] == "26-01234"
    assert meta["organs"][0]["agenda_items"][0]["item"] == "72"
    assert (meta["title"], meta["subtitle"]) == (
        "Safety of test documents",
        "Report of the Secretary-General",
    )
    assert [p.get("title") for p in meta["parts"]] == [None, "Contributions received"]
    body = (source / "body.md").read_text()
    assert body.startswith("**Summary**\\\nThe present report")  # the box: its lines
    assert "# I. Introduction[^1]" in body and "##### In the field" in body
    assert "(a) Member States have reported progress;" in body
    assert "- A first point" in body and "  - A point one level down." in body
    assert "8. **The General Assembly may wish to:**" in body
    left = {(i["what"], i["text"]) for i in report["items"] if i["kind"] == "not-carried"}
    assert left == {
        ("tracked change", "has not "),
        ("image", "Chart of trends"),
        ("text box", "Box: key figures"),
        ("comment", "Job number 26-01234"),
        ("comment", "Check the year"),
    }

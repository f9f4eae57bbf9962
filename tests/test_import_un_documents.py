"""`unfolio import` on Word files shaped like the UN's own, end to end as a user runs it:
import → validate → fill the values the report names → build → verify, and every text run of
the Word file is in the source folder or in the report, every block of the source in the PDF.

The files are written as raw WordprocessingML (tests/word_files.py, ``un_docx``) after the
UN's own (A/80/604/Add.1): the masthead in the first-page header, running heads of fields,
the document variables, the UN's style ids and names, hand-typed paragraph numbers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

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
    section_break,
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
    to_fill = [i for i in report["items"] if i["kind"] == "to-fill"]
    for part in source.glob("*.md"):  # a character the fonts lack: validate refuses it too
        text = part.read_text(encoding="utf-8")
        for item in to_fill:
            if item["what"] == "character" and item["where"].startswith(part.name + ","):
                text = text.replace(item["text"], "(mark)")
        part.write_text(text, encoding="utf-8")
    code = main(["validate", str(source)])
    out, err = capsys.readouterr()
    assert code == 0, err
    meta_file = source / "document.json"
    meta = json.loads(meta_file.read_text())
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
    if meta["language"] == "ar":
        # pdfplumber reads Arabic in visual order: each block's letters, counted, are on the
        # pages (the order is verify's PDF-TEXT-EXACT check, passed above)
        have = Counter("".join(printed.split()))
        missing = [t for t in _block_texts(source) if Counter("".join(t.split())) - have]
    else:
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
    # the box: its paragraphs, one by one, as the UN prints them (before: one block of lines)
    assert body.startswith(
        "**Summary**\n\nThe present report, submitted pursuant to General Assembly resolution "
        "79/175, describes the measures taken.\n\nIt ends with recommendations.\n\n# I."
    )
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


# -- (2) a budget with a table-heavy annex and a second annex -----------------------------

NB = "\u00a0"


def _resource_rows(count: int) -> list[list[str]]:
    rows = []
    for k in range(count):
        rows.append(
            [
                cell(f"Office {k + 1}", vmerge="restart")
                if k % 3 == 0
                else cell("", vmerge="continue"),
                f"Post group {k + 1}",
                f"{k + 1}",
                f"{k + 2}",
                "–" if k % 4 == 0 else f"{k % 3}",
                f"{1000 + 17 * k:,}".replace(",", NB) + ".4",
                f"({k}.5)" if k % 2 else f"{k}.5",
            ]
        )
    return rows


def budget(path: Path, *, landscape: bool = True) -> Path:
    """A budget: a contents table with page fields, a resources table with a two-row merged
    header, a total row and a notes row, a note called from a cell; annex I in a landscape
    section, a 40-row table whose head repeats, a group row across the table in its middle;
    annex II, a table of recommendations with several paragraphs in a cell."""
    header = [
        [
            cell("Category", vmerge="restart", shade=True),
            cell("Expenditures (2024/25)", shade=True),
            cell("Apportionment (2025/26)", shade=True),
            cell("Cost estimates (2026/27)", shade=True),
            cell("Variance", span=2, shade=True),
        ],
        [
            cell("", vmerge="continue"),
            "(1)",
            "(2)",
            "(3)",
            "Amount\n(4)=(3)–(2)",
            "Percentage\n(5)=(4)÷(2)",
        ],
    ]
    money = [
        [
            cell(para("SingleTxt", "Military observers", note_ref(3))),
            "1 234.5",
            "1 300.0",
            "1 410.2",
            "110.2",
            "8.5",
        ],
        ["Military contingents", "48 020.1", "49 511.7", "50 002.9", "491.2", "1.0"],
        ["Civilian police", "–", "–", "–", "–", "–"],
        [
            cell(para("SingleTxt", run("Total", b=True))),
            cell(para("SingleTxt", run("49 254.6", b=True))),
            "50 811.7",
            "51 413.1",
            "601.4",
            "1.2",
        ],
        [
            cell(
                para(
                    "SingleTxt",
                    run("a", rpr='<w:vertAlign w:val="superscript"/>'),
                    "\tInclusive of the provision for 2 observers.",
                ),
                span=6,
            )
        ],
    ]
    annex_rows = [
        [
            cell("Office", shade=True),
            cell("Post", shade=True),
            cell("Approved 2025/26", shade=True),
            cell("Proposed 2026/27", shade=True),
            cell("Change", shade=True),
            cell("Cost", shade=True),
            cell("Variance", shade=True),
        ]
    ]
    rows = _resource_rows(40)
    rows.insert(21, [cell(para("SingleTxt", run("Component 2: support", b=True)), span=7)])
    annex_rows += rows
    blocks = [
        para("Session", "Eightieth session"),
        para("AgendaItemNormal", "Agenda item 150"),
        para("AgendaTitleH2", "Financing of the United Nations Test Force"),
        para(
            "TitleHCH",
            f"\t\tBudget for the United Nations Test Force for the period from 1{NB}July 2026 "
            f"to 30{NB}June 2027",
        ),
        para("TitleH1", "\t\tReport of the Secretary-General"),
        para("SingleTxt", run("Contents", b=True)),
        table(
            [
                ["", cell(para("SingleTxt", run("Page", i=True), ppr='<w:jc w:val="right"/>'))],
                [
                    cell(
                        para(
                            "SingleTxt",
                            '<w:hyperlink w:anchor="_Toc1" w:history="1">'
                            + run("I.\tMandate and planned results")
                            + "</w:hyperlink>",
                        )
                    ),
                    cell(para("SingleTxt", field("PAGEREF _Toc1 \\h", "3"))),
                ],
                [
                    "II.\tFinancial resources",
                    cell(para("SingleTxt", field("PAGEREF _Toc2 \\h", "5"))),
                ],
                ["Annexes", ""],
                ["I.\tHuman resources", "9"],
                ["II.\tFollow-up action", "12"],
            ]
        ),
        para("SingleTxt", page_break_run()),
        para(
            "HCh",
            '<w:bookmarkStart w:id="1" w:name="_Toc1"/>',
            "\tI.\tMandate and planned results",
            '<w:bookmarkEnd w:id="1"/>',
        ),
        para(
            "SingleTxt",
            "1.\tThe mandate of the Force was established by the Security Council in its "
            "resolution 350 (1974).",
            note_ref(1),
        ),
        para(
            "SingleTxt",
            "2.\tThe Force will continue to pursue its objective (see table 1).",
            note_ref(2),
        ),
        para("HCh", "\tII.\tFinancial resources"),
        para("H4", "\t\tTable 1\n\t\tFinancial resources"),
        para("SingleTxt", run("(Thousands of United States dollars)", i=True)),
        table(header + money, header_rows=2),
        para("SingleTxt", "3.\tThe variance is explained in annex I."),
        section_break(),  # the landscape section starts on a new page
        para("HCh", "Annex I"),
        para("H1", "\t\tHuman resources by office"),
        table(annex_rows, header_rows=1),
        section_break(landscape=landscape),
        para("HCh", "Annex II"),
        para(
            "H1",
            "\t\tFollow-up action taken to implement the requests of the General Assembly",
            note_ref(4),
        ),
        table(
            [
                [
                    cell("Brief description of the recommendation", shade=True),
                    cell("Action taken to implement the recommendation", shade=True),
                ],
                [
                    cell(
                        para(
                            "SingleTxt",
                            "The Advisory Committee trusts that an update will be provided "
                            "(A/79/5, para. 12).",
                        )
                    ),
                    cell(
                        para("SingleTxt", "The Force has taken the following steps:")
                        + para("Bullet1", "•\tit reviewed its fleet;")
                        + para("Bullet1", "•\tit reduced its fuel use.")
                        + para("SingleTxt", "An update will be given in the next report.")
                    ),
                ],
                [
                    cell(para("SingleTxt", "The Committee requests a review of posts.")),
                    cell(
                        table([["Posts reviewed", "12"], ["Posts abolished", "3"]])
                        + para("SingleTxt", "The review was completed.")
                    ),
                ],
            ],
            header_rows=1,
        ),
    ]
    return un_docx(
        path,
        blocks,
        masthead=UNMasthead(
            symbol_rest="/80/700",
            lines=("Distr.: General", "12 February 2026", "", "Original: English"),
            job_line="26-02345 (E)    200226",
            barcode="*2602345*",
        ),
        footnotes={
            1: "See Security Council resolution 350 (1974).",
            2: "A/79/600.",
            3: "Inclusive of the provision for observers on temporary duty.",
            4: run("General Assembly resolution ") + run("79/290", i=True) + run("."),
        },
        doc_vars={"Symbol1": "A/80/700", "FooterJN": "26-02345"},
    )


def test_a_budget_with_table_heavy_annexes_imports_builds_and_verifies(capsys, tmp_path):
    docx = budget(tmp_path / "budget.docx")
    meta, report, source = round_trip(capsys, tmp_path, docx)
    assert [(p["kind"], p.get("heading"), p.get("title")) for p in meta["parts"]] == [
        ("main", None, None),
        ("annex", "Annex I", "Human resources by office"),
        ("annex", "Annex II", None),  # its title calls a note: kept as the part's heading
    ]
    body = (source / "body.md").read_text()
    assert "| I. Mandate and planned results | 3 |" in body  # contents: the pages Word showed
    assert (
        "| Category | Expenditures (2024/25) (1) | Apportionment (2025/26) (2) | Cost estimates "
        "(2026/27) (3) | Variance Amount (4)=(3)–(2) | Percentage (5)=(4)÷(2) |" in body
    )
    assert "| Military observers[^3] | 1 234.5 |" in body
    assert "\n\na Inclusive of the provision for 2 observers.\n" in body  # the notes row
    annex = (source / "annex-1.md").read_text().splitlines()
    assert len([line for line in annex if line.startswith("| ")]) == 1 + 41  # head + rows
    assert "| **Component 2: support** |  |  |  |  |  |  |" in annex
    annex2 = (source / "annex-2.md").read_text()
    assert annex2.startswith("# Follow-up action taken to implement the requests of the General")
    assert "• it reviewed its fleet; • it reduced its fuel use." in annex2
    changed = {i["what"] for i in report["items"] if i["kind"] == "changed"}
    assert {"table header", "table notes", "merged cells", "page orientation", "field"} <= changed
    (orientation,) = [i for i in report["items"] if i["what"] == "page orientation"]
    assert "paragraph" in orientation["where"]


def test_a_portrait_budget_reports_no_page_orientation(capsys, tmp_path):
    docx = budget(tmp_path / "budget.docx", landscape=False)
    code = main(["import", str(docx), "-o", str(tmp_path / "src"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    report = json.loads(out)  # standard output is the report alone; the summary is on stderr
    assert "wrote " in err
    assert not [i for i in report["items"] if i["what"] == "page orientation"]


# -- a Geneva (UNOG) file: styles ending in G, the session block in plain paragraphs --------

GENEVA_STYLES = {
    "HChG": ("_ H _Ch_G", None, '<w:keepNext/><w:spacing w:before="360" w:after="240"/>'),
    "H1G": ("_ H_1_G", None, '<w:keepNext/><w:spacing w:before="360" w:after="240"/>'),
    "H23G": ("_ H_2/3_G", None, "<w:keepNext/>"),
    "SingleTxtG": ("_ Single Txt_G", None, '<w:ind w:left="1134" w:right="1134"/>'),
    "ParaNoG": (
        "_ ParaNo._G",
        "SingleTxtG",
        '<w:numPr><w:numId w:val="1"/></w:numPr><w:tabs><w:tab w:val="num" w:pos="1701"/></w:tabs>',
    ),
    "Bullet1G": (
        "_Bullet 1_G",
        "SingleTxtG",
        '<w:numPr><w:numId w:val="2"/></w:numPr>',
    ),
}
GENEVA_NUMBERING = (
    '<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
    '<w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>'
    '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
    '<w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl></w:abstractNum>'
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
)


def geneva_report(path: Path) -> Path:
    bold = "<w:rPr><w:b/></w:rPr>"
    blocks = [
        para("Normal", run("Human Rights Council", b=True), ppr=bold),
        para("Normal", run("Working Group on the Universal Periodic Review", b=True)),
        para("Normal", run("Forty-ninth session", b=True)),
        para("Normal", "26 January–6 February 2026"),
        para("Normal", "Agenda item 6"),
        para("Normal", "Review of test documents"),
        para("HChG", "\t\tSituation of human rights in Testland"),
        para("H1G", "\t\tReport of the Office of the United Nations High Commissioner"),
        para("HChG", "\tI.\tBackground"),
        para("ParaNoG", "The present report is a compilation of information.", note_ref(1)),
        para("ParaNoG", "It follows the structure of the general guidelines."),
        para("Bullet1G", "A first point;"),
        para("Bullet1G", "A second point."),
        para("H1G", "\tA.\tScope of international obligations"),
        para("ParaNoG", "The Committee recommended that Testland ratify the Convention."),
    ]
    return un_docx(
        path,
        blocks,
        masthead=UNMasthead(
            symbol_rest="/HRC/WG.6/49/TST/1",
            lines=("Distr.: General", "12 November 2025", "", "Original: English"),
            job_line="GE.25-18123(E)",
            barcode="*2518123*",
        ),
        footnotes={1: "A/HRC/49/1."},
        styles=GENEVA_STYLES,
        numbering=GENEVA_NUMBERING,
    )


def test_a_geneva_report_reads_its_session_block_and_styles(capsys, tmp_path):
    docx = geneva_report(tmp_path / "geneva.docx")
    meta, report, source = round_trip(capsys, tmp_path, docx)
    assert meta["organs"] == [
        {
            "organ": "HRC",
            "session": 49,
            "body": "Working Group on the Universal Periodic Review",
            "meeting_dates": {"from": "2026-01-26", "to": "2026-02-06"},
            "agenda_items": [{"item": "6", "title": "Review of test documents"}],
        }
    ]
    assert meta["title"] == "Situation of human rights in Testland"
    assert meta["subtitle"] == "Report of the Office of the United Nations High Commissioner"
    assert meta["job_number"] == "GE.25-18123" and meta["duty_station"] == "geneva"
    body = (source / "body.md").read_text()
    assert body.startswith("# I. Background\n\n1. The present report is a compilation")
    assert "2. It follows" in body and "- A first point;" in body and "3. The Committee" in body
    guessed = [i["text"] for i in report["items"] if i["what"] == "front matter"]
    assert guessed == [
        "Working Group on the Universal Periodic Review",
        "Forty-ninth session",
        "26 January–6 February 2026",
        "Agenda item 6",
        "Review of test documents",
        "Situation of human rights in Testland",
        "Report of the Office of the United Nations High Commissioner",
    ]


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("4–15 November 2019", ("2019-11-04", "2019-11-15")),
        ("26 January–6 February 2026", ("2026-01-26", "2026-02-06")),
        ("26 January 2026–6 February 2026", ("2026-01-26", "2026-02-06")),
        ("4 a 15 de noviembre de 2019", ("2019-11-04", "2019-11-15")),
        ("15–4 November 2019", None),
        ("Item 4–15 of the list 2019", None),
    ],
)
def test_meeting_dates_are_read_as_the_session_block_writes_them(text, dates):
    from pipeline.importer import masthead

    got = masthead.parse_date_range(text)
    assert (tuple(d.isoformat() for d in got) if got else None) == dates


# -- a draft resolution: the sponsors line, preamble and operative paragraphs --------------


def draft_resolution(path: Path, *, symbol_rest: str = "/C.2/80/L.9") -> Path:
    blocks = [
        para("Session", "Eightieth session"),
        para("AgendaItemNormal", "Agenda item 18"),
        para("AgendaTitleH2", "Macroeconomic policy questions"),
        para("Sponsors", "\t\tTestland:", note_ref(1), " draft resolution"),
        para("TitleHCH", "\t\tInternational trade and development"),
        para("SingleTxt", "\t", run("The General Assembly", i=True), ","),
        para("SingleTxt", "\t", run("Recalling", i=True), " its resolution 79/1,"),
        para("SingleTxt", "\t1.\t", run("Decides", i=True), " to continue;"),
        para("SingleTxt", "\t2.\t", run("Requests", i=True), " a report."),
    ]
    return un_docx(
        path,
        blocks,
        masthead=UNMasthead(
            symbol_rest=symbol_rest,
            lines=("Distr.: Limited", "9 October 2025", "", "Original: English"),
        ),
        footnotes={1: "On behalf of the Group of Test States."},
        styles={"Sponsors": ("Sponsors", None, "")},
    )


def test_a_draft_resolution_reads_its_sponsors_line(capsys, tmp_path):
    """Before, the sponsors line ended the front matter: the title stayed a heading of the
    body and was a value to fill."""
    docx = draft_resolution(tmp_path / "draft.docx")
    meta, _, source = round_trip(capsys, tmp_path, docx)
    assert meta["distribution"] == "limited"
    assert meta["sponsors"] == {
        "names": "Testland",
        "note": "On behalf of the Group of Test States.",
    }
    assert meta["title"] == "International trade and development"
    assert (source / "body.md").read_text().split("\n\n") == [
        "*The General Assembly*,",
        "*Recalling* its resolution 79/1,",
        "1. *Decides* to continue;",
        "2. *Requests* a report.\n",
    ]


def test_a_sponsors_line_outside_a_draft_is_reported_not_kept(capsys, tmp_path):
    docx = draft_resolution(tmp_path / "draft.docx", symbol_rest="/80/9")
    assert main(["import", str(docx), "-o", str(tmp_path / "src"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert "sponsors" not in meta
    left = {(i["what"], i["text"]) for i in report["items"] if i["kind"] == "not-carried"}
    assert ("sponsors line", "Testland: draft resolution") in left
    assert ("sponsors_note", "On behalf of the Group of Test States.") in left
    assert main(["validate", str(tmp_path / "src")]) == 0


# -- a Security Council letter with an annex and an enclosure ------------------------------


def test_a_security_council_letter_with_annex_and_enclosure(capsys, tmp_path):
    right = '<w:jc w:val="right"/>'
    letter = (
        "Letter dated 3 March 2026 from the Permanent Representative of Testland to the "
        "United Nations addressed to the Secretary-General"
    )
    blocks = [
        para("TitleHCH", "\t\t" + letter),
        para("SingleTxt", "\tI have the honour to transmit a statement (see annex)."),
        para(
            "SingleTxt", run("(Signed)", i=True), " Jane ", run("Doe", rpr="<w:caps/>"), ppr=right
        ),
        para("SingleTxt", "Permanent Representative", ppr=right),
        para("SingleTxt", page_break_run()),
        para(
            "SingleTxt",
            "\t\tAnnex to the letter dated 3 March 2026 from the Permanent Representative",
        ),
        para("SingleTxt", "[Original: French]"),
        para("H1", "\t\tStatement by the Ministry of Foreign Affairs"),
        para("SingleTxt", "\tThe Ministry welcomes the decision."),
        para("SingleTxt", "Enclosure", ppr="<w:pageBreakBefore/>"),
        para("H1", "\t\tList of participants"),
        para("SingleTxt", "\tA list."),
    ]
    docx = un_docx(
        tmp_path / "letter.docx",
        blocks,
        masthead=UNMasthead(
            symbol_prefix="S",
            symbol_rest="/2026/145",
            organ="Security Council",
            lines=("Distr.: General", "4 March 2026", "", "Original: English"),
        ),
    )
    meta, _, source = round_trip(capsys, tmp_path, docx)
    assert meta["organs"] == [{"organ": "SC", "year": 2026}] and meta["title"] == letter
    assert [(p["kind"], p.get("original_language"), p.get("title")) for p in meta["parts"]] == [
        ("main", None, None),
        ("annex", "fr", "Statement by the Ministry of Foreign Affairs"),
        ("enclosure", None, "List of participants"),
    ]
    assert "*(Signed)* Jane DOE" in (source / "body.md").read_text()


def test_a_long_report_with_many_tables_of_one_head_builds_in_time(capsys, tmp_path):
    """900 numbered paragraphs and 30 tables with the same head, 57 pages: the exact-text
    gate searched which pages repeat which head by trying every combination, and took 191 s
    here (past --timeout 90); it remembers the states it has refuted now (about 8 s)."""
    blocks = [para("Session", "Eightieth session"), para("TitleHCH", "A long report")]
    for chapter in range(30):
        blocks.append(para("HCh", f"\t{chapter + 1}.\tChapter {chapter + 1}"))
        for k in range(30):
            blocks.append(
                para(
                    "SingleTxt",
                    f"{chapter * 30 + k + 1}.\tParagraph text of some length that goes on for "
                    f"a while to fill a line or two of the page, about resolution {k}.",
                )
            )
        rows = [[f"Row {r}", str(r), str(r + 1)] for r in range(15)]
        blocks.append(table([["Item", "2025", "2026"], *rows], header_rows=1))
    docx = un_docx(tmp_path / "long.docx", blocks)
    assert main(["import", str(docx), "-o", str(tmp_path / "src")]) == 0
    code = main(
        [
            "build",
            str(tmp_path / "src"),
            "-o",
            str(tmp_path / "bags"),
            "--executor",
            "inline",
            "--timeout",
            "90",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    (bag,) = (tmp_path / "bags").iterdir()
    assert main(["verify", str(bag)]) == 0

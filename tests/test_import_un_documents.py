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


# -- (3) (4) the same report in French, Spanish, Russian, Arabic and Chinese ---------------
#
# The strings as the UN's versions print them (../shared/un-locale.json), typed here as a
# translator's file holds them: French no-break spaces before ":" and "1er", the typographic
# apostrophe, the English distribution block of the Russian, Arabic and Chinese mastheads with
# the version's language line, the Chinese organ spaced with an ideographic space.

LANGUAGES = {
    "fr": dict(
        un="Nations Unies",
        organ="Assemblée générale",
        lines=("Distr. générale", "1er avril 2026", "", "Français", f"Original{NB}: anglais"),
        letter="F",
        session="Quatre-vingtième session",
        agenda="Point 72 b) de l’ordre du jour",
        agenda_title="Promotion et protection des droits humains",
        title="Sécurité des documents d’essai",
        subtitle="Rapport du Secrétaire général",
        summary="Résumé",
        summary_text="Le présent rapport est soumis en application de la résolution 79/175.",
        h1="I.\tIntroduction",
        h2="A.\tContexte",
        paragraphs=(
            f"1.\tLe Secrétaire général rappelle que «{NB}la sécurité{NB}» est essentielle{NB};",
            "2.\tL’Assemblée générale est invitée à prendre note du rapport.",
        ),
        sub=("\ta)\tLes États Membres ont progressé;", "\tb)\tD’autres mesures sont requises."),
        note="Voir A/79/300, par.\u00a012.",
        annex="Annexe",
        original=f"[Original{NB}: anglais]",
        annex_title="Contributions reçues",
        annex_text="Le texte de l’annexe.",
    ),
    "es": dict(
        un="Naciones Unidas",
        organ="Asamblea General",
        lines=("Distr. general", "1 de abril de 2026", "", "Español", "Original: inglés"),
        letter="S",
        session="Octogésimo período de sesiones",
        agenda="Tema 72 b) del programa",
        agenda_title="Promoción y protección de los derechos humanos",
        title="Seguridad de los documentos de prueba",
        subtitle="Informe del Secretario General",
        summary="Resumen",
        summary_text="El presente informe se presenta en cumplimiento de la resolución 79/175.",
        h1="I.\tIntroducción",
        h2="A.\tAntecedentes",
        paragraphs=(
            "1.\tEl Secretario General recuerda que la seguridad es esencial; ¿quién lo duda?",
            "2.\tSe invita a la Asamblea General a que tome nota del informe.",
        ),
        sub=("\ta)\tLos Estados Miembros han avanzado;", "\tb)\tSe necesitan otras medidas."),
        note="Véase A/79/300, párr. 12.",
        annex="Anexo",
        original="[Original: inglés]",
        annex_title="Contribuciones recibidas",
        annex_text="El texto del anexo.",
    ),
    "ru": dict(
        un="Организация Объединенных Наций",
        organ="Генеральная Ассамблея",
        lines=("Distr.: General", "1 April 2026", "", "Russian", "Original: English"),
        letter="R",
        session="Восьмидесятая сессия",
        agenda="Пункт 72 (b) повестки дня",
        agenda_title="Поощрение и защита прав человека",
        title="Безопасность тестовых документов",
        subtitle="Доклад Генерального секретаря",
        summary="Резюме",
        summary_text="Настоящий доклад представляется в соответствии с резолюцией 79/175.",
        h1="I.\tВведение",
        h2="A.\tСправочная информация",
        paragraphs=(
            "1.\tГенеральный секретарь напоминает, что «безопасность» имеет важное значение.",
            "2.\tГенеральной Ассамблее предлагается принять к сведению доклад.",
        ),
        sub=("\ta)\tгосударства-члены добились прогресса;", "\tb)\tнеобходимы другие меры."),
        note="См. A/79/300, п. 12.",
        annex="Приложение",
        original="[Подлинный текст на английском языке]",
        annex_title="Полученные взносы",
        annex_text="Текст приложения.",
    ),
    "ar": dict(
        un="الأمم المتحدة",
        organ="الجمعية العامة",
        lines=("Distr.: General", "1 April 2026", "", "Arabic", "Original: English"),
        letter="A",
        session="الدورة الثمانون",
        agenda="البند 72 (ب) من جدول الأعمال",
        agenda_title="تعزيز حقوق الإنسان وحمايتها",
        title="سلامة وثائق الاختبار",
        subtitle="تقرير الأمين العام",
        summary="موجز",
        summary_text="يقدَّم هذا التقرير عملا بالقرار 79/175.",
        h1="أولا -\tمقدمة",
        h2="ألف -\tمعلومات أساسية",
        paragraphs=(
            "1 -\tيشير الأمين العام إلى أن السلامة أمر أساسي.",
            "2 -\tالجمعية العامة مدعوة إلى الإحاطة علما بالتقرير.",
        ),
        sub=("\t(أ)\tأحرزت الدول الأعضاء تقدما؛", "\t(ب)\tيلزم اتخاذ تدابير أخرى."),
        note="انظر A/79/300، الفقرة 12.",
        annex="المرفق",
        original="[الأصل: بالإنكليزية]",
        annex_title="التبرعات الواردة",
        annex_text="نص المرفق.",
    ),
    "zh": dict(
        un="联合国",
        organ="大\u3000会",
        lines=("Distr.: General", "1 April 2026", "", "Chinese", "Original: English"),
        letter="C",
        session="第八十届会议",
        agenda="议程项目72(b)",
        agenda_title="促进和保护人权",
        title="测试文件的安全",
        subtitle="秘书长的报告",
        summary="摘要",
        summary_text="本报告是根据第79/175号决议提交的。",
        h1="一.\t导言",
        h2="A.\t背景",
        paragraphs=("1.\t秘书长回顾，安全至关重要。", "2.\t请大会注意本报告。"),
        sub=("\t(a)\t会员国取得了进展；", "\t(b)\t需要采取其他措施。"),
        note="见A/79/300，第12段。",
        annex="附件",
        original="[原件：英文]",
        annex_title="收到的捐款",
        annex_text="附件案文。",
    ),
}


def translated_report(path: Path, language: str) -> Path:
    s = LANGUAGES[language]
    rtl = language == "ar"

    def p(style: str, *runs: str, ppr: str = "") -> str:
        if rtl:  # an Arabic paragraph: right to left, its runs marked so
            ppr = "<w:bidi/>" + ppr
            runs = tuple(run(r, rtl=True) if not r.startswith("<") else r for r in runs)
        return para(style, *runs, ppr=ppr)

    blocks = [
        p("Session", s["session"]),
        p("AgendaItemNormal", s["agenda"]),
        p("AgendaTitleH2", s["agenda_title"]),
        p("TitleHCH", "\t\t" + s["title"]),
        p("TitleH1", "\t\t" + s["subtitle"]),
        table(
            [
                [
                    cell(
                        p("SingleTxt", run(s["summary"], b=True, rtl=rtl))
                        + p("SingleTxt", "\t" + s["summary_text"])
                    )
                ]
            ]
        ),
        p("SingleTxt", page_break_run()),
        p("HCh", "\t" + s["h1"]),
        p("SingleTxt", s["paragraphs"][0], note_ref(1)),
        p("H1", "\t" + s["h2"]),
        p("SingleTxt", s["paragraphs"][1]),
        *(p("SingleTxt", line, ppr=SUB) for line in s["sub"]),
        p("SingleTxt", page_break_run()),
        p("HCh", s["annex"]),
        p("SingleTxt", s["original"]),
        p("H1", "\t\t" + s["annex_title"]),
        p("SingleTxt", s["annex_text"]),
    ]
    return un_docx(
        path,
        blocks,
        masthead=UNMasthead(
            united_nations=s["un"],
            organ=s["organ"],
            lines=s["lines"],
            job_line=f"26-01234 ({s['letter']})    150426    160426",
            rtl=rtl,
        ),
        footnotes={1: s["note"]},
        lang={"zh": "zh-CN", "ar": "ar-SA"}.get(language, f"{language}-{language.upper()}"),
        bidi=rtl,
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_translated_report_imports_builds_and_verifies(capsys, tmp_path, language):
    s = LANGUAGES[language]
    docx = translated_report(tmp_path / f"{language}.docx", language)
    meta, report, source = round_trip(capsys, tmp_path, docx)
    to_fill = [i["what"] for i in report["items"] if i["kind"] == "to-fill"]
    assert to_fill == []
    # the version's language line ("Français", "Chinese") is the masthead's own, not lost text
    assert not [i for i in report["items"] if i["what"] == "masthead text"]
    assert meta["language"] == language
    assert meta["symbols"] == ["A/80/123"] and meta["date"] == "2026-04-01"
    assert meta["distribution"] == "general" and meta["original_languages"] == ["en"]
    assert meta["organs"] == [
        {
            "organ": "GA",
            "session": 80,
            "agenda_items": [{"item": "72", "sub_item": "b", "title": s["agenda_title"]}],
        }
    ]
    assert (meta["title"], meta["subtitle"]) == (s["title"], s["subtitle"])
    assert meta["job_number"] == "26-01234"
    assert meta["processing_dates"] == ["2026-04-15", "2026-04-16"]
    assert meta["parts"][1] == {
        "kind": "annex",
        "text": "annex-1.md",
        "heading": s["annex"],
        "original_language": "en",
        "title": s["annex_title"],
    }
    body = (source / "body.md").read_text()
    assert "# " + s["h1"].replace("\t", " ") in body


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

"""`unfolio import`: Word files of several shapes become source folders that build, and the UN's
own Word file gives the PDF the UN published (masthead values and every paragraph)."""

from __future__ import annotations

import itertools
import json
import re
import zipfile
from pathlib import Path

import pdfplumber
import pytest

from pipeline.cli import main
from tests import pdf_paragraphs
from tests.conftest import REPO
from tests.word_files import mark, new_document, page_break, run_texts, save, un_masthead

# ../shared beside the clone (CI, the main checkout), or beside the worktrees' folder.
REFERENCE = next(
    (
        root / "shared" / "reference"
        for root in (REPO.parent, REPO.parent.parent)
        if (root / "shared" / "reference").is_dir()
    ),
    REPO.parent / "shared" / "reference",
)
UN_DOCX = REFERENCE / "A_80_604_Add.1-EN.docx"
UN_PDF = REFERENCE / "A_80_604_Add.1-EN.pdf"


def _import(capsys, docx: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["import", str(docx), "-o", str(out), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _build(capsys, source: Path, bags: Path) -> Path:
    code = main(["build", str(source), "-o", str(bags), "--executor", "inline", "--pdfa", "2u"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (pdf,) = bags.glob("*/data/objects/*.pdf")
    return pdf


def _unescaped(markdown: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def _output_text(folder: Path, report: dict) -> str:
    """Everything an import wrote or said: part files (unescaped), metadata, report."""
    pieces = [_unescaped(p.read_text(encoding="utf-8")) for p in folder.glob("*.md")]
    pieces.append(
        json.dumps(json.loads((folder / "document.json").read_text()), ensure_ascii=False)
    )
    for item in report["items"]:
        pieces += [item["detail"], item["text"]]
    return " ".join(" ".join(pieces).split())


def _assert_no_text_dropped(docx: Path, folder: Path, report: dict) -> None:
    output = _output_text(folder, report)
    missing = [t for t in run_texts(docx) if " ".join(t.split()) not in output]
    assert missing == [], f"text runs neither in the output nor in the report: {missing[:10]}"


def _pdf_text(pdf: Path) -> str:
    with pdfplumber.open(pdf) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    return pdf_paragraphs.normalise(text)


# -- the UN's own Word file ---------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_build(tmp_path_factory):
    if not UN_DOCX.is_file():
        pytest.fail(f"{UN_DOCX}: the reference Word file is missing (../shared/reference)")
    root = tmp_path_factory.mktemp("reference")
    source, bags, report = root / "src", root / "bags", root / "report.json"
    assert main(["import", str(UN_DOCX), "-o", str(source), "--report", str(report)]) == 0
    # the default flavour (2a), as a user builds it: the tags gate (empty cells, tables over
    # pages) and the exact-content gate (repeated table heads) both judge the real document
    assert main(["build", str(source), "-o", str(bags), "--executor", "inline"]) == 0
    (pdf,) = bags.glob("*/data/objects/*.pdf")
    return source, pdf, json.loads(report.read_text())


def _masthead_values(pdf: Path) -> dict[str, str]:
    """The seven masthead values as printed, whitespace removed (pdfplumber splits words)."""
    reading = pdf_paragraphs.read(pdf, "A/80/604/Add.1")
    head = pdf_paragraphs.normalise(" ".join(reading.masthead))
    match = re.fullmatch(
        r"([A-Z]+)UnitedNations(\S+?)GeneralAssembly(Distr\.:\w+?)"
        r"(\d{1,2}[A-Z][a-z]+\d{4})(Original:\w+)",
        head,
    )
    assert match, head
    with pdfplumber.open(pdf) as document:
        lines = (document.pages[0].extract_text() or "").splitlines()
    job = next(line for line in lines if re.match(r"\d{2}-\d{5} \([A-Z]\)", line))
    front = [pdf_paragraphs.normalise(line.text) for line in reading.paragraphs[0].lines]
    return {
        "symbol": match.group(1) + match.group(2),
        "distribution": match.group(3),
        "date": match.group(4),
        "original": match.group(5),
        "session": front[0],
        "agenda item": front[1],
        "job number": pdf_paragraphs.normalise(job.split(")")[0] + ")"),
    }


def test_the_un_word_file_gives_the_masthead_values_the_un_published(reference_build):
    _, pdf, _ = reference_build
    ours, theirs = _masthead_values(pdf), _masthead_values(UN_PDF)
    assert ours == theirs
    assert theirs["symbol"] == "A/80/604/Add.1" and theirs["session"] == "Eightiethsession"


def test_the_un_word_file_gives_the_paragraphs_the_un_published(reference_build):
    _, pdf, _ = reference_build
    ours = pdf_paragraphs.read(pdf, "A/80/604/Add.1")
    theirs = pdf_paragraphs.read(UN_PDF, "A/80/604/Add.1")
    differ = [
        (i, a.text[:80], b.text[:80])
        for i, (a, b) in enumerate(zip(theirs.paragraphs, ours.paragraphs, strict=False))
        if not a.matches(b)
    ]
    assert differ == []
    assert len(ours.paragraphs) == len(theirs.paragraphs) > 100
    assert [f.key() for f in ours.footnotes] == [f.key() for f in theirs.footnotes]
    assert len(theirs.footnotes) == 2


def test_the_un_word_file_loses_no_text_and_reports_what_it_leaves(reference_build):
    source, _, report = reference_build
    _assert_no_text_dropped(UN_DOCX, source, report)
    left = {(i["what"]) for i in report["items"] if i["kind"] == "not-carried"}
    assert left == {"image", "comment"}
    headers = [i for i in report["items"] if i["what"] == "table header"]
    assert headers and all("flattened" in i["detail"] for i in headers)


def test_the_un_word_file_headings_never_skip_a_level(reference_build):
    source, _, _ = reference_build
    levels = [len(m) for m in re.findall(r"^(#+) ", (source / "body.md").read_text(), re.M)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))
    assert max(levels) >= 3  # HCh, H1 and H23 keep their rank order


# -- Word files the tests make ------------------------------------------------------------


def _un_shaped(path: Path) -> Path:
    """A UN-shaped report: masthead in the first-page header, front matter, HCh/H4/H1
    headings, hand-numbered paragraphs, emphasis, a footnote, a table with a two-row merged
    header, and an annex after a page break."""
    document = new_document(
        (
            "HCh",
            "H1",
            "H23",
            "H4",
            "SingleTxt",
            "Session",
            "AgendaItemNormal",
            "TitleHCH",
            "TitleH1",
        )
    )
    un_masthead(document)
    document.add_paragraph("Eightieth session", style="Session")
    document.add_paragraph("Agenda item 12 (b)", style="AgendaItemNormal")
    document.add_paragraph("Questions relating to test documents", style="TitleHCH")
    document.add_paragraph("Report of the Secretary-General", style="TitleH1")
    document.add_paragraph("\tI.\tIntroduction", style="HCh")
    document.add_paragraph("\t\tA heading two ranks down", style="H4")
    p = document.add_paragraph("1.\tThe Secretary-General ", style="SingleTxt")
    p.add_run("recommends").bold = True
    p.add_run(" that the ")
    p.add_run("Assembly").italic = True
    p.add_run(" take note of 5 * 3 and a_b_c [sic].")
    p.add_run(mark("fn1"))
    document.add_paragraph(
        "2.\tThe second paragraph, with an ampersand & and <angle>.", style="SingleTxt"
    )
    document.add_paragraph("\tA.\tAn H1 section", style="H1")
    document.add_paragraph("3.\tA paragraph after the section heading.", style="SingleTxt")
    document.add_paragraph("5.\tA paragraph whose number skips one.", style="SingleTxt")
    table = document.add_table(rows=4, cols=3)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "Category"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "Amount"
    table.cell(1, 1).text = "2025"
    table.cell(1, 2).text = "2026"
    for row, values in ((2, ("Posts", "12", "14")), (3, ("Total", "12", "14"))):
        for column, value in enumerate(values):
            table.cell(row, column).text = value
    for row in table.rows[:2]:
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(tr_pr.makeelement(f"{{{_W}}}tblHeader", {}))
    document.add_paragraph("4.\tThe last paragraph of the main part.", style="SingleTxt")
    page_break(document)
    document.add_paragraph("Annex", style="HCh")
    document.add_paragraph("[Original: French]", style="SingleTxt")
    document.add_paragraph("\t\tStatement on tests", style="H1")
    document.add_paragraph("The annex text.", style="SingleTxt")
    return save(document, path, footnotes={1: "A/RES/79/1, para. 3."})


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def test_a_un_shaped_word_file_becomes_a_source_folder_that_builds(capsys, tmp_path):
    docx = _un_shaped(tmp_path / "report.docx")
    code, out, err = _import(capsys, docx, tmp_path / "src", "--report", str(tmp_path / "r.json"))
    assert code == 0, err
    assert "wrote" in out and "2 parts" in out
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert meta["symbols"] == ["A/80/123"]
    assert meta["date"] == "2026-04-07"
    assert meta["distribution"] == "general"
    assert meta["original_languages"] == ["en"]
    assert meta["job_number"] == "26-01234" and meta["processing_dates"] == ["2026-04-15"]
    assert meta["organs"] == [
        {"organ": "GA", "session": 80, "agenda_items": [{"item": "12", "sub_item": "b"}]}
    ]
    assert meta["title"] == "Questions relating to test documents"
    assert meta["subtitle"] == "Report of the Secretary-General"
    assert meta["parts"][1] == {
        "kind": "annex",
        "text": "annex-1.md",
        "heading": "Annex",
        "original_language": "fr",
        "title": "Statement on tests",
    }
    body = (tmp_path / "src" / "body.md").read_text()
    assert body.splitlines()[0] == "# I. Introduction"
    assert "## A heading two ranks down" in body  # H4 right after HCh: one level down, no skip
    assert "## A. An H1 section" in body
    assert (
        "1. The Secretary-General **recommends** that the *Assembly* take note of "
        "5 \\* 3 and a\\_b\\_c \\[sic\\].[^1]" in body
    )
    assert "[^1]: A/RES/79/1, para. 3." in body
    assert "3. A paragraph after" in body and "5) A paragraph whose number skips one." in body
    assert "| Category | Amount 2025 | 2026 |" in body
    report = json.loads((tmp_path / "r.json").read_text())
    _assert_no_text_dropped(docx, tmp_path / "src", report)
    assert any(i["what"] == "table header" for i in report["items"])
    assert main(["validate", str(tmp_path / "src")]) == 0
    capsys.readouterr()
    pdf = _build(capsys, tmp_path / "src", tmp_path / "bags")
    printed = _pdf_text(pdf)
    for paragraph in (
        "The Secretary-General recommends that the Assembly take note of 5 * 3 and a_b_c [sic].",
        "The second paragraph, with an ampersand & and <angle>.",
        "A/RES/79/1, para. 3.",
        "The annex text.",
        "[Original: French]",
    ):
        assert pdf_paragraphs.normalise(paragraph) in printed


def test_the_assert_in_the_shaped_test_reads_the_merged_header_right(capsys, tmp_path):
    docx = _un_shaped(tmp_path / "report.docx")
    _import(capsys, docx, tmp_path / "src")
    table = [
        line
        for line in (tmp_path / "src" / "body.md").read_text().splitlines()
        if line.startswith("|")
    ]
    assert table[0] == "| Category | Amount 2025 | 2026 |"
    assert table[2:] == ["| Posts | 12 | 14 |", "| Total | 12 | 14 |"]


def test_a_plain_word_file_reads_its_masthead_from_document_variables(capsys, tmp_path):
    document = new_document(())
    document.add_heading("Overview", level=1)
    document.add_paragraph("A paragraph under Heading 1.")
    document.add_heading("Detail", level=3)  # a jump from 1 to 3 in Word: ## in Markdown
    document.add_paragraph("First point", style="List Number")
    document.add_paragraph("Second point", style="List Number")
    docx = save(
        document,
        tmp_path / "plain.docx",
        doc_vars={
            "Symbol1": "S/2026/45",
            "FooterJN": "26-04500",
            "Title1": "Letter about tests",
            "DutyStation": "New York",
        },
    )
    code, _, err = _import(capsys, docx, tmp_path / "src")
    assert code == 0, err
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert meta["symbols"] == ["S/2026/45"] and meta["job_number"] == "26-04500"
    assert meta["title"] == "Letter about tests"
    assert meta["date"] == "[[TO FILL: date]]"  # no header: the rest is marked, and said
    assert "to fill: date" in err
    body = (tmp_path / "src" / "body.md").read_text()
    assert "# Overview" in body and "## Detail" in body and "### Detail" not in body
    assert "1. First point" in body and "2. Second point" in body


def test_an_import_with_values_to_fill_validates_and_build_names_each(capsys, tmp_path):
    """Every value the import could not read is a placeholder validate lists (exit 0, the
    JSON pointer of each) and build refuses (exit 2, each named): typed fields too."""
    document = new_document(())
    document.add_paragraph("Just a paragraph.")
    docx = save(document, tmp_path / "bare.docx", footnotes={})
    code, _, err = _import(capsys, docx, tmp_path / "src")
    assert code == 0, err
    code = main(["validate", str(tmp_path / "src")])
    out, err = capsys.readouterr()
    assert code == 0, err
    pointers = sorted(line.split(" at ")[1].split(":")[0] for line in err.splitlines())
    assert pointers == sorted(
        [
            "/symbols/0",
            "/original_languages/0",
            "/distribution",
            "/date",
            "/organs/0/organ",  # no organ in a header: not guessed
            "/organs/0/session",
            "/title",
            "/job_number",
        ]
    )
    assert "8 placeholders left" in out
    code = main(["build", str(tmp_path / "src"), "-o", str(tmp_path / "bags")])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == 8
    assert all("fill it in before building" in e for e in errors)


def _odd(path: Path, *, masthead: bool = False) -> Path:
    """Tracked changes, a field, a text box, hidden text and a comment in one paragraph."""
    document = new_document()
    if masthead:
        un_masthead(document)
        document.add_paragraph("Eightieth session", style="Session")
        document.add_paragraph("A document with odd content", style="TitleHCH")
    p = document.add_paragraph("Kept text ", style="SingleTxt")
    p.add_run(mark("deleted"))
    p.add_run(mark("inserted"))
    p.add_run(mark("field"))
    p.add_run(mark("box"))
    hidden = p.add_run("secret words")
    hidden.font.hidden = True
    p.add_run(mark("comment"))
    return save(
        document,
        path,
        comments={0: "Please check the figures"},
        raw={
            "deleted": '<w:del w:id="1" w:author="A"><w:r><w:delText>old words'
            "</w:delText></w:r></w:del>",
            "inserted": '<w:ins w:id="2" w:author="A"><w:r><w:t>new words</w:t></w:r></w:ins>',
            "field": '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>'
            " DOCVARIABLE Symbol1 </w:instrText></w:r><w:r><w:fldChar "
            'w:fldCharType="separate"/></w:r><w:r><w:t>shown result</w:t>'
            '</w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>',
            "box": '<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml">'
            "<v:textbox><w:txbxContent><w:p><w:r><w:t>boxed words</w:t></w:r>"
            "</w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>",
            "comment": '<w:commentRangeStart w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>',
        },
    )


def test_what_is_not_carried_over_is_reported_with_its_text(capsys, tmp_path):
    docx = _odd(tmp_path / "odd.docx")
    code, _, err = _import(capsys, docx, tmp_path / "src", "--report", str(tmp_path / "r.json"))
    assert code == 0
    report = json.loads((tmp_path / "r.json").read_text())
    left = {i["what"]: i["text"] for i in report["items"] if i["kind"] == "not-carried"}
    assert left == {
        "tracked change": "old words",
        "text box": "boxed words",
        "hidden text": "secret words",
        "comment": "Please check the figures",
    }
    assert "warning:" in err and "old words" in err and "Please check the figures" in err
    body = (tmp_path / "src" / "body.md").read_text()
    assert "Kept text new wordsshown result" in body  # insertion accepted, field's result kept
    for gone in ("old words", "boxed words", "secret words", "Please check"):
        assert gone not in body
    _assert_no_text_dropped(docx, tmp_path / "src", report)
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert (
        "Not carried over: 1 comment, 1 hidden text, 1 text box, 1 tracked change."
        in meta["remarks"]
    )


LINES = [
    "* not a bullet",
    "# not a heading",
    "1.5 is a number",
    "> not a quote",
    "a | b",
    "<http://example.org>",
    "&amp; &#x41;",
    "`code`",
    "__init__",
    "+ plus",
    "2024. A year that starts a sentence.",
]


def _chars(path: Path, *, masthead: bool = False) -> Path:
    document = new_document(("TitleHCH", "Session"))
    if masthead:
        un_masthead(document)
        document.add_paragraph("Eightieth session", style="Session")
        document.add_paragraph("Characters Markdown would read as markup", style="TitleHCH")
    for line in LINES:
        document.add_paragraph(line)
    return save(document, path)


def test_markdown_special_characters_come_back_as_the_same_text(capsys, tmp_path):
    from pipeline import body

    lines = LINES
    docx = _chars(tmp_path / "chars.docx")
    assert _import(capsys, docx, tmp_path / "src")[0] == 0
    html = body.to_html((tmp_path / "src" / "body.md").read_text())
    paragraphs = re.findall(r"<p>(.*?)</p>", html)
    import html as html_module

    assert [html_module.unescape(p) for p in paragraphs] == lines


def _plain(path: Path, *, masthead: bool = False) -> Path:
    document = new_document(("TitleHCH",))
    if masthead:
        un_masthead(document, symbol="S/2026/45", organ="Security Council")
        document.add_paragraph("Letter about tests", style="TitleHCH")
    document.add_heading("Overview", level=1)
    document.add_paragraph("A paragraph under Heading 1.")
    document.add_heading("Detail", level=3)
    document.add_paragraph("First point", style="List Number")
    document.add_paragraph("Second point", style="List Number")
    document.add_paragraph("A bullet", style="List Bullet")
    return save(document, path, footnotes={})


def _block_texts(source: Path) -> list[str]:
    """The text of every block of every part as body.py renders it: paragraphs, headings and
    list items whole, footnotes on their own, table cells word by word (a renderer wraps
    cells, and a PDF reads them back line by line across the columns)."""
    import html as html_module

    from pipeline import body

    texts = []
    for part in sorted(source.glob("*.md")):
        html = body.to_html(part.read_text(encoding="utf-8"))
        notes = re.findall(r'<span class="footnote">(.*?)</span>', html)
        html = re.sub(r'<span class="footnote">.*?</span>', "", html)
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html, re.S)
        html = re.sub(r"<table>.*?</table>", "", html, flags=re.S)
        blocks = re.findall(r"<(?:p|h[1-6]|li)>(.*?)</(?:p|h[1-6]|li)>", html, re.S)
        for block in blocks + notes:
            texts.append(html_module.unescape(re.sub(r"<[^>]+>", "", block)))
        for cell in cells:
            texts += html_module.unescape(re.sub(r"<[^>]+>", "", cell)).split()
    return [t for t in texts if t.strip()]


@pytest.mark.parametrize("shape", ["un_shaped", "odd", "chars", "plain"])
def test_every_test_word_file_builds_a_bag_whose_pdf_holds_its_text(capsys, tmp_path, shape):
    make = {
        "un_shaped": lambda p: _un_shaped(p),
        "odd": lambda p: _odd(p, masthead=True),
        "chars": lambda p: _chars(p, masthead=True),
        "plain": lambda p: _plain(p, masthead=True),
    }[shape]
    docx = make(tmp_path / f"{shape}.docx")
    code, _, err = _import(capsys, docx, tmp_path / "src", "--report", str(tmp_path / "r.json"))
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    _assert_no_text_dropped(docx, tmp_path / "src", report)  # Word → source folder + report
    assert not [i for i in report["items"] if i["kind"] == "to-fill"], report
    pdf = _build(capsys, tmp_path / "src", tmp_path / "bags")
    printed = _pdf_text(pdf)
    missing = [
        t for t in _block_texts(tmp_path / "src") if pdf_paragraphs.normalise(t) not in printed
    ]
    assert missing == []  # source folder → PDF


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 not a word file", "not a Word document (.docx): it is not a ZIP package"),
        (b"PK\x03\x04 broken", "damaged ZIP package"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "is password-protected"),
    ],
)
def test_a_file_that_is_not_a_readable_docx_exits_2_and_writes_nothing(
    capsys, tmp_path, content, message
):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(content)
    code, _, err = _import(capsys, bad, tmp_path / "src")
    assert code == 2
    assert message in err and str(bad) in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.docx"]


def test_a_word_file_with_a_damaged_part_exits_2_and_writes_nothing(capsys, tmp_path):
    document = new_document(())
    document.add_paragraph("Some text that will be damaged. " * 40)
    docx = save(document, tmp_path / "a.docx")
    data = bytearray(docx.read_bytes())
    with zipfile.ZipFile(docx) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10 : start + 40] = b"\xff" * 30  # the compressed stream, not the headers
    docx.write_bytes(bytes(data))
    code, _, err = _import(capsys, docx, tmp_path / "src")
    assert code == 2 and "damaged ZIP package" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx"]


def test_a_zip_that_is_not_a_word_document_exits_2(capsys, tmp_path):
    bad = tmp_path / "other.docx"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("hello.txt", "hi")
    code, _, err = _import(capsys, bad, tmp_path / "src")
    assert code == 2 and "not a Word document (no main document part)" in err
    assert not (tmp_path / "src").exists()


def test_an_output_folder_that_is_not_empty_is_refused_and_left_alone(capsys, tmp_path):
    docx = save(new_document(()), tmp_path / "a.docx")
    out = tmp_path / "src"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = _import(capsys, docx, out)
    assert code == 2 and "exists and is not empty" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "src"]


def test_an_empty_output_folder_is_filled(capsys, tmp_path):
    document = new_document(())
    document.add_paragraph("Some text.")
    docx = save(document, tmp_path / "a.docx")
    (tmp_path / "src").mkdir()
    assert _import(capsys, docx, tmp_path / "src")[0] == 0
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["body.md", "document.json"]


def test_a_masthead_table_at_the_top_of_the_body_is_read_as_the_masthead(capsys, tmp_path):
    document = new_document()
    table = document.add_table(2, 2)
    table.cell(0, 0).text = "United Nations"
    table.cell(0, 1).text = "A/80/777"
    table.cell(1, 0).text = "General Assembly"
    table.cell(1, 1).text = "Distr.: Limited"
    table.cell(1, 1).add_paragraph("3 March 2026")
    table.cell(1, 1).add_paragraph("Original: French")
    document.add_paragraph("Eightieth session", style="Session")
    document.add_paragraph("Body text.", style="SingleTxt")
    docx = save(document, tmp_path / "old.docx")
    assert _import(capsys, docx, tmp_path / "src")[0] == 0
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert (meta["symbols"], meta["distribution"], meta["date"], meta["original_languages"]) == (
        ["A/80/777"],
        "limited",
        "2026-03-03",
        ["fr"],
    )
    assert (tmp_path / "src" / "body.md").read_text() == "Body text.\n"


def _starred(path: Path, *, title_mark: str = "") -> Path:
    """A UN-shaped front matter whose agenda line calls "* A/80/50." (a custom mark, as the
    UN's files do), whose title calls a second note (``title_mark``: "" for a numbered
    note, "**" for a custom mark) and whose subtitle a third."""
    document = new_document(("Session", "AgendaItemNormal", "TitleHCH", "TitleH1", "SingleTxt"))
    un_masthead(document)
    document.add_paragraph("Eightieth session", style="Session")
    agenda = document.add_paragraph("Item 69 of the preliminary list", style="AgendaItemNormal")
    agenda.add_run(mark("star"))
    title = document.add_paragraph("A title", style="TitleHCH")
    title.add_run(mark("fn2"))
    subtitle = document.add_paragraph("Report of the Secretary-General", style="TitleH1")
    subtitle.add_run(mark("fn4"))
    body = document.add_paragraph("Body text.", style="SingleTxt")
    body.add_run(mark("fn3"))
    raw = {"star": '<w:r><w:footnoteReference w:customMarkFollows="1" w:id="1"/><w:t>*</w:t></w:r>'}
    if title_mark:
        raw["fn2"] = (
            '<w:r><w:footnoteReference w:customMarkFollows="1" w:id="2"/>'
            f"<w:t>{title_mark}</w:t></w:r>"
        )
    notes = {1: "* A/80/50.", 2: f"{title_mark} Submitted late.".strip(), 3: "A body note."}
    notes[4] = "Not edited."
    return save(document, path, footnotes=notes, raw=raw)


@pytest.mark.parametrize("title_mark", ["", "**"])
def test_the_notes_of_the_agenda_line_and_the_title_are_carried(capsys, tmp_path, title_mark):
    docx = _starred(tmp_path / "star.docx", title_mark=title_mark)
    report = tmp_path / "report.json"
    code, _, err = _import(capsys, docx, tmp_path / "src", "--report", str(report))
    assert code == 0, err
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    (organ,) = meta["organs"]
    assert organ["agenda_items"] == [{"item": "69"}]
    assert organ["agenda_note"] == "A/80/50."
    assert (meta["title"], meta["title_note"]) == ("A title", "Submitted late.")
    assert (meta["subtitle"], meta["subtitle_note"]) == (
        "Report of the Secretary-General",
        "Not edited.",
    )
    assert "left out" not in err
    body = (tmp_path / "src" / "body.md").read_text()
    assert re.fullmatch(r"Body text\.\[\^(\w+)\]\n\n\[\^\1\]: A body note\.\n", body), body
    items = json.loads(report.read_text())["items"]
    read = {i["what"]: i["text"] for i in items if i["kind"] == "read"}
    assert read["agenda_note"] == "A/80/50." and read["title_note"] == "Submitted late."
    numbered = [i for i in items if i["kind"] == "changed" and "numbered note" in i["detail"]]
    assert len(numbered) == (1 if title_mark else 2)  # the subtitle's is numbered
    pdf = _build(capsys, tmp_path / "src", tmp_path / "bags")
    with pdfplumber.open(pdf) as document:
        lines = [line["text"] for line in document.pages[0].extract_text_lines()]
    assert "Agenda item 69*" in lines and "* A/80/50." in lines
    assert "** Submitted late." in lines and "*** Not edited." in lines
    assert "1 A body note." in lines


def test_a_note_on_the_session_line_is_reported_not_lost(capsys, tmp_path):
    document = new_document(("Session", "TitleHCH", "SingleTxt"))
    un_masthead(document)
    session = document.add_paragraph("Eightieth session", style="Session")
    session.add_run(mark("fn1"))
    document.add_paragraph("A title", style="TitleHCH")
    document.add_paragraph("Body text.", style="SingleTxt")
    docx = save(document, tmp_path / "session.docx", footnotes={1: "A session note."})
    code, _, err = _import(capsys, docx, tmp_path / "src")
    assert code == 0
    assert (
        "footnote called from the masthead or the session line, or never called, left out: "
        "'A session note.'" in err
    )


def test_characters_a_source_may_not_hold_are_left_out_and_reported(capsys, tmp_path):
    document = new_document(())
    document.add_paragraph("left\u202eright \uf0b7 bullet \uf04a face")
    docx = save(document, tmp_path / "chars.docx", footnotes={})
    code, _, err = _import(capsys, docx, tmp_path / "src", "--report", str(tmp_path / "r.json"))
    assert code == 0
    assert (tmp_path / "src" / "body.md").read_text() == "leftright • bullet face\n"
    left = [
        i
        for i in json.loads((tmp_path / "r.json").read_text())["items"]
        if i["what"] == "character"
    ]
    assert [i["text"] for i in left] == ["\u202e", "\uf04a"]
    assert "U+202E" in err and "U+F04A" in err


def test_a_human_rights_council_document_has_the_hrc_organ(capsys, tmp_path):
    document = new_document()
    un_masthead(document, symbol="A/HRC/61/12")
    document.add_paragraph("Human Rights Council", style="H1")
    document.add_paragraph("Sixty-first session", style="Session")
    document.add_paragraph("A report", style="TitleHCH")
    document.add_paragraph("Body text.", style="SingleTxt")
    docx = save(document, tmp_path / "hrc.docx")
    assert _import(capsys, docx, tmp_path / "src")[0] == 0
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert meta["organs"] == [{"organ": "HRC", "session": 61}]
    assert (tmp_path / "src" / "body.md").read_text() == "Body text.\n"
    assert main(["validate", str(tmp_path / "src")]) == 0


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Annex", "annex"),
        ("Annex II", "annex"),
        ("Annexe à la lettre datée du 2 mars", "annex"),
        ("Приложение I", "annex"),
        ("信的附件一", "annex"),
        ("Enclosure", "enclosure"),
        ("Annex table 1", None),
        ("Annexes", None),
    ],
)
def test_a_heading_starts_an_annex_only_when_it_names_one(heading, kind):
    from pipeline.importer.convert import _annex_kind
    from pipeline.importer.styles import Role

    assert _annex_kind(heading, Role("heading", 1), after_break=False) == kind
    assert _annex_kind(heading, Role("paragraph"), after_break=False) is None


def test_an_agenda_line_the_masthead_words_otherwise_is_noted(capsys, tmp_path):
    document = new_document(("Session", "AgendaItemNormal", "TitleHCH", "SingleTxt"))
    un_masthead(document)
    document.add_paragraph("Eightieth session", style="Session")
    document.add_paragraph("Item 69 (a) of the preliminary list", style="AgendaItemNormal")
    document.add_paragraph("A title", style="TitleHCH")
    document.add_paragraph("Body text.", style="SingleTxt")
    docx = save(document, tmp_path / "prelim.docx")
    code, _, err = _import(capsys, docx, tmp_path / "src")
    assert code == 0
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert meta["organs"][0]["agenda_items"] == [{"item": "69", "sub_item": "a"}]
    assert "'Item 69 (a) of the preliminary list' is printed as 'Agenda item 69 (a)'" in err


def test_a_hyperlink_field_becomes_a_link(capsys, tmp_path):
    document = new_document(())
    p = document.add_paragraph("See ")
    p.add_run(mark("link"))
    p.add_run(".")
    docx = save(
        document,
        tmp_path / "link.docx",
        raw={
            "link": (
                '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">'
                ' HYPERLINK "https://undocs.org/A/80/1" </w:instrText></w:r><w:r><w:fldChar '
                'w:fldCharType="separate"/></w:r><w:r><w:t>A/80/1</w:t></w:r><w:r><w:fldChar '
                'w:fldCharType="end"/></w:r>'
            )
        },
    )
    assert _import(capsys, docx, tmp_path / "src")[0] == 0
    assert (
        tmp_path / "src" / "body.md"
    ).read_text() == "See [A/80/1](<https://undocs.org/A/80/1>).\n"


@pytest.mark.parametrize(
    ("language", "organ", "session", "distribution", "date", "original"),
    [
        ("zh", "大会", "第八十届会议", "Distr.: General", "7 April 2026", "Original: English"),
        (
            "fr",
            "Assemblée générale",
            "Quatre-vingtième session",
            "Distr. générale",
            "7 avril 2026",
            "Original : anglais",
        ),
        (
            "ru",
            "Генеральная Ассамблея",
            "Восьмидесятая сессия",
            "Distr.: General",
            "7 April 2026",
            "Original: English",
        ),
        (
            "ar",
            "الجمعية العامة",
            "الدورة الثمانون",
            "Distr.: General",
            "7 April 2026",
            "Original: English",
        ),
        (
            "es",
            "Asamblea General",
            "Octogésimo período de sesiones",
            "Distr. general",
            "7 de abril de 2026",
            "Original: inglés",
        ),
    ],
)
def test_the_masthead_is_read_in_each_language(
    capsys, tmp_path, language, organ, session, distribution, date, original
):
    from pipeline import locale

    letter = locale.get(language).job_letter
    document = new_document()
    un_masthead(
        document,
        organ=organ,
        lines=(distribution, date, "", original),
        job_line=f"26-01234 ({letter})    150426",
    )
    document.add_paragraph(session, style="Session")
    document.add_paragraph("Body text.", style="SingleTxt")
    docx = save(document, tmp_path / f"{language}.docx")
    assert _import(capsys, docx, tmp_path / "src")[0] == 0
    meta = json.loads((tmp_path / "src" / "document.json").read_text())
    assert (meta["language"], meta["organs"], meta["date"], meta["distribution"]) == (
        language,
        [{"organ": "GA", "session": 80}],
        "2026-04-07",
        "general",
    )
    assert meta["original_languages"] == ["en"]

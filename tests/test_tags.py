"""Tagged PDFs (2a, 3a): the structure reads in order, and every PDF-TAGS check can fail."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pikepdf
import pytest

from pipeline import locale, source
from pipeline.typeset import gate, render_pdf, structrules, structtext, tagcheck
from pipeline.typeset.layout import masthead_organ

from .conftest import EXAMPLE

FIXTURES = Path(__file__).parent / "fixtures" / "documents"
DOCUMENTS = sorted(p for p in FIXTURES.iterdir() if (p / "document.json").is_file())


@pytest.fixture(scope="module")
def letter():
    folder = FIXTURES / "en-joint-letter"
    document = source.load(folder)
    return document, render_pdf(document, folder, flavour="2a")


def _fold(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@pytest.mark.parametrize("folder", [*DOCUMENTS, EXAMPLE], ids=lambda p: p.name)
def test_the_structure_reads_the_symbol_then_the_organ_first(folder):
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2a")
    blocks = [b for b in structtext.blocks(pdf) if _fold(b.text)]
    assert _fold("".join(b.text for b in blocks[:3])).startswith(_fold(document.symbols[0].text))
    title = [b.role for b in blocks].index("H1")
    masthead = _fold("".join(b.text for b in blocks[:title]))
    names = locale.get(document.language)
    for organ in document.organs:
        name = names.organ_masthead_name(masthead_organ(organ.organ))
        # pdfium gives an Arabic line's words in visual order: each word must be there
        assert all(_fold(word) in masthead for word in name.split()), name
    assert masthead.index(_fold(names.organ_masthead_name(masthead_organ(
        document.organs[0].organ)).split()[0])) < masthead.index(_fold("Distr"))  # fmt: skip
    assert tagcheck.check(pdf, document) == []


def test_every_character_is_tagged_content_or_an_artifact(letter):
    _document, pdf = letter
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        for page in opened.pages:
            for char in page.chars:
                assert char.get("mcid") is not None or char.get("tag") == "Artifact", char


def test_running_heads_page_numbers_and_footer_are_artifacts(letter):
    _document, pdf = letter
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        last = opened.pages[-1]
        artifacts = "".join(c["text"] for c in last.chars if c.get("tag") == "Artifact")
        assert f"{len(opened.pages)}/{len(opened.pages)}" in artifacts  # the page number
        first = "".join(c["text"] for c in opened.pages[0].chars if c.get("tag") == "Artifact")
        assert "22-" in first  # the job number line of the first-page footer


def test_the_emblem_is_a_figure_with_localized_alt_and_the_catalog_is_marked(letter):
    _document, pdf = letter
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert opened.Root.MarkInfo.Marked is True
        assert opened.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(opened.Root.Lang) == "en"
        with opened.open_metadata() as meta:
            assert meta.get("pdfuaid:part") == "1"
            assert meta.get("pdfaid:conformance") == "A"
    figures = [b for b in structtext.blocks(pdf) if b.role == "Figure"]
    assert len(figures) == 1


def test_a_footnote_is_a_note_right_after_its_call():
    folder = FIXTURES / "en-long-report"
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="3a")
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        notes = _elements(opened, "Note")
        defined = sum(
            line.startswith("[^")
            for f in folder.glob("*.md")
            for line in f.read_text().splitlines()
        )
        assert len(notes) == defined  # each called once
        for note in notes:
            siblings = [k for k in note.P.K if isinstance(k, pikepdf.Dictionary)]
            before = siblings[[k.objgen for k in siblings].index(note.objgen) - 1]
            assert pikepdf.Name.Reference == before.S
            assert str(note.ID).startswith("note-")
    assert tagcheck.check(pdf, document) == []


def test_the_distribution_block_of_a_chinese_version_is_english():
    folder = FIXTURES / "zh-report"
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2a")
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert str(opened.Root.Lang) == "zh-CN"
        langs = {
            str(obj.Lang)
            for obj in opened.objects
            if isinstance(obj, pikepdf.Dictionary) and "/S" in obj and "/Lang" in obj
        }
    assert langs == {"en"}


def test_untagged_flavours_have_no_structure(letter):
    document, _pdf = letter
    pdf = render_pdf(document, FIXTURES / "en-joint-letter", flavour="2u")
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert "/StructTreeRoot" not in opened.Root
    codes = {f.code for f in gate.check(pdf, document, "2u", tags=True)}
    assert "PDF-TAGS-CATALOG" in codes  # the checks, asked for, see it is untagged


# -- one failing fixture per check ---------------------------------------------------------


def _mutated(pdf: bytes, change) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        change(opened)
        out = io.BytesIO()
        opened.save(out)
    return out.getvalue()


def _elements(opened: pikepdf.Pdf, role: str) -> list[pikepdf.Dictionary]:
    return [
        obj
        for obj in opened.objects
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == pikepdf.Name("/" + role)
    ]


def _drop_mark_info(opened):
    del opened.Root.MarkInfo


def _wrong_lang(opened):
    opened.Root.Lang = pikepdf.String("de")


def _wrong_parent(opened):
    paragraph = _elements(opened, "P")[3]
    paragraph.P = opened.Root.StructTreeRoot


def _no_scope(opened):
    for cell in _elements(opened, "LI"):
        cell.S = pikepdf.Name("/TD")  # a TD inside an L


def _untagged_drawing(opened):
    opened.pages[0].contents_add(b"0 0 m 10 10 l S", prepend=False)


def _no_link_contents(opened):
    for page in opened.pages:
        for annotation in page.obj.get("/Annots", []):
            del annotation.Contents


def _no_alt(opened):
    for figure in _elements(opened, "Figure"):
        del figure.Alt


def _skipped_heading(opened):
    _elements(opened, "H1")[0].S = pikepdf.Name("/H3")


def _masthead_last(opened):
    document = opened.Root.StructTreeRoot.K[0]
    kids = list(document.K)
    document.K = pikepdf.Array(kids[1:] + kids[:1])


@pytest.mark.parametrize(
    ("code", "change"),
    [
        ("PDF-TAGS-CATALOG", _drop_mark_info),
        ("PDF-TAGS-LANG", _wrong_lang),
        ("PDF-TAGS-TREE", _wrong_parent),
        ("PDF-TAGS-ROLES", _no_scope),
        ("PDF-TAGS-CONTENT", _untagged_drawing),
        ("PDF-TAGS-ANNOTATIONS", _no_link_contents),
        ("PDF-TAGS-FIGURE", _no_alt),
        ("PDF-TAGS-HEADINGS", _skipped_heading),
        ("PDF-TAGS-ORDER", _masthead_last),
    ],
)
def test_each_tags_check_fails_on_its_fault(letter, code, change):
    document, pdf = letter
    assert tagcheck.check(pdf, document) == []
    broken = _mutated(pdf, change)
    codes = {issue[0] for issue in tagcheck.check(broken, document)}
    assert code in codes
    assert code in {f.code for f in gate.check(broken, document, "2a")}


def test_the_parent_tree_must_map_each_mcid(letter):
    document, pdf = letter

    def drop_entry(opened):
        nums = opened.Root.StructTreeRoot.ParentTree.Nums
        nums[1] = pikepdf.Array(list(nums[1])[:-1])

    broken = _mutated(pdf, drop_entry)
    messages = [m for code, m, _ in tagcheck.check(broken, document) if code == "PDF-TAGS-TREE"]
    assert any("missing from the parent tree" in m for m in messages)


def test_an_artifact_inside_tagged_content_fails(letter):
    document, pdf = letter

    def nest(opened):
        opened.pages[0].contents_add(
            b"/P <</MCID 0>> BDC /Artifact BMC 0 0 m 1 1 l S EMC EMC", prepend=False
        )

    issues = tagcheck.check(_mutated(pdf, nest), document)
    assert any("UA 7.1-1" in message for _code, message, _ in issues)


def test_a_3a_file_without_uf_fails_and_the_arabic_label_says_its_plain_text():
    folder = FIXTURES / "ar-letter"
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="3a")
    assert tagcheck.check(pdf, document) == []
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        said = [str(o.ActualText) for o in _elements(opened, "P") if "/ActualText" in o]
        figure = _elements(opened, "Figure")[0]
        x1, y1, x2, y2 = (float(v) for v in figure.A.BBox)
        assert 0 <= x1 < x2 and y1 < y2 <= float(opened.pages[0].MediaBox[3])
    assert said == ["الأمم المتحدة"]

    def drop_uf(opened):
        for spec in opened.Root.AF:
            del spec.UF

    issues = tagcheck.check(_mutated(pdf, drop_uf), document)
    assert any(code == "PDF-TAGS-CATALOG" and "7.11-1" in m for code, m, _ in issues)


def test_a_table_over_pages_has_one_header_and_repeats_it_as_an_artifact(make_source):
    rows = "\n".join(f"| Item {i} | {i * 3} |" for i in range(1, 90))
    text = (
        "# I. Lists and a long table\n\n- a bullet\n- another, *emphasised*\n\n"
        f"1. One\n   1. nested\n2. Two\n\n> Quoted.\n\n| Name | Value |\n|---|---:|\n{rows}\n"
    )
    folder = make_source(parts={"letter.md": text})
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2a")  # the gate passes it
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert len(opened.pages) > 2
        assert len(_elements(opened, "Table")) == 1
        assert len(_elements(opened, "THead")) == 1
        assert len(_elements(opened, "Lbl")) >= 5  # two bullets, three numbers
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        for page in opened.pages[1:-1]:
            artifacts = "".join(c["text"] for c in page.chars if c.get("tag") == "Artifact")
            assert "NameValue" in artifacts  # the header row repeated on a later page


def test_a_table_row_short_of_a_cell_fails(make_source):
    folder = make_source(parts={"letter.md": "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n"})
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2a")

    def drop_cell(opened):
        row = _elements(opened, "TR")[-1]
        row.K = pikepdf.Array(list(row.K)[:1])

    issues = tagcheck.check(_mutated(pdf, drop_cell), document)
    assert any(code == "PDF-TAGS-ROLES" and "7.2-42" in m for code, m, _ in issues)

    def unknown_header(opened):
        _elements(opened, "TD")[0].A.Headers = pikepdf.Array([pikepdf.String("nowhere")])

    issues = tagcheck.check(_mutated(pdf, unknown_header), document)
    assert any(code == "PDF-TAGS-ROLES" and "'nowhere'" in m for code, m, _ in issues)


def test_an_empty_cell_is_still_a_cell_of_its_row(make_source):
    text = "| A | B |\n|---|---|\n| x |  |\n|  | y |\n\n|  |  |\n|---|---|\n| p | q |\n"
    folder = make_source(parts={"letter.md": text})
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2a")  # the gate passes it (UA 7.2-42)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        tables = _elements(opened, "Table")
        assert len(tables) == 2
        for table in tables:
            assert {structrules.row_width(row) for row in structrules.rows(table)} == {2}
        empty = [c for c in _elements(opened, "TD") + _elements(opened, "TH") if "/K" not in c
                 or len(c.K) == 0]  # fmt: skip
        assert len(empty) == 4  # two empty data cells and the two empty header cells


def test_verify_judges_tags_in_layout_2_bags_only(letter):
    from pipeline.verify import pdf as verify_pdf
    from pipeline.verify.layouts import LAYOUT_1, LAYOUT_2

    document, pdf = letter
    broken = _mutated(pdf, _no_alt)
    flavour, findings = verify_pdf.check_pdf(broken, document, "x.pdf", layout=LAYOUT_2)
    assert flavour == "2a" and "PDF-TAGS-FIGURE" in {f.code for f in findings}
    _flavour, findings = verify_pdf.check_pdf(broken, document, "x.pdf", layout=LAYOUT_1)
    assert not any(f.code.startswith("PDF-TAGS-") for f in findings)


def test_a_signed_2a_keeps_its_tags_and_its_widget_must_be_a_form(letter):
    from datetime import UTC, datetime

    from pipeline.sign import Signer, keys

    from . import pki

    document, pdf = letter
    signer = keys.Identity(pki.signer().key, pki.signer().certificate, (pki.ca().certificate,))
    signed = Signer(signer, datetime.fromtimestamp(int(pki.EPOCH), tz=UTC)).sign_pdf(pdf)
    assert tagcheck.check(signed, document) == []
    # the builder and verify gate a signed PDF allowing its one signature update; by default
    # the gate refuses any update after unfolio's revision
    assert gate.check(signed, document, "2a", signature_allowed=True) == []
    assert [f.code for f in gate.check(signed, document, "2a")] == ["PDF-REVISIONS"]

    def widget_as_paragraph(opened):
        for form in _elements(opened, "Form"):
            form.S = pikepdf.Name.P

    issues = tagcheck.check(_mutated(signed, widget_as_paragraph), document)
    assert any(code == "PDF-TAGS-ANNOTATIONS" and "7.18.4-1" in m for code, m, _ in issues)


# -- language spans (PDF-TAGS-LANG-SPAN) ---------------------------------------------------

_FOREIGN = {
    "ar-letter": ("letter.md", "انظر الوثيقة A/80/1 والموقع [https://undocs.org/ar/A/80/1]"
                  "(https://undocs.org/ar/A/80/1) وتقرير UNESCO.", ["A/80/1", "UNESCO"]),
    "ru-note": ("note.md", "См. документ A/80/1 и сайт [https://undocs.org/ru/A/80/1]"
                "(https://undocs.org/ru/A/80/1), а также доклад UNESCO.", ["A/80/1", "UNESCO"]),
    "zh-report": ("report.md", "见A/80/1号文件和[https://undocs.org/zh/A/80/1]"
                  "(https://undocs.org/zh/A/80/1)以及UNESCO的报告。", ["A/80/1", "UNESCO"]),
}  # fmt: skip


def _with_paragraph(tmp_path: Path, name: str) -> tuple[Path, list[str]]:
    import shutil

    part, paragraph, runs = _FOREIGN[name]
    folder = tmp_path / name
    shutil.copytree(FIXTURES / name, folder)
    body = folder / part
    word = {"ar-letter": "نص", "ru-note": "текст", "zh-report": "文本"}[name]
    nested = f"1. {word}\n   1. {word}\n   2. {word}\n"  # sub-paragraphs "(a)", "(b)" by CSS
    body.write_text(body.read_text(encoding="utf-8") + "\n" + paragraph + "\n\n" + nested,
                    encoding="utf-8")  # fmt: skip
    return folder, [*runs, "https://undocs.org/"]


@pytest.mark.parametrize("name", sorted(_FOREIGN))
def test_latin_runs_in_arabic_russian_chinese_carry_their_own_lang(tmp_path, name):
    folder, runs = _with_paragraph(tmp_path, name)
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2a")  # the gate passes it
    texts = structtext.mcid_texts(pdf)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        pages = {p.objgen: i for i, p in enumerate(opened.pages)}
        english = "".join(
            texts.get((pages[span.Pg.objgen], int(kid)), "")
            for span in _elements(opened, "Span")
            if str(span.get("/Lang", "")) == "en"
            for kid in span.K
            if isinstance(kid, int)
        )
        labels = [str(lbl.get("/Lang", "")) for lbl in _elements(opened, "Lbl")
                  if any(_fold(texts.get((pages[lbl.Pg.objgen], int(k)), "")) in ("a", "b")
                         for k in lbl.K if isinstance(k, int))]  # fmt: skip
    for run in runs:
        assert run in english, run
    assert labels == ["en", "en"]  # CSS-generated Latin letters carry their Lang too

    def unmark_labels(opened):
        for label in _elements(opened, "Lbl"):
            if "/Lang" in label:
                del label.Lang

    issues = tagcheck.check(_mutated(pdf, unmark_labels), document)
    assert any(c == "PDF-TAGS-LANG-SPAN" and m.startswith("Lbl") for c, m, _ in issues)


def test_a_latin_run_without_its_lang_fails(tmp_path, monkeypatch):
    from pipeline.typeset import gate as gate_module
    from pipeline.typeset import scripts

    folder, _runs = _with_paragraph(tmp_path, "ar-letter")
    document = source.load(folder)
    monkeypatch.setattr(scripts, "mark_html", lambda html, _lang: html)  # no language spans
    with pytest.raises(gate_module.GateFailed) as failed:
        render_pdf(document, folder, flavour="2a")
    found = [f for f in failed.value.findings if f.code == "PDF-TAGS-LANG-SPAN"]
    assert found
    assert any("'A'" in f.message or "'UNESCO'" in f.message for f in found)


def test_a_cyrillic_word_in_english_is_marked_russian():
    from pipeline.typeset import scripts

    html = scripts.mark_html('<p>The word "мир" &amp; A/80/1 <b lang="ru">да</b></p>', "en")
    assert html == '<p>The word "<span lang="ru">мир</span>" &amp; A/80/1 <b lang="ru">да</b></p>'
    assert scripts.mark_html("<p>انظر A/80/1.</p>", "ar") == (
        '<p>انظر <span lang="en">A/80/1.</span></p>'
    )
    assert scripts.mark_html("<style>p{}</style><p>&amp;قال</p>", "ar") == (
        "<style>p{}</style><p>&amp;قال</p>"
    )


def test_a_chinese_footnote_in_mid_sentence_builds_and_is_read_after_its_sentence(tmp_path):
    import shutil

    from pipeline.typeset import textcheck

    folder = tmp_path / "zh-notes"
    shutil.copytree(FIXTURES / "zh-report", folder)
    body = folder / "report.md"
    text = body.read_text(encoding="utf-8").replace(
        "本报告根据经济及社会理事会", "本报告[^mid]根据经济[^mid2]及社会理事会", 1
    )
    body.write_text(text + "\n[^mid]: 见理事会第2021/9号决议。\n\n[^mid2]: 经社理事会。\n",
                    encoding="utf-8")  # fmt: skip
    document = source.load(folder)
    for flavour in ("2a", "3a"):
        pdf = render_pdf(document, folder, flavour=flavour)  # the gate's round trip passes
    read = structtext.text(pdf)
    start = read.index("本报告")
    assert (
        start
        < read.index("根据经济", start)
        < read.index("及社会理事会关于", start)
        < read.index("见理事会第2021/9号决议", start)
    )
    # read as a screen reader does, the notes cut the sentence into pieces too short to match
    inline = structtext.join(structtext.blocks(pdf))
    assert inline.index("见理事会第2021/9号决议") < inline.index("及社会理事会关于")
    assert list(textcheck.mismatches(document, inline))
    assert not list(textcheck.mismatches(document, read))


# -- glyphs and fonts (PDF-TAGS-GLYPH-…) ----------------------------------------------------


def _type0_fonts(opened: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    return [o for o in opened.objects if isinstance(o, pikepdf.Dictionary)
            and o.get("/Subtype") == pikepdf.Name.Type0]  # fmt: skip


def _remap(target: bytes):
    """Map every code of each font's last bfchar line to ``target`` (UTF-16BE hex)."""

    def change(opened):
        for font in _type0_fonts(opened):
            data = font.ToUnicode.read_bytes()
            head, _, tail = data.rpartition(b"\nendbfchar")
            line_start = head.rfind(b"\n") + 1
            code = head[line_start:].split(b" ")[0]
            font.ToUnicode.write(head[:line_start] + code + b" <" + target + b">" + b"\nendbfchar"
                                 + tail)  # fmt: skip

    return change


def _drop_last_mapping(opened):
    for font in _type0_fonts(opened):
        data = font.ToUnicode.read_bytes()
        head, _, tail = data.rpartition(b"\nendbfchar")
        font.ToUnicode.write(head[: head.rfind(b"\n")] + b"\nendbfchar" + tail)


def _wider(opened):
    for font in _type0_fonts(opened):
        widths = font.DescendantFonts[0].W
        first = widths[1]
        widths[1] = pikepdf.Array([float(first[0]) + 50, *list(first)[1:]])


def _no_cid_to_gid(opened):
    for font in _type0_fonts(opened):
        cidfont = font.DescendantFonts[0]
        if cidfont.Subtype == pikepdf.Name.CIDFontType2:
            del cidfont.CIDToGIDMap


def _short_cidset(opened):
    for font in _type0_fonts(opened):
        font.DescendantFonts[0].FontDescriptor.CIDSet = opened.make_stream(b"\x80")


@pytest.mark.parametrize(
    ("change", "code", "rule"),
    [
        (_remap(b"0000"), "PDF-TAGS-GLYPH-UNICODE", "7.21.7-2"),
        (_remap(b"e000"), "PDF-TAGS-GLYPH-UNICODE", "6.2.11.7.2"),
        (_drop_last_mapping, "PDF-TAGS-GLYPH-UNICODE", "7.21.7-1"),
        (_wider, "PDF-TAGS-GLYPH-WIDTH", "7.21.5-1"),
        (_no_cid_to_gid, "PDF-TAGS-GLYPH-PROGRAM", "6.2.11.3.2-1"),
        (_short_cidset, "PDF-TAGS-GLYPH-PROGRAM", "6.2.11.4.2-2"),
    ],
    ids=["U+0000", "private-use", "unmapped", "width", "CIDToGIDMap", "CIDSet"],
)
def test_each_glyph_check_fails_on_its_fault(letter, change, code, rule):
    document, pdf = letter
    issues = tagcheck.check(_mutated(pdf, change), document)
    assert any(c == code and rule in m for c, m, _ in issues), issues


def test_glyph_checks_read_the_fonts_of_all_six_languages():
    from pipeline.typeset import glyphcheck

    seen: dict[str, set[str]] = {}
    for folder in DOCUMENTS:
        document = source.load(folder)
        pdf = render_pdf(document, folder, flavour="2a")
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            tree = tagcheck._Tree(opened, opened.Root.StructTreeRoot)
            drawn = glyphcheck.Drawn()
            list(tagcheck._content(opened, tree, drawn))
            assert glyphcheck.check(opened, drawn) == []
            programs = set()
            for page, name in drawn.shown:
                font = glyphcheck._font(opened.pages[page].Resources.Font[pikepdf.Name(name)])
                assert font.program is not None and font.unicode, font.name  # all judged
                programs.add(font.name.partition("+")[2])
        seen.setdefault(document.language, set()).update(programs)
    assert set(seen) == {"ar", "en", "es", "fr", "ru", "zh"}
    assert any("CJK" in name for name in seen["zh"]) and any("Arabic" in n for n in seen["ar"])


def test_text_in_a_form_xobject_fails_closed(letter):
    document, pdf = letter

    def text_form(opened):
        page = opened.pages[0]
        name = next(iter(page.Resources.Font.keys()))
        form = opened.make_stream(f"BT {name} 10 Tf (x) Tj ET".encode())
        form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        form.BBox = pikepdf.Array([0, 0, 10, 10])
        form.Resources = page.Resources
        if "/XObject" not in page.Resources:
            page.Resources.XObject = pikepdf.Dictionary()
        page.Resources.XObject["/Tx9"] = form

    issues = tagcheck.check(_mutated(pdf, text_form), document)
    assert any(c == "PDF-TAGS-GLYPH-PROGRAM" and "/Tx9" in m for c, m, _ in issues)


# -- structure types and nesting (structrules: PDF-TAGS-ROLEMAP, -ROLES, -PLACEMENT) ----------


def _retype(role: str, new: str, index: int = 0):
    def change(opened):
        _elements(opened, role)[index].S = pikepdf.Name("/" + new)

    return change


def _role_map(mapping: dict[str, str], retype: tuple[str, str] | None = None):
    def change(opened):
        opened.Root.StructTreeRoot.RoleMap = pikepdf.Dictionary(
            {"/" + k: pikepdf.Name("/" + v) for k, v in mapping.items()}
        )
        if retype:
            _retype(*retype)(opened)

    return change


def _all(role: str, new: str):
    def change(opened):
        for element in _elements(opened, role):
            element.S = pikepdf.Name("/" + new)

    return change


def _lbl_in_paragraph(opened):
    span = next(s for s in _elements(opened, "Span") if s.P.S == pikepdf.Name.P)
    span.S = pikepdf.Name.Lbl


def _two_h(opened):
    paragraphs = [p for p in _elements(opened, "P") if pikepdf.Name.Div == p.P.S]
    paragraphs[0].S = paragraphs[1].S = pikepdf.Name.H


def _span_around_paragraphs(opened):
    paragraph = next(p for p in _elements(opened, "P") if pikepdf.Name.Div == p.P.S)
    paragraph.P.S = pikepdf.Name.Span


def _link_without_objr(opened):
    for link in _elements(opened, "Link"):
        link.K = pikepdf.Array([k for k in link.K if not isinstance(k, pikepdf.Dictionary)])


def _note_before_call(opened):
    note = _elements(opened, "Note")[0]
    kids = list(note.P.K)
    at = [k.objgen if isinstance(k, pikepdf.Dictionary) else None for k in kids].index(note.objgen)
    kids[at - 1], kids[at] = kids[at], kids[at - 1]
    note.P.K = pikepdf.Array(kids)


_STRUCTURE_FAULTS = [
    ("unmapped type", _retype("P", "Paragraph"), "PDF-TAGS-ROLEMAP", "7.1-5"),
    ("standard remapped", _role_map({"P": "Span"}), "PDF-TAGS-ROLEMAP", "7.1-4"),
    ("circular map", _role_map({"Xa": "Xb", "Xb": "Xa"}, ("P", "Xa")), "PDF-TAGS-ROLEMAP",
     "02-003"),
    ("mapped TD in L", _role_map({"Cell": "TD"}, ("LI", "Cell")), "PDF-TAGS-ROLES", "7.2-9"),
    ("Lbl in P", _lbl_in_paragraph, "PDF-TAGS-ROLES", "Lbl inside P"),
    ("two TFoot, no TBody", _all("TBody", "TFoot"), "PDF-TAGS-ROLES", "7.2-13"),
    ("THead without TBody", _all("TBody", "TFoot"), "PDF-TAGS-ROLES", "7.2-14"),
    ("two H", _two_h, "PDF-TAGS-ROLES", "7.4.4-2"),
    ("P in Span", _span_around_paragraphs, "PDF-TAGS-PLACEMENT", "holds the block-level P"),
    ("Link without OBJR", _link_without_objr, "PDF-TAGS-PLACEMENT", "28-011"),
    ("Note before its call", _note_before_call, "PDF-TAGS-PLACEMENT", "follow the Reference"),
]  # fmt: skip


def test_each_structure_rule_fails_on_its_fault(make_source):
    text = (
        "# I. Parts\n\nA call[^1] in a sentence, and a [link](https://undocs.org/A/80/1).\n\n"
        "- one\n- two\n\n| Name | Value |\n|---|---|\n| a | 1 |\n| b | 2 |\n\n[^1]: The note.\n"
    )
    folder = make_source(parts={"letter.md": text})
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2a")
    assert tagcheck.check(pdf, document) == []
    mapped = _mutated(pdf, _role_map({"Paragraph": "P"}, ("P", "Paragraph")))
    assert tagcheck.check(mapped, document) == []  # a mapped type is judged as what it maps to
    missed = []
    for name, change, code, rule in _STRUCTURE_FAULTS:
        issues = tagcheck.check(_mutated(pdf, change), document)
        if not any(c == code and rule in m for c, m, _ in issues):
            missed.append((name, [i for i in issues if i[0].startswith("PDF-TAGS-R")][:3]))
    assert missed == []

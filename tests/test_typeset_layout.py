"""Typesetting: the rendered pages, checked by text WITH POSITIONS (pdfplumber), per UN-FORMAT.md.

Positions are pdfplumber boxes in pt from the top-left of the page; tolerances are a few pt,
enough for font-metric differences and tight enough to catch a misplaced element.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from fontTools.ttLib import TTCollection

from pipeline import fonts, source
from pipeline.errors import UserError
from pipeline.typeset import coverage, engine, layout, typeset

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
FIXTURES = REPO / "tests" / "fixtures" / "documents"


def _render(folder: Path) -> bytes:
    return typeset(source.load(folder), folder)


@pytest.fixture(scope="module")
def zh_pdf() -> bytes:
    return _render(EXAMPLE)


@pytest.fixture(scope="module")
def en_pdf() -> bytes:
    return _render(FIXTURES / "en-joint-letter")


@pytest.fixture(scope="module")
def fr_pdf() -> bytes:
    return _render(FIXTURES / "fr-geneva-report")


@pytest.fixture(scope="module")
def ar_pdf() -> bytes:
    return _render(FIXTURES / "ar-letter")


@pytest.fixture(scope="module")
def es_pdf() -> bytes:
    return _render(FIXTURES / "es-draft-resolution")


def _lines(pdf: bytes, page: int) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return doc.pages[page - 1].extract_text_lines(return_chars=True)


def _words(pdf: bytes, page: int) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return doc.pages[page - 1].extract_words(extra_attrs=["size", "fontname"])


def _find(words: list[dict], text: str) -> dict:
    hits = [w for w in words if w["text"] == text]
    assert hits, f"{text!r} not found in {[w['text'] for w in words][:80]}"
    return hits[0]


def _page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [(round(p.width, 1), round(p.height, 1)) for p in doc.pages]


def _near(value: float, target: float, tolerance: float = 3.0) -> bool:
    return abs(value - target) <= tolerance


# -- page geometry -------------------------------------------------------------------------


def test_page_size_per_duty_station(zh_pdf, en_pdf, fr_pdf):
    assert set(_page_sizes(zh_pdf)) == {(612.0, 792.0)}  # New York: US Letter
    assert set(_page_sizes(en_pdf)) == {(612.0, 792.0)}
    assert set(_page_sizes(fr_pdf)) == {(595.3, 842.0)}  # Geneva: A4


# -- masthead of page 1 ----------------------------------------------------------------------


def test_english_masthead_positions(en_pdf):
    words = [w for w in _words(en_pdf, 1) if w["top"] < 210]
    united = _find(words, "United")
    assert _near(united["x0"], 123) and _near(united["top"], 45) and round(united["size"]) == 14
    series = [w for w in words if w["text"] == "A" and round(w["size"]) == 20]
    assert series, "series letter A at 20 pt"
    assert all(_near(w["top"], 41, 4) for w in series)
    rest = _find(words, "/76/9101–")
    assert round(rest["size"]) == 10
    s_rest = _find(words, "/2021/9101") if any(w["text"] == "/2021/9101" for w in words) else None
    symbol_end = max(w["x1"] for w in words if w["top"] < 60)
    assert _near(symbol_end, 552)  # right-aligned to the text block
    assert s_rest is None or s_rest["x1"] <= 552.5
    general = [w for w in words if w["text"] == "General" and round(w["size"]) == 20]
    council = [w for w in words if w["text"] == "Council" and round(w["size"]) == 20]
    assert general and council, "organ names stacked, 20 pt"
    assert "Bold" in general[0]["fontname"]
    assert _near(general[0]["x0"] - 0, 123 + 0, 60)  # "General Assembly" starts in the organ column
    assert _near(general[0]["top"], 69, 4)
    assert council[0]["top"] > general[0]["top"] + 18  # stacked under the first organ


def test_distribution_block_in_right_column(en_pdf, zh_pdf):
    for pdf, lines in (
        (en_pdf, ["Distr.: General", "17 March 2022", "Original: English"]),
        (zh_pdf, ["Distr.: General", "5 March 2021", "Chinese", "Original: Russian"]),
    ):
        found = {}
        for line in _lines(pdf, 1):
            for text in lines:
                if text in line["text"] and line["top"] < 200:
                    found[text] = line
        assert set(found) == set(lines)
        assert all(_near(found[t]["x0"], 397) for t in lines)
        assert _near(found["Distr.: General"]["top"], 78, 3)
    # English original: the version-language line is blank, so Original sits 36 pt below Distr.
    en = {t: next(x for x in _lines(en_pdf, 1) if t in x["text"]) for t in lines[:1]}
    original = next(x for x in _lines(en_pdf, 1) if "Original: English" in x["text"])
    assert _near(original["top"] - en["Distr.: General"]["top"], 36, 1)


def test_rules_and_thick_rule_at_fixed_height(en_pdf, zh_pdf):
    for pdf in (en_pdf, zh_pdf):
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            page = doc.pages[0]
            rules = [r for r in page.rects if r["x1"] - r["x0"] > 480]
        tops = sorted(round(r["top"], 1) for r in rules)
        heights = {round(r["top"], 1): round(r["bottom"] - r["top"], 1) for r in rules}
        assert any(_near(t, 64.8, 0.5) and heights[t] == 0.5 for t in tops), tops  # thin rule [M]
        assert any(_near(t, 208.9, 0.5) and heights[t] == 1.5 for t in tops), tops  # thick rule [M]


def test_chinese_masthead_and_session_block(zh_pdf):
    lines = _lines(zh_pdf, 1)
    text = "\n".join(x["text"] for x in lines)
    for expected in (
        "联合国",
        "大 会",
        "安全理事会",
        "第七十五届会议",
        "第七十六年",
        "议程项目130(t)",
    ):
        assert expected in text
    label = next(x for x in lines if x["text"].startswith("联合国"))
    assert _near(label["x0"], 123) and _near(label["top"], 45, 4)
    # joint GA/SC: two columns under the thick rule, left at the margin, right at the distr. column
    session = [w for w in _words(zh_pdf, 1) if 205 < w["top"] < 300]
    assert _near(_find(session, "第七十五届会议")["x0"], 60)
    assert _near(_find(session, "第七十六年")["x0"], 397)
    title = next(x for x in lines if x["text"].startswith("2021年3月2日塔吉克斯坦"))
    assert _near(title["x0"], 123) and round(title["chars"][5]["size"]) == 14
    assert "Bold" in title["chars"][5]["fontname"]


def test_chinese_uses_the_sc_face_of_the_collection(zh_pdf):
    """Characters whose glyph differs between the SC face (index 2) and the JP face (index 0)."""
    collection = TTCollection(str(fonts.locate("NotoSerifCJK-Regular.ttc")), lazy=True)
    jp, sc = collection.fonts[0], collection.fonts[2]
    text = (EXAMPLE / "letter.md").read_text(encoding="utf-8")
    differing = [
        (jp.getGlyphID(jp.getBestCmap()[ord(c)]), sc.getGlyphID(sc.getBestCmap()[ord(c)]))
        for c in dict.fromkeys(text)
        if "\u4e00" <= c <= "\u9fff"
    ]
    differing = [(j, s) for j, s in differing if j != s]
    assert differing, "the letter has characters whose SC glyph differs from JP"
    pdf = pikepdf.open(io.BytesIO(zh_pdf))
    content = b"".join(
        p.Contents.read_bytes()
        if not isinstance(p.Contents, pikepdf.Array)
        else b"".join(c.read_bytes() for c in p.Contents)
        for p in pdf.pages
    )
    hexes = b"".join(re.findall(rb"<([0-9a-fA-F]+)>", content)).decode()
    used = {int(hexes[i : i + 4], 16) for i in range(0, len(hexes) - 3, 4)}
    assert all(s in used for _, s in differing), "drawn with the SC glyphs"
    assert not any(j in used for j, _ in differing), "no JP glyphs"


def test_body_indent_and_chinese_flush_lines(zh_pdf):
    lines = [x for x in _lines(zh_pdf, 1) if 330 < x["top"] < 520]
    assert lines
    assert all(x["x0"] >= 122.5 for x in lines)
    # full lines of ideographs end flush at 35 ems of 10.5 pt from the body indent
    assert any(_near(x["x1"], 123 + 367.5, 0.6) for x in lines)


def test_signature_chinese_order(zh_pdf):
    lines = _lines(zh_pdf, 1)
    title = next(i for i, x in enumerate(lines) if x["text"] == "常驻代表")
    assert lines[title + 1]["text"].endswith("(签名)")
    assert _near(lines[title + 1]["x1"], 490.5, 1)  # right-aligned to the body column


def test_english_signature(en_pdf):
    with pdfplumber.open(io.BytesIO(en_pdf)) as doc:
        text = "\n".join(p.extract_text() for p in doc.pages)
    assert "(Signed) Kwabena Owusu-Mensah" in text


# -- first-page footer ------------------------------------------------------------------------


def test_first_page_footer(zh_pdf):
    words = _words(zh_pdf, 1)
    job = _find(words, "21-90001")
    assert _near(job["x0"], 65) and _near(job["top"], 739)
    assert _find(words, "(C)")
    assert _find(words, "090321")["x0"] > job["x1"] and _find(words, "100321")
    # the caption under the bars: one character under each Code 39 character (letter-spaced)
    caption = [w for w in words if w["top"] > job["top"] + 20 and w["x1"] < 200]
    assert "".join(w["text"] for w in caption) == "*2190001*"
    assert caption[-1]["x1"] - caption[0]["x0"] > 90  # spread across the 101 pt of bars
    assert _find(words, "请回收")["top"] > 700
    with pdfplumber.open(io.BytesIO(zh_pdf)) as doc:
        page = doc.pages[0]
        bars = [r for r in page.rects if r["top"] > 745 and r["x1"] < 200]
        assert len(bars) > 20  # the Code 39 bars, as vector rectangles
        qr = [e for e in page.lines if e["x0"] > 490 and e["top"] > 700]
        assert qr and _near(max(e["x1"] for e in qr), 552.8, 1.5)  # QR at the right [M]
        assert _near(min(e["top"] for e in qr), 709.3, 1.5)  # 54.7 pt square [M]


def test_french_footer_recycle_and_job(fr_pdf):
    words = _words(fr_pdf, 1)
    assert _find(words, "GE.22-90105")
    assert _find(words, "(F)")
    assert _find(words, "190122") and _find(words, "240122")
    assert _find(words, "recycler")
    caption = [w for w in words if w["top"] > 790 and w["x1"] < 200 and w["size"] < 9]
    assert "".join(w["text"] for w in caption) == "*2290105*"


# -- continuation pages ----------------------------------------------------------------------


def test_running_heads_new_york(zh_pdf):
    pages = len(_page_sizes(zh_pdf))
    assert pages >= 3
    even, odd = _words(zh_pdf, 2), _words(zh_pdf, 3)
    for words, outer_left in ((even, True), (odd, False)):
        a = _find(words, "A/75/9001")
        s = _find(words, "S/2021/9001")
        assert round(a["size"]) == 9 and "Bold" in a["fontname"]
        assert s["top"] > a["top"]  # joint: one symbol per line
        assert _near(a["x0"], 60) if outer_left else _near(a["x1"], 552)
        number = _find(words, f"{2 if outer_left else 3}/{pages}")
        assert _near(number["x0"], 60) if outer_left else _near(number["x1"], 552)
        assert _near(number["top"], 749, 3) and "Bold" in number["fontname"]
        job = _find(words, "21-90001")  # bare job number at the inner edge
        assert _near(job["x1"], 552) if outer_left else _near(job["x0"], 60)
    with pdfplumber.open(io.BytesIO(zh_pdf)) as doc:
        rects = [r for r in doc.pages[1].rects if r["x1"] - r["x0"] > 480]
        assert any(_near(r["bottom"], 65.3, 1) for r in rects)  # the rule under the symbol [M]


def test_geneva_page_numbers_have_no_total(fr_pdf):
    words = _words(fr_pdf, 2)
    assert _find(words, "2")
    assert not [w for w in words if re.fullmatch(r"\d+/\d+", w["text"])]
    assert _find(words, "GE.22-90105")


def test_annexes_start_on_a_new_page(zh_pdf):
    with pdfplumber.open(io.BytesIO(zh_pdf)) as doc:
        # the first line under the running head (two symbol lines) of each later page
        firsts = [p.extract_text_lines()[2] for p in doc.pages[1:]]
    starts = [x for x in firsts if x["text"].startswith("2021年3月2日塔吉克斯坦")]
    assert len(starts) == 2 and all(x["top"] < 100 for x in starts)
    lines2 = _lines(zh_pdf, 2)
    marker = next(x for x in lines2 if x["text"] == "[原件：俄文]")
    assert _near(marker["x1"], 490.5, 1)  # flush right


def test_arabic_is_mirrored(ar_pdf):
    words = _words(ar_pdf, 1)
    series = [w for w in words if round(w["size"]) == 20 and w["text"].startswith("A")]
    assert series and series[0]["x0"] < 100  # the symbol at the left, left to right
    distr = next(x for x in _lines(ar_pdf, 1) if "Distr." in x["text"])
    assert distr["x0"] < 100  # English distribution block at the left
    with pdfplumber.open(io.BytesIO(ar_pdf)) as doc:
        page = doc.pages[0]
        assert page.chars[0]  # text exists
        qr = [e for e in page.lines if e["top"] > 700 and e["x1"] < 200]
        assert qr  # QR mirrored to the left


# -- numbered paragraphs and footnotes (§1.2, §1.3) ----------------------------------------

PARA_NUMBER = re.compile(r"\d+\.")


def _paragraph_numbers(pdf: bytes, body_x: float) -> list[tuple[int, dict, list[dict]]]:
    """(page, number word, words of the page) for every paragraph number at the body indent."""
    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for index, page in enumerate(doc.pages, start=1):
            words = page.extract_words(extra_attrs=["size", "fontname"])
            for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
                if (
                    PARA_NUMBER.fullmatch(word["text"])
                    and _near(word["x0"], body_x, 1)
                    and round(word["size"]) == 10
                    and "Bold" not in word["fontname"]
                ):
                    found.append((index, word, words))
    return found


def _page_texts(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(p.extract_text() for p in doc.pages)


def test_paragraph_numbers_continue_across_headings(fr_pdf):
    """Each list after a heading is <ol start="N">: 1 … 17 in reading order, no restart."""
    numbers = [int(w["text"][:-1]) for _, w, _ in _paragraph_numbers(fr_pdf, 113.4)]
    assert numbers == list(range(1, 18))
    text = _page_texts(fr_pdf)
    # the number is extracted before its paragraph's text, on the same line
    assert re.search(r"^4\.\s*Le droit de chacun", text, re.M)
    assert re.search(r"^17\.\s*Il recommande", text, re.M)


def test_list_start_and_value_attributes_drive_the_numbers(tmp_path):
    html = layout._list_numbers(
        '<ol start="5"><li>five</li><li value="9">nine</li><li>ten</li></ol>'
        '<ol start="12">\n<li>\n<p>twelve</p>\n</li>\n</ol>'
    )
    page = (
        '<html lang="en" class="lang-en geometry-letter"><body>'
        f'<section class="part"><div class="part-body">{html}</div></section></body></html>'
    )
    pdf = engine.render(page, tmp_path)
    lines = [x["text"] for x in _lines(pdf, 1)]
    assert lines == ["5. five", "9. nine", "10. ten", "12. twelve"]


@pytest.mark.parametrize("name", ["es_pdf", "fr_pdf"])
def test_paragraph_number_stays_with_its_first_line(name, request):
    pdf = request.getfixturevalue(name)
    # a draft's operative paragraphs are numbered 24 pt in (at 147 pt) [M A/C.2/80/L.2]
    body_x = 147 if name == "es_pdf" else 113.4
    numbers = _paragraph_numbers(pdf, body_x)
    assert numbers
    for page, number, words in numbers:
        same_line = [
            w for w in words if w["x0"] > number["x1"] and abs(w["bottom"] - number["bottom"]) <= 2
        ]
        assert same_line, f"page {page}: {number['text']!r} alone on its line"


def test_spanish_operative_paragraph_one_starts_after_the_preamble(es_pdf):
    numbers = _paragraph_numbers(es_pdf, 147)
    assert [int(w["text"][:-1]) for _, w, _ in numbers] == list(range(1, 7))
    assert re.search(r"^1\.\s*Exhorta a los Estados", _page_texts(es_pdf), re.M)


def test_geneva_footnote_number_hangs_left_of_the_text(fr_pdf):
    """§1.2: note number at ≈ 102.6 pt, note text (9 pt) at the body indent (113.3 pt)."""
    with pdfplumber.open(io.BytesIO(fr_pdf)) as doc:
        words = [
            w for p in doc.pages for w in p.extract_words(extra_attrs=["size"]) if w["top"] > 600
        ]
    markers = [  # the note numbers, not the calls in the text above
        w
        for w in words
        if re.fullmatch(r"\d", w["text"]) and round(w["size"]) == 6 and w["x1"] < 113
    ]
    assert [m["text"] for m in markers] == [str(n) for n in range(1, 7)]
    for marker in markers:
        assert _near(marker["x0"], 102.6, 1), marker
        text = [w for w in words if round(w["size"]) == 9 and abs(w["top"] - marker["top"]) < 3]
        assert text and _near(min(w["x0"] for w in text), 113.4, 0.5)


def test_french_and_spanish_sub_paragraphs_read_a_paren(tmp_path):
    """§1.3: fr/es sub-paragraphs "a)" (and "i)"), other languages "(a)"."""
    folder = tmp_path / "es"
    shutil.copytree(FIXTURES / "es-draft-resolution", folder)
    source_md = folder / "proyecto.md"
    text = source_md.read_text(encoding="utf-8")
    # the lettered sub-paragraphs as a nested ordered list, lettered by the stylesheet
    for n, letter in enumerate("abcd", start=1):
        text = text.replace(f"   {letter}) ", f"   {n}. ")
    text = text.replace("   4. Protejan", "   4. Protejan\n\n      1. uno\n      2. dos")
    source_md.write_text(text, encoding="utf-8")
    pdf = _render(folder)
    page_text = _page_texts(pdf)
    for letter, start in zip(
        "abcd", ("Adopten", "Garanticen", "Integren", "Protejan"), strict=True
    ):
        assert re.search(rf"^{letter}\)\s*{start}", page_text, re.M), letter
    assert re.search(r"^i\)\s*uno", page_text, re.M) and re.search(r"^ii\)\s*dos", page_text, re.M)
    assert "(a)" not in page_text and "(i)" not in page_text
    english = engine.render(
        '<html lang="en" class="lang-en geometry-letter"><body><section class="part">'
        '<div class="part-body"><ol><li>one<ol><li>sub</li></ol></li></ol></div></section>'
        "</body></html>",
        tmp_path,
    )
    assert [x["text"] for x in _lines(english, 1)] == ["1. one", "(a) sub"]


# -- determinism and safety ------------------------------------------------------------------


def test_byte_identical_across_renders(zh_pdf):
    assert _render(EXAMPLE) == zh_pdf


def test_hostile_source_leaks_nothing(tmp_path):
    folder = tmp_path / "hostile"
    shutil.copytree(FIXTURES / "en-joint-letter", folder)
    hostile = (
        '<link rel=attachment href="file:///etc/passwd">\n\n'
        '<img src="http://127.0.0.1:9/x">\n\n'
        "<script>alert(1)</script>\n\n"
        '<a rel="attachment" href="file:///etc/hostname">x</a>\n\n'
    )
    letter = folder / "letter.md"
    letter.write_text(hostile + letter.read_text(encoding="utf-8"), encoding="utf-8")
    pdf_bytes = _render(folder)
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    assert not pdf.attachments
    assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
    for page in pdf.pages:
        for annot in page.get("/Annots", []):
            assert annot.get("/Subtype") != "/FileAttachment"
    assert b"root:x:0:0" not in pdf_bytes
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as doc:
        text = doc.pages[0].extract_text()
    assert "<script>" in text  # shown as text, not run or dropped


def test_fetcher_refuses_outside_roots(tmp_path):
    fetcher = engine.AllowListFetcher([tmp_path])
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x", f"file://{tmp_path}/../x"):
        with pytest.raises(engine.FetchRefused):
            fetcher.fetch(url)
    (tmp_path / "ok.txt").write_text("fine")
    assert fetcher.fetch((tmp_path / "ok.txt").as_uri()).read() == b"fine"
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    html = '<html><body><img src="file:///etc/passwd"></body></html>'
    with pytest.raises(engine.RenderError, match="refused"):
        engine.render(html, tmp_path)


def test_fonts_served_only_when_pinned():
    fetcher = engine.AllowListFetcher([], fonts_allowed=True)
    assert fetcher.fetch("font:LiberationSerif-Regular.ttf").read(4)
    with pytest.raises(engine.FetchRefused):
        fetcher.fetch("font:DejaVuSans.ttf")
    with pytest.raises(engine.FetchRefused):
        engine.AllowListFetcher([]).fetch("font:LiberationSerif-Regular.ttf")


def test_unknown_option_and_notdef_are_errors(tmp_path):
    with pytest.raises(ValueError):
        engine.render("<p>x</p>", tmp_path, "pdf/a-1b")
    html = '<html lang="en" class="lang-en geometry-letter"><body><p>\U0001faa8</p></body></html>'
    with pytest.raises(engine.RenderError, match="notdef"):
        engine.render(html, tmp_path)


def test_coverage_names_character_part_and_line(tmp_path):
    folder = tmp_path / "doc"
    shutil.copytree(FIXTURES / "en-joint-letter", folder)
    letter = folder / "letter.md"
    letter.write_text("First line.\n\nA \u4e2d character.\n", encoding="utf-8")
    document = source.load(folder)
    with pytest.raises(UserError) as caught:
        coverage.check(document)
    problem = caught.value.problems[0]
    assert "U+4E2D" in problem.message and problem.file == "letter.md" and problem.line == 3


def test_layout_html_escapes_and_takes_an_emblem(tmp_path):
    document = source.load(EXAMPLE)
    emblem = tmp_path / "emblem.svg"
    emblem.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
    html = layout.build_html(document, emblem=emblem)
    assert 'lang="zh-CN"' in html and "geometry-letter" in html
    assert "data:image/svg+xml;base64," in html
    assert "file:" not in html and "http://" not in html

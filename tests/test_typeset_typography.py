"""Issue 13 on the rendered pages (pdfplumber positions, pypdfium2 text): no hyphenation in any
language, Chinese lines flush at both margins, the committee and sponsors lines, French
typography, Arabic furniture on the page and in logical order."""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
from functools import cache
from pathlib import Path

import pdfplumber
import pytest

from pipeline import source
from pipeline.typeset import exacttext, render_pdf, textcheck, typeset

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "documents"
REFERENCE = REPO / "tests" / "fixtures" / "reference"
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
SIX = {
    "ar": FIXTURES / "ar-letter",
    "zh": FIXTURES / "zh-report",
    "en": FIXTURES / "en-long-report",
    "fr": FIXTURES / "fr-geneva-report",
    "ru": FIXTURES / "ru-note",
    "es": FIXTURES / "es-draft-resolution",
}


@cache
def _pdf(folder: Path) -> bytes:
    return typeset(source.load(folder), folder)


def _lines(pdf: bytes) -> list[list[dict]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text_lines(return_chars=True) for page in doc.pages]


def _source_words(folder: Path) -> str:
    text = " ".join(f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.md")))
    return unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("lang", sorted(SIX))
def test_no_line_ends_hyphenated(lang):
    """0 hyphenated line ends: no drawn hyphen (U+2010, soft hyphen), and a line ending in "-"
    only where the source has that compound ("Secretary-" / "General")."""
    folder = SIX[lang]
    pages = _lines(_pdf(folder))
    text = _source_words(folder)
    flat = [line["text"] for page in pages for line in page]
    for line, following in itertools.pairwise(flat):
        assert not line.endswith(("\u2010", "\u00ad")), line
        if line.endswith("-") and following:
            word = line.split()[-1] + following.split()[0]
            assert re.sub(r"[^\w-]", "", word) in re.sub(r"[^\w\s-]", "", text), (line, following)


def _chinese_body_lines(pdf: bytes) -> list[tuple[dict, bool]]:
    """Body lines (x >= body indent) of justified paragraphs, with "is last of its paragraph"."""
    out = []
    for page in _lines(pdf):
        body = [x for x in page if x["x0"] > 120 and 220 < x["top"] < 700]
        for line, nxt in zip(body, [*body[1:], None], strict=False):
            if not any("\u4e00" <= c <= "\u9fff" for c in line["text"]):
                continue
            chars = line["chars"]
            if any(b["x0"] - a["x1"] > 12 for a, b in itertools.pairwise(chars)):
                continue  # a table row, not a paragraph line
            last = (
                nxt is None
                or nxt["x0"] > line["x0"] + 10
                or nxt["top"] - line["top"] > 20
                # a line ended by a <br> before a bold caption is not justified either
                or ("Bold" in nxt["chars"][0]["fontname"]) != ("Bold" in chars[0]["fontname"])
            )
            out.append((line, last))
    return out


@pytest.mark.parametrize("folder", [EXAMPLE, FIXTURES / "zh-report"], ids=["example", "report"])
def test_chinese_justified_lines_end_on_the_margin(folder):
    lines = _chinese_body_lines(_pdf(folder))
    full = [line for line, last in lines if not last]
    assert len(full) > 5
    margin = max(x["x1"] for x in full)
    assert abs(margin - (123 + 367.5)) < 1  # the measure is 35 ems of 10.5 pt
    short = [(round(x["x1"], 1), x["text"][-6:]) for x in full if margin - x["x1"] > 0.5]
    assert not short, short


def test_chinese_lines_keep_the_line_breaking_rules():
    closing, opening = "、。，）」』”：；！？", "（「『“"
    for folder in (EXAMPLE, FIXTURES / "zh-report"):
        for line, _last in _chinese_body_lines(_pdf(folder)):
            assert line["text"][0] not in closing, line["text"]
            assert line["text"][-1] not in opening, line["text"]


def test_chinese_justification_adds_no_character():
    document = source.load(EXAMPLE)
    extracted = textcheck.join(textcheck.read(_pdf(EXAMPLE)))
    assert not list(textcheck.mismatches(document, extracted))
    assert "  " not in extracted.replace("\r\n", "\n").split("联合国", 1)[1][:2000]


def test_chinese_agenda_title_has_no_single_character_line():
    lines = [x for x in _lines(_pdf(EXAMPLE))[0] if 210 < x["top"] < 300 and x["x0"] < 70]
    assert lines and all(len(x["text"].split()[0]) > 1 for x in lines), [x["text"] for x in lines]


def test_committee_line_under_the_session_in_bold_12pt():
    page = _lines(_pdf(SIX["es"]))[0]
    session = next(x for x in page if x["text"].startswith("Septuagésimo séptimo"))
    committee = next(x for x in page if x["text"] == "Tercera Comisión")
    assert committee["x0"] == pytest.approx(session["x0"], abs=0.1)
    assert 11 < committee["top"] - session["top"] < 15
    assert (
        round(committee["chars"][0]["size"]) == 12 and "Bold" in committee["chars"][0]["fontname"]
    )


def test_draft_sponsors_line_title_and_opening():
    page = _lines(_pdf(REFERENCE / "c2-l2"))[0]
    sponsors = next(x for x in page if x["text"].startswith("Palau:"))
    assert sponsors["text"] == "Palau:* draft resolution"
    assert "Bold" in sponsors["chars"][0]["fontname"] and sponsors["x0"] == pytest.approx(
        123, abs=1
    )
    title = next(x for x in page if x["text"] == "Multidimensional vulnerability index")
    assert round(title["chars"][0]["size"]) == 12
    opening = next(x for x in page if x["text"] == "The General Assembly,")
    assert "Italic" in opening["chars"][0]["fontname"]
    assert opening["x0"] == pytest.approx(147, abs=1)  # 24 pt in, as preambular paragraphs
    first = next(x for x in page if x["text"].startswith("1."))
    assert first["x0"] == pytest.approx(147, abs=1)
    expresses = next(c for c in first["chars"] if c["text"] == "E")
    assert expresses["x0"] == pytest.approx(171, abs=1)  # the operative text 24 pt further
    note = next(x for x in page if "Alliance of Small" in x["text"])
    assert note["text"].startswith("*")


def test_french_apostrophes_guillemets_and_spaces():
    text = textcheck.join(textcheck.read(_pdf(SIX["fr"])))
    assert text.count("’") > 10 and "'" not in text
    assert "«\u202f" in text and "\u202f»" in text
    assert re.search(r"\w\u202f[:;!?]", text)
    assert not re.search(r"\w [:;!?]", text)  # no plain, breakable space before them
    assert "https://undocs.org/fr/A/HRC/RES/46/1" in "".join(source.load(SIX["fr"]).parts[0].html)


def test_paragraph_numbers_keep_their_space():
    text = textcheck.join(textcheck.read(_pdf(SIX["fr"])))
    assert re.search(r"(^|\n)1\. Le présent rapport", text)


def test_every_element_inside_the_page_box():
    for lang, folder in SIX.items():
        with pdfplumber.open(io.BytesIO(_pdf(folder))) as doc:
            for page in doc.pages:
                for obj in [*page.chars, *page.rects, *page.lines, *page.curves, *page.images]:
                    assert obj["x0"] >= -0.5 and obj["x1"] <= page.width + 0.5, (lang, obj)
                    assert obj["top"] >= -0.5 and obj["bottom"] <= page.height + 0.5, (lang, obj)


def test_arabic_end_rule_centred_and_latin_runs_in_one_face():
    with pdfplumber.open(io.BytesIO(_pdf(SIX["ar"]))) as doc:
        last = doc.pages[-1]
        rules = [r for r in last.rects if 60 < r["x1"] - r["x0"] < 100]
        assert rules, "end rule drawn"
        centre = (rules[-1]["x0"] + rules[-1]["x1"]) / 2
        assert centre == pytest.approx(last.width / 2, abs=1)
        first = doc.pages[0]
        symbol = [c for c in first.chars if c["top"] < 62 and c["x0"] < 200]
        assert {c["fontname"].split("+")[1] for c in symbol} == {"unfolio-Liberation-Serif"}
    footer = textcheck.read(_pdf(SIX["ar"]))[0].text
    assert "21-90102 (A)" in footer


def test_inter_character_repair_is_installed_on_the_pinned_weasyprint():
    from weasyprint.layout import inline

    from pipeline.typeset import engine, wpfixes  # noqa: F401  (engine applies the repairs)

    assert getattr(inline.justify_line, "unfolio_repair", False)
    assert wpfixes.PATCHED_VERSION == "70.0"


def test_sponsors_and_subsidiary_body_are_checked_for_font_coverage():
    import dataclasses

    from pipeline.errors import UserError
    from pipeline.model import Sponsors
    from pipeline.typeset import coverage

    document = source.load(REFERENCE / "c2-l2")
    bad = dataclasses.replace(document, sponsors=Sponsors("帕劳"))
    with pytest.raises(UserError) as caught:
        coverage.check(bad)
    assert any(p.pointer == "/sponsors/names" for p in caught.value.problems)
    organ = dataclasses.replace(document.organs[0], body="工作组")
    with pytest.raises(UserError) as caught:
        coverage.check(dataclasses.replace(document, organs=(organ,)))
    assert any(p.pointer == "/organs/0/body" for p in caught.value.problems)


def test_a_draft_with_a_sponsors_note_passes_the_exact_content_comparison():
    """The sponsors line is one piece without its note (drawn at the foot, called "*")."""
    folder = REFERENCE / "c2-l2"
    document = source.load(folder)
    found = list(exacttext.mismatches(document, exacttext.page_texts(_pdf(folder))))
    assert not found, found


def test_arabic_masthead_extracts_in_logical_order():
    """pdfium joins text objects on one baseline into a line and, when the line holds more
    right-to-left runs than left-to-right ones, reverses the order of its runs: the symbol
    beside the Arabic label came out "/76/9102A". The symbol and the distribution block are
    painted apart from the label and organ (their own layer), so each is a line of its own."""
    pdf = _pdf(SIX["ar"])
    import pypdfium2

    page = pypdfium2.PdfDocument(pdf)[0]
    lines = page.get_textpage().get_text_range().splitlines()
    assert "A/76/9102" in lines
    assert "الجمعية العامة" in lines  # the organ, no longer merged with "Distr.: General"
    assert "Distr.: General" in lines
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        drawn = "".join(c["text"] for c in doc.pages[0].chars)  # in drawing order
    assert "A/76/9102" in drawn


def _write_source(folder: Path, document: dict, text: str) -> Path:
    import json

    folder.mkdir()
    (folder / "document.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    (folder / "text.md").write_text(text, encoding="utf-8")
    return folder


def _draft(lang: str, names: str, title: str, opening: str) -> dict:
    return {
        "symbols": ["A/C.2/80/L.12"],
        "language": lang,
        "original_languages": ["en"],
        "distribution": "limited",
        "date": "2025-10-20",
        "duty_station": "new-york",
        "organs": [{"organ": "GA", "session": 80, "agenda_items": [{"item": "22"}]}],
        "title": title,
        "sponsors": {"names": names, "note": opening},
        "job_number": "25-17123",
        "processing_dates": ["2025-10-21"],
        "parts": [{"kind": "main", "text": "text.md"}],
    }


def test_french_sponsors_line_has_a_no_break_space_before_its_colon(tmp_path):
    """ "Grèce* : projet de résolution": the space before the colon is U+202F, as in the body
    (the line is set in two pieces around the call, so the rule must see the piece's start)."""
    folder = _write_source(
        tmp_path / "fr",
        _draft("fr", "Allemagne, France et Grèce", "Le titre", "Au nom du Groupe."),
        "L’Assemblée générale,\n\n1. *Prie* le Secrétaire général de faire rapport.\n",
    )
    pdf = render_pdf(source.load(folder), folder)
    text = textcheck.join(textcheck.read(pdf))
    assert "France et Grèce*\u202f: projet de résolution" in text
    assert not re.search(r"\w\*? [:;!?]", text)


def test_arabic_prefix_on_a_latin_word_passes_the_round_trip(tmp_path):
    """ "وUNICEF" (the conjunction written onto a Latin name) is one word in the source; pdfium
    emits the line's runs in visual order ("UNICEFو"): the gate's round trip must accept it
    (a valid document refused at PDF-TEXT-ROUNDTRIP before)."""
    folder = _write_source(
        tmp_path / "ar",
        _draft("ar", "ألبانيا وأندورا", "تعزيز التنسيق", "باسم المجموعة."),
        "إن الجمعية العامة،\n\n*وإذ تؤكد* أهمية الاتصالات خلال جائحة COVID-19 بالتعاون مع UNDP"
        " وUNICEF وبرنامج WFP، وظاهرتي El Niño وLa Niña،\n\n1. *تطلب* إلى الأمين العام تقريرا.\n",
    )
    document = source.load(folder)
    pdf = render_pdf(document, folder)  # raises GateFailed if the round trip refuses it
    assert not list(textcheck.mismatches(document, textcheck.join(textcheck.read(pdf))))


def _footnote_rules(pdf: bytes) -> list[tuple[float, float]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [
            (round(r["x0"], 1), round(r["x1"], 1))
            for page in doc.pages
            for r in [*page.rects, *page.lines, *page.images]
            if 600 < r["top"] < 800 and 60 < r["x1"] - r["x0"] < 80 and r["bottom"] - r["top"] < 1
        ]


@pytest.mark.parametrize(
    ("station", "job", "mirrored"),
    [("new-york", "25-18234", (429.2, 501.2)), ("geneva", "GE.25-18234", (430.9, 504.7))],
)
def test_arabic_footnote_separator_is_mirrored(tmp_path, station, job, mirrored):
    """The notes of an Arabic page hang from the right margin, and so does their separator:
    the mirror of 110.8-182.8 (New York) and 90.6-164.4 (Geneva), not at the left."""
    document = _draft("ar", "ألبانيا", "تعزيز التنسيق", "باسم المجموعة.")
    del document["sponsors"]
    document.update(symbols=["A/80/912"], distribution="general", duty_station=station)
    document.update(job_number=job)
    folder = _write_source(
        tmp_path / "ar",
        document,
        "يقدم هذا التقرير[^1] عملا بالقرار.\n\n[^1]: انظر الوثيقة A/80/1.\n",
    )
    pdf = typeset(source.load(folder), folder)
    assert _footnote_rules(pdf) == [pytest.approx(mirrored, abs=0.2)]
    # the note number hangs right of the note's text (by --fn-number-x), not over its first word
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        notes = [c for c in doc.pages[0].chars if c["top"] > 600 and c["text"].strip()]
    number = next(c for c in notes if c["text"] == "1" and round(c["size"]) == 6)
    text_end = max(c["x1"] for c in notes if round(c["size"]) == 9)
    hang = {"new-york": 20.4, "geneva": 10.7}[station]
    assert number["x1"] == pytest.approx(text_end + hang, abs=0.3)


def test_a_url_never_breaks_after_its_hyphens(tmp_path):
    """A line ending in a URL's own hyphen reads as a hyphenated line end: URLs break at their
    slashes or before a hyphen (the Chicago rule), never after it; nothing
    leaves the text block, and the gate passes."""
    url = "https://example.org/" + "-".join(["segment"] * 40) + "/a-b/" + "-".join(["x1"] * 30)
    document = _draft("en", "Palau", "A title", "On behalf of a group.")
    del document["sponsors"]
    document.update(symbols=["A/80/912"], distribution="general")
    folder = _write_source(tmp_path / "en", document, f"1. See {url} and Secretary-General.\n")
    pdf = render_pdf(source.load(folder), folder)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        lines = [
            x["text"] for x in page.extract_text_lines() if "x1" in x["text"] or "seg" in x["text"]
        ]
        assert len(lines) > 3
        assert not [x for x in lines if x.endswith("-")], lines
        assert all(c["x0"] >= 59.5 and c["x1"] <= 552.5 for c in page.chars)
    assert url in textcheck.join(textcheck.read(pdf)).replace("\r\n", "").replace("\n", "")


def test_an_arabic_url_with_hyphens_draws_in_one_piece(tmp_path):
    """In a right-to-left line, a URL split into spans came out reordered on the page
    ("unding/overview/2025 f-https://fts.unocha.org/global") and the gate refused it."""
    url = "https://fts.unocha.org/global-funding/overview/2025"
    document = _draft("ar", "ألبانيا", "تعزيز التنسيق", "باسم المجموعة.")
    del document["sponsors"]
    document.update(symbols=["A/80/912"], distribution="general")
    folder = _write_source(tmp_path / "ar", document, f"1. انظر {url} والوثائق A/80/1.\n")
    pdf = render_pdf(source.load(folder), folder)
    assert url in textcheck.join(textcheck.read(pdf))


def _session_baselines(pdf: bytes) -> list[tuple[float, str]]:
    """(baseline, text) of each line at the left margin between the thick rule and the title."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        rows: dict[float, str] = {}
        for c in sorted(page.chars, key=lambda c: c["x0"]):
            baseline = round(page.height - c["matrix"][5], 1)
            if 200 < baseline < 300 and c["x0"] < 300:
                rows[baseline] = rows.get(baseline, "") + c["text"]
    return sorted(rows.items())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_committee_line_baselines_as_measured_in_every_script(tmp_path, lang):
    """Session → committee → agenda baselines 13.2 / 12.2 pt, the lines under them 12 pt apart
    [M R3, R4]. Chinese lines grew by about 1 pt each (a CJK glyph's line box and the Latin
    strut overlap only in part): 14.5 / 13.0 / 13.0 before."""
    title = {
        "en": "Strengthening of the coordination " * 4,
        "zh": "加强联合国人道主义援助的协调" * 4,
    }
    document = _draft(lang, "Palau", "A title", "On behalf of a group.")
    document["organs"][0]["agenda_items"][0]["title"] = title[lang].strip()
    folder = _write_source(tmp_path / lang, document, "1. Text.\n")
    rows = _session_baselines(typeset(source.load(folder), folder))
    steps = [round(b - a, 1) for (a, _), (b, _) in itertools.pairwise(rows)]
    assert len(steps) >= 4, rows
    assert steps[0] == pytest.approx(13.2, abs=0.3)  # session → committee
    assert steps[1] == pytest.approx(12.2, abs=0.3)  # committee → agenda item
    assert all(step == pytest.approx(12, abs=0.2) for step in steps[2:]), steps
    assert rows[0][0] == pytest.approx(222.3, abs=1)


@pytest.mark.parametrize(
    ("station", "job", "margin"),
    [("new-york", "25-18234", 490.5), ("geneva", "GE.25-18234", 480.9)],
)
def test_chinese_footnote_lines_end_on_the_body_margin(tmp_path, station, job, margin):
    """A Chinese note's full lines end where the body's do (35 ems of 10.5 pt from the body
    indent), not 0.5 pt short (New York) or 3.2 pt past it (Geneva)."""
    document = _draft("zh", "帕劳", "标题", "代表小组。")
    del document["sponsors"]
    document.update(symbols=["A/80/912"], distribution="general", duty_station=station)
    document.update(job_number=job)
    note = "深为关切受灾害影响的人数空前之多，如A/80/1号文件和秘书长的报告（A/80/78）所述，" * 4
    folder = _write_source(
        tmp_path / "zh", document, f"1. 本报告是根据大会决议提交的。[^1]\n\n[^1]: {note}\n"
    )
    with pdfplumber.open(io.BytesIO(typeset(source.load(folder), folder))) as doc:
        lines = [
            x
            for page in doc.pages
            for x in page.extract_text_lines()
            if round(x["chars"][-1]["size"]) == 9 and 500 < x["top"] < 740  # not the footer
        ]
    assert len(lines) >= 3
    for line in lines[:-1]:
        assert line["x1"] == pytest.approx(margin, abs=0.5), line["text"]


@pytest.mark.parametrize(
    ("fixture", "qr"),
    [("c2-l2", (498.1, 552.8)), ("hrc-ru", (489.0, 533.2)), ("hrc-en", (488.1, 532.4))],
)
def test_qr_code_where_the_un_prints_it(fixture, qr):
    """New York: 0.8 pt past the right margin (the table cell widened to the image, so it sat
    at 497.3-552.0); Geneva Russian 0.9 pt right of the English (it sat at the English place)."""
    with pdfplumber.open(io.BytesIO(_pdf(REFERENCE / fixture))) as doc:
        page = doc.pages[0]
        near = [r for r in [*page.rects, *page.lines] if r["top"] > 700 and r["x0"] > qr[0] - 3]
        modules = near  # the QR modules (the recycling mark ends 7.9 pt or more before)
    assert (min(r["x0"] for r in modules), max(r["x1"] for r in modules)) == pytest.approx(
        qr, abs=0.2
    )

"""The bundled example ``examples/A_75_9001--S_2021_9001-ZH/`` against its schema and its seed.

The example was made from the project's seed, the Chinese text of the joint GA/SC letter
extracted from a PDF (``../shared/seed/``, beside the repository). These tests check:

- ``document.json`` is valid against ``schemas/document.schema.json``;
- the letter and both annexes match the seed paragraph by paragraph, and every title,
  heading, marker, signature and link in the example comes from the seed;
- the text is clean, with no spaces next to Chinese characters left over from the extraction.

The seed tests are skipped, with the reason shown, when ``../shared/seed/`` is missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
SCHEMA = REPO / "schemas" / "document.schema.json"
SEED = REPO.parent / "shared" / "seed" / "000_e63a53cab153aa47.txt"

# Chinese strings, as in ../shared/un-locale.json (zh) and UN-FORMAT.md §4.3.
ORIGINAL_MARKER_ZH = "[原件：{language}]"
LANGUAGE_NAMES_ZH = {
    "ar": "阿拉伯文",
    "zh": "中文",
    "en": "英文",
    "fr": "法文",
    "ru": "俄文",
    "es": "西班牙文",
}
ORGAN_NAMES_ZH = {"GA": "大会", "SC": "安全理事会"}
SIGNED_ZH = "{name}(签名)"
AGENDA_ITEM_ZH = "议程项目{item}({sub_item})"
ZH_DIGITS = "零一二三四五六七八九"
FIRST_SC_YEAR = 1946  # SC year 2021 is its seventy-sixth year

ANNEX_HEADING = re.compile(r"的附件[一二三四五六七八九十]+$")
CJK = (
    "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
SPACE_NEXT_TO_CJK = re.compile(rf"[^\S\n](?=[{CJK}])|(?<=[{CJK}])[^\S\n]")


def normalise(text: str) -> str:
    """Drop all whitespace: the seed's line breaks and stray spaces carry no content."""
    return re.sub(r"\s+", "", text)


def seed_paragraphs(text: str) -> list[str]:
    """Split the seed's extracted text into normalised paragraphs.

    The PDF extraction writes each printed line followed by an empty line. At a page break
    the empty line is missing. Empty lines therefore say nothing and are all dropped. What
    marks a paragraph are the spaces the extraction left at the edges of lines:

    - a paragraph's first line is indented (it starts with whitespace);
    - a paragraph's last line ends with a space.

    So a line starts a new paragraph when it is indented or when the line before it ended
    with whitespace. Otherwise it continues the paragraph. A page break therefore joins the
    paragraph it split, as does a short line such as annex II's "…原则越来越多地", which
    continues with "被忽视。". Each paragraph is then normalised (all whitespace removed):
    Chinese lines join with no space, and the spaces around Latin digits go
    ("2021 年" → "2021年").
    """
    paragraphs: list[str] = []
    previous_ended_paragraph = True
    for line in text.splitlines():
        if not line.strip():
            continue
        if previous_ended_paragraph or line[0].isspace():
            paragraphs.append(normalise(line))
        else:
            paragraphs[-1] += normalise(line)
        previous_ended_paragraph = line[-1].isspace()
    return paragraphs


def seed_sections(paragraphs: list[str]) -> list[list[str]]:
    """Cut the seed's paragraphs at each annex heading ("…的信的附件一"): [letter, annex I, …]."""
    sections: list[list[str]] = [[]]
    for paragraph in paragraphs:
        if ANNEX_HEADING.search(paragraph):
            sections.append([])
        sections[-1].append(paragraph)
    return sections


@dataclass(frozen=True)
class Body:
    paragraphs: list[str]  # normalised text, link syntax removed (the link text kept)
    links: list[str]  # link targets, in order
    block_types: set[str]  # every block-level token type markdown-it produced
    line_breaks: int  # line breaks inside paragraphs


@cache
def markdown_parser() -> MarkdownIt:
    """Parse as the typesetter does: CommonMark, raw HTML off, tables and footnotes."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").use(footnote_plugin)


def parse_body(markdown: str) -> Body:
    """Parse a part's Markdown to its paragraphs' text as a reader sees it.

    markdown-it removes the link syntax and keeps the link text. A run of text that
    markdown-it took for syntax (a list number, emphasis) loses its characters and no longer
    matches the seed.
    """
    paragraphs: list[str] = []
    links: list[str] = []
    line_breaks = 0
    tokens = markdown_parser().parse(markdown)
    for token in tokens:
        if token.type != "inline":
            continue
        text = []
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                text.append(child.content)
            elif child.type == "link_open":
                links.append(str(child.attrGet("href")))
            elif child.type in ("softbreak", "hardbreak"):
                line_breaks += 1
        paragraphs.append(normalise("".join(text)))
    block_types = {t.type for t in tokens if t.type != "inline"}
    return Body(paragraphs, links, block_types, line_breaks)


def zh_number(n: int) -> str:
    """1–99 in Chinese numerals, as in session and year lines (75 → 七十五)."""
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else ZH_DIGITS[tens] + "十")
    return head + (ZH_DIGITS[units] if units else "")


def load_document() -> dict:
    return json.loads((EXAMPLE / "document.json").read_text(encoding="utf-8"))


def part_markdown(part: dict) -> str:
    return (EXAMPLE / part["text"]).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def document() -> dict:
    return load_document()


@pytest.fixture(scope="module")
def seed() -> list[list[str]]:
    """The seed's paragraphs, cut into sections: [letter, annex I, annex II]."""
    if not SEED.is_file():
        pytest.skip(f"seed text not found at {SEED} (expected ../shared/seed/ beside the repo)")
    return seed_sections(seed_paragraphs(SEED.read_text(encoding="utf-8")))


# --- schema -------------------------------------------------------------------------------


def test_document_json_is_valid_against_the_schema(document):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


def test_every_part_file_exists_beside_document_json(document):
    missing = [p["text"] for p in document["parts"] if not (EXAMPLE / p["text"]).is_file()]
    assert missing == []


def test_markdown_bodies_are_plain_paragraphs(document):
    """No line is taken for a list, heading, code block or HTML: the bodies are paragraphs."""
    for part in document["parts"]:
        body = parse_body(part_markdown(part))
        assert body.block_types == {"paragraph_open", "paragraph_close"}, part["text"]


# --- the example matches the seed ---------------------------------------------------------


def test_example_has_the_seeds_letter_and_annexes(document, seed):
    kinds = [part["kind"] for part in document["parts"]]
    assert kinds == ["main"] + ["annex"] * (len(seed) - 1)


def test_letter_matches_the_seed_paragraph_by_paragraph(document, seed):
    """Seed letter: [heading block…, title, body…, signature title, name(签名), link URLs…]."""
    letter = seed[0]
    main = document["parts"][0]
    signature = main["signature"]
    title_at = letter.index(normalise(document["title"]))
    signed_at = letter.index(normalise(SIGNED_ZH.format(name=signature["name"])))
    assert letter[signed_at - 1] == normalise(signature["title"])

    body = parse_body(part_markdown(main))
    assert body.paragraphs == letter[title_at + 1 : signed_at - 1]
    # The URL printed under the signature is the target of the body's link, not body text.
    assert body.links == letter[signed_at + 1 :]


def test_masthead_block_above_the_letter_title_matches_the_seed(document, seed):
    """Seed: organs, session and year, agenda item, then the agenda title (maybe in pieces)."""
    letter = seed[0]
    heading_block = letter[: letter.index(normalise(document["title"]))]
    organs = {organ["organ"]: organ for organ in document["organs"]}
    assert set(organs) == {"GA", "SC"}
    assert heading_block[0] == "".join(ORGAN_NAMES_ZH[o["organ"]] for o in document["organs"])
    session = f"第{zh_number(organs['GA']['session'])}届会议"
    year = f"第{zh_number(organs['SC']['year'] - FIRST_SC_YEAR + 1)}年"
    assert heading_block[1] == session + year

    (agenda,) = organs["GA"]["agenda_items"]
    assert heading_block[2] == AGENDA_ITEM_ZH.format(**agenda)
    assert "".join(heading_block[3:]) == normalise(agenda["title"])


@pytest.mark.parametrize("number", [1, 2], ids=["annex-I", "annex-II"])
def test_annex_matches_the_seed_paragraph_by_paragraph(document, seed, number):
    """Seed annex: [heading, [原件：…], title, date, place, body…]; date and place are body."""
    annex = seed[number]
    part = document["parts"][number]
    marker = ORIGINAL_MARKER_ZH.format(language=LANGUAGE_NAMES_ZH[part["original_language"]])
    assert annex[:3] == [normalise(part["heading"]), marker, normalise(part["title"])]

    body = parse_body(part_markdown(part))
    assert body.paragraphs == annex[3:]
    assert body.links == []


def test_every_title_heading_and_signature_value_occurs_in_the_seed(document, seed):
    seed_text = "".join(paragraph for section in seed for paragraph in section)
    main, *annexes = document["parts"]
    values = [
        document["title"],
        *(item["title"] for organ in document["organs"] for item in organ.get("agenda_items", [])),
        main["signature"]["name"],
        main["signature"]["title"],
        *(annex[key] for annex in annexes for key in ("heading", "title")),
        *(
            ORIGINAL_MARKER_ZH.format(language=LANGUAGE_NAMES_ZH[annex["original_language"]])
            for annex in annexes
        ),
        *parse_body(part_markdown(main)).links,
    ]
    assert [v for v in values if normalise(v) not in seed_text] == []


# --- clean text ---------------------------------------------------------------------------


def string_values(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in string_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in string_values(v)]
    return []


def test_document_json_strings_have_no_space_next_to_a_chinese_character(document):
    assert [s for s in string_values(document) if SPACE_NEXT_TO_CJK.search(s)] == []


def test_markdown_bodies_have_no_space_next_to_a_chinese_character(document):
    stray = [
        f"{part['text']}:{number}: {line!r}"
        for part in document["parts"]
        for number, line in enumerate(part_markdown(part).splitlines(), start=1)
        if SPACE_NEXT_TO_CJK.search(line) or line != line.rstrip()
    ]
    assert stray == []


def test_markdown_paragraphs_are_single_lines(document):
    """A line break inside a Chinese paragraph would be typeset as a space between characters."""
    for part in document["parts"]:
        assert parse_body(part_markdown(part)).line_breaks == 0, part["text"]

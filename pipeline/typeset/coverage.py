"""Font coverage, checked before rendering: every printed character must be in a pinned face.

WeasyPrint would otherwise draw a ``.notdef`` box (or Pango would fall back to a host font) and
only log it. The faces of each language are the ones its stylesheet lists (styles/css/fonts.css
and languages.css); their cmaps are read once per process.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterator

from pipeline import cmap, fonts, locale
from pipeline.errors import Problem, UserError
from pipeline.model import Document, Part

# (file, face index in a collection, unicode ranges or None for the whole cmap)
_LATIN_IN_CJK = ((0x20, 0x7E), (0xA0, 0xB6), (0xB8, 0x24F))
_LIBERATION = ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf",
               "LiberationSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf")  # fmt: skip
_CJK_SC = 2  # the SC face of the Noto CJK collections (JP, KR, SC, TC, HK)
FACES: dict[str, tuple[tuple[str, int, tuple[tuple[int, int], ...] | None], ...]] = {
    "latin": tuple((f, 0, None) for f in _LIBERATION),
    "zh": (
        ("LiberationSerif-Regular.ttf", 0, _LATIN_IN_CJK),
        ("NotoSerifCJK-Regular.ttc", _CJK_SC, None),
        ("NotoSansCJK-Bold.ttc", _CJK_SC, None),
    ),
    "ar": (
        ("NotoNaskhArabic-Regular.ttf", 0, None),
        ("LiberationSerif-Regular.ttf", 0, None),
    ),
}
# Characters that need no glyph: line ends, tabs, and default-ignorable format characters.
_NO_GLYPH = frozenset("\t\n\r\u00ad\u200b\u200c\u200d\u2060\ufeff")


@functools.cache
def _cmap(file: str, index: int) -> frozenset[int]:
    """The code points face ``index`` of ``file`` maps (per process). Read from the raw table
    (:mod:`pipeline.cmap`); fontTools only for a subtable format the pinned faces do not use."""
    path = fonts.locate(file)
    if path is None:
        raise UserError(f"pinned font {file} is not installed (run `unfolio doctor`)")
    try:
        points = cmap.code_points(cmap.cmap_table(path, index))
    except cmap.CmapError as error:
        raise UserError(f"pinned font {file}: {error} (run `unfolio doctor`)") from error
    if points is not None:
        return points
    from fontTools.ttLib import TTCollection, TTFont

    collection = path.suffix.lower() == ".ttc"
    font = TTCollection(str(path), lazy=True).fonts[index] if collection else TTFont(str(path))
    return frozenset(code for code, glyph in font.getBestCmap().items() if glyph != ".notdef")


@functools.cache
def covered(language: str) -> frozenset[int]:
    """The code points the fonts of ``language`` draw (the union over its stack; per process)."""
    stack = FACES.get(language, FACES["latin"])
    points: set[int] = set()
    for file, index, ranges in stack:
        cmap = _cmap(file, index)
        if ranges is None:
            points |= cmap
        else:
            points |= {c for c in cmap if any(lo <= c <= hi for lo, hi in ranges)}
    # Latin/Cyrillic documents print only Liberation; the bold faces share the same repertoire
    # (checked here so a narrower bold face would not go unnoticed).
    if stack is FACES["latin"]:
        for file, index, _ in stack:
            points &= _cmap(file, index)
    return frozenset(points)


def _printed_strings(doc: Document) -> Iterator[tuple[str, str]]:
    """(JSON pointer, text) of every metadata or locale string the layout prints."""
    loc = locale.get(doc.language)
    yield "/title", doc.title
    if doc.subtitle:
        yield "/subtitle", doc.subtitle
    if doc.sponsors:
        yield "/sponsors/names", doc.sponsors.names
        if doc.sponsors.note:
            yield "/sponsors/note", doc.sponsors.note
    for i, organ in enumerate(doc.organs):
        if organ.body:
            yield f"/organs/{i}/body", organ.body
        for j, item in enumerate(organ.agenda_items):
            if item.title:
                yield f"/organs/{i}/agenda_items/{j}/title", item.title
    for i, part in enumerate(doc.parts):
        for key in ("heading", "title"):
            if getattr(part, key):
                yield f"/parts/{i}/{key}", getattr(part, key)
        if part.signature:
            yield f"/parts/{i}/signature/name", part.signature.name
            if part.signature.title:
                yield f"/parts/{i}/signature/title", part.signature.title
    yield "/symbols", doc.symbol
    yield "/job_number", doc.job_number
    yield (
        "(locale)",
        "".join([loc.united_nations, loc.please_recycle, loc.signed(""), *_locale_strings(doc)]),
    )


def _locale_strings(doc: Document) -> Iterator[str]:
    from pipeline.typeset import layout, typography  # the printed values layout derives

    loc = locale.get(doc.language)
    yield from loc.distribution_block(
        doc.distribution, doc.date, doc.original_languages, doc.is_original_version
    )
    for organ in doc.organs:
        yield loc.organ_masthead_name("GA" if organ.organ == "HRC" else organ.organ)
        yield loc.organ_name(organ.organ)
        if organ.meeting_dates:
            yield loc.date_range(*organ.meeting_dates)
    committee = layout.committee_line(doc)
    if committee:
        yield committee
    sponsors = layout.sponsors(doc)
    if sponsors:
        yield sponsors.before + sponsors.after
    if layout.is_draft(doc):
        yield typography.apply(loc.draft_opening, doc.language)
    for part in doc.parts:
        if part.original_language:
            yield loc.annex_original_marker(part.original_language)


def _describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed character")
    return f"U+{ord(char):04X} {name} ({char!r})"


def check(doc: Document) -> None:
    """Raise UserError naming every uncovered character: U+XXXX, the part file and the line.

    Each character is named once per part, at its first occurrence, with how many more there
    are (a Chinese text in an English document is one problem per character, not per use).
    Characters written as references (``&#x4E2D;``) are checked as the renderer will see them.
    """
    have = covered(doc.language)
    problems: list[Problem] = []
    for part in doc.parts:
        problems += _part_problems(part, have, doc.language)
    for pointer, text in _printed_strings(doc):
        for char in dict.fromkeys(text):
            if ord(char) not in have and char not in _NO_GLYPH:
                problems.append(
                    Problem(
                        "document.json",
                        f"{_describe(char)} is not in the {doc.language} fonts",
                        pointer=pointer,
                    )
                )
    if problems:
        raise UserError(problems)


_TAG = re.compile(r"<[^>]*>")
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _part_problems(part: Part, have: frozenset[int], language: str) -> list[Problem]:
    printed = html.unescape(_TAG.sub("", part.html))  # the text with references decoded
    missing = [
        c
        for c in dict.fromkeys(part.markdown + printed)
        if ord(c) not in have and c not in _NO_GLYPH
    ]
    problems = []
    for char in missing:
        count = part.markdown.count(char)
        index, written = part.markdown.find(char), ""
        if index < 0:  # only in a character reference
            match = next(
                (m for m in _REFERENCE.finditer(part.markdown) if html.unescape(m[0]) == char),
                None,
            )
            index, written = (match.start(), f" (written as {match[0]})") if match else (-1, "")
            count = printed.count(char)
        line, column = _line_column(part.markdown, index) if index >= 0 else (None, None)
        more = f"; it occurs {count:,} times" if count > 1 else ""
        problems.append(
            Problem(
                part.text,
                f"{_describe(char)}{written} is not in the {language} fonts; "
                f"use another character or a font that has it{more}",
                line=line,
                column=column,
            )
        )
    return problems


def _line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column, lines ending at LF, CR LF or CR (as CommonMark counts them)."""
    before = text[:index].replace("\r\n", "\n").replace("\r", "\n")
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1

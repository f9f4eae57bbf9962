"""The validated document: plain, immutable data with no I/O.

``source`` builds these from a folder; every later stage reads them and nothing else.
Field names follow the ``document.json`` contract in DESIGN.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pipeline.symbols import Symbol, format_joint

Language = Literal["ar", "zh", "en", "fr", "ru", "es"]
Distribution = Literal["general", "limited", "restricted"]
DutyStation = Literal["new-york", "geneva", "vienna"]
OrganCode = Literal["GA", "SC", "ECOSOC", "HRC"]
PartKind = Literal["main", "annex", "enclosure"]

# -- Limits of the input -----------------------------------------------------------------
# Every limit unfolio puts on a source folder, in one place (docs/hardening.md lists them).
# Each is checked before the work it bounds, and its error names the limit and
# the actual value. ``source`` enforces the bytes, parts, JSON shape and problem count,
# ``body`` the nesting, ``typeset.engine`` the pages.

MAX_METADATA_BYTES = 1 << 20  # document.json: metadata is a few kilobytes
MAX_PART_BYTES = 4 << 20  # one part file: 4 MiB of text is over a thousand pages
MAX_SOURCE_BYTES = 8 << 20  # document.json and all part files together
MAX_PARTS = 50  # parts of one document (also the schema's maxItems of /parts)
MAX_TEXT_CHARS = 2000  # one metadata string (also the schema's maxLength of $defs/text)
MAX_JSON_DEPTH = 10  # arrays and objects nested in document.json (the contract needs 5)
MAX_JSON_MEMBERS = 100  # items of one array or members of one object in document.json
MAX_NESTING = 16  # lists, block quotes, tables, emphasis and links nested in a body
MAX_FOOTNOTES = 2000  # footnote calls in one part: WeasyPrint redoes a page's notes per note
MAX_WORD_CHARS = 500  # characters of a body "word": a run with no space or other line break
MAX_BAG_NAME_CHARS = 200  # the symbols' file stem: a name is 255 bytes, the writer adds up to 40
MAX_PAGES = 2000  # pages of the rendered PDF (checked after layout, in typeset.engine)
MAX_PROBLEMS = 100  # problems listed per document; the rest are counted, not listed

# Characters no text may carry, in metadata or in a body (where TAB, LF and CR are allowed):
# C0 and C1 controls and DEL; the line and paragraph separators; the bidi embeddings,
# overrides and isolates, which reorder what a reader sees (the implicit marks LRM, RLM and
# ALM, which cannot, are allowed); the deprecated format characters U+206A-U+206F; the
# interlinear annotation characters; the noncharacters of the BMP; and surrogates, which a
# JSON "\ud800" escape without its pair would otherwise smuggle in. Zero-width characters
# (ZWSP, ZWNJ, ZWJ, WORD JOINER, U+FEFF) and the soft hyphen are allowed: they have a
# typographic role (Arabic and Persian shaping, line breaking) and reorder nothing.
FORBIDDEN_CHARACTERS: frozenset[int] = frozenset(
    {
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x2070),
        *range(0xD800, 0xE000),
        *range(0xFDD0, 0xFDF0),
        *range(0xFFF9, 0xFFFC),
        0xFFFE,
        0xFFFF,
    }
)
BODY_ALLOWED_CONTROLS: frozenset[int] = frozenset({0x09, 0x0A, 0x0D})


def forbidden_pattern(*, body: bool = False) -> re.Pattern[str]:
    """A regex matching one forbidden character (``body``: TAB, LF and CR allowed)."""
    allowed = BODY_ALLOWED_CONTROLS if body else frozenset()
    points = sorted(FORBIDDEN_CHARACTERS - allowed)
    ranges, start = [], points[0]
    for previous, point in zip(points, [*points[1:], None], strict=True):
        if point != previous + 1:
            ranges.append((start, previous))
            start = point
    return re.compile("[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]")


# The job-number prefix each duty station prints before "YY-NNNNN" (UN-FORMAT.md §4.1).
JOB_PREFIX: dict[str, str] = {"new-york": "", "geneva": "GE.", "vienna": "V."}
_JOB_DIGITS = re.compile(r"(\d{2})-(\d{5})$")


@dataclass(frozen=True)
class AgendaItem:
    item: str
    sub_item: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Organ:
    organ: OrganCode
    session: int | str | None = None  # GA/HRC: 75, or "ES-11" / "S-8"
    year: int | None = None  # SC/ECOSOC: calendar year
    agenda_items: tuple[AgendaItem, ...] = ()
    body: str | None = None  # a subsidiary body (Geneva session block)
    meeting_dates: tuple[date, date] | None = None  # first and last day of the meeting
    agenda_note: str | None = None  # the "*" footnote called after the agenda line


@dataclass(frozen=True)
class Sponsors:
    """A draft's sponsors line: the names as printed, and the note called after them."""

    names: str
    note: str | None = None


@dataclass(frozen=True)
class Signature:
    name: str
    title: str | None = None


@dataclass(frozen=True)
class Part:
    kind: PartKind
    text: str  # file name inside the source folder
    markdown: str  # the file's text, exactly as read
    html: str  # the body rendered to an HTML fragment (no raw HTML, no images)
    heading: str | None = None
    title: str | None = None
    original_language: Language | None = None
    signature: Signature | None = None


@dataclass(frozen=True)
class SourceFile:
    """A file of the source folder, kept byte for byte so the package holds what was validated."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Document:
    symbols: tuple[Symbol, ...]
    language: Language
    original_languages: tuple[Language, ...]
    distribution: Distribution
    date: date
    duty_station: DutyStation
    organs: tuple[Organ, ...]
    title: str
    job_number: str
    parts: tuple[Part, ...]
    files: tuple[SourceFile, ...]  # document.json first, then the parts in order
    subtitle: str | None = None
    processing_dates: tuple[date, ...] = ()
    remarks: str | None = None
    sponsors: Sponsors | None = None
    title_note: str | None = None  # the "*" footnote called after the title
    subtitle_note: str | None = None  # the "*" footnote called after the subtitle

    @property
    def symbol(self) -> str:
        """The symbol as printed: joint symbols joined by an en dash."""
        return format_joint(self.symbols)

    @property
    def is_original_version(self) -> bool:
        """An original-language version leaves the masthead's version-language line blank."""
        return self.language in self.original_languages

    @property
    def job_digits(self) -> str:
        """The seven digits the Code 39 barcode carries: ``21-90001`` → ``2190001``."""
        match = _JOB_DIGITS.search(self.job_number)
        if match is None:  # source validation guarantees the form
            raise ValueError(f"job number {self.job_number!r} has no YY-NNNNN part")
        return match.group(1) + match.group(2)

    def organ(self, code: str) -> Organ | None:
        return next((o for o in self.organs if o.organ == code), None)

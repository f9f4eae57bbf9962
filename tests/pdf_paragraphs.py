"""Paragraphs and masthead values of a UN-format PDF, read back with pdfplumber, for comparing
an imported document's PDF with the one the UN published.

Both PDFs are read the same way. Page furniture is left out: the masthead block on the first
page (everything up to the "Original:" line, compared as values instead), running heads (the
symbol), page-number and job-number lines, the first page's job line, barcode text and
"Please recycle", and the footnote separator. Footnotes are the smaller lines at the foot of
a page. Paragraphs are cut at a vertical gap wider than the lines' own leading; a paragraph
that fills its last line at the foot of a page goes on at the top of the next. A paragraph is
normalised by removing the renderer's own line-end hyphens and all whitespace (line breaks
fall elsewhere in each PDF); a table block, whose cells each renderer wraps differently and
whose words pdfplumber then reads line by line across the columns, is compared as the
multiset of its characters.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import pdfplumber

_JOB_LINE = re.compile(r"^(?:GE\.|V\.)?\d{2}-\d{5}\s*\([A-Z]\)")
_FOOTER = re.compile(r"^(?:\d+/\d+\s+)?(?:GE\.|V\.)?\d{2}-\d{5}(?:\s+\d+/\d+)?$")
_BARCODE = re.compile(r"^\*(?: ?[0-9A-Z])+ ?\*$")  # a caption spaced across the bars too
_GAP = 4.0  # points between a line's bottom and the next line's top that start a paragraph
_COLUMN_GAP = 10.0  # points of empty space inside a line that mark table columns


@dataclass
class Line:
    page: int
    text: str
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    columns: bool


@dataclass
class Paragraph:
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def is_table(self) -> bool:
        return any(line.columns for line in self.lines)

    def key(self) -> str:
        return normalise(self.text)

    def matches(self, other: Paragraph) -> bool:
        if self.key() == other.key():
            return True
        return (self.is_table or other.is_table) and sorted(self.key()) == sorted(other.key())


@dataclass
class Reading:
    masthead: list[str]
    paragraphs: list[Paragraph]
    footnotes: list[Paragraph]


def normalise(text: str) -> str:
    text = re.sub("[\u2010\u00ad]\n", "", text)  # a renderer's own hyphen at a line end
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text)


def _lines(page, number: int) -> list[Line]:
    found = []
    for raw in page.extract_text_lines(return_chars=True, keep_blank_chars=False):
        chars = [c for c in raw["chars"] if c["text"].strip()]
        if not chars:
            continue
        sizes = Counter(round(c["size"], 1) for c in chars)
        columns = False
        first_gap = True
        for a, b in itertools.pairwise(chars):
            gap = b["x0"] - a["x1"]
            if gap > _COLUMN_GAP:
                if first_gap and re.fullmatch(
                    r"\d+\.?|[IVXLC]+\.|[A-Z]\.|\([a-z]{1,4}\)", raw["text"].split(" ")[0]
                ):
                    first_gap = False  # a paragraph number hangs before its text
                    continue
                columns = True
                break
        found.append(
            Line(
                number,
                raw["text"],
                raw["top"],
                raw["bottom"],
                raw["x0"],
                raw["x1"],
                sizes.most_common(1)[0][0],
                columns,
            )
        )
    return found


def read(path, symbol: str) -> Reading:
    masthead: list[str] = []
    body: list[Line] = []
    notes: list[list[Line]] = []
    with pdfplumber.open(path) as pdf:
        pages = [_lines(page, n) for n, page in enumerate(pdf.pages)]
    sizes = Counter(line.size for page in pages for line in page)
    body_size = sizes.most_common(1)[0][0]
    for number, lines in enumerate(pages):
        if number == 0:
            end = next((i for i, ln in enumerate(lines) if ln.text.startswith("Original")), -1)
            masthead = [ln.text for ln in lines[: end + 1]]
            lines = lines[end + 1 :]
        lines = [ln for ln in lines if not _furniture(ln, symbol)]
        page_notes: list[Line] = []
        while lines and lines[-1].size < body_size - 0.4 and not lines[-1].columns:
            page_notes.insert(0, lines.pop())
        first = next((i for i, ln in enumerate(page_notes) if re.match(r"\d+\s", ln.text)), None)
        lines += page_notes[: len(page_notes) if first is None else first]  # a table's notes
        page_notes = [] if first is None else page_notes[first:]
        notes.append(page_notes)
        body.extend(lines[_repeated_head(lines, body) :])
    right = Counter(round(ln.x1) for ln in body).most_common(1)[0][0] if body else 0
    paragraphs: list[Paragraph] = []
    previous: Line | None = None
    for line in body:
        if previous is None or _starts(previous, line, right):
            paragraphs.append(Paragraph())
        paragraphs[-1].lines.append(line)
        previous = line
    merged: list[Paragraph] = []
    for paragraph in paragraphs:  # a table's rows are one block
        if merged and merged[-1].is_table and paragraph.is_table:
            merged[-1].lines.extend(paragraph.lines)
        else:
            merged.append(paragraph)
    paragraphs = merged
    footnotes: list[Paragraph] = []
    for page_notes in notes:
        for line in page_notes:
            if re.match(r"^\d+\s", line.text) or not footnotes:
                footnotes.append(Paragraph())
            footnotes[-1].lines.append(line)
    return Reading(masthead, paragraphs, footnotes)


def _repeated_head(lines: list[Line], body: list[Line]) -> int:
    """How many first lines of a page repeat a table's header from an earlier page (a
    renderer repeats ``<thead>`` on each page a table spans): page furniture too."""
    texts = [ln.text for ln in body]
    best = 0
    for start in range(len(texts)):
        k = 0
        while k < len(lines) and start + k < len(texts) and lines[k].text == texts[start + k]:
            k += 1
        if k >= 2 and any(ln.columns for ln in lines[:k]):
            best = max(best, k)
    return best


def _furniture(line: Line, symbol: str) -> bool:
    text = line.text.strip()
    if line.top < 75 and normalise(text) == normalise(symbol):
        return True
    if _FOOTER.match(text) or _BARCODE.match(text) or re.fullmatch(r"_+", text):
        return True
    return line.page == 0 and (_JOB_LINE.match(text) is not None or text == "Please recycle")


def _starts(previous: Line, line: Line, right: float) -> bool:
    if line.page == previous.page:
        return line.top - previous.bottom > _GAP
    return previous.x1 < right - 3  # a short last line ends its paragraph at a page foot

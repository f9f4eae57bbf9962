"""Text round trip: the text a reader extracts from the PDF contains the source text.

This is the check behind PDF/A "u" conformance that no validator here makes: every glyph
must map back to the character it was drawn for. It compares the source (each part's body,
its heading, title and signature, the title, subtitle and agenda titles) with what pypdfium2
extracts, after the same normalisation on both sides:

1. Unicode NFKC, which folds compatibility characters to their plain form: Arabic
   presentation forms (U+FB50–U+FEFF, what a shaped glyph may map back to) become the base
   letters, ligatures (U+FB01 "ﬁ") become letters, full-width digits and letters become ASCII;
2. case folding, so a CSS ``text-transform`` cannot cause a false alarm;
3. keep only letters and digits (Unicode categories L* and N*), minus the Arabic tatweel
   (U+0640, a stretching stroke, not content): whitespace, punctuation, combining marks and
   symbols go, so line breaks, hyphenation (the drawn U+2010 and soft hyphens), justification,
   list markers' punctuation, Arabic vowel marks and quotation styles do not matter.

pdfium returns right-to-left text in logical order (measured with WeasyPrint Arabic), so no
reordering is needed — except inside a number group such as "2018-2028" in an Arabic line,
whose digit runs pdfium emits in the opposite order ("2028-2018"). For right-to-left
documents the digit runs of each group joined by ``- – / . , :`` are therefore compared as a
sorted set before step 3; elsewhere their order counts.

Matching. The rendered text has things the source lacks (masthead, running heads, page
numbers, list numbers, footnote calls) and page breaks cut paragraphs, so each block of the
body (paragraph, heading, list item, table cell) of all parts, in order, must be found as a
sequence of pieces in the normalised PDF text, each
piece after the previous one: what is left is matched at the first place after the previous
piece where at least :data:`SURE_PIECE` characters of it occur, as far as it goes there, or
else as its longest prefix that occurs anywhere after it; a piece must be at least
:data:`MIN_PIECE` characters long (or all that is left). First place before longest run, so
that text which recurs (the same sentence in every paragraph) is matched where it is, not at
a later copy that no page break interrupts. "After" allows a step back of :data:`LOOK_BACK` characters, about two lines: pdfium
splits a line where the baseline changes (a raised footnote call) and, in a right-to-left
line, emits the pieces left to right, so the end of an Arabic line can come out before its
beginning (measured with WeasyPrint and Noto Naskh Arabic). A wrong, missing or unmapped
character ends a piece, and the text that follows it cannot start a new one unless it happens
to occur again later: the check reports the part and the text where matching stopped. One
exception to the minimum length: a short piece cut off by a page break (see ``_page_break``),
which must sit right after the previous piece and be followed, after the page's furniture, by
the rest of the text.

Footnotes float to the foot of a page, possibly in the middle of the paragraph that calls them,
so each footnote, like each title, heading and signature, is matched on its own anywhere in the
document. So is each table cell of a right-to-left document: pdfium emits a right-to-left row
in visual order (last column first), so the cells of a row never come out in source order.
Known blind spot: a fault inside a phrase that recurs later in the document can be skipped
over by matching the later occurrence.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import accumulate, pairwise

import pypdfium2

from pipeline.model import Document
from pipeline.typeset import layout, typography

MIN_PIECE = 8  # normalised characters; about two words of Latin text, a phrase of Chinese
SURE_PIECE = 32  # normalised characters: a run this long is where the text is, not a chance match
FURNITURE = 3000  # normalised characters: a page's running heads, footnotes and footer
PAGE_BREAK = "\f"  # between the pages of the extracted text (normalise drops it)
LOOK_BACK = 300  # normalised characters, a little more than two full lines of Latin text
_TATWEEL = "\u0640"


_NUMBER_GROUP = re.compile(r"\d+(?:[-\u2013/.,:]\d+)+")
RIGHT_TO_LEFT = frozenset({"ar"})


def _unordered_numbers(text: str) -> str:
    return _NUMBER_GROUP.sub(lambda m: "".join(sorted(re.findall(r"\d+", m.group()))), text)


def normalise(text: str, *, right_to_left: bool = False) -> str:
    """NFKC, case-folded, letters and digits only (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if right_to_left:
        folded = _unordered_numbers(folded)
    return _NOT_LETTER_OR_DIGIT.sub("", folded)


#: what is not a letter or digit (Unicode L, N), and the tatweel: ``\w`` is ``str.isalnum``
#: plus "_", which is exactly categories L and N (checked over all of Unicode in the tests)
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_\u0640]+")


def _letter_or_digit(char: str) -> bool:
    """What the round trip compares (and counts off the page): Unicode letters and numbers."""
    return unicodedata.category(char)[0] in "LN"


@dataclass(frozen=True)
class PageText:
    """One page's text as pypdfium2 reads it, and how much of it is drawn off the page."""

    text: str  # all of it, in logical order
    outside: int  # letters and digits outside the page's box (a reader never shows them)


def _letters_and_digits(text: str) -> int:
    return sum(map(_letter_or_digit, text))


def page_text(textpage: pypdfium2.PdfTextPage) -> PageText:
    """One page's text from its pdfium text page (also read by :mod:`.structtext`, which
    opens the same pages for a tagged file: one pass serves both)."""
    text = textpage.get_text_range()
    inside = textpage.get_text_bounded()  # within the page's box
    outside = _letters_and_digits(text) - _letters_and_digits(inside)
    return PageText(text, max(outside, 0))


def read(pdf: bytes) -> list[PageText]:
    """Every page's text, and the count of its letters and digits that lie off the page."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(page_text(textpage))
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()


def extract(pdf: bytes) -> str:
    """All the text of a PDF, as pypdfium2 reads it (logical order), pages joined by a form feed."""
    return join(read(pdf))


def join(pages: Sequence[PageText]) -> str:
    return PAGE_BREAK.join(page.text for page in pages)


# Blocks are matched one after the other, so that what the PDF prints between them and the
# source lacks (paragraph numbers, heading numerals drawn by CSS) cannot cut a short block,
# such as a two-character Chinese heading, below the minimum piece length.
BLOCK_BREAK = "\x00"
_BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote"})
_CELLS = frozenset({"td", "th"})


class _Splitter(HTMLParser):
    """Split a part's HTML fragment into running text and footnotes (``span.footnote``).

    With ``cells_apart``, the text of each table cell is kept apart too (right-to-left
    documents: pdfium emits a right-to-left table row in visual order, so its cells cannot be
    matched in source order). With ``number_calls``, each footnote call's number (the CSS
    ``footnote`` counter, which runs on across parts from ``first_call``) is put into the flow
    where the PDF prints it: otherwise "number 29.[^30]" reads "number2930" in the PDF and
    "number29" in the source, and matching stops there. Right-to-left lines are emitted in
    visual pieces, so there the call numbers are left out (their digits fall between pieces).
    """

    def __init__(
        self, *, cells_apart: bool = False, first_call: int = 0, number_calls: bool = False
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.calls = first_call
        self._number_calls = number_calls
        self.flow: list[str] = []
        self.notes: list[list[str]] = []
        self.cells: list[list[str]] = []
        self._depth = 0  # span depth inside the current footnote, 0 outside
        self._cells_apart = cells_apart
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS and not self._depth:
            self.flow.append(BLOCK_BREAK)
        if tag in _CELLS and self._cells_apart and not self._depth:
            self._in_cell = True
            self.cells.append([])
        if tag != "span":
            return
        if self._depth:
            self._depth += 1
        elif "footnote" in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.notes.append([])
            self.calls += 1
            if self._number_calls and not self._in_cell:
                self.flow.append(str(self.calls))  # ::footnote-call prints counter(footnote)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._depth:
            self._depth -= 1
        elif tag in _CELLS and not self._depth:
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.notes[-1].append(data)
        elif self._in_cell:
            self.cells[-1].append(data)
        else:
            self.flow.append(data)


@dataclass(frozen=True)
class SourceText:
    """What must be found: ordered flows (one per part) and strings found anywhere."""

    flows: tuple[tuple[str, str], ...]  # (where, text)
    anywhere: tuple[tuple[str, str], ...]


def source_text(document: Document) -> SourceText:
    flows: list[tuple[str, str]] = []
    anywhere: list[tuple[str, str]] = [("title", document.title)]
    if document.subtitle:
        anywhere.append(("subtitle", document.subtitle))
    for organ in document.organs:
        for item in organ.agenda_items:
            if item.title:
                anywhere.append((f"agenda item {item.item} title", item.title))
    # the asterisk notes the layout prints ("agenda-0", "sponsors", "title", "subtitle")
    anywhere += [(f"{key} note", note.text) for key, note in layout.star_notes(document).items()]
    rtl = document.language in RIGHT_TO_LEFT
    calls = 0
    for part in document.parts:
        splitter = _Splitter(cells_apart=rtl, first_call=calls, number_calls=not rtl)
        splitter.feed(part.html)
        splitter.close()
        calls = splitter.calls
        flows.append((part.text, "".join(splitter.flow)))
        for i, note in enumerate(splitter.notes, 1):
            anywhere.append((f"{part.text} footnote {i}", "".join(note)))
        for i, cell in enumerate(splitter.cells, 1):
            anywhere.append((f"{part.text} table cell {i}", "".join(cell)))
        for label, value in (
            ("heading", part.heading),
            ("title", part.title),
            ("signature name", part.signature and part.signature.name),
            ("signature title", part.signature and part.signature.title),
        ):
            if value:
                anywhere.append((f"{part.text} {label}", value))
    # The text as printed: the template applies the language's typography (typography.apply),
    # so the source side is normalised by the same function.
    lang = document.language
    return SourceText(
        tuple((where, typography.apply(text, lang)) for where, text in flows),
        tuple((where, typography.apply(text, lang)) for where, text in anywhere),
    )


def _longest_prefix(
    needle: str, haystack: str, start: int, stop: int | None = None
) -> tuple[int, int]:
    """(length, position) of the longest prefix of ``needle`` found in ``haystack[start:stop]``.

    Binary search works because every prefix of a found prefix is found too.
    """
    stop = len(haystack) if stop is None else stop
    low, high, position = 0, len(needle), start
    while low < high:
        mid = (low + high + 1) // 2
        found = haystack.find(needle[:mid], start, stop)
        if found >= 0:
            low, position = mid, found
        else:
            high = mid - 1
    return low, position


def _nearest_prefix(needle: str, haystack: str, end: int, cursor: int) -> tuple[int, int]:
    """The piece at the first place after ``end`` (the previous piece's end) where at least
    :data:`SURE_PIECE` characters of ``needle`` match, extended as far as they go; else the
    longest prefix anywhere after ``cursor`` (``end`` less the look-back).

    First place, not longest run: where text recurs (a sentence in every paragraph), the true
    place of a paragraph that a page break splits holds a shorter run than a later unbroken
    copy, and jumping to that copy skips everything between: a valid document refused. The
    first place is sought from ``end``, not from ``cursor``, or a recurring paragraph would
    match its predecessor again and a missing copy would go unnoticed.
    """
    want = min(len(needle), SURE_PIECE)
    position = haystack.find(needle[:want], end)
    if position < 0:
        return _longest_prefix(needle, haystack, cursor)
    low, high = want, len(needle)
    while low < high:
        mid = (low + high + 1) // 2
        if haystack.startswith(needle[:mid], position):
            low = mid
        else:
            high = mid - 1
    return low, position


def _match(
    source: str,
    target: str,
    start: int,
    breaks: Sequence[int] = (),
    pieces: list[tuple[int, int]] | None = None,
    look_back: int = LOOK_BACK,
) -> tuple[int, int | None]:
    """Match ``source`` as pieces from ``start``: (end of the last piece, failing offset or None).

    ``breaks`` are the offsets in ``target`` where a page starts (see :func:`_page_break`);
    ``pieces``, when given, receives each piece's (position, length) in ``target``;
    ``look_back`` is how far a piece may start before the previous one's end.
    """
    offset, cursor, end = 0, start, start
    while offset < len(source):
        rest = source[offset:]
        length, position = _nearest_prefix(rest, target, end, cursor)
        if length < min(MIN_PIECE, len(rest)):
            cut = _page_break(rest, target, end, breaks)
            if cut is None:
                return end, offset
            length, position, cursor = cut
            offset += length
            end = position + length
            if pieces is not None:
                pieces.append((position, length))
            continue
        offset += length
        end = position + length
        cursor = max(0, end - look_back)
        if pieces is not None:
            pieces.append((position, length))
    return end, None


def _page_break(
    rest: str, target: str, end: int, breaks: Sequence[int]
) -> tuple[int, int, int] | None:
    """A piece shorter than MIN_PIECE that a page break cut off: (length, position, resume).

    The text before a page break can be shorter than a piece when something the source lacks
    (a footnote call, a list number) comes just before it, and the page's furniture follows
    it ("...arrangements,² most bod-" / footnotes, footer / "ies held..."). Such a short
    piece is accepted only where nothing can slip through: it starts right after the previous
    piece (at most MIN_PIECE characters later), the next page break comes within FURNITURE
    characters, and the rest of the source continues after that break as a full piece.
    """
    following = bisect_right(breaks, end)
    if following == len(breaks) or breaks[following] > end + FURNITURE:
        return None
    page = breaks[following]
    for length in range(min(MIN_PIECE, len(rest)) - 1, 0, -1):
        position = target.find(rest[:length], end, min(end + MIN_PIECE + length, page))
        if position < 0:
            continue
        after = rest[length:]
        found, at = _longest_prefix(after, target, page)
        if found >= min(MIN_PIECE, len(after)) and at - page <= FURNITURE:
            return length, position, page
    return None


_LATIN = re.compile(r"[a-z]")
_WORD_SPLIT = re.compile(r"[^\w]+")


def _runs(block: str) -> list[str]:
    """The normalised words of a right-to-left block that holds Latin letters.

    Words are split on what is not a letter or digit *before* normalising (which would join
    them). Each word is a run of its own: in a line that mixes directions pdfium may return
    the Arabic words in visual order too ("تقرير الأمين العام about the report" comes back as
    "about the report العام الأمين تقرير").
    """
    return [
        run
        for word in _WORD_SPLIT.split(block)
        for run in _SCRIPT_RUN.findall(normalise(word, right_to_left=True))
    ]


#: a run of one direction inside a word: Latin letters, digits, or other letters. An Arabic
#: prefix written onto a Latin word ("وUNICEF", "and UNICEF") is one word in the source, but
#: pdfium emits the line's runs in visual order ("UNICEFو"), so each is matched on its own.
_SCRIPT_RUN = re.compile(r"[a-z\u00df-\u024f]+|\d+|[^a-z\u00df-\u024f\d]+")


def _match_runs(
    block: str, target: str, start: int, breaks: Sequence[int] = ()
) -> tuple[int, str | None]:
    """Match a right-to-left block that holds Latin letters run by run, in any order.

    pdfium returns a line that mixes directions in visual order: the Latin words of an Arabic
    heading, or a symbol such as "UNEP/EA.5/Res.14" (read back as ".14Res.5/EA/UNEP"), come
    out before or after the Arabic around them, their segments reversed. So each word of
    :func:`_runs` must be found on its own, each from the block's start (less the usual
    look-back); the block ends where its furthest word ends. Returns the end and the first
    word not found, if any. This is weaker than matching the block in order (a word may be
    found elsewhere within the window), and is used only for such mixed blocks.
    """
    begin = max(0, start - LOOK_BACK)
    end = start
    for run in _runs(block):
        reached, failed = _match(run, target, begin, breaks)
        if failed is not None:
            return end, run
        end = max(end, reached)
    return end, None


def _context(text: str, offset: int, width: int = 24) -> str:
    return text[max(0, offset - width) : offset] + "⟦" + text[offset : offset + width] + "⟧"


def mismatches(document: Document, extracted: str) -> Iterator[str]:
    """Describe every piece of the source not found in the extracted text (nothing if all is)."""
    rtl = document.language in RIGHT_TO_LEFT
    # per page, so that the page breaks' offsets are known; "\f" is dropped by normalise, so
    # the joined pages are exactly the normalised whole
    pages = [normalise(page, right_to_left=rtl) for page in extracted.split(PAGE_BREAK)]
    target = "".join(pages)
    breaks = list(accumulate(len(page) for page in pages[:-1]))
    source = source_text(document)
    cursor = 0
    for where, text in source.flows:
        for block in text.split(BLOCK_BREAK):
            flow = normalise(block, right_to_left=rtl)
            if rtl and _LATIN.search(flow):
                cursor, run = _match_runs(block, target, cursor, breaks)
                failed = None if run is None else max(0, flow.find(run))
            else:
                cursor, failed = _match(flow, target, cursor, breaks)
            if failed is not None:
                yield (
                    f"{where}: source text {_context(flow, failed)} (normalised) not found in "
                    f"the PDF text in order"
                )
                break
    for where, text in source.anywhere:
        wanted = normalise(text, right_to_left=rtl)
        if rtl and _LATIN.search(wanted):
            missing = _match_runs(text, target, 0, breaks)[1] is not None
        else:
            missing = bool(wanted) and _match(wanted, target, 0, breaks)[1] is not None
        if missing:
            yield f"{where}: {text[:60]!r} not found in the PDF text"


#: normalised characters between two blocks that a paragraph number accounts for ("12", "xiv")
NUMBER_GAP = 6


def unexplained_gaps(
    document: Document, extracted: str, furniture: str = ""
) -> list[tuple[str, str]]:
    """(part file, normalised PDF text) of what the PDF draws within a part's text where no page
    break falls and the source prints nothing: inside a block (a word deleted from the part),
    between two blocks beyond a paragraph number (a paragraph deleted), or between the end of a
    part and the next beyond its signature and the next part's heading (a part truncated).

    ``furniture`` is everything else the pages print (masthead, footer, headings, signatures,
    running heads): a gap across a page break or between parts may hold it. It only says
    *where* a difference found by the exact comparison lies, so that the finding can name the
    part; it never fails a document itself. Left-to-right documents only (a right-to-left
    line comes back in visual pieces, which leave gaps of their own).
    """
    if document.language in RIGHT_TO_LEFT:
        return []
    from collections import Counter

    pages = [normalise(page) for page in extracted.split(PAGE_BREAK)]
    target = "".join(pages)
    breaks = list(accumulate(len(page) for page in pages[:-1]))
    found: list[tuple[str, str]] = []

    source = source_text(document)
    notes: dict[str, str] = {}
    for label, text in source.anywhere:
        part_file, _, kind = label.partition(" footnote ")
        if kind:
            notes[part_file] = notes.get(part_file, "") + " " + text

    def gap(where: str, start: int, stop: int, allowed: str | None = None) -> None:
        """Record ``target[start:stop]`` unless all but a paragraph number of it is what may
        stand there: ``allowed`` between blocks (nothing inside a block), plus, where a page
        breaks, the page's furniture and the part's footnotes."""
        if stop <= start:
            return
        crossed = sum(start <= b <= stop for b in breaks)
        may = (allowed or "") + (" " + furniture + " " + notes.get(where, "")) * min(crossed, 1)
        if allowed is None and not crossed:
            found.append((where, target[start:stop]))
            return
        rest = Counter(target[start:stop]) - Counter(normalise(may))
        if sum(rest.values()) > NUMBER_GAP * (1 + crossed):
            found.append((where, target[start:stop]))

    cursor = 0
    previous: tuple[str, int] | None = None  # (part, end of its text)
    for where, text in source.flows:
        first_block = True
        last_end = None
        for block in text.split(BLOCK_BREAK):
            pieces: list[tuple[int, int]] = []
            cursor, failed = _match(normalise(block), target, cursor, breaks, pieces)
            if failed is not None:
                return found
            if not pieces:
                continue
            if first_block and previous is not None:  # signature, next heading: furniture
                gap(previous[0], previous[1], pieces[0][0], furniture)
            elif last_end is not None:
                gap(where, last_end, pieces[0][0], "")
            first_block = False
            for (first, length), (second, _) in pairwise(pieces):
                gap(where, first + length, second)
            last_end = pieces[-1][0] + pieces[-1][1]
        if last_end is not None:
            previous = (where, last_end)
    return found

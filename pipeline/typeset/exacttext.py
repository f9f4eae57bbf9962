"""Exact content: the text drawn on the pages is the text unfolio prints, nothing missing or added.

The round trip (:mod:`.textcheck`) proves the source is *contained* in the PDF, in order; this
module proves the converse and the furniture. What unfolio prints is derived from the same
code the template uses — :func:`layout.build_html` of the document, so the masthead, session
block, committee and sponsor lines, headings, annex markers, signatures, the first-page footer
and "Please recycle" come from ``layout.context`` and ``pipeline.locale``, never a second
copy — plus what the stylesheets generate: the running head and job number of every page
after the first, the page number, paragraph numbers ("5.", "(a)", "a)", "(i)") and footnote
numbers (call and marker).

Extraction order, line breaks and hyphenation differ between renderers and readers, so the
comparison is of what survives :func:`textcheck.normalise` (letters and digits), in two ways:

1. **Count, both ways** — the multiset of normalised characters the PDF draws equals the
   multiset unfolio prints. Deleting «не», truncating a part, removing an annex from
   ``document.json`` while the PDF still prints it, or adding a word anywhere changes a count
   (order-free, so right-to-left lines and floated footnotes cannot false-alarm). The page
   number is accepted as ``k`` or ``k/n`` (the geometry's CSS picks one).
2. **Each furniture line in one piece** — every block of text outside the parts' bodies (a
   masthead line, the job number and processing dates, a heading, an annex marker, a
   signature line) is found as one contiguous run (right-to-left: each word of it), so two
   processing dates swapped, which keeps the counts, still fail.

Order within the body is the round trip's job; together they say: every source character in
order, and no character more.

:func:`page_texts` is the one extraction entry point (pypdfium2 per page); a reader in
structure order can replace it without touching the comparison.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from pipeline.model import Document
from pipeline.numerals import roman
from pipeline.typeset import textcheck

_BLOCK_TAGS = frozenset(
    {
        "div",
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "td",
        "th",
        "tr",
        "table",
        "header",
        "section",
        "li",
        "ol",
        "ul",
        "blockquote",
    }
)
_VOID = frozenset({"img", "br", "hr", "meta", "link", "input", "wbr"})
SHOWN = 40  # characters named in a message


def _alpha(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(97 + rest) + out
    return out


def list_marker(depth: int, value: int) -> str:
    """What ``unfolio.css`` numbers a paragraph with: decimal, then lower-alpha, lower-roman
    (the letters and digits only; the punctuation around them is not compared)."""
    if depth <= 1:
        return str(value)
    if depth == 2:
        return _alpha(value)
    return roman(value).lower() if value > 0 else ""


@dataclass
class Printed:
    """What the template prints, split the way the pages show it."""

    flow: list[str] = field(default_factory=list)  # everything printed once
    running: list[str] = field(default_factory=list)  # a running head (printed on pages ≥ 2)
    blocks: list[str] = field(default_factory=list)  # furniture lines, each in one piece
    job: str = ""  # the bare job number (string(job) on pages ≥ 2)
    heads: list[str] = field(default_factory=list)  # table heads, repeated on later pages
    rows: list[list[str]] = field(default_factory=list)  # each head's table body, row by row


class _Reader(HTMLParser):
    """The document's HTML → :class:`Printed`, with the generated paragraph and note numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.printed = Printed()
        self._stack: list[tuple[str, str]] = []  # (tag, class)
        self._skip = 0  # inside <head>
        self._running = 0  # depth inside a running head
        self._body = 0  # depth inside a part's body
        self._note = 0  # span depth inside a footnote
        self._outer: list[str] | None = None  # the block an asterisk note interrupts
        self._notes = 0
        self._ol: list[int] = []  # the list-item counter of each open <ol>
        self._block: list[str] = []
        self._run: list[str] = []
        self._head: list[str] | None = None  # inside a <thead>
        self._tables: list[tuple[list[str], list[str]]] = []  # open tables: (head, body rows)
        self._row: list[str] | None = None  # inside a body row: its text as drawn in the row

    def _flush(self) -> None:
        text = "".join(self._block).strip()
        if text and not self._body and not self._running:
            self.printed.blocks.append(text)
        self._block = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        if tag == "head":
            self._skip += 1
        if tag == "body":
            self.printed.job = values.get("data-job") or ""
        if tag == "table":
            self._tables.append(([], []))
        if tag == "thead":
            self._head = []
        if tag == "tr" and self._head is None and self._tables:
            self._row = []
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in _VOID:
            return
        self._stack.append((tag, " ".join(classes)))
        if self._running:
            self._running += 1
        elif "running-head" in classes:
            self._running = 1
            self._run = []
        if self._body:
            self._body += 1
        elif "part-body" in classes:
            self._body = 1
        if tag == "span" and not self._note and "star-note" in classes:
            self._outer = self._block  # an asterisk note is a block of its own, drawn below
            self._block = []
        if tag == "span" and (self._note or "footnote" in classes):
            if not self._note and "star-note" not in classes:  # "*" marks: no letter or digit
                self._notes += 1
                self._emit(str(self._notes) * 2)  # the call and the marker
                if self._row is not None:
                    self._row.append(str(self._notes))  # the call (the note is drawn below)
            self._note += 1
        style = values.get("style") or ""
        if tag == "ol":
            start = _counter(style, "counter-reset")
            self._ol.append(start if start is not None else 0)
        if tag == "li" and self._stack[-2:-1] and self._stack[-2][0] == "ol" and self._ol:
            value = _counter(style, "counter-set")
            self._ol[-1] = value if value is not None else self._ol[-1] + 1
            self._emit(list_marker(len(self._ol), self._ol[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag == "head":
            self._skip = max(0, self._skip - 1)
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "ol" and self._ol:
            self._ol.pop()
        if tag == "thead" and self._head is not None:
            if self._tables:
                self._tables[-1][0].append("".join(self._head))
            self._head = None
        if tag == "tr" and self._row is not None:
            self._tables[-1][1].append("".join(self._row))
            self._row = None
        if tag == "table" and self._tables:
            head, rows = self._tables.pop()
            if head:
                self.printed.heads.append("".join(head))
                self.printed.rows.append(rows)
        if self._note:
            self._note -= tag == "span"
            if not self._note and self._outer is not None:
                self._flush()
                self._block, self._outer = self._outer, None
        if self._body:
            self._body -= 1
        if self._running:
            self._running -= 1
            if not self._running:
                self.printed.running.append("".join(self._run))
        if self._stack:
            self._stack.pop()

    def _emit(self, text: str) -> None:
        if self._running:
            self._run.append(text)
        else:
            self.printed.flow.append(text)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self._emit(data)
        if self._head is not None:
            self._head.append(data)
        if self._row is not None and not self._note:
            self._row.append(data)
        if not self._running:
            self._block.append(data)


def _counter(style: str, prop: str) -> int | None:
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        words = value.split()
        if name.strip() == prop and len(words) >= 2 and words[0] == "list-item":
            try:
                return int(words[1])
            except ValueError:
                return None
    return None


def printed(document: Document, *, styles: Path | None = None) -> Printed:
    """What unfolio prints for ``document``, from the template the build uses."""
    from pipeline.typeset import layout

    reader = _Reader()
    reader.feed(layout.build_html(document, styles=styles))
    reader.close()
    return reader.printed


def page_texts(pdf: bytes) -> list[textcheck.PageText]:
    """The text of each page, as the comparison reads it (the one extraction entry point)."""
    return textcheck.read(pdf)


def _count(text: str, rtl: bool) -> Counter[str]:
    """The multiset of normalised characters of ``text``."""
    return Counter(textcheck.normalise(text, right_to_left=rtl))


def _expected(what: Printed, pages: int, rtl: bool, with_total: bool) -> Counter[str]:
    total = _count("".join(what.flow), rtl)
    furniture = (what.running[0] if what.running else "") + what.job
    for number in range(2, pages + 1):
        total += _count(furniture + str(number) + (str(pages) if with_total else ""), rtl)
    return total


def _shown(counts: Counter[str]) -> str:
    chars = "".join(sorted(counts.elements()))
    return repr(chars[:SHOWN]) + (f" and {len(chars) - SHOWN} more" if len(chars) > SHOWN else "")


@dataclass(frozen=True)
class Mismatch:
    """A difference; ``file`` is the source file it points at ("" when it is the PDF's)."""

    message: str
    file: str = ""


def mismatches(
    document: Document, pages: Sequence[textcheck.PageText], *, styles: Path | None = None
) -> Iterator[Mismatch]:
    """Every way the pages' text differs from what unfolio prints (nothing if it does not)."""
    rtl = document.language in textcheck.RIGHT_TO_LEFT
    what = printed(document, styles=styles)
    normalised = [textcheck.normalise(page.text, right_to_left=rtl) for page in pages]
    whole = "".join(normalised)
    drawn = Counter(whole)
    variants = [_expected(what, len(pages), rtl, total) for total in (False, True)]
    if not any(_accounted(drawn, v, what, normalised, rtl) for v in variants):
        want = min(variants, key=lambda v: sum(((drawn - v) + (v - drawn)).values()))
        missing, added = want - drawn, drawn - want
        files = ", ".join(f.name for f in document.files)
        if missing:
            yield Mismatch(
                f"{sum(missing.values())} letters and digits unfolio prints from the source "
                f"({files}) are not drawn: {_shown(missing)}"
            )
        if added:
            furniture = " ".join([*what.blocks, *what.running, what.job])
            gaps = textcheck.unexplained_gaps(document, textcheck.join(pages), furniture)
            where = sorted({part for part, _ in gaps})
            inside = (
                f"; inside the text of {', '.join(where)} the PDF draws "
                + ", ".join(repr(text[:40]) for _, text in gaps[:5])
                + " that the part lacks"
                if where
                else ""
            )
            yield Mismatch(
                f"{sum(added.values())} letters and digits are drawn that unfolio does not print "
                f"from the source ({files}): {_shown(added)}{inside}",
                gaps[0][0] if gaps else "",  # the first place the texts part ways
            )
    for block in what.blocks:
        if not _found(block, whole, rtl) and not _across_pages(block, normalised, what, rtl):
            yield Mismatch(
                f"document.json and the locale strings print {block[:80]!r}, which is not drawn "
                "(as one piece)",
                "document.json",
            )
    furniture = [textcheck.normalise(what.job), *(textcheck.normalise(r) for r in what.running[:1])]
    for number, text in enumerate(normalised[1:], 2):
        for item in (*furniture, str(number)):
            if item and not _found_on(item, text, rtl):
                yield Mismatch(
                    f"page {number} lacks its running head, job number or page number {item!r}"
                )


def _accounted(
    drawn: Counter[str], expected: Counter[str], what: Printed, pages: list[str], rtl: bool
) -> bool:
    """Whether ``drawn`` is ``expected`` plus nothing but the table heads WeasyPrint repeats.

    WeasyPrint repeats a table's head at the top of each page the table continues onto, so a
    page repeats at most one head, the one of the table carried over from the page before;
    the pages repeating one head follow each other, right after the page its table starts
    on; the tables' heads repeat in document order; and after the repeated head the page
    goes on with a row of that table. Which pages repeat which head is searched (a head's
    letters may be found inside another's, so counting alone can pick the wrong one); any
    other copy of a head is text added."""
    if expected - drawn:
        return False
    extra = drawn - expected
    if not extra:
        return True
    copies = [_count(head, rtl) for head in what.heads]
    heads = [textcheck.normalise(head, right_to_left=rtl) for head in what.heads]
    rows = [
        [r for r in (textcheck.normalise(row, right_to_left=rtl) for row in table) if r]
        for table in what.rows
    ]
    edges = _edges(what, rtl)
    candidates = []  # (page number, the heads it may repeat)
    for number in range(2, len(pages) + 1):
        page = pages[number - 1]
        if not rtl:
            page = _trim_edges(page, number, len(pages), edges)
        found = [
            h
            for h, copy in enumerate(copies)
            if copy and _repeated_on(what.heads[h], heads[h], rows[h], page, rtl)
        ]
        if found:
            candidates.append((number, found))

    failed: set[tuple[int, tuple[int, int], frozenset]] = set()  # states already refuted

    def search(at: int, left: Counter[str], last: tuple[int, int]) -> bool:
        if not left:
            return True
        if at == len(candidates):
            return False
        state = (at, last, frozenset(left.items()))
        if state in failed:  # many tables with the same head: the same state, many paths
            return False
        if _search(at, left, last):
            return True
        failed.add(state)
        return False

    def _search(at: int, left: Counter[str], last: tuple[int, int]) -> bool:
        number, found = candidates[at]
        head, page = last
        for h in found:
            carried = h == head and page == number - 1  # a further page of the same table
            starts = h > head and _found(what.heads[h], pages[number - 2], rtl)
            fits = (carried or starts) and not copies[h] - left
            if fits and search(at + 1, left - copies[h], (h, number)):
                return True
        return search(at + 1, left, last)

    return search(0, extra, (-1, 0))


def _repeated_on(head: str, wanted: str, rows: list[str], page: str, rtl: bool) -> bool:
    """Whether ``page`` (a later one, its edges trimmed) begins with the table head ``head``
    (``wanted`` normalised) and one of its table's ``rows`` (right-to-left, where pdfium's
    order within a page is visual: holds both)."""
    if rtl:
        return _found(head, page, rtl) and any(row in page for row in rows)
    return page.startswith(wanted) and any(page.startswith(row, len(wanted)) for row in rows)


def _edges(what: Printed, rtl: bool) -> list[str]:
    """The furniture at the edges of a later page: its running head and bare job number."""
    edges = [textcheck.normalise(r, right_to_left=rtl) for r in what.running[:1]]
    edges.append(textcheck.normalise(what.job, right_to_left=rtl))
    return edges


def _trim_edges(page: str, number: int, pages: int, edges: list[str]) -> str:
    """``page`` (a later one) without its running head, job number and page number at its
    start and end."""
    items = [e for e in (*edges, str(number), f"{number}{pages}") if e]
    trimmed = True
    while trimmed:
        trimmed = False
        for item in items:
            if page.startswith(item):
                page, trimmed = page[len(item) :], True
            if page.endswith(item):
                page, trimmed = page[: -len(item)], True
    return page


def _found(block: str, whole: str, rtl: bool) -> bool:
    wanted = textcheck.normalise(block, right_to_left=rtl)
    if not wanted:
        return True
    if wanted in whole:
        return True
    if rtl:  # a line that mixes directions comes back in visual pieces
        return all(run in whole for run in textcheck._runs(block))
    return False


def _across_pages(block: str, pages: list[str], what: Printed, rtl: bool) -> bool:
    """Whether ``block`` is drawn in one piece that runs from one page onto the next: a long
    title or subtitle continues after the page's foot and the next page's running head. Only
    the furniture a page break puts in between is skipped: the other furniture lines (the
    first page's footer), and at the edges of a later page its running head, bare job
    number and page number."""
    wanted = textcheck.normalise(block, right_to_left=rtl)
    if len(pages) < 2 or not wanted:
        return False
    others = sorted(
        (n for b in what.blocks if b != block and (n := textcheck.normalise(b, right_to_left=rtl))),
        key=len,
        reverse=True,
    )
    edges = _edges(what, rtl)
    bodies = []
    for number, page in enumerate(pages, 1):
        for other in others:
            page = page.replace(other, "")
        bodies.append(_trim_edges(page, number, len(pages), edges) if number > 1 else page)
    return wanted in "".join(bodies)


def _found_on(item: str, text: str, rtl: bool) -> bool:
    return item in text or (rtl and not (Counter(item) - Counter(text)))

"""Text order: a tagged PDF reads exactly what unfolio prints, in the source's order.

The exact comparison (:mod:`.exacttext`) counts characters, order-free, and the round trip
(:mod:`.textcheck`) finds the source in pieces with gaps: neither sees two numbers, two
footnotes or two table cells swapped, which keep every count and every piece. A tagged PDF's
structure tree fixes the reading order (:mod:`.structtext`), so here the two texts are
compared *as sequences*:

- **printed**: what the template prints for the document (:func:`layout.build_html`, the
  same HTML :mod:`.exacttext` reads), in document order, with what the stylesheets generate
  where the tagging puts it — a list item's number (its ``Lbl``) before its text, a
  footnote's call number (``Reference``) and marker number (the ``Lbl`` in its ``Note``)
  where the call stands — leaving out what is drawn as an artifact (running heads, the
  first-page footer, page numbers, a table head repeated on a later page), and the masthead
  in its ``data-reading-order``;
- **read**: the text of every structure element in structure order, each ``Note`` where its
  ``Reference`` is (``structtext.assemble`` without ``notes_after``).

Both are normalised block by block as for the round trip (``textcheck.normalise``: NFKC,
case folding, letters and digits) and joined; the joined texts must be equal, character for
character, and every place where one printed block ends and the next begins must be a place
where one structure element's text ends and another's begins (the tree may split more: a
``Link``, a ``Note`` inside a paragraph), so a word moved from one paragraph's end to the
next one's start fails too.

Every flavour also gets :func:`drawn_mismatches`, on the pages' text in content order (what is
seen, where a tagged tree could say otherwise): left to right, each block of the body and each
footnote must be drawn in order with no gap but at a page break. Untagged right-to-left text
has neither a reading order nor a line order to go by (docs/verify-proves.md, Limits).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import accumulate, pairwise
from pathlib import Path

from pipeline.model import Document
from pipeline.typeset import exacttext, structtext, textcheck

_ARTIFACT_CLASSES = frozenset({"running-head", "first-footer"})
_BLOCK_TAGS = exacttext._BLOCK_TAGS | {"dd", "dt", "dl", "figcaption", "caption", "pre"}
_VOID = frozenset({"img", "br", "hr", "meta", "link", "input", "wbr", "col", "area", "source"})
_TOKEN = re.compile(r"\d+|[^\W\d_]+")  # a run of digits or of letters
SHOWN = 30  # normalised characters named on each side of the first difference


@dataclass(frozen=True)
class Block:
    """A run of printed text that ends where a structure element's text ends."""

    where: str  # the source file it comes from: a part's file, or "document.json"
    text: str


class _Reader(HTMLParser):
    """The document's HTML → printed blocks in reading order (see the module docstring)."""

    def __init__(self, parts: Sequence[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._parts = list(parts)
        self._part = -1  # index of the open <section class="part">
        self._stack: list[tuple[str, bool]] = []  # (tag, opens a counted region)
        self._depth = {"skip": 0, "body": 0, "section": 0, "note": 0, "masthead": 0}
        self._ordered: dict[int, list[Block]] = {}  # masthead: reading order → its blocks
        self._order = 0  # the data-reading-order of the open masthead item (0: none)
        self._order_depth = 0
        self._notes = 0
        self._ol: list[int] = []
        self._text: list[str] = []

    def _where(self) -> str:
        if self._depth["body"] and 0 <= self._part < len(self._parts):
            return self._parts[self._part]
        return "document.json"

    def _flush(self) -> None:
        text = "".join(self._text)
        self._text = []
        if not textcheck.normalise(text):
            return
        block = Block(self._where(), text)
        if self._depth["masthead"]:
            self._ordered.setdefault(self._order, []).append(block)
        else:
            self.blocks.append(block)

    def _generated(self, text: str) -> None:
        """Text the stylesheets draw as an element of its own (a Lbl, a Reference)."""
        self._flush()
        self._text.append(text)
        self._flush()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in _VOID:
            return
        opened = []
        if tag == "head" or self._depth["skip"] or classes & _ARTIFACT_CLASSES:
            opened.append("skip")
        if self._depth["body"] or "part-body" in classes:
            opened.append("body")
        if tag == "section" and "part" in classes and not self._depth["section"]:
            self._part += 1
        if self._depth["section"] or (tag == "section" and "part" in classes):
            opened.append("section")
        if self._depth["masthead"] or "masthead" in classes:
            opened.append("masthead")
        for name in opened:
            self._depth[name] += 1
        order = values.get("data-reading-order")
        if self._depth["masthead"] and order and order.isdigit() and not self._order:
            self._flush()
            self._order, self._order_depth = int(order), len(self._stack) + 1
        self._stack.append((tag, *opened))  # type: ignore[arg-type]
        if self._depth["skip"]:
            return
        if tag == "span" and (self._depth["note"] or "footnote" in classes):
            if not self._depth["note"]:
                if "star-note" not in classes:  # "*", "**": no number (see exacttext)
                    self._notes += 1
                    self._generated(str(self._notes))  # the call, a Reference
                    self._generated(str(self._notes))  # the marker, the Note's Lbl
                else:
                    self._flush()
            self._depth["note"] += 1
        style = values.get("style") or ""
        if tag == "ol":
            start = exacttext._counter(style, "counter-reset")
            self._ol.append(start if start is not None else 0)
        parent = self._stack[-2][0] if len(self._stack) > 1 else ""
        if tag == "li" and parent == "ol" and self._ol:
            value = exacttext._counter(style, "counter-set")
            self._ol[-1] = value if value is not None else self._ol[-1] + 1
            self._generated(exacttext.list_marker(len(self._ol), self._ol[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if not self._stack:
            return
        if tag == "span" and self._depth["note"] and not self._depth["skip"]:
            self._depth["note"] -= 1
            if not self._depth["note"]:
                self._flush()  # the note's text ends where the running text resumes
        if tag == "ol" and self._ol and not self._depth["skip"]:
            self._ol.pop()
        if self._order and len(self._stack) == self._order_depth:
            self._flush()
            self._order = 0
        _, *opened = self._stack.pop()
        for name in opened:
            self._depth[name] -= 1
        if "masthead" in opened and not self._depth["masthead"]:
            self._flush()
            for order in sorted(self._ordered):
                self.blocks.extend(self._ordered[order])
            self._ordered = {}

    def handle_data(self, data: str) -> None:
        if not self._depth["skip"]:
            self._text.append(data)


def printed(document: Document, *, styles: Path | None = None) -> list[Block]:
    """What unfolio prints for ``document`` and a reader reads, in reading order."""
    from pipeline.typeset import layout

    reader = _Reader([part.text for part in document.parts])
    reader.feed(layout.build_html(document, styles=styles))
    reader.close()
    reader._flush()
    return reader.blocks


@dataclass(frozen=True)
class _Joined:
    text: str  # the blocks' normalised text, joined
    ends: list[int]  # where each block's text ends in it (strictly increasing)


def _join(texts: Sequence[str], rtl: bool) -> _Joined:
    out: list[str] = []
    ends: list[int] = []
    at = 0
    for text in texts:
        normal = textcheck.normalise(text, right_to_left=rtl)
        if normal:
            out.append(normal)
            at += len(normal)
            ends.append(at)
    return _Joined("".join(out), ends)


def mismatches(
    document: Document,
    read: Sequence[structtext.Block],
    *,
    styles: Path | None = None,
) -> Iterator[exacttext.Mismatch]:
    """The first place where the structure's text (``read``, in structure order, notes inline)
    departs from what unfolio prints in the source's order (nothing if it never does)."""
    rtl = document.language in textcheck.RIGHT_TO_LEFT
    blocks = printed(document, styles=styles)
    want = _join([b.text for b in blocks], rtl)
    got = _join([b.text for b in read], rtl)
    wheres = [b.where for b in blocks if textcheck.normalise(b.text, right_to_left=rtl)]

    def where(offset: int) -> str:
        return wheres[min(bisect_right(want.ends, offset), len(wheres) - 1)] if wheres else ""

    if rtl:
        yield from _right_to_left(blocks, read, wheres)
        return
    same = _common_prefix(want.text, got.text)
    if same < max(len(want.text), len(got.text)):
        yield exacttext.Mismatch(
            "the structure does not read the text in the source's order: after "
            f"{_before(want.text, same)!r} the source prints {_after(want.text, same)!r} "
            f"and the PDF reads {_after(got.text, same)!r} (normalised)",
            where(same),
        )
        return
    cuts = set(got.ends)
    for end in want.ends[:-1]:
        if end not in cuts:
            yield exacttext.Mismatch(
                "the structure does not end an element where the source ends a block: the "
                f"source ends one with {_before(want.text, end)!r} and begins the next with "
                f"{_after(want.text, end)!r} (normalised), the PDF reads them as one",
                where(end),
            )
            return


def _right_to_left(
    blocks: Sequence[Block], read: Sequence[structtext.Block], wheres: Sequence[str]
) -> Iterator[exacttext.Mismatch]:
    """Right-to-left: block by block, each drawn line a contiguous piece of its block.

    pdfium's text page gives right-to-left text in logical order within a piece of a line, but
    cuts a line into pieces where a mark or a number changes the glyph run, and gives a line's
    pieces in visual order (left to right), a mixed-direction line's words too. So each
    printed block is read as the structure elements whose text makes up exactly its length,
    and their lines must tile the block (:func:`_tiles`): each found where the block has it,
    none overlapping, all of it covered. A swap inside a line, or across blocks, breaks a
    piece; a line holding Latin letters is the exception (docs/verify-proves.md, Limits)."""
    wanted = [textcheck.normalise(b.text, right_to_left=True) for b in blocks]
    wanted = [w for w in wanted if w]
    lines = [
        line
        for b in read
        for line in re.split(r"[\r\n]+", b.text)
        if textcheck.normalise(line, right_to_left=True)
    ]
    sizes = [len(textcheck.normalise(line, right_to_left=True)) for line in lines]
    at = 0
    for index, block in enumerate(wanted):
        group: list[str] = []
        size = 0
        while size < len(block) and at < len(lines):
            group.append(lines[at])
            size += sizes[at]
            at += 1
        if size != len(block) or not _tiles(block, group):
            shown = " / ".join(textcheck.normalise(g, right_to_left=True) for g in group)
            shown = shown[: 2 * SHOWN]
            yield exacttext.Mismatch(
                "the structure does not read the text in the source's order: the source "
                f"prints {block[: 2 * SHOWN]!r} and the PDF reads {shown!r} (normalised; "
                "right-to-left: compared line by line)",
                wheres[index],
            )
            return
    if at < len(lines):
        yield exacttext.Mismatch(
            f"the structure reads {lines[at][: 2 * SHOWN]!r} after all the source prints",
            wheres[-1] if wheres else "",
        )


def _tiles(block: str, lines: Sequence[str]) -> bool:
    """Whether ``lines`` cover ``block`` (normalised) exactly: each line, normalised, where
    the block has it (a line with Latin letters, failing that, word by word), longest
    first, none overlapping."""
    free = [True] * len(block)

    def place(piece: str) -> bool:
        start = block.find(piece)
        while start >= 0:
            if all(free[start : start + len(piece)]):
                free[start : start + len(piece)] = [False] * len(piece)
                return True
            start = block.find(piece, start + 1)
        return False

    normal = [(textcheck.normalise(line, right_to_left=True), line) for line in lines]
    for piece, line in sorted(normal, key=lambda item: len(item[0]), reverse=True):
        if place(piece):
            continue
        words = textcheck._runs(line)
        if place("".join(reversed(words))):  # a piece of a mixed line: words in visual order
            continue
        tokens = sorted((t for word in words for t in _TOKEN.findall(word)), key=len, reverse=True)
        if not (textcheck._LATIN.search(piece) and all(map(place, tokens))):
            return False
    return not any(free)


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of ``a`` and ``b`` (binary search on slices)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _before(text: str, at: int) -> str:
    return text[max(0, at - SHOWN) : at]


def _after(text: str, at: int) -> str:
    return text[at : at + SHOWN] or "(nothing)"


def drawn_mismatches(document: Document, extracted: str) -> Iterator[exacttext.Mismatch]:
    """An untagged PDF, left to right: the first place where the page text (``extracted``,
    content-stream order, pages joined by ``textcheck.PAGE_BREAK``) departs from the source's
    order (nothing if it never does).

    Matched as the round trip matches (:func:`textcheck._match`), but with no look-back: each
    block of the body, in order, must be found from where the previous one ends, in pieces
    with no gap between two pieces except across a page break (the page's footnotes and
    furniture), and each footnote, in number order, as its marker number followed by its
    text. Right-to-left documents are left to the round trip: pdfium gives a right-to-left
    line's pieces in visual order (docs/verify-proves.md, Limits)."""
    if document.language in textcheck.RIGHT_TO_LEFT:
        return
    pages = [textcheck.normalise(page) for page in extracted.split(textcheck.PAGE_BREAK)]
    target = "".join(pages)
    breaks = list(accumulate(len(page) for page in pages[:-1]))
    source = textcheck.source_text(document)
    body = [
        (where, "block", textcheck.normalise(block))
        for where, text in source.flows
        for block in text.split(textcheck.BLOCK_BREAK)
    ]
    texts = [(w, t) for w, t in source.anywhere if " footnote " in w]
    notes = [  # as the page draws a footnote: its number (the marker), then its text
        (w.partition(" footnote ")[0], f"footnote {n}", str(n) + textcheck.normalise(t))
        for n, (w, t) in enumerate(texts, 1)
    ]
    for sequence in (body, notes):
        cursor = 0
        for where, what, flow in sequence:
            cursor, problem = _drawn(flow, what, target, cursor, breaks)
            if problem:
                yield exacttext.Mismatch(
                    f"the PDF does not draw the text in the source's order: {problem} (normalised)",
                    where,
                )
                return


#: later places a block is tried at when it is found with a gap: the text may recur before
#: it (a title printed again as the first paragraph), the first copy is then the wrong one
RETRIES = 8


def _drawn(
    flow: str, what: str, target: str, cursor: int, breaks: Sequence[int]
) -> tuple[int, str]:
    """Where ``flow`` (one block) ends, found from ``cursor`` in pieces with no gap but across
    a page break, and no problem; or ``cursor`` and what is wrong at the first place tried."""
    start, first = cursor, ""
    for _ in range(RETRIES):
        pieces: list[tuple[int, int]] = []
        end, failed = textcheck._match(flow, target, start, breaks, pieces, look_back=0)
        problem = ""
        if failed is not None:
            problem = (
                f"after {_before(flow, failed)!r} the source's {what} goes on with "
                f"{_after(flow, failed)!r}, which the pages do not draw next"
                if failed
                else f"the source's next {what} is {_after(flow, failed)!r}, which the pages "
                "do not draw next"
            )
        for (at, length), (second, _) in pairwise(pieces):
            stop = at + length
            if not problem and second > stop and not any(stop <= b <= second for b in breaks):
                problem = (
                    f"it draws {target[stop:second][: 2 * SHOWN]!r} inside the source's "
                    f"{what} {flow[: 2 * SHOWN]!r}, on the same page"
                )
        if not problem:
            return end, ""
        first = first or problem
        if not pieces:
            break
        start = pieces[0][0] + 1
    return cursor, first

"""What a reader shows that is not a drawn glyph: replacement text, alternative text, bookmarks.

``/ActualText`` replaces what extraction and screen readers read for the glyphs it marks, so
a forger can draw other words and wrap them in the source's text: the text checks, which read
through extraction, would pass. ``/Alt`` is what a screen reader says for a figure; the
outline (bookmarks) is the table of contents every viewer shows. None of them is drawn, so
these checks compare them with what unfolio writes (from the file alone, any environment):

- ``PDF-ACTUALTEXT``: no content stream marks anything with ``/ActualText``, ``/Alt`` or
  ``/E`` (unfolio writes none there); in the structure tree, every ``/ActualText`` is one the
  template writes (``data-actual-text``: the masthead's stretched Arabic label), no more
  often than it writes it, every ``/Alt`` an ``alt`` the template writes (the emblem's
  description), and no ``/E``.
- ``PDF-OUTLINE``: the bookmarks, in order, are the headings the template prints (each
  ``h1``–``h6``, compared as the text checks compare: letters and digits), each pointing at
  a page of this file by ``/Dest`` and carrying no action.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pikepdf

from pipeline.model import Document
from pipeline.typeset import layout, textcheck
from pipeline.typeset.drawing import Problem

_HEADINGS = frozenset(f"h{n}" for n in range(1, 7))
_OUTLINE_KEYS = frozenset(
    {"/Title", "/Parent", "/Next", "/Prev", "/First", "/Last", "/Count", "/Dest"}
)
_MARKED = re.compile(rb"/(?:ActualText|Alt|E)(?![^\s/<>\[\]()%{}])")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
SHOWN = 60


CALL = "\x00"  # where a heading calls a footnote: the bookmark reads the call, digits or "*"


class _Template(HTMLParser):
    """The headings, ``alt`` and ``data-actual-text`` values of the template's HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.alts: set[str] = set()
        self.actual: Counter[str] = Counter()
        self._open: list[str] | None = None
        self._depth = 0
        self._note = 0  # depth inside a footnote span: its text is drawn at the foot

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("alt") is not None:
            self.alts.add(values["alt"] or "")
        if values.get("data-actual-text"):
            self.actual[values["data-actual-text"] or ""] += 1
        if tag in _HEADINGS and "bookmark-level: none" not in (values.get("style") or ""):
            if self._open is None:
                self._open, self._depth = [], 0
            self._depth += 1
        if self._note:
            self._note += tag == "span"
        elif tag == "span" and "footnote" in (values.get("class") or "").split():
            self._note = 1
            if self._open is not None:  # the bookmark keeps the call: a number, or "*"
                self._open.append(CALL)

    def handle_endtag(self, tag: str) -> None:
        if self._note and tag == "span":
            self._note -= 1
        if tag in _HEADINGS and self._open is not None:
            self._depth -= 1
            if self._depth <= 0:
                self.headings.append("".join(self._open))
                self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and not self._note:
            self._open.append(data)


def template(document: Document, styles: Path | None = None) -> _Template:
    reader = _Template()
    reader.feed(layout.build_html(document, styles=styles))
    reader.close()
    return reader


def _text(value) -> str:
    try:
        return str(value)
    except Exception:  # not a string: shown as the PDF holds it
        return repr(value)


def _structure(opened: pikepdf.Pdf, wanted: _Template) -> Iterator[Problem]:
    left = Counter(wanted.actual)  # each label replaces one element's text, not more
    for obj in opened.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        what = obj.get("/S") if isinstance(obj.get("/S"), pikepdf.Name) else obj.get("/Type")
        actual = _text(obj.ActualText) if "/ActualText" in obj else None
        if actual is not None and left[actual] > 0:
            left[actual] -= 1
        elif actual is not None:
            yield Problem(
                "PDF-ACTUALTEXT",
                f"{what} object {obj.objgen[0]} reads as /ActualText "
                f"{_text(obj.ActualText)[:SHOWN]!r}, which unfolio never writes: readers and "
                "extraction say it instead of the glyphs drawn",
            )
        if "/Alt" in obj and _text(obj.Alt) not in wanted.alts:
            yield Problem(
                "PDF-ACTUALTEXT",
                f"{what} object {obj.objgen[0]} has /Alt {_text(obj.Alt)[:SHOWN]!r}, which "
                "unfolio never writes",
            )
        element = obj.get("/Type") == pikepdf.Name.StructElem or (
            isinstance(obj.get("/S"), pikepdf.Name) and "/P" in obj
        )
        if element and "/E" in obj:
            yield Problem(
                "PDF-ACTUALTEXT",
                f"{what} object {obj.objgen[0]} has an /E expansion (unfolio writes none)",
            )


def _streams(opened: pikepdf.Pdf) -> Iterator[Problem]:
    """Marked content that replaces text, in any content stream or property resource."""
    for number, page in enumerate(opened.pages, 1):
        where = f"page {number}"
        resources = page.obj.get("/Resources")
        properties = (
            resources.get("/Properties") if isinstance(resources, pikepdf.Dictionary) else None
        )
        if isinstance(properties, pikepdf.Dictionary):
            for name, value in properties.items():
                if isinstance(value, pikepdf.Dictionary) and any(
                    key in value for key in ("/ActualText", "/Alt", "/E")
                ):
                    yield Problem(
                        "PDF-ACTUALTEXT",
                        f"the marked-content properties {name} replace the text drawn "
                        "(unfolio writes none)",
                        where,
                    )
    pages = set()
    for page in opened.pages:
        contents = page.obj.get("/Contents")
        streams = contents if isinstance(contents, pikepdf.Array) else [contents]
        pages.update(s.objgen for s in streams if isinstance(s, pikepdf.Stream))
    for obj in opened.objects:
        # content streams only: a page's, a form's (an embedded source file may say anything)
        if not isinstance(obj, pikepdf.Stream) or not (
            obj.objgen in pages or obj.get("/Subtype") == pikepdf.Name.Form
        ):
            continue
        try:
            data = obj.read_bytes()
        except pikepdf.PdfError:
            continue  # PDF-SYNTAX reports a broken stream
        if b"#" in data:
            data = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
        if (b"BDC" in data or b"DP" in data) and _MARKED.search(data):
            yield Problem(
                "PDF-ACTUALTEXT",
                f"content stream {obj.objgen[0]} marks content with /ActualText, /Alt or /E, "
                "which replaces what extraction reads (unfolio writes none there)",
            )


def _outline(opened: pikepdf.Pdf, wanted: _Template, rtl: bool) -> Iterator[Problem]:
    pages = {page.obj.objgen for page in opened.pages}
    titles: list[str] = []
    outlines = opened.Root.get("/Outlines")
    first = outlines.get("/First") if isinstance(outlines, pikepdf.Dictionary) else None
    stack, seen = [first], set()
    while stack:
        item = stack.pop()
        if not isinstance(item, pikepdf.Dictionary) or item.objgen in seen or len(seen) > 10_000:
            continue
        seen.add(item.objgen)
        title = _text(item.get("/Title", ""))
        titles.append(title)
        extra = sorted(str(k) for k in item if k not in _OUTLINE_KEYS)
        if extra:
            yield Problem(
                "PDF-OUTLINE",
                f"the bookmark {title[:SHOWN]!r} carries {', '.join(extra)} (unfolio's "
                "bookmarks hold a title and a destination only)",
            )
        dest = item.get("/Dest")
        target = dest[0] if isinstance(dest, pikepdf.Array) and len(dest) else None
        if not isinstance(target, pikepdf.Dictionary) or target.objgen not in pages:
            yield Problem(
                "PDF-OUTLINE",
                f"the bookmark {title[:SHOWN]!r} does not point at a page of this file",
            )
        stack.append(item.get("/Next"))  # pushed first: the children are read before it
        stack.append(item.get("/First"))
    got = [textcheck.normalise(t, right_to_left=rtl) for t in titles]
    want = [
        re.compile(
            r"\d*".join(re.escape(textcheck.normalise(piece, right_to_left=rtl))
                        for piece in heading.split(CALL))
        )
        for heading in wanted.headings
    ]  # fmt: skip
    if len(got) == len(want) and all(w.fullmatch(g) for g, w in zip(got, want, strict=True)):
        return
    for index, (have, should) in enumerate(zip(got, want, strict=False)):
        if not should.fullmatch(have):
            yield Problem(
                "PDF-OUTLINE",
                f"bookmark {index + 1} reads {titles[index][:SHOWN]!r}, the heading the source "
                f"prints there is {wanted.headings[index].replace(CALL, '').strip()[:SHOWN]!r}",
            )
            return
    yield Problem(
        "PDF-OUTLINE",
        f"{len(got)} bookmark(s), the source prints {len(want)} heading(s)",
    )


def check_read_text(
    pdf: bytes, document: Document, *, styles: Path | None = None, outline: bool = True
) -> Iterator[Problem]:
    """Every problem with replacement text, alternative text and bookmarks (``outline``
    false leaves the bookmarks out: they are the headings of this release's template)."""
    wanted = template(document, styles)
    rtl = document.language in textcheck.RIGHT_TO_LEFT
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        yield from _structure(opened, wanted)
        yield from _streams(opened)
        if outline:
            yield from _outline(opened, wanted, rtl)

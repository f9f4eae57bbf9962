"""What the PDF's structure may hold: one revision, the source's links, unfolio's own painting.

Text that is drawn but hidden, a box painted over a paragraph, a link laid over a page: none
changes the extracted text, so the text checks cannot see them. These checks can, from the
file alone (no environment needed):

- **Revisions** (``PDF-REVISIONS``): unfolio saves a PDF once, so it has one revision (one
  ``startxref … %%EOF`` section); an incremental update — what any PDF editor appends — is a
  second. With its own signature a PDF has exactly two, the second carrying the signature
  (``/ByteRange`` and ``/Contents``); what that revision may add is judged by the signature
  checks. :func:`first_revision` is the bytes up to the end of unfolio's own revision.
- **Links** (``PDF-LINKS``): every annotation but a signature widget (which
  ``PDF-SIGNATURE-FORM`` judges) is a ``/Link`` with a URI action to a target the
  source links to; each source link is drawn at least once (a link broken over two lines is two
  rectangles) and at most once per word (or 20 characters) of its text; each rectangle lies on text that is part
  of that link's text, and is no taller than a few lines; it paints nothing (no appearance,
  no border) and its ``/Contents``, what a screen reader announces, is its target.
- **Painting** (``PDF-DRAWING``): each page has one content stream; every operator is one
  unfolio's pages use (text, paths, rules, the SVG furniture as Form XObjects); no inline or
  raster images, shadings, Type 3 fonts or PostScript; and nothing is painted in white or near-white — the
  only way to hide text behind a box on white paper. A black box over text inside the existing
  stream is beyond these checks: reproduction or a signature catches it.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pikepdf

from pipeline.model import Document
from pipeline.typeset import textcheck

_REVISION_END = re.compile(rb"startxref\s+\d+\s+%%EOF(?:\r\n|\r|\n)?")


def revision_ends(pdf: bytes) -> list[int]:
    """The offset after each revision's ``%%EOF`` (one per save, plus one per update)."""
    return [match.end() for match in _REVISION_END.finditer(pdf)]


def first_revision(pdf: bytes) -> bytes:
    """The bytes of the file as its first save wrote them (all of it if that cannot be told)."""
    ends = revision_ends(pdf)
    return pdf[: ends[0]] if ends else pdf


_OBJECT = re.compile(rb"(?<![0-9])([0-9]+)\s+([0-9]+)\s+obj\b")


def signed_update(pdf: bytes, start: int) -> bool:
    """Whether the update from byte ``start`` defines a signature dictionary: an object with a
    ``/ByteRange`` array and a ``/Contents`` string (a comment that names them does not count)."""
    defined = {(int(n), int(g)) for n, g in _OBJECT.findall(pdf[start:])}
    if not defined:
        return False
    try:
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            for number, generation in defined:
                try:
                    obj = opened.get_object(number, generation)
                except (pikepdf.PdfError, ValueError):
                    continue
                if (
                    isinstance(obj, pikepdf.Dictionary)
                    and isinstance(obj.get("/ByteRange"), pikepdf.Array)
                    and isinstance(obj.get("/Contents"), pikepdf.String)
                ):
                    return True
    except pikepdf.PdfError:
        return False
    return False


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    where: str = ""


def check_revisions(pdf: bytes, *, signature_allowed: bool) -> Iterator[Problem]:
    ends = revision_ends(pdf)
    if len(ends) <= 1:
        return
    later = len(ends) - 1
    signed = signed_update(pdf, ends[0])
    if signature_allowed and later == 1 and signed:
        from pipeline.typeset import sigupdate

        # unfolio's own signature revision adds a signature field and nothing else; the
        # signature checks judge the signature itself
        for problem in sigupdate.problems(pdf, ends[0]):
            yield Problem("PDF-REVISIONS", problem)
        return
    what = "carrying a signature" if signed else "not a signature"
    yield Problem(
        "PDF-REVISIONS",
        f"{later} incremental update(s) after unfolio's revision ({what}; from byte "
        f"{ends[0]:,}): the PDF was changed after it was written",
    )


# -- links ----------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, list[str]]] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and dict(attrs).get("href"):
            self._open = []
            self.links.append((dict(attrs)["href"] or "", self._open))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)


def source_links(document: Document) -> list[tuple[str, str]]:
    """(target, text) of every link in the parts, in order."""
    reader = _Links()
    for part in document.parts:
        reader.feed(part.html)
    reader.close()
    return [(href, "".join(text)) for href, text in reader.links]


MAX_LINK_HEIGHT = 40.0  # points: a link rectangle covers one line of text (9–16 pt), with slack


def check_links(pdf: bytes, document: Document) -> Iterator[Problem]:
    import pypdfium2

    rtl = document.language in textcheck.RIGHT_TO_LEFT
    wanted: dict[str, list[str]] = {}
    for target, text in source_links(document):
        wanted.setdefault(target, []).append(text)
    drawn: Counter[str] = Counter()
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        annotations = []
        for number, page in enumerate(opened.pages, 1):
            annots = page.obj.get("/Annots")
            if annots is None:
                continue
            if not isinstance(annots, pikepdf.Array):
                yield Problem("PDF-LINKS", "/Annots is not an array", f"page {number}")
                continue
            for annot in annots:
                annotations.append((number, annot))
        reader = pypdfium2.PdfDocument(pdf) if annotations else None
        try:
            for number, annot in annotations:
                where = f"page {number}"
                yield from _link(annot, number, where, wanted, drawn, reader, rtl)
        finally:
            if reader is not None:
                reader.close()
    for target, texts in wanted.items():
        # a link broken over lines or pages is one rectangle per piece (two where a span of
        # another language's script splits the link's inline box): at most one per word, per
        # break a URL allows (its slashes and hyphens), and a long word may break every 20
        # characters or so
        words = sum(
            2 * (len(t.split()) + t.count("/") + t.count("-")) + len(t) // 20 + 1 for t in texts
        )
        if drawn[target] < len(texts):
            yield Problem(
                "PDF-LINKS",
                f"the source links {len(texts)} time(s) to {target[:80]!r}, the PDF "
                f"{drawn[target]} time(s)",
            )
        elif drawn[target] > words:
            yield Problem(
                "PDF-LINKS",
                f"{drawn[target]} link rectangles to {target[:80]!r}, more than the "
                f"{words} word(s) of its link text",
            )


def _link(annot, number, where, wanted, drawn, reader, rtl) -> Iterator[Problem]:
    subtype = annot.get("/Subtype")
    if subtype == pikepdf.Name.Widget and _signature_field(annot):
        return  # a signature widget: PDF-SIGNATURE-FORM judges it
    action = annot.get("/A")
    uri = action.get("/URI") if isinstance(action, pikepdf.Dictionary) else None
    if subtype != pikepdf.Name.Link or not isinstance(uri, pikepdf.String) or "/Dest" in annot:
        yield Problem("PDF-LINKS", f"an annotation unfolio does not draw ({subtype})", where)
        return
    target = bytes(uri).decode("latin-1")
    if target not in wanted:
        yield Problem("PDF-LINKS", f"a link to {target[:80]!r}, which the source lacks", where)
        return
    drawn[target] += 1
    extra = sorted(str(k) for k in annot if k not in _LINK_KEYS)
    border = annot.get("/BS")
    width = border.get("/W", 1) if isinstance(border, pikepdf.Dictionary) else 0
    if extra or "/Border" in annot or float(width) != 0:
        shown = ", ".join(extra) or f"a border {float(width):g} pt wide"
        yield Problem(
            "PDF-LINKS",
            f"the link to {target[:80]!r} carries {shown}: unfolio's links draw nothing "
            "(an appearance or border paints on the page)",
            where,
        )
    contents = annot.get("/Contents")
    if contents is not None and str(contents) != target:
        yield Problem(
            "PDF-LINKS",
            f"the link to {target[:80]!r} describes itself as {str(contents)[:60]!r} (/Contents:"
            " unfolio writes the target)",
            where,
        )
    try:
        left, bottom, right, top = sorted_rect(annot.get("/Rect"))
    except (TypeError, ValueError):
        yield Problem("PDF-LINKS", f"a link to {target[:80]!r} without a rectangle", where)
        return
    if top - bottom > MAX_LINK_HEIGHT or right <= left or top <= bottom:
        yield Problem(
            "PDF-LINKS",
            f"the link to {target[:80]!r} covers {right - left:.0f}×{top - bottom:.0f} pt, "
            "not a line of link text",
            where,
        )
        return
    page = reader[number - 1]
    textpage = page.get_textpage()
    try:
        inset = min(1.0, (top - bottom) / 4)
        under = textpage.get_text_bounded(left + inset, bottom + inset, right - inset, top - inset)
    finally:
        textpage.close()
        page.close()
    got = textcheck.normalise(under, right_to_left=rtl)
    texts = [textcheck.normalise(t, right_to_left=rtl) for t in wanted[target]]
    if not got or not any(_part_of(got, t, rtl) for t in texts):
        yield Problem(
            "PDF-LINKS",
            f"the link to {target[:80]!r} lies on {under.strip()[:60]!r}, not on its link text",
            where,
        )


#: What unfolio's link annotations hold (WeasyPrint's, with /StructParent and /Contents when
#: tagged): no /AP appearance, no /Border, /BS of width 0, so a link paints nothing.
_LINK_KEYS = frozenset(
    ("/Type", "/Subtype", "/Rect", "/A", "/BS", "/F", "/StructParent", "/Contents", "/P", "/NM")
)


def _signature_field(annot) -> bool:
    field = annot
    for _ in range(8):  # the field type may sit on the widget or a parent field
        if not isinstance(field, pikepdf.Dictionary):
            return False
        if field.get("/FT") == pikepdf.Name.Sig:
            return True
        field = field.get("/Parent")
    return False


def _part_of(got: str, text: str, rtl: bool) -> bool:
    return got in text or (rtl and not (Counter(got) - Counter(text)))


def sorted_rect(rect) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in rect)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


# -- painting ---------------------------------------------------------------------------------

#: Operators of the pages unfolio writes (WeasyPrint's text, rules, tables and SVG furniture).
#: Not ``Tr`` (a render mode: 3 draws text invisibly, 7 clips with it) nor ``Tz`` (horizontal
#: scaling: 1 % squeezes a page of text to a hair): WeasyPrint 70 never writes either on
#: unfolio's pages, and both hide text that extraction still finds (found by a red-team pass).
#: Nor the colour-space operators ``cs``/``CS``/``sc``/``scn``/``SC``/``SCN`` (unfolio sets
#: every colour with ``g``/``rg``/``k``; a page's ``/lab-d65`` space paints white with
#: ``100 0 0 sc``, which no lightness rule of device colours reads right) nor character
#: spacing ``Tc`` (glyphs stacked on one another): no page of any flavour, 0.1 or 0.2, holds
#: one. ``Ts`` (text rise) is written for superscripts only, at most :data:`MAX_RISE` of the
#: font size (WeasyPrint's are 0.12–0.28).
ALLOWED_OPERATORS = frozenset(
    # graphics state, marked content, paths and painting, colour, text, Form XObjects
    [
        "q",
        "Q",
        "cm",
        "w",
        "J",
        "j",
        "M",
        "d",
        "ri",
        "i",
        "gs",
        "BMC",
        "BDC",
        "EMC",
        "MP",
        "DP",
        "m",
        "l",
        "c",
        "v",
        "y",
        "h",
        "re",
        "S",
        "s",
        "f",
        "F",
        "f*",
        "B",
        "B*",
        "b",
        "b*",
        "n",
        "W",
        "W*",
        "G",
        "g",
        "RG",
        "rg",
        "K",
        "k",
        "BT",
        "ET",
        "Tw",
        "TL",
        "Tf",
        "Ts",
        "Td",
        "TD",
        "Tm",
        "T*",
        "Tj",
        "TJ",
        "'",
        '"',
        "d0",
        "d1",
        "Do",
    ]
)
_COLOUR = {"g": 1, "G": 1, "rg": 3, "RG": 3, "k": 4, "K": 4}
_FILLS = frozenset({"f", "F", "f*", "B", "B*", "b", "b*"})
_STROKES = frozenset({"S", "s", "B", "B*", "b", "b*"})
_TEXT_SHOW = frozenset({"Tj", "TJ", "'", '"'})
NEAR_WHITE = 0.9  # a grey this light is invisible on paper
MAX_RISE = 0.5  # text rise (Ts) as a share of the font size: a superscript's, no more
PAINTS_WHITE, STROKES_WHITE = "paints in white", "strokes in white"


def _lightness(op: str, values: list[float]) -> float:
    if op in ("g", "G"):
        return values[0]
    if op in ("rg", "RG"):
        return min(values)
    return 1 - min(1.0, max(values))  # CMYK: light when no ink at all


def _stream(owner, resources, where: str, seen: set, depth: int = 0) -> Iterator[Problem]:
    fill = stroke = 0.0
    stack: list[tuple[float, float]] = []
    try:
        instructions = pikepdf.parse_content_stream(owner)
    except pikepdf.PdfError as exc:
        yield Problem("PDF-DRAWING", f"content stream does not parse: {exc}", where)
        return
    size = 0.0
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            yield Problem("PDF-DRAWING", "an inline image (unfolio draws none)", where)
            continue
        operands, operator = instruction
        op = str(operator)
        if op not in ALLOWED_OPERATORS:
            yield Problem("PDF-DRAWING", f"operator {op!r}, which unfolio's pages never use", where)
            continue
        if op == "Tf" and len(operands) == 2:
            size = abs(float(operands[1]))
        elif op == "Ts" and operands and abs(float(operands[0])) > MAX_RISE * size:
            yield Problem(
                "PDF-DRAWING",
                f"text rise {float(operands[0]):g} on {size:g}-unit text (unfolio raises a"
                f" superscript by at most {MAX_RISE:g} of the size): it moves text off its line",
                where,
            )
        if op == "q":
            stack.append((fill, stroke))
        elif op == "Q" and stack:
            fill, stroke = stack.pop()
        elif op in _COLOUR and len(operands) == _COLOUR[op]:
            value = _lightness(op, [float(v) for v in operands])
            fill, stroke = (value, stroke) if op.islower() else (fill, value)
        elif op in ("sc", "scn", "SC", "SCN"):
            numbers = [float(v) for v in operands if isinstance(v, int | float | pikepdf.Object)
                       and not isinstance(v, pikepdf.Name)]  # fmt: skip
            value = min(numbers) if len(numbers) == 3 else (numbers[0] if numbers else 0.0)
            fill, stroke = (value, stroke) if op.islower() else (fill, value)
        if (op in _FILLS or op in _TEXT_SHOW) and fill >= NEAR_WHITE:
            yield Problem("PDF-DRAWING", f"{PAINTS_WHITE} ({op}), which would hide text", where)
        elif op in _STROKES and stroke >= NEAR_WHITE:
            yield Problem("PDF-DRAWING", f"{STROKES_WHITE} ({op}), which would hide text", where)
        elif op == "Do" and operands:
            yield from _xobject(resources, operands[0], where, seen, depth)


def _xobject(resources, name, where: str, seen: set, depth: int) -> Iterator[Problem]:
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    xobject = xobjects.get(name) if isinstance(xobjects, pikepdf.Dictionary) else None
    if not isinstance(xobject, pikepdf.Stream):
        yield Problem("PDF-DRAWING", f"draws {name}, which is not a Form XObject", where)
        return
    if xobject.get("/Subtype") != pikepdf.Name.Form:
        yield Problem(
            "PDF-DRAWING", f"draws {xobject.get('/Subtype')} {name} (unfolio: none)", where
        )
        return
    if xobject.objgen in seen or depth > 8:
        return
    seen.add(xobject.objgen)
    own = xobject.get("/Resources")
    inner = own if isinstance(own, pikepdf.Dictionary) else resources
    yield from _content(xobject, inner, f"{where} {name}", seen, depth + 1)


_HEX_STRING = re.compile(rb"<[0-9A-Fa-f\s]*>")
#: a marked-content property list (``/P <</MCID 3>> BDC``): names, numbers and constants only
_PLAIN_DICT = re.compile(rb"<<(?:\s|/[^\s/\[\]<>(){}%]*|[-+0-9.]+|true|false|null)*>>")
_SKIPPED = re.compile(rb"/[^\s/\[\]<>(){}%]*|%[^\r\n]*")  # names and comments
_ALL_SKIPPED = re.compile(rb"<[0-9A-Fa-f\s]*>|/[^\s/\[\]<>(){}%]*|%[^\r\n]*")
_COLOUR_OP = re.compile(rb"(?<![^\s\]])(rg|RG|g|G|k|K|sc|SC|scn|SCN)(?![^\s\[])")
_OPERANDS = frozenset({b"true", b"false", b"null"})
_OPERATOR_START = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'\"")


def _quick(data: bytes) -> tuple[set[str], bool] | None:
    """(operators, whether any near-white colour is set), read with byte-level splitting, or
    None when the stream holds a literal string or a dictionary the quick read cannot skip
    safely (then the exact parse decides). WeasyPrint writes hex strings only."""
    if b"<<" in data:  # property lists may hold hex strings: strings first, then the lists
        bare = _SKIPPED.sub(b" ", _PLAIN_DICT.sub(b" ", _HEX_STRING.sub(b" ", data)))
    else:
        bare = _ALL_SKIPPED.sub(b" ", data)
    if b"(" in bare or b"<" in bare or b"{" in bare:
        return None
    tokens = set(bare.replace(b"[", b" ").replace(b"]", b" ").split())
    operators = {t.decode("latin-1") for t in tokens if t[0] in _OPERATOR_START} - {
        t.decode() for t in _OPERANDS
    }
    white = False
    for match in _COLOUR_OP.finditer(bare):
        op = match.group(1).decode()
        before = bare[max(0, match.start() - 64) : match.start()].split()
        values = []
        for token in reversed(before):
            try:
                values.insert(0, float(token))
            except ValueError:
                break
        want = _COLOUR.get(op)
        values = values[-(want or min(len(values), 4)) :] if values else []
        if not values or (want is not None and len(values) != want):
            continue
        if want is None:  # sc/scn in a device space: 1, 3 or 4 components
            kind = {1: "g", 3: "rg", 4: "k"}.get(len(values), "g")
            value = _lightness(kind, values if kind != "g" else values[:1])
        else:
            value = _lightness(op, values)
        white = white or value >= NEAR_WHITE
    return operators, white


_HIDING_STATE = ("/SMask", "/BM", "/ca", "/CA", "/TR", "/TR2")


def _resources(resources, where: str) -> Iterator[Problem]:
    """Resources unfolio's pages never hold, through which a box or a fade could be drawn."""
    if not isinstance(resources, pikepdf.Dictionary):
        return
    for key in ("/Pattern", "/Shading"):
        if key in resources and len(resources[key]):
            yield Problem("PDF-DRAWING", f"{key[1:]} resources (unfolio draws none)", where)
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for name, font in fonts.items():
            if isinstance(font, pikepdf.Dictionary) and font.get("/Subtype") == pikepdf.Name.Type3:
                yield Problem(
                    "PDF-DRAWING",
                    f"Type 3 font {name}, whose glyphs are drawings (a box drawn as text; "
                    "unfolio embeds none)",
                    where,
                )
    states = resources.get("/ExtGState")
    if not isinstance(states, pikepdf.Dictionary):
        return
    for name, state in states.items():
        if not isinstance(state, pikepdf.Dictionary):
            continue
        for key in _HIDING_STATE:
            value = state.get(key)
            if value is None:
                continue
            plain = (
                (key in ("/ca", "/CA") and float(value) == 1)
                or (key == "/BM" and value in (pikepdf.Name.Normal, pikepdf.Name.Compatible))
                or (key == "/SMask" and value == pikepdf.Name("/None"))
            )
            if not plain:
                yield Problem("PDF-DRAWING", f"graphics state {name} sets {key} {value}", where)


def _content(owner, resources, where: str, seen: set, depth: int = 0) -> Iterator[Problem]:
    """One content stream (a page's or a form's): the quick read, or the exact parse."""
    yield from _resources(resources, where)
    data = (
        owner.read_bytes()
        if isinstance(owner, pikepdf.Stream)
        else b"".join(s.read_bytes() for s in _page_streams(owner))
    )
    quick = _quick(data)
    if quick is None or quick[1] or "Ts" in quick[0]:  # literal strings, white, a rise: exactly
        yield from _stream(owner, resources, where, seen, depth)
        return
    for op in sorted(quick[0] - ALLOWED_OPERATORS):
        yield Problem("PDF-DRAWING", f"operator {op!r}, which unfolio's pages never use", where)
    if "Do" in quick[0]:
        yield from _forms(resources, where, seen, depth)


def _page_streams(page) -> list[pikepdf.Stream]:
    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Stream):
        return [contents]
    if isinstance(contents, pikepdf.Array):
        return [c for c in contents if isinstance(c, pikepdf.Stream)]
    return []


def _forms(resources, where: str, seen: set, depth: int) -> Iterator[Problem]:
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return
    for name in xobjects:
        yield from _xobject(resources, pikepdf.Name(name), where, seen, depth)


def check_drawing(pdf: bytes, *, white_allowed: bool = False) -> Iterator[Problem]:
    """Every painting problem. ``white_allowed`` accepts white paint (unfolio 0.1 drew the
    barcode on a white box): :func:`pipeline.typeset.visibility.check_visible` with
    ``white_hides`` then judges whether any of it lies on text."""
    for problem in _check_drawing(pdf):
        if not (white_allowed and problem.message.startswith((PAINTS_WHITE, STROKES_WHITE))):
            yield problem


def _check_drawing(pdf: bytes) -> Iterator[Problem]:
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        seen: set = set()
        for number, page in enumerate(opened.pages, 1):
            where = f"page {number}"
            contents = page.obj.get("/Contents")
            if isinstance(contents, pikepdf.Array):
                yield Problem(
                    "PDF-DRAWING",
                    f"{len(contents)} content streams; unfolio writes one per page",
                    where,
                )
            elif not isinstance(contents, pikepdf.Stream):
                yield Problem("PDF-DRAWING", "no content stream", where)
                continue
            yield from _content(page, page.resources, where, seen)

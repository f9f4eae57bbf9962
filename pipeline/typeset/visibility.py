"""Every glyph drawn is visible: nothing painted over it, no clip cutting it off, not invisible.

Text extraction reads a glyph whether or not anyone can see it, so the text checks pass a page
whose paragraph was blacked out, clipped away or drawn invisibly. These checks read the
geometry (pdfium's page objects, so no font needs to be interpreted here) and need nothing
but the file — they hold on any machine, where reproduction needs the build's environment.

What unfolio's pages draw besides text, measured on every fixture in every flavour: rules
(the running head's bottom border, the footnote separator, table borders — filled frames a
point or less thick, some as an outer minus an inner rectangle filled even-odd), the barcode's
bars, the QR code's modules and the emblem, none of which lies on a glyph. Its text is never
clipped, always filled (render mode 0), and never smaller than a few points. So, for every
letter or digit drawn (``PDF-TEXT-HIDDEN``):

- no filled path covers it (its centre, or two of four inner points of its box), nor a stroke
  as wide as it — the path's own fill rule, transformation and clip taken into account —
  if painted after it (over it), or before it (under it) in a colour within
  :data:`MIN_CONTRAST` of the glyph's: black on black hides as well as a box on top, a grey
  background a styles overlay may give a table head does not;
- the clip in force when it is drawn contains it;
- its text object's render mode is 0 (fill), and its box is at least :data:`MIN_GLYPH` points
  tall and :data:`MIN_GLYPH_WIDTH` wide (a glyph scaled to nothing by ``Tm`` or ``cm``).

And every page box (``CropBox``, ``TrimBox``, ``BleedBox``, ``ArtBox``) a page has equals its
``MediaBox`` (``PDF-TEXT-OFFPAGE``): a smaller crop box hides what lies outside it.
"""

from __future__ import annotations

import ctypes
import io
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium

from pipeline.typeset.drawing import NEAR_WHITE, Problem

MIN_GLYPH = 3.0
"""Points: the loose box of the smallest glyph unfolio draws (a footnote call, measured on
every fixture) is 6.6 pt tall; a glyph under 3 pt is text meant not to be read."""
MIN_GLYPH_WIDTH = 0.5
"""Points: the narrowest letter unfolio draws (an "i", measured likewise) is 2.2 pt wide."""
MIN_CONTRAST = 0.3
"""Luminance (0–1) a glyph must differ by from paint under it to be read: grey 0.5 under
black text leaves it legible, black under black hides it. Paint over a glyph always hides."""
ROW = 24.0  # points: glyphs are bucketed by rows this tall, so a path meets only its rows
SHOWN = 3  # glyphs named per problem

Point = tuple[float, float]
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Glyph:
    char: str
    box: tuple[float, float, float, float]  # left, bottom, right, top (page space)
    order: int = 1 << 30  # when its text object is painted (page order); unknown: last
    luminance: float = 0.0  # of its fill colour, 0 black … 1 white

    def points(self) -> list[Point]:
        """The centre, then four inner points of the box."""
        left, bottom, right, top = self.box
        w, h = right - left, top - bottom
        return [
            (left + w / 2, bottom + h / 2),
            *((left + w * fx, bottom + h * fy) for fx in (0.25, 0.75) for fy in (0.3, 0.7)),
        ]


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E,
            e * B + f * D + F)  # fmt: skip


def _apply(m: Matrix, x: float, y: float) -> Point:
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


def _matrix(obj) -> Matrix:
    m = obj.get_matrix()
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _segments(count, get) -> list[list[Point]]:
    """Subpaths as polylines (Béziers flattened) from pdfium's path segments."""
    subpaths: list[list[Point]] = []
    pending: list[Point] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for index in range(count):
        segment = get(index)
        if not segment or not pdfium.FPDFPathSegment_GetPoint(segment, x, y):
            continue
        point = (x.value, y.value)
        kind = pdfium.FPDFPathSegment_GetType(segment)
        if kind == pdfium.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([point])
            pending = []
        elif kind == pdfium.FPDF_SEGMENT_BEZIERTO:
            pending.append(point)
            if len(pending) == 3:
                start, (c1, c2, end) = subpaths[-1][-1], pending
                for step in range(1, 9):
                    t = step / 8
                    u = 1 - t
                    subpaths[-1].append(
                        tuple(  # type: ignore[arg-type]
                            u**3 * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t**3 * p3
                            for p0, p1, p2, p3 in zip(start, c1, c2, end, strict=True)
                        )
                    )
                pending = []
        else:
            subpaths[-1].append(point)
    return subpaths


def _winding(subpaths: list[list[Point]], x: float, y: float) -> tuple[int, int]:
    """(crossings, winding number) of a ray from (x, y) to the right, every subpath closed."""
    crossings = winding = 0
    for poly in subpaths:
        for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
            if (y1 <= y) != (y2 <= y):
                at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                if at > x:
                    crossings += 1
                    winding += 1 if y2 > y1 else -1
    return crossings, winding


def _inside(subpaths: list[list[Point]], x: float, y: float, even_odd: bool) -> bool:
    crossings, winding = _winding(subpaths, x, y)
    return crossings % 2 == 1 if even_odd else winding != 0


def _near(subpaths: list[list[Point]], x: float, y: float, reach: float) -> bool:
    """Whether (x, y) lies within ``reach`` of the path's lines (a stroke of width 2·reach)."""
    for poly in subpaths:
        for (x1, y1), (x2, y2) in itertools.pairwise(poly):
            dx, dy = x2 - x1, y2 - y1
            length = dx * dx + dy * dy
            t = 0.0 if not length else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length))
            px, py = x1 + t * dx - x, y1 + t * dy - y
            if px * px + py * py <= reach * reach:
                return True
    return False


def _clip(obj) -> list[list[list[Point]]] | None:
    """The clip paths in force for a page object (page space), or None when it is unclipped."""
    clip = pdfium.FPDFPageObj_GetClipPath(obj.raw)
    if not clip:
        return None
    paths = []
    for index in range(pdfium.FPDFClipPath_CountPaths(clip)):
        count = pdfium.FPDFClipPath_CountPathSegments(clip, index)
        if count < 0:
            continue
        paths.append(
            _segments(count, lambda j, i=index: pdfium.FPDFClipPath_GetPathSegment(clip, i, j))
        )
    return paths or None


def _clipped_out(clips: list[list[list[Point]]] | None, x: float, y: float) -> bool:
    return clips is not None and any(not _inside(path, x, y, False) for path in clips)


def _colour(getter, obj) -> tuple[float, float]:
    """(lightness as PDF-DRAWING measures it, luminance), each 0–1, of a fill or stroke
    colour as pdfium reports it (RGB, whatever the colour space)."""
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not getter(obj.raw, r, g, b, a):
        return 0.0, 0.0
    luminance = (0.299 * r.value + 0.587 * g.value + 0.114 * b.value) / 255
    return min(r.value, g.value, b.value) / 255, luminance


def _address(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _glyphs(
    textpage, count: int, texts: dict[int, tuple[int, float]]
) -> Iterator[tuple[int, Glyph, object, int]]:
    left, bottom, right, top = (ctypes.c_double() for _ in range(4))
    for index in range(count):
        code = pdfium.FPDFText_GetUnicode(textpage, index)
        char = chr(code) if 0 < code < 0x110000 else ""
        if not char.isalnum() or pdfium.FPDFText_IsGenerated(textpage, index) == 1:
            continue
        if not pdfium.FPDFText_GetCharBox(textpage, index, left, right, bottom, top):
            continue
        box = (left.value, bottom.value, right.value, top.value)
        textobj = pdfium.FPDFText_GetTextObject(textpage, index)
        address = _address(textobj) if textobj else 0
        order, luminance = texts.get(address, (1 << 30, 0.0))
        yield index, Glyph(char, box, order, luminance), textobj, address


def _loose(textpage, index: int) -> tuple[float, float]:
    rect = pdfium.FS_RECTF()
    if not pdfium.FPDFText_GetLooseCharBox(textpage, index, rect):
        return MIN_GLYPH, MIN_GLYPH_WIDTH
    return abs(rect.right - rect.left), abs(rect.top - rect.bottom)


def _shown(glyphs: list[Glyph]) -> str:
    text = "".join(g.char for g in glyphs[:40])
    left, bottom, _, _ = glyphs[0].box
    return f"{text!r} at ({left:.0f}, {bottom:.0f})"


def _page_glyph_problems(
    textpage, where: str, texts: dict[int, tuple[int, float]]
) -> tuple[list[Glyph], list[Problem]]:
    """The page's letters and digits, and those drawn invisibly, tiny or clipped away."""
    glyphs: list[Glyph] = []
    hidden: dict[str, list[Glyph]] = defaultdict(list)
    modes: dict[int, tuple[int, object]] = {}
    for index, glyph, textobj, key in _glyphs(
        textpage, pdfium.FPDFText_CountChars(textpage), texts
    ):
        glyphs.append(glyph)
        width, height = _loose(textpage, index)
        if height < MIN_GLYPH or width < MIN_GLYPH_WIDTH:
            hidden["drawn too small to be read (under 3 pt tall or 0.5 pt wide)"].append(glyph)
            continue
        if not textobj:
            continue
        if key not in modes:
            holder = _Raw(textobj)
            modes[key] = (pdfium.FPDFTextObj_GetTextRenderMode(textobj), _clip(holder))
        mode, clips = modes[key]
        if mode != pdfium.FPDF_TEXTRENDERMODE_FILL:
            hidden[f"drawn in text render mode {mode} (unfolio fills its text: mode 0)"].append(
                glyph
            )
        elif clips is not None and _clipped_out(clips, *glyph.points()[0]):  # centre cut off
            hidden["outside the clip in force where it is drawn"].append(glyph)
    problems = [
        Problem(
            "PDF-TEXT-HIDDEN", f"{len(found)} letter(s) or digit(s) {why}: {_shown(found)}", where
        )
        for why, found in hidden.items()
    ]
    return glyphs, problems


@dataclass
class _Raw:
    """A bare pdfium handle where a helper wants an object with ``.raw``."""

    raw: object


@dataclass
class _Objects:
    """A page's painting, in order: its paths (with their page-space matrices) and, for each
    text object, when it is painted and the luminance of its fill."""

    paths: list[tuple[object, Matrix, int, int]]  # object, matrix, nesting level, order
    texts: dict[int, tuple[int, float]]


def _objects(page) -> _Objects:
    chain: list[Matrix] = [IDENTITY]
    found = _Objects([], {})
    for order, obj in enumerate(page.get_objects(max_depth=8)):
        del chain[obj.level + 1 :]
        if obj.type == pdfium.FPDF_PAGEOBJ_FORM:
            chain.append(_multiply(_matrix(obj), chain[obj.level]))
        elif obj.type == pdfium.FPDF_PAGEOBJ_PATH:
            found.paths.append((obj, _multiply(_matrix(obj), chain[obj.level]), obj.level, order))
        elif obj.type == pdfium.FPDF_PAGEOBJ_TEXT:
            luminance = _colour(pdfium.FPDFPageObj_GetFillColor, obj)[1]
            found.texts[_address(obj.raw)] = (order, luminance)
    return found


def _hides(order: int, luminance: float, glyph: Glyph) -> bool:
    """Paint over a glyph hides it; paint under it only in a colour it cannot be told from."""
    return order > glyph.order or abs(luminance - glyph.luminance) < MIN_CONTRAST


def _covered(
    objects: _Objects, glyphs: list[Glyph], where: str, white_hides: bool
) -> Iterator[Problem]:
    rows: dict[int, list[Glyph]] = defaultdict(list)
    for glyph in glyphs:
        rows[int((glyph.box[1] + glyph.box[3]) / 2 // ROW)].append(glyph)
    if not rows:
        return
    covered: list[Glyph] = []
    seen: set[int] = set()
    mode, stroke = ctypes.c_int(), ctypes.c_int()
    for obj, matrix, level, order in objects.paths:
        if not pdfium.FPDFPath_GetDrawMode(obj.raw, mode, stroke):
            continue
        fills = mode.value != pdfium.FPDF_FILLMODE_NONE
        strokes = bool(stroke.value)
        light = 2.0 if white_hides else NEAR_WHITE  # white paint: PDF-DRAWING reports it
        fill_light, fill_luminance = _colour(pdfium.FPDFPageObj_GetFillColor, obj)
        stroke_light, stroke_luminance = _colour(pdfium.FPDFPageObj_GetStrokeColor, obj)
        if fills and fill_light >= light:
            fills = False
        if strokes and stroke_light >= light:
            strokes = False
        if not (fills or strokes):
            continue
        own = _segments(
            pdfium.FPDFPath_CountSegments(obj.raw),
            lambda i, o=obj: pdfium.FPDFPath_GetPathSegment(o.raw, i),
        )
        subpaths = [[_apply(matrix, x, y) for x, y in poly] for poly in own]
        points = [p for poly in subpaths for p in poly]
        if not points:
            continue
        reach = 0.0
        if strokes:
            width = ctypes.c_float()
            pdfium.FPDFPageObj_GetStrokeWidth(obj.raw, width)
            a, b, c, d, _, _ = matrix
            reach = width.value * abs(a * d - b * c) ** 0.5 / 2
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        left, right = min(xs) - reach, max(xs) + reach
        bottom, top = min(ys) - reach, max(ys) + reach
        clips = _clip(obj) if level == 0 else None  # a form's clips are in its own space
        even_odd = mode.value == pdfium.FPDF_FILLMODE_ALTERNATE
        for row in range(int(bottom // ROW) - 1, int(top // ROW) + 2):
            for glyph in rows.get(row, ()):
                gl, gb, gr, gt = glyph.box
                if id(glyph) in seen or gr < left or gl > right or gt < bottom or gb > top:
                    continue
                hits = 0
                for n, (x, y) in enumerate(glyph.points()):
                    if _clipped_out(clips, x, y):
                        continue
                    if (
                        fills
                        and _hides(order, fill_luminance, glyph)
                        and _inside(subpaths, x, y, even_odd)
                    ) or (
                        strokes
                        and _hides(order, stroke_luminance, glyph)
                        and _near(subpaths, x, y, reach)
                    ):
                        hits += 2 if n == 0 else 1
                    if hits >= 2:
                        break
                if hits >= 2:
                    seen.add(id(glyph))
                    covered.append(glyph)
    if covered:
        yield Problem(
            "PDF-TEXT-HIDDEN",
            f"{len(covered)} letter(s) or digit(s) lie under a painted area (painted over them, "
            f"or under them in their own colour), which hides them: {_shown(covered)}",
            where,
        )


_BOXES = ("/CropBox", "/TrimBox", "/BleedBox", "/ArtBox")


def _boxes(pdf: bytes) -> Iterator[Problem]:
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        for number, page in enumerate(opened.pages, 1):
            media = [float(v) for v in page.mediabox]
            for key in _BOXES:
                box = page.obj.get(key)
                if box is None:
                    continue
                try:
                    values = [float(v) for v in box]
                except (TypeError, ValueError):
                    values = []
                if len(values) != 4 or any(
                    abs(a - b) > 0.01 for a, b in zip(values, media, strict=True)
                ):
                    yield Problem(
                        "PDF-TEXT-OFFPAGE",
                        f"its {key[1:]} {values} is not its MediaBox {media}: what lies "
                        "outside it is not shown or printed (unfolio writes no smaller box)",
                        f"page {number}",
                    )


def check_visible(pdf: bytes, *, white_hides: bool = False) -> Iterator[Problem]:
    """Every problem of hidden text and page boxes (see the module docstring). White paint
    is left to ``PDF-DRAWING``, which refuses it, unless ``white_hides`` (for PDFs of unfolio
    0.1, which drew the barcode on a white box): then white on a glyph hides it too."""
    yield from _boxes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number in range(len(document)):
            page = document[number]
            textpage = page.get_textpage()
            try:
                where = f"page {number + 1}"
                objects = _objects(page)
                glyphs, problems = _page_glyph_problems(textpage.raw, where, objects.texts)
                yield from problems
                yield from _covered(objects, glyphs, where, white_hides)
            finally:
                textpage.close()
                page.close()
    finally:
        document.close()

"""Glyph and font checks of a tagged PDF (``PDF-TAGS-GLYPH-…``): what veraPDF's PDF/UA-1 and
PDF/A-2 profiles ask of every glyph drawn (ISO 14289-1 7.21, Matterhorn checkpoint 31).

The text each font shows is collected by :mod:`.tagcheck`'s one pass over the content streams
(:class:`Drawn`), so no page is parsed twice; each font is read once, and only the codes drawn
with it are judged:

``PDF-TAGS-GLYPH-UNICODE`` every code drawn has a ``/ToUnicode`` mapping (UA 7.21.7-1;
                           Matterhorn 31-027), to no U+0000, U+FEFF or U+FFFE (UA 7.21.7-2;
                           Matterhorn 31-028, 31-029), nor to U+FFFD or a private-use character
                           unless its element has ``/ActualText`` (ISO 32000-1 14.9.4, PDF/A-2
                           6.2.11.7.2: the text must be recoverable).
``PDF-TAGS-GLYPH-WIDTH``   the width of each glyph drawn in the font dictionary (``/W`` and
                           ``/DW`` of a CIDFont) equals the embedded program's advance, in
                           thousandths of an em, to within 1 (UA 7.21.5-1, PDF/A-2 6.2.11.5-1;
                           Matterhorn 31-011).
``PDF-TAGS-GLYPH-PROGRAM`` a ``CIDFontType2`` has ``/CIDToGIDMap`` (PDF/A-2 6.2.11.3.2-1;
                           Matterhorn 31-004); a ``/CIDSet``, when there is one, lists exactly
                           the CIDs of the program (PDF/A-2 6.2.11.4.2-2; Matterhorn 31-009,
                           31-010); every glyph drawn is in the program (Matterhorn 31-006) and
                           is not ``.notdef`` (UA 7.21.8-1; Matterhorn 31-030).

Font programs: TrueType (``/FontFile2``, read from its ``head``, ``hhea``, ``maxp`` and
``hmtx`` tables directly) and CFF (``/FontFile3`` ``/CIDFontType0C``, through fontTools'
``cffLib``; the width is read from the numbers before the first operator, without running the
charstring). An encoding other than ``Identity-H``/``-V`` is not decoded, and a simple font's
(one byte a code) Unicode is judged but not its widths: unfolio writes neither (WeasyPrint
writes every font as ``Type0``); the first is reported, not guessed.
"""

from __future__ import annotations

import array
import io
import re
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf

CODES = ("PDF-TAGS-GLYPH-UNICODE", "PDF-TAGS-GLYPH-WIDTH", "PDF-TAGS-GLYPH-PROGRAM")
Issue = tuple[str, str, str]
_SHOWN = 3
_TOLERANCE = 1.0  # thousandths of an em
_BAD_UNICODE = frozenset({"\x00", "\ufeff", "\ufffe"})


def _unrecoverable(text: str) -> bool:
    return any(ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff" or ord(ch) >= 0xF0000 for ch in text)


_STRING = re.compile(rb"<([0-9A-Fa-f\s]*)>|\(((?:\\.|[^\\()])*)\)", re.S)
_ESCAPE = re.compile(rb"\\([nrtbf()\\]|[0-7]{1,3})")
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(body: bytes) -> bytes:
    if b"\\" not in body:
        return body

    def one(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _ESCAPED.get(code, code)

    return _ESCAPE.sub(one, body)


_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_NON_EMPTY_LITERAL = re.compile(rb"\((?!\))")


def _strings(unparsed: bytes) -> bytes:
    """The bytes of every string in an operand as qpdf writes it (``<hex>`` or ``(literal)``,
    a ``TJ`` array's numbers left out): one C++ call per operand instead of an object per
    string. The order of the strings is kept only where a literal one holds bytes."""
    if not _NON_EMPTY_LITERAL.search(unparsed):  # hex strings and empty "()" only
        try:
            return bytes.fromhex(b"".join(_HEX.findall(unparsed)).decode())
        except ValueError:
            pass  # an odd number of digits: string by string
    parts = []
    for match in _STRING.finditer(unparsed):
        hex_digits, literal = match.group(1), match.group(2)
        if hex_digits is not None:
            digits = re.sub(rb"\s", b"", hex_digits)
            parts.append(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
        elif literal:
            parts.append(_literal(literal))
    return b"".join(parts)


@dataclass
class Drawn:
    """The strings each font showed, gathered while :mod:`.tagcheck` reads the content."""

    # (page index, font resource name) -> [(the operator's string bytes, MCID or None)]
    shown: dict[tuple[int, str], list[tuple[bytes, int | None]]] = field(default_factory=dict)

    def show(self, page: int, font: str | None, operands: list, mcid: int | None) -> None:
        if font is None:
            return
        data = b"".join(
            _strings(o.unparse(resolved=True))
            for o in operands
            if isinstance(o, pikepdf.String | pikepdf.Array)
        )
        if data:
            self.shown.setdefault((page, font), []).append((data, mcid))


# -- reading a font -------------------------------------------------------------------------

_TOKEN = re.compile(rb"<([0-9A-Fa-f\s]*)>|(\[)|(\])")
_BLOCK = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)


def _hex(token: bytes) -> bytes:
    return bytes.fromhex(re.sub(rb"\s", b"", token).decode())


def _utf16(data: bytes) -> str:
    return data.decode("utf-16-be", errors="replace")


def to_unicode(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's mappings: code → text (``bfchar`` and ``bfrange``)."""
    mapping: dict[int, str] = {}
    for kind, body in _BLOCK.findall(cmap):
        tokens = _TOKEN.findall(body)
        i = 0
        while i < len(tokens):
            if kind == b"bfchar":
                if i + 1 >= len(tokens):
                    break
                mapping[int.from_bytes(_hex(tokens[i][0]), "big")] = _utf16(_hex(tokens[i + 1][0]))
                i += 2
                continue
            if i + 2 >= len(tokens):
                break
            low = int.from_bytes(_hex(tokens[i][0]), "big")
            high = int.from_bytes(_hex(tokens[i + 1][0]), "big")
            i += 2
            if tokens[i][1]:  # [ <dst> … ]
                i += 1
                code = low
                while i < len(tokens) and not tokens[i][2]:
                    if code <= high:
                        mapping[code] = _utf16(_hex(tokens[i][0]))
                    code += 1
                    i += 1
                i += 1
            else:
                first = _hex(tokens[i][0])
                start = int.from_bytes(first, "big")
                for offset in range(min(high - low, 0xFFFF) + 1):
                    value = (start + offset).to_bytes(len(first) or 2, "big")
                    mapping[low + offset] = _utf16(value)
                i += 1
    return mapping


@dataclass
class _Program:
    """An embedded font program: glyph count, advances in thousandths of an em by glyph id,
    and (a CID-keyed CFF) the glyph id of each CID."""

    glyphs: int
    advance: object  # callable: glyph id -> float | None
    gid_of_cid: dict[int, int] | None = None


def _sfnt_tables(data: bytes) -> dict[bytes, bytes]:
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = data[offset : offset + length]
    return tables


def _truetype(data: bytes) -> _Program:
    tables = _sfnt_tables(data)
    units = struct.unpack_from(">H", tables[b"head"], 18)[0] or 1000
    metrics = struct.unpack_from(">H", tables[b"hhea"], 34)[0]
    glyphs = struct.unpack_from(">H", tables[b"maxp"], 4)[0]
    hmtx = tables[b"hmtx"]

    def advance(gid: int) -> float | None:
        index = min(gid, metrics - 1)
        if index < 0 or 4 * index + 2 > len(hmtx):
            return None
        return struct.unpack_from(">H", hmtx, 4 * index)[0] * 1000 / units

    return _Program(glyphs, advance)


def _cff(data: bytes) -> _Program:
    from fontTools.cffLib import CFFFontSet
    from fontTools.pens.basePen import NullPen

    fonts = CFFFontSet()
    fonts.decompile(io.BytesIO(data), None)
    top = fonts[fonts.fontNames[0]]
    order = list(top.charset)
    scale = float(getattr(top, "FontMatrix", [0.001])[0]) * 1000
    gid_of_cid = None
    if hasattr(top, "ROS"):  # CID-keyed: fontTools names glyph n "cid%05d" by its CID
        gid_of_cid = {
            (0 if name == ".notdef" else int(name[3:])): gid
            for gid, name in enumerate(order)
            if name == ".notdef" or name.startswith("cid")
        }

    def advance(gid: int) -> float | None:
        if not 0 <= gid < len(order):
            return None
        charstring = top.CharStrings[order[gid]]
        private = charstring.private
        width = _t2_width(charstring.bytecode, private.nominalWidthX, private.defaultWidthX)
        if width is None:  # a subroutine before the first operator: run it all
            charstring.draw(NullPen())
            width = charstring.width
        return float(width) * scale

    return _Program(len(order), advance, gid_of_cid)


#: Type 2 operators that may come first (they clear the stack), and how many arguments they
#: take without the width: "even" for the hints and masks (Adobe TN 5177, 4.1).
_FIRST_OPERATORS = {1: "even", 3: "even", 18: "even", 23: "even", 19: "even", 20: "even",
                    21: (2,), 22: (1,), 4: (1,), 14: (0, 4)}  # fmt: skip


def _t2_width(code: bytes | None, nominal: float, default: float) -> float | None:
    """A Type 2 charstring's advance from the numbers before its first operator (the width,
    when there is one more than the operator takes), without running the charstring; None
    when a subroutine call comes first."""
    if code is None:
        return None
    numbers: list[float] = []
    i = 0
    while i < len(code):
        b0 = code[i]
        if 32 <= b0 <= 246:
            numbers.append(b0 - 139)
            i += 1
        elif 247 <= b0 <= 250:
            numbers.append((b0 - 247) * 256 + code[i + 1] + 108)
            i += 2
        elif 251 <= b0 <= 254:
            numbers.append(-(b0 - 251) * 256 - code[i + 1] - 108)
            i += 2
        elif b0 == 28:
            numbers.append(struct.unpack_from(">h", code, i + 1)[0])
            i += 3
        elif b0 == 255:
            numbers.append(struct.unpack_from(">i", code, i + 1)[0] / 65536)
            i += 5
        else:
            takes = _FIRST_OPERATORS.get(b0)
            if takes is None:
                return None
            extra = len(numbers) % 2 == 1 if takes == "even" else len(numbers) not in takes
            return nominal + numbers[0] if extra and numbers else default
    return default


@dataclass
class _Font:
    name: str
    two_byte: bool
    unicode: dict[int, str]
    program: _Program | None
    width: object  # callable: code -> float
    gid: object  # callable: code -> int | None
    problems: list[str]


def _widths_cid(cidfont: pikepdf.Dictionary) -> tuple[dict[int, float], float]:
    widths: dict[int, float] = {}
    items = list(cidfont.get("/W", ()))
    i = 0
    while i < len(items):
        first = int(items[i])
        if i + 1 < len(items) and isinstance(items[i + 1], pikepdf.Array):
            for offset, w in enumerate(items[i + 1]):
                widths[first + offset] = float(w)
            i += 2
        elif i + 2 < len(items):
            for cid in range(first, int(items[i + 1]) + 1):
                widths[cid] = float(items[i + 2])
            i += 3
        else:
            break
    return widths, float(cidfont.get("/DW", 1000))


def _read_program(descriptor: pikepdf.Object, problems: list[str]) -> _Program | None:
    if not isinstance(descriptor, pikepdf.Dictionary):
        return None
    try:
        if isinstance(descriptor.get("/FontFile2"), pikepdf.Stream):
            return _truetype(descriptor.FontFile2.read_bytes())
        program = descriptor.get("/FontFile3")
        if isinstance(program, pikepdf.Stream):
            data = program.read_bytes()
            if program.get("/Subtype") == "/OpenType":
                return _truetype(data) if b"hmtx" in _sfnt_tables(data) else None
            return _cff(data)
    except (struct.error, KeyError, ValueError, IndexError) as exc:
        problems.append(f"its font program cannot be read ({type(exc).__name__})")
    return None  # a Type 1 program (FontFile): widths are not judged here


def _cidset(descriptor: pikepdf.Object, program: _Program | None, problems: list[str]) -> None:
    cidset = descriptor.get("/CIDSet") if isinstance(descriptor, pikepdf.Dictionary) else None
    if cidset is None or program is None:
        return
    if not isinstance(cidset, pikepdf.Stream):
        problems.append("its /CIDSet is not a stream (PDF/A-2 6.2.11.4.2-2)")
        return
    bits = cidset.read_bytes()
    listed = {i for i in range(len(bits) * 8) if bits[i >> 3] & (0x80 >> (i & 7))}
    present = set(program.gid_of_cid) if program.gid_of_cid else set(range(program.glyphs))
    if listed != present:
        problems.append(f"its /CIDSet lists {len(listed)} CIDs, the program has {len(present)} "
                        "(PDF/A-2 6.2.11.4.2-2; Matterhorn 31-009, 31-010)")  # fmt: skip


def _font(font: pikepdf.Dictionary) -> _Font:
    problems: list[str] = []
    subtype = str(font.get("/Subtype", ""))
    name = str(font.get("/BaseFont", subtype))[1:]
    cmap = font.get("/ToUnicode")
    unicode = to_unicode(cmap.read_bytes()) if isinstance(cmap, pikepdf.Stream) else {}
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        cidfont = descendants[0] if isinstance(descendants, pikepdf.Array) and descendants else None
        if not isinstance(cidfont, pikepdf.Dictionary):
            return _Font(name, True, unicode, None, lambda c: None, lambda c: None,
                         ["a Type0 font without a descendant CIDFont"])  # fmt: skip
        if str(font.get("/Encoding")) not in ("/Identity-H", "/Identity-V"):
            problems.append(f"encoding {font.get('/Encoding')} is not decoded by this check")
        descriptor = cidfont.get("/FontDescriptor")
        program = _read_program(descriptor, problems)
        _cidset(descriptor, program, problems)
        widths, default = _widths_cid(cidfont)
        mapping = cidfont.get("/CIDToGIDMap")
        gids: bytes | None = None
        if cidfont.get("/Subtype") == "/CIDFontType2":
            if isinstance(mapping, pikepdf.Stream):
                gids = mapping.read_bytes()
            elif mapping != pikepdf.Name.Identity:
                problems.append("a CIDFontType2 without /CIDToGIDMap (PDF/A-2 6.2.11.3.2-1; "
                                "Matterhorn 31-004)")  # fmt: skip

        def gid(cid: int) -> int | None:
            if gids is not None:
                return (
                    int.from_bytes(gids[2 * cid : 2 * cid + 2], "big")
                    if 2 * cid + 2 <= len(gids)
                    else None
                )
            if program is not None and program.gid_of_cid is not None:
                return program.gid_of_cid.get(cid)
            return cid

        return _Font(name, True, unicode, program, lambda c: widths.get(c, default), gid,
                     problems)  # fmt: skip
    # a simple font (unfolio writes none): one byte a code, its Unicode judged, not its width
    return _Font(name, False, unicode, None, lambda c: None, lambda c: None, problems)


# -- the check -----------------------------------------------------------------------------


def _codes(data: bytes, two_byte: bool) -> set[int]:
    if not two_byte:
        return set(data)
    codes = array.array("H")
    codes.frombytes(data[: len(data) // 2 * 2])
    if sys.byteorder == "little":
        codes.byteswap()  # the codes are big-endian
    return set(codes)


def _text_in_forms(pages: list) -> Iterator[Issue]:
    """The content pass reads page content streams only: a form XObject showing text (unfolio
    draws none) fails closed rather than go unjudged."""
    seen: set[tuple[int, int]] = set()
    for index, page in enumerate(pages):
        xobjects = page.obj.get("/Resources", pikepdf.Dictionary()).get("/XObject")
        for name, xobject in xobjects.items() if isinstance(xobjects, pikepdf.Dictionary) else ():
            if (
                isinstance(xobject, pikepdf.Stream)
                and xobject.get("/Subtype") == pikepdf.Name.Form
                and xobject.objgen not in seen
            ):
                seen.add(xobject.objgen)
                if re.search(rb"\bTf\b", xobject.read_bytes()):  # no text without a font
                    yield ("PDF-TAGS-GLYPH-PROGRAM", f"form XObject {name} shows text, which "
                           "this check does not read", f"page {index + 1}")  # fmt: skip


def check(
    pdf: pikepdf.Pdf, drawn: Drawn, excused: set[tuple[int, int]] | frozenset = frozenset()
) -> list[Issue]:
    """Every glyph issue of the codes in ``drawn``; ``excused`` are the (page, MCID) whose
    element has ``/ActualText`` (a reader says that, not the glyphs' Unicode)."""
    fonts: dict[tuple[int, int], _Font | None] = {}
    # font key -> (codes drawn, codes drawn outside any /ActualText)
    used: dict[tuple[int, int], tuple[set[int], set[int]]] = {}
    names: dict[tuple[int, int], str] = {}
    pages = list(pdf.pages)
    for (page, resource), strings in drawn.shown.items():
        resources = pages[page].obj.get("/Resources", pikepdf.Dictionary())
        font = resources.get("/Font", pikepdf.Dictionary()).get(pikepdf.Name(resource))
        if not isinstance(font, pikepdf.Dictionary):
            continue  # a text operator without its font: the validator's to report
        key = font.objgen
        if key not in fonts:
            fonts[key] = _font(font)
            names[key] = f"page {page + 1} font {resource}"
        info = fonts[key]
        drawn_codes, plain = used.setdefault(key, (set(), set()))
        for data, mcid in strings:
            codes = _codes(data, info.two_byte)
            drawn_codes |= codes
            if mcid is None or (page, mcid) not in excused:
                plain |= codes
    issues: list[Issue] = list(_text_in_forms(pages))
    for key, (drawn_codes, plain) in used.items():
        info = fonts[key]
        where = f"{names[key]} ({info.name})"
        for problem in info.problems:
            issues.append(("PDF-TAGS-GLYPH-PROGRAM", f"{info.name}: {problem}", where))
        unmapped, bad, unrecoverable, notdef, missing, widths = [], [], [], [], [], []
        for code in sorted(drawn_codes):
            excused_everywhere = code not in plain
            text = info.unicode.get(code)
            if text is None:
                if not excused_everywhere:
                    unmapped.append(f"{code:04X}")
            elif any(ch in _BAD_UNICODE for ch in text):
                bad.append(f"{code:04X}")
            elif _unrecoverable(text) and not excused_everywhere:
                unrecoverable.append(f"{code:04X}→{text.encode('unicode_escape').decode()}")
            gid = info.gid(code)
            program = info.program
            if program is None or gid is None:
                continue
            if gid == 0:
                notdef.append(f"{code:04X}")
            elif gid >= program.glyphs:
                missing.append(f"{code:04X}")
                continue
            declared = info.width(code)
            actual = program.advance(gid)
            if declared is not None and actual is not None and abs(declared - actual) > _TOLERANCE:
                widths.append(f"{code:04X}: {declared:g} ≠ {actual:g}")
        for code, found, message in (
            ("PDF-TAGS-GLYPH-UNICODE", unmapped, "codes drawn without a /ToUnicode mapping "
             "(UA 7.21.7-1; Matterhorn 31-027)"),
            ("PDF-TAGS-GLYPH-UNICODE", bad, "codes mapped to U+0000, U+FEFF or U+FFFE "
             "(UA 7.21.7-2; Matterhorn 31-028, 31-029)"),
            ("PDF-TAGS-GLYPH-UNICODE", unrecoverable, "codes mapped to U+FFFD or a private-use "
             "character, without /ActualText (ISO 32000-1 14.9.4; PDF/A-2 6.2.11.7.2)"),
            ("PDF-TAGS-GLYPH-PROGRAM", notdef, "codes drawn with .notdef (UA 7.21.8-1; "
             "Matterhorn 31-030)"),
            ("PDF-TAGS-GLYPH-PROGRAM", missing, "codes whose glyph is not in the font program "
             "(Matterhorn 31-006)"),
            ("PDF-TAGS-GLYPH-WIDTH", widths, "glyph widths in the font dictionary differ from "
             "the font program's (UA 7.21.5-1; PDF/A-2 6.2.11.5-1; Matterhorn 31-011)"),
        ):  # fmt: skip
            if found:
                issues.append((code, f"{info.name}: {len(found):,} {message}, e.g. "
                               f"{', '.join(found[:_SHOWN])}", where))  # fmt: skip
    return issues

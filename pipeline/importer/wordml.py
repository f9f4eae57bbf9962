"""Read WordprocessingML into plain blocks: paragraphs with their role, tables, breaks, notes.

This is the one place that knows Word's XML. It walks the body in order and turns each
element into a :class:`Paragraph`, :class:`Table` or :class:`Break`; inside a paragraph, runs
become :class:`Span` (text with bold, italic and link), :class:`NoteRef` and
:class:`LineBreak`. What has no place in a UN source folder is reported with its text (see
``report.py``): deleted text of tracked changes, comments, images, text boxes, equations,
hidden text, symbol-font characters, and any element the walker does not know that still
holds text. A field (DOCVARIABLE, REF, PAGE…) keeps the result Word last showed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from pipeline.importer.numbering import Numbering
from pipeline.importer.ooxml import R, WordPackage, w
from pipeline.importer.report import Report
from pipeline.importer.styles import Role, StyleSheet, on_off
from pipeline.model import FORBIDDEN_CHARACTERS

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_SKIP = frozenset(
    w(name)
    for name in (
        "pPr",
        "rPr",
        "bookmarkStart",
        "bookmarkEnd",
        "proofErr",
        "permStart",
        "permEnd",
        "commentRangeEnd",
        "lastRenderedPageBreak",
        "footnoteRef",
        "endnoteRef",
        "annotationRef",
        "commentReference",
        "separator",
        "continuationSeparator",
        "sectPr",
        "tblPr",
        "tblGrid",
        "trPr",
        "tcPr",
        "tblPrEx",
        "sdtPr",
        "sdtEndPr",
        "dayShort",
        "monthShort",
        "yearShort",
        "dayLong",
        "monthLong",
        "yearLong",
        "pgNum",
    )
)
_CONTAINERS = frozenset(
    w(name) for name in ("smartTag", "customXml", "dir", "bdo", "ins", "moveTo", "sdtContent")
)
_DRAWINGS = frozenset({w("drawing"), w("pict"), w("object")})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML's escape of a character in a string
# Characters a source folder may not hold (model.FORBIDDEN_CHARACTERS) and the private-use
# area, where Word puts symbol-font characters that no pinned font draws.
_UNFIT = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in sorted(FORBIDDEN_CHARACTERS) if c != 9)
    + "\ue000-\uf8ff]"
)
_HYPERLINK = re.compile(r'\s*HYPERLINK\s+"([^"]+)"\s*$')  # not "\\l" (a place in the file)
# Characters of the Symbol and Wingdings fonts (w:sym, the char's low byte) that have a
# Unicode form: "≥" typed with Insert > Symbol is F0B3 in the Symbol font.
_SYMBOL_FONTS = {
    "symbol": dict(
        zip(
            (
                0xA3,
                0xB3,
                0xB1,
                0xB4,
                0xB8,
                0xAE,
                0xAC,
                0xAD,
                0xAF,
                0xB0,
                0xB7,
                0xB9,
                0xBB,
                0xA5,
                0xD6,
                0xE5,
                0xA2,
                0xB2,
                0xDE,
                0xDB,
                0x61,
                0x62,
                0x67,
                0x64,
                0x65,
                0x6C,
                0x6D,
                0x70,
                0x73,
                0x44,
                0x53,
                0x57,
                0xC6,
                0xCE,
                0xB5,
                0xBC,
                0x2D,
            ),
            "≤≥±×÷→←↑↓°•≠≈∞√∑′″⇒⇔αβγδελμπσΔΣΩ∅∈∝…−",
            strict=True,
        )
    ),
    "wingdings": {0xFC: "✓", 0xFB: "✗", 0xA7: "▪", 0xD8: "➢", 0x9F: "•", 0xA8: "◻", 0x6C: "●"},
}
_SYMBOL_BULLETS = {"\uf0b7": "•", "\uf0a7": "▪", "\uf0a8": "•", "\uf0d8": "•"}


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    link: str | None = None


@dataclass(frozen=True)
class NoteRef:
    kind: str  # "footnote" or "endnote"
    note_id: str
    mark: str = ""  # a custom mark ("*") Word prints instead of the number


@dataclass(frozen=True)
class LineBreak:
    pass


Inline = Span | NoteRef | LineBreak


@dataclass
class Paragraph:
    role: Role
    style: str
    inlines: list[Inline]
    where: str
    numbered: int | None = None  # Word list numbering's value, when the paragraph has one
    align: str = ""  # w:jc: "right", "end", "center", "both"…

    def plain(self) -> str:
        out = []
        for item in self.inlines:
            if isinstance(item, Span):
                out.append(item.text)
            elif isinstance(item, LineBreak):
                out.append("\n")
        return "".join(out)


@dataclass
class Cell:
    paragraphs: list[Paragraph]
    span: int = 1
    vmerge: str | None = None  # "restart", "continue" or None

    def plain(self) -> str:
        return " ".join(p.plain().strip() for p in self.paragraphs if p.plain().strip())


@dataclass
class Table:
    rows: list[list[Cell]]
    header_rows: int
    where: str


@dataclass(frozen=True)
class Break:
    kind: str  # "page" or "section"


Block = Paragraph | Table | Break


@dataclass
class Body:
    blocks: list[Block]
    notes: dict[tuple[str, str], list[Paragraph]] = field(default_factory=dict)


def decode_string(value: str) -> str:
    """An attribute string as Word means it: ``_x0009_`` escapes decoded, controls removed."""
    value = _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return _CONTROL.sub(" ", value.replace("\t", " ")).strip()


class Walker:
    """Walks one package; collects blocks, notes and report items."""

    def __init__(self, package: WordPackage, report: Report):
        self.package = package
        self.report = report
        self.sheet = StyleSheet(package.styles)
        self._paragraphs = 0
        self._numbering = Numbering(package.numbering)

    # -- body -------------------------------------------------------------------------------

    def body(self) -> Body:
        root = self.package.document.find(w("body"))
        blocks: list[Block] = []
        if root is not None:
            self._blocks(root, blocks, self.package.document_name)
            last = root.find(w("sectPr"))
            if last is not None:
                self._orientation(last, f"{self.package.document_name}, last section")
        notes = {}
        for kind, part in (
            ("footnote", self.package.footnotes),
            ("endnote", self.package.endnotes),
        ):
            if part is None:
                continue
            for note in part.iter(w(kind)):
                if note.get(w("type")) in (
                    "separator",
                    "continuationSeparator",
                    "continuationNotice",
                ):
                    text = _text_of(note).strip()
                    if text:
                        self.report.add(
                            "changed",
                            "footnote separator",
                            f"word/{kind}s.xml",
                            f"{text!r}: unfolio draws its own separator",
                            text,
                        )
                    continue
                where = f"word/{kind}s.xml, {kind} {note.get(w('id'))}"
                paragraphs: list[Block] = []
                self._blocks(note, paragraphs, where)
                notes[(kind, note.get(w("id"), ""))] = [
                    b for b in paragraphs if isinstance(b, Paragraph)
                ]
        self._comments()
        return Body(blocks, notes)

    def _blocks(self, parent: etree._Element, out: list[Block], part: str) -> None:
        for child in parent:
            tag = child.tag
            if tag == w("p"):
                self._paragraph(child, out, part)
            elif tag == w("tbl"):
                out.append(self._table(child, part))
            elif tag in (w("sdt"), w("customXml")):
                content = child.find(w("sdtContent")) if tag == w("sdt") else child
                if content is not None:
                    self._blocks(content, out, part)
            elif tag == f"{{{MC}}}AlternateContent":
                choice = child.find(f"{{{MC}}}Choice")
                if choice is not None:
                    self._blocks(choice, out, part)
            elif tag in _SKIP or not isinstance(tag, str):
                continue
            else:
                self._unknown(child, part)

    def _paragraph(self, p: etree._Element, out: list[Block], part: str) -> None:
        self._paragraphs += 1
        where = f"{part}, paragraph {self._paragraphs}"
        ppr = p.find(w("pPr"))
        style_node = ppr.find(w("pStyle")) if ppr is not None else None
        style = style_node.get(w("val"), "") if style_node is not None else ""
        role = self.sheet.role(style or None)
        if ppr is not None and on_off(ppr.find(w("pageBreakBefore"))):
            out.append(Break("page"))
        numbered = None
        numpr = ppr.find(w("numPr")) if ppr is not None else None
        if numpr is None:
            numpr = self.sheet.numbering(style or None)
        if numpr is not None:
            numbered, role, label = self._numbering.value(numpr, role, where, self.report)
        state = _Inline()
        if numpr is not None and label:  # "I.", "(a)": the number Word draws, as typed text
            state.text(label + "\t", False, False)
        self._inlines(p, state, where, self.sheet.character_format(None))
        jc = ppr.find(w("jc")) if ppr is not None else None
        align = jc.get(w("val"), "") if jc is not None else ""
        paragraph = Paragraph(role, style, state.items, where, numbered, align)
        if state.break_at_start:
            out.append(Break("page"))
        out.append(paragraph)
        if state.break_after:
            out.append(Break("page"))
        if ppr is not None and ppr.find(w("sectPr")) is not None:
            self._orientation(ppr.find(w("sectPr")), where)
            out.append(Break("section"))

    def _orientation(self, section: etree._Element, where: str) -> None:
        """A landscape section (a wide annex table) is said: unfolio sets every page upright."""
        size = section.find(w("pgSz"))
        if size is None:
            return
        width, height = size.get(w("w"), "0"), size.get(w("h"), "0")
        wide = width.isdigit() and height.isdigit() and int(width) > int(height)
        if size.get(w("orient")) == "landscape" or wide:
            self.report.add(
                "changed",
                "page orientation",
                where,
                "a section set in landscape (the pages up to here) is printed upright: "
                "its tables are set in the portrait text width",
            )

    # -- inline -----------------------------------------------------------------------------

    def _inlines(
        self, parent: etree._Element, state: _Inline, where: str, base: tuple[bool, bool]
    ) -> None:
        for child in parent:
            tag = child.tag
            if tag == w("r"):
                self._run(child, state, where)
            elif tag == w("hyperlink"):
                rel = child.get(f"{{{R}}}id")
                target = self.package.hyperlink(rel) if rel else None
                saved, state.link = state.link, target
                self._inlines(child, state, where, base)
                state.link = saved
            elif tag in _CONTAINERS:
                if tag in (w("ins"), w("moveTo")):
                    self.report.add(
                        "changed",
                        "tracked change",
                        where,
                        f"inserted text accepted: {_quote(_text_of(child))}",
                    )
                self._inlines(child, state, where, base)
            elif tag == w("sdt"):
                content = child.find(w("sdtContent"))
                if content is not None:
                    self._inlines(content, state, where, base)
            elif tag in (w("del"), w("moveFrom")):
                text = _text_of(child, deleted=True)
                self.report.add(
                    "not-carried",
                    "tracked change",
                    where,
                    f"deleted text left out: {_quote(text)}",
                    text,
                )
            elif tag == w("fldSimple"):
                instruction = (child.get(w("instr")) or "").strip()
                self.report.add(
                    "changed", "field", where, f"{_field_name(instruction)} kept as its text"
                )
                self._inlines(child, state, where, base)
            elif tag == w("commentRangeStart"):
                continue  # comments are reported from comments.xml, each once
            elif tag == f"{{{M}}}oMathPara" or tag == f"{{{M}}}oMath":
                text = "".join(t.text or "" for t in child.iter(f"{{{M}}}t"))
                self.report.add(
                    "not-carried", "equation", where, f"equation left out: {_quote(text)}", text
                )
            elif tag == f"{{{MC}}}AlternateContent":
                choice = child.find(f"{{{MC}}}Choice")
                if choice is not None:
                    self._inlines(choice, state, where, base)
            elif tag in _SKIP or not isinstance(tag, str):
                continue
            else:
                self._unknown(child, where)

    def _run(self, r: etree._Element, state: _Inline, where: str) -> None:
        """One run; formatting Markdown has no form for is said (raised, lowered, capitals)."""
        rpr = r.find(w("rPr"))
        bold, italic = False, False
        hidden = False
        if rpr is not None:
            rstyle = rpr.find(w("rStyle"))
            if rstyle is not None:
                bold, italic = self.sheet.character_format(rstyle.get(w("val")))
            b, i = on_off(rpr.find(w("b"))), on_off(rpr.find(w("i")))
            bold = bold if b is None else b
            italic = italic if i is None else i
            hidden = bool(on_off(rpr.find(w("vanish"))) or on_off(rpr.find(w("specVanish"))))
        if hidden:
            text = _text_of(r)
            if text.strip():
                self.report.add(
                    "not-carried",
                    "hidden text",
                    where,
                    f"hidden text left out: {_quote(text)}",
                    text,
                )
            return
        upper = False
        if rpr is not None:
            upper = bool(on_off(rpr.find(w("caps"))))  # Word shows the letters as capitals
            align = rpr.find(w("vertAlign"))
            text = _text_of(r)
            if upper and text.strip() and text != text.upper():
                self.report.add(
                    "changed", "capitals", where, f"{_quote(text)} is written in capitals", text
                )
            raised = align.get(w("val")) if align is not None else None
            if raised in ("superscript", "subscript") and text.strip():
                detail = f"{_quote(text)} is printed on the line: Markdown has no {raised}"
                self.report.add("changed", raised, where, detail, text)
        for child in r:
            tag = child.tag
            if tag == w("fldChar"):
                kind = child.get(w("fldCharType"))
                if kind == "begin":
                    state.fields.append(["", False])
                elif kind == "separate" and state.fields:
                    instruction = state.fields[-1][0]
                    state.fields[-1][1] = True
                    target = _HYPERLINK.match(instruction)
                    if target:  # a HYPERLINK field is a link like any other
                        state.fields[-1].append(state.link)
                        state.link = target.group(1)
                    else:
                        self.report.add(
                            "changed",
                            "field",
                            where,
                            f"{_field_name(instruction)} kept as the text Word last showed",
                        )
                elif kind == "end" and state.fields:
                    ended = state.fields.pop()
                    if len(ended) > 2:
                        state.link = ended[2]
                continue
            if tag == w("instrText"):
                if state.fields:
                    state.fields[-1][0] += child.text or ""
                continue
            if state.fields and not state.fields[-1][1]:  # inside a field's code
                text = _text_of(child)
                if text:
                    self.report.add(
                        "not-carried", "field code", where, f"left out: {_quote(text)}", text
                    )
                continue
            if tag == w("t"):
                if state.skip_next_text:
                    state.skip_next_text = False
                    continue
                shown = (child.text or "").upper() if upper else child.text or ""
                state.text(self._fit(shown, where), bold, italic)
            elif tag == w("tab") or tag == w("ptab"):
                state.text("\t", bold, italic)
            elif tag == w("br") or tag == w("cr"):
                if child.get(w("type")) in ("page", "column"):
                    state.page_break()
                else:
                    state.items.append(LineBreak())
            elif tag == w("noBreakHyphen"):
                state.text("-", bold, italic)
            elif tag == w("softHyphen"):
                continue
            elif tag == w("sym"):
                code = child.get(w("char"), "")
                font = child.get(w("font"), "")
                char = _symbol_char(font, code)
                if char:
                    state.text(self._fit(char, where), bold, italic)
                    self.report.add(
                        "changed",
                        "symbol",
                        where,
                        f"a {font} character (U+{code}) written as its Unicode form {char!r}",
                        char,
                    )
                    continue
                self.report.add(
                    "not-carried",
                    "symbol",
                    where,
                    f"a {font or 'symbol-font'} character (U+{code}) left out",
                )
            elif tag in (w("footnoteReference"), w("endnoteReference")):
                kind = "footnote" if tag == w("footnoteReference") else "endnote"
                mark = ""
                if child.get(w("customMarkFollows")) in ("1", "true", "on"):
                    following = child.getnext()
                    if following is not None and following.tag == w("t"):
                        mark = following.text or ""
                        state.skip_next_text = True
                        self.report.add(
                            "changed",
                            "footnote mark",
                            where,
                            f"the custom footnote mark {mark!r} is printed as a number",
                        )
                state.items.append(NoteRef(kind, child.get(w("id"), ""), mark))
                state.seen_text = True
            elif tag in _DRAWINGS:
                self._drawing(child, where)
            elif tag == f"{{{MC}}}AlternateContent":
                choice = child.find(f"{{{MC}}}Choice")
                for node in choice if choice is not None else ():
                    if node.tag in _DRAWINGS:
                        self._drawing(node, where)
            elif tag in _SKIP or not isinstance(tag, str):
                continue
            else:
                self._unknown(child, where)

    def _fit(self, text: str, where: str) -> str:
        """``text`` without the characters a source folder may not hold, each reported."""
        if not _UNFIT.search(text):
            return text

        def replace(match: re.Match[str]) -> str:
            char = match.group()
            if char in _SYMBOL_BULLETS:
                return _SYMBOL_BULLETS[char]
            self.report.add(
                "not-carried",
                "character",
                where,
                f"U+{ord(char):04X} (a control, bidi or symbol-font character) "
                f"left out of {_quote(text)}",
                char,
            )
            return ""

        return _UNFIT.sub(replace, text)

    def _drawing(self, node: etree._Element, where: str) -> None:
        boxes = list(node.iter(w("txbxContent")))
        for box in boxes:
            text = " ".join(_text_of(p).strip() for p in box.iter(w("p")) if _text_of(p).strip())
            self.report.add(
                "not-carried",
                "text box",
                where,
                f"text box left out: {_quote(text)}" if text else "an empty text box left out",
                text,
            )
        if boxes:
            return
        names = [
            (d.get("descr") or d.get("title") or d.get("name") or "").strip()
            for d in node.iter(f"{{{WP}}}docPr")
        ]
        label = next((n for n in names if n), "")
        self.report.add(
            "not-carried",
            "image",
            where,
            f"image left out ({_quote(label)})" if label else "image left out",
            label,
        )

    def _unknown(self, node: etree._Element, where: str) -> None:
        text = _text_of(node)
        if text.strip():
            name = etree.QName(node).localname
            self.report.add("not-carried", f"<{name}>", where, f"left out: {_quote(text)}", text)

    def _comments(self) -> None:
        if self.package.comments is None:
            return
        for comment in self.package.comments.iter(w("comment")):
            text = " ".join(
                _text_of(p).strip() for p in comment.iter(w("p")) if _text_of(p).strip()
            )
            author = comment.get(w("author"), "")
            self.report.add(
                "not-carried",
                "comment",
                f"word/comments.xml, comment {comment.get(w('id'))}",
                f"comment by {author or 'an unnamed author'} left out: {_quote(text)}",
                text,
            )

    # -- tables -----------------------------------------------------------------------------

    def _table(self, tbl: etree._Element, part: str) -> Table:
        where = f"{part}, table after paragraph {self._paragraphs}"
        rows: list[list[Cell]] = []
        header_rows = 0
        headers_done = False
        for tr in _children(tbl, w("tr")):
            trpr = tr.find(w("trPr"))
            is_header = trpr is not None and on_off(trpr.find(w("tblHeader")))
            if is_header and not headers_done:
                header_rows += 1
            else:
                headers_done = True
            cells: list[Cell] = []
            before = _grid(trpr, "gridBefore")
            if before:
                cells.append(Cell([], before))
            for tc in _children(tr, w("tc")):
                cells.append(self._cell(tc, where))
            after = _grid(trpr, "gridAfter")
            if after:
                cells.append(Cell([], after))
            rows.append(cells)
        return Table(rows, header_rows, where)

    def _cell(self, tc: etree._Element, where: str) -> Cell:
        tcpr = tc.find(w("tcPr"))
        span = _grid(tcpr, "gridSpan") or 1
        vmerge = None
        if tcpr is not None and tcpr.find(w("vMerge")) is not None:
            vmerge = tcpr.find(w("vMerge")).get(w("val"), "continue")
        blocks: list[Block] = []
        self._blocks(tc, blocks, where)
        paragraphs: list[Paragraph] = []
        for block in blocks:
            if isinstance(block, Paragraph):
                paragraphs.append(block)
            elif isinstance(block, Table):
                self.report.add(
                    "changed",
                    "table",
                    block.where,
                    "a table inside a table cell: its text is "
                    "kept in the outer cell, without its rows and columns",
                )
                for row in block.rows:
                    for cell in row:
                        paragraphs.extend(cell.paragraphs)
        return Cell(paragraphs, span, vmerge)


class _Inline:
    """The inline items of one paragraph as they are read, with field and break state."""

    def __init__(self) -> None:
        self.items: list[Inline] = []
        self.fields: list[list] = []  # [instruction, result started]
        self.link: str | None = None
        self.seen_text = False
        self.skip_next_text = False  # the custom mark after a note reference
        self.break_at_start = False
        self.break_after = False

    def text(self, text: str, bold: bool, italic: bool) -> None:
        if not text:
            return
        if text.strip():
            self.seen_text = True
        self.items.append(Span(text, bold, italic, self.link))

    def page_break(self) -> None:
        if self.seen_text:
            self.break_after = True
        else:
            self.break_at_start = True


def _children(parent: etree._Element, tag: str) -> list[etree._Element]:
    """``tag`` children, also inside content controls and custom XML wrappers."""
    found = []
    for child in parent:
        if child.tag == tag:
            found.append(child)
        elif child.tag in (w("sdt"), w("customXml")):
            inner = child.find(w("sdtContent")) if child.tag == w("sdt") else child
            if inner is not None:
                found.extend(_children(inner, tag))
    return found


def _grid(props: etree._Element | None, name: str) -> int:
    node = props.find(w(name)) if props is not None else None
    value = node.get(w("val"), "0") if node is not None else "0"
    return int(value) if value.isdigit() else 0


def _symbol_char(font: str, code: str) -> str:
    """The Unicode character a Symbol- or Wingdings-font ``w:sym`` shows, or ""."""
    table = _SYMBOL_FONTS.get(font.strip().casefold())
    try:
        value = int(code, 16)
    except ValueError:
        return ""
    return table.get(value & 0xFF, "") if table and value & 0xFF00 in (0, 0xF000) else ""


def _text_of(node: etree._Element, *, deleted: bool = False) -> str:
    names = {w("t"), w("delText")} if deleted else {w("t")}
    pieces = []
    for el in node.iter():
        if el.tag in names:
            pieces.append(el.text or "")
        elif el.tag == w("tab") and el.getparent().tag == w("r"):  # not a tab stop
            pieces.append(" ")
    return "".join(pieces)


def _field_name(instruction: str) -> str:
    words = instruction.split()
    if not words:
        return "a field"
    name = words[0].upper()
    argument = words[1].strip('"') if len(words) > 1 else ""
    return f"field {name} {argument}".rstrip() if name == "DOCVARIABLE" else f"field {name}"


def _quote(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")

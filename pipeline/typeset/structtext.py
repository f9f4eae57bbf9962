"""The text of a tagged PDF in structure order: what a screen reader reads, in its order.

A tagged PDF's reading order is its structure tree, not its content streams (unfolio's
masthead is drawn after the body; footnotes are drawn at the foot of the page but belong
beside their call). pdfium gives each text object its marked-content id (MCID) and its text
(from the text page, so right-to-left runs come out in logical order); the structure tree
then says which element owns which (page, MCID), in order. Artifacts (running heads, page numbers, the first-page footer) have no MCID and are
left out, as a reader leaves them out.
"""

from __future__ import annotations

import ctypes
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c


@dataclass(frozen=True)
class Block:
    """A structure element that holds text itself: its type and its text."""

    role: str  # "P", "H1", "Lbl"…
    text: str


def _objects(page, count, get) -> Iterator:
    """Every page object, those inside form XObjects too, in content-stream order."""
    for i in range(count(page)):
        obj = get(page, i)
        if pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_FORM:
            yield from _objects(obj, pdfium_c.FPDFFormObj_CountObjects,
                                pdfium_c.FPDFFormObj_GetObject)  # fmt: skip
        else:
            yield obj


def _object_text(obj, textpage) -> str:
    size = pdfium_c.FPDFTextObj_GetText(obj, textpage, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFTextObj_GetText(
        obj, textpage, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)), size
    )
    return buffer.raw[: size - 2].decode("utf-16-le", errors="replace")


_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# Per character, as plain-address prototypes of the same pdfium functions: pypdfium2's typed
# pointers cost an object per call, and an object's address is then a dict key.
_VOIDP = ctypes.c_void_p
_text_object = ctypes.CFUNCTYPE(_VOIDP, _VOIDP, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, _VOIDP).value
)
_marked_content_id = ctypes.CFUNCTYPE(ctypes.c_int, _VOIDP)(
    ctypes.cast(pdfium_c.FPDFPageObj_GetMarkedContentID, _VOIDP).value
)


def _by_objects(index: int, page, textpage, texts: dict) -> bool:
    """Each text object's text under its MCID; False (nothing added) when the page has
    right-to-left text, whose objects pdfium gives in visual order."""
    found: list[tuple[tuple[int, int], str]] = []
    objects = _objects(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject)
    for obj in objects:
        if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_TEXT:
            continue
        mcid = pdfium_c.FPDFPageObj_GetMarkedContentID(obj)
        if mcid >= 0:
            text = _object_text(obj, textpage.raw)
            if _RIGHT_TO_LEFT.search(text):
                return False
            found.append(((index, mcid), text))
    for key, text in found:
        texts.setdefault(key, []).append(text)
    return True


def _by_characters(index: int, textpage, texts: dict) -> None:
    """The text page's characters (logical order, right-to-left runs reversed) by MCID."""
    handle = textpage.raw
    address = ctypes.cast(handle, _VOIDP).value
    count = pdfium_c.FPDFText_CountChars(handle)
    page_text = textpage.get_text_range()
    if len(page_text) != count:  # a character outside the BMP: one by one
        page_text = "".join(chr(pdfium_c.FPDFText_GetUnicode(handle, i)) for i in range(count))
    mcids: dict[int, int] = {}
    key = None
    for i in range(count):
        obj = _text_object(address, i)
        if obj:
            mcid = mcids.get(obj)
            if mcid is None:
                mcid = mcids[obj] = _marked_content_id(obj)
            key = (index, mcid) if mcid >= 0 else None
        if key is not None:  # a generated space or line end joins the text before it
            texts.setdefault(key, []).append(page_text[i])


def mcid_texts(pdf: bytes, pages: list | None = None) -> dict[tuple[int, int], str]:
    """(page index, MCID) → the text drawn in that marked-content sequence, in logical order.

    A page of left-to-right text is read object by object (fast); a page with right-to-left
    text character by character from pdfium's text page, which has them in logical order.
    ``pages``, when given, receives each page's :class:`textcheck.PageText` from the same
    text page (the gate's round trip and off-page count need it: one pdfium pass, not two)."""
    from pipeline.typeset import textcheck

    texts: dict[tuple[int, int], list[str]] = {}
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                if not _by_objects(index, page, textpage, texts):
                    _by_characters(index, textpage, texts)
                if pages is not None:
                    pages.append(textcheck.page_text(textpage))
            finally:
                textpage.close()
                page.close()
    finally:
        document.close()
    return {key: "".join(parts) for key, parts in texts.items()}


def _kids(element: pikepdf.Dictionary) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


Kid = tuple[str, object]  # ("content", (page, MCID)) or ("element", element key)


#: Structure types read inside the line of text around them; any other ends a block of text.
_INLINE = frozenset({"Span", "Link", "Reference", "Quote", "Code", "BibEntry", "Annot"})


def assemble(
    texts: dict[tuple[int, int], str],
    tops: Sequence[object],
    kids: dict[object, list[Kid]],
    roles: dict[object, str],
    *,
    notes_after: bool = False,
) -> list[Block]:
    """The blocks of a structure tree already read (element keys, their kids in order, their
    types), with the text of each (page, MCID) from :func:`mcid_texts`.

    With ``notes_after`` each ``Note`` is read after the running text of the block that calls
    it (the paragraph, heading, cell…), not in the middle of its sentence: the round trip
    compares that running text with the source's, where a Chinese sentence cut by the note
    leaves pieces too short to match (``textcheck.MIN_PIECE``)."""
    found: list[Block] = []
    seen: set = set()
    pending: list[list[list[Block]]] = []  # per open block: the notes it calls, read after it

    def walk(key: object, out: list[Block]) -> None:
        if key in seen:
            return  # a cycle: PDF-TAGS-TREE reports it
        seen.add(key)
        role = roles.get(key, "")
        if notes_after and role == "Note" and pending:
            out = []
            pending[-1].append(out)
        block = notes_after and role not in _INLINE
        if block:
            pending.append([])
        own: list[str] = []
        for kind, value in kids.get(key, ()):
            if kind == "content":
                own.append(texts.get(value, ""))  # type: ignore[arg-type]
            else:
                if own:
                    out.append(Block(role, "".join(own)))
                    own = []
                walk(value, out)
        if own:
            out.append(Block(role, "".join(own)))
        if block:
            for notes in pending.pop():
                out.extend(notes)

    for top in tops:
        walk(top, found)
    return found


def read_tree(
    opened: pikepdf.Pdf,
) -> tuple[list[object], dict[object, list[Kid]], dict[object, str]]:
    """The structure tree of an open PDF as (top element keys, kids by key, type by key)."""
    pages = {page.objgen: i for i, page in enumerate(opened.pages)}
    root = opened.Root.get("/StructTreeRoot")
    tops: list[object] = []
    kids: dict[object, list[Kid]] = {}
    roles: dict[object, str] = {}
    if not isinstance(root, pikepdf.Dictionary):
        return tops, kids, roles
    stack = [k for k in reversed(_kids(root)) if isinstance(k, pikepdf.Dictionary)]
    tops.extend(k.objgen for k in reversed(stack))
    while stack:
        element = stack.pop()
        key = element.objgen
        if key in roles:
            continue
        roles[key] = str(element.get("/S", "/"))[1:]
        page = element.get("/Pg")
        page_index = pages.get(page.objgen) if isinstance(page, pikepdf.Dictionary) else None
        found: list[Kid] = []
        children = []
        for kid in _kids(element):
            if isinstance(kid, int):
                found.append(("content", (page_index, int(kid))))
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                kid_page = kid.get("/Pg", page)
                index = pages.get(kid_page.objgen) if kid_page is not None else None
                found.append(("content", (index, int(kid.get("/MCID", -1)))))
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found.append(("element", kid.objgen))
                children.append(kid)
        kids[key] = found
        stack.extend(reversed(children))
    return tops, kids, roles


def blocks(pdf: bytes, *, notes_after: bool = False) -> list[Block]:
    """Every element holding marked content, in structure (reading) order, with its text
    (``notes_after``: see :func:`assemble`)."""
    texts = mcid_texts(pdf)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        tops, kids, roles = read_tree(opened)
    return assemble(texts, tops, kids, roles, notes_after=notes_after)


def join(found: Sequence[Block]) -> str:
    """The blocks' text in reading order, one element's text a line."""
    return "\n".join(block.text for block in found)


def text(pdf: bytes) -> str:
    """All the tagged text in reading order, one element's text a line, each footnote after
    the block that calls it: the one function the text round trip calls for a tagged PDF."""
    return join(blocks(pdf, notes_after=True))


def lines(pdf: bytes) -> Iterator[str]:
    for block in blocks(pdf):
        yield f"{block.role}: {block.text}"

"""Tagged PDF from WeasyPrint 70: artifacts, roles, languages and reading order.

WeasyPrint 70 tags a document (``pdf/a-2a``, ``pdf/a-3a``) from its box tree, page by page.
What it writes is not yet what PDF/UA-1 and a screen-reader user need, so this module patches
it, once, for the pinned version only (like :mod:`pipeline.typeset.wpfixes`):

- **Page margin boxes are artifacts.** WeasyPrint marks their text with MCIDs and builds
  structure elements for them that it never links into the tree (its own comment: "it could be
  included in tree as Artifact, but that's only allowed in PDF 2.0"), so the parent tree
  points at orphans and the running heads, page numbers, the first-page footer (job number,
  barcode, recycling mark, QR code) are neither real content nor artifacts (PDF/UA-1 7.1-3).
  Here they are drawn inside ``/Artifact BMC … EMC`` and get no structure element.
- **Repeated table headers are artifacts**: the header row WeasyPrint repeats on a table's
  later pages is drawn as an artifact; the structure holds the header once.
- **The tree is rebuilt in reading order** (:func:`_restructure`), using what the HTML says:
  the fragments of one element split over pages become one element again (a paragraph, a
  list, a table, a section); ``role="presentation"`` tables are layout, not data (their cells
  become paragraphs); ``aria-level`` gives a heading its level (``H1``…``H6``); a block whose
  children are all text is a ``P``; list numbers drawn by ``::before`` are ``Lbl`` beside the
  ``LBody``; a footnote is a ``Note`` (with an ``ID``) right after its call (a
  ``Reference``), not at the foot of the page; ``data-reading-order`` orders the masthead,
  which is drawn by position; an element whose ``lang`` differs from the document's carries
  ``/Lang``; ``TH`` cells carry ``/Scope``; empty elements go, but an empty table cell stays
  a cell; text is attached to its element directly (WeasyPrint wraps every run of text in a
  ``Span`` of its own). The parent tree is then written anew from the final tree.

Everything happens while WeasyPrint writes the PDF (it has the boxes and the HTML elements);
the checks of :mod:`pipeline.typeset.tagcheck` then judge the written file.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pydyf
import weasyprint
import weasyprint.document as wp_document
import weasyprint.draw as wp_draw
import weasyprint.pdf as wp_pdf
import weasyprint.pdf.tags as wp_tags
from weasyprint.formatting_structure import boxes
from weasyprint.pdf.stream import Stream

from pipeline.typeset import scripts

PATCHED_VERSION = "70.0"
_applied = False
_local = threading.local()

#: Structure types whose fragments on consecutive pages are one element again.
_NOT_MERGED = frozenset({"/Figure", "/Note", "/Reference", "/Lbl"})
_TABLE_PARTS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption"})
_PRESENTATION = frozenset({"presentation", "none"})
_HEADING = re.compile(r"h[1-6]")
#: Inline HTML elements WeasyPrint tags ``NonStruct``; in the tree they are spans of text.
_INLINE = frozenset({"em", "strong", "i", "b", "u", "s", "code", "sup", "sub", "small", "mark"})


@dataclass
class _Render:
    """What one ``write_pdf`` call learns while drawing, for building its tree."""

    page: int = -1
    artifact_depth: int = 0
    marked_depth: int = 0
    thead_page: dict = field(default_factory=dict)  # thead element -> first page drawn on
    thead_of: dict = field(default_factory=dict)  # element -> its thead (or None)
    boxes: dict = field(default_factory=dict)  # struct element number -> (element, tag, box)
    footnotes: set = field(default_factory=set)  # ids of the HTML elements that are footnotes
    parents: dict = field(default_factory=dict)  # element -> parent (ElementTree has no links)
    generated: dict = field(default_factory=dict)  # struct element number -> ::before text

    def ancestors(self, element) -> Iterator:
        element = self.parents.get(element)
        while element is not None:
            yield element
            element = self.parents.get(element)

    def closest(self, element, tag: str):
        """``element`` itself or its nearest ancestor with ``tag``, or None."""
        if element.tag == tag:
            return element
        return next((e for e in self.ancestors(element) if e.tag == tag), None)


def _current() -> _Render | None:
    return getattr(_local, "render", None)


# -- drawing: artifacts ---------------------------------------------------------------------


def _thead(state: _Render, element) -> object | None:
    try:
        return state.thead_of[element]
    except KeyError:
        pass
    found = state.closest(element, "thead")
    state.thead_of[element] = found
    return found


def _repeated_header(state: _Render, box) -> bool:
    element = getattr(box, "element", None)
    if element is None or not isinstance(element.tag, str):
        return False
    thead = _thead(state, element)
    if thead is None:
        return False
    return state.thead_page.setdefault(thead, state.page) < state.page


def _patched_marked(marked):
    @contextlib.contextmanager
    def wrapper(self, box, tag):
        state = _current()
        if self._tags is None or state is None:
            with marked(self, box, tag):
                yield
        elif state.artifact_depth:
            yield  # inside an artifact: no marked content of its own
        elif _repeated_header(state, box):
            with self.artifact():
                yield
        else:
            state.marked_depth += 1
            try:
                with marked(self, box, tag):
                    yield
            finally:
                state.marked_depth -= 1

    return wrapper


def _patched_artifact(artifact):
    @contextlib.contextmanager
    def wrapper(self):
        state = _current()
        if self._tags is None or state is None:
            with artifact(self):
                yield
        elif state.artifact_depth or state.marked_depth:
            yield  # already inside one, or part of tagged content (PDF/UA-1 7.1-1)
        else:
            state.artifact_depth += 1
            try:
                with artifact(self):
                    yield
            finally:
                state.artifact_depth -= 1

    return wrapper


def _patched_stacking_context(draw_stacking_context):
    @functools.wraps(draw_stacking_context)
    def wrapper(stream, stacking_context):
        if (
            isinstance(stacking_context.box, boxes.MarginBox)
            and stream._tags is not None
            and _current() is not None
        ):
            with stream.artifact():
                return draw_stacking_context(stream, stacking_context)
        return draw_stacking_context(stream, stacking_context)

    return wrapper


def _patched_draw_page(draw_page):
    @functools.wraps(draw_page)
    def wrapper(page, stream):
        state = _current()
        if state is not None:
            state.page += 1
        return draw_page(page, stream)

    return wrapper


def _parent_map(document) -> dict:
    """child -> parent for the whole HTML tree (WeasyPrint's elements are ElementTree's)."""
    for page in document.pages[:1]:
        for box in page._page_box.children:
            if getattr(box, "element_tag", None) == "html" and box.element is not None:
                return {child: parent for parent in box.element.iter() for child in parent}
    return {}


def _patched_generate_pdf(generate_pdf):
    @functools.wraps(generate_pdf)
    def wrapper(document, *args, **kwargs):
        saved = _current()
        _local.render = _Render(parents=_parent_map(document))
        try:
            return generate_pdf(document, *args, **kwargs)
        finally:
            _local.render = saved

    return wrapper


# -- the tree WeasyPrint builds ---------------------------------------------------------------


def _placeholder_marks(box) -> None:
    """Give the cells of a skipped (repeated) header the ``mark`` WeasyPrint's table code reads."""
    for row in getattr(box, "children", ()):
        for cell in getattr(row, "children", ()):
            cell.mark = pydyf.Dictionary({"A": pydyf.Dictionary()})


def _patched_build_box_tree(build_box_tree):
    @functools.wraps(build_box_tree)
    def wrapper(box, parent, pdf, page_number, nums, annotations, tags):
        state = _current()
        if state is None:
            yield from build_box_tree(box, parent, pdf, page_number, nums, annotations, tags)
            return
        if isinstance(box, boxes.MarginBox):
            return  # drawn as an artifact
        element = getattr(box, "element", None)
        if (
            getattr(box, "element_tag", None) == "thead"
            and element is not None
            and state.thead_page.get(element, page_number) < page_number
        ):
            _placeholder_marks(box)  # drawn as an artifact
            return
        footnote = getattr(box, "footnote", None)
        if footnote is not None and footnote.element is not None:
            state.footnotes.add(id(footnote.element))
        tag = getattr(box, "element_tag", None)
        generated = None
        if tag is not None and "::" in tag and isinstance(box, boxes.ParentBox):
            # CSS content (a list number "(a)"): no HTML lang can mark its script
            generated = "".join(b.text for b in box.descendants() if isinstance(b, boxes.TextBox))
        for struct in build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):
            state.boxes.setdefault(struct.number, (element, tag))  # the innermost call made it
            if generated:
                state.generated.setdefault(struct.number, generated)
            yield struct

    return wrapper


# -- the tree rebuilt -----------------------------------------------------------------------


@dataclass
class _Content:
    """A marked-content sequence: MCID ``mcid`` of page ``page``."""

    page: int
    mcid: int


@dataclass
class _Annotation:
    objr: pydyf.Dictionary


@dataclass
class _Node:
    obj: pydyf.Dictionary
    element: object | None  # the HTML element (lxml) it was made for, if any
    tag: str | None  # WeasyPrint's element tag: "p", "li::before", "span::footnote-call"…
    kids: list = field(default_factory=list)
    generated: str | None = None  # the text CSS generated for a pseudo-element

    @property
    def role(self) -> str:
        return str(self.obj["S"])

    @role.setter
    def role(self, value: str) -> None:
        self.obj["S"] = value

    def attr(self, name: str) -> str | None:
        return None if self.element is None else self.element.get(name)

    def has_content(self) -> bool:
        return any(isinstance(k, _Content) for k in self.kids)


def _text(value) -> str:
    """A pydyf string's text (``str()`` of a ``pydyf.String`` is its repr)."""
    return value.string if isinstance(value, pydyf.String) else str(value)


def _number(reference: bytes | str) -> int:
    text = reference.decode() if isinstance(reference, bytes) else str(reference)
    return int(text.split()[0])


def _read(pdf, obj, state: _Render, pages: dict) -> _Node:
    element, tag = state.boxes.get(obj.number, (None, None))
    node = _Node(obj, element, tag, generated=state.generated.get(obj.number))
    page = pages.get(obj.get("Pg"), 0)
    for kid in obj.get("K", ()):
        if isinstance(kid, int):
            node.kids.append(_Content(page, kid))
            continue
        child = pdf.objects[_number(kid)]
        if child.get("Type") == "/OBJR":
            node.kids.append(_Annotation(child))
        elif child.get("Type") == "/MCR":
            node.kids.append(_Content(pages.get(child.get("Pg"), page), int(child["MCID"])))
        else:
            node.kids.append(_read(pdf, child, state, pages))
    return node


def _nodes(node: _Node) -> Iterator[_Node]:
    yield node
    for kid in node.kids:
        if isinstance(kid, _Node):
            yield from _nodes(kid)


def _rewrite(node: _Node, visit) -> None:
    """Replace each descendant by ``visit(kid)`` (a list of nodes and contents), bottom-up."""
    new = []
    for kid in node.kids:
        if isinstance(kid, _Node):
            _rewrite(kid, visit)
            new.extend(visit(kid))
        else:
            new.append(kid)
    node.kids = new


def _bare_text(kid: _Node) -> list:
    """WeasyPrint's ``Span`` around each run of text: the text joins its element."""
    if (
        kid.role == "/Span"
        and kid.element is None
        and all(isinstance(k, _Content) for k in kid.kids)
        and not any(key in kid.obj for key in ("A", "Alt", "ActualText", "Lang"))
    ):
        return kid.kids
    return [kid]


def _in_presentation_table(state: _Render, node: _Node) -> bool:
    element = node.element
    if element is None or node.tag not in _TABLE_PARTS:
        return False
    table = state.closest(element, "table")
    return table is not None and (table.get("role") or "").strip() in _PRESENTATION


def _roles(state: _Render):
    def visit(kid: _Node) -> list:
        tag = kid.tag or ""
        if _in_presentation_table(state, kid):
            if tag in ("td", "th"):
                kid.role = "/P"  # a layout cell holds a line of text
                kid.obj.pop("A", None)
                return [kid]
            return kid.kids  # layout only: its children stand for it
        if tag.endswith(("::marker", "::footnote-marker")) or _list_number(state, kid):
            kid.role = "/Lbl"
        elif tag.endswith("::footnote-call"):
            kid.role = "/Reference"
        elif kid.element is not None and id(kid.element) in state.footnotes and "::" not in tag:
            kid.role = "/Note"
        elif _HEADING.fullmatch(tag) and (kid.attr("aria-level") or "").isdigit():
            kid.role = f"/H{min(max(int(kid.attr('aria-level')), 1), 6)}"
        elif kid.role == "/Div" and kid.kids and all(isinstance(k, _Content) for k in kid.kids):
            kid.role = "/P"
        elif kid.role == "/NonStruct" and tag in _INLINE:
            kid.role = "/Span"
        elif kid.role == "/TH":
            scope = "/Row" if kid.attr("scope") == "row" else "/Column"
            kid.obj.setdefault("A", pydyf.Dictionary({"O": "/Table"}))["Scope"] = scope
        return [kid]

    return visit


def _list_number(state: _Render, node: _Node) -> bool:
    """A numbered paragraph's number: ``li::before``, or ``::before`` of an item's first ``p``."""
    if not (node.tag or "").endswith("::before") or node.element is None:
        return False
    parent = state.parents.get(node.element)
    return node.element.tag == "li" or (parent is not None and parent.tag == "li")


#: Elements kept though they hold nothing: an empty cell is still a cell of its row, so every
#: row of a table has as many as the others (UA 7.2-42).
_KEPT_EMPTY = frozenset({"/Figure", "/TD", "/TH"})


def _drop_empty(kid: _Node) -> list:
    if kid.kids or kid.role in _KEPT_EMPTY:
        return [kid]
    return []


def _merge_fragments(node: _Node) -> None:
    """Join consecutive siblings made for the same HTML element (its fragments on two pages)."""
    merged: list = []
    for kid in node.kids:
        last = merged[-1] if merged else None
        if (
            isinstance(kid, _Node)
            and isinstance(last, _Node)
            and kid.element is not None
            and kid.element is last.element
            and kid.tag == last.tag
            and kid.role == last.role
            and kid.role not in _NOT_MERGED
        ):
            last.kids.extend(kid.kids)
            continue
        merged.append(kid)
    node.kids = merged
    for kid in node.kids:
        if isinstance(kid, _Node):
            _merge_fragments(kid)


def _table_headers(root: _Node) -> None:
    """Point every ``TD``'s ``/Headers`` at ``TH`` cells the tree has.

    WeasyPrint names a header cell ``TABLE-ROW-COLUMN`` per page; on a later page of a table
    its (repeated, now artifact) header cells are not in the tree, so the cells there are
    given the header cells of the same column on the table's first page instead."""
    for table in _nodes(root):
        if table.role != "/Table":
            continue
        cells = [n for n in _nodes(table) if n.role in ("/TH", "/TD")]
        known = {_text(n.obj["ID"]) for n in cells if n.role == "/TH" and "ID" in n.obj}
        by_column: dict[str, list[str]] = {}
        for name in sorted(known):
            by_column.setdefault(name.rpartition("-")[2], []).append(name)
        for cell in cells:
            attributes = cell.obj.get("A")
            headers = attributes.get("Headers") if isinstance(attributes, dict) else None
            if headers is None:
                continue
            names: list[str] = []
            for header in headers:
                name = _text(header)
                for found in (
                    [name] if name in known else by_column.get(name.rpartition("-")[2], [])
                ):
                    if found not in names:
                        names.append(found)
            attributes["Headers"] = pydyf.Array(pydyf.String(n) for n in names)


def _list_labels(root: _Node) -> None:
    """Move a list number drawn inside the item's body (``::before``) out beside it: LI = Lbl +
    LBody (ISO 32000-1 14.8.4.3.3)."""
    for item in _nodes(root):
        if item.role != "/LI" or any(isinstance(k, _Node) and k.role == "/Lbl" for k in item.kids):
            continue
        body = next((k for k in item.kids if isinstance(k, _Node) and k.role == "/LBody"), None)
        holder = body
        for _ in range(3):  # LBody > Lbl, or LBody > P > Lbl (a loose item's first paragraph)
            first = next((k for k in holder.kids), None) if holder is not None else None
            if isinstance(first, _Node) and first.role == "/Lbl":
                holder.kids.remove(first)
                item.kids.insert(item.kids.index(body), first)
                break
            holder = first if isinstance(first, _Node) else None


def _new(pdf, role: str, kids: list) -> _Node:
    obj = pydyf.Dictionary({"Type": "/StructElem", "S": role, "K": pydyf.Array()})
    pdf.add_object(obj)
    return _Node(obj, None, None, kids)


def _list_bodies(pdf, root: _Node) -> None:
    """Whatever an item holds besides its label is its ``LBody``, and whatever a list holds
    besides lists and items is an item (ISO 32000-1 Table 336; UA 7.2-19, 7.2-20): a block
    quote or a table straight inside an item gets no anonymous body box from WeasyPrint."""
    for node in list(_nodes(root)):
        if node.role == "/LI":
            keep, allowed = ("/Lbl", "/LBody"), "/LBody"
        elif node.role == "/L":
            keep, allowed = ("/L", "/LI", "/Caption"), "/LI"
        else:
            continue
        kids: list = []
        loose: list = []
        for kid in [*node.kids, None]:
            if kid is None or (isinstance(kid, _Node) and kid.role in keep):
                if loose:
                    wrapper = _new(pdf, "/LBody", loose)
                    kids.append(wrapper if allowed == "/LBody" else _new(pdf, "/LI", [wrapper]))
                    loose = []
                if kid is not None:
                    kids.append(kid)
            else:
                loose.append(kid)
        node.kids = kids


def _notes_beside_calls(root: _Node) -> None:
    """Put each footnote's ``Note`` right after its call, wherever on the pages it is drawn."""
    parents = {id(kid): node for node in _nodes(root) for kid in node.kids}
    calls = {}
    notes = []
    for node in _nodes(root):
        if node.role == "/Reference" and node.element is not None:
            calls.setdefault(id(node.element), node)
        elif node.role == "/Note":
            notes.append(node)
    for number, note in enumerate(notes, 1):
        note.obj["ID"] = pydyf.String(f"note-{number}")
        call = calls.get(id(note.element))
        if call is None:
            continue
        parents[id(note)].kids.remove(note)
        siblings = parents[id(call)].kids
        siblings.insert(siblings.index(call) + 1, note)
        parents[id(note)] = parents[id(call)]


def _links_hold_annotations(root: _Node) -> None:
    """A link annotation WeasyPrint attached to an element inside the ``Link`` (the language
    span of a URL, :mod:`.scripts`) belongs to the ``Link`` (UA 7.18.5-1)."""

    def walk(node: _Node, link: _Node | None) -> None:
        if node.role == "/Link":
            link = node
        elif link is not None and any(isinstance(k, _Annotation) for k in node.kids):
            held = {_text(k.objr["Obj"]) for k in link.kids if isinstance(k, _Annotation)}
            for kid in [k for k in node.kids if isinstance(k, _Annotation)]:
                node.kids.remove(kid)
                if _text(kid.objr["Obj"]) not in held:
                    link.kids.append(kid)
                    held.add(_text(kid.objr["Obj"]))
        for kid in node.kids:
            if isinstance(kid, _Node):
                walk(kid, link)

    walk(root, None)


def _reading_order(root: _Node) -> None:
    """Order children by ``data-reading-order`` where the HTML gives one (the masthead is drawn
    by position, so its source order says nothing)."""
    for node in _nodes(root):
        keys = [_order_key(k) for k in node.kids]
        if any(key is not None for key in keys):
            ranked = sorted(
                range(len(node.kids)),
                key=lambda i: (keys[i] if keys[i] is not None else 10_000 + i, i),
            )
            node.kids = [node.kids[i] for i in ranked]


def _order_key(kid) -> int | None:
    if not isinstance(kid, _Node):
        return None
    value = kid.attr("data-reading-order")
    return int(value) if value is not None and value.isdigit() else None


def _actual_text(root: _Node) -> None:
    """``data-actual-text`` (the masthead's stretched Arabic label) is what a reader says."""
    for node in _nodes(root):
        text = node.attr("data-actual-text") if "::" not in (node.tag or "::") else None
        if text:
            node.obj["ActualText"] = pydyf.String(text)


def _figure_boxes(pdf, root: _Node, page_refs: tuple) -> None:
    """WeasyPrint writes a Figure's ``/BBox`` in CSS pixels from the top of the page; PDF
    wants points from the bottom (ISO 32000-1 14.8.5.4.3)."""
    for node in _nodes(root):
        attributes = node.obj.get("A")
        box = attributes.get("BBox") if isinstance(attributes, dict) else None
        contents = [k for k in node.kids if isinstance(k, _Content)]
        if node.role != "/Figure" or box is None or not contents:
            continue
        page = pdf.objects[_number(page_refs[contents[0].page])]
        top = float(page["MediaBox"][3])
        x1, y1, x2, y2 = (float(v) * 0.75 for v in box)
        attributes["BBox"] = pydyf.Array((x1, top - y2, x2, top - y1))


def _languages(root: _Node, document_lang: str) -> None:
    """``/Lang`` on every element whose HTML ``lang`` differs from the language around it,
    and on a pseudo-element whose generated text is in another script (the Latin "(a)" of a
    sub-paragraph in an Arabic, Chinese or Russian version; see :mod:`.scripts`)."""

    def walk(node: _Node, around: str) -> None:
        lang = node.attr("lang") if node.tag is not None and "::" not in node.tag else None
        if not lang and node.generated:
            runs = scripts.foreign_runs(node.generated, around)
            lang = scripts.SCRIPT_LANGUAGE[runs[0][0]] if runs else None
        if lang and lang != around:
            node.obj["Lang"] = pydyf.String(lang)
            around = lang
        for kid in node.kids:
            if isinstance(kid, _Node):
                walk(kid, around)

    walk(root, document_lang)


def _write(pdf, root: _Node, parent_reference, page_refs: tuple) -> dict:
    """Write the tree back; return {(page, mcid) | ("annot", key): element reference}."""
    owners: dict = {}

    def write(node: _Node, parent) -> None:
        node.obj["P"] = parent
        contents = [k for k in node.kids if isinstance(k, _Content)]
        if contents:
            node.obj["Pg"] = page_refs[contents[0].page]
        page = page_refs.index(node.obj["Pg"]) if "Pg" in node.obj else None
        kids = pydyf.Array()
        for kid in node.kids:
            if isinstance(kid, _Node):
                kids.append(kid.obj.reference)
                write(kid, node.obj.reference)
            elif isinstance(kid, _Content):
                if kid.page == page:
                    kids.append(kid.mcid)
                else:
                    kids.append(
                        pydyf.Dictionary(
                            {"Type": "/MCR", "Pg": page_refs[kid.page], "MCID": kid.mcid}
                        )
                    )
                owners[(kid.page, kid.mcid)] = node.obj.reference
            else:
                kids.append(kid.objr.reference)
                annotation = pdf.objects[_number(kid.objr["Obj"])]
                owners[("annot", annotation["StructParent"])] = node.obj.reference
        node.obj["K"] = kids

    write(root, parent_reference)
    return owners


def _parent_tree(owners: dict, pages: int) -> pydyf.Array:
    nums = pydyf.Array()
    for page in range(pages):
        mcids = [mcid for (p, mcid) in owners if p == page]
        refs = pydyf.Array(owners.get((page, m), "null") for m in range(max(mcids, default=-1) + 1))
        nums.extend((page, refs))
    for key in sorted(k for p, k in owners if p == "annot"):
        nums.extend((key, owners[("annot", key)]))
    return nums


def _restructure(pdf, state: _Render) -> None:
    root_obj = pdf.objects[_number(pdf.catalog["StructTreeRoot"])]
    document = pdf.objects[_number(root_obj["K"][0])]
    page_refs = pdf.page_references
    pages = {ref: i for i, ref in enumerate(page_refs)}
    root = _read(pdf, document, state, pages)
    _rewrite(root, _bare_text)
    _rewrite(root, _roles(state))
    _links_hold_annotations(root)
    _notes_beside_calls(root)  # empties each page's footnote area, so fragments meet
    _rewrite(root, _drop_empty)
    _merge_fragments(root)
    _table_headers(root)
    _list_labels(root)
    _list_bodies(pdf, root)
    _reading_order(root)
    _actual_text(root)
    _figure_boxes(pdf, root, page_refs)
    lang = pdf.catalog.get("Lang")
    _languages(root, _text(lang) if lang is not None else "")
    owners = _write(pdf, root, root_obj.reference, page_refs)
    parent_tree = pdf.objects[_number(root_obj["ParentTree"])]
    parent_tree["Nums"] = _parent_tree(owners, len(page_refs))
    annotation_keys = [k for p, k in owners if p == "annot"]
    root_obj["ParentTreeNextKey"] = max([len(page_refs) - 1, *annotation_keys]) + 1


def _patched_add_tags(add_tags):
    @functools.wraps(add_tags)
    def wrapper(pdf, document, pdf_version, page_streams):
        add_tags(pdf, document, pdf_version, page_streams)
        state = _current()
        if state is not None:
            _restructure(pdf, state)

    return wrapper


def apply() -> None:
    """Install the tagging repairs (idempotent); refuse a WeasyPrint they were not checked
    against."""
    global _applied
    if _applied:
        return
    if weasyprint.__version__ != PATCHED_VERSION:
        raise RuntimeError(
            f"pipeline.typeset.wptags was checked against WeasyPrint {PATCHED_VERSION}, "
            f"not {weasyprint.__version__}: re-check each repair before changing the pin"
        )
    Stream.marked = _patched_marked(Stream.marked)
    Stream.artifact = _patched_artifact(Stream.artifact)
    wp_draw.draw_stacking_context = _patched_stacking_context(wp_draw.draw_stacking_context)
    wp_document.draw_page = _patched_draw_page(wp_document.draw_page)
    wp_document.generate_pdf = _patched_generate_pdf(wp_document.generate_pdf)
    wp_tags._build_box_tree = _patched_build_box_tree(wp_tags._build_box_tree)
    wp_pdf.add_tags = _patched_add_tags(wp_pdf.add_tags)
    _applied = True

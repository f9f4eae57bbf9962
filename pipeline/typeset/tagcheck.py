"""The tagged-PDF checks (``PDF-TAGS-…``): what PDF/UA-1 and PDF/A-2a/3a require of a tagged file.

veraPDF cannot be installed here, so these checks are the line of defence for the 2a and 3a
flavours. Each code stands for rules of ISO 14289-1 (PDF/UA-1) as veraPDF's PDF/UA-1 profile
numbers them (clause-test, e.g. 7.1-3), and of ISO 19005-2 (PDF/A-2, level A):

``PDF-TAGS-CATALOG``     ``/MarkInfo /Marked true`` without ``/Suspects true`` (UA 6.2-1,
                         7.1-11; PDF/A-2 6.7.2.2-1), a ``/StructTreeRoot`` (UA 7.1-11,
                         PDF/A-2 6.7.3.3-1), ``/ViewerPreferences /DisplayDocTitle true``
                         (UA 7.1-10); an embedded file's specification has non-empty ``/F``
                         and ``/UF`` (UA 7.11-1); ``dc:title`` is PDF-METADATA's, so is
                         ``pdfuaid:part`` (5-1).
``PDF-TAGS-LANG``        the catalog ``/Lang`` is the version's language (UA 7.2-34, PDF/A-2
                         6.7.4), and every ``/Lang`` in the tree is a well-formed tag.
``PDF-TAGS-LANG-SPAN``   text in another script than its element's language (Latin in an
                         Arabic, Chinese or Russian element; Arabic, Cyrillic or Han in any
                         other) sits in an element with its own ``/Lang`` (UA 7.2, ISO 32000-1
                         14.9.2; Matterhorn 11-006, a human check made mechanical by script),
                         ``/Alt`` and ``/ActualText`` included (:mod:`.scripts`).
``PDF-TAGS-TREE``        structure tree and parent tree agree: every element's ``/P`` is its
                         parent, no element is reached twice, each (page, MCID) belongs to one
                         element, the parent tree maps each to that element and nothing else
                         (what veraPDF follows to find an item's ``parentStructureTag``), every
                         page with marked content has ``/StructParents``.
``PDF-TAGS-ROLES``,      structure types, their role map and their nesting: see
``PDF-TAGS-ROLEMAP``,    :mod:`.structrules`.
``PDF-TAGS-PLACEMENT``
``PDF-TAGS-CONTENT``     every painting operator (text, paths, images, shadings, XObjects) is
                         inside marked content with an MCID the tree owns, or inside an
                         ``Artifact`` (UA 7.1-3); no artifact inside tagged content (7.1-1),
                         no tagged content inside an artifact (7.1-2).
``PDF-TAGS-ANNOTATIONS`` every annotation is in the structure (``/StructParent`` → an element
                         holding its ``OBJR``): a link in a ``Link`` element (UA 7.18.5-1),
                         a widget in a ``Form`` (7.18.4-1), any other (not Popup) in an
                         ``Annot`` (7.18.1-1), unless hidden; with
                         ``/Contents`` (7.18.1-2, 7.18.5-2); a page with annotations has
                         ``/Tabs /S`` (7.18.3-1).
``PDF-TAGS-FIGURE``      every ``Figure`` has a non-empty ``/Alt`` or ``/ActualText`` (UA 7.3-1).
``PDF-TAGS-HEADINGS``    the headings' levels start at ``H1`` and never skip one going down
                         (UA 7.4.2; a reader's "no skipped heading level"), ``H`` and ``Hn``
                         are not mixed (7.4.4-1).
``PDF-TAGS-GLYPH-…``     every glyph drawn maps to Unicode, has its width and is in its font
                         program: see :mod:`.glyphcheck`.
``PDF-TAGS-ORDER``       the structure reads the masthead first: its first text is the symbol,
                         and the organ names and the distribution block come before the
                         title (unfolio's own rule, issue 12: a reader hears what the masthead
                         says before the body).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pikepdf

from pipeline import locale
from pipeline.model import Document
from pipeline.typeset import glyphcheck, scripts, structrules, structtext

CODES = (
    "PDF-TAGS-CATALOG",
    "PDF-TAGS-LANG",
    "PDF-TAGS-LANG-SPAN",
    "PDF-TAGS-TREE",
    *structrules.CODES,
    "PDF-TAGS-CONTENT",
    "PDF-TAGS-ANNOTATIONS",
    "PDF-TAGS-FIGURE",
    "PDF-TAGS-HEADINGS",
    "PDF-TAGS-ORDER",
    *glyphcheck.CODES,
)
Issue = tuple[str, str, str]  # (code, message, where)

_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_PAINTING = frozenset(
    (
        "Tj",
        "TJ",
        "'",
        '"',
        "Do",
        "sh",
        "f",
        "F",
        "f*",
        "B",
        "B*",
        "b",
        "b*",
        "S",
        "s",
        "INLINE IMAGE",
    )
)
_OPERATORS = "BDC BMC EMC Tf Tj TJ ' \" Do sh f F f* B B* b b* S s"
_TEXT = frozenset(("Tj", "TJ", "'", '"'))
_SHOWN = 3  # examples per finding


def _kids(element: pikepdf.Object) -> list:
    kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _role(element: pikepdf.Dictionary) -> str:
    value = element.get("/S")
    return str(value)[1:] if isinstance(value, pikepdf.Name) else ""


def _where(element: pikepdf.Object) -> str:
    return f"obj {element.objgen[0]} {element.objgen[1]}" if element.is_indirect else ""


class _Tree:
    """The structure tree read once: elements in order, owners of (page, MCID) and of OBJRs."""

    def __init__(self, pdf: pikepdf.Pdf, root: pikepdf.Dictionary):
        self.pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        self.elements: list[tuple[pikepdf.Dictionary, pikepdf.Object | None]] = []
        self.owners: dict[tuple[int, int], tuple[int, int]] = {}
        self.annotations: dict[tuple[int, int], tuple[int, int]] = {}
        self.issues: list[Issue] = []
        seen: set[tuple[int, int]] = set()
        stack = [(kid, root) for kid in reversed(_kids(root))]
        while stack:
            element, parent = stack.pop()
            if not isinstance(element, pikepdf.Dictionary):
                self._issue("a structure tree kid is not a dictionary", parent)
                continue
            if element.objgen in seen:
                self._issue("a structure element is reached twice (a cycle?)", element)
                continue
            seen.add(element.objgen)
            self.elements.append((element, parent))
            stated = element.get("/P")
            if not (isinstance(stated, pikepdf.Dictionary) and stated.objgen == parent.objgen):
                self._issue(f"{_role(element)}: /P is not its parent in the tree", element)
            page = self._page(element.get("/Pg"))
            kids = _kids(element)
            for kid in kids:
                if isinstance(kid, int):
                    if page is None:
                        self._issue(f"{_role(element)}: an MCID without a /Pg page", element)
                    else:
                        self._own((page, int(kid)), element)
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    mcr_page = self._page(kid.get("/Pg", element.get("/Pg")))
                    if mcr_page is None or "/MCID" not in kid:
                        self._issue(f"{_role(element)}: a marked-content reference without a "
                                    "page or MCID", element)  # fmt: skip
                    else:
                        self._own((mcr_page, int(kid.MCID)), element)
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                    annotation = kid.get("/Obj")
                    if isinstance(annotation, pikepdf.Dictionary):
                        self.annotations[annotation.objgen] = element.objgen
                elif isinstance(kid, pikepdf.Dictionary):
                    pass  # a child element, pushed below
                else:
                    self._issue(f"{_role(element)}: a kid that is neither an element, an MCID "
                                "nor a reference", element)  # fmt: skip
            stack.extend(
                (kid, element)
                for kid in reversed(kids)
                if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/MCR", "/OBJR")
            )

    def _page(self, page: pikepdf.Object | None) -> int | None:
        return self.pages.get(page.objgen) if isinstance(page, pikepdf.Dictionary) else None

    def _own(self, key: tuple[int, int], element: pikepdf.Dictionary) -> None:
        if key in self.owners and self.owners[key] != element.objgen:
            self._issue(f"page {key[0] + 1} MCID {key[1]} belongs to two elements", element)
        self.owners[key] = element.objgen

    def _issue(self, message: str, where: pikepdf.Object) -> None:
        self.issues.append(("PDF-TAGS-TREE", message, _where(where)))


def _number_tree(node: pikepdf.Object, depth: int = 0) -> Iterator[tuple[int, pikepdf.Object]]:
    if not isinstance(node, pikepdf.Dictionary) or depth > 32:
        return
    nums = node.get("/Nums")
    if isinstance(nums, pikepdf.Array):
        for i in range(0, len(nums) - 1, 2):
            yield int(nums[i]), nums[i + 1]
    for kid in node.get("/Kids", ()):
        yield from _number_tree(kid, depth + 1)


def _catalog(pdf: pikepdf.Pdf) -> Iterator[Issue]:
    mark = pdf.Root.get("/MarkInfo")
    if not (isinstance(mark, pikepdf.Dictionary) and mark.get("/Marked") is True):
        yield ("PDF-TAGS-CATALOG", "the catalog lacks /MarkInfo /Marked true (UA 6.2-1)", "")
    elif mark.get("/Suspects") is True:
        yield ("PDF-TAGS-CATALOG", "/MarkInfo /Suspects is true (UA 7.1)", "")
    prefs = pdf.Root.get("/ViewerPreferences")
    if not (isinstance(prefs, pikepdf.Dictionary) and prefs.get("/DisplayDocTitle") is True):
        yield (
            "PDF-TAGS-CATALOG",
            "the catalog lacks /ViewerPreferences /DisplayDocTitle true (UA 7.1-10)",
            "",
        )
    if not isinstance(pdf.Root.get("/StructTreeRoot"), pikepdf.Dictionary):
        yield ("PDF-TAGS-CATALOG", "the catalog has no /StructTreeRoot (UA 7.1-11)", "")
    for spec in pdf.Root.get("/AF", ()):
        if not isinstance(spec, pikepdf.Dictionary) or "/EF" not in spec:
            continue
        names = [spec.get(key) for key in ("/F", "/UF")]
        if not all(isinstance(n, pikepdf.String) and str(n) for n in names):
            yield ("PDF-TAGS-CATALOG", "an embedded file's specification lacks a non-empty /F "
                   "or /UF (UA 7.11-1)", _where(spec))  # fmt: skip


def _languages(pdf: pikepdf.Pdf, tree: _Tree, document: Document) -> Iterator[Issue]:
    want = locale.BCP47[document.language]
    lang = pdf.Root.get("/Lang")
    got = str(lang) if isinstance(lang, pikepdf.String) else None
    if got != want:
        yield ("PDF-TAGS-LANG", f"the catalog /Lang is {got!r}, expected {want!r} (UA 7.2-34)", "")
    for element, _parent in tree.elements:
        value = element.get("/Lang")
        if value is not None and not (
            isinstance(value, pikepdf.String) and _LANG_TAG.fullmatch(str(value))
        ):
            yield ("PDF-TAGS-LANG", f"{_role(element)}: /Lang {value!r} is no language tag",
                   _where(element))  # fmt: skip


def _language_spans(
    pdf: pikepdf.Pdf, tree: _Tree, texts: dict[tuple[int, int], str]
) -> Iterator[Issue]:
    """Each text's runs of another script than the language it is read in (the nearest
    ``/Lang`` up the tree, else the catalog's)."""
    catalog = pdf.Root.get("/Lang")
    lang_of: dict[tuple[int, int], str] = {}
    found: dict[tuple[int, int], list[str]] = {}
    elements = {}
    for element, parent in tree.elements:  # parents come before their kids
        own = element.get("/Lang")
        around = lang_of.get(parent.objgen, str(catalog) if catalog is not None else "")
        lang = str(own) if isinstance(own, pikepdf.String) and str(own) else around
        lang_of[element.objgen] = lang
        elements[element.objgen] = element
        said = [element.get(k) for k in ("/Alt", "/ActualText")]
        for text in (str(v) for v in said if isinstance(v, pikepdf.String)):
            found.setdefault(element.objgen, []).extend(
                run for _, run in scripts.foreign_runs(text, lang)
            )
    for key, owner in tree.owners.items():
        element = elements.get(owner)
        if element is None or "/ActualText" in element:  # its ActualText is what is read
            continue
        runs = scripts.foreign_runs(texts.get(key, ""), lang_of[owner])
        if runs:
            found.setdefault(owner, []).extend(run for _, run in runs)
    for owner, runs in found.items():
        if runs:
            yield ("PDF-TAGS-LANG-SPAN", f"{_role(elements[owner])} read as "
                   f"{lang_of[owner]!r} holds {', '.join(repr(r) for r in runs[:_SHOWN])} in "
                   "another script, without a /Lang of its own (UA 7.2, ISO 32000-1 14.9.2)",
                   _where(elements[owner]))  # fmt: skip


def _parent_tree(pdf: pikepdf.Pdf, root: pikepdf.Dictionary, tree: _Tree) -> Iterator[Issue]:
    entries = dict(_number_tree(root.get("/ParentTree")))
    mapped: dict[tuple[int, int], tuple[int, int]] = {}
    for index, page in enumerate(pdf.pages):
        key = page.obj.get("/StructParents")
        array = entries.get(int(key)) if key is not None else None
        if key is None:
            if any(p == index for p, _ in tree.owners):
                yield ("PDF-TAGS-TREE", f"page {index + 1} has tagged content but no "
                       "/StructParents", "")  # fmt: skip
            continue
        if not isinstance(array, pikepdf.Array):
            yield ("PDF-TAGS-TREE", f"page {index + 1}: the parent tree has no array for key "
                   f"{int(key)}", "")  # fmt: skip
            continue
        for mcid, element in enumerate(array):
            if isinstance(element, pikepdf.Dictionary):
                mapped[(index, mcid)] = element.objgen
    for key in sorted(tree.owners.keys() | mapped.keys()):
        owner, listed = tree.owners.get(key), mapped.get(key)
        if owner != listed:
            what = (
                "is in no element of the tree"
                if owner is None
                else "is missing from the parent tree"
                if listed is None
                else "maps to another element in the parent tree"
            )
            yield ("PDF-TAGS-TREE", f"page {key[0] + 1} MCID {key[1]} {what}", "")
    for annotation_objgen, element_objgen in tree.annotations.items():
        annotation = pdf.get_object(annotation_objgen)
        key = annotation.get("/StructParent")
        target = entries.get(int(key)) if key is not None else None
        if not (isinstance(target, pikepdf.Dictionary) and target.objgen == element_objgen):
            yield ("PDF-TAGS-TREE", "an annotation's /StructParent does not lead to the element "
                   "holding its OBJR", _where(annotation))  # fmt: skip


def _content(pdf: pikepdf.Pdf, tree: _Tree, drawn: glyphcheck.Drawn) -> Iterator[Issue]:
    """Painting operators and their marked content; ``drawn`` collects each font's text for
    :mod:`.glyphcheck` in the same pass."""
    for index, page in enumerate(pdf.pages):
        untagged = artifact_in_tagged = tagged_in_artifact = 0
        examples: list[str] = []
        stack: list[tuple[str, int | None]] = []
        font: str | None = None
        properties = page.obj.get("/Resources", pikepdf.Dictionary()).get("/Properties")
        for operands, operator in pikepdf.parse_content_stream(page, _OPERATORS):
            op = str(operator)
            if op in ("BDC", "BMC"):
                tag = str(operands[0])[1:] if operands else ""
                mcid = None
                if op == "BDC" and len(operands) > 1:
                    props = operands[1]
                    if isinstance(props, pikepdf.Name) and isinstance(
                        properties, pikepdf.Dictionary
                    ):
                        props = properties.get(props)
                    if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
                        mcid = int(props.MCID)
                in_artifact = any(t == "Artifact" for t, _ in stack)
                in_tagged = any(m is not None for _, m in stack)
                if tag == "Artifact" and in_tagged:
                    artifact_in_tagged += 1
                if mcid is not None and in_artifact:
                    tagged_in_artifact += 1
                stack.append((tag, mcid))
            elif op == "EMC":
                if stack:
                    stack.pop()
            elif op == "Tf":
                font = str(operands[0]) if operands else None
            elif op in _PAINTING or op == "INLINE IMAGE":
                mcid = next((m for _, m in reversed(stack) if m is not None), None)
                if op in _TEXT:
                    drawn.show(index, font, operands, mcid)
                if any(t == "Artifact" for t, _ in stack):
                    continue
                if mcid is None or (index, mcid) not in tree.owners:
                    untagged += 1
                    if len(examples) < _SHOWN:
                        examples.append(op if mcid is None else f"{op} (MCID {mcid}, no element)")
        where = f"page {index + 1}"
        if untagged:
            yield ("PDF-TAGS-CONTENT", f"{untagged:,} painting operators are neither tagged "
                   f"content nor an artifact (UA 7.1-3), e.g. {', '.join(examples)}", where)  # fmt: skip
        if artifact_in_tagged:
            yield ("PDF-TAGS-CONTENT", f"{artifact_in_tagged:,} artifacts inside tagged content "
                   "(UA 7.1-1)", where)  # fmt: skip
        if tagged_in_artifact:
            yield ("PDF-TAGS-CONTENT", f"{tagged_in_artifact:,} tagged sequences inside an "
                   "artifact (UA 7.1-2)", where)  # fmt: skip


def _actual_text(tree: _Tree) -> set[tuple[int, int]]:
    """The (page, MCID) of elements with ``/ActualText`` or inside one: a reader says that."""
    said: set[tuple[int, int]] = set()
    for element, parent in tree.elements:  # parents first
        if "/ActualText" in element or parent.objgen in said:
            said.add(element.objgen)
    return {key for key, owner in tree.owners.items() if owner in said}


def _annotations(pdf: pikepdf.Pdf, tree: _Tree) -> Iterator[Issue]:
    roles = {element.objgen: _role(element) for element, _ in tree.elements}
    for index, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array) or not len(annots):
            continue
        where = f"page {index + 1}"
        if page.obj.get("/Tabs") != pikepdf.Name.S:
            yield ("PDF-TAGS-ANNOTATIONS", "a page with annotations lacks /Tabs /S (UA 7.18.3-1)",
                   where)  # fmt: skip
        for annotation in annots:
            if not isinstance(annotation, pikepdf.Dictionary):
                continue
            subtype = str(annotation.get("/Subtype", ""))
            if subtype == "/Popup":
                continue
            owner = tree.annotations.get(annotation.objgen)
            hidden = int(annotation.get("/F", 0)) & 2  # veraPDF exempts a hidden annotation
            if owner is None and hidden:
                continue
            if owner is None:
                yield ("PDF-TAGS-ANNOTATIONS", f"a {subtype[1:]} annotation is in no structure "
                       "element (UA 7.18.1)", where)  # fmt: skip
            elif subtype == "/Link" and roles.get(owner) != "Link":
                yield ("PDF-TAGS-ANNOTATIONS", f"a link annotation is in a {roles.get(owner)} "
                       "element, not a Link (UA 7.18.5-1)", where)  # fmt: skip
            elif subtype == "/Widget" and roles.get(owner) != "Form":
                yield ("PDF-TAGS-ANNOTATIONS", f"a widget annotation is in a {roles.get(owner)} "
                       "element, not a Form (UA 7.18.4-1)", where)  # fmt: skip
            elif subtype not in ("/Link", "/Widget") and roles.get(owner) != "Annot":
                yield ("PDF-TAGS-ANNOTATIONS", f"a {subtype[1:]} annotation is in a "
                       f"{roles.get(owner)} element, not an Annot (UA 7.18.1-1)", where)  # fmt: skip
            contents = annotation.get("/Contents")
            if not (isinstance(contents, pikepdf.String) and str(contents).strip()):
                yield ("PDF-TAGS-ANNOTATIONS", f"a {subtype[1:]} annotation has no /Contents "
                       "(UA 7.18.1-2, 7.18.5-2)", where)  # fmt: skip


def _figures(tree: _Tree) -> Iterator[Issue]:
    for element, _parent in tree.elements:
        if _role(element) != "Figure":
            continue
        text = element.get("/Alt", element.get("/ActualText"))
        if not (isinstance(text, pikepdf.String) and str(text).strip()):
            yield ("PDF-TAGS-FIGURE", "a Figure without /Alt (UA 7.3-1)", _where(element))


_HN = re.compile(r"H([1-6])")


def _headings(tree: _Tree) -> Iterator[Issue]:
    level = 0
    kinds = set()
    for element, _parent in tree.elements:
        role = _role(element)
        if role == "H":
            kinds.add("H")
            continue
        match = _HN.fullmatch(role)
        if match is None:
            continue
        kinds.add("Hn")
        new = int(match.group(1))
        if new > level + 1:
            expected = "H1" if level == 0 else f"H{level + 1} or higher"
            yield ("PDF-TAGS-HEADINGS", f"{role} follows "
                   f"{'no heading' if level == 0 else f'H{level}'}: a skipped level (expected "
                   f"{expected}, UA 7.4.2)", _where(element))  # fmt: skip
        level = new
    if kinds == {"H", "Hn"}:
        yield ("PDF-TAGS-HEADINGS", "H and H1-H6 are mixed in one document (UA 7.4.4-1)", "")


def _fold(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _order(read_blocks: list[structtext.Block], document: Document) -> Iterator[Issue]:
    from pipeline.typeset.layout import masthead_organ

    blocks = [b for b in read_blocks if _fold(b.text)]
    if not blocks:
        yield ("PDF-TAGS-ORDER", "the structure holds no text", "")
        return
    symbol = _fold(document.symbols[0].text)
    if not _fold(blocks[0].text + "".join(b.text for b in blocks[1:3])).startswith(symbol):
        yield ("PDF-TAGS-ORDER", f"the structure does not begin with the symbol "
               f"{document.symbols[0].text!r}: it begins {blocks[0].text.strip()[:40]!r}", "")  # fmt: skip
    title = _fold(document.title)
    read = [_fold(b.text) for b in blocks]
    joined = "".join(read)
    title_at = next((i for i, b in enumerate(blocks) if b.role == "H1"), len(blocks))
    before_title = "".join(read[:title_at])
    loc = locale.get(document.language)
    expected = [loc.organ_masthead_name(masthead_organ(o.organ)) for o in document.organs]
    distribution = loc.distribution_block(
        document.distribution, document.date, document.original_languages,
        document.is_original_version,
    )  # fmt: skip
    expected += [line for line in distribution if line]
    right_to_left = document.language in ("ar",)
    for text in expected:
        wanted = _fold(text)
        # pdfium gives a right-to-left masthead line's words in visual order (see verify.pdf)
        found = wanted in before_title or (
            right_to_left and all(_fold(word) in before_title for word in text.split())
        )
        if wanted and not found:
            yield ("PDF-TAGS-ORDER", f"the masthead's {text!r} is not read before the title",
                   "")  # fmt: skip
    if title and title not in joined:
        yield ("PDF-TAGS-ORDER", "the document title is not in the structure text", "")


def check(
    pdf_bytes: bytes,
    document: Document,
    blocks: list[structtext.Block] | None = None,
    inline: list[structtext.Block] | None = None,
    pages: list | None = None,
) -> list[Issue]:
    """Every tagging issue of a written tagged PDF. ``blocks``, when given, receives its text
    in structure order, each footnote after the block calling it (:func:`structtext.assemble`),
    read here with the tree, for the caller's round trip; ``inline`` the same with each
    footnote where its call is, for the text order check (:mod:`.ordertext`); ``pages``, when
    given, each page's ``textcheck.PageText`` from the same pdfium pass."""
    if blocks is None:
        blocks = []
    issues: list[Issue] = []
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        issues += _catalog(pdf)
        root = pdf.Root.get("/StructTreeRoot")
        if not isinstance(root, pikepdf.Dictionary):
            return issues
        tree = _Tree(pdf, root)
        issues += tree.issues
        issues += _languages(pdf, tree, document)
        issues += _parent_tree(pdf, root, tree)
        links = {
            a.objgen
            for page in pdf.pages
            for a in page.obj.get("/Annots", ())
            if isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") == pikepdf.Name.Link
        }
        issues += structrules.check(root, tree.elements, links)
        drawn = glyphcheck.Drawn()
        issues += _content(pdf, tree, drawn)
        issues += glyphcheck.check(pdf, drawn, _actual_text(tree))
        issues += _annotations(pdf, tree)
        issues += _figures(tree)
        issues += _headings(tree)
        texts = structtext.mcid_texts(pdf_bytes, pages)
        issues += _language_spans(pdf, tree, texts)
        read = structtext.read_tree(pdf)
        blocks.extend(structtext.assemble(texts, *read, notes_after=True))
        if inline is not None:
            inline.extend(structtext.assemble(texts, *read))
    issues += _order(blocks, document)
    return issues

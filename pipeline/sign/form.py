"""What PDF/A and PDF/UA ask of the one form unfolio's PDFs may carry: its signature field.

``pikepdf.pdfa`` does not check interactive forms at all (it reports ``/AcroForm`` as
unsupported), so the gate runs these checks instead (``PDF-SIGNATURE-FORM``) and accepts that
validator finding only because they pass. A form is allowed only as unfolio's signature
writes it: one signature field, merged with its widget, on a page; PDF/A-2/3 §6.4.1 (no
``/NeedAppearances`` true, no XFA), §6.3.2 (Print flag set; Hidden, Invisible, NoView,
ToggleNoView clear), §6.3.3 (an appearance with ``/N`` only); zero size (invisible); and when
the document is tagged, PDF/UA-1 §7.18: ``/TU``, ``/StructParent`` resolving in the parent
tree to a ``Form`` element whose ``OBJR`` is the widget, ``/Tabs /S`` on its page.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pikepdf
import pikepdf.pdfa

_PRINT, _HIDDEN, _INVISIBLE, _NOVIEW, _TOGGLENOVIEW = 4, 2, 1, 32, 256


def _parent_tree_value(tree: pikepdf.Object, key: int) -> pikepdf.Object | None:
    stack = [tree]
    while stack:
        node = stack.pop()
        nums = node.get("/Nums")
        if isinstance(nums, pikepdf.Array):
            for index in range(0, len(nums) - 1, 2):
                if int(nums[index]) == key:
                    return nums[index + 1]
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
    return None


def _tagging(pdf: pikepdf.Pdf, widget: pikepdf.Object, page: pikepdf.Object) -> Iterator[str]:
    struct_root = pdf.Root.get("/StructTreeRoot")
    if struct_root is None:
        return
    if not isinstance(widget.get("/TU"), pikepdf.String) or not str(widget.TU).strip():
        yield "the signature field has no /TU (its accessible name, PDF/UA-1 §7.18.1)"
    if page.get("/Tabs") != pikepdf.Name.S:
        yield "the signature's page has no /Tabs /S (PDF/UA-1 §7.18.3)"
    key = widget.get("/StructParent")
    if not isinstance(key, int):
        yield "the signature widget has no /StructParent (PDF/UA-1 §7.18.1: tagged)"
        return
    tree = struct_root.get("/ParentTree")
    element = _parent_tree_value(tree, int(key)) if tree is not None else None
    if not isinstance(element, pikepdf.Dictionary) or element.get("/S") != pikepdf.Name.Form:
        yield f"the parent tree's entry {int(key)} is not the widget's Form structure element"
        return
    kids = element.get("/K")
    kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    if not any(
        isinstance(kid, pikepdf.Dictionary)
        and kid.get("/Type") == pikepdf.Name.OBJR
        and kid.get("/Obj") is not None
        and kid.Obj.objgen == widget.objgen
        for kid in kids
    ):
        yield "the Form structure element has no OBJR to the signature widget"


def problems(pdf: pikepdf.Pdf) -> Iterator[str]:
    """Everything wrong with the document's form; nothing when it has none."""
    form = pdf.Root.get("/AcroForm")
    if form is None:
        return
    if not isinstance(form, pikepdf.Dictionary):
        yield "/AcroForm is not a dictionary"
        return
    if form.get("/NeedAppearances") is True:
        yield "/AcroForm has /NeedAppearances true (PDF/A §6.4.1)"
    if "/XFA" in form:
        yield "/AcroForm has an XFA form (PDF/A §6.4.2)"
    fields = form.get("/Fields")
    if not isinstance(fields, pikepdf.Array) or len(fields) != 1:
        yield "the form is not exactly one field (unfolio's forms are its signature alone)"
        return
    widget = fields[0]
    if not isinstance(widget, pikepdf.Dictionary) or widget.get("/FT") != pikepdf.Name.Sig:
        yield "the form's field is not a signature field"
        return
    if widget.get("/Subtype") != pikepdf.Name.Widget or "/Kids" in widget:
        yield "the signature field is not merged with its one widget"
        return
    flags = int(widget.get("/F", 0))
    if not flags & _PRINT or flags & (_HIDDEN | _INVISIBLE | _NOVIEW | _TOGGLENOVIEW):
        yield f"the signature widget's /F {flags} must set Print and no hiding flag (§6.3.2)"
    rect = [float(v) for v in widget.get("/Rect", [])]
    if len(rect) != 4 or rect[0] != rect[2] or rect[1] != rect[3]:
        yield f"the signature widget's /Rect {rect} is not zero-size (invisible)"
    appearance = widget.get("/AP")
    if appearance is not None and set(appearance.keys()) != {"/N"}:
        yield "the signature widget's appearance has entries other than /N (§6.3.3)"
    pages = [page for page in pdf.pages if any(
        a.objgen == widget.objgen for a in page.obj.get("/Annots", pikepdf.Array())
    )]  # fmt: skip
    if len(pages) != 1:
        yield "the signature widget is not in the /Annots of exactly one page"
        return
    yield from _tagging(pdf, widget, pages[0].obj)


def without_form(pdf: bytes, validator_flavour: str) -> bytes | None:
    """The file re-saved without its form and the form's widgets, for ``pikepdf.pdfa``; None
    when it has no form. The form is :func:`problems`' to judge; the bytes of the original
    are the gate's ``PDF-SYNTAX`` check's."""
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        form = opened.Root.get("/AcroForm")
        if form is None:
            return None
        fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
        widgets = (
            {f.objgen for f in fields if isinstance(f, pikepdf.Dictionary)}
            if isinstance(fields, pikepdf.Array)
            else set()
        )
        del opened.Root["/AcroForm"]
        for page in opened.pages:
            annots = page.obj.get("/Annots")
            if isinstance(annots, pikepdf.Array):
                kept = [a for a in annots if a.objgen not in widgets]
                if kept:
                    page.obj.Annots = pikepdf.Array(kept)
                else:
                    del page.obj["/Annots"]
        out = io.BytesIO()
        opened.save(
            out, **pikepdf.pdfa.resolve_save_kwargs(validator_flavour, deterministic_id=True)
        )
    return out.getvalue()

"""The PDF's document-level form: only the catalog, page and trailer details unfolio writes.

A viewer obeys more of a PDF than its pages' drawing: ``/PageMode /FullScreen`` or an
``/OpenAction`` decides what a reader sees first, ``/Rotate 180`` turns a page upside down,
``/UserUnit`` rescales it, and none of it changes a character of the text verify compares.
unfolio's writer (WeasyPrint, then :func:`pipeline.typeset.postpass.finish`, then for a
signed PDF :mod:`pipeline.sign.pdf`) writes a fixed set of each, measured on every fixture in
every flavour, 0.1 and 0.2, signed and not (``PDF-FORM``):

- catalog: :data:`CATALOG_KEYS` (``/AcroForm`` only with unfolio's signature), with
  ``/ViewerPreferences`` holding ``/DisplayDocTitle true`` alone and ``/MarkInfo``
  ``/Marked true`` alone;
- each page: :data:`PAGE_KEYS`;
- the trailer's ``/ID``: two strings, the first the hex identifier the render derives from the
  document (:func:`pipeline.typeset.engine.identifier` of its symbol and language: the same
  document keeps it across re-renders). The second is qpdf's digest of the file (or, signed,
  of the unsigned file, the certificate and the time): only reproduction recomputes it;
- the file ends with ``%%EOF`` and one line feed, as qpdf and pyHanko write it.
"""

from __future__ import annotations

import io

import pikepdf

from pipeline.model import Document
from pipeline.typeset import engine
from pipeline.verify.findings import Finding, rule

FORM = rule(
    "PDF-FORM",
    "error",
    "the catalog, pages and trailer hold only what unfolio writes (no page mode, rotation, "
    "action…), /ID[0] is the document's, the file ends '%%EOF' LF",
)

CATALOG_KEYS = frozenset(
    {
        "/Type",
        "/Pages",
        "/Metadata",
        "/OutputIntents",
        "/Outlines",
        "/Lang",
        "/Names",
        "/AF",
        "/MarkInfo",
        "/ViewerPreferences",
        "/StructTreeRoot",
    }
)
SIGNED_CATALOG_KEYS = frozenset({"/AcroForm"})
PAGE_KEYS = frozenset(
    {
        "/Type",
        "/Parent",
        "/Contents",
        "/Resources",
        "/MediaBox",
        "/TrimBox",
        "/BleedBox",
        "/Annots",
        "/Tabs",
        "/StructParents",
    }
)
_PLAIN = {"/ViewerPreferences": {"/DisplayDocTitle": True}, "/MarkInfo": {"/Marked": True}}


def check(pdf: bytes, document: Document, path: str, *, signature_allowed: bool) -> list[Finding]:
    """Every document-level detail of ``pdf`` unfolio does not write, in one finding."""
    problems = []
    if not pdf.endswith(b"%%EOF\n"):
        problems.append("the file does not end with '%%EOF' and one line feed")
    try:
        opened = pikepdf.open(io.BytesIO(pdf))
    except Exception:  # unreadable: the gate's PDF-SYNTAX names it
        return [FORM(path, "; ".join(problems))] if problems else []
    with opened:
        allowed = CATALOG_KEYS | (SIGNED_CATALOG_KEYS if signature_allowed else frozenset())
        extra = sorted(set(opened.Root.keys()) - allowed)
        if extra:
            problems.append(f"catalog keys unfolio never writes: {', '.join(extra)}")
        for key, plain in _PLAIN.items():
            value = opened.Root.get(key)
            if value is not None and not (
                isinstance(value, pikepdf.Dictionary)
                and {k: bool(v) if isinstance(v, bool) else v for k, v in value.items()} == plain
            ):
                problems.append(f"catalog {key} is not {plain}")
        for number, page in enumerate(opened.pages, 1):
            extra = sorted(set(page.obj.keys()) - PAGE_KEYS)
            if extra:
                problems.append(f"page {number} has keys unfolio never writes: {', '.join(extra)}")
                break
        ids = opened.trailer.get("/ID")
        first = engine.identifier(document.symbol, document.language)
        if not (
            isinstance(ids, pikepdf.Array)
            and len(ids) == 2
            and all(isinstance(i, pikepdf.String) for i in ids)
            and bytes(ids[0]) == first
            and len(bytes(ids[1])) in (16, 32)
        ):
            problems.append(
                f"the trailer /ID does not begin with the document's identifier {first.decode()}"
            )
    return [FORM(path, "; ".join(problems))] if problems else []

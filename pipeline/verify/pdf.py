"""The bagged PDF, checked again: the typesetting gate, the PDF/A claim and the page-1 masthead.

The gate (:mod:`pipeline.typeset.gate`) already ran when the bag was built, but a bag is
verified years later, by someone who did not build it, and the PDF may have been swapped for
another valid PDF/A with matching manifests. So every gate check runs again against the
document the bag's own ``document.json`` describes, under the same ``PDF-…`` codes, and the
masthead of page 1 is read back: the symbol, the organ names and the distribution block must
be printed in the masthead area, not merely somewhere in the file.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import Counter
from pathlib import Path

import pikepdf
import pypdfium2

from pipeline import locale
from pipeline.model import Document
from pipeline.typeset import (
    DEFAULT_FLAVOUR,
    FLAVOURS,
    Flavour,
    gate,
    is_tagged,
    tagcheck,
    textcheck,
)
from pipeline.typeset.layout import masthead_organ
from pipeline.verify import pdf_form
from pipeline.verify.findings import Finding, Rule, rule
from pipeline.verify.layouts import LAYOUT_1, LAYOUT_2

GATE_RULES: dict[str, Rule] = {
    code: rule(code, "error", summary)
    for code, summary in (
        (
            "PDF-SYNTAX",
            "the PDF opens (pikepdf/qpdf) without repair, header first and trailer last",
        ),
        ("PDF-ENCRYPTED", "the PDF is not encrypted"),
        ("PDF-PDFA-VALIDATOR", "pikepdf.pdfa finds nothing beyond its documented limits"),
        ("PDF-FONT-EMBEDDED", "every font carries its program"),
        ("PDF-TOUNICODE", "every font maps its glyphs to Unicode"),
        ("PDF-JAVASCRIPT", "no JavaScript and no triggered actions"),
        ("PDF-EXTERNAL-REF", "nothing refers outside the file"),
        ("PDF-ATTACHMENTS", "embedded files are exactly the source the flavour embeds"),
        ("PDF-METADATA", "XMP and Info describe this document and flavour"),
        ("PDF-XMP-EXTENSION", "custom XMP properties are declared in an extension schema"),
        ("PDF-TEXT-ROUNDTRIP", "the text extracted from the PDF contains the source text"),
        ("PDF-TEXT-OFFPAGE", "no text is drawn outside its page"),
        (
            "PDF-TEXT-EXACT",
            "the text drawn is exactly what unfolio prints from document.json and the parts",
        ),
        ("PDF-TEXT-ORDER", "the text is read in the source's order, exactly"),
        ("PDF-REVISIONS", "one revision (two with a signature): no incremental update"),
        ("PDF-LINKS", "the link annotations are the source's links, on their link text"),
        ("PDF-DRAWING", "one content stream per page, unfolio's operators, nothing white"),
        (
            "PDF-TEXT-HIDDEN",
            "every glyph drawn is visible: not painted over, clipped, invisible or tiny",
        ),
        ("PDF-ACTUALTEXT", "replacement and alternative text are only what the template writes"),
        ("PDF-OUTLINE", "the bookmarks are the headings the source prints, in order"),
        (
            "PDF-SIGNATURE-FORM",
            "the only form is unfolio's signature field, as PDF/A and PDF/UA want it",
        ),
        ("PDF-TAGS-CATALOG", "a tagged PDF is marked, has a structure tree, shows its title"),
        ("PDF-TAGS-LANG", "the catalog /Lang is the version's language; every /Lang a tag"),
        ("PDF-TAGS-LANG-SPAN", "text in another script than its language has its own /Lang"),
        ("PDF-TAGS-TREE", "structure tree and parent tree agree"),
        ("PDF-TAGS-ROLEMAP", "every structure type is standard or role-mapped to one"),
        ("PDF-TAGS-ROLES", "standard structure types in table and list syntax; TH Scope"),
        ("PDF-TAGS-PLACEMENT", "Links hold their annotation, notes follow their calls"),
        ("PDF-TAGS-CONTENT", "all content is tagged or an artifact, never nested in the other"),
        ("PDF-TAGS-ANNOTATIONS", "every annotation is in the structure, links with /Contents"),
        ("PDF-TAGS-FIGURE", "every Figure has alternative text"),
        ("PDF-TAGS-HEADINGS", "heading levels start at H1 and skip none"),
        ("PDF-TAGS-ORDER", "the structure reads the masthead first"),
        ("PDF-TAGS-GLYPH-UNICODE", "every glyph drawn maps to real Unicode text"),
        ("PDF-TAGS-GLYPH-WIDTH", "glyph widths in the font dictionary match the font program"),
        ("PDF-TAGS-GLYPH-PROGRAM", "CIDToGIDMap, CIDSet, no .notdef: each glyph in its program"),
    )
}
assert set(GATE_RULES) == set(gate.CODES), "every gate code is a verify rule"
assert all(code in GATE_RULES for code in tagcheck.CODES)
MAX_INFLATED_BYTES = 256 * 2**20
"""Bytes all the PDF's streams may inflate to (unfolio's largest PDFs hold a few MiB)."""
TOO_LARGE = rule(
    "PDF-TOO-LARGE", "error", "the PDF's streams inflate to at most 256 MiB (no stream bomb)"
)
PDFA_CLAIM = rule("PDF-PDFA-CLAIM", "error", "the PDF claims a PDF/A part and level unfolio writes")
MASTHEAD = rule(
    "PDF-MASTHEAD", "error", "page 1's masthead prints the symbol, organs and distribution block"
)

#: The masthead area of page 1, as a fraction of the page height from the top. The masthead,
#: the session block and the title end well above it on every fixture (measured: about 0.33 of
#: a Letter page for a joint document with two agenda items); the body text starts below.
MASTHEAD_BAND = 0.45
SOURCE_DIR = "data/objects/source"


def claimed_flavour(pdf: bytes) -> tuple[Flavour | None, str]:
    """The PDF/A flavour the XMP ``pdfaid`` claims, or None and why not."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as opened, opened.open_metadata() as meta:
            part = str(meta.get("pdfaid:part", "") or "")
            conformance = str(meta.get("pdfaid:conformance", "") or "")
    except Exception as exc:  # a damaged file is reported by PDF-SYNTAX as well
        return None, f"cannot read its XMP: {type(exc).__name__}: {exc}"
    flavour = f"{part}{conformance.lower()}"
    if flavour in FLAVOURS:
        return flavour, ""  # type: ignore[return-value]
    return None, f"XMP claims pdfaid part {part!r} conformance {conformance!r}"


def inflated_size(pdf: bytes, limit: int) -> int | None:
    """Bytes the PDF's Flate streams inflate to, counted in bounded chunks; None past ``limit``.

    Reading a page decodes its content streams whole (pdfium, pikepdf), so a 0.5 MB file that
    inflates to gigabytes would cost gigabytes of memory: it is measured first, never held.
    """
    total = 0
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        for obj in opened.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            filters = obj.get("/Filter")
            first = filters[0] if isinstance(filters, pikepdf.Array) and len(filters) else filters
            if first != pikepdf.Name.FlateDecode:
                total += len(obj.read_raw_bytes())
                continue
            inflater = zlib.decompressobj()
            data = obj.read_raw_bytes()
            while data and total <= limit:
                try:
                    chunk = inflater.decompress(data, 1 << 20)
                except zlib.error:
                    break  # a broken stream: PDF-SYNTAX and the validator say so
                total += len(chunk)
                data = inflater.unconsumed_tail
            if total > limit:
                return None
    return total


def check_pdf(
    pdf: bytes,
    document: Document,
    path: str,
    *,
    creator: str | None = None,
    layout: int | None = LAYOUT_2,
    styles: Path | None = None,
) -> tuple[Flavour | None, list[Finding]]:
    """The flavour the PDF claims and every finding on it, each naming ``path``.

    ``creator`` is the release that wrote the bag (its PDF names it), default this one. A
    bag of ``layout`` 2 or later (this release) gets the exact-content checks and, for a
    tagged flavour, the ``PDF-TAGS-…`` checks; a layout-1 bag, written by unfolio 0.1, is
    judged as 0.1 judged it: the round trip alone, and no tagged flavour existed.
    ``styles`` is the overlay whose template printed the PDF (``--config``).
    """
    try:
        inflated = inflated_size(pdf, MAX_INFLATED_BYTES)
    except Exception:  # unreadable: the gate's PDF-SYNTAX names it
        inflated = 0
    if inflated is None:
        message = (
            f"its streams inflate to more than {MAX_INFLATED_BYTES // 2**20} MiB (a "
            "decompression bomb?); the other PDF checks were not run"
        )
        return None, [TOO_LARGE(path, message)]
    flavour, why = claimed_flavour(pdf)
    findings = []
    if flavour is None:
        # every other check still runs (all failures, not the first), as for the default flavour
        findings.append(
            PDFA_CLAIM(
                path,
                f"not a PDF/A flavour unfolio writes: {why}; the other PDF checks ran as for "
                f"PDF/A-{DEFAULT_FLAVOUR}",
            )
        )
    if layout == LAYOUT_1:
        findings += _tagged_in_layout_1(pdf, flavour, path)
    checked = flavour or DEFAULT_FLAVOUR
    findings += [
        _finding(f, path)
        for f in gate.check(
            pdf,
            document,
            checked,
            creator=creator,
            tags=is_tagged(checked) and layout != LAYOUT_1,
            exact=layout != LAYOUT_1,
            signature_allowed=layout != LAYOUT_1,  # unfolio 0.1 never signed
            styles=styles,
            painting=True,
        )
    ]
    findings += check_masthead(pdf, document, path)
    findings += pdf_form.check(pdf, document, path, signature_allowed=layout != LAYOUT_1)
    return flavour, findings


def _tagged_in_layout_1(pdf: bytes, flavour: Flavour | None, path: str) -> list[Finding]:
    """unfolio 0.1 wrote untagged PDFs only (2b, 2u, 3b, 3u): a tagged flavour or a structure
    tree in a bag that names 0.1 is a newer PDF relabelled, to be judged by laxer rules."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            tree = "/StructTreeRoot" in opened.Root or "/MarkInfo" in opened.Root
    except Exception:  # unreadable: PDF-SYNTAX says so
        return []
    if not (tree or (flavour is not None and is_tagged(flavour))):
        return []
    what = f"claims PDF/A-{flavour}" if flavour and is_tagged(flavour) else "has a structure tree"
    message = (
        f"the PDF {what}, but the bag names unfolio 0.1, which wrote untagged PDFs only "
        "(2b, 2u, 3b, 3u): a newer PDF in a bag relabelled as 0.1"
    )
    return [PDFA_CLAIM(path, message)]


def _finding(found: gate.Finding, path: str) -> Finding:
    """A gate finding as a verify finding. One that points at a source file ("source NAME":
    the part whose text the PDF draws more of, document.json for a furniture value) names that
    file and says the PDF disagrees; any other names the PDF."""
    if found.where.startswith("source "):
        name = found.where.removeprefix("source ")
        return GATE_RULES[found.code](f"{SOURCE_DIR}/{name}", f"{found.message} (in {path})")
    message = f"{found.where}: {found.message}" if found.where else found.message
    return GATE_RULES[found.code](path, message)


def masthead_items(document: Document) -> list[tuple[str, str]]:
    """What page 1's masthead must print: (what, text as printed)."""
    loc = locale.get(document.language)
    items = [("symbol", symbol.text) for symbol in document.symbols]
    items += [("organ", loc.organ_masthead_name(masthead_organ(o.organ))) for o in document.organs]
    distribution, date, version, original = loc.distribution_block(
        document.distribution,
        document.date,
        document.original_languages,
        document.is_original_version,
    )
    items += [("distribution", distribution), ("date", date), ("original", original)]
    if version:  # blank in an original-language version
        items.append(("version language", version))
    return items


def _masthead_text(pdf: bytes) -> str:
    opened = pypdfium2.PdfDocument(pdf)
    try:
        page = opened[0]
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            return textpage.get_text_bounded(0, height * (1 - MASTHEAD_BAND), width, height)
        finally:
            textpage.close()
            page.close()
    finally:
        opened.close()


def check_masthead(pdf: bytes, document: Document, path: str) -> list[Finding]:
    """Each masthead item must be found in the top band of page 1.

    Left-to-right text is compared as a whole after :func:`textcheck.normalise`. In a
    right-to-left masthead pdfium returns a line that mixes directions in visual order
    ("A/76/9102" beside Arabic comes out as "/76/9102A", "الجمعية العامة" as "العامة الجمعية"),
    so there an item must be found within one line of the band as a multiset of characters.
    """
    try:
        band = _masthead_text(pdf)
    except Exception as exc:  # unreadable page: say so, never pass
        return [MASTHEAD(path, f"page 1 cannot be read: {type(exc).__name__}: {exc}")]
    if document.language in textcheck.RIGHT_TO_LEFT:
        lines = [Counter(textcheck.normalise(line)) for line in band.splitlines()]

        def printed(text: str) -> bool:
            wanted = Counter(textcheck.normalise(text))
            return any(wanted <= line for line in lines)

    else:
        found = textcheck.normalise(band)

        def printed(text: str) -> bool:
            return textcheck.normalise(text) in found

    missing = [f"{what} {text!r}" for what, text in masthead_items(document) if not printed(text)]
    if not missing:
        return []
    shown = re.sub(r"\s+", " ", band).strip()[:120]
    return [
        MASTHEAD(
            path,
            f"page 1's masthead lacks {', '.join(missing)} (top of page 1 reads {shown!r})",
        )
    ]

"""The PDF/A gate: nothing leaves the typesetter unless every check passes.

A failed gate is a fault of unfolio (its templates, fonts or post-pass), not of the user's
input, so :func:`enforce` raises :class:`GateFailed` (exit code 1), never a ``UserError``.

Checks, each with a stable code (``unfolio verify`` reports the same codes):

``PDF-SYNTAX``          pikepdf (qpdf) opens the file without repairing it; it begins with its
                        header and nothing follows the last ``%%EOF``.
``PDF-ENCRYPTED``       no encryption (PDF/A forbids it; an archive must read the file forever).
``PDF-PDFA-VALIDATOR``  ``pikepdf.pdfa.validate_written`` at the b level of the flavour;
                        every finding fails except those in :data:`VALIDATOR_LIMITS`.
``PDF-FONT-EMBEDDED``   every font except Type 3 carries its font program.
``PDF-TOUNICODE``       every font has a ``/ToUnicode`` CMap with mappings (the "u" promise).
``PDF-JAVASCRIPT``      no JavaScript and no trigger (``/AA``) anywhere.
``PDF-EXTERNAL-REF``    nothing refers outside the file: no Launch, GoToR, GoToE, ImportData,
                        SubmitForm actions, no file specification without embedded data, no
                        external stream data, no reference XObjects, and URI actions only to
                        ``http``, ``https`` or ``mailto`` (the document's own links).
``PDF-ATTACHMENTS``     the embedded files are exactly the source files the flavour embeds
                        (3b/3u: ``document.json`` as Data, the parts as Source; 2b/2u: none),
                        byte for byte, each listed once in the catalog ``/AF``: a file the
                        renderer picked up by itself (``<link rel=attachment>``) fails here.
``PDF-METADATA``        XMP and Info say what the post-pass writes for this document and
                        flavour (identifier, title, dates from the masthead, ``pdfaid``…),
                        and nothing else.
``PDF-XMP-EXTENSION``   every XMP property outside the PDF/A predefined schemas is declared in
                        the packet's own PDF/A extension schema, with a value of its type.
``PDF-TEXT-ROUNDTRIP``  the extracted text contains the source text (:mod:`.textcheck`).
``PDF-SIGNATURE-FORM``  the only form allowed is unfolio's signature field, as PDF/A and PDF/UA
                        want it (:mod:`pipeline.sign.form`). ``pikepdf.pdfa`` checks no forms,
                        so it is given the signed file without its form.
``PDF-TEXT-OFFPAGE``    no text is drawn outside its page's box: a layout that overflows the
                        page (a very wide table, a footnote longer than a page) still
                        extracts, so the round trip alone would pass it.
``PDF-TAGS-…``          for the tagged flavours (2a, 3a): the PDF/UA-1 and PDF/A level A checks
                        of :mod:`.tagcheck`; the round trip then reads the text in structure
                        order (:mod:`.structtext`), as a screen reader does.
``PDF-TEXT-EXACT``      the text drawn is exactly what unfolio prints from the document, both
                        ways, furniture included (:mod:`.exacttext`): a renderer that drops or
                        duplicates text fails here.
``PDF-TEXT-ORDER``      the text is in the source's order, exactly (:mod:`.ordertext`): each
                        block of the body and each footnote is drawn in order with no gap but
                        at a page break; tagged, the structure tree also reads what unfolio
                        prints, character for character, block for block. A renderer that
                        reorders text fails here.
``PDF-REVISIONS``       one revision (two with unfolio's own signature) (:mod:`.drawing`).
``PDF-LINKS``           the link annotations are exactly the source's links, on their text.
``PDF-DRAWING``         one content stream per page, only operators unfolio's pages use, no
                        images, nothing painted in white.
``PDF-TEXT-HIDDEN``     every letter and digit drawn is visible: no path painted on it, no clip
                        cutting it off, render mode 0, not scaled to nothing (:mod:`.visibility`);
                        every page box equals the MediaBox (``PDF-TEXT-OFFPAGE``).
``PDF-ACTUALTEXT``      replacement and alternative text is only what the template writes, and
                        no content stream carries any (:mod:`.readtext`).
``PDF-OUTLINE``         the bookmarks are the headings the template prints, in order.

The last eight are the exact-content checks; ``exact=False`` leaves them out (bags written by
unfolio 0.1.x are judged by the round trip alone). They read the first revision: what a
signature revision adds is the signature checks' to judge.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pikepdf.pdfa
from lxml import etree

from pipeline.model import Document
from pipeline.typeset import (
    drawing,
    exacttext,
    is_tagged,
    ordertext,
    postpass,
    readtext,
    structtext,
    tagcheck,
    textcheck,
    visibility,
)
from pipeline.typeset.postpass import NAMESPACES, RDF, Bag, Flavour, LangAlt, Seq, XmpValue

CODES = (
    "PDF-SYNTAX",
    "PDF-ENCRYPTED",
    "PDF-PDFA-VALIDATOR",
    "PDF-FONT-EMBEDDED",
    "PDF-TOUNICODE",
    "PDF-JAVASCRIPT",
    "PDF-EXTERNAL-REF",
    "PDF-ATTACHMENTS",
    "PDF-METADATA",
    "PDF-XMP-EXTENSION",
    "PDF-TEXT-ROUNDTRIP",
    "PDF-TEXT-OFFPAGE",
    "PDF-TEXT-EXACT",
    "PDF-TEXT-ORDER",
    "PDF-REVISIONS",
    "PDF-LINKS",
    "PDF-DRAWING",
    "PDF-TEXT-HIDDEN",
    "PDF-ACTUALTEXT",
    "PDF-OUTLINE",
    "PDF-SIGNATURE-FORM",
    *tagcheck.CODES,
)


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.code}: {self.where + ': ' if self.where else ''}{self.message}"


class GateFailed(Exception):
    """The written PDF is not the PDF/A it must be: a build failure (exit code 1)."""

    exit_code = 1

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("PDF/A gate failed:\n" + "\n".join(f"  {f}" for f in self.findings))


# -- limits of pikepdf.pdfa ---------------------------------------------------------------

_EXTENSION_SCHEMA_NS = tuple(NAMESPACES[p] for p in ("pdfaExtension", "pdfaSchema", "pdfaProperty"))


@dataclass(frozen=True)
class ValidatorLimit:
    """A ``pikepdf.pdfa`` finding that is a limit of that validator, not a fault of the file."""

    rule: str  # the rule id without its ``ISO_19005_n:`` part
    message: re.Pattern[str]
    applies: Callable[[re.Match[str], str], bool]  # (message match, flavour)
    covered_by: tuple[str, ...]  # the project checks that verify what the validator cannot
    why: str


def _our_namespace(match: re.Match[str], flavour: str) -> bool:
    declared = tuple(schema.namespace for schema in postpass.extension_schemas())
    return match["uri"] in (*declared, *_EXTENSION_SCHEMA_NS)


def _our_property(match: re.Match[str], flavour: str) -> bool:
    prefix, name = match["prefix"], match["name"]
    declared = tuple(schema.prefix for schema in postpass.extension_schemas())
    return prefix in declared or (prefix, name) == ("pdfaExtension", "schemas")


# The ONE list of validator findings the gate accepts. Everything else fails the build.
VALIDATOR_LIMITS: tuple[ValidatorLimit, ...] = (
    ValidatorLimit(
        rule="6.6.4-3",
        message=re.compile(r"pdfaid:conformance is 'U', expected 'B'"),
        applies=lambda _m, flavour: flavour.endswith("u"),
        covered_by=("PDF-TOUNICODE", "PDF-TEXT-ROUNDTRIP", "PDF-METADATA"),
        why="pikepdf.pdfa knows only level B; a u file declares U. Level U adds that every "
        "glyph maps to Unicode, which PDF-TOUNICODE and PDF-TEXT-ROUNDTRIP check, and "
        "PDF-METADATA checks the declared letter is the flavour's.",
    ),
    ValidatorLimit(
        rule="6.6.4-3",
        message=re.compile(r"pdfaid:conformance is 'A', expected 'B'"),
        applies=lambda _m, flavour: is_tagged(flavour),
        covered_by=("PDF-TOUNICODE", "PDF-TEXT-ROUNDTRIP", "PDF-METADATA", *tagcheck.CODES),
        why="pikepdf.pdfa knows only level B; a 2a/3a file declares A. Level A adds level U "
        "(PDF-TOUNICODE, PDF-TEXT-ROUNDTRIP) and a logical structure (ISO 19005-2 6.7), which "
        "the PDF-TAGS-… checks of pipeline.typeset.tagcheck verify.",
    ),
    ValidatorLimit(
        rule="6.6.2.3.1-1",
        message=re.compile(r"XMP namespace (?P<prefix>\S+?)=(?P<uri>\S+) is not permitted"),
        applies=_our_namespace,
        covered_by=("PDF-XMP-EXTENSION",),
        why="pikepdf.pdfa does not read PDF/A extension schemas, so it refuses the un: "
        "namespace and the extension schema's own namespaces, which PDF/A permits.",
    ),
    ValidatorLimit(
        rule="6.6.2.3.1-1",
        message=re.compile(r"XMP property (?P<prefix>[^:\s]+):(?P<name>\S+) is not permitted"),
        applies=_our_property,
        covered_by=("PDF-XMP-EXTENSION",),
        why="the same limit, reported per property: un: properties and pdfaExtension:schemas.",
    ),
)


def _is_limit(finding: pikepdf.pdfa.Finding, flavour: str) -> bool:
    rule = finding.rule.partition(":")[2]
    for limit in VALIDATOR_LIMITS:
        match = limit.message.fullmatch(finding.message) if rule == limit.rule else None
        if match and limit.applies(match, flavour):
            return True
    return False


def _validator(pdf: bytes, flavour: Flavour) -> Iterator[Finding]:
    from pipeline.sign import form  # a signed file: its form is PDF-SIGNATURE-FORM's to judge

    level = postpass.validator_flavour(flavour)
    report = pikepdf.pdfa.validate_written(io.BytesIO(form.without_form(pdf, level) or pdf), level)
    for f in report.findings:
        if not _is_limit(f, flavour):
            yield Finding("PDF-PDFA-VALIDATOR", f"[{f.kind}] {f.rule}: {f.message}", f.where)


# -- a walk over every dictionary ---------------------------------------------------------


_CONTAINERS = (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)


def _dictionaries(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    """Every dictionary and stream of the file, direct ones included, with where it is."""

    def nested(obj: pikepdf.Object, where: str) -> Iterator[tuple[str, pikepdf.Object]]:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            yield where, obj
            children = obj.items()
        elif isinstance(obj, pikepdf.Array):
            children = ((f"[{i}]", v) for i, v in enumerate(obj))
        else:
            return
        for key, child in children:
            if isinstance(child, _CONTAINERS) and not child.is_indirect:  # indirect: own visit
                yield from nested(child, f"{where} {key}")

    for obj in pdf.objects:
        if isinstance(obj, _CONTAINERS):
            yield from nested(obj, f"obj {obj.objgen[0]} {obj.objgen[1]}")


def _name(obj: pikepdf.Dictionary | pikepdf.Stream, key: str) -> str | None:
    value = obj.get(key)
    return str(value) if isinstance(value, pikepdf.Name) else None


_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_NEEDS_PROGRAM = {"/Type1", "/MMType1", "/TrueType", "/CIDFontType0", "/CIDFontType2"}
_NEEDS_TOUNICODE = {"/Type0", "/Type1", "/MMType1", "/TrueType", "/Type3"}
_REMOTE_ACTIONS = {"/Launch", "/GoToR", "/GoToE", "/ImportData", "/SubmitForm"}
_LINK_SCHEMES = ("http:", "https:", "mailto:")
_CMAP_MAPPING = re.compile(rb"\bbegin(bfchar|bfrange)\b")


def _font(font: pikepdf.Dictionary, where: str) -> Iterator[Finding]:
    subtype = _name(font, "/Subtype")
    label = f"{where} ({subtype} {font.get('/BaseFont', '')})"
    if subtype in _NEEDS_PROGRAM:
        descriptor = font.get("/FontDescriptor")
        if not (
            isinstance(descriptor, pikepdf.Dictionary)
            and any(isinstance(descriptor.get(k), pikepdf.Stream) for k in _FONT_FILES)
        ):
            yield Finding("PDF-FONT-EMBEDDED", "font program not embedded", label)
    if subtype in _NEEDS_TOUNICODE:
        cmap = font.get("/ToUnicode")
        if not isinstance(cmap, pikepdf.Stream):
            yield Finding("PDF-TOUNICODE", "font has no /ToUnicode CMap", label)
        elif not _CMAP_MAPPING.search(cmap.read_bytes()):
            yield Finding("PDF-TOUNICODE", "/ToUnicode CMap maps no character", label)


def _action(action: pikepdf.Dictionary, where: str) -> Iterator[Finding]:
    kind = _name(action, "/S")
    if kind == "/JavaScript" or "/JS" in action:
        yield Finding("PDF-JAVASCRIPT", "JavaScript action", where)
    elif kind in _REMOTE_ACTIONS:
        yield Finding("PDF-EXTERNAL-REF", f"{kind[1:]} action refers outside the file", where)
    elif kind == "/URI":
        uri = action.get("/URI")
        text = bytes(uri).decode("latin-1") if isinstance(uri, pikepdf.String) else ""
        if not text.lower().startswith(_LINK_SCHEMES):
            yield Finding("PDF-EXTERNAL-REF", f"URI action to {text[:80]!r}", where)


def _structure(pdf: pikepdf.Pdf) -> tuple[list[Finding], list[tuple[str, pikepdf.Object]]]:
    """Fonts, actions, external references; also returns every embedded file spec."""
    findings: list[Finding] = []
    embedded: list[tuple[str, pikepdf.Object]] = []
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        findings.append(Finding("PDF-JAVASCRIPT", "document-level JavaScript", "/Names"))
    for where, obj in _dictionaries(pdf):
        kind = _name(obj, "/Type")
        if kind == "/Font":
            findings.extend(_font(obj, where))
        if "/AA" in obj:
            findings.append(Finding("PDF-JAVASCRIPT", "additional actions (/AA)", where))
        if kind in (None, "/Action") and ("/JS" in obj or _name(obj, "/S") is not None):
            findings.extend(_action(obj, where))
        file_system = obj.get("/FS")
        if "/EF" in obj:
            embedded.append((where, obj))
        elif (
            kind == "/Filespec"
            or isinstance(file_system, pikepdf.String)
            or (isinstance(file_system, pikepdf.Dictionary) and "/EF" not in file_system)
        ):
            findings.append(Finding("PDF-EXTERNAL-REF", "file specification without data", where))
        if isinstance(obj, pikepdf.Stream) and "/F" in obj and kind != "/EmbeddedFile":
            findings.append(Finding("PDF-EXTERNAL-REF", "stream data in an external file", where))
        if _name(obj, "/Subtype") == "/Form" and "/Ref" in obj:
            findings.append(Finding("PDF-EXTERNAL-REF", "reference XObject", where))
    return findings, embedded


def _attachments(
    pdf: pikepdf.Pdf,
    embedded: list[tuple[str, pikepdf.Object]],
    document: Document,
    flavour: Flavour,
) -> Iterator[Finding]:
    expected = {a.name: a for a in postpass.attachments(document, flavour)}
    date = postpass.pdf_date(document.date)
    seen: set[str] = set()
    for where, spec in embedded:
        name = str(spec.get("/UF", spec.get("/F", "")))
        item = expected.get(name)
        if item is None or name in seen:
            what = "a second copy of" if name in seen else "unexpected"
            yield Finding("PDF-ATTACHMENTS", f"{what} embedded file {name[:80]!r}", where)
            continue
        seen.add(name)
        stream = spec.EF.get("/F")
        if not isinstance(stream, pikepdf.Stream) or stream.read_bytes() != item.data:
            yield Finding("PDF-ATTACHMENTS", f"{name}: content differs from the source", where)
            continue
        params = stream.get("/Params", pikepdf.Dictionary())
        got = (
            _name(stream, "/Subtype"),
            _name(spec, "/AFRelationship"),
            str(params.get("/CreationDate", "")),
            str(params.get("/ModDate", "")),
        )
        want = ("/" + item.mime_type, str(item.relationship), date, date)
        if got != want:
            yield Finding(
                "PDF-ATTACHMENTS", f"{name}: (type, relationship, dates) {got} != {want}", where
            )
    for name in sorted(expected.keys() - seen):
        yield Finding("PDF-ATTACHMENTS", f"source file {name} is not embedded")
    af = pdf.Root.get("/AF", pikepdf.Array())
    listed = (
        [str(s.get("/UF", s.get("/F", ""))) for s in af] if isinstance(af, pikepdf.Array) else []
    )
    if sorted(listed) != sorted(expected):
        yield Finding("PDF-ATTACHMENTS", f"catalog /AF lists {listed}, expected {sorted(expected)}")


# -- XMP ----------------------------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_R = f"{{{RDF}}}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Namespaces of the schemas PDF/A-2 and -3 predefine (XMP 2005), which need no declaration.
_PREDEFINED = frozenset(
    {
        NAMESPACES["dc"],
        NAMESPACES["xmp"],
        NAMESPACES["pdf"],
        NAMESPACES["pdfaid"],
        "http://ns.adobe.com/xap/1.0/rights/",
        "http://ns.adobe.com/xap/1.0/mm/",
        "http://ns.adobe.com/xap/1.0/bj/",
        "http://ns.adobe.com/xap/1.0/t/pg/",
        "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
        "http://ns.adobe.com/photoshop/1.0/",
        "http://ns.adobe.com/camera-raw-settings/1.0/",
        "http://ns.adobe.com/exif/1.0/",
        "http://ns.adobe.com/exif/1.0/aux/",
        "http://ns.adobe.com/tiff/1.0/",
        *_EXTENSION_SCHEMA_NS,
    }
)
_FORMS = {"Seq": Seq, "Bag": Bag}


def _read_value(element: etree._Element) -> XmpValue | None:
    """A property element as an XmpValue (None for a form this gate does not expect)."""
    children = list(element)
    if not children:
        return element.text or ""
    if len(children) != 1:
        return None
    array = children[0]
    kind = etree.QName(array).localname if array.tag.startswith(_R) else None
    items = [li for li in array if li.tag == f"{_R}li"]
    if kind == "Alt":
        return LangAlt(tuple((li.get(_XML_LANG, ""), li.text or "") for li in items))
    if kind in _FORMS and all(len(li) == 0 for li in items):
        return _FORMS[kind](tuple(li.text or "" for li in items))
    return None


def _xmp_properties(root: etree._Element) -> dict[tuple[str, str], etree._Element | str]:
    props: dict[tuple[str, str], etree._Element | str] = {}
    for desc in root.iter(f"{_R}Description"):
        if desc.getparent() is None or desc.getparent().tag != f"{_R}RDF":
            continue
        for key, value in desc.attrib.items():
            qname = etree.QName(key)
            if qname.namespace not in (RDF, None):
                props[(qname.namespace, qname.localname)] = value
        for child in desc:
            qname = etree.QName(child)
            props[(qname.namespace or "", qname.localname)] = child
    return props


def _value(raw: etree._Element | str) -> XmpValue | None:
    return raw if isinstance(raw, str) else _read_value(raw)


def _declared(root: etree._Element) -> dict[str, tuple[str, dict[str, str]]]:
    """The packet's extension schemas: namespace → (prefix, {property name: valueType})."""
    ns = {"pdfaExtension": NAMESPACES["pdfaExtension"], "pdfaSchema": NAMESPACES["pdfaSchema"],
          "pdfaProperty": NAMESPACES["pdfaProperty"], "rdf": RDF}  # fmt: skip
    result: dict[str, tuple[str, dict[str, str]]] = {}
    for schema in root.xpath("//pdfaExtension:schemas/rdf:Bag/rdf:li", namespaces=ns):
        uri = "".join(schema.xpath("pdfaSchema:namespaceURI/text()", namespaces=ns))
        prefix = "".join(schema.xpath("pdfaSchema:prefix/text()", namespaces=ns))
        types: dict[str, str] = {}
        for prop in schema.xpath("pdfaSchema:property/rdf:Seq/rdf:li", namespaces=ns):
            fields = {
                f: "".join(prop.xpath(f"pdfaProperty:{f}/text()", namespaces=ns))
                for f in ("name", "valueType", "category", "description")
            }
            if all(fields.values()) and fields["category"] in ("internal", "external"):
                types[fields["name"]] = fields["valueType"]
        result[uri] = (prefix, types)
    return result


def _fits(value: XmpValue | None, value_type: str) -> bool:
    if value_type in ("Text", "URI", "URL", "Date", "Integer", "Boolean", "MIMEType"):
        return isinstance(value, str)
    if value_type == "Lang Alt":
        return isinstance(value, LangAlt)
    kind, _, item = value_type.partition(" ")
    return item in ("Text", "URI", "Date") and isinstance(value, _FORMS.get(kind, ()))


def _xmp(
    pdf: pikepdf.Pdf, document: Document, flavour: Flavour, creator: str | None
) -> Iterator[Finding]:
    metadata = pdf.Root.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        yield Finding("PDF-METADATA", "no XMP metadata stream")
        return
    try:
        root = etree.fromstring(metadata.read_bytes(), _PARSER)
    except etree.XMLSyntaxError as exc:
        yield Finding("PDF-METADATA", f"XMP is not well-formed: {exc}")
        return
    props = _xmp_properties(root)
    info = pdf.trailer.get("/Info", pikepdf.Dictionary())
    producer = info.get("/Producer") if isinstance(info, pikepdf.Dictionary) else None
    raw_producer = str(producer).rpartition("; pikepdf ")[0] if producer is not None else None
    expected = postpass.xmp_properties(document, flavour, raw_producer or None, creator)
    # PDF-METADATA: exactly the properties the post-pass writes, with its values
    for key, want in expected.items():
        got = _value(props[key]) if key in props else None
        if got != want:
            yield Finding("PDF-METADATA", f"XMP {key[1]} ({key[0]}) is {got!r}, expected {want!r}")
    for key in props.keys() - expected.keys() - {(NAMESPACES["pdfaExtension"], "schemas")}:
        yield Finding("PDF-METADATA", f"unexpected XMP property {key[1]} ({key[0]})")
    want_info = postpass.info_entries(document, raw_producer or None, creator)
    got_info = (
        {str(k): str(v) for k, v in info.items()} if isinstance(info, pikepdf.Dictionary) else {}
    )
    if got_info != want_info:
        yield Finding("PDF-METADATA", f"Info is {got_info}, expected {want_info}")
    # PDF-XMP-EXTENSION: every custom property declared, with a value of its type
    declared = _declared(root)
    for schema in postpass.extension_schemas():
        want_schema = (schema.prefix, {p.name: p.value_type for p in schema.properties})
        if declared.get(schema.namespace, want_schema) != want_schema:
            yield Finding(
                "PDF-XMP-EXTENSION",
                f"the {schema.prefix}: schema declared differs from schemas/ ({schema.schema})",
            )
    prefixes = {uri: prefix for prefix, uri in root.nsmap.items()}
    for element in root.iter():
        prefixes.update({uri: prefix for prefix, uri in element.nsmap.items() if prefix})
    for (uri, name), raw in sorted(props.items()):
        if uri in _PREDEFINED:
            continue
        prefix, types = declared.get(uri, (None, {}))
        if name not in types:
            yield Finding("PDF-XMP-EXTENSION", f"XMP property {name} ({uri}) is not declared")
        elif prefix != prefixes.get(uri):
            yield Finding(
                "PDF-XMP-EXTENSION",
                f"namespace {uri} is bound to {prefixes.get(uri)!r}, declared as {prefix!r}",
            )
        elif not _fits(_value(raw), types[name]):
            yield Finding("PDF-XMP-EXTENSION", f"XMP property {name} is not a {types[name]}")


# -- the gate -----------------------------------------------------------------------------


def _guarded(code: str, run: Callable[[], Iterator[Finding]]) -> list[Finding]:
    """Run a check; a crash on a malformed file is a finding (the gate fails closed)."""
    try:
        return list(run())
    except Exception as exc:  # the gate must report, not crash, whatever the file holds
        return [Finding(code, f"check could not run: {type(exc).__name__}: {exc}")]


def _tags(
    pdf: bytes, document: Document, blocks: list, inline: list, pages: list
) -> Iterator[Finding]:
    # the structure text and the page text are read once, for these checks, the order check
    # and the round trip
    for code, message, where in tagcheck.check(pdf, document, blocks, inline, pages):
        yield Finding(code, message, where)


def check(
    pdf: bytes,
    document: Document,
    flavour: Flavour,
    *,
    creator: str | None = None,
    tags: bool | None = None,
    exact: bool = True,
    signature_allowed: bool = False,
    styles: Path | None = None,
    painting: bool = False,
) -> list[Finding]:
    """Every finding on a written PDF; an empty list means it may be shipped.

    ``creator`` is the ``unfolio X.Y.Z`` the PDF must name (default this release): verify
    passes the release that wrote the bag, whose ``Bag-Software-Agent`` it checks elsewhere.
    ``tags`` runs the ``PDF-TAGS-…`` checks and reads the round trip in structure order;
    it defaults to whether the flavour is tagged (``verify`` turns it off for bags written
    before unfolio tagged anything). ``exact`` adds the exact-content checks; ``signature_allowed`` accepts one incremental
    update carrying a signature; ``styles`` is the overlay whose template printed the PDF.
    ``painting`` (without ``exact``: a PDF of unfolio 0.1) adds those exact-content checks
    that hold for any release's layout: revisions, links, painting (white allowed where it
    lies on no text), hidden text and replacement text — not the text, bookmarks or /Lang.
    """
    tagged = is_tagged(flavour) if tags is None else tags
    postpass.validator_flavour(flavour)  # refuses an unknown flavour
    try:
        opened = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PasswordError:
        return [Finding("PDF-ENCRYPTED", "the file needs a password to open")]
    except Exception as exc:
        return [Finding("PDF-SYNTAX", f"pikepdf cannot open the file: {exc}")]
    findings: list[Finding] = []
    with opened:
        if opened.is_encrypted or "/Encrypt" in opened.trailer:
            findings.append(Finding("PDF-ENCRYPTED", "the file is encrypted"))
        embedded: list[tuple[str, pikepdf.Object]] = []

        def structure() -> Iterator[Finding]:
            found, specs = _structure(opened)
            embedded.extend(specs)
            return iter(found)

        findings += _guarded("PDF-EXTERNAL-REF", structure)
        findings += _guarded(
            "PDF-ATTACHMENTS", lambda: _attachments(opened, embedded, document, flavour)
        )
        findings += _guarded("PDF-METADATA", lambda: _xmp(opened, document, flavour, creator))
        findings += _guarded("PDF-SYNTAX", lambda: _file_structure(pdf, opened))
        findings += _guarded("PDF-SIGNATURE-FORM", lambda: _signature_form(opened))
    findings += _guarded("PDF-PDFA-VALIDATOR", lambda: _validator(pdf, flavour))
    pages: list[textcheck.PageText] = []

    blocks: list[structtext.Block] = []
    inline: list[structtext.Block] = []
    read: list[textcheck.PageText] = []
    if tagged:
        findings += _guarded("PDF-TAGS-TREE", lambda: _tags(pdf, document, blocks, inline, read))

    def roundtrip() -> Iterator[Finding]:
        pages.extend(read if blocks and read else textcheck.read(pdf))
        if tagged:
            extracted = structtext.join(blocks) if blocks else structtext.text(pdf)
        else:
            extracted = textcheck.join(pages)
        for message in textcheck.mismatches(document, extracted):
            yield Finding("PDF-TEXT-ROUNDTRIP", message)

    findings += _guarded("PDF-TEXT-ROUNDTRIP", roundtrip)
    findings += [
        Finding("PDF-TEXT-OFFPAGE", _OFFPAGE.format(count=page.outside), f"page {number}")
        for number, page in enumerate(pages, 1)
        if page.outside
    ]
    if exact:
        findings += _exact(pdf, document, pages, signature_allowed, styles)
        read = inline if tagged else None
        findings += _guarded("PDF-TEXT-ORDER", lambda: _order(document, pages, read, styles))
    elif painting:
        findings += _painting(pdf, document, signature_allowed, styles, legacy=True)
    return findings


def _order(
    document: Document,
    pages: list[textcheck.PageText],
    read: list[structtext.Block] | None,
    styles: Path | None,
) -> Iterator[Finding]:
    """What is seen (the pages' text) and, tagged, what is read (the structure's), each in
    the source's order."""
    found = list(ordertext.drawn_mismatches(document, textcheck.join(pages)))
    if read is not None:
        found += ordertext.mismatches(document, read, styles=styles)
    for m in found:
        yield Finding("PDF-TEXT-ORDER", m.message, f"source {m.file}" if m.file else "")


def _exact(
    pdf: bytes,
    document: Document,
    pages: list[textcheck.PageText],
    signature_allowed: bool,
    styles: Path | None,
) -> list[Finding]:
    """The exact-content checks (see the module docstring), on unfolio's own revision."""
    first = drawing.first_revision(pdf)
    if first != pdf or not pages:
        pages = exacttext.page_texts(first)

    def text() -> Iterator[Finding]:
        for m in exacttext.mismatches(document, pages, styles=styles):
            yield Finding("PDF-TEXT-EXACT", m.message, f"source {m.file}" if m.file else "")

    findings = _painting(pdf, document, signature_allowed, styles)
    findings += _guarded("PDF-TEXT-EXACT", text)
    findings += _guarded("PDF-METADATA", lambda: _catalog_language(first, document))
    return findings


def _found(problems: Iterator[drawing.Problem]) -> Iterator[Finding]:
    return (Finding(p.code, p.message, p.where) for p in problems)


def _painting(
    pdf: bytes,
    document: Document,
    signature_allowed: bool,
    styles: Path | None,
    *,
    legacy: bool = False,
) -> list[Finding]:
    """The structure and painting checks, on unfolio's own revision; ``legacy`` (a PDF of
    unfolio 0.1) allows white paint where it lies on no text and leaves the bookmarks out."""
    first = drawing.first_revision(pdf)
    findings = _guarded(
        "PDF-REVISIONS",
        lambda: _found(drawing.check_revisions(pdf, signature_allowed=signature_allowed)),
    )
    findings += _guarded("PDF-LINKS", lambda: _found(drawing.check_links(first, document)))
    findings += _guarded(
        "PDF-DRAWING", lambda: _found(drawing.check_drawing(first, white_allowed=legacy))
    )
    findings += _guarded(
        "PDF-TEXT-HIDDEN", lambda: _found(visibility.check_visible(first, white_hides=legacy))
    )
    findings += _guarded(
        "PDF-ACTUALTEXT",
        lambda: _found(
            readtext.check_read_text(first, document, styles=styles, outline=not legacy)
        ),
    )
    return findings


def _catalog_language(pdf: bytes, document: Document) -> Iterator[Finding]:
    """The catalog's ``/Lang`` is the version's language, in every flavour: a reader speaks
    the document in it, so a changed one is a changed document (the tagged flavours'
    ``PDF-TAGS-LANG`` says the same for 2a/3a; this covers 2b/2u/3b/3u too)."""
    from pipeline.locale import BCP47

    with pikepdf.open(io.BytesIO(pdf)) as opened:
        got = str(opened.Root.get("/Lang", ""))
    want = BCP47[document.language]
    if got != want:
        yield Finding("PDF-METADATA", f"the catalog /Lang is {got!r}, expected {want!r}")


_OFFPAGE = (
    "{count:,} letters and digits are drawn outside the page, where no reader shows them (a "
    "table too wide for the page, a footnote or table row longer than a page, a masthead line "
    "too long, or a line that cannot break)"
)


_EOL = rb"(?:\r\n|\r|\n)"
_EOF_TAIL = re.compile(rb"startxref" + _EOL + rb"[0-9]+" + _EOL + rb"%%EOF" + _EOL + rb"?\Z")


def _file_structure(pdf: bytes, opened: pikepdf.Pdf) -> Iterator[Finding]:
    """What qpdf silently repairs, and the bytes around the file, are PDF-SYNTAX faults:
    another reader may repair them differently (ISO 19005-2 §6.1.2, §6.1.3)."""
    if not pdf.startswith(b"%PDF-"):
        yield Finding("PDF-SYNTAX", "the file does not begin with its %PDF- header")
    if not _EOF_TAIL.search(pdf[-64:]):
        yield Finding("PDF-SYNTAX", "the file does not end with its trailer (startxref, %%EOF)")
    for warning in opened.get_warnings()[:5]:
        text = re.sub(r"^stream <[^>]*>:? ?", "", str(warning))
        yield Finding("PDF-SYNTAX", f"the file is damaged (qpdf repaired it): {text}")


def _signature_form(opened: pikepdf.Pdf) -> Iterator[Finding]:
    from pipeline.sign import form

    for problem in form.problems(opened):
        yield Finding("PDF-SIGNATURE-FORM", problem)


def enforce(
    pdf: bytes,
    document: Document,
    flavour: Flavour,
    *,
    styles: Path | None = None,
    exact: bool = True,
) -> None:
    """Raise :class:`GateFailed` listing every finding, if there is any."""
    findings = check(pdf, document, flavour, styles=styles, exact=exact)
    if findings:
        raise GateFailed(findings)

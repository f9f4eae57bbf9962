"""The pikepdf pass after WeasyPrint: archival metadata, PDF/A clean-ups, deterministic save.

WeasyPrint's PDF/A output is close to conforming but not archival: its XMP holds only what
the HTML ``<meta>`` tags said, it writes empty ``/Pattern`` and ``/Shading`` resource
dictionaries (which ``pikepdf.pdfa`` refuses to approve), its PDF/A-3 catalog ``/AF`` lists
each attachment twice (WeasyPrint #2917), and its attachments carry ``now()`` dates. This
pass fixes all of that from the :class:`~pipeline.model.Document` alone:

- the XMP packet is written whole from the metadata (Dublin Core, ``xmp:``/``pdf:`` dates
  and tools, ``pdfaid:``, and the ``un:`` properties of ``schemas/xmp-un.json`` declared in
  a PDF/A extension schema, which PDF/A requires for any property outside its predefined
  schemas), and the Info dictionary is rebuilt to say the same thing;
- every date in the file is the masthead date (midnight UTC), never the clock, so the same
  input gives byte-identical output;
- for ``3b``/``3u`` the source files are embedded as associated files: ``document.json``
  as ``Data``, each Markdown part as ``Source``.

The renderer must not attach files itself: the gate compares the attachments with the
source exactly, so anything else embedded (a leaked local file) fails the build.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import pikepdf
import pikepdf.pdfa
from lxml import etree

import pipeline
from pipeline import locale
from pipeline.model import Document, Organ
from pipeline.resources import schemas_dir
from pipeline.symbols import undocs_url
from pipeline.typeset import FLAVOURS, Flavour

PUBLISHER = "United Nations"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NAMESPACES: dict[str, str] = {
    "x": "adobe:ns:meta/",
    "rdf": RDF,
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
_XPACKET_ID = "W5M0MpCehiHzreSzNTczkc9d"  # the fixed id every XMP packet carries

# MIME type and PDF/A-3 AFRelationship of each embedded source file
_DATA_FILE = ("application/json", pikepdf.Name.Data)
_SOURCE_FILE = ("text/markdown", pikepdf.Name.Source)


# -- XMP values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seq:
    """An ordered XMP array (``rdf:Seq``)."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Bag:
    """An unordered XMP array (``rdf:Bag``)."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class LangAlt:
    """A language alternative (``rdf:Alt`` of ``xml:lang`` items), ``x-default`` first."""

    items: tuple[tuple[str, str], ...]  # (language, text)


XmpValue = str | Seq | Bag | LangAlt


@dataclass(frozen=True)
class UnProperty:
    name: str
    value_type: str
    category: str
    description: str


@dataclass(frozen=True)
class UnSchema:
    """The ``un:`` XMP schema, read from ``schemas/xmp-un.json`` (one source for writer and gate)."""

    schema: str
    namespace: str
    prefix: str
    properties: tuple[UnProperty, ...]


@cache
def un_schema() -> UnSchema:
    data = json.loads((schemas_dir() / "xmp-un.json").read_text(encoding="utf-8"))
    return UnSchema(
        schema=data["schema"],
        namespace=data["namespaceURI"],
        prefix=data["prefix"],
        properties=tuple(
            UnProperty(p["name"], p["valueType"], p["category"], p["description"])
            for p in data["properties"]
        ),
    )


def validator_flavour(flavour: Flavour) -> str:
    """The b level ``pikepdf.pdfa`` knows for a flavour: ``2u`` is checked (and saved) as ``2b``."""
    if flavour not in FLAVOURS:
        raise ValueError(f"PDF/A flavour {flavour!r}: expected one of {', '.join(FLAVOURS)}")
    return flavour[0] + "b"


def pdf_date(day: date) -> str:
    """The masthead date as a PDF date string, midnight UTC."""
    return f"D:{day:%Y%m%d}000000+00'00'"


def xmp_date(day: date) -> str:
    return f"{day:%Y-%m-%d}T00:00:00+00:00"


def creator_tool(agent: str | None = None) -> str:
    """``unfolio X.Y.Z``: this release, or (verifying an older bag) the release that wrote it."""
    return agent or f"unfolio {pipeline.__version__}"


def producer(raw_producer: str | None) -> str:
    """WeasyPrint's own Producer (kept, it made the page content) plus the pikepdf pass."""
    return "; ".join(p for p in (raw_producer, f"pikepdf {pikepdf.__version__}") if p)


def job_number(document: Document) -> str:
    """The job number with its language letter, as printed: ``21-90001 (C)``."""
    return f"{document.job_number} ({locale.get(document.language).job_letter})"


def _organ_label(organ: Organ) -> str:
    when = organ.session if organ.session is not None else organ.year
    return organ.organ if when is None else f"{organ.organ} {when}"


def _agenda_labels(document: Document) -> Iterator[str]:
    for organ in document.organs:
        for item in organ.agenda_items:
            label = f"{organ.organ} {item.item}"
            if item.sub_item:
                label += f" ({item.sub_item})"
            if item.title:
                label += f" {item.title}"
            yield label


def un_values(document: Document) -> dict[str, XmpValue]:
    """The ``un:`` properties of a document, by property name (see ``schemas/xmp-un.json``)."""
    return {
        "symbols": Seq(tuple(str(s) for s in document.symbols)),
        "distribution": document.distribution,
        "jobNumber": job_number(document),
        "originalLanguages": Seq(tuple(document.original_languages)),
        "organs": Seq(tuple(_organ_label(o) for o in document.organs)),
        "agendaItems": Seq(tuple(_agenda_labels(document))),
        "undocsURL": undocs_url(document.symbols[0], document.language),
    }


def xmp_properties(
    document: Document, flavour: Flavour, raw_producer: str | None, creator: str | None = None
) -> dict[tuple[str, str], XmpValue]:
    """Every property of the XMP packet except the extension schema, keyed by (namespace, name).

    The gate compares a written file against this, so writer and checker cannot drift.
    Empty arrays are left out (XMP has no use for them and some readers choke on them).
    """
    ns = NAMESPACES
    lang = document.language
    props: dict[tuple[str, str], XmpValue] = {
        (ns["pdfaid"], "part"): flavour[0],
        (ns["pdfaid"], "conformance"): flavour[1].upper(),
        (ns["dc"], "identifier"): document.symbol,
        (ns["dc"], "title"): LangAlt((("x-default", document.title), (lang, document.title))),
        (ns["dc"], "language"): Bag((lang,)),
        (ns["dc"], "date"): Seq((document.date.isoformat(),)),
        (ns["dc"], "publisher"): Bag((PUBLISHER,)),
        (ns["dc"], "format"): "application/pdf",
        (ns["xmp"], "CreateDate"): xmp_date(document.date),
        (ns["xmp"], "ModifyDate"): xmp_date(document.date),
        (ns["xmp"], "MetadataDate"): xmp_date(document.date),
        (ns["xmp"], "CreatorTool"): creator_tool(creator),
        (ns["pdf"], "Producer"): producer(raw_producer),
    }
    if document.subtitle:
        props[(ns["dc"], "description")] = LangAlt(
            (("x-default", document.subtitle), (lang, document.subtitle))
        )
    schema = un_schema()
    for name, value in un_values(document).items():
        if not (isinstance(value, Seq | Bag) and not value.items):
            props[(schema.namespace, name)] = value
    return props


def info_entries(
    document: Document, raw_producer: str | None, creator: str | None = None
) -> dict[str, str]:
    """The Info dictionary, the same facts as the XMP (PDF/A keeps the two equivalent)."""
    info = {"/Title": document.title}
    if document.subtitle:
        info["/Subject"] = document.subtitle
    info |= {
        "/Creator": creator_tool(creator),
        "/Producer": producer(raw_producer),
        "/CreationDate": pdf_date(document.date),
        "/ModDate": pdf_date(document.date),
    }
    return info


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    mime_type: str
    relationship: pikepdf.Name
    description: str


def attachments(document: Document, flavour: Flavour) -> tuple[Attachment, ...]:
    """The associated files a flavour embeds: the source for 3x, nothing for 2x."""
    if validator_flavour(flavour) != "3b":
        return ()
    result = []
    for i, file in enumerate(document.files):
        mime, rel = _DATA_FILE if i == 0 else _SOURCE_FILE
        what = "metadata" if i == 0 else "text"
        result.append(
            Attachment(file.name, file.data, mime, rel, f"Source {what} of {document.symbol}")
        )
    return tuple(result)


# -- XMP packet ---------------------------------------------------------------------------


def _q(prefix: str, name: str) -> str:
    return f"{{{NAMESPACES[prefix]}}}{name}"


def _add_value(parent: etree._Element, value: XmpValue) -> None:
    if isinstance(value, str):
        parent.text = value
        return
    kind = {Seq: "Seq", Bag: "Bag", LangAlt: "Alt"}[type(value)]
    array = etree.SubElement(parent, _q("rdf", kind))
    if isinstance(value, LangAlt):
        for lang, text in value.items:
            li = etree.SubElement(array, _q("rdf", "li"))
            li.set(XML_LANG, lang)
            li.text = text
    else:
        for text in value.items:
            etree.SubElement(array, _q("rdf", "li")).text = text


def _description(rdf: etree._Element, prefixes: Sequence[tuple[str, str]]) -> etree._Element:
    # Namespaces declared on each Description, not on rdf:RDF: PDFBox's xmpbox only finds
    # them there (weasyprint-pdfa.md §5.1), and it costs nothing.
    desc = etree.SubElement(rdf, _q("rdf", "Description"), nsmap=dict(prefixes))
    desc.set(_q("rdf", "about"), "")
    return desc


def _extension_schema(rdf: etree._Element, schema: UnSchema) -> None:
    desc = _description(
        rdf,
        [(p, NAMESPACES[p]) for p in ("pdfaExtension", "pdfaSchema", "pdfaProperty")],
    )
    bag = etree.SubElement(etree.SubElement(desc, _q("pdfaExtension", "schemas")), _q("rdf", "Bag"))
    entry = etree.SubElement(bag, _q("rdf", "li"))
    entry.set(_q("rdf", "parseType"), "Resource")
    etree.SubElement(entry, _q("pdfaSchema", "schema")).text = schema.schema
    etree.SubElement(entry, _q("pdfaSchema", "namespaceURI")).text = schema.namespace
    etree.SubElement(entry, _q("pdfaSchema", "prefix")).text = schema.prefix
    seq = etree.SubElement(etree.SubElement(entry, _q("pdfaSchema", "property")), _q("rdf", "Seq"))
    for prop in schema.properties:
        li = etree.SubElement(seq, _q("rdf", "li"))
        li.set(_q("rdf", "parseType"), "Resource")
        etree.SubElement(li, _q("pdfaProperty", "name")).text = prop.name
        etree.SubElement(li, _q("pdfaProperty", "valueType")).text = prop.value_type
        etree.SubElement(li, _q("pdfaProperty", "category")).text = prop.category
        etree.SubElement(li, _q("pdfaProperty", "description")).text = prop.description


def xmp_packet(properties: dict[tuple[str, str], XmpValue]) -> bytes:
    """Serialise the properties, one ``rdf:Description`` per namespace, plus the un: schema."""
    root = etree.Element(_q("x", "xmpmeta"), nsmap={"x": NAMESPACES["x"]})
    rdf = etree.SubElement(root, _q("rdf", "RDF"), nsmap={"rdf": RDF})
    schema = un_schema()
    prefixes = {uri: prefix for prefix, uri in NAMESPACES.items()} | {
        schema.namespace: schema.prefix
    }
    by_namespace: dict[str, list[tuple[str, XmpValue]]] = {}
    for (namespace, name), value in properties.items():
        by_namespace.setdefault(namespace, []).append((name, value))
    for namespace, props in by_namespace.items():
        desc = _description(rdf, [(prefixes[namespace], namespace)])
        for name, value in props:
            _add_value(etree.SubElement(desc, f"{{{namespace}}}{name}"), value)
    if schema.namespace in by_namespace:
        _extension_schema(rdf, schema)
    etree.indent(root, space=" ")
    body = etree.tostring(root, encoding="unicode")
    return f'<?xpacket begin="\ufeff" id="{_XPACKET_ID}"?>\n{body}\n<?xpacket end="r"?>'.encode()


# -- the pass -----------------------------------------------------------------------------


def _drop_empty_resources(pdf: pikepdf.Pdf) -> None:
    """Remove empty sub-dictionaries (``/Pattern <<>>``…) from every resource dictionary.

    They mean nothing, but ``pikepdf.pdfa`` reports patterns and shadings as unsupported
    constructs even when the dictionary is empty, which would leave the file unchecked.
    """
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        resources = obj.get("/Resources")
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        for key in list(resources.keys()):
            value = resources.get(key)
            if isinstance(value, pikepdf.Dictionary) and len(value) == 0:
                del resources[key]


def _dedupe_af(pdf: pikepdf.Pdf) -> None:
    """Keep each catalog ``/AF`` entry once (WeasyPrint 70.0 lists attachments twice, #2917)."""
    af = pdf.Root.get("/AF")
    if not isinstance(af, pikepdf.Array):
        return
    seen: set[tuple[int, int]] = set()
    kept = []
    for spec in af:
        key = spec.objgen if spec.is_indirect else (-1, len(kept))
        if key not in seen:
            seen.add(key)
            kept.append(spec)
    if len(kept) != len(af):
        pdf.Root.AF = pikepdf.Array(kept)


def _attach(pdf: pikepdf.Pdf, document: Document, flavour: Flavour) -> None:
    when = pdf_date(document.date)
    for item in attachments(document, flavour):
        # AttachedFileSpec appends the spec to the catalog /AF itself (measured).
        pdf.attachments[item.name] = pikepdf.AttachedFileSpec(
            pdf,
            item.data,
            description=item.description,
            filename=item.name,
            mime_type=item.mime_type,
            creation_date=when,
            mod_date=when,
            relationship=item.relationship,
        )


def _raw_producer(pdf: pikepdf.Pdf) -> str | None:
    value = pdf.docinfo.get("/Producer") if "/Info" in pdf.trailer else None
    return str(value) if isinstance(value, pikepdf.String) else None


def finish(raw_pdf: bytes, document: Document, flavour: Flavour) -> bytes:
    """Turn WeasyPrint's PDF/A bytes into the archival PDF/A of ``document``.

    Deterministic: the output depends only on the input bytes, the document and the
    versions of pikepdf/qpdf, never on the clock or the host.
    """
    save_kwargs = pikepdf.pdfa.resolve_save_kwargs(
        validator_flavour(flavour), deterministic_id=True
    )
    with pikepdf.open(io.BytesIO(raw_pdf)) as pdf:
        raw_producer = _raw_producer(pdf)
        _drop_empty_resources(pdf)
        _dedupe_af(pdf)
        _attach(pdf, document, flavour)
        packet = xmp_packet(xmp_properties(document, flavour, raw_producer))
        pdf.Root.Metadata = pdf.make_stream(
            packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
        )
        pdf.trailer.Info = pdf.make_indirect(
            pikepdf.Dictionary(
                {k: pikepdf.String(v) for k, v in info_entries(document, raw_producer).items()}
            )
        )
        pdf.Root.Lang = pikepdf.String(document.language)
        out = io.BytesIO()
        pdf.save(out, **save_kwargs)
    return out.getvalue()

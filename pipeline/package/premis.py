"""PREMIS 3.0 preservation record of a bag: ``data/metadata/premis.xml``.

Written for the systems that read it, Archivematica first (docs/archive-intake.md):

- every element in the ``premis`` prefix, and each payload file (``premis.xml`` apart) one
  ``<premis:object xsi:type="premis:file">`` — Archivematica selects file objects with the
  literal XPath ``premis:object[@xsi:type="premis:file"]``; ``xsi:type="file"`` is valid
  PREMIS but selects nothing there;
- ``originalName`` is the path relative to the bag (``data/objects/…``): Archivematica
  records a bag transfer's files as ``%transferDirectory%data/objects/…`` and matches
  ``%transferDirectory%`` + originalName against that;
- one intellectual entity for the document (its undocs.org link and symbols, title,
  language, distribution) that includes the file objects, and one rights statement derived
  from ``distribution`` (restricted and limited documents are not for public dissemination);
- events (validation of the source, creation of the PDF and of ``metadata.csv``, validation
  of the PDF, message digests) link file objects only (Archivematica rejects an event that
  links an object it did not select) and every agent is linked by an event (it rejects an
  unlinked agent); outcomes use one vocabulary (``success``); each event's detail names each
  program and version once.

Identifiers are UUIDv5 derived from paths, digests and names, never random, and every value
is a function of the payload, the document, the flavour and :class:`Provenance` — the one
thing the files cannot tell (who, when, which program versions). ``verify`` reads the
provenance back from the bag and calls :func:`premis_xml` again: the record must come out
byte for byte (:mod:`pipeline.verify.derived`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata

from lxml import etree

from pipeline import __version__
from pipeline.model import Document
from pipeline.package.bagit import digest
from pipeline.symbols import undocs_url

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{PREMIS_NS} https://www.loc.gov/standards/premis/v3/premis.xsd"
PREMIS_PATH = "data/metadata/premis.xml"
#: Namespace of every identifier unfolio derives; fixed forever so identifiers stay stable.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://unfolio.example/premis")
#: The one outcome every event unfolio records has (a failed step stops the build).
OUTCOME = "success"

# PRONOM (DROID signature file v116, research note §2.4).
PDFA_PUID = {
    **{"2a": "fmt/476", "2b": "fmt/477", "2u": "fmt/478"},
    **{"3a": "fmt/479", "3b": "fmt/480", "3u": "fmt/481"},
}
PDFA_FORMAT_NAME = "Acrobat PDF/A - Portable Document Format"
_BY_SUFFIX = {
    ".json": ("JSON Data Interchange Format", None, "fmt/817"),
    ".md": ("Markdown", None, "fmt/1149"),
    ".csv": ("Comma Separated Values", None, "x-fmt/18"),
}
_DIGEST_NAMES = {"sha256": "SHA-256", "sha512": "SHA-512"}

#: distribution → (may it be disseminated to the public, why), for the rights statement.
RIGHTS = {
    "general": (True, "General distribution: issued for public dissemination."),
    "limited": (False, "Limited distribution: not for public dissemination."),
    "restricted": (False, "Restricted distribution: not for public dissemination."),
}


@dataclass(frozen=True)
class Agent:
    """A PREMIS agent; its identifier is derived from its type, name and version."""

    name: str
    kind: str  # "software" | "organization"
    version: str | None = None

    @property
    def identifier(self) -> str:
        return str(uuid.uuid5(ID_NAMESPACE, f"agent\n{self.kind}\n{self.name}\n{self.version}"))


@dataclass(frozen=True)
class Provenance:
    """What the record says that the files cannot: who issued the bag, when, and the versions
    of the programs that made it."""

    organization: str
    when: datetime  # timezone-aware
    unfolio: str = __version__
    weasyprint: str = "unknown"
    pikepdf: str = "unknown"

    @property
    def stamp(self) -> str:
        """``YYYY-MM-DDThh:mm:ssZ`` (UTC), the time of every event."""
        if self.when.utcoffset() is None:
            raise ValueError("event time must be timezone-aware")
        return self.when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def provenance_now(organization: str, when: datetime) -> Provenance:
    """The provenance of a bag built now, with the program versions installed."""
    return Provenance(organization, when, __version__, _version("weasyprint"), _version("pikepdf"))


@dataclass(frozen=True)
class Format:
    name: str
    version: str | None
    puid: str


def file_format(path: str, flavour: str) -> Format:
    """The PRONOM format of a payload file, from its name (unfolio writes every name)."""
    if path.endswith(".pdf"):
        return Format(PDFA_FORMAT_NAME, flavour, PDFA_PUID[flavour])
    for suffix, (name, version, puid) in _BY_SUFFIX.items():
        if path.endswith(suffix):
            return Format(name, version, puid)
    raise ValueError(f"{path}: no PRONOM format known for this file")


def object_identifier(path: str, data: bytes) -> str:
    """UUIDv5 of a payload file from its path and content: a changed file gets a new id."""
    return str(uuid.uuid5(ID_NAMESPACE, f"object\n{path}\n{digest(data, 'sha256')}"))


def entity_identifier(link: str) -> str:
    """UUIDv5 of the intellectual entity (one language version of one document)."""
    return str(uuid.uuid5(ID_NAMESPACE, f"intellectual entity\n{link}"))


def _p(tag: str) -> str:
    return f"{{{PREMIS_NS}}}{tag}"


class _Builder:
    """Appends PREMIS elements (``premis:`` prefix) in the order the XSD requires."""

    def __init__(self) -> None:
        self.root = etree.Element(_p("premis"), nsmap={"premis": PREMIS_NS, "xsi": XSI_NS})
        self.root.set("version", "3.0")
        self.root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)

    @staticmethod
    def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, _p(tag))
        if text is not None:
            element.text = text
        return element

    def identifier(self, parent: etree._Element, tag: str, value: str, kind: str = "UUID") -> None:
        holder = self.sub(parent, tag)
        self.sub(holder, f"{tag}Type", kind)
        self.sub(holder, f"{tag}Value", value)

    def link(self, parent: etree._Element, what: str, value: str, role: str | None) -> None:
        holder = self.sub(parent, f"linking{what}Identifier")
        self.sub(holder, f"linking{what}IdentifierType", "UUID")
        self.sub(holder, f"linking{what}IdentifierValue", value)
        if role is not None:
            self.sub(holder, f"linking{what}Role", role)


@dataclass(frozen=True)
class _Event:
    kind: str
    detail: str
    agents: tuple[tuple[Agent, str], ...]  # (agent, role)
    objects: tuple[tuple[str, str], ...]  # (object id, role)

    def identifier(self, when: str) -> str:
        key = "\n".join([self.kind, self.detail, when, *(o for o, _ in self.objects)])
        return str(uuid.uuid5(ID_NAMESPACE, f"event\n{key}"))


def _events(ids: Mapping[str, str], flavour: str, agents: Mapping[str, Agent]) -> list[_Event]:
    unfolio, weasyprint, pikepdf = agents["unfolio"], agents["weasyprint"], agents["pikepdf"]
    org = agents["organization"]
    paths = sorted(ids)
    pdfs = [p for p in paths if p.endswith(".pdf")]
    described = [p for p in paths if p.endswith(".csv")]
    sources = [p for p in paths if p not in pdfs and p not in described]
    record = [p for p in sources if p.endswith("/document.json")]
    by = f"unfolio {unfolio.version}"
    events = [
        _Event(
            "validation",
            f"{by} validated the source (document.json against its JSON Schema, the parts as "
            "UTF-8 Markdown)",
            ((unfolio, "validator"), (org, "authorizer")),
            tuple((ids[p], "source") for p in sources),
        ),
        _Event(
            "creation",
            f"{by} typeset the PDF/A-{flavour} with WeasyPrint {weasyprint.version} and "
            f"pikepdf {pikepdf.version}",
            (
                (unfolio, "executing program"),
                (weasyprint, "executing program"),
                (pikepdf, "executing program"),
                (org, "authorizer"),
            ),
            tuple((ids[p], "source") for p in sources) + tuple((ids[p], "outcome") for p in pdfs),
        ),
        _Event(
            "validation",
            f"{by} checked the PDF/A-{flavour} with its gate and pikepdf {pikepdf.version}'s "
            "pdfa module: no finding",
            ((unfolio, "validator"), (pikepdf, "validator"), (org, "authorizer")),
            tuple((ids[p], "source") for p in pdfs),
        ),
    ]
    if described:
        events.append(
            _Event(
                "creation",
                f"{by} wrote the Dublin Core description for Archivematica from document.json",
                ((unfolio, "executing program"), (org, "authorizer")),
                tuple((ids[p], "source") for p in record)
                + tuple((ids[p], "outcome") for p in described),
            )
        )
    events.append(
        _Event(
            "message digest calculation",
            f"{by} computed the SHA-256 and SHA-512 digests of every payload file",
            ((unfolio, "executing program"), (org, "authorizer")),
            tuple((ids[p], "source") for p in paths),
        )
    )
    return events


def premis_xml(
    payload: Mapping[str, bytes],
    *,
    document: Document,
    flavour: str,
    provenance: Provenance,
) -> bytes:
    """The PREMIS record for ``payload`` (``data/…`` paths → bytes, premis.xml excluded)."""
    stamp = provenance.stamp
    paths = sorted(p for p in payload if p != PREMIS_PATH)
    ids = {path: object_identifier(path, payload[path]) for path in paths}
    pdfs = [p for p in paths if p.endswith(".pdf")]
    sources = [p for p in paths if "/source/" in p]
    agents = {
        "unfolio": Agent("unfolio", "software", provenance.unfolio),
        "weasyprint": Agent("WeasyPrint", "software", provenance.weasyprint),
        "pikepdf": Agent("pikepdf", "software", provenance.pikepdf),
        "organization": Agent(provenance.organization, "organization"),
    }
    events = _events(ids, flavour, agents)
    event_ids = [event.identifier(stamp) for event in events]
    link = undocs_url(document.symbols[0], document.language, language_named=True)
    entity = entity_identifier(link)
    allowed, note = RIGHTS[document.distribution]
    rights_id = str(uuid.uuid5(ID_NAMESPACE, f"rights\n{link}\n{document.distribution}"))

    b = _Builder()
    ie = b.sub(b.root, "object")
    ie.set(f"{{{XSI_NS}}}type", "premis:intellectualEntity")
    b.identifier(ie, "objectIdentifier", entity)
    b.identifier(ie, "objectIdentifier", link, "URI")
    for symbol in document.symbols:
        b.identifier(ie, "objectIdentifier", symbol.text, "UN document symbol")
    for kind, value in (
        ("title", document.title),
        ("language", document.language),
        ("distribution", document.distribution),
    ):
        prop = b.sub(ie, "significantProperties")
        b.sub(prop, "significantPropertiesType", kind)
        b.sub(prop, "significantPropertiesValue", value)
    includes = b.sub(ie, "relationship")
    b.sub(includes, "relationshipType", "structural")
    b.sub(includes, "relationshipSubType", "includes")
    for path in paths:
        b.identifier(includes, "relatedObjectIdentifier", ids[path])
    b.identifier(ie, "linkingRightsStatementIdentifier", rights_id)

    for path in paths:
        data = payload[path]
        obj = b.sub(b.root, "object")
        obj.set(f"{{{XSI_NS}}}type", "premis:file")
        b.identifier(obj, "objectIdentifier", ids[path])
        chars = b.sub(obj, "objectCharacteristics")
        b.sub(chars, "compositionLevel", "0")
        for algorithm, name in _DIGEST_NAMES.items():
            fixity = b.sub(chars, "fixity")
            b.sub(fixity, "messageDigestAlgorithm", name)
            b.sub(fixity, "messageDigest", digest(data, algorithm))
            b.sub(fixity, "messageDigestOriginator", "unfolio")
        b.sub(chars, "size", str(len(data)))
        fmt = file_format(path, flavour)
        fmt_el = b.sub(chars, "format")
        designation = b.sub(fmt_el, "formatDesignation")
        b.sub(designation, "formatName", fmt.name)
        if fmt.version:
            b.sub(designation, "formatVersion", fmt.version)
        registry = b.sub(fmt_el, "formatRegistry")
        b.sub(registry, "formatRegistryName", "PRONOM")
        b.sub(registry, "formatRegistryKey", fmt.puid)
        b.sub(registry, "formatRegistryRole", "specification")
        makers = ("unfolio", "weasyprint") if path in pdfs else ("unfolio",)
        if path not in sources:  # unfolio made it; the source is the author's
            for key in makers:
                app = b.sub(chars, "creatingApplication")
                b.sub(app, "creatingApplicationName", agents[key].name)
                b.sub(app, "creatingApplicationVersion", agents[key].version)
                b.sub(app, "dateCreatedByApplication", stamp)
        b.sub(obj, "originalName", path)
        included = b.sub(obj, "relationship")
        b.sub(included, "relationshipType", "structural")
        b.sub(included, "relationshipSubType", "is included in")
        b.identifier(included, "relatedObjectIdentifier", entity)
        if path not in sources:
            origin = sources if path in pdfs else [s for s in sources if s.endswith(".json")]
            if origin:
                relationship = b.sub(obj, "relationship")
                b.sub(relationship, "relationshipType", "derivation")
                b.sub(relationship, "relationshipSubType", "has source")
                for source_path in origin:
                    b.identifier(relationship, "relatedObjectIdentifier", ids[source_path])
        for event, event_id in zip(events, event_ids, strict=True):
            if any(object_id == ids[path] for object_id, _ in event.objects):
                b.identifier(obj, "linkingEventIdentifier", event_id)

    for event, event_id in zip(events, event_ids, strict=True):
        element = b.sub(b.root, "event")
        b.identifier(element, "eventIdentifier", event_id)
        b.sub(element, "eventType", event.kind)
        b.sub(element, "eventDateTime", stamp)
        b.sub(b.sub(element, "eventDetailInformation"), "eventDetail", event.detail)
        b.sub(b.sub(element, "eventOutcomeInformation"), "eventOutcome", OUTCOME)
        for agent, role in event.agents:
            b.link(element, "Agent", agent.identifier, role)
        for object_id, role in event.objects:
            b.link(element, "Object", object_id, role)

    for agent in agents.values():
        element = b.sub(b.root, "agent")
        b.identifier(element, "agentIdentifier", agent.identifier)
        b.sub(element, "agentName", agent.name)
        b.sub(element, "agentType", agent.kind)
        if agent.version:
            b.sub(element, "agentVersion", agent.version)

    statement = b.sub(b.sub(b.root, "rights"), "rightsStatement")
    b.identifier(statement, "rightsStatementIdentifier", rights_id)
    b.sub(statement, "rightsBasis", "Other")
    other = b.sub(statement, "otherRightsInformation")
    b.sub(other, "otherRightsBasis", "Policy")
    b.sub(other, "otherRightsNote", note)
    granted = b.sub(statement, "rightsGranted")
    b.sub(granted, "act", "Disseminate")
    b.sub(granted, "restriction", "Allow" if allowed else "Disallow")
    b.sub(granted, "rightsGrantedNote", note)
    b.link(statement, "Object", entity, None)
    b.link(statement, "Agent", agents["organization"].identifier, "issuer")

    etree.indent(b.root, space="  ")
    return etree.tostring(b.root, xml_declaration=True, encoding="UTF-8") + b"\n"

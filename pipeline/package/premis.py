"""PREMIS 3.0 preservation record of a bag: ``data/metadata/premis.xml``.

What the archive learns from it (research note §2.3, issue 4 item 3):

- one ``object`` per payload file except ``premis.xml`` itself, with both fixity values
  (equal to the bag manifests), size, PRONOM format, and ``originalName`` = the path under
  ``data/`` (``objects/…``), which is how Archivematica links PREMIS objects to files;
- the PDF's creating applications (unfolio and WeasyPrint) and its derivation from the source;
- events: ``creation`` of the PDF, ``validation`` of the source (unfolio's schema checks) and of
  the PDF (``pikepdf.pdfa`` plus unfolio's gate), ``message digest calculation`` for every
  object; each links the agents involved and the objects concerned;
- agents: the software (unfolio, WeasyPrint, pikepdf) and the issuing organization.

A PDF reaches packaging only after the gate passed (``render_pdf`` raises otherwise), so its
validation outcome is always ``pass``. Identifiers are UUIDv5 derived from paths, digests and
names, never random, so that the same input gives the same record; event times are the one
``when`` given by the caller (``SOURCE_DATE_EPOCH`` or the build time).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata

from lxml import etree

from pipeline import __version__
from pipeline.package.bagit import digest

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{PREMIS_NS} https://www.loc.gov/standards/premis/v3/premis.xsd"
PREMIS_PATH = "data/metadata/premis.xml"
#: Namespace of every identifier unfolio derives; fixed forever so identifiers stay stable.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://unfolio.example/premis")

# PRONOM (DROID signature file v116, research note §2.4): PDF/A-2a fmt/476, 2b fmt/477,
# 2u fmt/478, 3a fmt/479, 3b fmt/480, 3u fmt/481.
PDFA_PUID = {
    "2a": "fmt/476",
    "2b": "fmt/477",
    "2u": "fmt/478",
    "3a": "fmt/479",
    "3b": "fmt/480",
    "3u": "fmt/481",
}
PDFA_FORMAT_NAME = "Acrobat PDF/A - Portable Document Format"
_BY_SUFFIX = {
    ".json": ("JSON Data Interchange Format", None, "fmt/817"),
    ".md": ("Markdown", None, "fmt/1149"),
}
_DIGEST_NAMES = {"sha256": "SHA-256", "sha512": "SHA-512"}


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


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def software_agents() -> dict[str, Agent]:
    """The programs that made and checked the package, with the versions installed now."""
    return {
        "unfolio": Agent("unfolio", "software", __version__),
        "weasyprint": Agent("WeasyPrint", "software", _version("weasyprint")),
        "pikepdf": Agent("pikepdf.pdfa", "software", _version("pikepdf")),
    }


def object_identifier(path: str, data: bytes) -> str:
    """UUIDv5 of a payload file from its path and content: a changed file gets a new id."""
    return str(uuid.uuid5(ID_NAMESPACE, f"object\n{path}\n{digest(data, 'sha256')}"))


class _Builder:
    """Appends PREMIS elements in the order the XSD requires."""

    def __init__(self) -> None:
        self.root = etree.Element(f"{{{PREMIS_NS}}}premis", nsmap={None: PREMIS_NS, "xsi": XSI_NS})
        self.root.set("version", "3.0")
        self.root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)

    @staticmethod
    def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{PREMIS_NS}}}{tag}")
        if text is not None:
            element.text = text
        return element

    def identifier(self, parent: etree._Element, tag: str, value: str, kind: str = "UUID") -> None:
        holder = self.sub(parent, tag)
        self.sub(holder, f"{tag}Type", kind)
        self.sub(holder, f"{tag}Value", value)


@dataclass(frozen=True)
class _Event:
    kind: str
    detail: str
    outcome: str
    agents: tuple[tuple[Agent, str], ...]  # (agent, role)
    objects: tuple[tuple[str, str], ...]  # (object id, role)

    def identifier(self, when: str) -> str:
        key = "\n".join([self.kind, self.detail, when, *(o for o, _ in self.objects)])
        return str(uuid.uuid5(ID_NAMESPACE, f"event\n{key}"))


def premis_xml(
    payload: Mapping[str, bytes],
    *,
    flavour: str,
    organization: str,
    when: datetime,
) -> bytes:
    """The PREMIS record for ``payload`` (``data/…`` paths → bytes, premis.xml excluded).

    ``when`` must be timezone-aware; it is written in UTC as ``YYYY-MM-DDThh:mm:ssZ``.
    """
    if when.utcoffset() is None:
        raise ValueError("event time must be timezone-aware")
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    paths = sorted(p for p in payload if p != PREMIS_PATH)
    ids = {path: object_identifier(path, payload[path]) for path in paths}
    pdfs = [p for p in paths if p.endswith(".pdf")]
    sources = [p for p in paths if p not in pdfs]
    software = software_agents()
    org = Agent(organization, "organization")
    unfolio, weasyprint, pikepdf = software["unfolio"], software["weasyprint"], software["pikepdf"]

    events = [
        _Event(
            "validation",
            f'program="unfolio source validation"; version="{unfolio.version}"',
            "pass",
            ((unfolio, "validator"), (org, "authorizer")),
            tuple((ids[p], "source") for p in sources),
        ),
        _Event(
            "creation",
            f'program="unfolio"; version="{unfolio.version}"; '
            f'renderer="WeasyPrint"; renderer_version="{weasyprint.version}"; pdfa="{flavour}"',
            "success",
            (
                (unfolio, "executing program"),
                (weasyprint, "executing program"),
                (org, "authorizer"),
            ),
            tuple((ids[p], "source") for p in sources) + tuple((ids[p], "outcome") for p in pdfs),
        ),
        _Event(
            "validation",
            f'program="pikepdf.pdfa"; version="{pikepdf.version}"; '
            f'program="unfolio PDF/A gate"; version="{unfolio.version}"; level="PDF/A-{flavour}"',
            "pass",
            ((pikepdf, "validator"), (unfolio, "validator"), (org, "authorizer")),
            tuple((ids[p], "source") for p in pdfs),
        ),
        _Event(
            "message digest calculation",
            f'program="unfolio"; version="{unfolio.version}"; algorithms="SHA-256, SHA-512"',
            "success",
            ((unfolio, "executing program"), (org, "authorizer")),
            tuple((ids[p], "source") for p in paths),
        ),
    ]
    event_ids = [event.identifier(stamp) for event in events]

    b = _Builder()
    for path in paths:
        data = payload[path]
        obj = b.sub(b.root, "object")
        obj.set(f"{{{XSI_NS}}}type", "file")
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
        if path in pdfs:
            for agent in (unfolio, weasyprint):
                app = b.sub(chars, "creatingApplication")
                b.sub(app, "creatingApplicationName", agent.name)
                b.sub(app, "creatingApplicationVersion", agent.version)
                b.sub(app, "dateCreatedByApplication", stamp)
        b.sub(obj, "originalName", path.removeprefix("data/"))
        if path in pdfs and sources:
            relationship = b.sub(obj, "relationship")
            b.sub(relationship, "relationshipType", "derivation")
            b.sub(relationship, "relationshipSubType", "has source")
            for source_path in sources:
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
        b.sub(b.sub(element, "eventOutcomeInformation"), "eventOutcome", event.outcome)
        for agent, role in event.agents:
            link = b.sub(element, "linkingAgentIdentifier")
            b.sub(link, "linkingAgentIdentifierType", "UUID")
            b.sub(link, "linkingAgentIdentifierValue", agent.identifier)
            b.sub(link, "linkingAgentRole", role)
        for object_id, role in event.objects:
            link = b.sub(element, "linkingObjectIdentifier")
            b.sub(link, "linkingObjectIdentifierType", "UUID")
            b.sub(link, "linkingObjectIdentifierValue", object_id)
            b.sub(link, "linkingObjectRole", role)

    for agent in (unfolio, weasyprint, pikepdf, org):
        element = b.sub(b.root, "agent")
        b.identifier(element, "agentIdentifier", agent.identifier)
        b.sub(element, "agentName", agent.name)
        b.sub(element, "agentType", agent.kind)
        if agent.version:
            b.sub(element, "agentVersion", agent.version)

    etree.indent(b.root, space="  ")
    return etree.tostring(b.root, xml_declaration=True, encoding="UTF-8") + b"\n"

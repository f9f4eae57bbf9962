"""The agreement of what an unfolio bag says about itself, in every place it says it.

A bag describes its document four times: ``bag-info.txt``, the source ``document.json``, the
PDF's XMP and ``premis.xml``. Each pair must agree, or an archive would catalogue one document
and keep another. ``document.json`` is the reference (it is the validated input); the XMP is
compared with it by the gate's ``PDF-METADATA`` check (:mod:`pipeline.verify.pdf`), bag-info
and PREMIS here. Fixity in PREMIS is compared with the files as they are, and the PRONOM PUID
of the PDF with the PDF/A flavour its XMP claims.

Files are read only when they are regular files inside the bag reached through real folders
(``lstat`` on every step): a symlink or device in a hostile bag is reported, never followed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from pipeline import placeholders, source
from pipeline.errors import Problem, UserError
from pipeline.model import Document
from pipeline.package import contents, descriptive, premis
from pipeline.typeset.postpass import job_number
from pipeline.verify.bagit import BagReading
from pipeline.verify.findings import Finding, rule
from pipeline.verify.layouts import LAYOUT_1

LAYOUT = rule("META-LAYOUT", "error", "the payload holds exactly the PDF, its source and PREMIS")
NAME = rule("META-NAME", "error", "the bag and PDF are named after the symbol and language")
SOURCE = rule("META-SOURCE", "error", "the bagged source is a valid document source")
BAG_INFO = rule(
    "META-BAG-INFO",
    "error",
    "bag-info.txt agrees with document.json (and, from 0.2, config and PREMIS)",
)
PREMIS_SYNTAX = rule("META-PREMIS-SYNTAX", "error", "premis.xml is well-formed PREMIS 3")
PREMIS_XSD = rule("META-PREMIS-XSD", "error", "premis.xml is valid against the given XSD")
PREMIS_OBJECTS = rule(
    "META-PREMIS-OBJECTS", "error", "PREMIS has one object per payload file but itself"
)
PREMIS_FIXITY = rule(
    "META-PREMIS-FIXITY", "error", "PREMIS fixity and sizes match the files as they are"
)
PREMIS_FORMAT = rule(
    "META-PREMIS-FORMAT", "error", "PRONOM formats match the files and the PDF's PDF/A claim"
)
PREMIS_EVENTS = rule(
    "META-PREMIS-EVENTS", "error", "PREMIS events succeeded and link known objects and agents"
)

SOURCE_DIR = "data/objects/source"
#: Largest file this module reads into memory (the PDF is by far the largest).
MAX_READ_BYTES = 256 * 1024 * 1024
_P = f"{{{premis.PREMIS_NS}}}"
_NS = {"p": premis.PREMIS_NS}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
_DIGEST_ALGORITHMS = {"SHA-256": "sha256", "SHA-512": "sha512"}
_GOOD_OUTCOMES = frozenset({"pass", "success"})
_BUILD_KEY = re.compile(r"sha256:[0-9a-f]{64}")
_REQUIRED_EVENTS = ("creation", "validation", "message digest calculation")


def safe_file(root: Path, relative: str) -> Path | None:
    """``root/relative`` if every step is a real folder and the end a regular file, else None."""
    path = root
    parts = relative.split("/")
    for index, part in enumerate(parts):
        if part in ("", ".", ".."):
            return None
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None
        last = index == len(parts) - 1
        if (last and not stat.S_ISREG(mode)) or (not last and not stat.S_ISDIR(mode)):
            return None
    return path


def read_file(root: Path, relative: str, limit: int = MAX_READ_BYTES) -> bytes | None:
    """The bytes of a safe file no larger than ``limit``, else None."""
    path = safe_file(root, relative)
    if path is None:
        return None
    with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as handle:
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None


def load_document(root: Path) -> tuple[Document | None, list[Finding]]:
    """The document the bagged source describes, or the source problems, each naming its file.
    A source that still holds a placeholder (``[[TO FILL: …]]``, which the loader accepts in
    a draft) is a draft, never an issued document: each placeholder is a finding."""
    if safe_file(root, f"{SOURCE_DIR}/document.json") is None:
        return None, [SOURCE(f"{SOURCE_DIR}/document.json", "missing or not a regular file")]
    try:
        document = source.load(root / SOURCE_DIR)
    except UserError as exc:
        return None, [_source_finding(problem) for problem in exc.problems]
    left = placeholders.find(document)
    return document, [_source_finding(p) for p in left]


def _source_finding(problem: Problem) -> Finding:
    where = f"{SOURCE_DIR}/{Path(problem.file).name}" if problem.file else SOURCE_DIR
    place = ""
    if problem.line is not None:
        place = f"line {problem.line}: "
    elif problem.pointer is not None:
        place = f"at {problem.pointer or '/'}: "
    return SOURCE(where, place + problem.message)


def pdf_path(document: Document) -> str:
    return f"data/objects/{contents.bag_name(document)}.pdf"


def check_layout(
    root: Path, reading: BagReading, document: Document, layout: int = LAYOUT_1
) -> list[Finding]:
    """The payload files are exactly those unfolio writes for ``document`` in ``layout``
    (LAYOUT_2 adds ``data/metadata/metadata.csv``)."""
    findings = []
    expected = {pdf_path(document), premis.PREMIS_PATH}
    if layout != LAYOUT_1:
        expected.add(descriptive.METADATA_CSV_PATH)
    expected |= {f"{SOURCE_DIR}/{f.name}" for f in document.files}
    present = set(reading.payload)
    for path in sorted(expected - present):
        findings.append(LAYOUT(path, "missing from the payload"))
    for path in sorted(present - expected):
        findings.append(LAYOUT(path, "not a file unfolio puts in this bag"))
    name = contents.bag_name(document)
    actual = Path(root).resolve().name  # "verify ." names the folder by its real name
    if actual != name:
        findings.append(NAME("", f"the bag is named {actual!r}; its document makes it {name!r}"))
    return findings


def check_bag_info(reading: BagReading, document: Document) -> list[Finding]:
    """Each bag-info element that restates document.json says the same (LAYOUT_1; a LAYOUT_2
    bag's bag-info is derived again in full by :mod:`pipeline.verify.derived`)."""
    info: dict[str, list[str]] = {}
    for label, value in reading.info:
        info.setdefault(label, []).append(value)
    expected = {
        "External-Identifier": document.symbol,
        "External-Description": document.title,
        "Bag-Group-Identifier": document.symbols[0].text,
        "Internal-Sender-Identifier": job_number(document),
        "UN-Language": document.language,
        "UN-Distribution": document.distribution,
    }
    findings = []
    for label, value in expected.items():
        found = info.get(label, [])
        if not found:
            findings.append(
                BAG_INFO("bag-info.txt", f"{label} is missing; document.json says {value!r}")
            )
        elif found != [value]:
            findings.append(
                BAG_INFO(
                    "bag-info.txt",
                    f"{label} is {', '.join(map(repr, found))}; document.json says {value!r}",
                )
            )
    for key in info.get("UN-Build-Key", []):
        if not _BUILD_KEY.fullmatch(key):
            findings.append(BAG_INFO("bag-info.txt", f"UN-Build-Key {key!r} is not sha256:<hex>"))
    return findings


# -- PREMIS ---------------------------------------------------------------------------------


@dataclass
class PremisFile:
    identifier: str
    name: str
    fixity: dict[str, list[str]] = field(default_factory=dict)  # algorithm → every value given
    size: str | None = None
    puid: str | None = None
    format_version: str | None = None
    events: list[str] = field(default_factory=list)


_XSI_TYPE = f"{{{premis.XSI_NS}}}type"


def premis_files(root: etree._Element, layout: int = LAYOUT_1) -> Iterator[PremisFile]:
    """The file objects: every ``object`` in LAYOUT_1; in LAYOUT_2 those Archivematica
    selects, ``premis:object[@xsi:type="premis:file"]`` (a literal match)."""
    for element in root.iterfind("p:object", _NS):
        if layout != LAYOUT_1 and element.get(_XSI_TYPE) != "premis:file":
            continue
        found = PremisFile(
            identifier=element.findtext("p:objectIdentifier/p:objectIdentifierValue", "", _NS),
            name=element.findtext("p:originalName", "", _NS),
            size=element.findtext("p:objectCharacteristics/p:size", None, _NS),
            puid=element.findtext(
                "p:objectCharacteristics/p:format/p:formatRegistry/p:formatRegistryKey", None, _NS
            ),
            format_version=element.findtext(
                "p:objectCharacteristics/p:format/p:formatDesignation/p:formatVersion", None, _NS
            ),
            events=[
                e.text or ""
                for e in element.iterfind(
                    "p:linkingEventIdentifier/p:linkingEventIdentifierValue", _NS
                )
            ],
        )
        for fixity in element.iterfind("p:objectCharacteristics/p:fixity", _NS):
            algorithm = fixity.findtext("p:messageDigestAlgorithm", "", _NS)
            found.fixity.setdefault(algorithm, []).append(
                fixity.findtext("p:messageDigest", "", _NS)
            )
        yield found


def file_digests(root: Path, relative: str) -> tuple[int, dict[str, str]] | None:
    path = safe_file(root, relative)
    if path is None:
        return None
    hashers = {name: hashlib.new(algorithm) for name, algorithm in _DIGEST_ALGORITHMS.items()}
    size = 0
    with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as handle:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            for hasher in hashers.values():
                hasher.update(chunk)
    return size, {name: hasher.hexdigest() for name, hasher in hashers.items()}


def parse_premis(root: Path) -> tuple[etree._Element | None, list[Finding]]:
    where = premis.PREMIS_PATH
    data = read_file(root, where, limit=16 * 1024 * 1024)
    if data is None:
        return None, [PREMIS_SYNTAX(where, "missing, not a regular file, or larger than 16 MiB")]
    try:
        tree = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        return None, [PREMIS_SYNTAX(where, f"not well-formed XML: {exc}")]
    if tree.tag != f"{_P}premis" or tree.get("version") != "3.0":
        return None, [PREMIS_SYNTAX(where, f"root is {tree.tag!r}, not PREMIS 3.0 <premis>")]
    return tree, []


@cache
def load_xsd(xsd: Path) -> etree.XMLSchema:
    """The XML Schema at ``xsd`` (its imports read locally, never from the network), parsed
    once per process; ``UserError`` (exit 2) when it is not one."""
    try:
        return etree.XMLSchema(etree.parse(str(xsd), _PARSER))
    except OSError as exc:
        raise UserError(Problem(str(xsd), f"cannot read the XML Schema: {exc}")) from None
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise UserError(Problem(str(xsd), f"not a usable XML Schema: {exc}")) from None


def check_premis_xsd(root: Path, xsd: Path) -> list[Finding]:
    """Validate premis.xml against the XSD at ``xsd`` (read locally, no network)."""
    where = premis.PREMIS_PATH
    data = read_file(root, where, limit=16 * 1024 * 1024)
    if data is None:
        return []  # reported by META-PREMIS-SYNTAX
    schema = load_xsd(Path(xsd))
    try:
        schema.assertValid(etree.fromstring(data, _PARSER))
    except etree.DocumentInvalid:
        return [
            PREMIS_XSD(where, f"line {error.line}: {error.message}") for error in schema.error_log
        ]
    except etree.XMLSyntaxError:
        return []  # reported by META-PREMIS-SYNTAX
    except etree.XMLSchemaValidateError as exc:  # libxml2 gives up (an entity in a DOCTYPE…)
        return [PREMIS_XSD(where, f"the XSD validator could not judge the file: {exc}")]
    return []


def check_premis(
    root: Path, reading: BagReading, pdf_flavour: str | None, layout: int = LAYOUT_1
) -> list[Finding]:
    """PREMIS against the payload as it is: objects, fixity, sizes, formats and events.

    ``originalName`` is the path under ``data/`` in LAYOUT_1 (``objects/…``), the path in the
    bag in LAYOUT_2 (``data/objects/…``, what Archivematica matches for a bag transfer).
    """
    tree, findings = parse_premis(root)
    if tree is None:
        return findings
    where = premis.PREMIS_PATH
    objects = list(premis_files(tree, layout))
    prefix = "data/" if layout == LAYOUT_1 else ""
    by_name: dict[str, PremisFile] = {}
    for obj in objects:
        if obj.name in by_name:
            findings.append(PREMIS_OBJECTS(where, f"two objects name {obj.name!r}"))
        by_name[obj.name] = obj
    described = {f"{prefix}{name}" for name in by_name}
    payload = set(reading.payload) - {premis.PREMIS_PATH}
    for path in sorted(payload - described):
        findings.append(PREMIS_OBJECTS(path, "payload file has no PREMIS object"))
    for path in sorted(described - payload):
        shown = path.removeprefix(prefix)
        findings.append(PREMIS_OBJECTS(where, f"object {shown!r} names no payload file"))
    for path in sorted(payload & described):
        obj = by_name[path.removeprefix(prefix)]
        findings += _object_findings(root, path, obj, pdf_flavour)
    findings += _event_findings(tree, objects)
    return findings


def fixity_findings(
    path: str, obj: PremisFile, size: int, digests: dict[str, str]
) -> list[Finding]:
    """PREMIS size and fixity of ``obj`` against a payload file's measured ``size`` and
    ``digests`` (PREMIS algorithm name → hex); the full check and ``--fixity`` both use it."""
    findings = []
    if obj.size != str(size):
        findings.append(PREMIS_FIXITY(path, f"PREMIS size {obj.size}, file has {size} bytes"))
    for name, value in digests.items():
        given = obj.fixity.get(name, [])
        if not given:
            findings.append(PREMIS_FIXITY(path, f"PREMIS has no {name} fixity"))
        elif len(given) > 1:
            findings.append(PREMIS_FIXITY(path, f"PREMIS gives {len(given)} {name} fixities"))
        elif given[0] != value:
            findings.append(PREMIS_FIXITY(path, f"PREMIS {name} differs from the file's"))
    for name in sorted(set(obj.fixity) - set(digests)):  # one nobody compares is no fixity
        findings.append(PREMIS_FIXITY(path, f"PREMIS gives a {name!r} fixity unfolio never writes"))
    return findings


def _object_findings(root: Path, path: str, obj: PremisFile, flavour: str | None) -> list[Finding]:
    findings = []
    measured = file_digests(root, path)
    if measured is not None:
        findings += fixity_findings(path, obj, *measured)
    if path.endswith(".pdf") and flavour is None:
        return findings  # what the PDF claims is unknown; PDF-PDFA-CLAIM reports it
    try:
        expected = premis.file_format(path, flavour or "2u")
    except ValueError:
        return [*findings, PREMIS_FORMAT(path, "no PRONOM format is known for this file")]
    if obj.puid != expected.puid:
        claim = f" (its XMP claims PDF/A-{flavour})" if path.endswith(".pdf") else ""
        findings.append(
            PREMIS_FORMAT(path, f"PREMIS says {obj.puid}, expected {expected.puid}{claim}")
        )
    elif path.endswith(".pdf") and obj.format_version != flavour:
        findings.append(
            PREMIS_FORMAT(path, f"formatVersion {obj.format_version!r}, the PDF claims {flavour}")
        )
    return findings


def _event_findings(tree: etree._Element, objects: list[PremisFile]) -> list[Finding]:
    where = premis.PREMIS_PATH
    findings = []
    object_ids = {obj.identifier for obj in objects}
    agent_ids = {
        a.findtext("p:agentIdentifier/p:agentIdentifierValue", "", _NS)
        for a in tree.iterfind("p:agent", _NS)
    }
    event_ids = set()
    types = set()
    for event in tree.iterfind("p:event", _NS):
        identifier = event.findtext("p:eventIdentifier/p:eventIdentifierValue", "", _NS)
        kind = event.findtext("p:eventType", "", _NS)
        event_ids.add(identifier)
        types.add(kind)
        outcomes = list(event.iterfind("p:eventOutcomeInformation/p:eventOutcome", _NS))
        if not outcomes:  # an event that does not say it succeeded did not, for an archive
            findings.append(PREMIS_EVENTS(where, f"{kind} event has no outcome"))
        for outcome in outcomes:
            if (outcome.text or "").strip() not in _GOOD_OUTCOMES:
                findings.append(PREMIS_EVENTS(where, f"{kind} event outcome {outcome.text!r}"))
        for link in ("Agent", "Object"):
            if event.find(f"p:linking{link}Identifier", _NS) is None:
                findings.append(PREMIS_EVENTS(where, f"{kind} event links no {link.lower()}"))
        for agent in event.iterfind("p:linkingAgentIdentifier/p:linkingAgentIdentifierValue", _NS):
            if agent.text not in agent_ids:
                findings.append(PREMIS_EVENTS(where, f"{kind} event links unknown agent"))
        for obj in event.iterfind("p:linkingObjectIdentifier/p:linkingObjectIdentifierValue", _NS):
            if obj.text not in object_ids:
                findings.append(PREMIS_EVENTS(where, f"{kind} event links unknown object"))
    for kind in _REQUIRED_EVENTS:
        if kind not in types:
            findings.append(PREMIS_EVENTS(where, f"no {kind} event"))
    for obj in objects:
        for event in obj.events:
            if event not in event_ids:
                findings.append(PREMIS_EVENTS(where, f"object {obj.name!r} links unknown event"))
    return findings

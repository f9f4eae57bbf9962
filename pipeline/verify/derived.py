"""Everything unfolio derives, derived again: ``bag-info.txt``, ``premis.xml``, ``metadata.csv``.

A forger who edits a bag and recomputes the manifests, Payload-Oxum and PREMIS fixity passes
every check that compares the bag with itself. So for a bag of the current layout (LAYOUT_2)
these files are not read for what they say but written again, with the writer's own
functions (:mod:`pipeline.package.contents`, :mod:`~pipeline.package.premis`,
:mod:`~pipeline.package.descriptive`), from the bag's ``document.json``, its payload files
and the few facts no file can tell — the provenance: who issued the bag, when, and which
program versions made it. Those are read from PREMIS and each is anchored elsewhere:

- ``Source-Organization``: the configuration's, when one is given (``--config`` or
  ``unfolio.toml``); else PREMIS's organization agent (so a verify elsewhere, without the
  issuer's config, raises no false alarm);
- ``Bagging-Date``: the date of PREMIS's events (all of one build, one time);
- ``Bag-Software-Agent``: PREMIS's creating application ``unfolio``; the PDF's Creator is
  checked against it by the gate (``PDF-METADATA``);
- WeasyPrint's and pikepdf's versions: the PDF's ``/Producer`` names both.

The regenerated file must equal the bagged one byte for byte; the finding names the first
element (or line) that differs. One source of truth: a rule changed in the writer changes
here with it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
from lxml import etree

from pipeline.config import Config
from pipeline.model import Document
from pipeline.package import contents, descriptive, premis
from pipeline.verify.bagit import BagReading
from pipeline.verify.consistency import BAG_INFO, read_file
from pipeline.verify.findings import Finding, rule

BAG_INFO_ELEMENT = rule(
    "META-BAG-INFO-ELEMENT", "error", "bag-info.txt holds only elements unfolio writes"
)
PREMIS_DERIVED = rule(
    "META-PREMIS-DERIVED",
    "error",
    "premis.xml is what unfolio writes for the bag's files, document and provenance",
)
METADATA_CSV = rule(
    "META-METADATA-CSV", "error", "metadata.csv is what unfolio writes for the document"
)

#: Elements unfolio writes that are checked elsewhere (BagIt, the profile) or are free
#: configuration values when no configuration is given.
_COMPUTED = frozenset({"payload-oxum"})
#: Elements whose value is the bag's own claim (checked by the profile, and the key by its form).
_CLAIMED = frozenset({"BagIt-Profile-Identifier", "UN-Build-Key"})
_BUILD_KEY = re.compile(r"sha256:[0-9a-f]{64}")
_PRODUCER = re.compile(r"WeasyPrint (?P<weasyprint>\S+); pikepdf (?P<pikepdf>\S+)")
_P = f"{{{premis.PREMIS_NS}}}"
_NS = {"premis": premis.PREMIS_NS}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


@dataclass(frozen=True)
class Found:
    """The provenance read back from PREMIS, or why it could not be."""

    provenance: premis.Provenance | None
    problem: str = ""


def read_provenance(data: bytes) -> Found:
    """Who, when and with which versions, as the bag's PREMIS records them."""
    try:
        tree = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        return Found(None, f"not well-formed XML: {exc}")
    software: dict[str, list[str]] = {}
    organizations = []
    for agent in tree.iterfind("premis:agent", _NS):
        kind = agent.findtext("premis:agentType", "", _NS)
        name = agent.findtext("premis:agentName", "", _NS)
        if kind == "organization":
            organizations.append(name)
        elif kind == "software":
            software.setdefault(name, []).append(agent.findtext("premis:agentVersion", "", _NS))
    stamps = sorted({e.text or "" for e in tree.iterfind("premis:event/premis:eventDateTime", _NS)})
    versions = {}
    for name in ("unfolio", "WeasyPrint", "pikepdf"):
        given = software.get(name, [])
        if len(given) != 1 or not given[0]:
            return Found(None, f"expected one {name} software agent with a version")
        versions[name] = given[0]
    if len(organizations) != 1 or not organizations[0]:
        return Found(None, "expected one organization agent with a name")
    if len(stamps) != 1:
        return Found(None, f"expected every event at one time, found {len(stamps)} times")
    try:
        when = datetime.strptime(stamps[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return Found(None, f"event time {stamps[0]!r} is not YYYY-MM-DDThh:mm:ssZ")
    return Found(
        premis.Provenance(
            organizations[0], when, versions["unfolio"], versions["WeasyPrint"], versions["pikepdf"]
        )
    )


def _values(info: Sequence[tuple[str, str]], label: str) -> list[str]:
    return [value for name, value in info if name.lower() == label.lower()]


def check_bag_info(
    reading: BagReading,
    document: Document,
    provenance: premis.Provenance,
    config: Config | None,
) -> list[Finding]:
    """bag-info.txt against the elements unfolio writes for this document and provenance."""
    info = reading.info
    organization = config.source_organization if config is not None else provenance.organization
    contacts = (
        (config.contact_name, config.contact_email)
        if config is not None
        else tuple(
            (_values(info, label) or [None])[0] for label in ("Contact-Name", "Contact-Email")
        )
    )
    claimed = Config(
        source_organization=organization,
        contact_name=contacts[0],
        contact_email=contacts[1],
        profile_identifier=(_values(info, "BagIt-Profile-Identifier") or [""])[0],
    )
    expected = contents.bag_info(
        document,
        config=claimed,
        when=provenance.when,
        build_key=(_values(info, "UN-Build-Key") or [""])[0],
        unfolio_version=provenance.unfolio,
    )
    why = {
        "Source-Organization": "the configuration's" if config else "PREMIS's organization agent",
        "Contact-Name": "the configuration's",
        "Contact-Email": "the configuration's",
        "Bagging-Date": "the date of PREMIS's events",
        "Bag-Software-Agent": "PREMIS's creating application",
    }
    findings = []
    written = {label.lower() for label, _ in expected} | _COMPUTED
    for label, _ in info:
        if label.lower() not in written:
            findings.append(
                BAG_INFO_ELEMENT(
                    "bag-info.txt",
                    f"{label} is not an element unfolio writes (judge bags from elsewhere "
                    "with --bagit-only)",
                )
            )
    for label, value in expected:
        found = _values(info, label)
        if label in _CLAIMED:  # taken from the bag itself: presence is the profile's check
            findings += [
                BAG_INFO("bag-info.txt", f"UN-Build-Key {key!r} is not sha256:<hex>")
                for key in found
                if label == "UN-Build-Key" and not _BUILD_KEY.fullmatch(key)
            ]
            continue
        if found == [value]:
            continue
        source = why.get(label, "document.json")
        shown = ", ".join(map(repr, found)) or "absent"
        findings.append(
            BAG_INFO("bag-info.txt", f"{label} is {shown}; from {source} unfolio writes {value!r}")
        )
    if not findings:
        order = [label for label, _ in info if label.lower() not in _COMPUTED]
        if order != [label for label, _ in expected]:
            findings.append(
                BAG_INFO("bag-info.txt", "elements are not in the order unfolio writes")
            )
    return findings


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else "node()"


def _step(parent: etree._Element, child: etree._Element) -> str:
    """``name`` or ``name[n]`` when the parent holds several of that name."""
    same = [c for c in parent if _name(c) == _name(child)]
    return _name(child) if len(same) == 1 else f"{_name(child)}[{same.index(child) + 1}]"


def first_difference(
    got: etree._Element, want: etree._Element, path: str = "", step: str | None = None
) -> str | None:
    """Where two XML trees first differ, as a path and both values; None if they are equal."""
    here = f"{path}/{step or _name(got)}"
    if got.tag != want.tag:
        return f"{here}: unfolio writes {_name(want)} here"
    if dict(got.attrib) != dict(want.attrib):
        return f"{here}: attributes {dict(got.attrib)}, unfolio writes {dict(want.attrib)}"
    got_text, want_text = (got.text or "").strip(), (want.text or "").strip()
    if got_text != want_text:
        return f"{here} is {got_text[:200]!r}, unfolio writes {want_text!r}"
    got_children, want_children = list(got), list(want)
    for a, b in zip(got_children, want_children, strict=False):
        difference = first_difference(a, b, here, _step(got, a))
        if difference is not None:
            return difference
    if len(got_children) != len(want_children):
        return f"{here} has {len(got_children)} child elements, unfolio writes {len(want_children)}"
    return None


def check_premis(
    data: bytes,
    payload: Mapping[str, bytes],
    document: Document,
    flavour: str,
    provenance: premis.Provenance,
    producer: str | None,
) -> list[Finding]:
    """premis.xml against the record unfolio writes for this payload, document and provenance."""
    where = premis.PREMIS_PATH
    findings = []
    match = _PRODUCER.search(producer or "")
    if match is not None:
        for name, recorded in (
            ("WeasyPrint", provenance.weasyprint),
            ("pikepdf", provenance.pikepdf),
        ):
            printed = match[name.lower()]
            if printed != recorded:
                findings.append(
                    PREMIS_DERIVED(
                        where,
                        f"agent {name} is version {recorded}; the PDF's Producer says {printed}",
                    )
                )
    expected = premis.premis_xml(payload, document=document, flavour=flavour, provenance=provenance)
    if data == expected:
        return findings
    want = etree.fromstring(expected)
    difference = first_difference(etree.fromstring(data, _PARSER), want)
    message = difference or "the bytes differ from what unfolio writes (layout or encoding)"
    at = re.match(r"/premis/object\[([0-9]+)\]", message)
    if at is not None:  # name the file the object stands for
        objects = want.findall("premis:object", _NS)
        name = objects[int(at[1]) - 1].findtext("premis:originalName", None, _NS)
        message += f" (the object unfolio writes for {name})" if name else " (the document)"
    return [*findings, PREMIS_DERIVED(where, message)]


def pdf_producer(pdf: bytes) -> str | None:
    """The PDF's Info ``/Producer``, or None when it cannot be read (the gate says why)."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            value = opened.trailer.get("/Info", {}).get("/Producer")
            return str(value) if value is not None else None
    except Exception:  # a damaged PDF: PDF-SYNTAX reports it
        return None


def check_metadata_csv(data: bytes | None, document: Document) -> list[Finding]:
    """metadata.csv against the file unfolio writes for the document."""
    where = descriptive.METADATA_CSV_PATH
    if data is None:
        return []  # missing: META-LAYOUT names it
    expected = descriptive.metadata_csv(document, contents.pdf_name(document))
    if data == expected:
        return []
    got_lines = data.decode("utf-8", "replace").split("\r\n")
    want_lines = expected.decode("utf-8").split("\r\n")
    for number, (got, want) in enumerate(zip(got_lines, want_lines, strict=False), 1):
        if got != want:
            return [METADATA_CSV(where, f"line {number} is {got[:200]!r}, unfolio writes {want!r}")]
    return [METADATA_CSV(where, f"{len(got_lines)} lines, unfolio writes {len(want_lines)}")]


def check(
    root: Path,
    reading: BagReading,
    document: Document,
    flavour: str | None,
    config: Config | None,
    *,
    premis_checked: bool,
    producer: str | None = None,
) -> list[Finding]:
    """Every derived file of a LAYOUT_2 bag, derived again and compared.

    ``premis_checked`` says the targeted PREMIS checks found nothing: only then is the whole
    record regenerated (one cause, one finding)."""
    findings = check_metadata_csv(read_file(root, descriptive.METADATA_CSV_PATH), document)
    data = read_file(root, premis.PREMIS_PATH)
    if data is None:
        return findings  # META-PREMIS-SYNTAX names it
    found = read_provenance(data)
    if found.provenance is None:
        return [*findings, PREMIS_DERIVED(premis.PREMIS_PATH, found.problem)]
    findings += check_bag_info(reading, document, found.provenance, config)
    if premis_checked and flavour is not None:
        payload = {}
        for path in reading.payload:
            if path == premis.PREMIS_PATH:
                continue
            content = read_file(root, path)
            if content is None:
                return findings  # unreadable or too large: other checks name it
            payload[path] = content
        findings += check_premis(data, payload, document, flavour, found.provenance, producer)
    return findings

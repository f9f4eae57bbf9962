"""What an archive's intake reads from every bag unfolio builds: PREMIS, metadata.csv, ids.

Archivematica's PREMIS event loader (``load_premis_events_from_xml.py``) is reimplemented
here in its rules, not its code: the literal XPath ``premis:object[@xsi:type="premis:file"]``
with ``premis`` and ``xsi`` bound, each object's ``originalName`` matched as
``%transferDirectory%`` + originalName against the locations a bag transfer records for its
files (``%transferDirectory%data/objects/…``), every event linking agents and only objects
it selected, every selected object and agent linked by an event.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from lxml import etree

from pipeline.symbols import undocs_url

from .conftest import REPO, SHARED
from .test_verify import EPOCH, _build

FIXTURES = REPO / "tests" / "fixtures" / "documents"
PREMIS_XSD = SHARED / "xsd" / "premis-3.0.xsd"
NAMESPACES = {"premis": "http://www.loc.gov/premis/v3",
              "xsi": "http://www.w3.org/2001/XMLSchema-instance"}  # fmt: skip
TRANSFER = "%transferDirectory%"


@pytest.fixture(scope="module")
def bags(tmp_path_factory) -> list[Path]:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        out = tmp_path_factory.mktemp("intake")
        return [_build(folder, out, "2b") for folder in sorted(FIXTURES.iterdir())
                if folder.is_dir()]  # fmt: skip
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


def _identifier(element: etree._Element, kind: str) -> tuple[str, str]:
    return (
        element.findtext(f"premis:{kind}Identifier/premis:{kind}IdentifierType", "", NAMESPACES),
        element.findtext(f"premis:{kind}Identifier/premis:{kind}IdentifierValue", "", NAMESPACES),
    )


def _links(element: etree._Element, kind: str) -> set[tuple[str, str]]:
    return {
        (
            link.findtext(f"premis:linking{kind}IdentifierType", "", NAMESPACES),
            link.findtext(f"premis:linking{kind}IdentifierValue", "", NAMESPACES),
        )
        for link in element.iterfind(f"premis:linking{kind}Identifier", NAMESPACES)
    }


def archivematica_load(bag: Path) -> tuple[dict, dict]:
    """The loader's verdicts: selected file objects by id → their file, and events by id →
    the files they attach to. Raises AssertionError where Archivematica would fail the job."""
    tree = etree.parse(str(bag / "data" / "metadata" / "premis.xml"))
    locations = {
        TRANSFER + p.relative_to(bag).as_posix() for p in (bag / "data").rglob("*") if p.is_file()
    }
    files = {
        _identifier(o, "object"): o
        for o in tree.findall('premis:object[@xsi:type="premis:file"]', NAMESPACES)
    }
    agents = {_identifier(a, "agent"): a for a in tree.findall("premis:agent", NAMESPACES)}
    events = {_identifier(e, "event"): e for e in tree.findall("premis:event", NAMESPACES)}
    matched = {}
    for key, obj in files.items():
        name = (obj.findtext("premis:originalName", "", NAMESPACES) or "").strip()
        assert name, f"{bag.name}: object {key} has no originalName"
        assert TRANSFER + name in locations, f"{bag.name}: {name!r} matches no file"
        matched[key] = name
    event_files: dict = {key: _links(e, "Object") for key, e in events.items()}
    event_agents: dict = {key: _links(e, "Agent") for key, e in events.items()}
    for key, obj in files.items():
        for event in _links(obj, "Event"):
            assert event in events, f"{bag.name}: {matched[key]} links a missing event"
            event_files[event].add(key)
    related_files = set().union(*event_files.values())
    related_agents = set().union(*event_agents.values())
    assert set(files) <= related_files, f"{bag.name}: a file object is in no event"
    assert set(agents) <= related_agents, f"{bag.name}: an agent is in no event"
    for key in events:
        assert event_files[key] and event_files[key] <= set(files), (bag.name, key)
        assert event_agents[key] and event_agents[key] <= set(agents), (bag.name, key)
    return matched, {key: {matched[f] for f in event_files[key]} for key in events}


def test_archivematica_selects_one_file_object_per_payload_file_and_matches_every_event(bags):
    assert len(bags) >= 7
    for bag in bags:
        matched, events = archivematica_load(bag)
        payload = {
            p.relative_to(bag).as_posix()
            for p in (bag / "data").rglob("*")
            if p.is_file() and p.name != "premis.xml"
        }
        assert sorted(matched.values()) == sorted(payload), bag.name
        assert len(events) >= 4 and all(events.values())


@pytest.mark.skipif(not PREMIS_XSD.is_file(), reason="the PREMIS XSD in shared/ is absent")
def test_archivematicas_own_premis_reader_finds_the_same_files_events_and_agents(bags):
    """metsrw (what the loader parses with) reads each selected object's identifier,
    originalName and event links as the rules above do."""
    metsrw = pytest.importorskip("metsrw")
    premisrw = metsrw.plugins.premisrw

    class PremisFile(premisrw.PREMISObject):  # the loader's subclass: originalName too
        @property
        def schema(self):
            return (*super().schema, ("original_name",))

    for bag in bags:
        matched, _ = archivematica_load(bag)
        tree = etree.parse(str(bag / "data" / "metadata" / "premis.xml"))
        namespaces = premisrw.PREMIS_VERSIONS_MAP[tree.getroot().get("version")]["namespaces"]
        read = {}
        for element in tree.findall('premis:object[@xsi:type="premis:file"]', namespaces):
            element.set("version", "3.0")  # as the loader does
            obj = PremisFile(data=premisrw.premis_to_data(element))
            read[(obj.identifier_type, obj.identifier_value)] = obj.original_name.strip()
        assert read == matched, bag.name
        for element in tree.findall("premis:event", namespaces):
            element.set("version", "3.0")
            event = premisrw.PREMISEvent(data=premisrw.premis_to_data(element))
            assert event.findall("linking_object_identifier") and event.type


def test_premis_is_valid_against_the_premis_3_xsd(bags):
    schema = etree.XMLSchema(etree.parse(str(PREMIS_XSD)))
    for bag in bags:
        document = etree.parse(str(bag / "data" / "metadata" / "premis.xml"))
        assert schema.validate(document), (bag.name, schema.error_log)


def test_the_intellectual_entity_and_the_rights_follow_the_document(bags):
    for bag in bags:
        info = dict(
            line.split(": ", 1)
            for line in (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
        )
        tree = etree.parse(str(bag / "data" / "metadata" / "premis.xml"))
        entities = tree.findall('premis:object[@xsi:type="premis:intellectualEntity"]', NAMESPACES)
        assert len(entities) == 1
        values = entities[0].findall("premis:objectIdentifier/premis:objectIdentifierValue",
                                     NAMESPACES)  # fmt: skip
        assert info["External-Identifier"] in [v.text for v in values]
        props = {
            p.findtext("premis:significantPropertiesType", None, NAMESPACES): p.findtext(
                "premis:significantPropertiesValue", None, NAMESPACES
            )
            for p in entities[0].iterfind("premis:significantProperties", NAMESPACES)
        }
        assert props["title"] == info["External-Description"]
        assert props["language"] == info["UN-Language"]
        restriction = tree.findtext(".//premis:rightsGranted/premis:restriction", None, NAMESPACES)
        public = info["UN-Distribution"] == "general"
        assert restriction == ("Allow" if public else "Disallow"), bag.name
        outcomes = {e.text for e in tree.iterfind(".//premis:eventOutcome", NAMESPACES)}
        assert outcomes == {"success"}


def test_metadata_csv_parses_and_holds_the_documents_values(bags):
    import json

    for bag in bags:
        data = (bag / "data" / "metadata" / "metadata.csv").read_bytes()
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        assert len(rows) == 2 and rows[0][0] == "filename"
        header, row = rows
        pdf = next((bag / "data" / "objects").glob("*.pdf"))
        assert row[0] == f"objects/{pdf.name}"
        cells: dict[str, list[str]] = {}
        for name, value in zip(header, row, strict=True):
            cells.setdefault(name, []).append(value)
        source = json.loads((bag / "data/objects/source/document.json").read_text("utf-8"))
        from pipeline import source as source_module

        document = source_module.load(bag / "data" / "objects" / "source")
        assert cells["dc.title"] == [source["title"]]
        assert cells["dc.language"] == [document.language]
        assert cells["dc.date"] == [document.date.isoformat()]
        assert cells["dc.identifier"] == [s.text for s in document.symbols]
        assert cells["dc.relation"] == [undocs_url(s, document.language) for s in document.symbols]
        assert cells["dc.type"] == ["Text"] and cells["dc.publisher"] == ["United Nations"]


def test_external_identifier_is_the_versions_undocs_link_and_the_group_its_symbol(bags):
    identifiers = set()
    for bag in bags:
        info = dict(
            line.split(": ", 1)
            for line in (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
        )
        assert info["External-Identifier"].startswith("https://undocs.org/")
        if info["UN-Language"] == "zh":
            assert info["External-Identifier"].startswith("https://undocs.org/ch/")
        assert info["External-Identifier"].endswith(info["Bag-Group-Identifier"])
        identifiers.add(info["External-Identifier"])
    assert len(identifiers) == len(bags)

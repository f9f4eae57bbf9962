"""The archival package: a BagIt 1.0 bag with PREMIS 3.0, written reproducibly and atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import config as config_module
from pipeline import source
from pipeline.cli import main
from pipeline.config import Config
from pipeline.package import bagit as ourbagit
from pipeline.package import build_bag, recover, write
from pipeline.package.buildkey import build_key
from pipeline.resources import styles_dir

from .conftest import EXAMPLE, REPO, SHARED

EPOCH = "1614902400"  # 2021-03-05T00:00:00Z
PREMIS_XSD = SHARED / "xsd" / "premis-3.0.xsd"
PROFILE = REPO / "schemas" / "bag-profile.json"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
BAG_INFO_ORDER = [
    "Source-Organization",
    "External-Identifier",
    "External-Description",
    "Bagging-Date",
    "Bag-Group-Identifier",
    "Internal-Sender-Identifier",
    "Bag-Software-Agent",
    "BagIt-Profile-Identifier",
    "Payload-Oxum",
    "UN-Language",
    "UN-Distribution",
    "UN-Build-Key",
]


@pytest.fixture(scope="module")
def document():
    return source.load(EXAMPLE)


@pytest.fixture(scope="module")
def pdf(document) -> bytes:
    from pipeline.typeset import render_pdf

    return render_pdf(document, EXAMPLE, flavour="2u")


@pytest.fixture
def make_bag(document, pdf, tmp_path, monkeypatch):
    """Build the example's bag into a folder (default: a fresh one) with a fixed date."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)

    def make(out: Path | None = None, config: Config | None = None) -> Path:
        out = out or tmp_path / "out"
        out.mkdir(exist_ok=True)
        return build_bag(document, pdf, "2u", out, config or Config())

    return make


@pytest.fixture
def bag(make_bag) -> Path:
    return make_bag()


def _files(bag: Path) -> dict[str, bytes]:
    return {p.relative_to(bag).as_posix(): p.read_bytes() for p in bag.rglob("*") if p.is_file()}


def _info(bag: Path) -> list[tuple[str, str]]:
    lines = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split(": ", 1)) for line in lines]  # type: ignore[misc]


def test_bag_is_named_after_the_symbol_and_holds_the_layout(bag):
    assert bag.name == "A_75_9001--S_2021_9001-ZH"
    assert sorted(_files(bag)) == [
        "bag-info.txt",
        "bagit.txt",
        "data/metadata/metadata.csv",
        "data/metadata/premis.xml",
        "data/objects/A_75_9001--S_2021_9001-ZH.pdf",
        "data/objects/source/annex-1.md",
        "data/objects/source/annex-2.md",
        "data/objects/source/document.json",
        "data/objects/source/letter.md",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
        "unfolio-environment.json",
    ]
    for source_file in source.load(EXAMPLE).files:
        assert (bag / "data/objects/source" / source_file.name).read_bytes() == source_file.data


def test_bag_passes_bagit_python_validate_and_bagit_profile(bag):
    bagit = pytest.importorskip("bagit")
    bagit_profile = pytest.importorskip("bagit_profile")
    opened = bagit.Bag(str(bag))
    opened.validate()  # full fixity, both algorithms
    assert opened.version_info == (1, 0)
    profile = json.loads(PROFILE.read_text(encoding="utf-8"))
    uri = profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    assert uri == config_module.DEFAULT_PROFILE_IDENTIFIER
    checker = bagit_profile.Profile(uri, profile=profile)
    assert checker.validate(opened), checker.report


def test_bagit_txt_is_version_1_0_utf8_without_bom(bag):
    assert (bag / "bagit.txt").read_bytes() == (
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    )


def test_manifests_are_sorted_lf_lowercase_and_list_every_payload_file_for_both_algorithms(bag):
    files = _files(bag)
    payload = sorted(p for p in files if p.startswith("data/"))
    tag_files = [
        "bag-info.txt",
        "bagit.txt",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "unfolio-environment.json",
    ]
    for kind, listed in (("manifest", payload), ("tagmanifest", tag_files)):
        for algorithm, width in (("sha256", 64), ("sha512", 128)):
            raw = files[f"{kind}-{algorithm}.txt"]
            assert b"\r" not in raw and raw.endswith(b"\n")
            lines = raw.decode("ascii").splitlines()
            paths = [line.split("  ", 1)[1] for line in lines]
            assert paths == sorted(paths) == listed
            for line in lines:
                hexdigest, path = line.split("  ", 1)
                assert len(hexdigest) == width and hexdigest == hexdigest.lower()
                assert hexdigest == ourbagit.digest(files[path], algorithm)


def test_bag_info_elements_are_in_the_fixed_order(bag, document):
    info = _info(bag)
    assert [label for label, _ in info] == BAG_INFO_ORDER
    values = dict(info)
    assert values["External-Identifier"] == "https://undocs.org/ch/A/75/9001"
    assert values["External-Description"] == document.title
    assert values["Bagging-Date"] == "2021-03-05"
    assert values["Bag-Group-Identifier"] == "A/75/9001"
    assert values["Internal-Sender-Identifier"] == "21-90001 (C)"
    assert values["UN-Language"] == "zh"
    assert values["UN-Build-Key"].startswith("sha256:")


def test_contact_elements_follow_source_organization_when_configured(make_bag):
    bag = make_bag(config=Config(contact_name="Records Unit", contact_email="records@example.org"))
    labels = [label for label, _ in _info(bag)]
    assert labels[:4] == [
        "Source-Organization",
        "Contact-Name",
        "Contact-Email",
        "External-Identifier",
    ]


def test_payload_oxum_counts_payload_bytes_and_files(bag):
    payload = [p for p in (bag / "data").rglob("*") if p.is_file()]
    expected = f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"
    assert dict(_info(bag))["Payload-Oxum"] == expected


def test_premis_is_valid_against_the_premis_3_xsd(bag):
    xmlschema = pytest.importorskip("xmlschema")
    if not PREMIS_XSD.is_file():
        pytest.skip(f"{PREMIS_XSD} is not available")
    schema = xmlschema.XMLSchema(str(PREMIS_XSD))
    schema.validate(str(bag / "data/metadata/premis.xml"))


def test_premis_describes_every_payload_file_but_itself_with_manifest_fixity(bag):
    from lxml import etree

    ns = {"p": "http://www.loc.gov/premis/v3"}
    tree = etree.parse(str(bag / "data/metadata/premis.xml"))
    files = _files(bag)
    objects = tree.findall('p:object[@xsi:type="premis:file"]', {**ns, "xsi": XSI})
    names = sorted(o.findtext("p:originalName", namespaces=ns) for o in objects)
    expected = sorted(p for p in files if p.startswith("data/"))
    expected.remove("data/metadata/premis.xml")
    assert names == expected
    for obj in objects:
        path = obj.findtext("p:originalName", namespaces=ns)
        digests = {
            f.findtext("p:messageDigestAlgorithm", namespaces=ns): f.findtext(
                "p:messageDigest", namespaces=ns
            )
            for f in obj.iterfind(".//p:fixity", ns)
        }
        assert digests == {
            "SHA-256": ourbagit.digest(files[path], "sha256"),
            "SHA-512": ourbagit.digest(files[path], "sha512"),
        }
        assert obj.findtext(".//p:size", namespaces=ns) == str(len(files[path]))
        puid = obj.findtext(".//p:formatRegistryKey", namespaces=ns)
        puids = {".pdf": "fmt/478", ".json": "fmt/817", ".md": "fmt/1149", ".csv": "x-fmt/18"}
        assert puid == puids[Path(path).suffix]
    events = {e.findtext("p:eventType", namespaces=ns) for e in tree.iterfind("p:event", ns)}
    assert events == {"creation", "validation", "message digest calculation"}
    agent_ids = {
        a.findtext(".//p:agentIdentifierValue", namespaces=ns) for a in tree.iterfind("p:agent", ns)
    }
    for link in tree.iterfind(".//p:linkingAgentIdentifierValue", ns):
        assert link.text in agent_ids
    agent_type = {
        a.findtext(".//p:agentIdentifierValue", namespaces=ns): a.findtext(
            "p:agentType", namespaces=ns
        )
        for a in tree.iterfind("p:agent", ns)
    }
    for event in tree.iterfind("p:event", ns):  # each names the software and the organization
        linked = {
            agent_type[v.text] for v in event.iterfind(".//p:linkingAgentIdentifierValue", ns)
        }
        assert {"software", "organization"} <= linked, event.findtext("p:eventType", namespaces=ns)
    assert all(
        e.findtext("p:eventDateTime", namespaces=ns) == "2021-03-05T00:00:00Z"
        for e in tree.iterfind("p:event", ns)
    )


def test_rebuild_with_source_date_epoch_fixed_gives_a_byte_identical_bag(make_bag, tmp_path):
    first = _files(make_bag(tmp_path / "one"))
    second = _files(make_bag(tmp_path / "two"))
    assert first.keys() == second.keys()
    for path in first:
        assert first[path] == second[path], path


def test_rebuild_in_place_replaces_the_bag_and_leaves_nothing_beside_it(make_bag, tmp_path):
    out = tmp_path / "out"
    first = _files(make_bag(out))
    bag = make_bag(out)
    assert _files(bag) == first
    assert sorted(p.name for p in out.iterdir()) == [bag.name]


def test_crash_after_staging_leaves_the_old_bag_in_place_and_the_next_run_recovers(
    make_bag, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    bag = make_bag(out)
    (bag / "data/objects/source/letter.md").write_bytes(b"old bag\n")  # mark the old bag
    old = _files(bag)

    def crash(staging: Path, dest: Path) -> None:
        assert staging.is_dir() and (staging / "tagmanifest-sha512.txt").is_file()
        raise KeyboardInterrupt("simulated crash")

    monkeypatch.setattr(write, "_move_into_place", crash)
    with pytest.raises(KeyboardInterrupt):
        make_bag(out)
    assert _files(bag) == old  # the old complete bag, untouched
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    make_bag(out)
    assert _files(bag) != old
    assert sorted(p.name for p in out.iterdir()) == [bag.name]


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def test_a_bag_left_aside_by_a_dead_run_is_restored_by_the_next_run(bag):
    pid = _dead_pid()
    old = _files(bag)
    aside = bag.parent / f".{bag.name}.old-{pid}-0badc0de"
    os.rename(bag, aside)  # the dead run moved the old bag aside and died before the swap
    recover(bag)
    assert _files(bag) == old
    assert not aside.exists()


def test_a_bag_left_aside_by_a_live_run_is_not_touched(bag):
    aside = bag.parent / f".{bag.name}.old-{os.getpid()}-0badc0de"
    os.rename(bag, aside)
    recover(bag)
    assert aside.is_dir() and not bag.exists()


def test_stale_staging_of_a_dead_pid_is_removed_and_a_live_one_is_kept(bag):
    out = bag.parent
    dead, live = _dead_pid(), os.getpid()
    for pid in (dead, live):
        staging = out / f".{bag.name}.staging-{pid}-12345678"
        (staging / "data").mkdir(parents=True)
        (staging / "data" / "partial.pdf").write_bytes(b"%PDF-")
        (out / f"{staging.name}.owner").write_text(f"{pid}\n")
    recover(bag)
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(
        [
            bag.name,
            f".{bag.name}.staging-{live}-12345678",
            f".{bag.name}.staging-{live}-12345678.owner",
        ]
    )


def test_build_key_changes_with_flavour_config_and_source(document):
    base = build_key(
        document, flavour="2u", config_values=Config().key_values(), styles=styles_dir()
    )
    assert base == build_key(
        document, flavour="2u", config_values=Config().key_values(), styles=styles_dir()
    )
    assert base != build_key(
        document, flavour="3u", config_values=Config().key_values(), styles=styles_dir()
    )
    other = Config(source_organization="UNOG").key_values()
    assert base != build_key(document, flavour="2u", config_values=other, styles=styles_dir())


def test_bag_writer_refuses_unsafe_payload_names():
    for path in ("data/a%25b.pdf", "data/.hidden", "data/../x", "objects/x.pdf", "data/é.md"):
        with pytest.raises(ourbagit.BagLayoutError):
            ourbagit.build_bag_files({path: b"x"}, [])


def test_config_defaults_and_file(tmp_path):
    assert config_module.load(cwd=tmp_path) == Config()
    (tmp_path / "unfolio.toml").write_text(
        'source_organization = "UNOG"\ncontact_email = "r@example.org"\n'
    )
    loaded = config_module.load(cwd=tmp_path)
    assert loaded.source_organization == "UNOG" and loaded.contact_email == "r@example.org"
    (tmp_path / "bad.toml").write_text('colour = "blue"\ncontact_name = "a\\nb"\n')
    with pytest.raises(config_module.UserError) as caught:
        config_module.load(tmp_path / "bad.toml")
    assert len(caught.value.problems) == 2


def test_cli_build_reports_a_bad_document_and_still_builds_the_others(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "document.json").write_text("{")
    code = main(["build", str(bad), str(EXAMPLE), "-o", str(tmp_path / "bags")])
    assert code == 2  # the only failure was invalid input
    assert (tmp_path / "bags" / "A_75_9001--S_2021_9001-ZH" / "bagit.txt").is_file()
    assert "bad" in capsys.readouterr().err
    assert main(["build", str(bad), "-o", str(tmp_path / "bags")]) == 2


@pytest.mark.parametrize(
    ("flavour", "puid"),
    [("2b", "fmt/477"), ("2u", "fmt/478"), ("3b", "fmt/480"), ("3u", "fmt/481")],
)
def test_pdfa_flavours_have_their_pronom_puids(flavour, puid):
    """The PRONOM registry's values, written out here rather than read from premis.py."""
    from pipeline.package import premis

    assert premis.file_format("data/objects/X.pdf", flavour).puid == puid
    assert premis.file_format("data/objects/source/document.json", flavour).puid == "fmt/817"
    assert premis.file_format("data/objects/source/letter.md", flavour).puid == "fmt/1149"

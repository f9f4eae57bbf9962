"""bag-info.txt, premis.xml and metadata.csv are derived again by verify, not trusted.

Each fixture bends one derived file of a fresh bag the way a forger would and reseals the
bag (manifests, tag manifests, Payload-Oxum and, where the file is listed in PREMIS, its
PREMIS fixity), so only the re-derivation can catch it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from pipeline.cli import main
from pipeline.verify import Options, verify_target
from pipeline.verify.derived import first_difference

from .conftest import EXAMPLE
from .test_verify import EPOCH, NAME, PREMIS, _build, edit, reseal

QUICK = Options(second_opinions=False)
CSV = "data/metadata/metadata.csv"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        return _build(EXAMPLE, tmp_path_factory.mktemp("derived"))
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


@pytest.fixture
def bag(built, tmp_path) -> Path:
    return Path(shutil.copytree(built, tmp_path / NAME))


def codes(bag: Path, options: Options = QUICK) -> list[tuple[str, str]]:
    return [(f.code, f.file) for f in verify_target(bag, options).findings]


def messages(bag: Path, code: str) -> list[str]:
    return [f.message for f in verify_target(bag, QUICK).findings if f.code == code]


def test_a_fresh_bag_derives_to_itself(built):
    assert codes(built) == []


@pytest.mark.parametrize(
    ("label", "value", "says"),
    [
        ("Source-Organization", "United Nations Office at Geneva", "PREMIS's organization agent"),
        ("Bagging-Date", "2021-03-04", "the date of PREMIS's events"),
        ("Bag-Software-Agent", "unfolio 0.2.9", "PREMIS's creating application"),
        ("External-Identifier", "A/75/9001", "document.json"),
        ("Bag-Group-Identifier", "A/75/9002", "document.json"),
    ],
)
def test_a_bag_info_element_changed_fails_meta_bag_info_derived(bag, label, value, says):
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    info = re.sub(rf"(?m)^{label}: .*$", f"{label}: {value}", info)
    (bag / "bag-info.txt").write_text(info, encoding="utf-8")
    reseal(bag)
    assert ("META-BAG-INFO", "bag-info.txt") in codes(bag)
    assert any(says in m and label in m for m in messages(bag, "META-BAG-INFO"))


def test_a_build_key_that_is_no_digest_fails_meta_bag_info(bag):
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    info = re.sub(r"(?m)^UN-Build-Key: .*$", "UN-Build-Key: sha256:nothex", info)
    (bag / "bag-info.txt").write_text(info, encoding="utf-8")
    reseal(bag)
    assert any("is not sha256:<hex>" in m for m in messages(bag, "META-BAG-INFO"))


def test_an_element_unfolio_never_writes_fails_under_the_profile_but_not_bagit_only(bag):
    edit(bag, "bag-info.txt", "UN-Language:", "Internal-Sender-Description: edited\nUN-Language:")
    reseal(bag)
    assert ("META-BAG-INFO-ELEMENT", "bag-info.txt") in codes(bag)
    assert codes(bag, Options(bagit_only=True)) == []


def test_source_organization_is_checked_against_the_config_when_one_is_given(
    built, tmp_path, capsys
):
    config = tmp_path / "unfolio.toml"
    config.write_text('source_organization = "UNOG"\n', encoding="utf-8")
    assert main(["verify", "--no-second-opinions", "--config", str(config), str(built)]) == 1
    assert "the configuration's unfolio writes 'UNOG'" in capsys.readouterr().out
    config.write_text('source_organization = "United Nations"\n', encoding="utf-8")
    assert main(["verify", "--no-second-opinions", "--config", str(config), str(built)]) == 0


def _swap(text: str, a: str, b: str) -> str:
    return text.replace(a, "\0").replace(b, a).replace("\0", b)


def test_two_parts_original_names_swapped_with_fixity_recomputed_fail(bag):
    tree = etree.parse(str(bag / PREMIS))
    ns = {"premis": "http://www.loc.gov/premis/v3"}
    objects = {
        o.findtext("premis:originalName", namespaces=ns): o
        for o in tree.iterfind("premis:object", ns)
    }
    first, second = (objects[f"data/objects/source/annex-{n}.md"] for n in (1, 2))
    for tag in ("premis:originalName", "premis:objectCharacteristics"):
        a, b = first.find(tag, ns), second.find(tag, ns)
        a_index, b_index = list(first).index(a), list(second).index(b)
        first.remove(a)
        second.remove(b)
        first.insert(a_index, b)
        second.insert(b_index, a)
    tree.write(str(bag / PREMIS), xml_declaration=True, encoding="UTF-8")
    reseal(bag)
    found = codes(bag)
    assert found == [("META-PREMIS-DERIVED", PREMIS)], found
    assert "for data/objects/source/annex-1.md" in messages(bag, "META-PREMIS-DERIVED")[0]


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("validated the source", "checked the source", "eventDetail"),
        ("<premis:eventOutcome>success</", "<premis:eventOutcome>pass</", "eventOutcome"),
        ("<premis:restriction>Allow</", "<premis:restriction>Disallow</", "restriction"),
    ],
)
def test_premis_text_unfolio_does_not_write_fails_meta_premis_derived(bag, old, new, says):
    edit(bag, PREMIS, old, new)
    reseal(bag)
    assert codes(bag) == [("META-PREMIS-DERIVED", PREMIS)]
    assert says in messages(bag, "META-PREMIS-DERIVED")[0]


def test_a_premis_agent_version_the_pdf_does_not_name_fails(bag):
    text = (bag / PREMIS).read_text(encoding="utf-8")
    version = re.search(r"WeasyPrint</premis:agentName>\s*<premis:agentType>software"
                        r"</premis:agentType>\s*<premis:agentVersion>([^<]+)<", text)[1]  # fmt: skip
    (bag / PREMIS).write_text(text.replace(version, "1.0.0"), encoding="utf-8")
    reseal(bag)
    found = messages(bag, "META-PREMIS-DERIVED")
    assert any("the PDF's Producer says" in m for m in found), found


def test_metadata_csv_changed_fails_meta_metadata_csv(bag):
    from .test_verify import replace_payload

    data = (bag / CSV).read_bytes().replace(b",Text,", b",Image,")
    replace_payload(bag, CSV, data)
    reseal(bag)
    assert ("META-METADATA-CSV", CSV) in codes(bag)  # and PREMIS's ids of the file are stale
    assert messages(bag, "META-METADATA-CSV")[0].startswith("line 2 is ")


def test_a_missing_metadata_csv_fails_meta_layout(bag):
    (bag / CSV).unlink()
    reseal(bag)
    assert ("META-LAYOUT", CSV) in codes(bag)


def test_the_first_difference_is_named_with_its_position():
    got = etree.fromstring("<a><b>1</b><b>2</b><c>x</c></a>")
    want = etree.fromstring("<a><b>1</b><b>3</b><c>x</c></a>")
    assert first_difference(got, want) == "/a/b[2] is '2', unfolio writes '3'"
    assert first_difference(got, got) is None

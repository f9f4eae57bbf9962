"""`unfolio verify` beyond BagIt: profile, consistency, PREMIS, the bagged PDF, second opinions.

Each check code has a fixture here that makes it fire: a real bag built from the example,
bent in one way and then *resealed* (manifests, tag manifests and Payload-Oxum recomputed), so
that the BagIt layer is satisfied and only the cross-check under test can catch the change —
the situation of a careful forger, or of a careless repair.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path

import jsonschema
import pikepdf
import pytest

from pipeline import source
from pipeline.cli import main
from pipeline.config import Config
from pipeline.package import bagit as writer
from pipeline.package import build_bag
from pipeline.typeset import render_pdf
from pipeline.verify import RULES, Options, verify_target
from pipeline.verify import opinions as opinions_module
from pipeline.verify.opinions import Opinion
from pipeline.verify.pdf import check_masthead

from .conftest import EXAMPLE, REPO, SHARED

EPOCH = "1614902400"
PREMIS_XSD = SHARED / "xsd" / "premis-3.0.xsd"
FIXTURES = REPO / "tests" / "fixtures" / "documents"
NAME = "A_75_9001--S_2021_9001-ZH"
PDF = f"data/objects/{NAME}.pdf"
PREMIS = "data/metadata/premis.xml"
QUICK = Options(second_opinions=False)


def _build(folder: Path, out: Path, flavour: str = "2u") -> Path:
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour=flavour)
    return build_bag(document, pdf, flavour, out, Config())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH  # module scope: monkeypatch is function-scoped
    try:
        return _build(EXAMPLE, tmp_path_factory.mktemp("built"))
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


@pytest.fixture
def bag(built, tmp_path) -> Path:
    """A fresh copy of the good bag for one test to bend."""
    return Path(shutil.copytree(built, tmp_path / NAME))


def reseal(bag: Path) -> None:
    """Recompute Payload-Oxum, both payload manifests and both tag manifests."""
    payload = {
        p.relative_to(bag).as_posix(): p.read_bytes()
        for p in sorted((bag / "data").rglob("*"))
        if p.is_file()
    }
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    info = re.sub(r"(?m)^Payload-Oxum: .*$", f"Payload-Oxum: {writer.payload_oxum(payload)}", info)
    (bag / "bag-info.txt").write_text(info, encoding="utf-8")
    for algorithm in writer.ALGORITHMS:
        if (bag / f"manifest-{algorithm}.txt").exists():
            (bag / f"manifest-{algorithm}.txt").write_bytes(writer.manifest(payload, algorithm))
    tags = {
        p.name: p.read_bytes()
        for p in bag.iterdir()
        if p.is_file() and not p.name.startswith("tagmanifest-")
    }
    for algorithm in writer.ALGORITHMS:
        if (bag / f"tagmanifest-{algorithm}.txt").exists():
            (bag / f"tagmanifest-{algorithm}.txt").write_bytes(writer.manifest(tags, algorithm))


def rekey(bag: Path, config_values: dict[str, str] | None = None) -> None:
    """Give the bag the build key its source, (edited) environment record and options make,
    as a build there would have written it: a genuine bag from another machine or config."""
    import json

    from pipeline import source
    from pipeline.config import Config
    from pipeline.package import buildkey
    from pipeline.package.environment import RECORD_PATH
    from pipeline.resources import styles_dir

    raw = json.loads((bag / RECORD_PATH).read_text(encoding="utf-8"))
    key = buildkey.build_key(
        source.load(bag / "data" / "objects" / "source"),
        flavour=raw["pdf"]["flavour"],
        config_values={**Config().key_values(), **(config_values or {})},
        styles=[styles_dir()],
        env=raw["environment"],
        source_date_epoch=raw["source_date_epoch"],
    )
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    info = re.sub(r"(?m)^UN-Build-Key: .*$", f"UN-Build-Key: {key}", info)
    (bag / "bag-info.txt").write_text(info, encoding="utf-8")
    reseal(bag)


def edit(bag: Path, relative: str, old: str, new: str, count: int = 1) -> None:
    path = bag / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def replace_payload(bag: Path, relative: str, data: bytes) -> None:
    """Swap a payload file and make PREMIS agree (digests and size), as a forger would."""
    old = (bag / relative).read_bytes()
    premis = (bag / PREMIS).read_text(encoding="utf-8")
    for algorithm in ("sha256", "sha512"):
        premis = premis.replace(
            hashlib.new(algorithm, old).hexdigest(), hashlib.new(algorithm, data).hexdigest()
        )
    premis = premis.replace(f"size>{len(old)}</", f"size>{len(data)}</")  # premis: or not
    (bag / PREMIS).write_text(premis, encoding="utf-8")
    (bag / relative).write_bytes(data)


def findings(bag: Path, options: Options = QUICK) -> list[tuple[str, str]]:
    return [(f.code, f.file) for f in verify_target(bag, options).findings]


# -- the good bag ---------------------------------------------------------------------------


def test_a_freshly_built_bag_has_no_findings_and_every_second_opinion_agrees(built):
    report = verify_target(built, Options(premis_xsd=PREMIS_XSD if PREMIS_XSD.is_file() else None))
    assert report.findings == []
    assert report.passed(strict=True)
    verdicts = {o.tool: o.verdict for o in report.opinions}
    assert verdicts["bagit-python"] == "valid"
    assert verdicts["bagit-profile"] == "valid"
    assert all(o.agrees for o in report.opinions if o.tool != "veraPDF")
    assert verdicts["veraPDF"] in ("valid", "unavailable")
    assert {"bagit", "profile", "consistency", "pdf", "premis"} <= set(report.checks)


def test_resealing_an_untouched_bag_changes_nothing(bag, built):
    reseal(bag)
    for path in built.rglob("*"):
        if path.is_file():
            assert (bag / path.relative_to(built)).read_bytes() == path.read_bytes()


@pytest.fixture(scope="module")
def language_bags(tmp_path_factory) -> list[Path]:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        out = tmp_path_factory.mktemp("languages")
        return [_build(folder, out, "3u") for folder in sorted(FIXTURES.iterdir())]
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


def test_bags_in_all_six_languages_pass_verify_with_the_premis_xsd(language_bags):
    xsd = PREMIS_XSD if PREMIS_XSD.is_file() else None
    languages = set()
    for bag in language_bags:
        report = verify_target(bag, Options(premis_xsd=xsd))
        assert report.findings == [], (bag.name, [str(f) for f in report.findings])
        verdicts = {o.tool: o.verdict for o in report.opinions}
        assert verdicts["bagit-python"] == verdicts["bagit-profile"] == "valid", bag.name
        assert "premis-xsd" in report.checks or xsd is None
        languages.add(dict(_info(bag))["UN-Language"])
    assert languages == {"ar", "zh", "en", "fr", "ru", "es"}


def _info(bag: Path) -> list[tuple[str, str]]:
    lines = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split(": ", 1)) for line in lines]  # type: ignore[misc]


# -- profile --------------------------------------------------------------------------------


def test_a_bag_claiming_another_profile_fails_meta_profile_identifier(bag):
    edit(bag, "bag-info.txt", "un-document-v2.json", "other-profile.json")
    reseal(bag)
    # the profile identifier is one of the options the build key covers, so it fails too
    assert findings(bag) == [
        ("META-PROFILE-IDENTIFIER", "bag-info.txt"),
        ("META-BUILD-KEY", "bag-info.txt"),
    ]


def test_a_required_bag_info_element_missing_fails_meta_profile_element(bag):
    """Two rules broken, two findings: the profile requires it, and it restates document.json."""
    edit(bag, "bag-info.txt", "UN-Distribution: general\n", "")
    reseal(bag)
    assert findings(bag) == [
        ("META-PROFILE-ELEMENT", "bag-info.txt"),
        ("META-BAG-INFO", "bag-info.txt"),
    ]


def test_a_missing_element_is_caught_even_by_a_profile_that_does_not_require_it(bag, tmp_path):
    profile = json.loads((REPO / "schemas" / "bag-profile.json").read_text(encoding="utf-8"))
    del profile["Bag-Info"]["External-Identifier"]
    custom = tmp_path / "profile.json"
    custom.write_text(json.dumps(profile), encoding="utf-8")
    edit(bag, "bag-info.txt", "External-Identifier: https://undocs.org/ch/A/75/9001\n", "")
    reseal(bag)
    assert findings(bag, dataclasses.replace(QUICK, profile=custom)) == [
        ("META-BAG-INFO", "bag-info.txt")
    ]


def test_verify_dot_names_the_bag_by_its_real_folder_name(built, monkeypatch):
    monkeypatch.chdir(built)
    assert findings(Path(".")) == []
    monkeypatch.chdir(built / "data")
    assert findings(Path("..")) == []


def test_a_bag_info_value_outside_the_profile_list_fails_meta_profile_element(bag):
    edit(bag, "bag-info.txt", "UN-Language: zh", "UN-Language: la")
    reseal(bag)
    codes = findings(bag)
    assert ("META-PROFILE-ELEMENT", "bag-info.txt") in codes
    assert ("META-BAG-INFO", "bag-info.txt") in codes  # and document.json says zh


def test_a_missing_sha512_payload_manifest_fails_meta_profile_manifests(bag):
    (bag / "manifest-sha512.txt").unlink()
    reseal(bag)
    assert ("META-PROFILE-MANIFESTS", "manifest-sha512.txt") in findings(bag)


def test_an_extra_tag_file_fails_meta_profile_tag_files(bag):
    (bag / "notes.txt").write_text("a note\n")
    reseal(bag)
    assert ("META-PROFILE-TAG-FILES", "notes.txt") in findings(bag)


def test_a_fetch_file_fails_meta_profile_fetch(bag):
    (bag / "fetch.txt").write_text("")
    reseal(bag)
    assert ("META-PROFILE-FETCH", "fetch.txt") in findings(bag)


def test_a_bag_declaring_bagit_0_97_fails_meta_profile_version(bag):
    edit(bag, "bagit.txt", "BagIt-Version: 1.0", "BagIt-Version: 0.97")
    reseal(bag)
    assert ("META-PROFILE-VERSION", "bagit.txt") in findings(bag)


def test_a_custom_profile_is_honoured(bag, tmp_path):
    profile = json.loads((REPO / "schemas" / "bag-profile.json").read_text())
    profile["Bag-Info"]["Contact-Email"]["required"] = True
    custom = tmp_path / "profile.json"
    custom.write_text(json.dumps(profile))
    codes = findings(bag, Options(profile=custom, second_opinions=False))
    assert codes == [("META-PROFILE-ELEMENT", "bag-info.txt")]


# -- layout, source, bag-info ---------------------------------------------------------------


def test_an_unexpected_payload_file_fails_meta_layout(bag):
    (bag / "data/objects/notes.txt").write_text("not from unfolio\n")
    reseal(bag)
    codes = findings(bag)
    assert ("META-LAYOUT", "data/objects/notes.txt") in codes
    assert ("META-PREMIS-OBJECTS", "data/objects/notes.txt") in codes


def test_a_renamed_bag_fails_meta_name(bag):
    renamed = bag.rename(bag.with_name("A_75_9002-ZH"))
    assert findings(renamed) == [("META-NAME", "")]


def test_an_invalid_bagged_source_fails_meta_source_naming_the_file(bag):
    edit(
        bag,
        "data/objects/source/document.json",
        '"distribution": "general"',
        '"distribution": "public"',
    )
    reseal(bag)
    codes = findings(bag)
    assert ("META-SOURCE", "data/objects/source/document.json") in codes


def test_a_bagged_source_holding_a_placeholder_fails_meta_source(bag):
    """A draft is never an issued document: a placeholder the loader accepts in a draft (a
    typed field included) is a META-SOURCE finding in a bag."""
    edit(
        bag,
        "data/objects/source/document.json",
        '"distribution": "general"',
        '"distribution": "[[TO FILL: distribution]]"',
    )
    reseal(bag)
    found = [f for f in verify_target(bag, QUICK).findings if f.code == "META-SOURCE"]
    assert [f.file for f in found] == ["data/objects/source/document.json"]
    assert "at /distribution: placeholder [[TO FILL: distribution]]" in found[0].message


def test_a_placeholder_in_an_unprinted_text_field_of_a_bag_fails_meta_source(bag):
    edit(
        bag,
        "data/objects/source/document.json",
        '"remarks": "Built',
        '"remarks": "[[TO FILL]] Built',
    )
    reseal(bag)
    found = verify_target(bag, QUICK).findings  # PREMIS disagrees too: the file was edited
    assert [f.message for f in found if f.code == "META-SOURCE"] == [
        "at /remarks: placeholder [[TO FILL]] is still here"
    ]


def test_bag_info_disagreeing_with_document_json_fails_meta_bag_info(bag):
    edit(
        bag,
        "bag-info.txt",
        "Internal-Sender-Identifier: 21-90001 (C)",
        "Internal-Sender-Identifier: 21-90002 (C)",
    )
    reseal(bag)
    assert findings(bag) == [("META-BAG-INFO", "bag-info.txt")]


# -- PREMIS ---------------------------------------------------------------------------------


def test_premis_that_is_not_xml_fails_meta_premis_syntax(bag):
    (bag / PREMIS).write_text("<premis", encoding="utf-8")
    reseal(bag)
    assert ("META-PREMIS-SYNTAX", PREMIS) in findings(bag)


@pytest.mark.skipif(not PREMIS_XSD.is_file(), reason="the PREMIS XSD in ../shared is absent")
def test_premis_breaking_the_xsd_fails_meta_premis_xsd_only_when_asked(bag):
    edit(
        bag,
        PREMIS,
        "<premis:compositionLevel>0</premis:compositionLevel>",
        "<premis:compositionLevel>0</premis:compositionLevel><premis:bogus/>",
    )
    reseal(bag)
    # without the XSD only the re-derivation (0.2 bags) sees the element unfolio never writes
    assert findings(bag) == [("META-PREMIS-DERIVED", PREMIS)]
    codes = findings(bag, Options(premis_xsd=PREMIS_XSD, second_opinions=False))
    assert set(codes) == {("META-PREMIS-DERIVED", PREMIS), ("META-PREMIS-XSD", PREMIS)}


def test_a_payload_file_without_premis_object_fails_meta_premis_objects(bag):
    premis = (bag / PREMIS).read_text(encoding="utf-8")
    first = premis.index('<premis:object xsi:type="premis:file">')
    first = premis.index("<premis:originalName>data/objects/A_", first)
    first = premis.rindex('<premis:object xsi:type="premis:file">', 0, first)
    last = premis.index("</premis:object>", first) + len("</premis:object>")
    (bag / PREMIS).write_text(premis[:first] + premis[last:], encoding="utf-8")
    reseal(bag)
    assert ("META-PREMIS-OBJECTS", PDF) in findings(bag)


def test_a_premis_size_that_is_not_the_files_fails_meta_premis_fixity(bag):
    size = (bag / PDF).stat().st_size
    edit(bag, PREMIS, f"size>{size}</", f"size>{size + 1}</")
    reseal(bag)
    assert findings(bag) == [("META-PREMIS-FIXITY", PDF)]


def test_a_premis_puid_that_is_not_the_pdfs_claim_fails_meta_premis_format(bag):
    edit(bag, PREMIS, "fmt/478", "fmt/477")
    reseal(bag)
    assert findings(bag) == [("META-PREMIS-FORMAT", PDF)]


def test_a_failed_premis_event_fails_meta_premis_events(bag):
    edit(bag, PREMIS, "eventOutcome>success</", "eventOutcome>fail</")
    reseal(bag)
    assert findings(bag) == [("META-PREMIS-EVENTS", PREMIS)]


# -- the bagged PDF -------------------------------------------------------------------------


def _rewrite_pdf(bag: Path, change) -> None:
    with pikepdf.open(bag / PDF) as pdf:
        change(pdf)
        out = bag / "changed.pdf"
        pdf.save(out)
    replace_payload(bag, PDF, out.read_bytes())
    out.unlink()
    reseal(bag)


def test_a_pdf_claiming_pdfa_1b_fails_pdf_pdfa_claim(bag):
    def claim_1b(pdf: pikepdf.Pdf) -> None:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdfaid:part"] = "1"
            meta["pdfaid:conformance"] = "B"

    _rewrite_pdf(bag, claim_1b)
    assert ("PDF-PDFA-CLAIM", PDF) in findings(bag)


def test_a_pdf_without_a_pdfa_claim_still_gets_every_other_check(bag):
    def unclaim_and_add_javascript(pdf: pikepdf.Pdf) -> None:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            del meta["pdfaid:part"]
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")

    _rewrite_pdf(bag, unclaim_and_add_javascript)
    found = findings(bag)
    assert ("PDF-PDFA-CLAIM", PDF) in found and ("PDF-JAVASCRIPT", PDF) in found


def test_javascript_added_to_the_bagged_pdf_fails_pdf_javascript(bag):
    def add_javascript(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")

    _rewrite_pdf(bag, add_javascript)
    assert ("PDF-JAVASCRIPT", PDF) in findings(bag)


def test_a_pdf_swapped_for_another_valid_pdfa_is_caught_by_the_cross_checks(bag, tmp_path):
    other = source.load(FIXTURES / "en-joint-letter")
    replace_payload(bag, PDF, render_pdf(other, FIXTURES / "en-joint-letter", flavour="2u"))
    reseal(bag)
    codes = {code for code, file in findings(bag) if file == PDF}
    assert {"PDF-METADATA", "PDF-TEXT-ROUNDTRIP", "PDF-MASTHEAD"} <= codes


def test_a_masthead_without_the_documents_distribution_fails_pdf_masthead(built):
    document = source.load(built / "data/objects/source")
    pdf = (built / PDF).read_bytes()
    assert check_masthead(pdf, document, PDF) == []
    restricted = dataclasses.replace(document, distribution="restricted")
    found = check_masthead(pdf, restricted, PDF)
    assert [(f.code, f.file) for f in found] == [("PDF-MASTHEAD", PDF)]
    assert "Distr.: Restricted" in found[0].message


# -- second opinions ------------------------------------------------------------------------


def test_bagit_python_rejecting_a_bag_unfolio_accepts_is_a_bag_opinion_finding(bag, monkeypatch):
    monkeypatch.setattr(
        opinions_module, "bagit_python", lambda root: Opinion("bagit-python", "9", "invalid", "no")
    )
    report = verify_target(bag, Options())
    assert [(f.code, f.severity) for f in report.findings] == [
        ("BAG-OPINION-BAGIT-PYTHON", "warning")
    ]
    assert report.passed(strict=False) and not report.passed(strict=True)


def test_bagit_profile_rejecting_a_bag_unfolio_accepts_is_a_meta_opinion_finding(bag, monkeypatch):
    monkeypatch.setattr(
        opinions_module,
        "bagit_profile",
        lambda root, profile: Opinion("bagit-profile", "9", "invalid", "no"),
    )
    assert [(f.code, f.file) for f in verify_target(bag, Options()).findings] == [
        ("META-OPINION-BAGIT-PROFILE", "bag-info.txt")
    ]


def _fake_verapdf(folder: Path, verdict: str, monkeypatch) -> None:
    script = folder / "verapdf"
    script.write_text(f'#!/bin/sh\nfor last; do :; done\necho "{verdict} $last 2u"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_verapdf_on_path_rejecting_the_pdf_fails_pdf_opinion_verapdf(bag, tmp_path, monkeypatch):
    _fake_verapdf(tmp_path, "FAIL", monkeypatch)
    report = verify_target(bag, Options())
    assert [(f.code, f.file) for f in report.findings] == [("PDF-OPINION-VERAPDF", PDF)]
    assert not report.passed(strict=False)


def test_verapdf_on_path_accepting_the_pdf_is_recorded(bag, tmp_path, monkeypatch):
    _fake_verapdf(tmp_path, "PASS", monkeypatch)
    report = verify_target(bag, Options())
    assert report.findings == []
    assert {o.tool: o.verdict for o in report.opinions}["veraPDF"] == "valid"


def test_a_second_opinion_never_turns_a_failure_into_a_pass(bag, capsys):
    """A file missing from one of two manifests: bagit-python 1.9 calls the bag valid."""
    manifest = bag / "manifest-sha512.txt"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text("".join(line for line in lines if "letter.md" not in line), "utf-8")
    reseal_tags_only(bag)
    report = verify_target(bag, Options())
    opinion = {o.tool: o for o in report.opinions}["bagit-python"]
    assert opinion.verdict == "valid" and opinion.agrees is False
    assert not report.passed(strict=False)
    assert ("BAG-FILE-INCOMPLETE", "data/objects/source/letter.md") in [
        (f.code, f.file) for f in report.findings
    ]
    assert main(["verify", str(bag)]) == 1
    assert "says valid (disagrees: unfolio's checks failed" in capsys.readouterr().out


def reseal_tags_only(bag: Path) -> None:
    tags = {
        p.name: p.read_bytes()
        for p in bag.iterdir()
        if p.is_file() and not p.name.startswith("tagmanifest-")
    }
    for algorithm in writer.ALGORITHMS:
        (bag / f"tagmanifest-{algorithm}.txt").write_bytes(writer.manifest(tags, algorithm))


# -- the command ----------------------------------------------------------------------------


def test_verify_json_report_matches_its_schema_and_lists_every_finding(bag, capsys):
    edit(bag, "bag-info.txt", "UN-Distribution: general\n", "")
    reseal(bag)
    code = main(["verify", "--json", "--no-second-opinions", str(bag)])
    report = json.loads(capsys.readouterr().out)
    schema = json.loads((REPO / "schemas" / "verify-report.schema.json").read_text())
    jsonschema.validate(report, schema)
    assert code == 1 and report["ok"] is False
    assert report["targets"][0]["findings"][0]["code"] == "META-PROFILE-ELEMENT"


def test_verify_exits_0_for_a_good_bag_and_prints_its_status(built, capsys):
    assert main(["verify", str(built)]) == 0
    out = capsys.readouterr().out
    assert f"{built}: valid (0 errors, 0 warnings)" in out
    assert "second opinion: bagit-python" in out


def test_verify_strict_fails_on_warnings(bag, monkeypatch, capsys):
    monkeypatch.setattr(
        opinions_module, "bagit_python", lambda root: Opinion("bagit-python", "9", "invalid", "no")
    )
    assert main(["verify", str(bag)]) == 0
    assert main(["verify", "--strict", str(bag)]) == 1
    assert "invalid (--strict: warnings fail)" in capsys.readouterr().out


def test_verify_of_a_missing_path_is_a_usage_error(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nothing")]) == 2
    assert "no such bag or archive" in capsys.readouterr().err


def test_every_rule_has_a_summary_and_a_fixture_that_names_its_code():
    tests = "".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").glob("test_*.py"))
    for code, rule in RULES.items():
        assert re.fullmatch(r"(BAG|PDF|META|SIG)-[A-Z0-9-]+", code) and rule.summary
        assert f'"{code}"' in tests, f"no test names {code}"


def test_the_verify_doc_lists_every_code_with_its_severity():
    doc = (REPO / "docs" / "verify.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `((?:BAG|PDF|META|SIG)-[A-Z0-9-]+)` \| (\w+) \|", doc, re.M))
    assert table == {code: rule.severity for code, rule in RULES.items()}


def test_a_bad_premis_xsd_or_profile_is_a_usage_error(built, tmp_path, capsys):
    (tmp_path / "bad.xsd").write_text("<x/>")
    (tmp_path / "empty.json").write_text("{}")
    (tmp_path / "broken.json").write_text("{")
    for option, name in (("--premis-xsd", "bad.xsd"), ("--profile", "empty.json"),
                         ("--profile", "broken.json")):  # fmt: skip
        assert main(["verify", option, str(tmp_path / name), str(built)]) == 2
        err = capsys.readouterr().err
        assert f"error: {tmp_path / name}: " in err and "Traceback" not in err


def test_bags_claiming_the_configured_profile_identifier_pass(bag, tmp_path, monkeypatch):
    uri = "https://records.example/profiles/un.json"
    edit(bag, "bag-info.txt", "https://unfolio.example/bagit-profiles/un-document-v2.json", uri)
    rekey(bag, {"profile_identifier": uri})  # as a build with that configuration writes it
    assert main(["verify", "--no-second-opinions", str(bag)]) == 1  # not what the shipped says
    config = tmp_path / "unfolio.toml"
    config.write_text(f'profile_identifier = "{uri}"\n', encoding="utf-8")
    assert main(["verify", "--no-second-opinions", "--config", str(config), str(bag)]) == 0
    monkeypatch.chdir(tmp_path)  # unfolio.toml in the working folder, as for build
    assert main(["verify", str(bag)]) == 0


# -- found by an outside audit ------------------------------------------------------------------

PDF_FILE = f"data/objects/{NAME}.pdf"


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda pdf: b"JUNK\n" + pdf, "does not begin with its %PDF- header"),
        (lambda pdf: pdf + b"GARBAGE AFTER %%EOF\n", "does not end with its trailer"),
        (
            lambda pdf: (
                pdf[: pdf.rfind(b"startxref") + 10] + b"9" + pdf[pdf.rfind(b"startxref") + 11 :]
            ),
            "the file is damaged (qpdf repaired it)",
        ),
    ],
    ids=["leading-bytes", "trailing-bytes", "broken-xref-offset"],
)
def test_a_pdf_that_qpdf_must_repair_or_with_bytes_around_it_fails(bag, damage, says):
    replace_payload(bag, PDF_FILE, damage((bag / PDF_FILE).read_bytes()))
    reseal(bag)
    found = verify_target(bag, QUICK).findings
    assert ("PDF-SYNTAX", PDF_FILE) in [(f.code, f.file) for f in found]
    assert any(says in f.message for f in found if f.code == "PDF-SYNTAX")


def test_a_check_that_breaks_fails_the_bag_and_the_other_targets_are_still_judged(
    bag, built, monkeypatch, capsys
):
    from pipeline.verify import consistency

    real = consistency.check_premis

    def breaks(root, *args):
        if root == bag:
            raise RecursionError("maximum recursion depth exceeded")
        return real(root, *args)

    monkeypatch.setattr(consistency, "check_premis", breaks)
    assert [f.code for f in verify_target(bag, QUICK).findings] == ["BAG-UNCHECKED"]
    assert main(["verify", "--no-second-opinions", str(bag), str(built)]) == 1
    out = capsys.readouterr().out
    assert "error: BAG-UNCHECKED (bag): the premis checks could not finish: RecursionError" in out
    assert f"{built}: valid" in out and "1 of 2 passed" in out


def test_file_names_from_the_bag_cannot_forge_report_lines(bag, capsys):
    forged = bag / "data" / "objects" / "x\nother-bag: valid (0 errors, 0 warnings)"
    forged.write_text("x")
    assert main(["verify", "--no-second-opinions", str(bag)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{bag}: invalid")
    assert not [line for line in lines if line.startswith("other-bag")]
    assert any("x\\nother-bag" in line for line in lines)


def test_verify_of_a_link_to_nowhere_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "x.zip").symlink_to(tmp_path / "nowhere.zip")
    assert main(["verify", str(tmp_path / "x.zip")]) == 2
    assert "no such bag or archive" in capsys.readouterr().err


def test_premis_the_xsd_validator_cannot_judge_is_a_premis_xsd_failure(bag):
    if not PREMIS_XSD.is_file():
        pytest.skip("no PREMIS XSD")
    text = (bag / PREMIS).read_text(encoding="utf-8")
    head, rest = text.split("\n", 1)
    text = head + '\n<!DOCTYPE premis [<!ENTITY org "United Nations">]>\n' + rest
    (bag / PREMIS).write_text(text.replace(">United Nations<", ">&org;<", 1), encoding="utf-8")
    reseal(bag)
    found = verify_target(bag, dataclasses.replace(QUICK, premis_xsd=PREMIS_XSD)).findings
    assert ("META-PREMIS-XSD", PREMIS) in [(f.code, f.file) for f in found]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda block: block.replace("SHA-256", "MD5"), "a 'MD5' fixity unfolio never writes"),
        (lambda block: re.sub(r"messageDigest>[0-9a-f]+", "messageDigest>" + "0" * 64, block),
         "gives 2 SHA-256 fixities"),
    ],
    ids=["extra-algorithm", "second-wrong-value"],
)  # fmt: skip
def test_every_premis_fixity_is_judged_not_only_the_last_per_algorithm(bag, change, says):
    text = (bag / PREMIS).read_text(encoding="utf-8")
    block = re.search(r"<premis:fixity>.*?</premis:fixity>", text, re.S).group()
    (bag / PREMIS).write_text(text.replace(block, change(block) + block, 1), encoding="utf-8")
    reseal(bag)
    found = [f for f in verify_target(bag, QUICK).findings if f.code == "META-PREMIS-FIXITY"]
    assert found and says in found[0].message


@pytest.mark.parametrize(
    ("remove", "says"),
    [
        (r"<premis:eventOutcomeInformation>.*?</premis:eventOutcomeInformation>", "no outcome"),
        (
            r"<premis:linkingObjectIdentifier>.*?</premis:linkingObjectIdentifier>",
            "links no object",
        ),
        (r"<premis:linkingAgentIdentifier>.*?</premis:linkingAgentIdentifier>", "links no agent"),
    ],
    ids=["outcomes", "objects", "agents"],
)
def test_premis_events_must_say_their_outcome_and_link_agents_and_objects(bag, remove, says):
    text = (bag / PREMIS).read_text(encoding="utf-8")
    (bag / PREMIS).write_text(re.sub(remove, "", text, flags=re.S), encoding="utf-8")
    reseal(bag)
    found = [f for f in verify_target(bag, QUICK).findings if f.code == "META-PREMIS-EVENTS"]
    assert found and all(says in f.message for f in found), found


def test_a_pdf_whose_streams_inflate_past_the_limit_is_refused_before_it_is_read(bag, monkeypatch):
    import zlib

    from pipeline.verify import pdf as pdf_checks

    bomb = zlib.compress(b" " * (4 << 20), 9)  # 4 MiB of spaces in about 4 KB
    with pikepdf.open(bag / PDF_FILE, allow_overwriting_input=True) as opened:
        stream = pikepdf.Stream(opened, bomb)
        stream.Filter = pikepdf.Name.FlateDecode
        page = opened.pages[0].obj
        page.Contents = pikepdf.Array([page.Contents, opened.make_indirect(stream)])
        opened.save(
            bag / PDF_FILE,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
        )
    reseal(bag)
    monkeypatch.setattr(pdf_checks, "MAX_INFLATED_BYTES", 2 << 20)
    found = [
        (f.code, f.file) for f in verify_target(bag, QUICK).findings if f.code.startswith("PDF-")
    ]
    assert found == [("PDF-TOO-LARGE", PDF_FILE)]
    assert pdf_checks.inflated_size((bag / PDF_FILE).read_bytes(), 8 << 20) > 4 << 20

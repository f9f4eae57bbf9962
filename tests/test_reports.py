"""Reports: CSV, HTML and JUnit XML for build and verify, one row per document or bag."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from pipeline.cli import main
from pipeline.report import Issue, Record, open_reports
from pipeline.report.csvfile import row
from pipeline.report.html import row as html_row

from .conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "documents"
BAGS_010 = REPO / "tests" / "fixtures" / "bags-0.1.0"
RU = "A_77_9103-RU"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _workplace(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1614902400")
    monkeypatch.chdir(tmp_path)


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One Russian note built as a zip, plus a source that is not valid, with every report."""
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(FIXTURES / "ru-note", root / "src" / "ru")
    (root / "src" / "bad").mkdir()
    (root / "src" / "bad" / "document.json").write_text("{}")
    return root


def test_build_reports_one_row_per_document_with_the_bags_facts(capsys, tmp_path):
    shutil.copytree(FIXTURES / "ru-note", tmp_path / "src" / "ru")
    (tmp_path / "src" / "bad").mkdir()
    (tmp_path / "src" / "bad" / "document.json").write_text("{}")
    code, _, _ = run(capsys, "build", "src/*", "-o", "bags", "--format", "zip", "--pdfa", "2b",
                     "--jobs", "1", "--report", "out/build.csv", "--report", "out/build.html",
                     "--report", "out/build.xml")  # fmt: skip
    assert code == 2
    rows = read_csv(tmp_path / "out" / "build.csv")
    assert [r["source"] for r in rows] == ["src/bad", "src/ru"]
    bad, ru = rows
    archive = tmp_path / "bags" / f"{RU}.zip"
    assert ru["symbol"] == "A/77/9103" and ru["language"] == "ru" and ru["status"] == "built"
    assert ru["title"] == json.loads((FIXTURES / "ru-note" / "document.json").read_text())["title"]
    assert int(ru["pages"]) >= 1 and ru["path"] == f"bags/{RU}.zip"
    assert int(ru["size"]) == archive.stat().st_size and ru["digest"] == sha256(archive)
    assert ru["errors"] == "0" and float(ru["seconds"]) > 0
    assert bad["status"] == "invalid" and bad["errors"] == "1" and bad["path"] == ""
    assert "the required fields 'symbols', 'language'," in bad["details"]
    page = (tmp_path / "out" / "build.html").read_text()
    assert "A/77/9103" in page and "<script" not in page.lower()
    junit = etree.parse(str(tmp_path / "out" / "build.xml")).getroot()
    assert junit.get("tests") == "2" and junit.get("failures") == "1"
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left


def test_build_json_carries_the_same_fields_for_built_and_skipped_bags(capsys, tmp_path):
    shutil.copytree(FIXTURES / "ru-note", tmp_path / "src" / "ru")
    args = ("build", "src/ru", "-o", "bags", "--pdfa", "2b", "--json", "--jobs", "1")
    first = json.loads(run(capsys, *args)[1])["documents"][0]
    again = json.loads(run(capsys, *args)[1])["documents"][0]
    assert first["status"] == "built" and again["status"] == "skipped"
    bag = tmp_path / "bags" / RU
    for document in (first, again):
        assert document["symbol"] == "A/77/9103" and document["language"] == "ru"
        assert document["pages"] == first["pages"] >= 1
        assert document["digest"] == sha256(bag / "tagmanifest-sha512.txt")
        assert document["size"] == sum(f.stat().st_size for f in bag.rglob("*") if f.is_file())
    schema = json.loads((REPO / "schemas" / "build-report.schema.json").read_text("utf-8"))
    jsonschema.validate(json.loads(run(capsys, *args)[1]), schema)


@pytest.fixture
def shelf(tmp_path) -> Path:
    shelf = tmp_path / "shelf"
    shutil.copytree(BAGS_010, shelf)
    (shelf / "README.md").unlink()
    (shelf / "A_HRC_49_9105-FR" / "data" / "extra.txt").write_text("not in the manifest")
    return shelf


def test_verify_reports_each_bag_with_its_digest_and_junit_failures(capsys, shelf, tmp_path):
    code, _, _ = run(capsys, "verify", "--bagit-only", str(shelf), "--report", "v.csv",
                     "--report", "v.html", "--junit", "ci/junit.xml")  # fmt: skip
    assert code == 1
    rows = {Path(r["path"]).name: r for r in read_csv(tmp_path / "v.csv")}
    assert len(rows) == 5
    folder = rows["A_HRC_49_9105-FR"]
    assert folder["status"] == "invalid" and int(folder["errors"]) >= 1
    assert folder["digest"] == sha256(shelf / "A_HRC_49_9105-FR" / "tagmanifest-sha512.txt")
    archive = rows["E_2022_9104-ZH.zip"]
    assert archive["status"] == "valid" and archive["digest"] == sha256(
        shelf / "E_2022_9104-ZH.zip"
    )
    assert int(archive["size"]) == (shelf / "E_2022_9104-ZH.zip").stat().st_size

    document = etree.parse(str(tmp_path / "ci" / "junit.xml"))
    etree.XMLSchema(etree.parse(str(JUNIT_XSD))).assertValid(document)
    suite = document.getroot()
    assert suite.tag == "testsuites" and suite.get("tests") == "5" and suite.get("failures") == "1"
    cases = suite.findall("testsuite/testcase")
    assert len(cases) == 5
    (failed,) = [c for c in cases if c.find("failure") is not None]
    assert failed.get("name").endswith("A_HRC_49_9105-FR")
    failure = failed.find("failure")
    assert failure.get("type") == "BAG-OXUM"
    assert "BAG-FILE-UNLISTED" in failure.get("message")
    assert "data/extra.txt" in failure.text


def test_verify_reports_symbol_title_and_pages_of_an_unfolio_bag(capsys, shelf, tmp_path):
    run(capsys, "verify", "--no-second-opinions", str(shelf / "E_2022_9104-ZH.zip"),
        "--report", "v.csv")  # fmt: skip
    (zh,) = read_csv(tmp_path / "v.csv")
    assert zh["symbol"] == "E/2022/9104" and zh["language"] == "zh"
    assert zh["title"] == "将性别观点纳入联合国系统所有政策和方案的主流"
    assert int(zh["pages"]) >= 1


def test_strict_warnings_fail_the_junit_case(tmp_path):
    reports = open_reports("verify", [], junit=[tmp_path / "j.xml"])
    warning = Issue("BAG-TAG-ORDER", "warning", "bag-info.txt", "a SHOULD")
    reports.add(Record("a", "warnings", warnings=1, passed=True, issues=(warning,)))
    reports.add(Record("b", "warnings", warnings=1, passed=False, issues=(warning,)))
    reports.close({})
    first, second = etree.parse(str(tmp_path / "j.xml")).getroot().iter("testcase")
    assert first.find("failure") is None and "BAG-TAG-ORDER" in first.find("system-out").text
    assert second.find("failure").get("type") == "BAG-TAG-ORDER"


def test_a_run_that_fails_leaves_no_report(tmp_path):
    reports = open_reports("verify", [tmp_path / "r.csv", tmp_path / "r.html"])
    reports.add(Record("a", "valid"))
    reports.discard()
    assert list(tmp_path.iterdir()) == []


def test_csv_cells_a_spreadsheet_would_run_are_quoted():
    cells = row(Record("bags/x", "valid", title='=HYPERLINK("http://x")', symbol="A/1/1"))
    assert cells[2] == '\'=HYPERLINK("http://x")' and cells[0] == "A/1/1"


def test_html_escapes_everything_and_marks_the_language_of_a_title():
    page = html_row(Record("b<a>", "invalid", language="ar", title="<script>x</script>",
                           passed=False, issues=(Issue("X", "error", "f", "<b>"),)))  # fmt: skip
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'lang="ar" dir="rtl"' in page and "&lt;b&gt;" in page


def test_junit_carries_no_character_xml_forbids(tmp_path):
    reports = open_reports("verify", [], junit=[tmp_path / "j.xml"])
    reports.add(Record("a\x01b", "invalid", passed=False,
                       issues=(Issue("BAG-X", "error", "f\x02", "m\x1b"),)))  # fmt: skip
    reports.close({})
    case = next(etree.parse(str(tmp_path / "j.xml")).getroot().iter("testcase"))
    assert case.get("name") == "a\\u0001b"


def test_an_unknown_report_kind_is_refused_before_any_work(capsys, tmp_path):
    code, _, err = run(capsys, "verify", str(BAGS_010), "--report", "r.pdf")
    assert code == 2 and "name the report FILE.csv, FILE.html or FILE.xml (JUnit)" in err


JUNIT_XSD = REPO / "tests" / "fixtures" / "junit" / "junit.xsd"


def test_junit_report_is_valid_against_the_dashboards_schema(tmp_path):
    schema = etree.XMLSchema(etree.parse(str(JUNIT_XSD)))
    reports = open_reports("build", [tmp_path / "b.xml"])
    reports.add(Record("bags/a", "built", seconds=1.5))
    reports.add(Record(None, "invalid", source="src/b", passed=False,
                       issues=(Issue("", "error", "", "src/b/document.json at /: …"),)))  # fmt: skip
    reports.add(Record(None, "not started", source="src/c", passed=False))
    reports.close({})
    document = etree.parse(str(tmp_path / "b.xml"))
    schema.assertValid(document)
    suite = document.getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    bad = etree.fromstring(b'<testsuites><testsuite tests="1"/></testsuites>')  # no name
    assert not schema.validate(bad)  # the schema can fail


def test_facts_of_a_hostile_bag_neither_hang_nor_follow_links(tmp_path):
    import os

    from pipeline.report import facts

    bag = tmp_path / "bag"
    (bag / "data").mkdir(parents=True)
    os.mkfifo(bag / "tagmanifest-sha512.txt")  # opening it for reading would block
    (bag / "data" / "x.pdf").symlink_to("/etc/hostname")
    size, digest = facts.size_and_digest(bag)
    assert digest is None and size == 0
    assert facts.bag_pdf(bag) is None


def test_a_signed_build_reports_the_signed_bags_pages_size_and_digest(capsys, tmp_path):
    from . import pki
    from .conftest import MINIMAL

    key, cert = pki.signer().write(tmp_path, "signer")
    code, out, _ = run(capsys, "build", str(MINIMAL), "-o", "bags", "--pdfa", "2b", "--json",
                       "--sign-key", str(key), "--sign-cert", str(cert))  # fmt: skip
    assert code == 0
    (document,) = json.loads(out)["documents"]
    bag = tmp_path / "bags" / document["name"]
    assert document["digest"] == sha256(bag / "tagmanifest-sha512.txt")
    assert document["pages"] >= 1 and document["size"] > 0

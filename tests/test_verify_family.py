"""verify given several language versions of one symbol names the one that disagrees."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline import source
from pipeline.cli import main
from pipeline.config import Config
from pipeline.package import build_bag
from pipeline.typeset import render_pdf
from pipeline.verify.family import Member, check

from .conftest import MINIMAL


def _version(tmp: Path, language: str, **changes) -> Path:
    folder = tmp / f"src-{language}"
    shutil.copytree(MINIMAL, folder)
    document = json.loads((folder / "document.json").read_text(encoding="utf-8"))
    document.update({"language": language, **changes})
    (folder / "document.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    loaded = source.load(folder)
    (tmp / "out").mkdir(exist_ok=True)
    return build_bag(loaded, render_pdf(loaded, folder, flavour="2b"), "2b", tmp / "out", Config())


@pytest.fixture(scope="module")
def family_bags(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("family")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        return {
            "en": _version(tmp, "en"),
            "fr": _version(tmp, "fr", date="2021-03-06"),
            "es": _version(tmp, "es"),
        }


def test_the_version_that_departs_from_its_family_fails_meta_family(family_bags, capsys):
    targets = [str(family_bags[lang]) for lang in ("en", "fr", "es")]
    assert main(["verify", "--no-second-opinions", "--json", *targets]) == 1
    report = json.loads(capsys.readouterr().out)
    failing = {t["path"]: [f["code"] for f in t["findings"]] for t in report["targets"]}
    assert failing == {targets[0]: [], targets[1]: ["META-FAMILY"], targets[2]: []}
    finding = report["targets"][1]["findings"][0]
    assert "date '2021-03-06' in the fr version, '2021-03-05' in en, es" in finding["message"]


def test_versions_that_agree_pass_and_the_text_report_names_the_outlier(family_bags, capsys):
    agree = [str(family_bags["en"]), str(family_bags["es"])]
    assert main(["verify", "--no-second-opinions", *agree]) == 0
    capsys.readouterr()
    assert main(["verify", "--no-second-opinions", str(family_bags["en"]),
                 str(family_bags["fr"])]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert f"{family_bags['fr']}: invalid (language family)" in out and "META-FAMILY" in out


def _member(target: str, language: str, distribution: str, group: str = "A/1") -> Member:
    return Member(target, group, language, (("symbols", "A/1"), ("distribution", distribution)))


def test_each_shared_value_is_judged_by_the_majority_and_copies_are_not_compared():
    found = check([_member("a", "en", "general"), _member("b", "fr", "limited"),
                   _member("c", "es", "general"), _member("d", "en", "limited", "A/2"),
                   _member("e", "en", "general", "A/2")])  # fmt: skip
    assert [(target, f.code) for target, f in found] == [("b", "META-FAMILY")]

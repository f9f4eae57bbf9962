"""The bag's record of its build: the environment record as written, and the build time.

Forged as a forger would: an extra key or another serialisation of
``unfolio-environment.json`` with the tag manifests resealed (``META-ENVIRONMENT-FORM``);
bag-info and every PREMIS date rewritten consistently by unfolio's own writer, or the
recorded epoch moved with the build key recomputed (``META-BUILD-TIME``).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import source
from pipeline.cli import main
from pipeline.config import Config
from pipeline.package import build_bag, contents
from pipeline.package.environment import RECORD_PATH
from pipeline.verify import recorded

from .conftest import MINIMAL
from .test_verify import EPOCH, rekey, reseal

SRC = "data/objects/source"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    from pipeline.typeset import render_pdf

    out = tmp_path_factory.mktemp("record")
    document = source.load(MINIMAL)
    bags = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        pdf = render_pdf(document, MINIMAL, flavour="2u")
        (out / "epoch").mkdir()
        (out / "now").mkdir()
        bags["epoch"] = build_bag(document, pdf, "2u", out / "epoch", Config())
        patch.delenv("SOURCE_DATE_EPOCH")
        bags["now"] = build_bag(document, pdf, "2u", out / "now", Config())
    return bags


@pytest.fixture
def copy(built, tmp_path):
    def make(which: str) -> Path:
        return Path(shutil.copytree(built[which], tmp_path / which / built[which].name))

    return make


def verify(bag: Path, capsys) -> tuple[int, list[dict]]:
    code = main(["verify", "--json", "--no-second-opinions", "--no-reproduce", str(bag)])
    return code, json.loads(capsys.readouterr().out)["targets"][0]["findings"]


def codes(bag: Path, capsys) -> set[tuple[str, str]]:
    code, found = verify(bag, capsys)
    assert code == 1, found
    return {(f["code"], f["file"]) for f in found}


def redate(bag: Path, when: datetime, monkeypatch) -> None:
    """Re-make bag-info, PREMIS and the manifests with unfolio's writer at another build time,
    the environment record (and so the build key) left as they were."""
    record = (bag / RECORD_PATH).read_bytes()
    epoch = json.loads(record)["source_date_epoch"]
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    key = re.search(r"(?m)^UN-Build-Key: (.*)$", info).group(1)
    document = source.load(bag / SRC)
    pdf = (bag / f"data/objects/{bag.name}.pdf").read_bytes()
    files = contents.bag_files(
        document, pdf, flavour="2u", config=Config(), when=when, build_key=key
    )
    assert files[RECORD_PATH] == record
    for relative, data in files.items():
        (bag / relative).write_bytes(data)


@pytest.mark.parametrize("which", ["epoch", "now"])
def test_bags_as_built_pass(copy, capsys, which):
    code, found = verify(copy(which), capsys)
    assert code == 0, found


def test_an_extra_key_in_the_environment_record_fails_meta_environment_form(copy, capsys):
    bag = copy("epoch")
    record = json.loads((bag / RECORD_PATH).read_text(encoding="utf-8"))
    record["note"] = "certified by the Registry"
    (bag / RECORD_PATH).write_bytes(recorded.canonical(record))
    reseal(bag)
    assert ("META-ENVIRONMENT-FORM", RECORD_PATH) in codes(bag, capsys)


def test_the_record_serialised_otherwise_fails_meta_environment_form(copy, capsys):
    bag = copy("epoch")
    record = json.loads((bag / RECORD_PATH).read_text(encoding="utf-8"))
    (bag / RECORD_PATH).write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")
    reseal(bag)
    assert ("META-ENVIRONMENT-FORM", RECORD_PATH) in codes(bag, capsys)


def test_a_recorded_epoch_moved_under_a_recomputed_key_fails_meta_build_time(copy, capsys):
    bag = copy("epoch")
    record = json.loads((bag / RECORD_PATH).read_text(encoding="utf-8"))
    record["source_date_epoch"] = "1893456000"
    (bag / RECORD_PATH).write_bytes(recorded.canonical(record))
    rekey(bag)
    reseal(bag)
    found = codes(bag, capsys)
    assert ("META-BUILD-TIME", "data/metadata/premis.xml") in found
    assert not [code for code, _ in found if code == "META-BUILD-KEY"]


@pytest.mark.parametrize("which", ["epoch", "now"])
@pytest.mark.parametrize("year", [2019, 2035])
def test_bag_info_and_premis_dates_rewritten_fail_meta_build_time(
    copy, capsys, monkeypatch, which, year
):
    bag = copy(which)
    redate(bag, datetime(year, 6, 1, tzinfo=UTC), monkeypatch)
    assert ("META-BUILD-TIME", "data/metadata/premis.xml") in codes(bag, capsys)


def test_a_build_clock_a_little_ahead_is_no_finding():
    record = recorded.canonical({"source_date_epoch": None, "tool": "unfolio 0.2.0"})
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert recorded.check_time(record, datetime(2027, 1, 1, 20, tzinfo=UTC), now) == []
    assert recorded.check_time(record, datetime(2027, 1, 3, tzinfo=UTC), now)

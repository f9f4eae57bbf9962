"""Replacing a bag built from different content is said, and refused with --no-replace."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from pipeline.cli import main

from .conftest import MINIMAL, REPO

NAME = "A_75_9001--S_2021_9001-EN"


@pytest.fixture
def source(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return Path(shutil.copytree(MINIMAL, tmp_path / "src"))


def _retitle(source: Path) -> None:
    document = source / "document.json"
    text = document.read_text(encoding="utf-8")
    document.write_text(text.replace('"title": "', '"title": "Revised: ', 1), encoding="utf-8")


def _snapshot(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _digest(bag: Path) -> str:
    return "sha256:" + hashlib.sha256((bag / "tagmanifest-sha512.txt").read_bytes()).hexdigest()


def test_replacing_a_bag_built_from_other_content_is_said_with_both_digests(
    source, tmp_path, capsys
):
    out = tmp_path / "out"
    assert main(["build", str(source), "-o", str(out), "--executor", "inline"]) == 0
    old = _digest(out / NAME)
    capsys.readouterr()
    _retitle(source)
    assert main(["build", str(source), "-o", str(out), "--executor", "inline", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    schema = json.loads((REPO / "schemas" / "build-report.schema.json").read_text("utf-8"))
    jsonschema.validate(report, schema)
    assert report["documents"][0]["replaced"] == {
        "old_digest": old,
        "new_digest": _digest(out / NAME),
    }
    _retitle(source)
    assert main(["build", str(source), "-o", str(out), "--executor", "inline"]) == 0
    assert f"replaced {out / NAME} (was " in capsys.readouterr().out


def test_an_unchanged_or_new_bag_replaces_nothing(source, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["build", str(source), "-o", str(out), "--executor", "inline", "--json", "--force"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["documents"][0]["replaced"] is None
    assert main(args) == 0  # rebuilt (--force) from the same content: the same bag
    assert json.loads(capsys.readouterr().out)["documents"][0]["replaced"] is None


@pytest.mark.parametrize(("fmt", "target"), [("dir", NAME), ("zip", f"{NAME}.zip"),
                                             ("tgz", f"{NAME}.tar.gz")])  # fmt: skip
def test_no_replace_refuses_naming_the_bag_and_leaves_it_byte_identical(
    source, tmp_path, capsys, fmt, target
):
    out = tmp_path / "out"
    build = ["build", str(source), "-o", str(out), "--executor", "inline", "--format", fmt]
    assert main(build) == 0
    before = _snapshot(out)
    _retitle(source)
    capsys.readouterr()
    assert main([*build, "--no-replace"]) == 1
    err = capsys.readouterr().err
    assert str(out / target) in err and "--no-replace keeps it" in err
    assert _snapshot(out) == before
    assert main(build) == 0  # without the flag it replaces
    assert _snapshot(out) != before


def test_the_writer_itself_refuses_under_the_lock_and_reports_what_it_replaced(tmp_path):
    from pipeline.package import bagit
    from pipeline.package.write import ReplaceRefused, write_bag_replacing

    first = bagit.build_bag_files({"data/a.txt": b"one"}, [("Source-Organization", "X")])
    second = bagit.build_bag_files({"data/a.txt": b"two"}, [("Source-Organization", "X")])
    dest = tmp_path / "BAG"
    assert write_bag_replacing(first, dest) == (dest, None)
    assert write_bag_replacing(first, dest)[1] is None  # the same bag again: nothing replaced
    before = _snapshot(dest)
    with pytest.raises(ReplaceRefused, match="--no-replace keeps it"):
        write_bag_replacing(second, dest, replace_old=False)
    assert _snapshot(dest) == before
    _, replaced = write_bag_replacing(second, dest)
    assert replaced is not None and replaced.old == _digest_of(before) != replaced.new


def _digest_of(files: dict[str, bytes]) -> str:
    return "sha256:" + hashlib.sha256(files["tagmanifest-sha512.txt"]).hexdigest()

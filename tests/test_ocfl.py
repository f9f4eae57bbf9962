"""``build --format ocfl``: one OCFL object per language version, versions added, never lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.package import ocfl

from .conftest import MINIMAL, REPO

LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
OCFL_VALIDATE = Path(sys.executable).parent / "ocfl-validate.py"


def _source(tmp: Path, language: str) -> Path:
    folder = tmp / f"src-{language}"
    if not folder.exists():
        shutil.copytree(MINIMAL, folder)
    document = json.loads((folder / "document.json").read_text(encoding="utf-8"))
    document["language"] = language
    (folder / "document.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return folder


def _retitle(folder: Path, title: str) -> None:
    document = json.loads((folder / "document.json").read_text(encoding="utf-8"))
    document["title"] = title
    (folder / "document.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")


def _build(*args: str) -> int:
    return main(["build", *args, "--format", "ocfl", "--executor", "inline"])


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """Six language versions of one symbol, then a changed English one (v2)."""
    tmp = tmp_path_factory.mktemp("ocfl")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        sources = [str(_source(tmp, language)) for language in LANGUAGES]
        assert _build(*sources, "-o", str(tmp / "root")) == 0
        english = tmp / "src-en"
        _retitle(english, "Letter dated 3 March 2021 addressed to the Secretary-General")
        assert _build(str(english), "-o", str(tmp / "root")) == 0
    return tmp / "root"


def _objects(root: Path) -> dict[str, Path]:
    found = {}
    for declaration in root.rglob(ocfl.OBJECT_DECLARATION):
        inventory = json.loads((declaration.parent / "inventory.json").read_text("utf-8"))
        found[inventory["id"]] = declaration.parent
    return found


def test_six_language_versions_are_six_objects_named_by_their_undocs_links(root):
    ids = set(_objects(root))
    assert ids == {
        f"https://undocs.org/{prefix}A/75/9001"
        for prefix in ("ar/", "ch/", "en/", "fr/", "ru/", "es/")
    }
    layout = json.loads((root / "ocfl_layout.json").read_text(encoding="utf-8"))
    assert layout["extension"] == "0003-hash-and-id-n-tuple-storage-layout"


def test_the_root_passes_ocfl_py_with_no_warning(root):
    from ocfl import StorageRoot
    from ocfl.validator import Validator

    assert StorageRoot(root=str(root)).validate()
    for obj in _objects(root).values():
        validator = Validator(log_warnings=True, check_digests=True)
        assert validator.validate_object(str(obj)), validator.log.messages
        assert validator.log.num_warnings == 0, validator.log.messages
    if OCFL_VALIDATE.exists():
        run = subprocess.run([str(OCFL_VALIDATE), str(root)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


def test_an_object_holds_the_whole_bag_and_a_change_adds_a_version_saying_what(root):
    english = _objects(root)["https://undocs.org/en/A/75/9001"]
    inventory = json.loads((english / "inventory.json").read_text(encoding="utf-8"))
    assert inventory["head"] == "v2"
    head = {p for paths in inventory["versions"]["v2"]["state"].values() for p in paths}
    assert {"bagit.txt", "bag-info.txt", "manifest-sha512.txt", "tagmanifest-sha512.txt",
            "data/metadata/premis.xml", "data/metadata/metadata.csv"} <= head  # fmt: skip
    message = inventory["versions"]["v2"]["message"]
    assert "External-Description" in message and "document.json" in message
    french = _objects(root)["https://undocs.org/fr/A/75/9001"]
    assert json.loads((french / "inventory.json").read_text("utf-8"))["head"] == "v1"


def test_an_unchanged_document_adds_nothing(root, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    french = _objects(root)["https://undocs.org/fr/A/75/9001"]
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    source = root.parent / "src-fr"
    assert main(["build", str(source), "-o", str(root), "--format", "ocfl", "--executor",
                 "inline", "--force"]) == 0  # fmt: skip
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert json.loads((french / "inventory.json").read_text("utf-8"))["head"] == "v1"


def test_verify_takes_the_root_or_an_object_and_every_version_on_request(root, capsys):
    assert main(["verify", "--no-second-opinions", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.count(": valid") == 6
    english = _objects(root)["https://undocs.org/en/A/75/9001"]
    assert main(["verify", "--no-second-opinions", "--every-version", str(english)]) == 0


def test_a_changed_content_file_in_an_object_fails_meta_ocfl(root, tmp_path, capsys):
    copy = Path(shutil.copytree(root, tmp_path / "root"))
    english = _objects(copy)["https://undocs.org/en/A/75/9001"]
    target = next((english / "v1" / "content").rglob("*.pdf"))
    data = bytearray(target.read_bytes())
    data[-100] ^= 1
    target.write_bytes(bytes(data))
    assert main(["verify", "--no-second-opinions", "--json", str(english)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["targets"][0]["findings"][0]["code"] == "META-OCFL"


_KILLER = """
import os, sys
from pipeline.package import ocfl, write
ocfl._exchange = lambda a, b: False  # take the two-rename path
real = os.rename
def rename(a, b):
    real(a, b)
    if str(b).endswith("/aside"):
        os._exit(9)  # killed with the old object aside and the new not yet in place
os.rename = rename
sys.argv = ["unfolio", "build", sys.argv[1], "-o", sys.argv[2], "--format", "ocfl",
            "--executor", "inline"]
from pipeline.cli import main
sys.exit(main())
"""


def test_a_kill_between_the_renames_leaves_the_old_head_which_the_next_run_restores(root, tmp_path):
    copy = Path(shutil.copytree(root, tmp_path / "root"))
    english = _objects(copy)["https://undocs.org/en/A/75/9001"]
    source = Path(shutil.copytree(root.parent / "src-en", tmp_path / "src-en"))
    _retitle(source, "A third title")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-c", _KILLER, str(source), str(copy)], env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 9, run.stderr
    assert not english.exists()  # aside, in the work folder beside the root
    ocfl.recover(copy)
    assert json.loads((english / "inventory.json").read_text("utf-8"))["head"] == "v2"
    from ocfl import StorageRoot

    assert StorageRoot(root=str(copy)).validate()


_KILL_AT_EXCHANGE = """
import os, sys
from pipeline.package import ocfl
real = ocfl._exchange
moment = sys.argv[3]
def exchange(a, b):
    if moment == "before":
        os._exit(9)
    swapped = real(a, b)
    assert swapped, "renameat2(RENAME_EXCHANGE) is unavailable here"
    os._exit(9)
ocfl._exchange = exchange
sys.argv = ["unfolio", "build", sys.argv[1], "-o", sys.argv[2], "--format", "ocfl",
            "--executor", "inline"]
from pipeline.cli import main
sys.exit(main())
"""


@pytest.mark.parametrize(("moment", "head"), [("before", "v2"), ("after", "v3")])
def test_a_kill_at_the_exchange_leaves_the_old_head_or_the_new_one_and_a_valid_root(
    root, tmp_path, moment, head
):
    from ocfl import StorageRoot

    copy = Path(shutil.copytree(root, tmp_path / "root"))
    english = _objects(copy)["https://undocs.org/en/A/75/9001"]
    source = Path(shutil.copytree(root.parent / "src-en", tmp_path / "src-en"))
    _retitle(source, "A third title")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-c", _KILL_AT_EXCHANGE, str(source), str(copy),
                          moment], env=env, capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 9, run.stderr
    assert json.loads((english / "inventory.json").read_text("utf-8"))["head"] == head
    assert StorageRoot(root=str(copy)).validate()  # no recovery needed

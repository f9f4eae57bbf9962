"""One target grammar for validate, build and verify: folders, globs, @LIST, folders of bags."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.batch.sources import expand
from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.targets import glob_base, glob_matches
from pipeline.verify.discover import expand_targets

from .conftest import MINIMAL, REPO

BAGS_010 = REPO / "tests" / "fixtures" / "bags-0.1.0"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Path:
    """src/2021/a, src/2021/b (documents), src/notes/ (no document), a list file."""
    monkeypatch.chdir(tmp_path)
    for name in ("src/2021/a", "src/2021/b"):
        shutil.copytree(MINIMAL, tmp_path / name)
    metadata = tmp_path / "src/2021/b/document.json"
    metadata.write_text(metadata.read_text().replace("/9001", "/9002"))
    (tmp_path / "src" / "notes").mkdir()
    (tmp_path / "list.txt").write_text("# backlog\nsrc/2021/b\n\nsrc/2021/*\n")
    return tmp_path


def test_glob_base_is_the_folder_before_the_first_wildcard():
    assert glob_base("src/**") == "src"
    assert glob_base("a/b/*/c") == "a/b"
    assert glob_base("*.zip") == "."


def test_a_glob_never_matches_the_folder_it_starts_from(tree):
    matches = [str(p) for p in glob_matches("src/**")]
    assert "src" not in matches and "src/" not in matches
    assert "src/2021/a" in matches


def test_double_star_finds_the_documents_below_whatever_groups_them(tree):
    entries = expand(["src/**"])
    assert [str(e.source) for e in entries] == ["src/2021/a", "src/2021/b"]
    assert all(e.problem is None for e in entries)


def test_single_star_takes_every_folder_it_matches_as_a_document(tree):
    entries = expand(["src/*"])
    assert [str(e.source) for e in entries] == ["src/2021", "src/notes"]


def test_a_list_file_and_a_glob_name_each_folder_once(tree):
    entries = expand(["@list.txt", "src/2021/a"])
    assert [str(e.source) for e in entries] == ["src/2021/b", "src/2021/a"]


def test_a_glob_matching_nothing_is_reported(tree):
    (entry,) = expand(["backlog/**"])
    assert entry.problem == (
        "no source folder (a folder holding document.json) matches 'backlog/**'"
    )


def test_validate_takes_globs_and_lists_as_build_does(capsys, tree):
    code, out, err = run(capsys, "validate", "src/**", "@list.txt")
    assert code == 0 and not err
    assert out.count("ok: ") == 2


def test_validate_reports_a_glob_that_matches_nothing(capsys, tree):
    code, _, err = run(capsys, "validate", "src/2021/a", "nothing/*")
    assert code == 2 and "error: nothing/*: no folder matches 'nothing/*'" in err


def test_build_double_star_builds_every_document_and_nothing_else(capsys, tree):
    code, out, _ = run(capsys, "build", "src/**", "-o", "bags", "--pdfa", "2b", "-j", "1")
    assert code == 0 and out.count("built ") == 2


@pytest.fixture
def shelf(tmp_path) -> Path:
    """A folder of bags and archives as a records office keeps them."""
    shelf = tmp_path / "shelf"
    shutil.copytree(BAGS_010, shelf / "2022")
    (shelf / "2022" / "README.md").unlink()
    nested = shelf / "2022" / "A_HRC_49_9105-FR" / "data" / "inside.zip"
    nested.write_bytes(b"not a target: inside a bag")
    (shelf / ".A_1-EN.staging").mkdir()
    (shelf / ".A_1-EN.staging" / "bagit.txt").write_text("hidden")
    ocfl = shelf / "ocfl"
    ocfl.mkdir()
    (ocfl / "0=ocfl_1.1").write_text("ocfl_1.1\n")
    (ocfl / "deep").mkdir()
    (ocfl / "deep" / "x.zip").write_bytes(b"inside the OCFL root")
    return shelf


def test_verify_finds_each_bag_archive_and_ocfl_root_in_a_folder(shelf):
    found = [p.relative_to(shelf).as_posix() for p in expand_targets([shelf])]
    assert found == [
        "2022/A_76_9101--S_2022_9101-EN",
        "2022/A_76_9102-AR.tar.gz",
        "2022/A_C.3_77_L.91-ES.tar.gz",
        "2022/A_HRC_49_9105-FR",
        "2022/E_2022_9104-ZH.zip",
        "ocfl",
    ]


def test_verify_globs_and_lists_name_targets(shelf, tmp_path):
    listing = tmp_path / "bags.txt"
    listing.write_text(f"{shelf}/2022/*.zip\n{shelf}/2022/A_HRC_49_9105-FR\n")
    found = [p.name for p in expand_targets([f"@{listing}", f"{shelf}/2022/*.tar.gz"])]
    assert found == [
        "E_2022_9104-ZH.zip",
        "A_HRC_49_9105-FR",
        "A_76_9102-AR.tar.gz",
        "A_C.3_77_L.91-ES.tar.gz",
    ]


def test_a_sidecar_named_by_the_shell_stands_for_its_archive(shelf):
    year = shelf / "2022"
    named = sorted(year.iterdir())  # what `unfolio verify shelf/2022/*` receives
    assert any(p.name.endswith(".sha256") for p in named)
    found = [p.name for p in expand_targets(named)]
    assert found == [
        "A_76_9101--S_2022_9101-EN",
        "A_76_9102-AR.tar.gz",
        "A_C.3_77_L.91-ES.tar.gz",
        "A_HRC_49_9105-FR",
        "E_2022_9104-ZH.zip",
    ]


def test_a_broken_bag_named_on_its_own_is_still_judged_as_a_bag(shelf):
    bag = shelf / "2022" / "A_HRC_49_9105-FR"
    (bag / "bagit.txt").unlink()
    assert expand_targets([bag]) == [bag]


def test_verify_names_every_argument_that_names_nothing(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError) as caught:
        expand_targets([tmp_path / "empty", tmp_path / "gone", f"{tmp_path}/*.zip"])
    messages = [str(p) for p in caught.value.problems]
    assert messages == [
        f"{tmp_path}/empty: no bag, OCFL root or archive found in this folder (a bag is a "
        "folder holding bagit.txt; archives end in .zip, .tar.gz or .tgz)",
        f"{tmp_path}/gone: no such bag or archive",
        f"{tmp_path}/*.zip: no bag, OCFL root or archive matches '{tmp_path}/*.zip'",
    ]


def test_verify_a_folder_of_bags_judges_each_alone(capsys, shelf):
    shutil.rmtree(shelf / "ocfl")
    code, out, _ = run(capsys, "verify", "--bagit-only", str(shelf))
    headlines = [line for line in out.splitlines() if not line.startswith(" ")]
    assert code == 1  # the bag the fixture put a file into fails, alone
    assert len(headlines) == 6 and headlines[-1] == "4 of 5 passed"
    assert [h for h in headlines if "invalid" in h] == [
        f"{shelf}/2022/A_HRC_49_9105-FR: invalid (2 errors, 0 warnings)"
    ]


def test_verify_of_an_empty_folder_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "verify", str(tmp_path))
    assert code == 2 and "no bag, OCFL root or archive found in this folder" in err

"""The Library of Congress BagIt conformance suite, judged by ``unfolio verify --bagit-only``.

Every case folder of every version is a test: ``valid/`` bags give no error and no warning,
``invalid/``, ``linux-only/`` and ``windows-only/`` bags at least one error (and the one the
case is about), ``warning/`` bags warnings only (the ones the case is about).

Windows-only cases run everywhere and must fail everywhere: a bag judged on Linux may be
unpacked on Windows later, so drive letters, UNC paths and ``%VARIABLE%`` shortcuts are refused
on every platform, as ``..``, ``/`` and ``~`` are.

Two cases are judged otherwise than their folder says, on purpose (see ``JUDGED_OTHERWISE``);
the suite is read from ``../shared`` and never copied into the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.verify.bagit import check_bag

from .conftest import REPO

SUITE = REPO.parent / "shared" / "bagit-conformance-suite"
if not SUITE.is_dir():
    pytest.skip(f"the BagIt conformance suite is not at {SUITE}", allow_module_level=True)

FOLDERS = {
    "valid": "valid",
    "warning": "warnings",
    "invalid": "invalid",
    "linux-only": "invalid",
    "windows-only": "invalid",
}
CASES = sorted(
    case.relative_to(SUITE).as_posix()
    for case in SUITE.glob("v*/*/*")
    if case.is_dir() and case.parent.name in FOLDERS
)

#: Cases whose verdict here differs from their folder, and why.
JUDGED_OTHERWISE = {
    # The case's only line is "./data/hello.txt" in a 0.97 bag, yet the suite also holds
    # v0.96/ and v0.97/valid/bag-with-leading-dot-slash-in-manifest, whose "./data/test2.txt" it
    # calls valid: the suite contradicts itself. Before 1.0 a path is simply "relative to the
    # base directory" and no grammar excludes "./", so unfolio tolerates it silently there and
    # warns (BAG-PATH-FORM) only in 1.0 bags, whose grammar has paths begin with "data/".
    "v0.97/warning/relative-path": "valid",
    # The manifest lists data/.DS_Store and data/Thumbs.db and Payload-Oxum counts 2 files, but
    # the suite (upstream too) ships no data/.DS_Store — presumably lost to a .gitignore. As it
    # is, the bag is incomplete (RFC 8493 §3), so BAG-FILE-MISSING and BAG-OXUM are errors; it
    # also gets the BAG-SYSTEM-FILE warnings the case is about. With the file restored it is
    # judged "warnings" (test_special_system_files_restored_gives_warnings_only).
    "v0.97/warning/special-system-files": "invalid",
}

#: The code each non-valid case is about: it must be among the findings.
EXPECTED_CODES = {
    "v0.97/invalid/baginfo-missing-encoding": {"BAG-DECLARATION"},
    "v0.97/invalid/bom-in-bagit.txt": {"BAG-DECLARATION-BOM"},
    "v0.97/invalid/corrupt-data-file": {"BAG-CHECKSUM", "BAG-OXUM"},
    "v0.97/invalid/corrupt-tag-file": {"BAG-CHECKSUM"},
    "v0.97/invalid/extra-file-in-bag": {"BAG-FILE-UNLISTED", "BAG-OXUM"},
    "v0.97/invalid/invalid-version-number": {"BAG-VERSION"},
    "v0.97/invalid/missing-baginfo": {"BAG-FILE-MISSING"},
    "v0.97/invalid/missing-bagit.txt": {"BAG-DECLARATION"},
    "v0.97/invalid/out-of-scope-file-paths-using-dot-notation": {"BAG-PATH-UNSAFE"},
    "v0.97/invalid/out-of-scope-file-paths-using-dot-notation-for-fetch": {"BAG-PATH-UNSAFE"},
    "v0.97/invalid/same-filename-listed-twice-with-different-hashes": {"BAG-MANIFEST-DUPLICATE"},
    "v0.97/warning/duplicate-file-with-different-case": {"BAG-CASE-COLLISION"},
    "v0.97/warning/made-with-md5sum-tools": {"BAG-MD5SUM-FORMAT"},
    "v0.97/warning/same-filename-listed-twice-with-different-normalization": {"BAG-NORMALIZATION"},
    "v0.97/warning/same-filename-listed-twice-with-the-same-hash": {"BAG-MANIFEST-REPEAT"},
    "v0.97/warning/special-system-files": {"BAG-SYSTEM-FILE", "BAG-FILE-MISSING", "BAG-OXUM"},
    "v1.0/invalid/bagit-with-invalid-whitespace": {"BAG-DECLARATION"},
    "v1.0/invalid/notAllManifestsListAllFiles": {"BAG-FILE-UNLISTED"},
    "v1.0/invalid/same-filename-listed-twice-with-different-hashes": {"BAG-MANIFEST-DUPLICATE"},
    "v1.0/invalid/same-filename-listed-twice-with-the-same-hash": {"BAG-MANIFEST-DUPLICATE"},
}


def verdict(case: Path, *, unfolio: bool = False) -> tuple[str, set[str]]:
    """``valid``, ``warnings`` or ``invalid``, and the codes found."""
    _, found = check_bag(case, unfolio_layout=unfolio)
    codes = {f.code for f in found}
    if any(f.severity == "error" for f in found):
        return "invalid", codes
    return ("warnings" if found else "valid"), codes


@pytest.mark.parametrize("case", CASES)
def test_each_case_is_judged_as_its_folder_says(case):
    expected = JUDGED_OTHERWISE.get(case, FOLDERS[case.split("/")[1]])
    judged, codes = verdict(SUITE / case)
    assert judged == expected, sorted(codes)
    if case.split("/")[1] == "warning" and case not in JUDGED_OTHERWISE:
        assert codes == EXPECTED_CODES[case]
    elif case in EXPECTED_CODES or expected == "invalid":
        assert EXPECTED_CODES.get(case, {"BAG-PATH-UNSAFE"}) <= codes


@pytest.mark.parametrize("case", CASES)
def test_no_suite_bag_is_an_unfolio_bag(case):
    """unfolio's layout (sha256 and sha512, …) is stricter than any of these bags."""
    assert verdict(SUITE / case, unfolio=True)[0] == "invalid"


def test_the_suite_has_every_kind_of_case():
    kinds = {case.split("/")[1] for case in CASES}
    assert kinds == set(FOLDERS)
    assert len(CASES) >= 60
    assert set(JUDGED_OTHERWISE) <= set(CASES) and set(EXPECTED_CODES) <= set(CASES)


def test_special_system_files_restored_gives_warnings_only(tmp_path):
    case = Path(shutil.copytree(SUITE / "v0.97/warning/special-system-files", tmp_path / "bag"))
    (case / "data/.DS_Store").write_bytes(b"")  # the manifest's checksum is that of no bytes
    assert verdict(case) == ("warnings", {"BAG-SYSTEM-FILE"})


def test_readings_of_older_versions():
    """Tag files of 0.93-0.97 are read by their own rules: package-info.txt before 0.96, other
    encodings, folded values unfolded, repeated elements kept in order."""
    reading, _ = check_bag(SUITE / "v0.93/valid/basic-bag", unfolio_layout=False)
    assert reading.version == "0.93"
    info = dict(reading.info)
    assert info["External-Description"] == (
        "Uncompressed greyscale TIFF images from the Yoshimuri papers collection."
    )
    reading, _ = check_bag(SUITE / "v0.97/valid/UTF-16-encoded-tag-files", unfolio_layout=False)
    assert reading.encoding == "UTF-16"
    assert ("Contact-Name", "Chris Adams") in reading.info
    assert set(reading.manifests["md5"]) == {"data/bare-filename", "data/text-file.txt"}
    reading, _ = check_bag(SUITE / "v0.97/valid/duplicate-metadata-entries", unfolio_layout=False)
    assert [label for label, _ in reading.info][:2] == ["Bagging-Date", "Bagging-Date"]
    reading, _ = check_bag(SUITE / "v0.96/valid/bag-with-encoded-names", unfolio_layout=False)
    assert "data/%7Etest1.txt" in reading.manifests["md5"]  # "%" is only a character before 1.0


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("v1.0/valid/basicBag", 0, "valid"),
        ("v0.97/warning/made-with-md5sum-tools", 0, "warnings"),
        ("v1.0/invalid/bagit-with-invalid-whitespace", 1, "invalid"),  # bagit-python accepts it
        ("v0.97/invalid/out-of-scope-file-paths-using-dot-notation", 1, "invalid"),
    ],
)
def test_the_bagit_only_command_gives_the_case_verdict_and_exit_code(case, code, status, capsys):
    import json

    from pipeline.cli import main

    assert main(["verify", "--bagit-only", "--json", str(SUITE / case)]) == code
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "bagit-only" and report["targets"][0]["status"] == status
    assert main(["verify", "--bagit-only", "--strict", str(SUITE / case)]) == (
        0 if status == "valid" else 1
    )

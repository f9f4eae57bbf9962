"""The BagIt judge (pipeline.verify.bagit): a tamper matrix on a real built bag, and for every
check code a fixture that makes exactly that code fire.

Bags are bent in one way at a time. Where the change would also break the tag manifests'
checksums, the tests *reseal* the tag manifests (recompute what they already list) so that
only the check under test is left to catch it — unless the tag manifest mismatch is the point.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import source
from pipeline.config import Config
from pipeline.package import build_bag
from pipeline.verify import bagit
from pipeline.verify.bagit import BagReading, check_bag
from pipeline.verify.bagit import bag as bag_module
from pipeline.verify.bagit import check as check_module
from pipeline.verify.bagit import folder as folder_module
from pipeline.verify.findings import RULES, Rule

from .conftest import EXAMPLE, TAG_FILES

EPOCH = "1614902400"  # 2021-03-05T00:00:00Z
NAME = "A_75_9001--S_2021_9001-ZH"
PDF = f"data/objects/{NAME}.pdf"
LETTER = "data/objects/source/letter.md"
ANNEX = "data/objects/source/annex-2.md"
PREMIS = "data/metadata/premis.xml"
ALGORITHMS = ("sha256", "sha512")
HELLO = b"hello\n"


# -- helpers -----------------------------------------------------------------------------------


def codes(bag: Path, *, unfolio: bool = True) -> list[tuple[str, str]]:
    """(code, file) of every finding, sorted: the whole verdict, to compare exactly."""
    _, found = check_bag(bag, unfolio_layout=unfolio)
    return sorted((f.code, f.file) for f in found)


def digest(data: bytes, algorithm: str) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def manifest_lines(bag: Path, name: str) -> list[str]:
    return (bag / name).read_bytes().decode("utf-8").splitlines()


def write_lines(bag: Path, name: str, lines: list[str]) -> None:
    (bag / name).write_bytes("".join(f"{line}\n" for line in lines).encode("utf-8"))


def reseal(bag: Path, *, relist: bool = False) -> None:
    """Recompute the checksums of what each tag manifest already lists (not what it omits),
    or with ``relist`` of every file in the root but the tag manifests."""
    for manifest in sorted(bag.glob("tagmanifest-*.txt")):
        algorithm = manifest.name.removeprefix("tagmanifest-").removesuffix(".txt")
        if relist:
            paths = sorted(
                p.name for p in bag.iterdir() if p.is_file() and not p.name.startswith("tagman")
            )
        else:
            paths = [line.split("  ", 1)[1] for line in manifest_lines(bag, manifest.name)]
        lines = [f"{digest((bag / path).read_bytes(), algorithm)}  {path}" for path in paths]
        write_lines(bag, manifest.name, lines)


def add_manifest_line(bag: Path, path: str, data: bytes = b"") -> None:
    """List ``path`` in both payload manifests (with the checksums of ``data``)."""
    for algorithm in ALGORITHMS:
        name = f"manifest-{algorithm}.txt"
        write_lines(bag, name, [*manifest_lines(bag, name), f"{digest(data, algorithm)}  {path}"])


def rename_in_manifests(bag: Path, old: str, new: str) -> None:
    for algorithm in ALGORITHMS:
        name = f"manifest-{algorithm}.txt"
        lines = [line.replace(f"  {old}", f"  {new}") for line in manifest_lines(bag, name)]
        write_lines(bag, name, lines)


def write_bag(
    root: Path,
    payload: dict[str, bytes],
    *,
    version: str = "1.0",
    algorithms: tuple[str, ...] = ("sha512",),
    tag_algorithms: tuple[str, ...] = ("sha512",),
    info: str | None = "Bagging-Date: 2021-03-05\n",
) -> Path:
    """A small, correct bag in the given version; tests then bend it."""
    root.mkdir(parents=True)
    (root / "data").mkdir()
    (root / "bagit.txt").write_bytes(
        f"BagIt-Version: {version}\nTag-File-Character-Encoding: UTF-8\n".encode()
    )
    for path, data in payload.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    if info is not None:
        (root / "bag-info.txt").write_bytes(info.encode("utf-8"))
    for algorithm in algorithms:
        lines = [f"{digest(data, algorithm)}  {path}" for path, data in sorted(payload.items())]
        write_lines(root, f"manifest-{algorithm}.txt", lines)
    tag_files = sorted(p.name for p in root.iterdir() if p.is_file())
    for algorithm in tag_algorithms:
        lines = [f"{digest((root / n).read_bytes(), algorithm)}  {n}" for n in tag_files]
        write_lines(root, f"tagmanifest-{algorithm}.txt", lines)
    return root


# -- the real bag ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The example's bag, built once for the module (render + package)."""
    from pipeline.typeset import render_pdf

    document = source.load(EXAMPLE)
    pdf = render_pdf(document, EXAMPLE, flavour="2u")
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH  # module scope: monkeypatch is per test
    try:
        return build_bag(document, pdf, "2u", tmp_path_factory.mktemp("built"), Config())
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


@pytest.fixture
def bag(built, tmp_path) -> Path:
    """A fresh copy of the good bag, for one test to bend."""
    return Path(shutil.copytree(built, tmp_path / NAME, symlinks=True))


@pytest.fixture
def small(tmp_path) -> Path:
    """A minimal correct 1.0 bag with one sha512 payload and tag manifest (RFC-only tests)."""
    return write_bag(tmp_path / "small", {"data/hello.txt": b"hello\n"})


def test_the_good_bag_has_no_findings_in_either_mode(built):
    assert codes(built) == []
    assert codes(built, unfolio=False) == []


def test_the_reading_reports_what_the_bag_holds(built):
    reading, _ = check_bag(built)
    assert isinstance(reading, BagReading)
    assert (reading.root, reading.version, reading.encoding) == (built, "1.0", "UTF-8")
    assert reading.payload == tuple(
        sorted(p.relative_to(built).as_posix() for p in (built / "data").rglob("*") if p.is_file())
    )
    assert [label for label, _ in reading.info][:2] == [
        "Source-Organization",
        "External-Identifier",
    ]
    assert dict(reading.info)["External-Identifier"] == "https://undocs.org/ch/A/75/9001"
    assert set(reading.manifests) == set(reading.tag_manifests) == set(ALGORITHMS)
    pdf = (built / PDF).read_bytes()
    assert reading.manifests["sha512"][PDF] == digest(pdf, "sha512")
    assert set(reading.tag_manifests["sha256"]) == TAG_FILES


# -- the tamper matrix -------------------------------------------------------------------------


def flip_a_bit(bag: Path) -> None:
    data = bytearray((bag / PDF).read_bytes())
    data[len(data) // 2] ^= 0x10
    (bag / PDF).write_bytes(bytes(data))


def append_bytes(bag: Path) -> None:
    with open(bag / LETTER, "ab") as handle:
        handle.write(b"appended\n")


def delete_payload_file(bag: Path) -> None:
    (bag / ANNEX).unlink()


def add_payload_file(bag: Path) -> None:
    (bag / "data/objects/extra.txt").write_bytes(b"not from unfolio\n")


def add_hidden_payload_file(bag: Path) -> None:
    (bag / "data/objects/.hidden").write_bytes(b"x")


def edit_bag_info(bag: Path) -> None:
    text = (bag / "bag-info.txt").read_text(encoding="utf-8")
    (bag / "bag-info.txt").write_text(text.replace("UN-Language: zh", "UN-Language: en"))


def delete_tag_manifest(bag: Path) -> None:
    (bag / "tagmanifest-sha512.txt").unlink()


def delete_payload_manifest(bag: Path) -> None:
    (bag / "manifest-sha512.txt").unlink()


def delete_payload_manifest_and_relist(bag: Path) -> None:
    """As a careful forger would: the tag manifests no longer name it either."""
    (bag / "manifest-sha512.txt").unlink()
    for name in ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt"):
        lines = [line for line in manifest_lines(bag, name) if "manifest-sha512" not in line]
        write_lines(bag, name, lines)


def drop_from_one_manifest(bag: Path) -> None:
    lines = [line for line in manifest_lines(bag, "manifest-sha512.txt") if LETTER not in line]
    write_lines(bag, "manifest-sha512.txt", lines)
    reseal(bag)


def drop_from_one_manifest_unsealed(bag: Path) -> None:
    lines = [line for line in manifest_lines(bag, "manifest-sha512.txt") if LETTER not in line]
    write_lines(bag, "manifest-sha512.txt", lines)


def add_unlisted_tag_file(bag: Path) -> None:
    (bag / "notes.txt").write_text("a note\n")


def bom_in_bagit_txt(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"\xef\xbb\xbf" + (bag / "bagit.txt").read_bytes())
    reseal(bag)


def bom_in_bagit_txt_unsealed(bag: Path) -> None:
    (bag / "bagit.txt").write_bytes(b"\xef\xbb\xbf" + (bag / "bagit.txt").read_bytes())


def dot_dot_in_manifest(bag: Path) -> None:
    add_manifest_line(bag, "data/../../../../etc/passwd")
    reseal(bag)


def absolute_path_in_manifest(bag: Path) -> None:
    add_manifest_line(bag, "/etc/passwd")
    reseal(bag)


NFC_NAME = unicodedata.normalize("NFC", "data/objects/source/é.md")
NFD_NAME = unicodedata.normalize("NFD", "data/objects/source/é.md")


def nfd_on_disk_nfc_in_manifest(bag: Path) -> None:
    (bag / LETTER).rename(bag / NFD_NAME)
    rename_in_manifests(bag, LETTER, NFC_NAME)
    reseal(bag)


def nfc_on_disk_nfd_in_manifest(bag: Path) -> None:
    (bag / LETTER).rename(bag / NFC_NAME)
    rename_in_manifests(bag, LETTER, NFD_NAME)
    reseal(bag)


def symlink_instead_of_file(bag: Path) -> None:
    (bag / LETTER).unlink()
    (bag / LETTER).symlink_to("/etc/passwd")


def symlink_added(bag: Path) -> None:
    (bag / "data/objects/link").symlink_to("../../../outside")


def manifest_lists_folder(bag: Path) -> None:
    add_manifest_line(bag, "data/objects/source")
    reseal(bag)


OXUM = ("BAG-OXUM", "bag-info.txt")
TAMPERS: list[tuple[Callable[[Path], None], list[tuple[str, str]], list[tuple[str, str]]]] = [
    # (tamper, unfolio verdict, --bagit-only verdict)
    (flip_a_bit, [("BAG-CHECKSUM", PDF)] * 2, [("BAG-CHECKSUM", PDF)] * 2),
    (
        append_bytes,
        [("BAG-CHECKSUM", LETTER)] * 2 + [OXUM],
        [("BAG-CHECKSUM", LETTER)] * 2 + [OXUM],
    ),
    (delete_payload_file, [("BAG-FILE-MISSING", ANNEX), OXUM], [("BAG-FILE-MISSING", ANNEX), OXUM]),
    (
        add_payload_file,
        [("BAG-FILE-UNLISTED", "data/objects/extra.txt"), OXUM],
        [("BAG-FILE-UNLISTED", "data/objects/extra.txt"), OXUM],
    ),
    (
        add_hidden_payload_file,
        [
            ("BAG-FILE-UNLISTED", "data/objects/.hidden"),
            ("BAG-LAYOUT-HIDDEN", "data/objects/.hidden"),
            OXUM,
        ],
        [("BAG-FILE-UNLISTED", "data/objects/.hidden"), OXUM],
    ),
    (edit_bag_info, [("BAG-CHECKSUM", "bag-info.txt")] * 2, [("BAG-CHECKSUM", "bag-info.txt")] * 2),
    (delete_tag_manifest, [("BAG-LAYOUT-MANIFESTS", "tagmanifest-sha512.txt")], []),
    (
        delete_payload_manifest,
        [
            ("BAG-FILE-MISSING", "manifest-sha512.txt"),
            ("BAG-LAYOUT-MANIFESTS", "manifest-sha512.txt"),
        ],
        [("BAG-FILE-MISSING", "manifest-sha512.txt")],
    ),
    (delete_payload_manifest_and_relist, [("BAG-LAYOUT-MANIFESTS", "manifest-sha512.txt")], []),
    (drop_from_one_manifest, [("BAG-FILE-INCOMPLETE", LETTER)], [("BAG-FILE-INCOMPLETE", LETTER)]),
    (
        drop_from_one_manifest_unsealed,
        [("BAG-CHECKSUM", "manifest-sha512.txt")] * 2 + [("BAG-FILE-INCOMPLETE", LETTER)],
        [("BAG-CHECKSUM", "manifest-sha512.txt")] * 2 + [("BAG-FILE-INCOMPLETE", LETTER)],
    ),
    (add_unlisted_tag_file, [("BAG-LAYOUT-TAG-UNLISTED", "notes.txt")], []),
    (
        bom_in_bagit_txt,
        [("BAG-DECLARATION-BOM", "bagit.txt")],
        [("BAG-DECLARATION-BOM", "bagit.txt")],
    ),
    (
        bom_in_bagit_txt_unsealed,
        [("BAG-CHECKSUM", "bagit.txt")] * 2 + [("BAG-DECLARATION-BOM", "bagit.txt")],
        [("BAG-CHECKSUM", "bagit.txt")] * 2 + [("BAG-DECLARATION-BOM", "bagit.txt")],
    ),
    (
        dot_dot_in_manifest,
        [("BAG-PATH-UNSAFE", "manifest-sha256.txt"), ("BAG-PATH-UNSAFE", "manifest-sha512.txt")],
        [("BAG-PATH-UNSAFE", "manifest-sha256.txt"), ("BAG-PATH-UNSAFE", "manifest-sha512.txt")],
    ),
    (
        absolute_path_in_manifest,
        [("BAG-PATH-UNSAFE", "manifest-sha256.txt"), ("BAG-PATH-UNSAFE", "manifest-sha512.txt")],
        [("BAG-PATH-UNSAFE", "manifest-sha256.txt"), ("BAG-PATH-UNSAFE", "manifest-sha512.txt")],
    ),
    (
        nfd_on_disk_nfc_in_manifest,
        [("BAG-NORMALIZATION", NFD_NAME)],
        [("BAG-NORMALIZATION", NFD_NAME)],
    ),
    (
        nfc_on_disk_nfd_in_manifest,
        [("BAG-NORMALIZATION", NFC_NAME)],
        [("BAG-NORMALIZATION", NFC_NAME)],
    ),
    (symlink_instead_of_file, [OXUM, ("BAG-SYMLINK", LETTER)], [OXUM, ("BAG-SYMLINK", LETTER)]),
    (symlink_added, [("BAG-SYMLINK", "data/objects/link")], [("BAG-SYMLINK", "data/objects/link")]),
    (
        manifest_lists_folder,
        [("BAG-MANIFEST-DIRECTORY", "data/objects/source")],
        [("BAG-MANIFEST-DIRECTORY", "data/objects/source")],
    ),
]


@pytest.mark.parametrize(
    ("tamper", "unfolio", "bagit_only"), TAMPERS, ids=[t[0].__name__ for t in TAMPERS]
)
def test_each_tamper_is_caught_with_the_right_code_and_file(bag, tamper, unfolio, bagit_only):
    tamper(bag)
    assert codes(bag) == sorted(unfolio)
    assert codes(bag, unfolio=False) == sorted(bagit_only)


def test_a_payload_oxum_mismatch_is_reported_and_the_guilty_file_still_named(bag):
    declared = re.search(r"Payload-Oxum: (\S+)", (bag / "bag-info.txt").read_text()).group(1)
    append_bytes(bag)
    _, found = check_bag(bag)
    oxum = next(f for f in found if f.code == "BAG-OXUM")
    assert f"Payload-Oxum is {declared} but the payload holds" in oxum.message
    checksum = [f for f in found if f.code == "BAG-CHECKSUM"]
    assert {f.file for f in checksum} == {LETTER}
    assert {f.message.split()[0] for f in checksum} == {"sha256", "sha512"}


def test_every_failure_is_reported_not_only_the_first(bag):
    flip_a_bit(bag)
    delete_payload_file(bag)
    add_payload_file(bag)
    edit_bag_info(bag)
    add_unlisted_tag_file(bag)
    found = codes(bag)
    assert ("BAG-CHECKSUM", PDF) in found
    assert ("BAG-FILE-MISSING", ANNEX) in found
    assert ("BAG-FILE-UNLISTED", "data/objects/extra.txt") in found
    assert ("BAG-CHECKSUM", "bag-info.txt") in found
    assert ("BAG-LAYOUT-TAG-UNLISTED", "notes.txt") in found
    assert OXUM in found


# -- hostile bags: nothing outside the bag is read or even looked at ---------------------------


class RecordingOs:
    """Stands in for ``os`` inside pipeline.verify.bagit and records every path it is given."""

    def __init__(self):
        self.calls: list[tuple[str, object, object]] = []

    def __getattr__(self, name):
        return getattr(os, name)

    def _record(self, function, path, dir_fd):
        self.calls.append((function, path, dir_fd))

    def open(self, path, flags, mode=0o777, *, dir_fd=None):
        self._record("open", path, dir_fd)
        return os.open(path, flags, mode, dir_fd=dir_fd)

    def stat(self, path, *, dir_fd=None, follow_symlinks=True):
        self._record("stat", path, dir_fd)
        return os.stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)

    def lstat(self, path, *, dir_fd=None):
        self._record("lstat", path, dir_fd)
        return os.lstat(path, dir_fd=dir_fd)

    def scandir(self, path="."):
        self._record("scandir", path, None)
        return os.scandir(path)

    def readlink(self, path, *, dir_fd=None):
        self._record("readlink", path, dir_fd)
        return os.readlink(path, dir_fd=dir_fd)


def assert_stays_inside(calls, root: Path) -> None:
    """Every path-based call is the bag itself or below it; every name relative to an open
    folder is one plain component (so nothing climbs out or follows a path)."""
    assert calls
    for function, path, dir_fd in calls:
        if isinstance(path, int):
            continue
        if dir_fd is None:
            assert Path(path) == root or root in Path(path).parents, (function, path)
            assert ".." not in Path(path).relative_to(root).parts, (function, path)
        else:
            assert "/" not in str(path) and str(path) not in ("", ".", ".."), (function, path)


def hostile_bag(bag: Path, outside: Path) -> None:
    """Every trick at once: escaping manifest paths, a link out, a FIFO, a folder listed."""
    outside.write_bytes(b"secret\n")
    for path in (
        "../outside",
        "data/../../outside",
        f"{outside}",
        "~/outside",
        "~root/outside",
        "C:/Windows/win.ini",
        "\\\\?\\UNC\\server\\share\\x",
        "%HomeDrive%\\x",
        "data/objects/source",
        "data/objects/pipe",
    ):
        add_manifest_line(bag, path, b"secret\n")
    (bag / "data/objects/escape").symlink_to(outside)
    (bag / "data/metadata/folder-link").symlink_to(outside.parent, target_is_directory=True)
    os.mkfifo(bag / "data/objects/pipe")
    reseal(bag)
    (bag / "tagmanifest-md5.txt").symlink_to(outside)


def test_a_hostile_bag_is_judged_without_touching_anything_outside(bag, tmp_path, monkeypatch):
    hostile_bag(bag, tmp_path / "outside")
    recording = RecordingOs()
    for module in (bag_module, check_module, folder_module):
        monkeypatch.setattr(module, "os", recording)
    found = codes(bag)
    assert_stays_inside(recording.calls, bag)
    assert ("BAG-SYMLINK", "data/objects/escape") in found
    assert ("BAG-SYMLINK", "data/metadata/folder-link") in found
    assert ("BAG-SYMLINK", "tagmanifest-md5.txt") in found
    assert ("BAG-SPECIAL-FILE", "data/objects/pipe") in found
    assert ("BAG-MANIFEST-DIRECTORY", "data/objects/source") in found
    assert found.count(("BAG-PATH-UNSAFE", "manifest-sha256.txt")) == 8
    assert not [f for f in found if f[0] in ("BAG-CHECKSUM", "BAG-FILE-MISSING")]


def test_a_fifo_is_reported_and_never_opened(bag):
    os.mkfifo(bag / "data/objects/pipe")  # opening it for reading would block for ever
    assert codes(bag) == [("BAG-SPECIAL-FILE", "data/objects/pipe")]


def test_a_fifo_in_place_of_a_listed_file_is_never_opened(bag):
    (bag / LETTER).unlink()
    os.mkfifo(bag / LETTER)
    assert codes(bag) == [OXUM, ("BAG-SPECIAL-FILE", LETTER)]


def test_a_symlinked_payload_folder_is_not_followed(bag, tmp_path):
    shutil.move(bag / "data", tmp_path / "elsewhere")
    (bag / "data").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    found = codes(bag, unfolio=False)
    assert ("BAG-SYMLINK", "data") in found
    assert ("BAG-PAYLOAD-DIRECTORY", "data") in found
    assert {code for code, _ in found} <= {"BAG-SYMLINK", "BAG-PAYLOAD-DIRECTORY", "BAG-OXUM"}


def test_a_huge_manifest_line_is_reported_and_skipped(bag):
    add_manifest_line(bag, "data/" + "x" * (bagit.MAX_LINE_CHARS + 1))
    reseal(bag)
    assert codes(bag) == [
        ("BAG-TOO-LARGE", "manifest-sha256.txt"),
        ("BAG-TOO-LARGE", "manifest-sha512.txt"),
    ]


def test_a_declaration_of_blanks_is_read_in_linear_time(small):
    (small / "bagit.txt").write_bytes(b" " * 5000 + b"\t" * 5000)  # a regex once took minutes
    started = time.monotonic()
    assert codes(small, unfolio=False) == [
        ("BAG-CHECKSUM", "bagit.txt"),
        ("BAG-DECLARATION", "bagit.txt"),
    ]
    assert time.monotonic() - started < 1


def test_a_payload_oxum_of_thousands_of_digits_is_compared_not_converted(small):
    for value, expected in (("0" * 5000 + "6.1", []), ("9" * 5000 + ".1", [OXUM])):
        (small / "bag-info.txt").write_text(f"Payload-Oxum: {value}\n")
        reseal(small)
        assert codes(small, unfolio=False) == expected


def test_a_huge_tag_file_is_reported_and_not_read(bag, monkeypatch):
    monkeypatch.setattr(check_module, "MAX_TAG_FILE_BYTES", 100)
    assert codes(bag) == [("BAG-TOO-LARGE", "bag-info.txt")]


def test_too_many_files_stop_the_listing_with_a_finding(bag, monkeypatch):
    monkeypatch.setattr(folder_module, "MAX_ENTRIES", 9)  # the 7 entries of the root and data's 2
    assert codes(bag) == [("BAG-TOO-LARGE", "")]


def test_too_deep_a_payload_is_reported_and_what_is_below_not_called_missing(bag, monkeypatch):
    monkeypatch.setattr(folder_module, "MAX_DEPTH", 2)
    assert codes(bag) == [("BAG-TOO-LARGE", "data/metadata"), ("BAG-TOO-LARGE", "data/objects")]


def test_an_unreadable_payload_file_is_reported(bag, monkeypatch):
    real = bagit.BagFolder.open_regular

    def refuse(self, path):
        if path == LETTER:
            raise PermissionError(13, "Permission denied")
        return real(self, path)

    monkeypatch.setattr(bagit.BagFolder, "open_regular", refuse)
    assert codes(bag) == [("BAG-UNREADABLE", LETTER)]


def test_the_checker_works_where_openat_is_missing(bag, monkeypatch):
    monkeypatch.setattr(folder_module, "_AT_SUPPORTED", False)
    flip_a_bit(bag)
    symlink_added(bag)
    assert codes(bag) == [("BAG-CHECKSUM", PDF)] * 2 + [("BAG-SYMLINK", "data/objects/link")]


def test_files_are_hashed_in_chunks(bag, monkeypatch):
    for module in (bag_module, folder_module):
        monkeypatch.setattr(module, "CHUNK_BYTES", 1000)
    assert codes(bag) == []
    flip_a_bit(bag)
    assert codes(bag) == [("BAG-CHECKSUM", PDF)] * 2


# -- one fixture per code: what only RFC 8493 says (--bagit-only) -----------------------------


def test_bag_directory(tmp_path):
    assert codes(tmp_path / "nothing") == [("BAG-DIRECTORY", "")]
    (tmp_path / "file").write_text("not a bag")
    assert codes(tmp_path / "file", unfolio=False) == [("BAG-DIRECTORY", "")]


def test_bag_declaration_missing(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, tag_algorithms=())
    (bag / "bagit.txt").unlink()
    assert codes(bag, unfolio=False) == [("BAG-DECLARATION", "bagit.txt")]


@pytest.mark.parametrize(
    "declaration",
    [
        b"BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n",
        b"BagIt-Version: 1.0 \nTag-File-Character-Encoding: UTF-8\n",
        b"BagIt-Version: 1.0\n",
        b"Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n",
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n\n",
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nExtra: 1\n",
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding:UTF-8\n",
        b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\nExtra: 1\n",
    ],
)
def test_bag_declaration_form(tmp_path, declaration):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, tag_algorithms=())
    (bag / "bagit.txt").write_bytes(declaration)
    assert {code for code, _ in codes(bag, unfolio=False)} == {"BAG-DECLARATION"}


@pytest.mark.parametrize(
    "declaration",
    [
        b"BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8\r\n",
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8",
        b"BagIt-version: 1.0\nTag-File-Character-Encoding: UTF-8\n",  # as RFC 8493 §4.1 writes it
        b"BagIt-Version : 0.97\nTag-File-Character-Encoding :  UTF-8\n\n",
    ],
)
def test_bag_declarations_rfc_8493_allows(tmp_path, declaration):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, tag_algorithms=())
    (bag / "bagit.txt").write_bytes(declaration)
    assert codes(bag, unfolio=False) == []


def test_bag_declaration_bom(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, tag_algorithms=())
    (bag / "bagit.txt").write_bytes(b"\xef\xbb\xbf" + (bag / "bagit.txt").read_bytes())
    assert codes(bag, unfolio=False) == [("BAG-DECLARATION-BOM", "bagit.txt")]


@pytest.mark.parametrize("version", [".97", "2.0", "0.92", "1.1", "one"])
def test_bag_version(tmp_path, version):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version=version, tag_algorithms=())
    reading, _ = check_bag(bag, unfolio_layout=False)
    assert codes(bag, unfolio=False) == [("BAG-VERSION", "bagit.txt")]
    assert reading.version == version


def test_bag_encoding_unknown(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, tag_algorithms=())
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: KOI9\n")
    assert codes(bag, unfolio=False) == [("BAG-ENCODING", "bagit.txt")]


def test_bag_encoding_bom_in_a_utf8_tag_file(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, tag_algorithms=())
    manifest = bag / "manifest-sha512.txt"
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes())
    assert codes(bag, unfolio=False) == [("BAG-ENCODING", "manifest-sha512.txt")]


def test_bag_encoding_undecodable_bytes(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, tag_algorithms=())
    (bag / "bag-info.txt").write_bytes(b"Contact-Name: Andr\xe9\n")  # Latin-1 in a UTF-8 bag
    assert codes(bag, unfolio=False) == [("BAG-ENCODING", "bag-info.txt")]


def test_tag_files_in_the_declared_latin_1_are_read_as_such(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version="0.97", tag_algorithms=())
    (bag / "bagit.txt").write_bytes(
        b"BagIt-Version: 0.97\nTag-File-Character-Encoding: ISO-8859-1\n"
    )
    (bag / "bag-info.txt").write_bytes(b"Contact-Name: Andr\xe9\n")
    reading, found = check_bag(bag, unfolio_layout=False)
    assert found == []
    assert reading.info == (("Contact-Name", "André"),)


def test_bag_payload_directory(tmp_path):
    bag = write_bag(tmp_path / "b", {}, tag_algorithms=())
    (bag / "data").rmdir()
    assert codes(bag, unfolio=False) == [("BAG-PAYLOAD-DIRECTORY", "data")]


def test_bag_manifest_missing(small):
    (small / "manifest-sha512.txt").unlink()
    (small / "tagmanifest-sha512.txt").unlink()
    assert codes(small, unfolio=False) == [("BAG-MANIFEST-MISSING", "")]


def test_bag_algorithm_unknown(small):
    (small / "manifest-foo.txt").write_text("0123abcd  data/hello.txt\n")
    reseal(small, relist=True)
    assert codes(small, unfolio=False) == [("BAG-ALGORITHM", "manifest-foo.txt")]


def test_bag_algorithm_not_normalized(small):
    (small / "manifest-SHA-256.txt").write_text(f"{digest(HELLO, 'sha256')}  data/hello.txt\n")
    reseal(small, relist=True)
    assert codes(small, unfolio=False) == [("BAG-ALGORITHM", "manifest-SHA-256.txt")]


def test_other_algorithms_are_verified(tmp_path):
    payload = {"data/a.txt": b"a"}
    bag = write_bag(tmp_path / "b", payload, algorithms=("sha224", "sha3_256"), tag_algorithms=())
    assert codes(bag, unfolio=False) == [("BAG-ALGORITHM", "manifest-sha3_256.txt")]
    (bag / "manifest-sha3_256.txt").rename(bag / "manifest-sha3256.txt")
    assert codes(bag, unfolio=False) == []
    (bag / "data/a.txt").write_bytes(b"b")
    assert codes(bag, unfolio=False) == [("BAG-CHECKSUM", "data/a.txt")] * 2


@pytest.mark.parametrize(
    "change",
    [
        lambda line: [line, "garbage"],  # no path: the line is dropped
        lambda line: [line.replace(line[:128], "not-hex")],  # the entry stays, unverified
        lambda line: [line.replace(line[:128], "abcdef")],  # hex, but not 128 digits
    ],
)
def test_bag_manifest_syntax(small, change):
    (line,) = manifest_lines(small, "manifest-sha512.txt")
    write_lines(small, "manifest-sha512.txt", change(line))
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-MANIFEST-SYNTAX", "manifest-sha512.txt")]


def test_bag_md5sum_format(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version="0.97", tag_algorithms=())
    line = manifest_lines(bag, "manifest-sha512.txt")[0].replace("  data/", " *data/")
    write_lines(bag, "manifest-sha512.txt", [line])
    assert codes(bag, unfolio=False) == [("BAG-MD5SUM-FORMAT", "manifest-sha512.txt")]


def test_md5sum_escaped_lines_are_unescaped(tmp_path):
    name = "data/back\\slash"
    bag = write_bag(tmp_path / "b", {name: b"a"}, version="0.97", tag_algorithms=())
    escaped = f"\\{digest(b'a', 'sha512')}  data/back\\\\slash"
    write_lines(bag, "manifest-sha512.txt", [escaped])
    assert codes(bag, unfolio=False) == [("BAG-MD5SUM-FORMAT", "manifest-sha512.txt")]


def test_bag_manifest_duplicate_in_1_0(small):
    lines = manifest_lines(small, "manifest-sha512.txt")
    write_lines(small, "manifest-sha512.txt", lines + lines)
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-MANIFEST-DUPLICATE", "data/hello.txt")]


def test_a_tag_manifest_line_repeated_is_a_duplicate_too(small):
    lines = manifest_lines(small, "tagmanifest-sha512.txt")
    info = [line for line in lines if line.endswith("  bag-info.txt")]
    write_lines(small, "tagmanifest-sha512.txt", lines + info)
    assert codes(small, unfolio=False) == [("BAG-MANIFEST-DUPLICATE", "bag-info.txt")]


def test_bag_manifest_duplicate_with_two_checksums_in_0_97(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version="0.97", tag_algorithms=())
    lines = manifest_lines(bag, "manifest-sha512.txt")
    write_lines(bag, "manifest-sha512.txt", [*lines, lines[0].replace(lines[0][:8], "deadbeef")])
    found = codes(bag, unfolio=False)
    assert ("BAG-MANIFEST-DUPLICATE", "data/a") in found
    assert set(found) == {("BAG-MANIFEST-DUPLICATE", "data/a"), ("BAG-CHECKSUM", "data/a")}


def test_bag_manifest_repeat(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version="0.97", tag_algorithms=())
    lines = manifest_lines(bag, "manifest-sha512.txt")
    write_lines(bag, "manifest-sha512.txt", lines + lines)
    assert codes(bag, unfolio=False) == [("BAG-MANIFEST-REPEAT", "data/a")]


def test_bag_manifest_scope_of_a_payload_manifest(small):
    line = f"{digest((small / 'bagit.txt').read_bytes(), 'sha512')}  bagit.txt"
    write_lines(small, "manifest-sha512.txt", [*manifest_lines(small, "manifest-sha512.txt"), line])
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-MANIFEST-SCOPE", "manifest-sha512.txt")]


def test_bag_manifest_scope_of_a_tag_manifest(small):
    lines = manifest_lines(small, "tagmanifest-sha512.txt")
    extra = [
        f"{digest(HELLO, 'sha512')}  data/hello.txt",
        f"{digest(b'', 'sha512')}  tagmanifest-sha512.txt",
    ]
    write_lines(small, "tagmanifest-sha512.txt", lines + extra)
    assert codes(small, unfolio=False) == [("BAG-MANIFEST-SCOPE", "tagmanifest-sha512.txt")] * 2


def test_bag_manifest_directory(small):
    (small / "data/folder").mkdir()
    write_lines(
        small,
        "manifest-sha512.txt",
        [*manifest_lines(small, "manifest-sha512.txt"), f"{'0' * 128}  data/folder/"],
    )
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-MANIFEST-DIRECTORY", "data/folder")]


def test_bag_tagmanifest_incomplete(small):
    lines = [
        line for line in manifest_lines(small, "tagmanifest-sha512.txt") if "manifest-" not in line
    ]
    write_lines(small, "tagmanifest-sha512.txt", lines)
    assert codes(small, unfolio=False) == [("BAG-TAGMANIFEST-INCOMPLETE", "tagmanifest-sha512.txt")]


def test_a_tag_manifest_may_omit_a_payload_manifest_before_1_0(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version="0.97")
    lines = [
        line for line in manifest_lines(bag, "tagmanifest-sha512.txt") if "manifest-" not in line
    ]
    write_lines(bag, "tagmanifest-sha512.txt", lines)
    assert codes(bag, unfolio=False) == []


@pytest.mark.parametrize(
    "path", ["../x", "/etc/passwd", "~/x", "C:\\x", "\\\\srv\\x", "data/a/../../x"]
)
def test_bag_path_unsafe_in_fetch(small, path):
    (small / "fetch.txt").write_text(f"https://example.org/x - {path}\n")
    assert codes(small, unfolio=False) == [("BAG-PATH-UNSAFE", "fetch.txt")]


@pytest.mark.parametrize("path", ["./", ".", "data/../data/hello.txt"])
def test_bag_path_unsafe_when_it_names_the_bag_itself_or_climbs(small, path):
    lines = manifest_lines(small, "manifest-sha512.txt")
    write_lines(small, "manifest-sha512.txt", [*lines, f"{digest(HELLO, 'sha512')}  {path}"])
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-PATH-UNSAFE", "manifest-sha512.txt")]


def test_bag_path_unsafe_in_a_tag_manifest(small):
    lines = manifest_lines(small, "tagmanifest-sha512.txt")
    write_lines(small, "tagmanifest-sha512.txt", [*lines, f"{'0' * 128}  ../../outside.txt"])
    assert codes(small, unfolio=False) == [("BAG-PATH-UNSAFE", "tagmanifest-sha512.txt")]


def test_percent_cr_and_lf_are_decoded_in_1_0(tmp_path):
    payload = {"data/50% off.txt": b"a", "data/two\nlines": b"b", "data/car\rriage": b"c"}
    bag = write_bag(tmp_path / "b", payload, tag_algorithms=())
    encoded = [
        f"{digest(b'a', 'sha512')}  data/50%25 off.txt",
        f"{digest(b'b', 'sha512')}  data/two%0Alines",
        f"{digest(b'c', 'sha512')}  data/car%0driage",
    ]
    write_lines(bag, "manifest-sha512.txt", encoded)
    reading, found = check_bag(bag, unfolio_layout=False)
    assert found == []
    assert set(reading.manifests["sha512"]) == set(payload)


def test_bag_path_encoding_a_literal_percent_in_1_0(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/%7Etest.txt": b"a"}, tag_algorithms=())
    assert codes(bag, unfolio=False) == [("BAG-PATH-ENCODING", "manifest-sha512.txt")]


def test_bag_path_encoding_a_name_that_matches_only_undecoded(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/100%25 done.txt": b"a"}, tag_algorithms=())
    assert codes(bag, unfolio=False) == [("BAG-PATH-ENCODING", "data/100%25 done.txt")]


def test_a_literal_percent_is_a_name_before_1_0(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/%7Etest.txt": b"a"}, version="0.97")
    assert codes(bag, unfolio=False) == []


def test_bag_path_form(small):
    lines = [
        line.replace("  data/", "  ./data/")
        for line in manifest_lines(small, "manifest-sha512.txt")
    ]
    write_lines(small, "manifest-sha512.txt", lines)
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-PATH-FORM", "manifest-sha512.txt")]


def test_dot_slash_is_fine_before_1_0(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version="0.97", tag_algorithms=())
    lines = [
        line.replace("  data/", "  ./data/") for line in manifest_lines(bag, "manifest-sha512.txt")
    ]
    write_lines(bag, "manifest-sha512.txt", lines)
    assert codes(bag, unfolio=False) == []


def test_bag_file_missing_from_a_tag_manifest(small):
    (small / "bag-info.txt").unlink()
    assert codes(small, unfolio=False) == [("BAG-FILE-MISSING", "bag-info.txt")]


def test_bag_file_missing_names_fetch(small):
    (small / "fetch.txt").write_text("https://example.org/hello.txt 6 data/hello.txt\n")
    (small / "data/hello.txt").unlink()
    _, found = check_bag(small, unfolio_layout=False)
    missing = [f for f in found if f.code == "BAG-FILE-MISSING"]
    assert [f.file for f in missing] == ["data/hello.txt"]
    assert "fetch.txt" in missing[0].message and "never downloads" in missing[0].message


def test_bag_file_unlisted(small):
    (small / "data/extra.txt").write_bytes(b"x")
    assert codes(small, unfolio=False) == [("BAG-FILE-UNLISTED", "data/extra.txt")]


def test_bag_file_incomplete_only_from_1_0(tmp_path):
    for version, expected in (("1.0", [("BAG-FILE-INCOMPLETE", "data/b")]), ("0.97", [])):
        payload = {"data/a": b"a", "data/b": b"b"}
        bag = write_bag(tmp_path / version, payload, version=version, algorithms=ALGORITHMS)
        lines = [
            line for line in manifest_lines(bag, "manifest-sha256.txt") if "data/b" not in line
        ]
        write_lines(bag, "manifest-sha256.txt", lines)
        reseal(bag)
        assert codes(bag, unfolio=False) == expected


def test_bag_checksum_of_a_tag_file_other_than_the_standard_ones(small):
    (small / "notes.txt").write_text("a note\n")
    lines = manifest_lines(small, "tagmanifest-sha512.txt")
    write_lines(small, "tagmanifest-sha512.txt", [*lines, f"{'0' * 128}  notes.txt"])
    assert codes(small, unfolio=False) == [("BAG-CHECKSUM", "notes.txt")]


@pytest.mark.parametrize("value", ["6.2", "6", "six.1", "6.1\nPayload-Oxum: 6.1"])
def test_bag_oxum(small, value):
    (small / "bag-info.txt").write_text(f"Payload-Oxum: {value}\n")
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-OXUM", "bag-info.txt")]


def test_a_repeated_payload_oxum_is_fine_before_1_0(tmp_path):
    info = "Payload-Oxum: 1.1\nPayload-Oxum: 1.1\n"
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version="0.97", info=info)
    assert codes(bag, unfolio=False) == []


@pytest.mark.parametrize(
    "info",
    [
        "Label : value\n",
        "Label:value\n",
        "no colon here\n",
        "  continues nothing\n",
        "A: 1\n\nB: 2\n",
        ": no label\n",
    ],
)
def test_bag_info_syntax(small, info):
    (small / "bag-info.txt").write_text(info)
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-INFO-SYNTAX", "bag-info.txt")]


def test_bag_info_before_1_0_allows_whitespace_around_the_colon_and_repeats(tmp_path):
    info = "Test-Tag : 3\nTest-Tag    :   5\nBagging-Date: 2016-02-26\nBagging-Date: 2016-03-10\n"
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, version="0.97", info=info)
    reading, found = check_bag(bag, unfolio_layout=False)
    assert found == []
    assert reading.info == (
        ("Test-Tag", "3"),
        ("Test-Tag", "5"),
        ("Bagging-Date", "2016-02-26"),
        ("Bagging-Date", "2016-03-10"),
    )


def test_bag_info_continuation_lines_are_unfolded_and_order_kept(small):
    (small / "bag-info.txt").write_text(
        "External-Description: A long title\n  that goes on\n\tand on\nContact-Name: X\n"
    )
    reseal(small)
    reading, found = check_bag(small, unfolio_layout=False)
    assert found == []
    assert reading.info == (
        ("External-Description", "A long title that goes on and on"),
        ("Contact-Name", "X"),
    )


def test_bag_info_repeated(small):
    (small / "bag-info.txt").write_text("Bagging-Date: 2021-03-05\nBagging-Date: 2021-03-06\n")
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-INFO-REPEATED", "bag-info.txt")]


@pytest.mark.parametrize(
    "info", ["Bagging-Date: 5 March 2021\n", "Bagging-Date: 2021-02-30\n", "Bag-Count: one\n"]
)
def test_bag_info_value(small, info):
    (small / "bag-info.txt").write_text(info)
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-INFO-VALUE", "bag-info.txt")]


@pytest.mark.parametrize(
    "line",
    [
        "example.org/hello.txt - data/hello.txt",  # not an absolute URI
        "https://example.org/hello.txt six data/hello.txt",
        "https://example.org/hello.txt data/hello.txt",
        "https://example.org/x - bag-info.txt",  # a tag file
        "https://example.org/x - data/other.txt",  # in no manifest
    ],
)
def test_bag_fetch(small, line):
    (small / "fetch.txt").write_text(f"{line}\n")
    assert codes(small, unfolio=False) == [("BAG-FETCH", "fetch.txt")]


def test_a_well_formed_fetch_file_is_fine(small):
    (small / "fetch.txt").write_text("https://example.org/hello%20there 6 data/hello.txt\n")
    assert codes(small, unfolio=False) == []


def test_bag_symlink(small):
    (small / "data/link").symlink_to("hello.txt")
    assert codes(small, unfolio=False) == [("BAG-SYMLINK", "data/link")]


def test_bag_special_file(small):
    os.mkfifo(small / "data/fifo")
    assert codes(small, unfolio=False) == [("BAG-SPECIAL-FILE", "data/fifo")]


def test_bag_too_large(small, monkeypatch):
    monkeypatch.setattr(check_module, "MAX_MANIFEST_BYTES", 10)
    assert codes(small, unfolio=False) == [
        ("BAG-TOO-LARGE", "manifest-sha512.txt"),
        ("BAG-TOO-LARGE", "tagmanifest-sha512.txt"),
    ]


def test_bag_unreadable(small, monkeypatch):
    real = bagit.BagFolder.scan

    def refuse(self, parts):
        if parts == ("data",):
            raise PermissionError(13, "Permission denied")
        return real(self, parts)

    monkeypatch.setattr(bagit.BagFolder, "scan", refuse)
    assert codes(small, unfolio=False) == [("BAG-UNREADABLE", "data")]


def test_a_bag_whose_root_cannot_be_listed_says_only_that(small, monkeypatch):
    def refuse(self, parts):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(bagit.BagFolder, "scan", refuse)
    assert codes(small) == [("BAG-UNREADABLE", "")]


def test_bag_normalization_of_two_files_on_disk(small):
    names = [unicodedata.normalize(form, "data/é") for form in ("NFC", "NFD")]
    lines = manifest_lines(small, "manifest-sha512.txt")
    for number, name in enumerate(names):
        (small / name).write_bytes(b"%d" % number)
        lines.append(f"{digest(b'%d' % number, 'sha512')}  {name}")
    write_lines(small, "manifest-sha512.txt", lines)
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-NORMALIZATION", min(names))]


def test_bag_case_collision_of_two_files_on_disk(small):
    (small / "data/HELLO.txt").write_bytes(b"hello\n")
    lines = manifest_lines(small, "manifest-sha512.txt")
    write_lines(small, "manifest-sha512.txt", [*lines, lines[0].replace("hello", "HELLO")])
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-CASE-COLLISION", "data/HELLO.txt")]


def test_bag_case_collision_from_a_case_insensitive_file_system(small):
    """Only --bagit-only lets the other-case name stand for the file (as on macOS or Windows,
    where the bag was made); unfolio's layout says the listed file is missing."""
    lines = manifest_lines(small, "manifest-sha512.txt")
    write_lines(small, "manifest-sha512.txt", [*lines, lines[0].replace("hello", "HELLO")])
    reseal(small)
    assert codes(small, unfolio=False) == [("BAG-CASE-COLLISION", "data/HELLO.txt")]
    assert ("BAG-FILE-MISSING", "data/HELLO.txt") in codes(small)


def test_a_case_only_rename_is_not_tolerated(small):
    (small / "data/hello.txt").rename(small / "data/Hello.txt")
    assert codes(small, unfolio=False) == [
        ("BAG-FILE-MISSING", "data/hello.txt"),
        ("BAG-FILE-UNLISTED", "data/Hello.txt"),
    ]


def test_bag_weak_algorithm(tmp_path):
    bag = write_bag(tmp_path / "b", {"data/a": b"a"}, algorithms=("md5",), tag_algorithms=("md5",))
    assert codes(bag, unfolio=False) == [("BAG-WEAK-ALGORITHM", "manifest-md5.txt")]
    old = write_bag(tmp_path / "old", {"data/a": b"a"}, version="0.97", algorithms=("md5",))
    assert codes(old, unfolio=False) == []


@pytest.mark.parametrize(
    "name", ["Thumbs.db", ".DS_Store", "._letter.md", "__MACOSX/x", "desktop.ini"]
)
def test_bag_system_file(tmp_path, name):
    bag = write_bag(tmp_path / "b", {f"data/{name}": b""})
    assert codes(bag, unfolio=False) == [("BAG-SYSTEM-FILE", f"data/{name}")]


def test_names_in_findings_cannot_forge_a_line(small):
    name = "data/evil\nerror: BAG-CHECKSUM data:x: forged\u202e"
    (small / name).write_bytes(b"x")
    _, found = check_bag(small, unfolio_layout=False)
    assert [(f.code, f.file) for f in found] == [
        ("BAG-FILE-UNLISTED", "data/evil\\x0aerror: BAG-CHECKSUM data:x: forged\\u202e")
    ]
    assert "\n" not in str(found[0])


# -- one fixture per code: unfolio's own layout -------------------------------------------------


def test_bag_layout_version(bag):
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n")
    reseal(bag)
    assert codes(bag) == [("BAG-LAYOUT-VERSION", "bagit.txt")]


@pytest.mark.parametrize(
    "declaration",
    [
        b"bagit-version: 1.0\ntag-file-character-encoding: utf-8\n",
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: utf8\n",
    ],
)
def test_a_declaration_rfc_8493_allows_but_unfolio_never_writes(bag, declaration):
    """ABNF strings ignore case, so RFC 8493 alone accepts these; bagit-python does not."""
    (bag / "bagit.txt").write_bytes(declaration)
    reseal(bag)
    assert codes(bag) == [("BAG-LAYOUT-VERSION", "bagit.txt")]
    assert codes(bag, unfolio=False) == []


def test_bag_layout_manifests(bag):
    delete_tag_manifest(bag)
    assert codes(bag) == [("BAG-LAYOUT-MANIFESTS", "tagmanifest-sha512.txt")]


def test_bag_layout_tag_unlisted_in_one_manifest_only(bag):
    (bag / "notes.txt").write_text("a note\n")
    lines = manifest_lines(bag, "tagmanifest-sha256.txt")
    note = (bag / "notes.txt").read_bytes()
    write_lines(bag, "tagmanifest-sha256.txt", [*lines, f"{digest(note, 'sha256')}  notes.txt"])
    _, found = check_bag(bag)
    assert [(f.code, f.file) for f in found] == [("BAG-LAYOUT-TAG-UNLISTED", "notes.txt")]
    assert "tagmanifest-sha512.txt" in found[0].message
    assert "tagmanifest-sha256.txt" not in found[0].message


def test_bag_layout_line_end(bag):
    info = (bag / "bag-info.txt").read_bytes()
    (bag / "bag-info.txt").write_bytes(info.replace(b"\n", b"\r\n"))
    reseal(bag)
    assert codes(bag) == [("BAG-LAYOUT-LINE-END", "bag-info.txt")]
    assert codes(bag, unfolio=False) == []


def test_bag_layout_hidden(bag):
    (bag / "data/objects/.hidden").write_bytes(b"")
    add_manifest_line(bag, "data/objects/.hidden")
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    oxum = next(line for line in info.splitlines() if line.startswith("Payload-Oxum"))
    octets, streams = oxum.split(": ")[1].split(".")
    info = info.replace(oxum, f"Payload-Oxum: {octets}.{int(streams) + 1}")
    (bag / "bag-info.txt").write_text(info, encoding="utf-8")
    reseal(bag)
    assert codes(bag) == [("BAG-LAYOUT-HIDDEN", "data/objects/.hidden")]
    assert codes(bag, unfolio=False) == []


@pytest.mark.parametrize("folder", ["data/objects/forged", "extra-folder", "data/a/b"])
def test_an_empty_folder_fails_bag_layout_empty_folder(bag, folder):
    """H20: unfolio writes folders only for its files; under --bagit-only one is fine."""
    (bag / folder).mkdir(parents=True)
    found = codes(bag)
    assert ("BAG-LAYOUT-EMPTY-FOLDER", folder) in found
    assert {code for code, _ in found} == {"BAG-LAYOUT-EMPTY-FOLDER"}
    assert codes(bag, unfolio=False) == []


# -- pure functions ----------------------------------------------------------------------------


def test_split_lines_knows_only_cr_lf_and_crlf():
    assert bagit.split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    assert bagit.split_lines("a\x0cb\u2028c\n") == ["a\x0cb\u2028c"]
    assert bagit.split_lines("") == []


@pytest.mark.parametrize(
    ("path", "unsafe"),
    [
        ("data/a", False),
        ("data/dir1/~test3.txt", False),
        ("data/%7Etest1.txt", False),
        ("data/a..b", False),
        ("/etc/passwd", True),
        ("data/../../etc", True),
        ("data\\..\\..\\etc", True),
        ("~/x", True),
        ("~root/x", True),
        ("C:\\Windows", True),
        ("c:x", True),
        ("\\\\?\\C:\\x", True),
        ("%HomeDrive%\\x", True),
        ("data/a\x00b", True),
        ("", True),
    ],
)
def test_unsafe_reason(path, unsafe):
    assert (bagit.unsafe_reason(path) is not None) is unsafe


def test_every_code_of_the_module_is_registered_and_has_a_test_here():
    here = Path(__file__).read_text(encoding="utf-8")
    declared = {value.code for value in vars(bagit).values() if isinstance(value, Rule)}
    assert declared and declared <= set(RULES)
    for code in sorted(declared):
        assert code.startswith("BAG-") and f'"{code}"' in here, f"no test names {code}"

"""Bags as reproducible zip / tar.gz archives, and opening hostile archives safely for verify."""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import source
from pipeline.config import Config
from pipeline.package import archive as writer
from pipeline.package import build_bag
from pipeline.verify import archive
from pipeline.verify.findings import RULES, Finding

from . import test_verify_archive_form as form
from . import test_verify_archive_records as records
from .conftest import EXAMPLE

EPOCH = "1614902400"  # 2021-03-05T00:00:00Z
NAME = "A_75_9001--S_2021_9001-ZH"


# -- building archives ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def document():
    return source.load(EXAMPLE)


@pytest.fixture(scope="module")
def pdf(document) -> bytes:
    from pipeline.typeset import render_pdf

    return render_pdf(document, EXAMPLE, flavour="2u")


@pytest.fixture
def build(document, pdf, tmp_path, monkeypatch) -> Callable[..., Path]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)

    def make(fmt: str, out: Path | None = None) -> Path:
        out = out or tmp_path / "out"
        out.mkdir(exist_ok=True)
        return build_bag(document, pdf, "2u", out, Config(), fmt=fmt)

    return make


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


@pytest.mark.parametrize("fmt", ["zip", "tgz"])
def test_rebuilds_are_byte_identical_with_source_date_epoch(build, tmp_path, fmt):
    first = build(fmt, tmp_path / "one")
    second = build(fmt, tmp_path / "two")
    assert first.name == second.name == NAME + {"zip": ".zip", "tgz": ".tar.gz"}[fmt]
    assert first.read_bytes() == second.read_bytes()
    assert _sidecar(first).read_bytes() == _sidecar(second).read_bytes()
    again = build(fmt, tmp_path / "one")  # in place, over the first
    assert again.read_bytes() == second.read_bytes()
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == sorted(
        [first.name, _sidecar(first).name]
    )


@pytest.mark.parametrize("fmt", ["zip", "tgz"])
def test_sidecar_is_sha256sum_format_and_sha256sum_accepts_it(build, fmt):
    built = build(fmt)
    line = _sidecar(built).read_bytes()
    assert line == f"{hashlib.sha256(built.read_bytes()).hexdigest()}  {built.name}\n".encode()
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum not installed")
    checked = subprocess.run(
        ["sha256sum", "-c", _sidecar(built).name],
        cwd=built.parent,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == f"{built.name}: OK"


def test_zip_entries_are_sorted_with_fixed_times_and_modes_under_one_folder(build):
    built = build("zip")
    with zipfile.ZipFile(built) as bundle:
        infos = bundle.infolist()
        assert bundle.comment == b""
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert names[0] == NAME + "/"
    assert {name.split("/", 1)[0] for name in names} == {NAME}
    assert f"{NAME}/data/objects/source/" in names  # every folder has its entry
    for info in infos:
        assert info.date_time == (2021, 3, 5, 0, 0, 0)
        assert info.create_system == 3
        assert info.extra == b""
        mode = info.external_attr >> 16
        if info.is_dir():
            assert mode == stat.S_IFDIR | 0o755
        else:
            assert mode == stat.S_IFREG | 0o644
            assert info.compress_type == zipfile.ZIP_DEFLATED


def test_tgz_entries_are_sorted_with_fixed_times_owners_and_modes_and_a_bare_gzip_header(build):
    built = build("tgz")
    raw = built.read_bytes()
    assert raw[:3] == b"\x1f\x8b\x08"
    assert raw[3] & 0x08 == 0  # no FNAME: the gzip header carries no file name
    assert raw[4:8] == b"\0\0\0\0"  # header time 0
    with tarfile.open(built, "r:gz") as bundle:
        members = bundle.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names) and names[0] == NAME
    for member in members:
        assert member.mtime == int(EPOCH)
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mode == (0o755 if member.isdir() else 0o644)
        assert member.isdir() or member.isfile()


def test_without_source_date_epoch_member_times_are_the_documented_constant(
    document, pdf, tmp_path, monkeypatch
):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert writer.member_time() == writer.DEFAULT_MEMBER_TIME == 315532800
    zipped = build_bag(document, pdf, "2u", tmp_path, Config(), fmt="zip")
    tarred = build_bag(document, pdf, "2u", tmp_path, Config(), fmt="tgz")
    with zipfile.ZipFile(zipped) as bundle:
        assert {info.date_time for info in bundle.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with tarfile.open(tarred, "r:gz") as bundle:
        assert {m.mtime for m in bundle.getmembers()} == {315532800}


def test_member_time_refuses_a_bad_source_date_epoch():
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        writer.member_time({"SOURCE_DATE_EPOCH": "yesterday"})
    assert writer.member_time({"SOURCE_DATE_EPOCH": "0"}) == 0


def test_unzip_and_tar_list_exactly_one_top_level_folder(build):
    zipped, tarred = build("zip"), build("tgz")
    if shutil.which("unzip"):
        tested = subprocess.run(["unzip", "-t", str(zipped)], capture_output=True, text=True)
        assert tested.returncode == 0, tested.stdout
        listed = subprocess.run(
            ["unzip", "-Z1", str(zipped)], capture_output=True, text=True, check=True
        )
        assert {line.split("/", 1)[0] for line in listed.stdout.splitlines()} == {NAME}
    if shutil.which("tar"):
        listed = subprocess.run(
            ["tar", "-tzf", str(tarred)], capture_output=True, text=True, check=True
        )
        assert {line.split("/", 1)[0] for line in listed.stdout.splitlines()} == {NAME}
    if not (shutil.which("unzip") or shutil.which("tar")):
        pytest.skip("neither unzip nor tar installed")


@pytest.mark.parametrize("fmt", ["zip", "tgz"])
def test_a_built_archive_opens_into_a_valid_bag_with_a_good_sidecar(build, tmp_path, fmt):
    bagit = pytest.importorskip("bagit")
    built = build(fmt)
    assert archive.check_sidecar(built) == []
    root, findings = archive.open_archive(built, tmp_path / "open")
    assert findings == []
    assert root == tmp_path / "open" / NAME
    bagit.Bag(str(root)).validate()
    assert stat.S_IMODE((tmp_path / "open").stat().st_mode) == 0o700
    for path in root.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("fmt", ["zip", "tgz"])
def test_verify_passes_a_built_archive_and_names_the_member_a_tamper_broke(
    build, tmp_path, fmt, capsys
):
    """End to end through the command: the archive as built, then one byte of a bagged source
    file flipped inside a rebuilt archive whose sidecar matches (so only fixity can tell)."""
    from pipeline.cli import main

    built = build(fmt)
    assert main(["verify", "--json", "--no-second-opinions", str(built)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["targets"][0]["kind"] == fmt and report["targets"][0]["status"] == "valid"

    member = f"{NAME}/data/objects/source/letter.md"
    tampered = tmp_path / "tampered" / built.name
    tampered.parent.mkdir()
    if fmt == "zip":
        with zipfile.ZipFile(built) as old, zipfile.ZipFile(tampered, "w") as new:
            for info in old.infolist():
                data = old.read(info)
                if info.filename == member:
                    data = bytes([data[0] ^ 1]) + data[1:]
                new.writestr(info, data)
    else:
        with tarfile.open(built, "r:gz") as old, tarfile.open(tampered, "w:gz") as new:
            for info in old.getmembers():
                data = old.extractfile(info).read() if info.isfile() else None
                if info.name == member:
                    data = bytes([data[0] ^ 1]) + data[1:]
                new.addfile(info, io.BytesIO(data) if data is not None else None)
    digest = hashlib.sha256(tampered.read_bytes()).hexdigest()
    _sidecar(tampered).write_text(f"{digest}  {tampered.name}\n", encoding="ascii")
    assert main(["verify", "--json", "--no-second-opinions", str(tampered)]) == 1
    findings = json.loads(capsys.readouterr().out)["targets"][0]["findings"]
    assert {(f["code"], f["file"]) for f in findings} >= {
        ("BAG-CHECKSUM", "data/objects/source/letter.md")
    }


def test_an_unknown_format_is_refused(document, pdf, tmp_path):
    with pytest.raises(ValueError, match="format"):
        build_bag(document, pdf, "2u", tmp_path, Config(), fmt="rar")  # type: ignore[arg-type]


# -- crafting hostile archives -------------------------------------------------------------------

GOOD = [("BAG/", None), ("BAG/bagit.txt", b"BagIt-Version: 1.0\n"), ("BAG/data/x.txt", b"x\n")]


def make_zip(path: Path, members, *, attrs: dict[str, int] | None = None) -> Path:
    """``members``: ``(name, bytes | None)``; None makes a folder entry."""
    attrs = attrs or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, data in members:
                info = zipfile.ZipInfo(name, (2021, 3, 5, 0, 0, 0))
                info.create_system = 3
                default = (stat.S_IFDIR | 0o755) if data is None else (stat.S_IFREG | 0o644)
                info.external_attr = attrs.get(name, default) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(info, data or b"")
    return path


def tar_member(name: str, data: bytes | None = None, kind: bytes = tarfile.REGTYPE, **fields):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if data is None and kind == tarfile.REGTYPE else kind
    info.mode = 0o755 if info.type == tarfile.DIRTYPE else 0o644
    for key, value in fields.items():
        setattr(info, key, value)
    if data is not None:
        info.size = len(data)
    return info, data


def make_tgz(path: Path, members, *, level: int = 6) -> Path:
    """``members``: ``(name, bytes | None)`` or ``(TarInfo, bytes | None)``."""
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=level, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.GNU_FORMAT) as bundle,
    ):
        for name, data in members:
            info, data = (
                (name, data) if isinstance(name, tarfile.TarInfo) else tar_member(name, data)
            )
            bundle.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


@pytest.fixture
def sandbox(tmp_path):
    """A folder of hostile archives, a canary folder beside it, a private folder ``private``
    holding the opening folder, and a check that nothing outside ``private`` changed."""
    work = tmp_path / "work"
    work.mkdir()
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "keep.txt").write_text("canary\n")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)

    def snapshot() -> dict[str, tuple[int, int]]:
        result = {}
        for path in tmp_path.rglob("*"):
            if path == private or private in path.parents:
                continue
            info = path.lstat()
            result[str(path)] = (info.st_size, info.st_mtime_ns)
        return result

    class Sandbox:
        def __init__(self):
            self.work = work
            self.canary = canary
            self.into = private / "open"

        def open(self, path: Path) -> tuple[Path | None, list[Finding]]:
            before = snapshot()
            if self.into.exists():
                shutil.rmtree(self.into)
            result = archive.open_archive(path, self.into)
            assert snapshot() == before, "something outside the opening folder changed"
            assert sorted(p.name for p in canary.iterdir()) == ["keep.txt"]
            assert sorted(p.name for p in private.iterdir()) == ["open"]
            return result

    return Sandbox()


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def refused(box, path: Path, code: str, member: str | None = None) -> list[Finding]:
    """Open ``path``: it must be refused with ``code`` (naming ``member``), nothing extracted."""
    root, findings = box.open(path)
    assert root is None, findings
    assert code in codes(findings), findings
    if member is not None:
        assert member in [f.file for f in findings if f.code == code], findings
    assert not any(box.into.rglob("*")), "a refused archive was extracted"
    return findings


def test_a_good_zip_and_tgz_open(sandbox):
    for path in (make_zip(sandbox.work / "g.zip", GOOD), make_tgz(sandbox.work / "g.tgz", GOOD)):
        root, findings = sandbox.open(path)
        assert findings == [] and root is not None and root.name == "BAG"
        assert (root / "data" / "x.txt").read_bytes() == b"x\n"


def test_a_plain_tar_and_a_leading_dot_slash_are_accepted(sandbox):
    members = [("./", None), *[("./" + name, data) for name, data in GOOD]]
    path = sandbox.work / "g.tar"
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as bundle:
        for name, data in members:
            info, data = tar_member(name, data)
            bundle.addfile(info, io.BytesIO(data) if data is not None else None)
    root, findings = sandbox.open(path)
    assert findings == [] and root is not None and root.name == "BAG"


def test_unknown_type_is_refused(sandbox):
    text = sandbox.work / "bag.zip"
    text.write_text("not an archive\n")
    refused(sandbox, text, "BAG-ARCHIVE-TYPE", "bag.zip")
    fifo = sandbox.work / "fifo.zip"
    os.mkfifo(fifo)
    refused(sandbox, fifo, "BAG-ARCHIVE-TYPE")  # and does not block on it


def test_absolute_members_are_refused(sandbox):
    target = str(sandbox.canary / "pwned")
    refused(
        sandbox,
        make_zip(sandbox.work / "a.zip", [*GOOD, (target, b"x")]),
        "BAG-ARCHIVE-ABSOLUTE",
        target,
    )
    refused(
        sandbox, make_tgz(sandbox.work / "a.tgz", [*GOOD, (target, b"x")]), "BAG-ARCHIVE-ABSOLUTE"
    )


def test_dotdot_members_are_refused(sandbox):
    name = "BAG/../../canary/pwned"
    refused(
        sandbox,
        make_zip(sandbox.work / "d.zip", [*GOOD, (name, b"x")]),
        "BAG-ARCHIVE-DOTDOT",
        name,
    )
    refused(sandbox, make_tgz(sandbox.work / "d.tgz", [*GOOD, (name, b"x")]), "BAG-ARCHIVE-DOTDOT")
    refused(
        sandbox,
        make_zip(sandbox.work / "w.zip", [*GOOD, ("BAG\\..\\x", b"x")]),
        "BAG-ARCHIVE-DOTDOT",
    )


@pytest.mark.parametrize("name", ["BAG\\data\\y.txt", "BAG/a\nb.txt", "BAG//y.txt", "BAG/./y.txt"])
def test_unsafe_member_names_are_refused_and_shown_escaped(sandbox, name):
    findings = refused(
        sandbox,
        make_zip(sandbox.work / "n.zip", [*GOOD, (name, b"x")]),
        "BAG-ARCHIVE-NAME",
    )
    assert all("\n" not in f.file for f in findings)


def test_a_name_longer_than_any_file_system_holds_is_refused_not_unpacked(sandbox):
    name = "BAG/data/" + "a" * 256 + ".txt"
    for bundle in (
        make_zip(sandbox.work / "long.zip", [*GOOD, (name, b"x")]),
        make_tgz(sandbox.work / "long.tgz", [*GOOD, (name, b"x")]),
    ):
        refused(sandbox, bundle, "BAG-ARCHIVE-NAME")


def test_links_are_refused(sandbox):
    link = stat.S_IFLNK | 0o777
    refused(
        sandbox,
        make_zip(sandbox.work / "s.zip", [*GOOD, ("BAG/l", b"/etc/passwd")], attrs={"BAG/l": link}),
        "BAG-ARCHIVE-LINK",
        "BAG/l",
    )
    symlink = tar_member("BAG/data/l", kind=tarfile.SYMTYPE, linkname=str(sandbox.canary))
    refused(sandbox, make_tgz(sandbox.work / "s.tgz", [*GOOD, symlink]), "BAG-ARCHIVE-LINK")
    hardlink = tar_member("BAG/data/h", kind=tarfile.LNKTYPE, linkname="BAG/bagit.txt")
    refused(
        sandbox,
        make_tgz(sandbox.work / "h.tgz", [*GOOD, hardlink]),
        "BAG-ARCHIVE-LINK",
        "BAG/data/h",
    )


def test_devices_and_fifos_are_refused(sandbox):
    device = tar_member("BAG/data/null", kind=tarfile.CHRTYPE, devmajor=1, devminor=3)
    refused(
        sandbox,
        make_tgz(sandbox.work / "c.tgz", [*GOOD, device]),
        "BAG-ARCHIVE-SPECIAL",
        "BAG/data/null",
    )
    fifo = tar_member("BAG/data/fifo", kind=tarfile.FIFOTYPE)
    refused(sandbox, make_tgz(sandbox.work / "f.tgz", [*GOOD, fifo]), "BAG-ARCHIVE-SPECIAL")
    attrs = {"BAG/data/dev": stat.S_IFCHR | 0o644}
    zipped = make_zip(sandbox.work / "c.zip", [*GOOD, ("BAG/data/dev", b"")], attrs=attrs)
    refused(sandbox, zipped, "BAG-ARCHIVE-SPECIAL", "BAG/data/dev")


def test_duplicates_and_file_folder_clashes_are_refused(sandbox):
    twice = [*GOOD, ("BAG/data/x.txt", b"evil\n")]
    refused(
        sandbox, make_zip(sandbox.work / "2.zip", twice), "BAG-ARCHIVE-DUPLICATE", "BAG/data/x.txt"
    )
    refused(sandbox, make_tgz(sandbox.work / "2.tgz", twice), "BAG-ARCHIVE-DUPLICATE")
    clash = [*GOOD, ("BAG/data/x.txt/inner", b"y")]
    refused(
        sandbox, make_zip(sandbox.work / "c.zip", clash), "BAG-ARCHIVE-DUPLICATE", "BAG/data/x.txt"
    )


def test_anything_but_one_top_level_folder_is_refused(sandbox):
    two = [*GOOD, ("OTHER/", None), ("OTHER/x", b"x")]
    refused(sandbox, make_zip(sandbox.work / "t.zip", two), "BAG-ARCHIVE-TOP-LEVEL")
    refused(sandbox, make_tgz(sandbox.work / "t.tgz", two), "BAG-ARCHIVE-TOP-LEVEL")
    loose = [("bagit.txt", b"BagIt-Version: 1.0\n")]
    refused(sandbox, make_zip(sandbox.work / "l.zip", loose), "BAG-ARCHIVE-TOP-LEVEL", "bagit.txt")
    refused(sandbox, make_zip(sandbox.work / "e.zip", []), "BAG-ARCHIVE-TOP-LEVEL")


def test_too_many_members_are_refused(sandbox, monkeypatch):
    monkeypatch.setattr(archive, "MAX_MEMBERS", 5)
    many = [*GOOD, *[(f"BAG/data/{i}.txt", b"x") for i in range(10)]]
    refused(sandbox, make_zip(sandbox.work / "m.zip", many), "BAG-ARCHIVE-MEMBERS")
    refused(sandbox, make_tgz(sandbox.work / "m.tgz", many), "BAG-ARCHIVE-MEMBERS")


def test_too_many_bytes_in_all_are_refused(sandbox, monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1000)
    big = [*GOOD, ("BAG/data/a.bin", os.urandom(600)), ("BAG/data/b.bin", os.urandom(600))]
    refused(sandbox, make_zip(sandbox.work / "b.zip", big), "BAG-ARCHIVE-SIZE", "BAG/data/b.bin")
    refused(sandbox, make_tgz(sandbox.work / "b.tgz", big), "BAG-ARCHIVE-SIZE")


def test_a_zip_bomb_is_refused_before_anything_is_inflated(sandbox):
    bomb = [*GOOD, ("BAG/data/zeros.bin", bytes(200 * 2**20))]  # 200 MB to about 200 kB
    path = make_zip(sandbox.work / "bomb.zip", bomb)
    assert path.stat().st_size < 2**20
    refused(sandbox, path, "BAG-ARCHIVE-RATIO", "BAG/data/zeros.bin")


def test_a_tgz_bomb_is_refused_at_its_header(sandbox):
    bomb = [*GOOD, ("BAG/data/zeros.bin", bytes(100 * 2**20))]
    path = make_tgz(sandbox.work / "bomb.tgz", bomb, level=1)
    refused(sandbox, path, "BAG-ARCHIVE-RATIO", "BAG/data/zeros.bin")


def test_a_bomb_under_lowered_caps_is_stopped_by_the_size_cap(sandbox, monkeypatch):
    monkeypatch.setattr(archive, "MAX_RATIO", 10**9)  # ratio check out of the way
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 10 * 2**20)
    bomb = [*GOOD, ("BAG/data/zeros.bin", bytes(20 * 2**20))]
    refused(sandbox, make_zip(sandbox.work / "s.zip", bomb), "BAG-ARCHIVE-SIZE")
    refused(sandbox, make_tgz(sandbox.work / "s.tgz", bomb, level=1), "BAG-ARCHIVE-SIZE")


def test_a_zip_whose_header_understates_the_size_yields_no_more_than_declared(sandbox):
    data = bytes(2**20)
    path = make_zip(sandbox.work / "lie.zip", [*GOOD, ("BAG/data/z.bin", data)])
    raw = bytearray(path.read_bytes())
    # the central directory's uncompressed size of the last member: 10 bytes instead of 1 MiB
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    root, findings = sandbox.open(path)
    assert root is None and codes(findings) == ["BAG-ARCHIVE-CORRUPT"], findings
    written = sandbox.into / "BAG" / "data" / "z.bin"
    assert not written.exists() or written.stat().st_size <= 10


def test_corrupt_archives_are_refused(sandbox):
    good_zip = make_zip(sandbox.work / "g.zip", [*GOOD, ("BAG/data/t.txt", os.urandom(5000))])
    raw = good_zip.read_bytes()
    truncated = sandbox.work / "t.zip"
    truncated.write_bytes(raw[: len(raw) // 2])
    refused(sandbox, truncated, "BAG-ARCHIVE-CORRUPT", "t.zip")
    flipped = bytearray(raw)
    at = raw.find(b"BAG/data/t.txt") + len("BAG/data/t.txt") + 100  # inside its data
    flipped[at] ^= 0xFF
    bad_crc = sandbox.work / "crc.zip"
    bad_crc.write_bytes(bytes(flipped))
    refused(sandbox, bad_crc, "BAG-ARCHIVE-CORRUPT", "BAG/data/t.txt")

    good_tgz = make_tgz(sandbox.work / "g.tgz", [*GOOD, ("BAG/data/t.txt", os.urandom(5000))])
    raw = good_tgz.read_bytes()
    cut = sandbox.work / "t.tgz"
    cut.write_bytes(raw[: len(raw) - 40])
    refused(sandbox, cut, "BAG-ARCHIVE-CORRUPT")
    crc = bytearray(raw)
    crc[-6] ^= 0xFF  # the gzip trailer's CRC
    (sandbox.work / "crc.tgz").write_bytes(bytes(crc))
    refused(sandbox, sandbox.work / "crc.tgz", "BAG-ARCHIVE-CORRUPT")


def test_a_damaged_tar_header_is_not_taken_for_the_end_of_the_archive(sandbox):
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w", format=tarfile.GNU_FORMAT) as bundle:
        for name, data in [*GOOD, ("BAG/data/y.txt", b"y\n")]:
            info, data = tar_member(name, data)
            bundle.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = bytearray(plain.getvalue())
    at = raw.find(b"BAG/data/y.txt")
    raw[at + 148 : at + 156] = b"0000000\0"  # a wrong header checksum
    path = sandbox.work / "h.tar"
    path.write_bytes(bytes(raw))
    refused(sandbox, path, "BAG-ARCHIVE-CORRUPT")
    # and data hidden after the end-of-archive blocks
    hidden = sandbox.work / "hidden.tar"
    hidden.write_bytes(plain.getvalue() + b"\xff" * 512)
    refused(sandbox, hidden, "BAG-ARCHIVE-CORRUPT")


def test_tar_headers_and_trailers_are_bounded(sandbox, monkeypatch):
    monkeypatch.setattr(archive, "MAX_EXTENDED_HEADER", 1024)
    long_name = "BAG/data/" + "n" * 3000
    path = sandbox.work / "pax.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as bundle:
        for name, data in [*GOOD, (long_name, b"x")]:
            info, data = tar_member(name, data)
            bundle.addfile(info, io.BytesIO(data) if data is not None else None)
    refused(sandbox, path, "BAG-ARCHIVE-CORRUPT")
    monkeypatch.setattr(archive, "MAX_TRAILER_BYTES", 64 * 1024)
    padded = io.BytesIO()
    with gzip.GzipFile(fileobj=padded, mode="wb", mtime=0) as compressed:
        compressed.write(gzip.decompress(make_tgz(sandbox.work / "g.tgz", GOOD).read_bytes()))
        compressed.write(bytes(4 * 2**20))  # zeros after the end: padding, or a bomb
    (sandbox.work / "padded.tgz").write_bytes(padded.getvalue())
    refused(sandbox, sandbox.work / "padded.tgz", "BAG-ARCHIVE-CORRUPT")


def test_overlapping_zip_members_are_refused(sandbox):
    path = make_zip(sandbox.work / "o.zip", [*GOOD, ("BAG/data/y.txt", os.urandom(3000))])
    raw = bytearray(path.read_bytes())
    # point the last central entry's local header offset at the first member's header
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 42 : central + 46] = (0).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    refused(sandbox, path, "BAG-ARCHIVE-CORRUPT")


def _patch_flags(raw: bytes, bit: int) -> bytes:
    out = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset] |= bit
            at = out.find(signature, at + 4)
    return bytes(out)


def test_encrypted_members_are_refused(sandbox):
    path = make_zip(sandbox.work / "e.zip", [("BAG/x.txt", b"secret")])
    path.write_bytes(_patch_flags(path.read_bytes(), 0x01))
    refused(sandbox, path, "BAG-ARCHIVE-ENCRYPTED", "BAG/x.txt")


def test_open_archive_wants_an_empty_private_folder(tmp_path):
    path = make_zip(tmp_path / "g.zip", GOOD)
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    with pytest.raises(FileExistsError):
        archive.open_archive(path, full)
    empty = tmp_path / "empty"
    empty.mkdir()
    root, findings = archive.open_archive(path, empty)
    assert findings == [] and root == empty / "BAG"


def test_a_full_scratch_folder_is_the_hosts_fault_not_a_finding(tmp_path, monkeypatch):
    path = make_tgz(tmp_path / "g.tgz", [*GOOD, ("BAG/data/big.bin", os.urandom(50_000))])
    real_write = os.write

    def full(fd, data):
        if "/private/" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    into = tmp_path / "private" / "open"
    into.parent.mkdir()
    with pytest.raises(OSError) as failure:
        archive.open_archive(path, into)
    assert failure.value.errno == errno.ENOSPC
    assert list(into.iterdir()) == []  # what was extracted is gone


# -- the sidecar ------------------------------------------------------------------------------


@pytest.fixture
def zipped(tmp_path) -> Path:
    return make_zip(tmp_path / "B.zip", GOOD)


def test_a_missing_sidecar_is_a_warning(zipped):
    findings = archive.check_sidecar(zipped)
    assert codes(findings) == ["BAG-ARCHIVE-SIDECAR-MISSING"]
    assert findings[0].severity == "warning" and findings[0].file == "B.zip"


def test_a_good_sidecar_passes_in_text_and_binary_mode(zipped):
    digest = hashlib.sha256(zipped.read_bytes()).hexdigest()
    for line in (f"{digest}  B.zip\n", f"{digest} *B.zip\n", f"{digest.upper()}  B.zip"):
        _sidecar(zipped).write_text(line)
        assert archive.check_sidecar(zipped) == [], line


@pytest.mark.parametrize(
    "text",
    ["not a digest\n", "abc  B.zip\n", "{d}  B.zip\r\n", "{d}  B.zip\n{d}  B.zip\n", "{d}B.zip\n"],
)
def test_a_malformed_sidecar_is_an_error(zipped, text):
    digest = hashlib.sha256(zipped.read_bytes()).hexdigest()
    _sidecar(zipped).write_text(text.format(d=digest))
    findings = archive.check_sidecar(zipped)
    assert codes(findings) == ["BAG-ARCHIVE-SIDECAR-FORMAT"]
    assert findings[0].file == "B.zip.sha256"


def test_a_sidecar_naming_another_file_is_an_error(zipped):
    digest = hashlib.sha256(zipped.read_bytes()).hexdigest()
    _sidecar(zipped).write_text(f"{digest}  other.zip\n")
    assert codes(archive.check_sidecar(zipped)) == ["BAG-ARCHIVE-SIDECAR-NAME"]


def test_a_wrong_digest_in_the_sidecar_is_an_error(zipped):
    _sidecar(zipped).write_text(f"{'0' * 64}  B.zip\n")
    findings = archive.check_sidecar(zipped)
    assert codes(findings) == ["BAG-ARCHIVE-SIDECAR-DIGEST"]
    assert findings[0].severity == "error"


FAILING_FIXTURES = {
    "BAG-ARCHIVE-TYPE": test_unknown_type_is_refused,
    "BAG-ARCHIVE-CORRUPT": test_corrupt_archives_are_refused,
    "BAG-ARCHIVE-ENCRYPTED": test_encrypted_members_are_refused,
    "BAG-ARCHIVE-ABSOLUTE": test_absolute_members_are_refused,
    "BAG-ARCHIVE-DOTDOT": test_dotdot_members_are_refused,
    "BAG-ARCHIVE-NAME": test_unsafe_member_names_are_refused_and_shown_escaped,
    "BAG-ARCHIVE-LINK": test_links_are_refused,
    "BAG-ARCHIVE-SPECIAL": test_devices_and_fifos_are_refused,
    "BAG-ARCHIVE-DUPLICATE": test_duplicates_and_file_folder_clashes_are_refused,
    "BAG-ARCHIVE-TOP-LEVEL": test_anything_but_one_top_level_folder_is_refused,
    "BAG-ARCHIVE-MEMBERS": test_too_many_members_are_refused,
    "BAG-ARCHIVE-SIZE": test_too_many_bytes_in_all_are_refused,
    "BAG-ARCHIVE-RATIO": test_a_zip_bomb_is_refused_before_anything_is_inflated,
    "BAG-ARCHIVE-SIDECAR-MISSING": test_a_missing_sidecar_is_a_warning,
    "BAG-ARCHIVE-SIDECAR-FORMAT": test_a_malformed_sidecar_is_an_error,
    "BAG-ARCHIVE-SIDECAR-NAME": test_a_sidecar_naming_another_file_is_an_error,
    "BAG-ARCHIVE-SIDECAR-DIGEST": test_a_wrong_digest_in_the_sidecar_is_an_error,
    # what a streaming reader would see, and the archive's name (tests/test_verify_archive_records.py)
    "BAG-ARCHIVE-TRAILING": records.test_bytes_after_the_zip_end_record_fail_bag_archive_trailing,
    "BAG-ARCHIVE-UNLISTED-RECORD": (
        records.test_a_local_record_the_central_directory_omits_fails_bag_archive_unlisted_record
    ),
    "BAG-ARCHIVE-BAG-NAME": records.test_an_archive_not_named_after_its_bag_fails_bag_archive_bag_name,
    "BAG-ARCHIVE-COMMENT": records.test_a_zip_comment_fails_bag_archive_comment,
    # every header as unfolio's writer makes it (tests/test_verify_archive_form.py)
    "BAG-ARCHIVE-FORM": form.test_a_folder_member_whose_unicode_path_is_the_pdf_fails_bag_archive_form,
}


def test_every_archive_rule_has_a_failing_fixture():
    declared = {code for code in RULES if code.startswith("BAG-ARCHIVE-")}
    assert declared == set(FAILING_FIXTURES)
    for code, test in FAILING_FIXTURES.items():
        assert f'"{code}"' in (test.__doc__ or "") or code in _source(test), (code, test)


def _source(function) -> str:
    import inspect

    return inspect.getsource(function)

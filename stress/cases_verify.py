"""Verify under attack: bags and archives crafted to mislead ``unfolio verify``, and the LoC
BagIt conformance suite.

Each hostile bag starts as a copy of a good bag (the en-joint-letter fixture, built once per
run as a folder, a zip and a tgz) with one thing bent; the manifests and tag manifests are
re-signed around it, so that the bent thing is what must be caught. Every case expects exit 1
with the finding that names the attack, nothing of /etc/passwd in the output, nothing outside
the case folder written or read (its canary's atime), and a verify process whose peak RSS
stays under ``RSS_LIMIT_MB``. Links and ``..`` paths point at the case's canary folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import subprocess
import tarfile
import zipfile
import zlib
from pathlib import Path

from pipeline.verify.bagit import MAX_MANIFEST_BYTES

from .harness import (
    FIXTURE,
    FIXTURE_BAG,
    PASSWD_MARKER,
    REPO,
    UNFOLIO,
    Case,
    Proc,
    Workspace,
    case,
    codes,
    verify_report,
)

CASES: list[Case] = []
RSS_LIMIT_MB = 300
BOMB_MIB = 1024  # bytes the decompression bombs expand to, in MiB
SUITE = REPO.parent / "shared" / "bagit-conformance-suite"
ALGORITHMS = ("sha256", "sha512")

# Conformance cases judged otherwise than their folder says, on purpose (the reasons are in
# tests/test_bagit_conformance.py, JUDGED_OTHERWISE).
JUDGED_OTHERWISE = {
    "v0.97/warning/relative-path": "valid",
    "v0.97/warning/special-system-files": "invalid",
}


# --- the good bags, built once ---------------------------------------------------------------


def golden(ws: Workspace) -> dict[str, Path]:
    """The fixture built as a folder, a zip and a tgz (once per run, shared)."""

    def make(folder: Path) -> dict[str, Path]:
        src = folder / "src"
        if not src.exists():
            shutil.copytree(FIXTURE, src)
        built = {}
        for fmt, suffix in (("dir", ""), ("zip", ".zip"), ("tgz", ".tar.gz")):
            out = folder / fmt
            done = subprocess.run(
                [*UNFOLIO, "build", str(src), "-o", str(out), "--format", fmt, "--jobs", "1"],
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"cannot build the good {fmt} bag: {done.stderr[-500:]}")
            built[fmt] = out / f"{FIXTURE_BAG}{suffix}"
        return built

    return ws.shared.get("golden", make)


def copy_bag(ws: Workspace) -> Path:
    bag = ws.root / "hostile" / FIXTURE_BAG
    shutil.copytree(golden(ws)["dir"], bag, symlinks=True)
    return bag


def digest(data: bytes, algorithm: str) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def list_payload(bag: Path, path: str, data: bytes) -> None:
    """Add ``path`` to every payload manifest with the digests of ``data``."""
    for algorithm in ALGORITHMS:
        with open(bag / f"manifest-{algorithm}.txt", "a", encoding="utf-8") as manifest:
            manifest.write(f"{digest(data, algorithm)}  {path}\n")


def resign(bag: Path) -> None:
    """Rewrite the tag manifests so every tag file's digest is right again."""
    tags = sorted(
        p for p in bag.iterdir()
        if p.is_file() and not p.name.startswith("tagmanifest-") and not p.is_symlink()
    )  # fmt: skip
    for algorithm in ALGORITHMS:
        lines = []
        for path in tags:
            h = hashlib.new(algorithm)
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    h.update(chunk)
            lines.append(f"{h.hexdigest()}  {path.name}\n")
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines), encoding="utf-8")


def write_sidecar(archive: Path) -> None:
    h = hashlib.sha256()
    with open(archive, "rb") as handle:
        while chunk := handle.read(1 << 20):
            h.update(chunk)
    archive.with_name(archive.name + ".sha256").write_text(f"{h.hexdigest()}  {archive.name}\n")


def expect_rejected(ws: Workspace, target: Path, wanted: set[str], *, bagit_only: bool = False,
                    timeout: float = 120) -> Proc:  # fmt: skip
    """verify exits 1 naming one of ``wanted``, in bounded memory, leaking nothing."""
    flags = ("--bagit-only",) if bagit_only else ()
    proc = ws.verify(target, flags=flags, timeout=timeout)
    ws.expect_exit(proc, 1)
    found = codes(verify_report(proc).get(str(target), {}), "error")
    ws.check(found & wanted, f"no finding {'/'.join(sorted(wanted))} (found {sorted(found)[:6]})")
    ws.expect_no_text(proc, PASSWD_MARKER)
    check_memory(ws, proc)
    return proc


def check_memory(ws: Workspace, proc: Proc) -> None:
    ws.check(proc.maxrss_mb < RSS_LIMIT_MB,
             f"verify peaked at {proc.maxrss_mb:.0f} MB RSS (limit {RSS_LIMIT_MB})")  # fmt: skip
    ws.note(f"peak RSS {proc.maxrss_mb:.0f} MB, {proc.seconds:.1f} s")


def escape_path(ws: Workspace, name: str) -> str:
    """A relative member path that, extracted at any depth under 12, lands in the canary."""
    return FIXTURE_BAG + "/" + "../" * 12 + str(ws.canary / name).lstrip("/")


# --- hostile bag folders ------------------------------------------------------------------------


@case(CASES, "bag: data/ symlink to /etc/passwd, listed with its real digests", "verify",
      "exit 1, BAG-SYMLINK; the link not followed, nothing of /etc/passwd in the report",
      quick=True)  # fmt: skip
def _symlink_file(ws: Workspace) -> None:
    bag = copy_bag(ws)
    (bag / "data" / "objects" / "passwd").symlink_to("/etc/passwd")
    list_payload(bag, "data/objects/passwd", Path("/etc/passwd").read_bytes())
    resign(bag)
    expect_rejected(ws, bag, {"BAG-SYMLINK"})


@case(CASES, "bag: data/ symlink to a folder outside (the canary), listed", "verify",
      "exit 1, BAG-SYMLINK; the canary's file never opened (atime unchanged)")  # fmt: skip
def _symlink_dir(ws: Workspace) -> None:
    bag = copy_bag(ws)
    (bag / "data" / "objects" / "outside").symlink_to(ws.canary, target_is_directory=True)
    list_payload(bag, "data/objects/outside/secret.txt", ws.secret_bytes())
    resign(bag)
    expect_rejected(ws, bag, {"BAG-SYMLINK"})


@case(CASES, "bag: manifest paths ../../etc/passwd and /etc/passwd (real digests)", "verify",
      "exit 1, BAG-PATH-UNSAFE; nothing outside the bag read", quick=True)  # fmt: skip
def _manifest_escape(ws: Workspace) -> None:
    bag = copy_bag(ws)
    passwd = Path("/etc/passwd").read_bytes()
    list_payload(bag, "../../etc/passwd", passwd)
    list_payload(bag, "/etc/passwd", passwd)
    list_payload(bag, "data/../../" + str(ws.secret).lstrip("/"), ws.secret_bytes())
    resign(bag)
    expect_rejected(ws, bag, {"BAG-PATH-UNSAFE"})


@case(CASES, "bag: a 100 MB single manifest line", "verify",
      f"exit 1 (BAG-MANIFEST-SYNTAX or BAG-TOO-LARGE); peak RSS < {RSS_LIMIT_MB} MB",
      weight=2)  # fmt: skip
def _huge_line(ws: Workspace) -> None:
    bag = copy_bag(ws)
    chunk = b"a" * (1 << 20)
    with open(bag / "manifest-sha256.txt", "ab") as manifest:
        for _ in range(100):
            manifest.write(chunk)
        manifest.write(b"  data/objects/huge.txt\n")
    resign(bag)
    expect_rejected(ws, bag, {"BAG-MANIFEST-SYNTAX", "BAG-TOO-LARGE"})


@case(CASES, "bag: a 250 MB manifest, one line of NULs (sparse), under MAX_MANIFEST_BYTES",
      "verify", f"exit 1; peak RSS < {RSS_LIMIT_MB} MB (memory bounded by more than the "
      "file size limit)", weight=2)  # fmt: skip
def _huge_sparse_line(ws: Workspace) -> None:
    bag = copy_bag(ws)
    size = MAX_MANIFEST_BYTES - (6 << 20)
    with open(bag / "manifest-sha256.txt", "r+b") as manifest:
        end = manifest.seek(0, os.SEEK_END)
        manifest.truncate(end + size)  # a hole: no disk used
        manifest.seek(0, os.SEEK_END)
        manifest.write(b"  data/objects/huge.txt\n")
    resign(bag)
    expect_rejected(ws, bag, {"BAG-MANIFEST-SYNTAX", "BAG-TOO-LARGE", "BAG-ENCODING"})


@case(CASES, "bag: a manifest listing a directory", "verify",
      "exit 1, BAG-MANIFEST-DIRECTORY")  # fmt: skip
def _manifest_dir(ws: Workspace) -> None:
    bag = copy_bag(ws)
    list_payload(bag, "data/objects/source", b"")
    resign(bag)
    expect_rejected(ws, bag, {"BAG-MANIFEST-DIRECTORY"})


@case(CASES, "bag: a FIFO in data/, listed in the manifests", "verify",
      "exit 1 at once (no hang on open), BAG-SPECIAL-FILE", quick=True)  # fmt: skip
def _fifo(ws: Workspace) -> None:
    bag = copy_bag(ws)
    os.mkfifo(bag / "data" / "objects" / "pipe")
    list_payload(bag, "data/objects/pipe", b"")
    resign(bag)
    proc = expect_rejected(ws, bag, {"BAG-SPECIAL-FILE"}, timeout=60)
    ws.check(proc.seconds < 30, f"took {proc.seconds:.0f} s")


@case(CASES, "bag: bag-info.txt line forged with a bare CR", "verify",
      "exit 1, a BAG-INFO-* or BAG-LAYOUT-LINE-END finding on bag-info.txt")  # fmt: skip
def _forged_cr(ws: Workspace) -> None:
    bag = copy_bag(ws)
    info = (bag / "bag-info.txt").read_bytes()
    info = info.replace(
        b"External-Description: ", b"External-Description: x\rForged-Label: yes\r", 1
    )
    (bag / "bag-info.txt").write_bytes(info)
    resign(bag)
    proc = expect_rejected(ws, bag, {"BAG-INFO-SYNTAX", "BAG-LAYOUT-LINE-END", "BAG-INFO-VALUE",
                                      "BAG-ENCODING"})  # fmt: skip
    report = verify_report(proc).get(str(bag), {})
    files = {f["file"] for f in report.get("findings", []) if f["severity"] == "error"}
    ws.check("bag-info.txt" in files, f"no error names bag-info.txt ({sorted(files)[:4]})")


# --- hostile archives ----------------------------------------------------------------------------


def _zip_members(ws: Workspace) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(golden(ws)["zip"]) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _rezip(ws: Workspace, extra: list[tuple[zipfile.ZipInfo, bytes]]) -> Path:
    target = ws.root / "hostile" / f"{FIXTURE_BAG}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in [*_zip_members(ws), *extra]:
            archive.writestr(info, data)
    write_sidecar(target)
    return target


def _zinfo(name: str, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.external_attr = mode << 16
    info.create_system = 3
    return info


@case(CASES, "zip: a member with a '..' path into the canary", "verify",
      "exit 1, BAG-ARCHIVE-DOTDOT; nothing written outside", quick=True)  # fmt: skip
def _zip_dotdot(ws: Workspace) -> None:
    target = _rezip(ws, [(_zinfo(escape_path(ws, "dotdot.txt")), b"escaped\n")])
    expect_rejected(ws, target, {"BAG-ARCHIVE-DOTDOT"})


@case(CASES, "zip: an absolute member path into the canary", "verify",
      "exit 1, BAG-ARCHIVE-ABSOLUTE; nothing written outside")  # fmt: skip
def _zip_absolute(ws: Workspace) -> None:
    target = _rezip(ws, [(_zinfo(str(ws.canary / "absolute.txt")), b"escaped\n")])
    expect_rejected(ws, target, {"BAG-ARCHIVE-ABSOLUTE"})


@case(CASES, "zip: a symlink member to /etc/passwd, and a file written through a link", "verify",
      "exit 1, BAG-ARCHIVE-LINK; nothing written outside", quick=True)  # fmt: skip
def _zip_symlink(ws: Workspace) -> None:
    extra = [
        (_zinfo(f"{FIXTURE_BAG}/data/objects/passwd", 0o120777), b"/etc/passwd"),
        (_zinfo(f"{FIXTURE_BAG}/data/objects/out", 0o120777), str(ws.canary).encode()),
        (_zinfo(f"{FIXTURE_BAG}/data/objects/out/through.txt"), b"escaped\n"),
    ]
    expect_rejected(ws, _rezip(ws, extra), {"BAG-ARCHIVE-LINK"})


def _deflated_zeros(mib: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``mib`` MiB of zeros (built from one repeated block), its CRC."""
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return block * mib + compressor.flush(), crc


def _zip_bomb(ws: Workspace) -> Path:
    """The good zip plus a member of BOMB_MIB MiB of zeros, written by hand (one block)."""
    stream, crc = ws.shared.get("zeros", lambda _: _deflated_zeros(BOMB_MIB))
    members = [(info.filename, zlib.compress(data, 6)[2:-4], zlib.crc32(data), len(data))
               for info, data in _zip_members(ws)]  # fmt: skip
    members.append((f"{FIXTURE_BAG}/data/objects/zeros.bin", stream, crc, BOMB_MIB << 20))
    target = ws.root / "hostile" / f"{FIXTURE_BAG}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    central = io.BytesIO()
    with open(target, "wb") as out:
        for name, data, member_crc, size in members:
            raw = name.encode()
            offset = out.tell()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, member_crc,
                                  len(data), size, len(raw), 0) + raw)  # fmt: skip
            out.write(data)
            central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, 20, 0, 8, 0, 0x21,
                                      member_crc, len(data), size, len(raw), 0, 0, 0, 0,
                                      0o100644 << 16, offset) + raw)  # fmt: skip
        start = out.tell()
        out.write(central.getvalue())
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                              len(central.getvalue()), start, 0))  # fmt: skip
    write_sidecar(target)
    return target


@case(CASES, f"zip bomb: {BOMB_MIB} MiB of zeros deflated to ~1 MB", "verify",
      f"exit 1, BAG-ARCHIVE-RATIO or -SIZE, within 60 s, peak RSS < {RSS_LIMIT_MB} MB",
      quick=True, weight=2)  # fmt: skip
def _zip_bomb_case(ws: Workspace) -> None:
    target = _zip_bomb(ws)
    ws.note(f"archive {target.stat().st_size / 2**20:.1f} MB")
    proc = expect_rejected(ws, target, {"BAG-ARCHIVE-RATIO", "BAG-ARCHIVE-SIZE"}, timeout=120)
    ws.check(proc.seconds < 60, f"took {proc.seconds:.0f} s")


def _tar_members(ws: Workspace) -> bytes:
    """The good tgz's members as an uncompressed tar stream, without its end blocks."""
    buffer = io.BytesIO()
    with (
        tarfile.open(golden(ws)["tgz"], "r:gz") as source,
        tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as writer,
    ):
        for info in source.getmembers():
            handle = source.extractfile(info) if info.isfile() else None
            writer.addfile(info, handle)
        end = writer.offset
    return buffer.getvalue()[:end]


def _gzip(stream: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(stream) + compressor.flush()


def _retar(ws: Workspace, extra: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as writer:
        for info, data in extra:
            info.size = len(data) if data is not None else 0
            writer.addfile(info, io.BytesIO(data) if data is not None else None)
    target = ws.root / "hostile" / f"{FIXTURE_BAG}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_gzip(_tar_members(ws) + buffer.getvalue()))
    write_sidecar(target)
    return target


def _tinfo(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime = kind, link, 0o644, 946684800
    return info


@case(CASES, "tgz: a hard link to /etc/passwd and a symlink to the canary", "verify",
      "exit 1, BAG-ARCHIVE-LINK; nothing written outside", quick=True)  # fmt: skip
def _tgz_links(ws: Workspace) -> None:
    target = _retar(ws, [
        (_tinfo(f"{FIXTURE_BAG}/data/objects/passwd", tarfile.LNKTYPE, "/etc/passwd"), None),
        (_tinfo(f"{FIXTURE_BAG}/data/objects/out", tarfile.SYMTYPE, str(ws.canary)), None),
        (_tinfo(f"{FIXTURE_BAG}/data/objects/out/through.txt"), b"escaped\n"),
    ])  # fmt: skip
    expect_rejected(ws, target, {"BAG-ARCHIVE-LINK"})


@case(CASES, "tgz: '..' and absolute members into the canary", "verify",
      "exit 1, BAG-ARCHIVE-DOTDOT and BAG-ARCHIVE-ABSOLUTE; nothing written outside")  # fmt: skip
def _tgz_escape(ws: Workspace) -> None:
    target = _retar(ws, [
        (_tinfo(escape_path(ws, "dotdot.txt")), b"escaped\n"),
        (_tinfo(str(ws.canary / "absolute.txt")), b"escaped\n"),
    ])  # fmt: skip
    proc = expect_rejected(ws, target, {"BAG-ARCHIVE-DOTDOT"})
    found = codes(verify_report(proc).get(str(target), {}), "error")
    ws.check(
        "BAG-ARCHIVE-ABSOLUTE" in found, f"no BAG-ARCHIVE-ABSOLUTE (found {sorted(found)[:6]})"
    )


def _tar_bomb(ws: Workspace) -> Path:
    """The good tgz plus a member of BOMB_MIB MiB of zeros, gzipped from one repeated block."""
    prefix = _tar_members(ws)
    header = _tinfo(f"{FIXTURE_BAG}/data/objects/zeros.bin")
    header.size = BOMB_MIB << 20
    head = header.tobuf(tarfile.PAX_FORMAT)
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(prefix + head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(bytes(1024)) + compressor.flush()
    crc = zlib.crc32(prefix + head)
    for _ in range(BOMB_MIB):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(bytes(1024), crc)
    size = len(prefix) + len(head) + (BOMB_MIB << 20) + 1024
    target = ws.root / "hostile" / f"{FIXTURE_BAG}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03")
        out.write(body)
        for _ in range(BOMB_MIB):
            out.write(block)
        out.write(tail)
        out.write(struct.pack("<II", crc, size & 0xFFFFFFFF))
    write_sidecar(target)
    return target


@case(CASES, f"tar bomb: a tgz whose member expands to {BOMB_MIB} MiB of zeros", "verify",
      f"exit 1, BAG-ARCHIVE-RATIO or -SIZE, within 60 s, peak RSS < {RSS_LIMIT_MB} MB",
      quick=True, weight=2)  # fmt: skip
def _tar_bomb_case(ws: Workspace) -> None:
    target = _tar_bomb(ws)
    ws.note(f"archive {target.stat().st_size / 2**20:.1f} MB")
    proc = expect_rejected(ws, target, {"BAG-ARCHIVE-RATIO", "BAG-ARCHIVE-SIZE"}, timeout=120)
    ws.check(proc.seconds < 60, f"took {proc.seconds:.0f} s")


# --- the LoC conformance suite ----------------------------------------------------------------

_VERDICTS = {"valid": "valid", "warning": "warnings", "invalid": "invalid",
             "linux-only": "invalid", "windows-only": "invalid"}  # fmt: skip


def _suite_cases(folders: tuple[str, ...]) -> dict[Path, str]:
    cases = {}
    for path in sorted(SUITE.glob("v*/*/*")):
        if path.is_dir() and path.parent.name in folders:
            name = path.relative_to(SUITE).as_posix()
            cases[path] = JUDGED_OTHERWISE.get(name) or _VERDICTS[path.parent.name]
    return cases


def _conformance(ws: Workspace, folders: tuple[str, ...], exit_code: int) -> None:
    if not SUITE.is_dir():
        ws.skip(f"the BagIt conformance suite is not at {SUITE}")
    cases = _suite_cases(folders)
    copies = {}
    for path, verdict in cases.items():  # a copy: the verifier must not need write access
        copy = ws.root / "suite" / path.relative_to(SUITE)
        shutil.copytree(path, copy, symlinks=True)
        copies[copy] = (path.relative_to(SUITE).as_posix(), verdict)
    proc = ws.verify(*copies, flags=("--bagit-only",), timeout=300)
    ws.expect_exit(proc, exit_code)
    reports = verify_report(proc)
    wrong = []
    for copy, (name, verdict) in copies.items():
        got = reports.get(str(copy), {}).get("status")
        if got != verdict:
            wrong.append(f"{name}: {got} (expected {verdict})")
    ws.check(not wrong, f"{len(wrong)} case(s) judged otherwise: " + "; ".join(wrong[:6]))
    check_memory(ws, proc)
    ws.summary = f"exit {proc.returncode}; {len(cases) - len(wrong)}/{len(cases)} as expected"


@case(CASES, "LoC conformance suite: valid/ bags (all versions)", "verify",
      "verify --bagit-only exits 0, each bag 'valid'", quick=True)  # fmt: skip
def _suite_valid(ws: Workspace) -> None:
    _conformance(ws, ("valid",), 0)


@case(CASES, "LoC conformance suite: invalid/, linux-only/, windows-only/ bags", "verify",
      "verify --bagit-only exits 1, each bag 'invalid'", quick=True)  # fmt: skip
def _suite_invalid(ws: Workspace) -> None:
    _conformance(ws, ("invalid", "linux-only", "windows-only"), 1)


@case(CASES, "LoC conformance suite: warning/ bags", "verify",
      "each bag 'warnings', but the two judged otherwise on purpose (tests/"
      "test_bagit_conformance.py): relative-path 'valid', special-system-files 'invalid' (so "
      "the run exits 1)", quick=True)  # fmt: skip
def _suite_warning(ws: Workspace) -> None:
    cases = _suite_cases(("warning",))
    exit_code = 1 if "invalid" in cases.values() else 0
    _conformance(ws, ("warning",), exit_code)

"""An archive's form: every header as unfolio's writer (:mod:`pipeline.package.archive`) makes it.

The members are what verify checks; the headers around them are what *other* readers obey.
A zip member's Info-ZIP Unicode Path extra field names the file ``unzip`` writes (a forged PDF
filed as a folder can land on the verified one), a setuid mode is what ``tar -xp`` gives the
file, a pax ``path`` is the name a pax reader uses where a plain ustar reader uses another, and
comments, owner names and times are text beside the bag that no manifest covers. unfolio's
writer is deterministic, so the form of every header follows from the bag's files and the
member time, and any difference is a finding (``BAG-ARCHIVE-FORM``, naming the member):

- **tar.gz**: the gzip header is the writer's (no file name, comment or extra field, header
  time 0, OS byte 255, the level-9 flag), and the tar inside is, byte for byte, the one the
  writer makes of the extracted bag: an entry for every folder, then every file, sorted by
  path; POSIX pax with plain ustar headers unless a name needs more; modes 0644/0755, uid and
  gid 0, no owner names; every time the member time; two zero blocks and the padding to a
  10 KiB record, nothing else. Only the gzip stream's compressed bytes are not compared
  (another zlib may compress differently). The first difference is reported.
- **zip**: each member's local and central header hold what Python's ``zipfile`` writes for
  the writer: "made by" Unix 2.0, version needed 2.0, no flag but UTF-8 (for a non-ASCII
  name), Deflate for files and stored folders, no extra field (a zip64 field only where the
  sizes need one), no data descriptor, the local header agreeing with the central one,
  internal attributes 0, external attributes ``0100644`` for files and ``040755`` plus the
  MS-DOS folder bit for folders, a folder holding no data; the members are exactly the
  writer's entries of the extracted bag, in its order; the end record is one disk's.
- **member time**: the environment record's ``source_date_epoch`` when it holds one (a zip
  stores it as a 2-second DOS time), else 1980-01-01T00:00:00Z; for a bag without a readable
  record (unfolio 0.1), one time for every member, either that constant or a time on the
  bag's ``Bagging-Date`` (``SOURCE_DATE_EPOCH`` fixes both).

A plain (uncompressed) tar is a finding too: unfolio writes ``.tar.gz``.
Under ``--bagit-only`` (bags and archives from other tools) none of this is checked.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import tarfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pipeline.package import archive as writer
from pipeline.package.environment import RECORD_PATH
from pipeline.verify.findings import Finding, rule

CHUNK_BYTES = 2**20
_MADE_BY = (3, 20)  # Unix, version 2.0 (Python's zipfile)
_NEEDED = 20
_UTF8_FLAG = 0x800
_FILE_ATTR = (0o100000 | writer.FILE_MODE) << 16
_FOLDER_ATTR = ((0o040000 | writer.FOLDER_MODE) << 16) | 0x10
_ZIP64_LIMIT = (1 << 31) - 1

FORM = rule(
    "BAG-ARCHIVE-FORM",
    "error",
    "every zip or tar.gz header is the one unfolio's writer makes (fields, entries, order, times)",
)


def findings(path: Path, root: Path) -> list[Finding]:
    """The form of the archive ``path`` whose bag, checked and extracted, is ``root``."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(0)
        if head.startswith(b"PK"):
            return _zip(handle, path.name, root)
        if head.startswith(b"\x1f\x8b"):
            return _tgz(handle, path.name, root)
        return [FORM(path.name, "a plain tar: unfolio writes a gzip-compressed tar (.tar.gz)")]


# -- what the writer would write -----------------------------------------------------------------


def _bag_entries(root: Path) -> list[tuple[str, Path | None]]:
    """The writer's entries for the extracted bag: ``(archive path, file or None)``."""
    files: dict[str, bytes] = {}
    places: dict[str, Path] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            place = Path(folder) / name
            relative = place.relative_to(root).as_posix()
            files[relative] = b""
            places[f"{root.name}/{relative}"] = place
    return [
        (path, places.get(path) if data is not None else None)
        for path, data in writer.entries(files, root.name)
    ]


def _recorded_epoch(root: Path) -> tuple[bool, int | None]:
    """``(known, epoch)`` from the environment record: epoch None = ``SOURCE_DATE_EPOCH`` unset."""
    try:
        record = json.loads((root / RECORD_PATH).read_text(encoding="utf-8"))
        value = record["source_date_epoch"]
    except (OSError, ValueError, KeyError, TypeError):
        return False, None
    if value is None:
        return True, None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return True, int(value)
    return False, None  # a malformed record: its own check reports it


def _bagging_date(root: Path) -> str | None:
    try:
        text = (root / "bag-info.txt").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    for line in text.splitlines():
        label, _, value = line.partition(":")
        if label == "Bagging-Date":
            return value.strip()
    return None


def _time_problem(root: Path, seen: int, *, dos: bool) -> tuple[int, str | None]:
    """The member time the writer used, and what is wrong with ``seen`` (the first member's)."""
    known, epoch = _recorded_epoch(root)
    if known:
        expected = writer.DEFAULT_MEMBER_TIME if epoch is None else epoch
        if dos:
            expected = _from_dos(_zip_stamp(expected))
        if seen != expected:
            why = f"source_date_epoch {epoch}" if epoch is not None else "no SOURCE_DATE_EPOCH"
            return expected, (
                f"member time {_iso(seen)}, not {_iso(expected)} (the environment record says"
                f" {why})"
            )
        return expected, None
    day = datetime.fromtimestamp(seen, tz=UTC).date().isoformat()
    if seen == writer.DEFAULT_MEMBER_TIME or day == _bagging_date(root):
        return seen, None
    return seen, (f"member time {_iso(seen)} is neither 1980-01-01 nor on the bag's Bagging-Date")


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _zip_stamp(epoch: int) -> tuple[int, int, int, int, int, int]:
    """The writer's DOS time of ``epoch`` as a reader sees it (an odd second drops by one)."""
    *rest, second = writer.dos_time(epoch)
    return (*rest, second - second % 2)  # type: ignore[return-value]


def _from_dos(stamp: tuple[int, int, int, int, int, int]) -> int:
    return int(datetime(*stamp, tzinfo=UTC).timestamp())


# -- tar.gz ----------------------------------------------------------------------------------------


def _gzip_header() -> bytes:
    """The 10-byte gzip header the writer writes (derived from it, not restated)."""
    return writer.tgz_bytes({}, "x", 0)[:10]


def _tar_header(path: str, when: int, size: int | None) -> bytes:
    info = tarfile.TarInfo(path)
    info.mtime = when
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if size is None:
        info.type, info.mode = tarfile.DIRTYPE, writer.FOLDER_MODE
    else:
        info.type, info.mode, info.size = tarfile.REGTYPE, writer.FILE_MODE, size
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _expected_tar(
    entries: list[tuple[str, Path | None]], when: int
) -> Iterator[tuple[str, str, bytes | Path]]:
    """``(member, part, bytes or file)`` in the order the writer writes the tar."""
    offset = 0
    for path, place in entries:
        size = None if place is None else place.stat().st_size
        header = _tar_header(path, when, size)
        yield path, "header", header
        offset += len(header)
        if place is not None and size:
            yield path, "data", place
            padding = -size % tarfile.BLOCKSIZE
            offset += size + padding
            if padding:
                yield path, "padding", bytes(padding)
    end = 2 * tarfile.BLOCKSIZE
    end += -(offset + end) % tarfile.RECORDSIZE
    yield "", "end", bytes(end)


def _tgz(handle: BinaryIO, label: str, root: Path) -> list[Finding]:
    found = []
    head = handle.read(10)
    expected_head = _gzip_header()
    if head != expected_head:
        found.append(FORM(label, _gzip_difference(head, expected_head)))
    handle.seek(0)
    with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
        first = stream.read(tarfile.BLOCKSIZE)
        try:
            seen = tarfile.TarInfo.frombuf(first, "utf-8", "surrogateescape").mtime
        except tarfile.HeaderError:
            seen = 0
        when, problem = _time_problem(root, int(seen), dos=False)
        if problem:
            found.append(FORM(f"{root.name}", problem))
        buffered = first
        for member, part, expected in _expected_tar(_bag_entries(root), when):
            if isinstance(expected, Path):
                with open(expected, "rb") as data:
                    while chunk := data.read(CHUNK_BYTES):
                        actual, buffered = _take(stream, buffered, len(chunk))
                        if actual != chunk:
                            return [*found, FORM(member, "its data differ from the bag's file")]
                continue
            actual, buffered = _take(stream, buffered, len(expected))
            if actual != expected:
                return [*found, FORM(member or label, _tar_difference(part, actual, expected))]
        rest = buffered or stream.read(1)
        if rest:
            found.append(
                FORM(label, "the tar goes on after the end blocks and padding unfolio writes")
            )
    return found


def _take(stream: gzip.GzipFile, buffered: bytes, size: int) -> tuple[bytes, bytes]:
    if len(buffered) < size:
        buffered += stream.read(size - len(buffered))
    return buffered[:size], buffered[size:]


def _gzip_difference(head: bytes, expected: bytes) -> str:
    if len(head) < 10:
        return "the gzip header is truncated"
    parts = []
    flags = head[3]
    for bit, what in (
        (0x04, "an extra field"),
        (0x08, "a file name"),
        (0x10, "a comment"),
        (0x02, "a header CRC"),
        (0x01, "the text flag"),
    ):
        if flags & bit:
            parts.append(what)
    if head[4:8] != expected[4:8]:
        parts.append(f"header time {int.from_bytes(head[4:8], 'little')}, not 0")
    if head[8] != expected[8]:
        parts.append(f"extra flags {head[8]}, not {expected[8]}")
    if head[9] != expected[9]:
        parts.append(f"OS byte {head[9]}, not {expected[9]}")
    return "the gzip header is not the one unfolio writes: " + (", ".join(parts) or "other bytes")


def _tar_difference(part: str, actual: bytes, expected: bytes) -> str:
    if part != "header":
        return f"the tar's {part} bytes are not the zeros unfolio writes"
    try:
        got = tarfile.TarInfo.frombuf(actual[: tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
        want = tarfile.TarInfo.frombuf(expected[: tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return "its header is not the one unfolio writes"
    parts = []
    if got.type in (tarfile.XHDTYPE, tarfile.XGLTYPE) and want.type != got.type:
        parts.append("a pax extended header unfolio does not write (path, comment, owner…)")
    elif got.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
        parts.append("a GNU long-name header")
    else:
        for name, show in (
            ("name", repr),
            ("type", repr),
            ("mode", oct),
            ("uid", str),
            ("gid", str),
            ("uname", repr),
            ("gname", repr),
            ("mtime", _iso),
        ):
            have, should = getattr(got, name), getattr(want, name)
            if have != should:
                parts.append(f"{name} {show(have)}, not {show(should)}")
        if actual[257:265] != expected[257:265]:
            parts.append(f"format magic {actual[257:265]!r}, not {expected[257:265]!r}")
    return "its header is not the one unfolio writes: " + (", ".join(parts) or "other bytes")


# -- zip -------------------------------------------------------------------------------------------


def _dos_fields(stamp: tuple[int, ...]) -> tuple[int, int]:
    year, month, day, hour, minute, second = stamp
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


def _zip(handle: BinaryIO, label: str, root: Path) -> list[Finding]:
    found: list[Finding] = []
    bundle = zipfile.ZipFile(handle)
    infos = bundle.infolist()
    expected = [path + ("/" if place is None else "") for path, place in _bag_entries(root)]
    names = [info.orig_filename for info in infos]
    if names != expected:
        found.append(FORM(*_entries_difference(names, expected, label)))
    if infos:
        seen = _from_dos(infos[0].date_time)
        when, problem = _time_problem(root, seen, dos=True)
        if problem:
            found.append(FORM(infos[0].orig_filename, problem))
        stamp = _zip_stamp(when)
        for info in infos:
            problems = _zip_member(handle, info, stamp)
            if problems:
                found.append(
                    FORM(info.orig_filename, "not as unfolio writes it: " + "; ".join(problems))
                )
    size = os.fstat(handle.fileno()).st_size
    handle.seek(max(0, size - 22))
    end = handle.read(22)
    if end[:4] == b"PK\x05\x06" and (end[4:8] != bytes(4) or end[8:10] != end[10:12]):
        found.append(FORM(label, "its end record spans disks (unfolio writes one-disk zips)"))
    return found


def _entries_difference(names: list[str], expected: list[str], label: str) -> tuple[str, str]:
    extra = [name for name in names if name not in set(expected)]
    if extra:
        return extra[0], "a member unfolio's writer would not write for this bag (an empty folder?)"
    missing = [name for name in expected if name not in set(names)]
    if missing:
        return missing[0], "unfolio writes an entry for every folder of the bag; this one has none"
    for have, want in zip(names, expected, strict=False):
        if have != want:
            return have, "members out of the writer's order (sorted by path)"
    return label, "members not in the writer's order"


def _zip_member(handle: BinaryIO, info: zipfile.ZipInfo, stamp: tuple[int, ...]) -> list[str]:
    folder = info.orig_filename.endswith("/")
    big = info.file_size * 1.05 > _ZIP64_LIMIT or info.header_offset > _ZIP64_LIMIT
    flags = 0 if info.orig_filename.isascii() else _UTF8_FLAG
    method = zipfile.ZIP_STORED if folder else zipfile.ZIP_DEFLATED
    problems = []
    if (info.create_system, info.create_version) != _MADE_BY:
        problems.append(f"made by {info.create_system}/{info.create_version}, not Unix/20")
    if info.extract_version != _NEEDED and not big:
        problems.append(f"version needed {info.extract_version}, not 20")
    if info.flag_bits != flags:
        problems.append(f"flags {info.flag_bits:#06x}, not {flags:#06x}")
    if info.compress_type != method:
        problems.append(f"compression method {info.compress_type}, not {method}")
    if info.extra and not big:
        kinds = [hex(kind) for kind in _extra_ids(info.extra)]
        problems.append(f"extra fields {', '.join(kinds)} (unfolio writes none)")
    if info.internal_attr or info.volume or info.reserved:
        problems.append("internal attributes, disk number or reserved byte not 0")
    attr = _FOLDER_ATTR if folder else _FILE_ATTR
    if info.external_attr != attr:
        problems.append(f"external attributes {info.external_attr:#010x}, not {attr:#010x}")
    if info.date_time != stamp:
        problems.append(f"time {info.date_time}, not {stamp}")
    if folder and (info.file_size or info.compress_size):
        problems.append(f"a folder holding {info.file_size} bytes")
    handle.seek(info.header_offset)
    local = handle.read(30)
    if len(local) == 30:
        fields = struct.unpack("<4s5H3L2H", local)
        central = (
            info.extract_version,
            info.flag_bits,
            info.compress_type,
            *_dos_fields(info.date_time),
            info.CRC,
        )
        sizes = (info.compress_size, info.file_size)
        if fields[1:7] != central or (not big and fields[7:9] != sizes):
            problems.append("its local header disagrees with the central directory")
        if fields[10] and not big:
            problems.append(f"a {fields[10]}-byte extra field in its local header")
    return problems


def _extra_ids(extra: bytes) -> Iterator[int]:
    at = 0
    while at + 4 <= len(extra):
        kind = int.from_bytes(extra[at : at + 2], "little")
        length = int.from_bytes(extra[at + 2 : at + 4], "little")
        yield kind
        at += 4 + length

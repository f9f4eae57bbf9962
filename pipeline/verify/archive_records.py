"""What an archive holds besides the members it lists, and whether its name is its bag's.

Two readers of one zip can see two different bags. ``unfolio verify`` (like ``zipfile`` and
most desktop tools) reads the central directory at the end; a streaming unzipper (``unzip``
from a pipe, Java's ``ZipInputStream``, many ingest tools) reads local file records from the
start and never looks at the directory. So a record the directory omits, or one whose local
name is not the directory's, is a file such a reader extracts and verify never checked. Bytes
after the end-of-central-directory record (beyond its comment) are a second payload some tools
read, and the comment itself (of the archive or of a member), which ``unzip`` prints and
unfolio never writes, is text beside the bag that no manifest covers (bytes before the first
record are refused earlier, by the archive's type). A gzip
stream holds one member for unfolio; a second member, or bytes after the first, is data that
``gzip -dc`` appends to the tar and that ``tarfile`` never shows. An archive named
``NAME.zip`` must hold the bag ``NAME/``, since the name is how an archive finds it again.

Each check reads the archive's raw bytes with bounded work: the local records are walked in
order, jumping over each one's compressed data (the sizes the directory gives, already checked
for overlaps by :mod:`.archive`), and the gzip stream is decompressed once into nothing.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence
from typing import BinaryIO

from pipeline.verify.findings import Finding, rule

CHUNK_BYTES = 2**20
_LOCAL = b"PK\x03\x04"
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature … name length, extra length (30 bytes)
_DESCRIPTOR = b"PK\x07\x08"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")

TRAILING = rule(
    "BAG-ARCHIVE-TRAILING",
    "error",
    "nothing follows a zip's end record (and comment), or a gzip stream's one member",
)
COMMENT = rule(
    "BAG-ARCHIVE-COMMENT",
    "error",
    "a zip and its members carry no comment (unfolio writes none; unzip and viewers show it)",
)
UNLISTED_RECORD = rule(
    "BAG-ARCHIVE-UNLISTED-RECORD",
    "error",
    "every local record of a zip is a member its central directory lists, under the same name",
)
BAG_NAME = rule(
    "BAG-ARCHIVE-BAG-NAME", "error", "an archive NAME.zip, NAME.tar.gz or NAME.tgz holds NAME/"
)


def _name(raw: bytes, flags: int) -> str:
    return raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")


def zip_findings(
    handle: BinaryIO, label: str, infos: Sequence[zipfile.ZipInfo], directory_at: int, size: int
) -> list[Finding]:
    """Bytes around the records and records the directory does not list, of an open zip whose
    central directory starts at ``directory_at`` and whose members are ``infos``."""
    findings = _zip_ends(handle, label, size)
    commented = [info.filename for info in infos if info.comment]
    if commented:
        findings.append(
            COMMENT(
                label,
                f"{len(commented)} member(s) carry a comment, first {commented[0][:80]!r} "
                "(unfolio writes none)",
            )
        )
    listed = {info.header_offset: info for info in infos}
    position = 0  # not the first listed record's offset: a record may hide before it
    while position < directory_at:
        handle.seek(position)
        header = handle.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL:
            gap = directory_at - position
            findings.append(
                UNLISTED_RECORD(
                    label,
                    f"{gap} bytes at offset {position}, before the central directory, belong to"
                    " no member it lists",
                )
            )
            break
        fields = _LOCAL_HEADER.unpack(header)
        flags, name_length, extra_length = fields[2], fields[9], fields[10]
        local_name = _name(handle.read(name_length), flags)
        info = listed.get(position)
        data_at = position + _LOCAL_HEADER.size + name_length + extra_length
        if info is not None:
            if local_name != info.orig_filename:
                findings.append(
                    UNLISTED_RECORD(
                        local_name,
                        f"the local record at offset {position} names {local_name!r}; the"
                        f" central directory names it {info.orig_filename!r}",
                    )
                )
            length = info.compress_size
        else:
            length = fields[7]
            findings.append(
                UNLISTED_RECORD(
                    local_name,
                    f"a local record at offset {position} that the central directory does not"
                    " list: a streaming unzipper extracts a file verify never saw",
                )
            )
            if length in (0, 0xFFFFFFFF) or flags & 0x8:  # size unknown here: stop walking
                break
        position = data_at + length
        if flags & 0x8:
            position += _descriptor_length(handle, position, info)
    return findings


def _descriptor_length(handle: BinaryIO, at: int, info: zipfile.ZipInfo | None) -> int:
    handle.seek(at)
    signed = handle.read(4) == _DESCRIPTOR
    wide = info is not None and (info.file_size >= 0xFFFFFFFF or info.compress_size >= 0xFFFFFFFF)
    return (4 if signed else 0) + (20 if wide else 12)


def _zip_ends(handle: BinaryIO, label: str, size: int) -> list[Finding]:
    findings = []
    tail_size = min(size, 22 + 65535)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at >= 0 and len(tail) - at >= 22:
        (comment_length,) = struct.unpack("<H", tail[at + 20 : at + 22])
        extra = len(tail) - (at + 22 + comment_length)
        if comment_length and extra >= 0:
            shown = tail[at + 22 : at + 22 + min(comment_length, 60)].decode("cp437")
            findings.append(
                COMMENT(
                    label,
                    f"the archive carries a {comment_length}-byte comment ({shown!r}), which "
                    "unzip prints and unfolio never writes",
                )
            )
        if extra > 0:
            findings.append(
                TRAILING(label, f"{extra} bytes follow the end-of-central-directory record")
            )
        elif extra < 0:
            findings.append(
                TRAILING(label, "the end record's comment runs past the end of the file")
            )
    return findings


def gzip_findings(handle: BinaryIO, label: str) -> list[Finding]:
    """A gzip file holds exactly one member and nothing after it (``gzip`` itself would read
    a second member, or skip zeros, without a word)."""
    handle.seek(0)
    stream = zlib.decompressobj(wbits=31)
    consumed = 0
    while not stream.eof:
        chunk = handle.read(CHUNK_BYTES)
        if not chunk:
            return []  # a truncated stream: the tar reader has reported it
        consumed += len(chunk)
        data = chunk
        try:
            while data and not stream.eof:
                stream.decompress(data, CHUNK_BYTES)  # output bounded, and dropped
                data = stream.unconsumed_tail
        except zlib.error:
            return []  # reported as corrupt by the tar reader
    after = len(stream.unused_data)
    rest = handle.read(CHUNK_BYTES)
    while rest:
        after += len(rest)
        rest = handle.read(CHUNK_BYTES)
    if not after:
        return []
    head = stream.unused_data[:2]
    what = "a second gzip member" if head == b"\x1f\x8b" else f"{after} bytes"
    return [TRAILING(label, f"{what} after the gzip stream's one member ({after} bytes)")]


def bag_name_findings(label: str, top: str) -> list[Finding]:
    """``NAME.zip`` must hold ``NAME/``: the name is how a records office finds the bag again,
    and how verify's name check (``META-NAME``) ties the bag to its document."""
    lowered = label.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lowered.endswith(suffix):
            stem = label[: -len(suffix)]
            if stem != top:
                return [
                    BAG_NAME(
                        label, f"holds the bag {top!r}; an archive {label!r} must hold {stem!r}"
                    )
                ]
            return []
    return []

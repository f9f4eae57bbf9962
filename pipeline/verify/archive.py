"""Open a bag's zip or tar archive for verification without trusting it; check its sidecar.

:func:`open_archive` judges every member *before* anything is extracted, and extracts only
an archive with no error:

- **What it is** comes from its first bytes, not its name: zip (``PK\\3\\4``, or an empty
  zip), gzip (a tar inside is assumed; anything else is reported as corrupt) or a plain
  ustar/pax/GNU tar. Anything else is ``BAG-ARCHIVE-TYPE``.
- **Names**: no absolute paths (``/x``, ``\\x``, ``C:x``), no ``..`` segment, no backslash,
  empty or ``.`` segment, control character or non-UTF-8 byte, none longer than
  :data:`MAX_NAME_CHARS` or with one name in it over :data:`MAX_SEGMENT_BYTES` bytes; a
  tar's leading ``./`` is tolerated (``tar -C parent ./NAME`` makes it). No two members
  with the same path, and no path both a file and a folder.
- **Types**: regular files and folders only — symbolic and hard links, devices, FIFOs,
  sparse and other special members are refused; encrypted zip members too.
- **Shape**: exactly one top-level folder (the bag), and it is a folder.
- **Bounds**: at most :data:`MAX_MEMBERS` members and :data:`MAX_TOTAL_BYTES` declared
  uncompressed bytes. A zip's central directory is sized from its end record before it is
  parsed, each member's compression ratio is capped (:data:`MAX_RATIO`, for members over
  :data:`RATIO_FLOOR` bytes), and members whose compressed data overlap (the trick behind
  "non-recursive" zip bombs) are refused. A tar.gz is read as a stream through a counter
  that stops at the declared cap plus header overhead, whatever the headers say; its overall
  ratio (declared bytes / archive size) is capped like a zip member's; tar extended headers
  are capped at :data:`MAX_EXTENDED_HEADER` bytes each (and :data:`MAX_EXTENDED_TOTAL` in
  all) before they are read. Reading a tar also demands its end-of-archive marker, nothing but
  zeros after it (at most :data:`MAX_TRAILER_BYTES`), and, for gzip, a good CRC: ``tarfile``
  alone takes a damaged header or a truncation at a member boundary for the end.

Only then is the archive extracted into the caller's private folder ``into`` — which must
be empty or not exist yet (it is then created, mode 0700) — writing each file with
``O_CREAT | O_EXCL | O_NOFOLLOW`` under folders it created itself, streaming in chunks while
counting bytes against each member's declared size and the total cap (the headers are not
trusted alone), and giving files mode 0644 and folders 0755. A tar is read a second time to
extract, and each member must be the one seen on the first pass.

Findings name the member (as stored, control characters escaped) or the archive's file name.
Errors of the host (the scratch folder full, say) are raised as ``OSError``, not reported as
findings about the archive. When extraction fails part way the caller removes ``into``.

:func:`check_sidecar` checks ``NAME.zip.sha256`` beside ``NAME.zip``: present → one
``sha256sum`` line naming this archive with its SHA-256; absent → a warning, because an
interrupted build can leave an archive without a sidecar (unfolio's writer removes the old
sidecar before it replaces the archive and writes the new one after it), and the next build
rewrites both. A sidecar that *disagrees* is therefore never crash debris: it is an error.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import shutil
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pipeline.verify import archive_records
from pipeline.verify.findings import Finding, Rule, rule

# -- limits (module constants: tests lower them) ---------------------------------------------

MAX_MEMBERS = 10_000
"""Members (files and folders) an archive may hold."""
MAX_TOTAL_BYTES = 4 * 2**30
"""Uncompressed bytes all members together may hold (declared, and counted while reading)."""
MAX_RATIO = 100
"""Uncompressed / compressed size beyond which a member (a tar.gz: the whole) is a bomb."""
RATIO_FLOOR = 2**20
"""Members (a tar.gz: archives) of at most this many uncompressed bytes are not ratio-judged."""
MAX_NAME_CHARS = 4096
"""Characters in a member name."""
MAX_SEGMENT_BYTES = 255
"""Bytes of one folder or file name in a member's path (NAME_MAX of Linux, macOS, Windows)."""
MAX_DIRECTORY_BYTES = 64 * 2**20
"""Bytes of a zip's central directory (read whole by ``zipfile``)."""
MAX_EXTENDED_HEADER = 2**20
"""Bytes of one tar pax or GNU long-name header (read whole by ``tarfile``)."""
MAX_EXTENDED_TOTAL = 64 * 2**20
"""Bytes of all tar pax and GNU long-name headers of one archive together."""
MAX_TRAILER_BYTES = 16 * 2**20
"""Bytes (zeros) a tar may hold after its end-of-archive block (record padding)."""
MAX_SIDECAR_BYTES = 4096
CHUNK_BYTES = 2**20
_HEADER_OVERHEAD = 16 * 2**10  # tar header bytes budgeted per member (ustar, pax, padding)

# -- rules ---------------------------------------------------------------------------------------

TYPE = rule("BAG-ARCHIVE-TYPE", "error", "the archive is a zip or a (gzip-compressed) tar")
CORRUPT = rule(
    "BAG-ARCHIVE-CORRUPT", "error", "the archive and every member can be read intact (CRC, headers)"
)
ENCRYPTED = rule("BAG-ARCHIVE-ENCRYPTED", "error", "no archive member is encrypted")
ABSOLUTE = rule("BAG-ARCHIVE-ABSOLUTE", "error", "no member path is absolute")
DOTDOT = rule("BAG-ARCHIVE-DOTDOT", "error", "no member path has a '..' segment")
NAME = rule(
    "BAG-ARCHIVE-NAME",
    "error",
    "member names are plain relative UTF-8 paths (no backslash, empty or '.' segment, control character)",
)
LINK = rule("BAG-ARCHIVE-LINK", "error", "no member is a symbolic or hard link")
SPECIAL = rule(
    "BAG-ARCHIVE-SPECIAL", "error", "every member is a regular file or a folder (no device, FIFO)"
)
DUPLICATE = rule(
    "BAG-ARCHIVE-DUPLICATE", "error", "no two members share a path, and no path is file and folder"
)
TOP_LEVEL = rule("BAG-ARCHIVE-TOP-LEVEL", "error", "the archive holds exactly one top-level folder")
MEMBERS = rule("BAG-ARCHIVE-MEMBERS", "error", f"the archive holds at most {MAX_MEMBERS:,} members")
SIZE = rule(
    "BAG-ARCHIVE-SIZE",
    "error",
    f"the members hold at most {MAX_TOTAL_BYTES / 2**30:g} GiB in all, uncompressed",
)
RATIO = rule(
    "BAG-ARCHIVE-RATIO",
    "error",
    f"no member expands more than {MAX_RATIO}-fold (a decompression bomb)",
)
SIDECAR_MISSING = rule(
    "BAG-ARCHIVE-SIDECAR-MISSING", "warning", "a NAME.sha256 sidecar is beside the archive"
)
SIDECAR_FORMAT = rule(
    "BAG-ARCHIVE-SIDECAR-FORMAT", "error", "the sidecar is one sha256sum line: <hex>  <name>"
)
SIDECAR_NAME = rule("BAG-ARCHIVE-SIDECAR-NAME", "error", "the sidecar names the archive beside it")
SIDECAR_DIGEST = rule(
    "BAG-ARCHIVE-SIDECAR-DIGEST", "error", "the archive's SHA-256 is the one in its sidecar"
)

Kind = Literal["file", "dir", "symlink", "hardlink", "device", "fifo", "special"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\udc80-\udcff]")
_DRIVE = re.compile(r"[A-Za-z]:")
_SIDECAR_LINE = re.compile(r"([0-9A-Fa-f]{64}) [ *](.+)")


class _Bad(Exception):
    """A finding that ends the reading of the archive."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


@dataclass(frozen=True)
class _Entry:
    """One member as the archive describes it."""

    name: str  # as stored
    kind: Kind
    size: int  # declared uncompressed size
    compressed: int | None = None  # zip: compressed size
    ref: Any = None  # zip: the ZipInfo


@dataclass(frozen=True)
class _Accepted:
    index: int  # position in the archive, from 0
    entry: _Entry
    parts: tuple[str, ...]


def shown(name: str) -> str:
    """A member name safe to print: control, bidi and undecodable characters escaped."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            return f"\\x{code - 0xDC00:02x}"  # an undecodable byte (surrogateescape)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escape, name.replace("\\", "\\\\"))


# -- the archive's type ---------------------------------------------------------------------


def _sniff(head: bytes) -> Literal["zip", "gzip", "tar"] | None:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return None


# -- member checks common to zip and tar --------------------------------------------------------


def _name_parts(entry: _Entry, *, tar: bool) -> tuple[tuple[str, ...] | None, Finding | None]:
    """The member's path segments, or the finding that refuses its name; ``()`` is a tar's
    ``./`` (the archive's own root), which is skipped."""
    name, where = entry.name, shown(entry.name)
    if not name:
        return None, NAME(where, "member has an empty name")
    if len(name) > MAX_NAME_CHARS:
        return None, NAME(where[:200] + "…", f"name longer than {MAX_NAME_CHARS} characters")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return None, ABSOLUTE(where, "absolute member path: it would be written outside the bag")
    segments = re.split(r"[/\\]", name)
    if ".." in segments:
        return None, DOTDOT(where, "member path has a '..' segment: it could escape the bag")
    if "\\" in name:
        return None, NAME(where, "member name holds a backslash (a folder separator on Windows)")
    if _CONTROL.search(name):
        return None, NAME(where, "member name holds a control character or a byte not in UTF-8")
    if any(
        len(segment.encode("utf-8", "surrogateescape")) > MAX_SEGMENT_BYTES for segment in segments
    ):
        return None, NAME(
            where[:200] + "…",
            f"a name in the path is longer than {MAX_SEGMENT_BYTES} bytes: no file system holds it",
        )
    if segments[-1] == "" and len(segments) > 1:
        segments.pop()  # a folder's trailing slash
    if tar:
        while segments and segments[0] == ".":
            segments.pop(0)
        if not segments or segments == [""]:
            if entry.kind == "dir":
                return (), None
            return None, NAME(where, "member name is the archive's root")
    if any(segment in ("", ".") for segment in segments):
        return None, NAME(where, "member path has an empty or '.' segment")
    return tuple(segments), None


_KIND_RULE: dict[str, tuple[Rule, str]] = {
    "symlink": (LINK, "member is a symbolic link"),
    "hardlink": (LINK, "member is a hard link"),
    "device": (SPECIAL, "member is a device"),
    "fifo": (SPECIAL, "member is a FIFO"),
    "special": (SPECIAL, "member is neither a regular file nor a folder"),
}


class _Checker:
    """Judges members one at a time, keeping the counts and names the bounds need."""

    def __init__(self, archive: str, *, tar: bool, compressed_size: int):
        self.archive = archive
        self.tar = tar
        self.compressed_size = compressed_size
        self.findings: list[Finding] = []
        self.accepted: list[_Accepted] = []
        self.count = 0
        self.total = 0
        self.seen: dict[tuple[str, ...], str] = {}
        self.files: set[tuple[str, ...]] = set()
        self.folders: set[tuple[str, ...]] = set()

    def add(self, entry: _Entry) -> None:
        """Judge one more member; raises :class:`_Bad` when a bound is passed (stop reading)."""
        self.count += 1
        where = shown(entry.name)
        if self.count > MAX_MEMBERS:
            raise _Bad(MEMBERS(self.archive, f"more than {MAX_MEMBERS} members"))
        self.total += max(entry.size, 0)
        if self.total > MAX_TOTAL_BYTES:
            raise _Bad(
                SIZE(where, f"members hold more than {MAX_TOTAL_BYTES} bytes in all at this one")
            )
        if self.tar and self.compressed_size >= 0:
            limit = max(RATIO_FLOOR, MAX_RATIO * self.compressed_size)
            if self.total > limit:
                raise _Bad(
                    RATIO(
                        where,
                        f"members declare {self.total} bytes by this one, more than {MAX_RATIO}"
                        f" times the {self.compressed_size}-byte archive: a decompression bomb",
                    )
                )
        parts, problem = _name_parts(entry, tar=self.tar)
        if problem is not None:
            self.findings.append(problem)
            return
        assert parts is not None
        if parts == ():
            return
        if entry.kind in _KIND_RULE:
            found, message = _KIND_RULE[entry.kind]
            self.findings.append(found(where, message))
            return
        if (
            entry.compressed is not None
            and entry.size > RATIO_FLOOR
            and entry.size > MAX_RATIO * max(entry.compressed, 1)
        ):
            self.findings.append(
                RATIO(
                    where,
                    f"{entry.size} bytes compressed to {entry.compressed}: more than {MAX_RATIO}"
                    " times (a decompression bomb)",
                )
            )
            return
        if parts in self.seen:
            self.findings.append(
                DUPLICATE(where, f"a second member with the path of {self.seen[parts]}")
            )
            return
        self.seen[parts] = where
        (self.folders if entry.kind == "dir" else self.files).add(parts)
        self.folders.update(parts[:depth] for depth in range(1, len(parts)))
        self.accepted.append(_Accepted(self.count - 1, entry, parts))

    def finish(self) -> None:
        """The checks that need every member: file-and-folder clashes, one top-level folder."""
        for parts in sorted(self.files & self.folders):
            self.findings.append(
                DUPLICATE(self.seen[parts], "a file here, and a folder by the paths of others")
            )
        tops = sorted({accepted.parts[0] for accepted in self.accepted})
        if not self.accepted and not self.findings:
            self.findings.append(TOP_LEVEL(self.archive, "the archive holds no members"))
        elif len(tops) > 1:
            listed = ", ".join(repr(shown(top)) for top in tops[:5])
            more = f" and {len(tops) - 5} more" if len(tops) > 5 else ""
            self.findings.append(
                TOP_LEVEL(self.archive, f"{len(tops)} top-level entries ({listed}{more}), not one")
            )
        elif tops and (tops[0],) in self.files:
            self.findings.append(
                TOP_LEVEL(shown(tops[0]), "the top-level entry is a file, not the bag's folder")
            )


# -- extraction ---------------------------------------------------------------------------------


class _HostFault(Exception):
    """Writing into the scratch folder failed: a fault of the host, not of the archive."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


class _Extractor:
    """Writes accepted members under ``into``: new files only, bounded, safe modes."""

    def __init__(self, into: Path):
        self.into = into
        self.total = 0
        self.folders: set[Path] = set()

    def _folder(self, parts: tuple[str, ...]) -> Path:
        path = self.into
        for part in parts:
            path = path / part
            if path not in self.folders:
                try:
                    os.mkdir(path, 0o700)
                except FileExistsError:
                    if not stat.S_ISDIR(os.lstat(path).st_mode):
                        raise
                except OSError as exc:
                    raise _HostFault(exc) from exc
                self.folders.add(path)
        return path

    def folder(self, accepted: _Accepted) -> None:
        self._folder(accepted.parts)

    def file(self, accepted: _Accepted, source: BinaryIO) -> None:
        entry, where = accepted.entry, shown(accepted.entry.name)
        parent = self._folder(accepted.parts[:-1])
        target = parent / accepted.parts[-1]
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(target, flags, 0o600)
        except OSError as exc:
            raise _HostFault(exc) from exc
        try:
            written = 0
            while True:
                try:
                    chunk = source.read(CHUNK_BYTES)
                except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError) as exc:
                    raise _Bad(CORRUPT(where, f"cannot be read: {exc}")) from exc
                if not chunk:
                    break
                written += len(chunk)
                self.total += len(chunk)
                if written > entry.size:
                    raise _Bad(CORRUPT(where, f"holds more than the {entry.size} bytes declared"))
                if self.total > MAX_TOTAL_BYTES:
                    raise _Bad(SIZE(where, f"members hold more than {MAX_TOTAL_BYTES} bytes"))
                try:
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
                except OSError as exc:
                    raise _HostFault(exc) from exc
            if written != entry.size:
                raise _Bad(CORRUPT(where, f"holds {written} bytes, not the {entry.size} declared"))
            os.fchmod(fd, 0o644)
        finally:
            os.close(fd)

    def finish(self) -> None:
        for folder in self.folders:
            os.chmod(folder, 0o755)

    def undo(self) -> None:
        """Remove everything extracted so far (``into`` was empty): a refused archive leaves
        nothing behind."""
        for child in list(self.into.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()


def _prepare(into: Path) -> None:
    if into.exists() or into.is_symlink():
        if into.is_symlink() or not into.is_dir():
            raise NotADirectoryError(f"{into}: not a folder to open an archive into")
        if any(into.iterdir()):
            raise FileExistsError(f"{into}: the folder to open an archive into is not empty")
    else:
        os.mkdir(into, 0o700)


# -- zip ------------------------------------------------------------------------------------------


def _zip_directory(handle: BinaryIO, size: int) -> tuple[int, int]:
    """``(entries, central directory bytes)`` from a zip's end records, without parsing it."""
    tail_size = min(size, 22 + 65535)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise _Bad(CORRUPT("", "no zip end-of-central-directory record (truncated?)"))
    _, _, _, _, entries, directory_size, _, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
        locator_at = size - tail_size + at - 20
        if locator_at < 0:
            raise _Bad(CORRUPT("", "zip64 end record announced but missing"))
        handle.seek(locator_at)
        locator = handle.read(20)
        if len(locator) != 20 or locator[:4] != b"PK\x06\x07":
            raise _Bad(CORRUPT("", "zip64 end record announced but missing"))
        (record_at,) = struct.unpack("<Q", locator[8:16])
        handle.seek(record_at)
        record = handle.read(56)
        if len(record) != 56 or record[:4] != b"PK\x06\x06":
            raise _Bad(CORRUPT("", "zip64 end record is damaged"))
        fields = struct.unpack("<4sQ2H2L4Q", record)
        entries, directory_size = fields[7], fields[8]
    return entries, directory_size


def _zip_kind(info: zipfile.ZipInfo) -> Kind:
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "symlink"
    if kind in (stat.S_IFCHR, stat.S_IFBLK):
        return "device"
    if kind == stat.S_IFIFO:
        return "fifo"
    if kind == stat.S_IFSOCK:
        return "special"
    if kind == stat.S_IFDIR or info.orig_filename.endswith("/"):
        return "dir"
    if kind not in (0, stat.S_IFREG):
        return "special"
    return "file"


def _zip_overlaps(infos: list[zipfile.ZipInfo], directory_at: int) -> list[Finding]:
    """Members whose data run into the next member's header (or the central directory)."""
    found = []
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for index, info in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        end = info.header_offset + 30 + len(info.orig_filename.encode(encoding, "replace"))
        end += info.compress_size
        limit = following.header_offset if following is not None else directory_at
        if end > limit:
            other = shown(following.orig_filename) if following is not None else "the directory"
            found.append(
                CORRUPT(
                    shown(info.orig_filename),
                    f"its data overlap {other} (a zip bomb's trick, or a damaged archive)",
                )
            )
    return found


def _open_zip(path: Path, handle: BinaryIO, into: Path) -> tuple[Path | None, list[Finding]]:
    size = os.fstat(handle.fileno()).st_size
    label = path.name
    try:
        entries, directory_size = _zip_directory(handle, size)
    except _Bad as bad:
        return None, [CORRUPT(label, bad.finding.message)]
    if entries > MAX_MEMBERS:
        return None, [MEMBERS(label, f"{entries} members, more than {MAX_MEMBERS}")]
    if directory_size > MAX_DIRECTORY_BYTES:
        return None, [
            MEMBERS(label, f"a {directory_size}-byte central directory, over {MAX_DIRECTORY_BYTES}")
        ]
    handle.seek(0)
    try:
        bundle = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        return None, [CORRUPT(label, f"not a readable zip: {exc}")]
    with bundle:
        infos = bundle.infolist()
        checker = _Checker(label, tar=False, compressed_size=size)
        findings = checker.findings
        try:
            for info in infos:
                where = shown(info.orig_filename)
                if info.flag_bits & 0x1:
                    findings.append(ENCRYPTED(where, "member is encrypted: it cannot be checked"))
                    continue
                if info.compress_type not in (
                    zipfile.ZIP_STORED,
                    zipfile.ZIP_DEFLATED,
                    zipfile.ZIP_BZIP2,
                    zipfile.ZIP_LZMA,
                ):
                    findings.append(
                        CORRUPT(where, f"unsupported compression method {info.compress_type}")
                    )
                    continue
                checker.add(
                    _Entry(
                        info.orig_filename,
                        _zip_kind(info),
                        info.file_size,
                        info.compress_size,
                        info,
                    )
                )
        except _Bad as bad:
            return None, [*findings, bad.finding]
        directory_at = getattr(bundle, "start_dir", size)
        findings += _zip_overlaps(infos, directory_at)
        checker.finish()
        if any(finding.severity == "error" for finding in findings):
            return None, findings
        # what a streaming reader would see besides the members: reported, and the members
        # (safe by every check above) still extracted, so the bag itself is judged too
        findings += archive_records.zip_findings(handle, label, infos, directory_at, size)
        extractor = _Extractor(into)
        try:
            for accepted in checker.accepted:
                if accepted.entry.kind == "dir":
                    extractor.folder(accepted)
                    continue
                try:
                    source = bundle.open(accepted.entry.ref)
                except (zipfile.BadZipFile, NotImplementedError, zlib.error, OSError) as exc:
                    raise _Bad(
                        CORRUPT(shown(accepted.entry.name), f"cannot be read: {exc}")
                    ) from exc
                with source:
                    extractor.file(accepted, source)  # type: ignore[arg-type]
        except _Bad as bad:
            extractor.undo()
            return None, [*findings, bad.finding]
        except _HostFault as fault:
            extractor.undo()
            raise fault.error from None
        extractor.finish()
        return into / checker.accepted[0].parts[0], findings


# -- tar ------------------------------------------------------------------------------------------


class _Damaged(Exception):
    """A tar header that ``tarfile`` would take for the end of the archive, or too big."""


class _StrictTarInfo(tarfile.TarInfo):
    """Reads headers as ``tarfile`` does, but a damaged or truncated header is an error (not
    a quiet end of the archive) and an extended header is size-checked before it is read."""

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        buf = tarfile_.fileobj.read(tarfile.BLOCKSIZE)
        try:
            obj = cls.frombuf(buf, tarfile_.encoding, tarfile_.errors)
        except tarfile.EOFHeaderError:
            raise  # a zero block: the end of the archive
        except tarfile.EmptyHeaderError:
            raise _Damaged("the archive ends without its end-of-archive blocks") from None
        except tarfile.HeaderError as exc:
            raise _Damaged(f"damaged member header ({exc})") from None
        obj.offset = tarfile_.fileobj.tell() - tarfile.BLOCKSIZE
        extended = (
            tarfile.XHDTYPE,
            tarfile.XGLTYPE,
            tarfile.SOLARIS_XHDTYPE,
            tarfile.GNUTYPE_LONGNAME,
            tarfile.GNUTYPE_LONGLINK,
        )
        if obj.type in extended:
            if obj.size > MAX_EXTENDED_HEADER:
                raise _Damaged(f"an extended header of {obj.size} bytes")
            seen = getattr(tarfile_, "_unfolio_extended", 0) + obj.size
            if seen > MAX_EXTENDED_TOTAL:
                raise _Damaged(f"extended headers of more than {MAX_EXTENDED_TOTAL} bytes in all")
            tarfile_._unfolio_extended = seen  # type: ignore[attr-defined]
        return obj._proc_member(tarfile_)


class _Budget:
    """A read-only stream that counts what it hands on and stops at a limit."""

    def __init__(self, raw: BinaryIO, limit: int, label: str):
        self.raw = raw
        self.limit = limit
        self.label = label
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > CHUNK_BYTES:
            size = CHUNK_BYTES
        data = self.raw.read(size)
        self.count += len(data)
        if self.count > self.limit:
            raise _Bad(SIZE(self.label, f"the archive unpacks to more than {self.limit} bytes"))
        return data


def _tar_kind(info: tarfile.TarInfo) -> Kind:
    if info.type in (tarfile.REGTYPE, tarfile.AREGTYPE) and not info.issparse():
        return "file"
    if info.type == tarfile.DIRTYPE:
        return "dir"
    if info.type == tarfile.SYMTYPE:
        return "symlink"
    if info.type == tarfile.LNKTYPE:
        return "hardlink"
    if info.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        return "device"
    if info.type == tarfile.FIFOTYPE:
        return "fifo"
    return "special"


@contextlib.contextmanager
def _tar_stream(handle: BinaryIO, compressed: bool, label: str) -> Iterator[tarfile.TarFile]:
    handle.seek(0)
    unpacked = gzip.GzipFile(fileobj=handle, mode="rb") if compressed else None
    limit = MAX_TOTAL_BYTES + (MAX_MEMBERS + 2) * _HEADER_OVERHEAD
    budget = _Budget(unpacked if unpacked is not None else handle, limit, label)  # type: ignore[arg-type]
    try:
        with tarfile.open(fileobj=budget, mode="r|", tarinfo=_StrictTarInfo) as bundle:  # type: ignore[call-overload]
            yield bundle
    finally:
        if unpacked is not None:
            unpacked.close()


def _drain(bundle: tarfile.TarFile) -> None:
    """Read what follows the end-of-archive block: zeros only (and, in gzip, a good CRC)."""
    stream = bundle.fileobj
    assert stream is not None
    trailer = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            return
        if chunk.count(0) != len(chunk):
            raise _Damaged("data after the end-of-archive block (a damaged header?)")
        trailer += len(chunk)
        if trailer > MAX_TRAILER_BYTES:
            raise _Damaged(f"more than {MAX_TRAILER_BYTES} bytes after the end-of-archive block")


_TAR_ERRORS = (tarfile.TarError, _Damaged, EOFError, zlib.error, gzip.BadGzipFile, OSError)


def _open_tar(
    path: Path, handle: BinaryIO, into: Path, compressed: bool
) -> tuple[Path | None, list[Finding]]:
    label = path.name
    size = os.fstat(handle.fileno()).st_size
    checker = _Checker(label, tar=True, compressed_size=size if compressed else -1)
    findings = checker.findings
    seen: list[tuple[str, int, int]] = []
    last = label
    try:
        with _tar_stream(handle, compressed, label) as bundle:
            for info in bundle:
                last = shown(info.name)
                seen.append((info.name, info.type, info.size))
                checker.add(_Entry(info.name, _tar_kind(info), info.size))
            _drain(bundle)
    except _Bad as bad:
        return None, [*findings, bad.finding]
    except _TAR_ERRORS as exc:
        where = label if last == label else f"{last}"
        message = str(exc) or type(exc).__name__
        after = "" if last == label else " (at or after this member)"
        return None, [*findings, CORRUPT(where, f"not a readable tar archive: {message}{after}")]
    checker.finish()
    if any(finding.severity == "error" for finding in findings):
        return None, findings
    by_index = {accepted.index: accepted for accepted in checker.accepted}
    extractor = _Extractor(into)
    try:
        with _tar_stream(handle, compressed, label) as bundle:
            for index, info in enumerate(bundle):
                if index >= len(seen) or seen[index] != (info.name, info.type, info.size):
                    raise _Bad(CORRUPT(shown(info.name), "the archive changed while being read"))
                member = by_index.get(index)
                if member is None:
                    continue  # the archive's own "./"
                if member.entry.kind == "dir":
                    extractor.folder(member)
                    continue
                source = bundle.extractfile(info)
                if source is None:
                    raise _Bad(CORRUPT(shown(info.name), "a file member without data"))
                extractor.file(member, source)  # type: ignore[arg-type]
    except _Bad as bad:
        extractor.undo()
        return None, [*findings, bad.finding]
    except _HostFault as fault:
        extractor.undo()
        raise fault.error from None
    except _TAR_ERRORS as exc:
        extractor.undo()
        return None, [*findings, CORRUPT(label, f"not a readable tar archive: {exc}")]
    extractor.finish()
    if compressed:
        findings += archive_records.gzip_findings(handle, label)
    return into / checker.accepted[0].parts[0], findings


# -- public -----------------------------------------------------------------------------------


def open_archive(path: Path, into: Path) -> tuple[Path | None, list[Finding]]:
    """Check every member of the archive ``path``, then extract it into ``into``.

    Returns the bag's root (``into/<the one top-level folder>``), or None when the archive
    cannot be opened safely, with every finding. ``into`` is the caller's private folder:
    empty, or not there yet (then it is created, mode 0700); the caller removes it afterwards.
    Raises ``OSError`` only for faults of the host (the archive unreadable, ``into`` not
    writable or full), never for what the archive holds.
    """
    path, into = Path(path), Path(into)
    _prepare(into)
    handle = _open_regular(path)
    if handle is None:
        return None, [TYPE(path.name, "not a regular file (a folder, device, FIFO or socket)")]
    with handle:
        head = handle.read(512)
        kind = _sniff(head)
        if kind is None:
            return None, [
                TYPE(
                    path.name, "not a zip or tar archive (judged by its first bytes, not its name)"
                )
            ]
        if kind == "zip":
            root, findings = _open_zip(path, handle, into)
        else:
            root, findings = _open_tar(path, handle, into, compressed=kind == "gzip")
    return root, findings


def _open_regular(path: Path) -> BinaryIO | None:
    """``path`` opened for reading if it is a regular file (never blocking on a FIFO)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    if not regular:
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def sidecar_path(path: Path) -> Path:
    """``NAME.zip.sha256`` for ``NAME.zip``."""
    return path.with_name(path.name + ".sha256")


def check_sidecar(path: Path) -> list[Finding]:
    """Check the ``sha256sum`` sidecar beside the archive ``path`` (a warning when absent)."""
    path = Path(path)
    sidecar = sidecar_path(path)
    label = sidecar.name
    try:
        opened = _open_regular(sidecar)
    except FileNotFoundError:
        return [
            SIDECAR_MISSING(
                path.name,
                f"no {label} beside the archive, so nothing attests its bytes (a build"
                " interrupted between writing the archive and its sidecar leaves this;"
                " rebuilding writes both)",
            )
        ]
    if opened is None:
        return [SIDECAR_FORMAT(label, "not a regular file")]
    with opened:
        raw = opened.read(MAX_SIDECAR_BYTES + 1)
    if len(raw) > MAX_SIDECAR_BYTES:
        return [SIDECAR_FORMAT(label, f"longer than {MAX_SIDECAR_BYTES} bytes: not one line")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [SIDECAR_FORMAT(label, "not UTF-8 text")]
    if text.endswith("\n"):
        text = text[:-1]
    if "\n" in text or "\r" in text:
        return [SIDECAR_FORMAT(label, "not exactly one line ending in LF")]
    match = _SIDECAR_LINE.fullmatch(text)
    if match is None:
        return [
            SIDECAR_FORMAT(label, f"{shown(text[:120])!r} is not '<64 hex digits>  <file name>'")
        ]
    expected, named = match.group(1).lower(), match.group(2)
    findings = []
    if named != path.name:
        findings.append(
            SIDECAR_NAME(label, f"names {shown(named)!r}, not the archive {shown(path.name)!r}")
        )
    hasher = hashlib.sha256()
    archive = _open_regular(path)
    if archive is None:
        return [*findings, TYPE(path.name, "not a regular file (a folder, device, FIFO or socket)")]
    with archive as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            hasher.update(chunk)
    actual = hasher.hexdigest()
    if actual != expected:
        findings.append(
            SIDECAR_DIGEST(
                path.name,
                f"SHA-256 is {actual}, the sidecar says {expected}: the archive or the sidecar"
                " changed after they were written (unfolio never leaves a mismatched pair,"
                " even when a build is interrupted)",
            )
        )
    return findings

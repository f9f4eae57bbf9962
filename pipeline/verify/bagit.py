"""The BagIt judge: RFC 8493 (BagIt 1.0) and the earlier versions a bag may declare.

:func:`check_bag` reads a bag folder and returns what it holds (:class:`BagReading`, which the
later stages of ``unfolio verify`` use) and everything wrong with it. It is written for bags
from anywhere, hostile ones included, so a few rules hold throughout:

- **Everything is reported.** No check stops the others: a Payload-Oxum mismatch is reported
  and the per-file checks still run, so the guilty file is named. Each finding names the file
  it concerns, relative to the bag (``""`` for the bag as a whole).
- **Nothing outside the bag is touched.** The bag is listed without following links. A path
  from a manifest or ``fetch.txt`` is only looked up in that listing, and only if it is a
  plain relative path (no ``/``, ``..``, ``~``, drive letter or UNC start). Files are opened
  one folder at a time from the bag's root with ``O_NOFOLLOW``, after ``lstat`` says they are
  regular, so links, devices and FIFOs are reported and never opened (RFC 8493 §5.1).
- **Memory and time are bounded.** Tag files are read whole only up to a cap, lines and the
  listing are capped; payload files are hashed in chunks, all algorithms in one read.
- **Each version by its own rules.** A bag declaring 0.93-0.97 is judged by that version:
  other tag-file encodings, ``./`` before paths, whitespace around the bag-info colon,
  repeated elements and manifest lines repeated with the same checksum are fine there. What
  RFC 8493 added (every payload file in *every* manifest, ``%`` written ``%25``, tag
  manifests listing every payload manifest, …) applies from 1.0. A bag declaring an unknown
  version is reported and then judged by 1.0.
- **RFC MUSTs are errors, SHOULDs warnings** (§6.1.1.3: tolerate names that differ only in
  Unicode normalization, and warn; §6.1.3: accept md5sum's ``*`` marker, and warn).

``unfolio_layout=True`` (plain ``unfolio verify``; ``--bagit-only`` turns it off) adds what
unfolio's own bags promise beyond the RFC: BagIt 1.0 with UTF-8 tag files, sha256 and sha512
payload *and* tag manifests, every tag file in every tag manifest, LF line ends, no hidden
payload files; and a manifest name that differs only in case no longer stands for a file on
disk. Those rules have codes of their own (``BAG-LAYOUT-…``), so an RFC verdict can always be
told apart from unfolio's stricter one.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

from pipeline.package.bagit import BAGIT_TXT
from pipeline.verify.findings import Finding, rule
from pipeline.verify.layouts import LAYOUT_2, layout_of

SIGNATURE_NAME = "tagmanifest-sha512.txt.p7s"  # pipeline.sign.cms.SIGNATURE_NAME

# -- limits: a hostile bag must not exhaust memory or time -------------------------------------

MAX_TAG_FILE_BYTES = 16 * 2**20
"""``bagit.txt`` and ``bag-info.txt`` are read whole, up to this size."""
MAX_MANIFEST_BYTES = 64 * 2**20
"""Manifests and ``fetch.txt`` grow with the payload (some 200 bytes a file with sha512, so
about 300,000 files). They are read and decoded whole, which costs about 2.2 times their size
in memory: 64 MiB keeps ``verify`` under 300 MB on the most hostile manifest (``make stress``)."""
MAX_LINE_CHARS = 64 * 2**10
"""A longer line in a tag file is reported and skipped."""
MAX_ENTRIES = 1_000_000
"""Files, folders and links listed before the listing gives up."""
MAX_DEPTH = 128
"""Folder nesting below the bag's root that is listed."""
CHUNK_BYTES = 2**20
"""Files are hashed in chunks of this size."""

# -- rules of RFC 8493 and the earlier versions (always) ---------------------------------------

DIRECTORY = rule("BAG-DIRECTORY", "error", "the bag is a readable folder")
DECLARATION = rule(
    "BAG-DECLARATION",
    "error",
    "bagit.txt is exactly a BagIt-Version and a Tag-File-Character-Encoding line",
)
DECLARATION_BOM = rule("BAG-DECLARATION-BOM", "error", "bagit.txt does not begin with a BOM")
VERSION = rule("BAG-VERSION", "error", "BagIt-Version is a known version (0.93-0.97, 1.0)")
ENCODING = rule(
    "BAG-ENCODING", "error", "tag files are in the declared, known encoding (no BOM in UTF-8)"
)
PAYLOAD_DIRECTORY = rule("BAG-PAYLOAD-DIRECTORY", "error", "the bag has a data/ folder")
MANIFEST_MISSING = rule("BAG-MANIFEST-MISSING", "error", "the bag has a payload manifest")
ALGORITHM = rule("BAG-ALGORITHM", "error", "manifest algorithm names are normalized and computable")
MANIFEST_SYNTAX = rule(
    "BAG-MANIFEST-SYNTAX", "error", "manifest lines are a hex checksum, whitespace and a path"
)
MD5SUM_FORMAT = rule(
    "BAG-MD5SUM-FORMAT", "warning", "manifests are not in md5sum's '*' or '\\' format"
)
MANIFEST_DUPLICATE = rule(
    "BAG-MANIFEST-DUPLICATE",
    "error",
    "a manifest lists a file once (1.0), and never with two checksums",
)
MANIFEST_REPEAT = rule(
    "BAG-MANIFEST-REPEAT", "warning", "a manifest before 1.0 repeats no line for a file"
)
MANIFEST_SCOPE = rule(
    "BAG-MANIFEST-SCOPE",
    "error",
    "payload manifests list data/ only; tag manifests no payload files or tag manifests",
)
MANIFEST_DIRECTORY = rule("BAG-MANIFEST-DIRECTORY", "error", "manifests list no folders")
TAGMANIFEST_INCOMPLETE = rule(
    "BAG-TAGMANIFEST-INCOMPLETE", "error", "every tag manifest lists every payload manifest (1.0)"
)
PATH_UNSAFE = rule(
    "BAG-PATH-UNSAFE",
    "error",
    "paths stay in the bag: not absolute, no '..', '~', drive or UNC (never opened)",
)
PATH_ENCODING = rule(
    "BAG-PATH-ENCODING", "error", "'%', CR and LF in paths are written %25, %0D, %0A (1.0)"
)
PATH_FORM = rule(
    "BAG-PATH-FORM", "warning", "paths are written plainly: no './', '.' or empty segments (1.0)"
)
FILE_MISSING = rule("BAG-FILE-MISSING", "error", "every file a manifest lists is in the bag")
FILE_UNLISTED = rule("BAG-FILE-UNLISTED", "error", "every payload file is in a payload manifest")
FILE_INCOMPLETE = rule(
    "BAG-FILE-INCOMPLETE", "error", "every payload file is in every payload manifest (1.0)"
)
CHECKSUM = rule("BAG-CHECKSUM", "error", "every checksum of every manifest matches its file")
OXUM = rule(
    "BAG-OXUM", "error", "Payload-Oxum is well-formed, given once and agrees with the payload"
)
INFO_SYNTAX = rule(
    "BAG-INFO-SYNTAX", "error", "bag-info.txt lines are 'Label: value' or continuation lines"
)
INFO_REPEATED = rule(
    "BAG-INFO-REPEATED",
    "warning",
    "Bagging-Date, Bag-Size, Bag-Group-Identifier, Bag-Count are given once (1.0)",
)
INFO_VALUE = rule("BAG-INFO-VALUE", "warning", "Bagging-Date is YYYY-MM-DD, Bag-Count 'N of T'")
FETCH = rule(
    "BAG-FETCH",
    "error",
    "fetch.txt lines are 'URL length path' for files in every payload manifest",
)
SYMLINK = rule("BAG-SYMLINK", "error", "the bag holds no symbolic links (never followed)")
SPECIAL_FILE = rule(
    "BAG-SPECIAL-FILE", "error", "the bag holds no devices, FIFOs or sockets (never opened)"
)
TOO_LARGE = rule(
    "BAG-TOO-LARGE", "error", "tag files, lines, file count and nesting stay within limits"
)
UNREADABLE = rule("BAG-UNREADABLE", "error", "every file and folder of the bag can be read")
NORMALIZATION = rule(
    "BAG-NORMALIZATION", "warning", "no two names differ only in Unicode normalization"
)
CASE_COLLISION = rule("BAG-CASE-COLLISION", "warning", "no two names differ only in case")
WEAK_ALGORITHM = rule(
    "BAG-WEAK-ALGORITHM", "warning", "a 1.0 bag has a payload manifest stronger than md5/sha1"
)
SYSTEM_FILE = rule(
    "BAG-SYSTEM-FILE", "warning", "the payload holds no operating-system files (.DS_Store, …)"
)

# -- rules of unfolio's own layout (not with --bagit-only) -------------------------------------

LAYOUT_VERSION = rule(
    "BAG-LAYOUT-VERSION", "error", "unfolio layout: BagIt 1.0 with UTF-8 tag files"
)
LAYOUT_MANIFESTS = rule(
    "BAG-LAYOUT-MANIFESTS", "error", "unfolio layout: sha256 and sha512 payload and tag manifests"
)
LAYOUT_TAG_UNLISTED = rule(
    "BAG-LAYOUT-TAG-UNLISTED", "error", "unfolio layout: every tag file in every tag manifest"
)
LAYOUT_LINE_END = rule(
    "BAG-LAYOUT-LINE-END", "error", "unfolio layout: tag file lines end with LF, the last too"
)
LAYOUT_HIDDEN = rule(
    "BAG-LAYOUT-HIDDEN", "error", "unfolio layout: no hidden files or folders in the payload"
)

# -- constants ---------------------------------------------------------------------------------

Rules = tuple[int, int]
V1: Rules = (1, 0)
KNOWN_VERSIONS = ("0.93", "0.94", "0.95", "0.96", "0.97", "1.0")
UNFOLIO_ALGORITHMS = ("sha256", "sha512")
_WEAK = {"md5", "sha1"}
#: Normalized BagIt algorithm names (RFC 8493 §2.4) → hashlib names.
_HASHLIB = {
    "md5": "md5",
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha512224": "sha512_224",
    "sha512256": "sha512_256",
    "sha3224": "sha3_224",
    "sha3256": "sha3_256",
    "sha3384": "sha3_384",
    "sha3512": "sha3_512",
    "blake2b": "blake2b",
    "blake2b512": "blake2b",
    "blake2s": "blake2s",
    "blake2s256": "blake2s",
}
#: Python codecs that are no character set a tag file could be written in.
_NOT_CHARSETS = {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined"}
#: What operating systems leave in folders (compared case-insensitively), and folders they fill.
_SYSTEM_NAMES = {".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", ".directory", "icon\r"}
_SYSTEM_FOLDERS = {".spotlight-v100", ".trashes", ".fseventsd", "$recycle.bin", "__macosx"}
_SHOULD_NOT_REPEAT = ("bagging-date", "bag-size", "bag-group-identifier", "bag-count")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_STRICT_VERSION = re.compile(r"BagIt-Version: \S+", re.IGNORECASE)
_STRICT_ENCODING = re.compile(r"Tag-File-Character-Encoding: \S+", re.IGNORECASE)
_VERSION_NUMBER = re.compile(r"[0-9]+\.[0-9]+")
_MANIFEST_LINE = re.compile(r"([^ \t]*)([ \t]+)(.*)")
_MD5SUM_ESCAPED = re.compile(r"\\[0-9A-Fa-f]+[ \t]")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_FETCH_LINE = re.compile(r"(\S+)[ \t]+(\S+)[ \t]+(.*)")
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_DRIVE = re.compile(r"[A-Za-z]:")
_WINDOWS_VARIABLE = re.compile(r"%[A-Za-z_][A-Za-z0-9_()]*%")
_OXUM = re.compile(r"([0-9]+)\.([0-9]+)")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BAG_COUNT = re.compile(r"[0-9]+ of ([0-9]+|\?)")
_TAG_MANIFEST = re.compile(r"tagmanifest-.*\.txt", re.DOTALL)


@dataclass(frozen=True)
class BagReading:
    """What a bag declares and holds, as read by :func:`check_bag`, for the later stages."""

    root: Path
    version: str | None
    """``BagIt-Version`` as declared (``"1.0"``, ``"0.97"``); None without one."""
    encoding: str | None
    """``Tag-File-Character-Encoding`` as declared."""
    info: tuple[tuple[str, str], ...]
    """``bag-info.txt`` (``package-info.txt`` before 0.96) elements in file order; a value's
    continuation lines are unfolded, joined to it by one space."""
    manifests: Mapping[str, Mapping[str, str]]
    """Payload manifests: algorithm → {path as listed (decoded): lower-case hex}."""
    tag_manifests: Mapping[str, Mapping[str, str]]
    """Tag manifests: algorithm → {tag file path: lower-case hex}."""
    payload: tuple[str, ...]
    """Regular files actually under ``data/``, posix, sorted."""


# -- text: pure functions ----------------------------------------------------------------------


def show(text: str) -> str:
    """``text`` fit to print on one line: control, format (bidi, zero-width) and surrogate
    characters escaped, so that a crafted name can neither forge a report line nor hide."""
    out = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def split_lines(text: str) -> list[str]:
    """Lines of a text tag file: LF, CR and CRLF each end a line, and the last line's ending is
    optional (RFC 8493 §2.3). Not ``str.splitlines``, which also breaks at FF, NEL, U+2028…"""
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def text_codec(encoding: str) -> str | None:
    """Python's codec for a ``Tag-File-Character-Encoding`` value, None if there is none."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def decode_tag_file(data: bytes, codec: str, name: str) -> tuple[str, list[Finding]]:
    """A tag file's text. A BOM in a UTF-8 bag (RFC 8493 §2.3) and bytes that do not decode are
    reported; the text is returned all the same (with U+FFFD) so the other checks still run."""
    findings = []
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        message = "begins with a byte-order mark; RFC 8493 §2.3 forbids it in a UTF-8 bag"
        findings.append(ENCODING(name, message))
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode(codec), findings
    except UnicodeDecodeError as error:
        findings.append(ENCODING(name, f"is not {codec} (byte {error.start}: {error.reason})"))
        return data.decode(codec, errors="replace"), findings


@dataclass(frozen=True)
class Declaration:
    """What ``bagit.txt`` declares, and by which version's rules the bag is judged."""

    version: str | None = None
    encoding: str | None = None
    codec: str = "utf-8"
    rules: Rules = V1
    """The declared version when unfolio knows it, else 1.0."""

    @property
    def bag_info_name(self) -> str:
        return "bag-info.txt" if self.rules >= (0, 96) else "package-info.txt"


def parse_declaration(data: bytes) -> tuple[Declaration, list[Finding]]:
    """``bagit.txt`` (RFC 8493 §2.1.1): ``BagIt-Version: M.N`` then
    ``Tag-File-Character-Encoding: ENCODING``, UTF-8 without BOM, nothing else. Before 1.0,
    whitespace around the colon and blank lines are tolerated, as tools of the time wrote."""
    findings = []
    if data.startswith(codecs.BOM_UTF8):
        message = "begins with a byte-order mark; RFC 8493 §2.1.1 forbids it"
        findings.append(DECLARATION_BOM("bagit.txt", message))
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        findings.append(DECLARATION("bagit.txt", f"is not UTF-8 (byte {error.start})"))
        text = data.decode("utf-8", errors="replace")
    lines = split_lines(text)
    elements = [element for element in map(_loose_element, lines) if element]
    labels = [label.lower() for label, _ in elements]
    version = elements[0][1] if labels[:1] == ["bagit-version"] else None
    encoding = elements[1][1] if labels[1:2] == ["tag-file-character-encoding"] else None

    rules = V1
    if version is None:
        message = "does not begin with a 'BagIt-Version: M.N' line"
        findings.append(DECLARATION("bagit.txt", message))
    elif not _VERSION_NUMBER.fullmatch(version):
        findings.append(VERSION("bagit.txt", f"BagIt-Version {show(version)!r} is not M.N"))
    elif version not in KNOWN_VERSIONS:
        message = f"BagIt-Version {version} is none of {', '.join(KNOWN_VERSIONS)}; judged by 1.0"
        findings.append(VERSION("bagit.txt", message))
    else:
        major, minor = version.split(".")
        rules = (int(major), int(minor))

    if version is not None and encoding is None:
        message = "has no 'Tag-File-Character-Encoding' second line"
        findings.append(DECLARATION("bagit.txt", message))
    elif version is not None and rules >= V1:
        findings += _strict_declaration_findings(lines)
    elif version is not None and len([line for line in lines if line.strip()]) != 2:
        findings.append(DECLARATION("bagit.txt", "holds more than the two declarations"))

    codec = "utf-8"
    if encoding is not None:
        found = text_codec(encoding)
        if found is None:
            message = f"encoding {show(encoding)!r} is no character set unfolio knows; read UTF-8"
            findings.append(ENCODING("bagit.txt", message))
        else:
            codec = found
    return Declaration(version, encoding, codec, rules), findings


def _loose_element(line: str) -> tuple[str, str] | None:
    """``Label: value`` read as tools before 1.0 wrote it (whitespace around the colon is in
    neither part). Linear: a regular expression here backtracks on a line of blanks."""
    label, colon, value = line.partition(":")
    return (label.strip(), value.strip()) if colon and label.strip() else None


def _strict_declaration_findings(lines: list[str]) -> list[Finding]:
    """RFC 8493's exact form: two lines, each a label, a colon, one space and a value (labels
    are case-insensitive, as ABNF strings are)."""
    if len(lines) != 2:
        message = f"has {len(lines)} lines; RFC 8493 §2.1.1 requires exactly two"
        return [DECLARATION("bagit.txt", message)]
    findings = []
    forms = ((_STRICT_VERSION, "BagIt-Version"), (_STRICT_ENCODING, "Tag-File-Character-Encoding"))
    for number, (line, (form, label)) in enumerate(zip(lines, forms, strict=True), start=1):
        if not form.fullmatch(line):
            message = (
                f"line {number} {show(line)!r} is not exactly '{label}: VALUE' "
                "(one space after the colon, no other whitespace; RFC 8493 §2.1.1)"
            )
            findings.append(DECLARATION("bagit.txt", message))
    return findings


def parse_bag_info(
    text: str, *, name: str, rules: Rules
) -> tuple[list[tuple[str, str]], list[Finding]]:
    """Elements of ``bag-info.txt`` in file order (RFC 8493 §2.2.2), continuation lines
    unfolded. From 1.0 a line is a label that neither starts nor ends with whitespace, a colon,
    one space or tab, and the value. Before 1.0, whitespace around the colon is in neither."""
    elements: list[tuple[str, str]] = []
    findings: list[Finding] = []
    strict = rules >= V1
    for number, line in enumerate(split_lines(text), start=1):
        if len(line) > MAX_LINE_CHARS:
            message = f"line {number} is longer than {MAX_LINE_CHARS} characters; skipped"
            findings.append(TOO_LARGE(name, message))
            continue
        if not line.strip():
            if strict and not line:
                findings.append(INFO_SYNTAX(name, f"line {number} is empty"))
            continue
        if line[0] in " \t":
            if not elements:
                message = f"line {number} continues a value but no element precedes it"
                findings.append(INFO_SYNTAX(name, message))
                continue
            label, value = elements[-1]
            elements[-1] = (label, f"{value} {line.strip()}" if value else line.strip())
            continue
        label, colon, value = line.partition(":")
        if not colon or not label.strip():
            findings.append(
                INFO_SYNTAX(name, f"line {number} {show(line)!r} is not 'Label: value'")
            )
            continue
        if strict:
            problem = None
            if label != label.strip():
                problem = "the label ends with whitespace"
            elif value[:1] not in (" ", "\t"):
                problem = "the colon is not followed by a space or tab"
            if problem:
                message = f"line {number} {show(line)!r}: {problem} (RFC 8493 §2.2.2)"
                findings.append(INFO_SYNTAX(name, message))
            value = value[1:] if value[:1] in (" ", "\t") else value
        else:
            value = value.strip()
        elements.append((label.strip(), value))
    return elements, findings


def element_findings(elements: list[tuple[str, str]], *, name: str, rules: Rules) -> list[Finding]:
    """The reserved elements whose form RFC 8493 §2.2.2 fixes — Bagging-Date, Bag-Count and,
    from 1.0, those that should not repeat. (Payload-Oxum is checked against the payload.)"""
    findings = []
    counts: dict[str, int] = defaultdict(int)
    for label, value in elements:
        key = label.lower()
        counts[key] += 1
        if key == "bagging-date" and not _is_iso_date(value):
            findings.append(INFO_VALUE(name, f"{label} {show(value)!r} is not YYYY-MM-DD"))
        if key == "bag-count" and not _BAG_COUNT.fullmatch(value.strip()):
            findings.append(INFO_VALUE(name, f"{label} {show(value)!r} is not 'N of T'"))
    if rules >= V1:
        for key in _SHOULD_NOT_REPEAT:
            if counts[key] > 1:
                label = next(label for label, _ in elements if label.lower() == key)
                message = f"{label} is given {counts[key]} times; RFC 8493 §2.2.2: once"
                findings.append(INFO_REPEATED(name, message))
    return findings


def _is_iso_date(value: str) -> bool:
    try:
        return bool(_ISO_DATE.fullmatch(value)) and bool(date.fromisoformat(value))
    except ValueError:
        return False


# -- paths, manifest and fetch lines: pure functions -------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One usable line of a manifest or of ``fetch.txt``."""

    line: int
    path: str
    """What the line names in the bag: percent-decoded, without ``./``, ``.`` or ``//``."""
    literal: str | None = None
    """The path read without percent-decoding, where that differs: a 1.0 bag made by a tool
    that does not encode ``%`` (most do not) names its files that way."""
    checksum: str | None = None
    """Lower-case hex; None when the line's checksum is unusable (reported)."""
    folder: bool = False
    """The path ends with ``/``, so it can only name a folder."""


def unsafe_reason(path: str) -> str | None:
    """Why ``path`` could lead outside the bag on some system (RFC 8493 §5.1), or None.

    Windows forms are refused everywhere: a bag judged here may be unpacked on Windows."""
    if not path:
        return "is empty"
    if "\x00" in path:
        return "contains a NUL character"
    if path.startswith("/"):
        return "is absolute"
    if path.startswith("\\"):
        return "is a Windows rooted or UNC path"
    if _DRIVE.match(path):
        return "starts with a drive letter"
    if path.startswith("~"):
        return "starts with a home-folder shortcut '~'"
    if _WINDOWS_VARIABLE.match(path):
        return "starts with a Windows environment variable"
    if ".." in re.split(r"[/\\]", path):
        return "climbs with '..'"
    return None


def decode_path(raw: str, *, rules: Rules) -> tuple[str, str | None, bool]:
    """``(decoded, literal, well_encoded)`` for a path in a manifest or ``fetch.txt``.

    RFC 8493 §2.1.3: in 1.0, CR, LF and ``%`` — those and only those — are written ``%0D``,
    ``%0A``, ``%25``. Any other ``%`` shows a writer that did not encode: the path is then taken
    literally and reported. Before 1.0 only CR and LF were encoded; ``%7E`` is just a name."""
    if "%" not in raw:
        return raw, None, True
    if rules >= V1:
        if re.search(r"%(?!25|0[aAdD])", raw):
            return raw, None, False
        decoded = re.sub(r"%(25|0[aAdD])", lambda m: chr(int(m.group(1), 16)), raw)
    else:
        decoded = re.sub(r"%(0[aAdD])", lambda m: chr(int(m.group(1), 16)), raw)
    return decoded, (raw if decoded != raw else None), True


def canonical_path(path: str) -> str:
    """``path`` without ``./`` before it, ``.`` or empty segments, or a trailing ``/``."""
    return "/".join(segment for segment in path.split("/") if segment not in ("", "."))


def parse_path(
    raw: str, number: int, *, name: str, rules: Rules, checksum: str | None = None
) -> tuple[Entry | None, list[Finding]]:
    """The entry a manifest or fetch path makes, and what is wrong with how it is written. An
    unsafe path gives no entry: it is reported and never looked at again."""
    decoded, literal, well_encoded = decode_path(raw, rules=rules)
    path = canonical_path(decoded)
    reason = unsafe_reason(raw) or unsafe_reason(decoded) or (None if path else "names no file")
    if reason:
        return None, [PATH_UNSAFE(name, f"line {number}: {show(raw)!r} {reason}; not opened")]
    findings = []
    if not well_encoded:
        message = f"line {number}: '%' in {show(raw)!r} is not written %25; read literally"
        findings.append(PATH_ENCODING(name, message))
    if rules >= V1 and path != decoded.rstrip("/"):
        message = f"line {number}: {show(raw)!r} is {show(path)!r} written plainly"
        findings.append(PATH_FORM(name, message))
    literal = canonical_path(literal) if literal else None
    return Entry(number, path, literal, checksum, decoded.endswith("/")), findings


def parse_manifest(
    text: str, *, name: str, digits: int | None, rules: Rules
) -> tuple[list[Entry], list[Finding]]:
    """The lines of a (tag) manifest (RFC 8493 §2.1.3): ``checksum 1*(space|tab) path``.

    ``digits`` is the checksum length of the algorithm (None if unknown). md5sum's formats —
    ``*`` before the path, ``\\`` before a line whose path has escapes — are accepted with a
    warning, as §6.1.3 allows."""
    entries: list[Entry] = []
    findings: list[Finding] = []
    md5sum_lines = []
    for number, line in enumerate(split_lines(text), start=1):
        if len(line) > MAX_LINE_CHARS:
            message = f"line {number} is longer than {MAX_LINE_CHARS} characters; skipped"
            findings.append(TOO_LARGE(name, message))
            continue
        if not line.strip():
            continue
        escaped = bool(_MD5SUM_ESCAPED.match(line))
        match = _MANIFEST_LINE.fullmatch(line[1:] if escaped else line)
        if not match or not match.group(1) or not match.group(3):
            message = f"line {number} {show(line)!r} is not 'checksum path'"
            findings.append(MANIFEST_SYNTAX(name, message))
            continue
        checksum, separator, raw = match.groups()
        if escaped:
            raw = raw.replace("\\\\", "\0").replace("\\n", "\n").replace("\0", "\\")
        if separator == " " and raw.startswith("*"):
            raw = raw[1:]
            escaped = True
        if escaped:
            md5sum_lines.append(number)
        if not _HEX.fullmatch(checksum) or (digits is not None and len(checksum) != digits):
            wanted = f"{digits} hex digits" if digits else "hex digits"
            message = f"line {number}: checksum {show(checksum)!r} is not {wanted}"
            findings.append(MANIFEST_SYNTAX(name, message))
            checksum = ""
        entry, found = parse_path(
            raw, number, name=name, rules=rules, checksum=checksum.lower() or None
        )
        findings += found
        if entry is not None:
            entries.append(entry)
    if md5sum_lines:
        message = (
            f"line {_numbers(md5sum_lines)} in md5sum's format ('*' or '\\' marker): accepted, "
            "but not strict BagIt (RFC 8493 §6.1.3)"
        )
        findings.append(MD5SUM_FORMAT(name, message))
    return entries, findings


def parse_fetch(text: str, *, rules: Rules) -> tuple[list[Entry], list[Finding]]:
    """The lines of ``fetch.txt`` (RFC 8493 §2.2.3): absolute URL, length or ``-``, path."""
    name = "fetch.txt"
    entries: list[Entry] = []
    findings: list[Finding] = []
    for number, line in enumerate(split_lines(text), start=1):
        if len(line) > MAX_LINE_CHARS:
            message = f"line {number} is longer than {MAX_LINE_CHARS} characters; skipped"
            findings.append(TOO_LARGE(name, message))
            continue
        if not line.strip():
            continue
        match = _FETCH_LINE.fullmatch(line)
        if not match or not match.group(3):
            findings.append(FETCH(name, f"line {number} {show(line)!r} is not 'URL length path'"))
            continue
        url, length, raw = match.groups()
        if not _ABSOLUTE_URI.fullmatch(url):
            findings.append(FETCH(name, f"line {number}: {show(url)!r} is not an absolute URI"))
        if length != "-" and not re.fullmatch(r"[0-9]+", length):
            message = f"line {number}: length {show(length)!r} is neither a number nor '-'"
            findings.append(FETCH(name, message))
        entry, found = parse_path(raw, number, name=name, rules=rules)
        findings += found
        if entry is not None:
            entries.append(entry)
    return entries, findings


def _numbers(numbers: list[int], limit: int = 5) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


# -- the folder, listed and read without following a link --------------------------------------

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_O_FILE = _O_READ | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_AT_SUPPORTED = (
    os.open in os.supports_dir_fd
    and os.stat in os.supports_dir_fd
    and os.readlink in os.supports_dir_fd
    and os.scandir in os.supports_fd
)


class NotRegularFile(OSError):
    """What should be a regular file is a link, folder, device or FIFO (or turned into one)."""


class TooLarge(OSError):
    """A file is larger than the cap it is read under."""


@dataclass
class Listing:
    """Everything below the bag's root, found without following links."""

    files: dict[str, int] = field(default_factory=dict)
    """Regular files: posix path → size."""
    folders: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)
    """Symbolic links: path → where they point (shown, never followed)."""
    special: dict[str, str] = field(default_factory=dict)
    """Devices, FIFOs and sockets: path → what they are."""
    blind: set[str] = field(default_factory=set)
    """Folders that could not be listed (unreadable, too deep): what they hold is unknown."""
    complete: bool = True
    """False when the listing stopped early (too many entries)."""
    findings: list[Finding] = field(default_factory=list)

    def kind(self, path: str) -> str | None:
        for kind, paths in (
            ("file", self.files),
            ("folder", self.folders),
            ("link", self.links),
            ("special", self.special),
        ):
            if path in paths:
                return kind
        return None

    def unseen(self, path: str) -> bool:
        """Whether ``path`` lies where the listing did not look: below a folder it could not
        list, or behind a link or special file (reported, so not to be called missing)."""
        if not self.complete:
            return True
        parents = ["/".join(path.split("/")[:end]) for end in range(1, path.count("/") + 1)]
        return any(
            parent in self.blind or parent in self.links or parent in self.special
            for parent in [*parents, path]
        )

    @property
    def payload_known(self) -> bool:
        """Whether every file under ``data/`` was listed."""
        return self.complete and not any(
            folder == "data" or folder.startswith("data/") for folder in self.blind
        )


class BagFolder:
    """Read-only access to the files below one folder, which it never leaves.

    Every path is opened one folder at a time from the root with ``O_NOFOLLOW | O_DIRECTORY``
    (``openat``), so a link anywhere on the way fails instead of being followed, and a file is
    opened only after ``lstat`` says it is regular, then checked again with ``fstat`` (a FIFO or
    device is never opened). Where the platform has no ``openat`` (Windows), every step is
    checked with ``lstat`` instead."""

    def __init__(self, root: Path):
        self.root = root

    def _open_folder(self, parts: tuple[str, ...]) -> int:
        fd = os.open(self.root, _O_READ | _O_DIRECTORY)
        try:
            for part in parts:
                inner = os.open(part, _O_READ | _O_DIRECTORY | _O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = inner
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _checked_path(self, parts: tuple[str, ...]) -> Path:
        """Without ``openat``: the path, after checking that each folder on it is no link."""
        here = self.root
        for part in parts[:-1]:
            here = here / part
            if not stat.S_ISDIR(os.lstat(here).st_mode):
                raise NotRegularFile(f"{here} is not a folder")
        return here / parts[-1] if parts else here

    def _lstat(self, parts: tuple[str, ...]) -> os.stat_result:
        if not _AT_SUPPORTED:
            return os.lstat(self._checked_path(parts))
        fd = self._open_folder(parts[:-1])
        try:
            return os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        finally:
            os.close(fd)

    def scan(self, parts: tuple[str, ...]) -> list[tuple[str, os.stat_result]]:
        """The names in one folder with their ``lstat``, sorted."""
        if _AT_SUPPORTED:
            fd = self._open_folder(parts)
            try:
                with os.scandir(fd) as found:
                    return sorted((e.name, e.stat(follow_symlinks=False)) for e in found)
            finally:
                os.close(fd)
        folder = self._checked_path((*parts, "."))
        with os.scandir(folder) as found:
            return sorted((e.name, e.stat(follow_symlinks=False)) for e in found)

    def readlink(self, parts: tuple[str, ...]) -> str:
        """Where a link points, for the message; never followed."""
        try:
            if not _AT_SUPPORTED:
                return os.readlink(self._checked_path(parts))
            fd = self._open_folder(parts[:-1])
            try:
                return os.readlink(parts[-1], dir_fd=fd)
            finally:
                os.close(fd)
        except OSError:
            return "?"

    def open_regular(self, path: str) -> int:
        """A read-only descriptor of the regular file at ``path`` (posix, relative)."""
        parts = tuple(path.split("/"))
        before = self._lstat(parts)
        if not stat.S_ISREG(before.st_mode):
            raise NotRegularFile(f"{path} is not a regular file")
        if _AT_SUPPORTED:
            folder = self._open_folder(parts[:-1])
            try:
                fd = os.open(parts[-1], _O_FILE, dir_fd=folder)
            finally:
                os.close(folder)
        else:
            fd = os.open(self._checked_path(parts), _O_FILE)
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (
            before.st_dev,
            before.st_ino,
        ):
            os.close(fd)
            raise NotRegularFile(f"{path} changed while it was opened")
        return fd

    def read(self, path: str, limit: int) -> bytes:
        """The whole file; :class:`TooLarge` beyond ``limit`` bytes."""
        with os.fdopen(self.open_regular(path), "rb") as handle:
            if os.fstat(handle.fileno()).st_size > limit:
                raise TooLarge(f"{path} is larger than {limit} bytes")
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(f"{path} is larger than {limit} bytes")
        return data

    def digests(self, path: str, algorithms: Iterable[str]) -> dict[str, str]:
        """Hex digests of the file for the hashlib names given, from one read in chunks."""
        hashers = {name: hashlib.new(name, usedforsecurity=False) for name in set(algorithms)}
        with os.fdopen(self.open_regular(path), "rb", buffering=0) as handle:
            buffer = bytearray(CHUNK_BYTES)
            view = memoryview(buffer)
            while count := handle.readinto(buffer):
                for hasher in hashers.values():
                    hasher.update(view[:count])
        return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def list_bag(folder: BagFolder) -> Listing:
    """Everything below the bag's root, without following links. Links and special files are
    reported here, once, whether or not a manifest lists them."""
    listing = Listing()
    pending: list[tuple[str, ...]] = [()]
    count = 0
    while pending:
        parts = pending.pop()
        try:
            entries = folder.scan(parts)
        except OSError as error:
            where = "/".join(parts)
            listing.findings.append(UNREADABLE(show(where), f"cannot be listed: {_why(error)}"))
            listing.blind.add(where)
            continue
        for name, info in reversed(entries):  # pushed in reverse, popped in order
            count += 1
            if count > MAX_ENTRIES:
                message = f"holds more than {MAX_ENTRIES} files and folders; the rest is unseen"
                listing.findings.append(TOO_LARGE("", message))
                listing.complete = False
                return listing
            path = "/".join((*parts, name))
            if stat.S_ISLNK(info.st_mode):
                listing.links[path] = target = folder.readlink((*parts, name))
                message = f"is a symbolic link to {show(target)!r}; not followed"
                listing.findings.append(SYMLINK(show(path), message))
            elif stat.S_ISDIR(info.st_mode):
                listing.folders.add(path)
                if len(parts) + 1 < MAX_DEPTH:
                    pending.append((*parts, name))
                else:
                    message = f"is nested {MAX_DEPTH} folders deep; what it holds is not listed"
                    listing.findings.append(TOO_LARGE(show(path), message))
                    listing.blind.add(path)
            elif stat.S_ISREG(info.st_mode):
                listing.files[path] = info.st_size
            else:
                listing.special[path] = what = _special_kind(info.st_mode)
                listing.findings.append(SPECIAL_FILE(show(path), f"is a {what}; never opened"))
    return listing


def _special_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def _why(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


# -- the judgement -----------------------------------------------------------------------------


@dataclass
class Manifest:
    """A payload or tag manifest file, as far as it could be read."""

    name: str
    algorithm: str
    hasher: str | None
    """hashlib's name for the algorithm; None when unfolio cannot compute it (reported)."""
    entries: list[Entry] | None = None
    """The lines naming what this kind of manifest may list; None if unreadable (reported)."""


@dataclass
class _Bag:
    """What the checks share: the folder, its listing, the declared rules, the findings."""

    folder: BagFolder
    listing: Listing
    unfolio: bool
    declaration: Declaration = field(default_factory=Declaration)
    findings: list[Finding] = field(default_factory=list)
    lf_only: dict[str, bool] = field(default_factory=dict)
    """For each text tag file read: whether every line, the last too, ends with LF alone."""
    declaration_bytes: bytes | None = None

    @property
    def rules(self) -> Rules:
        return self.declaration.rules

    def read(self, name: str, limit: int) -> bytes | None:
        """A tag file's bytes, or None (reported) when it cannot be read. Links and special
        files are not read; the listing has reported them."""
        if self.listing.kind(name) in ("link", "special"):
            return None
        try:
            return self.folder.read(name, limit)
        except TooLarge:
            self.findings.append(TOO_LARGE(show(name), f"is larger than {limit} bytes; not read"))
        except NotRegularFile:
            self.findings.append(UNREADABLE(show(name), "is not a regular file; not read"))
        except OSError as error:
            self.findings.append(UNREADABLE(show(name), f"cannot be read: {_why(error)}"))
        return None

    def read_text(self, name: str, limit: int) -> str | None:
        """A text tag file in the bag's encoding, or None (reported)."""
        data = self.read(name, limit)
        if data is None:
            return None
        self.lf_only[name] = _lf_only(data, self.declaration.codec)
        text, found = decode_tag_file(data, self.declaration.codec, name)
        self.findings += found
        return text


def _lf_only(data: bytes, codec: str) -> bool:
    """Whether every line ends with LF alone (judged in UTF-8 only: a bag in another encoding
    is no unfolio bag, and is told so once)."""
    return codec != "utf-8" or not data or (b"\r" not in data and data.endswith(b"\n"))


def check_bag(root: Path, *, unfolio_layout: bool = True) -> tuple[BagReading, list[Finding]]:
    """Judge the bag at ``root`` by RFC 8493 (or the earlier version it declares) and, with
    ``unfolio_layout``, by unfolio's own layout. Never raises for what the bag holds."""
    root = Path(root)  # followed if a link: the caller named it; nothing below it is followed
    nothing: Mapping[str, Mapping[str, str]] = MappingProxyType({})
    empty = BagReading(root, None, None, (), nothing, nothing, ())
    try:
        is_folder = stat.S_ISDIR(os.stat(root).st_mode)
    except OSError as error:
        return empty, [DIRECTORY("", f"{show(str(root))} cannot be read: {_why(error)}")]
    if not is_folder:
        return empty, [DIRECTORY("", f"{show(str(root))} is not a folder")]

    folder = BagFolder(root)
    listing = list_bag(folder)
    if "" in listing.blind:  # the root itself could not be listed: nothing else can be said
        return empty, listing.findings
    bag = _Bag(folder, listing, unfolio_layout, findings=list(listing.findings))
    _check_declaration(bag)
    if listing.kind("data") != "folder":
        bag.findings.append(PAYLOAD_DIRECTORY("data", "the bag has no data/ folder"))
    manifests = _load_manifests(bag, "manifest")
    tag_manifests = _load_manifests(bag, "tagmanifest")
    if not manifests:
        bag.findings.append(MANIFEST_MISSING("", "the bag has no manifest-ALGORITHM.txt"))
    info = _check_bag_info(bag)
    fetched = _check_fetch(bag, manifests)
    wanted = _check_payload(bag, manifests, fetched)
    wanted.update(_check_tag_manifests(bag, manifests, tag_manifests))
    _check_fixity(bag, wanted)
    _check_names(bag, manifests)
    _check_weak_algorithms(bag, manifests)
    if unfolio_layout:
        _check_unfolio_layout(bag, manifests, tag_manifests, info)

    reading = BagReading(
        root=root,
        version=bag.declaration.version,
        encoding=bag.declaration.encoding,
        info=tuple(info),
        manifests=_as_mapping(manifests),
        tag_manifests=_as_mapping(tag_manifests),
        payload=tuple(sorted(path for path in listing.files if path.startswith("data/"))),
    )
    return reading, bag.findings


def _as_mapping(manifests: list[Manifest]) -> Mapping[str, Mapping[str, str]]:
    result = {}
    for manifest in manifests:
        listed: dict[str, str] = {}
        for entry in manifest.entries or ():
            if entry.checksum is not None:
                listed.setdefault(entry.path, entry.checksum)
        result[manifest.algorithm] = MappingProxyType(listed)
    return MappingProxyType(result)


def _check_declaration(bag: _Bag) -> None:
    """Read ``bagit.txt``, which sets the rules the rest of the bag is judged by."""
    kind = bag.listing.kind("bagit.txt")
    if kind in (None, "folder"):
        message = "the bag has no bagit.txt" if kind is None else "is a folder"
        bag.findings.append(DECLARATION("bagit.txt", message))
        return
    data = bag.read("bagit.txt", MAX_TAG_FILE_BYTES)
    if data is None:
        if kind != "file":
            bag.findings.append(DECLARATION("bagit.txt", "is not a regular file; not read"))
        return
    bag.declaration, found = parse_declaration(data)
    bag.findings += found
    bag.lf_only["bagit.txt"] = _lf_only(data, "utf-8")
    bag.declaration_bytes = data


def _load_manifests(bag: _Bag, prefix: str) -> list[Manifest]:
    """Every ``{prefix}-ALGORITHM.txt`` in the root, read, parsed and held to its scope."""
    pattern = re.compile(rf"{prefix}-(.*)\.txt", re.DOTALL)
    listing = bag.listing
    found = {
        name: match.group(1)
        for name in (*listing.files, *listing.links, *listing.special)
        if "/" not in name and (match := pattern.fullmatch(name))
    }
    manifests = []
    for name, algorithm in sorted(found.items()):
        manifest = Manifest(name, algorithm, _hasher(bag, name, algorithm))
        text = bag.read_text(name, MAX_MANIFEST_BYTES)
        if text is not None:
            digits = _digits(manifest.hasher)
            entries, problems = parse_manifest(text, name=name, digits=digits, rules=bag.rules)
            bag.findings += problems
            manifest.entries = _in_scope(bag, name, entries, payload=prefix == "manifest")
        manifests.append(manifest)
    return manifests


def _digits(hasher: str | None) -> int | None:
    return hashlib.new(hasher, usedforsecurity=False).digest_size * 2 if hasher else None


def _hasher(bag: _Bag, name: str, algorithm: str) -> str | None:
    """hashlib's name for a manifest's algorithm (RFC 8493 §2.4: lower case, alphanumerics)."""
    normalized = re.sub(r"[^a-z0-9]", "", algorithm.lower())
    if normalized != algorithm:
        message = f"{show(algorithm)!r} is not a normalized algorithm name ({normalized!r})"
        bag.findings.append(ALGORITHM(show(name), message))
    hasher = _HASHLIB.get(normalized)
    try:
        if hasher is not None:
            hashlib.new(hasher, usedforsecurity=False)
            return hasher
    except ValueError:
        pass
    message = f"unfolio cannot compute {show(algorithm)!r}; these checksums are not verified"
    bag.findings.append(ALGORITHM(show(name), message))
    return None


def _in_scope(bag: _Bag, name: str, entries: list[Entry], *, payload: bool) -> list[Entry]:
    """The entries a manifest of its kind may hold (RFC 8493 §2.1.3, §2.2.1): payload manifests
    list files under ``data/``; tag manifests no payload files and, from 1.0, no tag manifests.
    The others are reported and dropped."""
    kept = []
    for entry in entries:
        in_payload = entry.path.startswith("data/") or entry.path == "data"
        if payload and not in_payload:
            problem = "is outside data/"
        elif not payload and in_payload:
            problem = "is a payload file, which tag manifests must not list"
        elif not payload and bag.rules >= V1 and _TAG_MANIFEST.fullmatch(entry.path):
            problem = "is a tag manifest, which tag manifests must not list"
        else:
            kept.append(entry)
            continue
        message = f"line {entry.line}: {show(entry.path)!r} {problem}"
        bag.findings.append(MANIFEST_SCOPE(show(name), message))
    return kept


def _check_bag_info(bag: _Bag) -> list[tuple[str, str]]:
    """``bag-info.txt`` (optional): its syntax, reserved elements and Payload-Oxum."""
    name = bag.declaration.bag_info_name
    if bag.listing.kind(name) is None:
        return []
    text = bag.read_text(name, MAX_TAG_FILE_BYTES)
    if text is None:
        return []
    elements, found = parse_bag_info(text, name=name, rules=bag.rules)
    bag.findings += found
    bag.findings += element_findings(elements, name=name, rules=bag.rules)
    bag.findings += _oxum_findings(bag, elements, name)
    return elements


def _oxum_findings(bag: _Bag, elements: list[tuple[str, str]], name: str) -> list[Finding]:
    """Payload-Oxum (RFC 8493 §2.2.2) against the regular files under ``data/``. A mismatch
    says only that something differs: the file-by-file checks run regardless and name it."""
    values = [value.strip() for label, value in elements if label.lower() == "payload-oxum"]
    findings = []
    if len(values) > 1 and bag.rules >= V1:
        message = f"Payload-Oxum is given {len(values)} times; RFC 8493 §2.2.2: once"
        findings.append(OXUM(name, message))
    sizes = [size for path, size in bag.listing.files.items() if path.startswith("data/")]
    found = f"{sum(sizes)}.{len(sizes)}"
    for value in values:
        match = _OXUM.fullmatch(value)
        if not match:
            message = f"Payload-Oxum {show(value)!r} is not OctetCount.StreamCount"
            findings.append(OXUM(name, message))
        elif bag.listing.payload_known and _oxum_number(match) != found:
            message = (
                f"Payload-Oxum is {value} but the payload holds {len(sizes)} files of "
                f"{sum(sizes)} bytes ({found}); the file-by-file findings name what differs"
            )
            findings.append(OXUM(name, message))
    return findings


def _oxum_number(match: re.Match[str]) -> str:
    """OctetCount.StreamCount without leading zeros (compared as text: ``int()`` refuses more
    than 4300 digits, and a hostile bag may give more)."""
    return ".".join(group.lstrip("0") or "0" for group in match.groups())


def _check_fetch(bag: _Bag, manifests: list[Manifest]) -> set[str]:
    """``fetch.txt`` (RFC 8493 §2.2.3): its lines name payload files listed in every payload
    manifest. Nothing is ever downloaded: a file to fetch that is absent is missing. Returns
    the paths it names."""
    if bag.listing.kind("fetch.txt") is None:
        return set()
    text = bag.read_text("fetch.txt", MAX_MANIFEST_BYTES)
    if text is None:
        return set()
    entries, found = parse_fetch(text, rules=bag.rules)
    bag.findings += found
    listed = [{e.path for e in m.entries} for m in manifests if m.entries is not None]
    for entry in entries:
        problem = None
        if not entry.path.startswith("data/"):
            problem = "is not a payload file"
        elif not all(entry.path in paths for paths in listed):
            problem = "is not in every payload manifest"
        if problem:
            message = f"line {entry.line}: {show(entry.path)!r} {problem} (RFC 8493 §2.2.3)"
            bag.findings.append(FETCH("fetch.txt", message))
    return {entry.path for entry in entries}


# -- completeness: the manifests against the listing -------------------------------------------

#: For each file, the checksums it must match: (hashlib name, expected hex, manifest, line).
Wanted = dict[str, list[tuple[str, str, str, int]]]
#: ("normalization" | "case", path) → the manifest lines that named it in another form.
Notes = dict[tuple[str, str], list[str]]


class _Names:
    """Regular files by the forms of their names RFC 8493 §6.1.1 says may differ in transit."""

    def __init__(self, paths: Iterable[str]):
        self.nfc: dict[str, list[str]] = defaultdict(list)
        self.folded: dict[str, list[str]] = defaultdict(list)
        for path in sorted(paths):
            normal = unicodedata.normalize("NFC", path)
            self.nfc[normal].append(path)
            self.folded[normal.casefold()].append(path)

    def by_normalization(self, path: str) -> str | None:
        found = self.nfc.get(unicodedata.normalize("NFC", path), [])
        return found[0] if len(found) == 1 else None

    def by_case(self, path: str) -> str | None:
        found = self.folded.get(unicodedata.normalize("NFC", path).casefold(), [])
        return found[0] if len(found) == 1 else None


@dataclass
class _Resolved:
    """Where the entries of one manifest led."""

    files: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    missing: list[Entry] = field(default_factory=list)
    folders: list[Entry] = field(default_factory=list)


def _resolve(bag: _Bag, manifest: Manifest, names: _Names, notes: Notes) -> _Resolved:
    """Find each entry's file in the listing: by its exact name; else by the same name in
    another Unicode normalization (tolerated and warned, RFC 8493 §6.1.1.3); else, for a 1.0
    path, by its form before percent-decoding (reported). With --bagit-only, a name that differs
    only in case from a file the same manifest also lists stands for that file, as it does on
    the case-insensitive file system such a bag was made on (warned). Links and special files
    are no files, and the listing has reported them."""
    resolved = _Resolved()
    listing = bag.listing
    for entry in manifest.entries or ():
        kind = listing.kind(entry.path)
        if entry.folder or kind == "folder":
            resolved.folders.append(entry)
        elif kind == "file":
            resolved.files[entry.path].append(entry)
        elif kind in ("link", "special") or listing.unseen(entry.path):
            continue
        elif (same := names.by_normalization(entry.path)) is not None:
            resolved.files[same].append(entry)
            notes["normalization", same].append(f"{manifest.name} line {entry.line}")
        elif entry.literal is not None and listing.kind(entry.literal) == "file":
            resolved.files[entry.literal].append(entry)
            message = (
                f"{manifest.name} line {entry.line} names it only if '%' is read literally; "
                f"RFC 8493 §2.1.3 reads {show(entry.path)!r}"
            )
            bag.findings.append(PATH_ENCODING(show(entry.literal), message))
        else:
            resolved.missing.append(entry)
    if not bag.unfolio:
        missing, resolved.missing = resolved.missing, []
        for entry in missing:
            same = names.by_case(entry.path)
            if same is not None and same in resolved.files:
                resolved.files[same].append(entry)
                notes["case", entry.path].append(f"{manifest.name} line {entry.line} ({same})")
            else:
                resolved.missing.append(entry)
    return resolved


def _check_duplicates(bag: _Bag, manifest: Manifest) -> None:
    """RFC 8493 §2.1.3: a manifest lists every file exactly once. Before 1.0 a line
    repeated with the same checksum was common and harmless (warned); two different checksums
    for one file are an error in every version."""
    lines: dict[str, list[Entry]] = defaultdict(list)
    for entry in manifest.entries or ():
        lines[entry.path].append(entry)
    for path, entries in sorted(lines.items()):
        if len(entries) < 2:
            continue
        where = f"{manifest.name} lists it on lines {_numbers([e.line for e in entries])}"
        if len({e.checksum for e in entries if e.checksum}) > 1:
            bag.findings.append(MANIFEST_DUPLICATE(show(path), f"{where} with two checksums"))
        elif bag.rules >= V1:
            message = f"{where}; RFC 8493 §2.1.3: exactly once"
            bag.findings.append(MANIFEST_DUPLICATE(show(path), message))
        else:
            bag.findings.append(MANIFEST_REPEAT(show(path), f"{where}, with the same checksum"))


def _check_payload(bag: _Bag, manifests: list[Manifest], fetched: set[str]) -> Wanted:
    """Completeness of the payload (RFC 8493 §3): every file listed is there, every payload file
    is listed — from 1.0 in every manifest, before in one. Returns the checksums to verify."""
    payload = sorted(path for path in bag.listing.files if path.startswith("data/"))
    names = _Names(payload)
    notes: Notes = defaultdict(list)
    readable = [m for m in manifests if m.entries is not None]
    missing: dict[str, list[str]] = defaultdict(list)
    folders: dict[str, list[str]] = defaultdict(list)
    covered: dict[str, set[str]] = defaultdict(set)
    wanted: Wanted = defaultdict(list)
    for manifest in readable:
        _check_duplicates(bag, manifest)
        resolved = _resolve(bag, manifest, names, notes)
        for entry in resolved.missing:
            missing[entry.path].append(f"{manifest.name} line {entry.line}")
        for entry in resolved.folders:
            folders[entry.path].append(f"{manifest.name} line {entry.line}")
        for path, entries in resolved.files.items():
            covered[path].add(manifest.name)
            for entry in entries:
                if manifest.hasher and entry.checksum:
                    wanted[path].append(
                        (manifest.hasher, entry.checksum, manifest.name, entry.line)
                    )
    for path, where in sorted(missing.items()):
        hint = "; fetch.txt names it, and unfolio never downloads" if path in fetched else ""
        message = f"{', '.join(where)} lists it, but it is not in the bag{hint}"
        bag.findings.append(FILE_MISSING(show(path), message))
    _report_folders(bag, folders)
    for path in payload if bag.listing.complete else ():
        lacking = [m.name for m in readable if m.name not in covered[path]]
        if readable and len(lacking) == len(readable):
            bag.findings.append(FILE_UNLISTED(show(path), "is in no payload manifest"))
        elif lacking and bag.rules >= V1:
            message = f"is not in {', '.join(lacking)} (RFC 8493 §3: every manifest lists it)"
            bag.findings.append(FILE_INCOMPLETE(show(path), message))
    for (kind, path), where in sorted(notes.items()):
        if kind == "normalization":
            message = (
                f"{'; '.join(where)} names it in another Unicode normalization; on disk it is "
                f"{path!a} (matched, as RFC 8493 §6.1.1.3 asks)"
            )
            bag.findings.append(NORMALIZATION(show(path), message))
        else:
            message = (
                f"differs only in case from a file the manifest also lists: {'; '.join(where)}; "
                "matched, as on the case-insensitive file system the bag was made on"
            )
            bag.findings.append(CASE_COLLISION(show(path), message))
    return wanted


def _report_folders(bag: _Bag, folders: dict[str, list[str]]) -> None:
    for path, where in sorted(folders.items()):
        message = f"{', '.join(where)} lists this folder; manifests list files only (§2.1.3)"
        bag.findings.append(MANIFEST_DIRECTORY(show(path), message))


def _check_tag_manifests(
    bag: _Bag, manifests: list[Manifest], tag_manifests: list[Manifest]
) -> Wanted:
    """Tag manifests (RFC 8493 §2.2.1): every file they list is there and, from 1.0, they list
    every payload manifest. Returns the checksums to verify."""
    wanted: Wanted = defaultdict(list)
    missing: dict[str, list[str]] = defaultdict(list)
    folders: dict[str, list[str]] = defaultdict(list)
    payload_manifests = {m.name for m in manifests}
    for manifest in tag_manifests:
        if manifest.entries is None:
            continue
        _check_duplicates(bag, manifest)  # §2.2.1: a tag manifest is a manifest, same rules
        for entry in manifest.entries:
            kind = bag.listing.kind(entry.path)
            where = f"{manifest.name} line {entry.line}"
            if entry.folder or kind == "folder":
                folders[entry.path].append(where)
            elif kind is None and not bag.listing.unseen(entry.path):
                missing[entry.path].append(where)
            elif kind == "file" and manifest.hasher and entry.checksum:
                wanted[entry.path].append(
                    (manifest.hasher, entry.checksum, manifest.name, entry.line)
                )
        omitted = sorted(payload_manifests - {entry.path for entry in manifest.entries})
        if omitted and bag.rules >= V1:
            message = f"does not list {', '.join(omitted)} (RFC 8493 §2.2.1)"
            bag.findings.append(TAGMANIFEST_INCOMPLETE(show(manifest.name), message))
    for path, where in sorted(missing.items()):
        message = f"{', '.join(where)} lists it, but it is not in the bag"
        bag.findings.append(FILE_MISSING(show(path), message))
    _report_folders(bag, folders)
    return wanted


def _check_fixity(bag: _Bag, wanted: Wanted) -> None:
    """Every checksum of every manifest against its file (RFC 8493 §3), each file read once
    for all its algorithms; each mismatch is reported with its algorithm and manifest."""
    for path, checks in sorted(wanted.items()):
        try:
            found = bag.folder.digests(path, {hasher for hasher, _, _, _ in checks})
        except NotRegularFile:
            bag.findings.append(UNREADABLE(show(path), "is no longer a regular file; not read"))
            continue
        except OSError as error:
            bag.findings.append(UNREADABLE(show(path), f"cannot be read: {_why(error)}"))
            continue
        for hasher, expected, manifest, line in checks:
            if found[hasher] != expected:
                message = f"{hasher} is {found[hasher]}, but {manifest} line {line} says {expected}"
                bag.findings.append(CHECKSUM(show(path), message))


# -- names and algorithms ----------------------------------------------------------------------


def _check_names(bag: _Bag, manifests: list[Manifest]) -> None:
    """RFC 8493 §6.1.1: files whose names differ only in Unicode normalization or only in case
    are one file on other systems (warned); files that operating systems make for themselves
    are clutter in a payload (warned)."""
    by_nfc: dict[str, list[str]] = defaultdict(list)
    for path in sorted(bag.listing.files):
        by_nfc[unicodedata.normalize("NFC", path)].append(path)
    by_case: dict[str, list[str]] = defaultdict(list)
    for normal, paths in sorted(by_nfc.items()):
        by_case[normal.casefold()].append(paths[0])
        if len(paths) > 1:
            message = (
                f"differs only in Unicode normalization from {', '.join(map(ascii, paths[1:]))}"
            )
            bag.findings.append(NORMALIZATION(show(paths[0]), message))
    for paths in by_case.values():
        if len(paths) > 1:
            message = f"differs only in case from {', '.join(map(show, paths[1:]))}"
            bag.findings.append(CASE_COLLISION(show(paths[0]), message))
    listed = {entry.path for manifest in manifests for entry in manifest.entries or ()}
    payload = {path for path in bag.listing.files if path.startswith("data/")}
    for path in sorted(listed | payload):
        *folders, name = path.split("/")[1:] or [""]
        if (
            name.lower() in _SYSTEM_NAMES
            or name.startswith("._")
            or any(folder.lower() in _SYSTEM_FOLDERS for folder in folders)
        ):
            message = "is a file an operating system made for itself, not content"
            bag.findings.append(SYSTEM_FILE(show(path), message))


def _check_weak_algorithms(bag: _Bag, manifests: list[Manifest]) -> None:
    """RFC 8493 §2.4 keeps MD5 and SHA-1 for backwards compatibility only: a 1.0 bag whose
    payload nothing stronger protects is warned about (earlier versions used them by design)."""
    algorithms = {re.sub(r"[^a-z0-9]", "", m.algorithm.lower()) for m in manifests}
    if bag.rules >= V1 and algorithms and algorithms <= _WEAK:
        for manifest in manifests:
            declared = bag.declaration.version
            judged = "1.0 bag" if declared else "bag (no version declared: judged as 1.0)"
            message = f"{manifest.algorithm} is the strongest payload checksum of this {judged}"
            bag.findings.append(WEAK_ALGORITHM(show(manifest.name), message))


# -- unfolio's layout --------------------------------------------------------------------------


def _declared_form(data: bytes | None) -> bytes:
    """bagit.txt without what other rules report (a BOM, CR line ends, no final LF)."""
    if data is None:
        return BAGIT_TXT
    text = data.removeprefix(codecs.BOM_UTF8).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return text if text.endswith(b"\n") else text + b"\n"


def _check_unfolio_layout(
    bag: _Bag,
    manifests: list[Manifest],
    tag_manifests: list[Manifest],
    info: Sequence[tuple[str, str]] = (),
) -> None:
    """What unfolio's writer (pipeline.package.bagit) promises beyond RFC 8493."""
    declaration = bag.declaration
    if declaration.version is not None and (
        declaration.version != "1.0" or declaration.codec != "utf-8"
    ):
        message = (
            f"declares BagIt {show(declaration.version)} with {show(declaration.encoding or '?')} "
            "tag files; unfolio bags are BagIt 1.0 in UTF-8"
        )
        bag.findings.append(LAYOUT_VERSION("bagit.txt", message))
    elif declaration.version is not None and _declared_form(bag.declaration_bytes) != BAGIT_TXT:
        # RFC 8493's ABNF lets labels change case and "UTF-8" be spelt otherwise; unfolio
        # writes one exact form, which every other tool reads (bagit-python needs the case)
        message = f"is not exactly {BAGIT_TXT.decode()!r}, the declaration unfolio writes"
        bag.findings.append(LAYOUT_VERSION("bagit.txt", message))
    for prefix, present in (("manifest", manifests), ("tagmanifest", tag_manifests)):
        algorithms = {manifest.algorithm for manifest in present}
        for algorithm in UNFOLIO_ALGORITHMS:
            if algorithm not in algorithms:
                message = (
                    "is missing; unfolio bags have sha256 and sha512 payload and tag manifests"
                )
                bag.findings.append(LAYOUT_MANIFESTS(f"{prefix}-{algorithm}.txt", message))
    _check_tags_listed(bag, manifests, tag_manifests, signed=layout_of(info) == LAYOUT_2)
    for name, lf_only in sorted(bag.lf_only.items()):
        if not lf_only:
            message = "has CR line ends or no LF after the last line; unfolio writes LF only"
            bag.findings.append(LAYOUT_LINE_END(show(name), message))
    for path in sorted(bag.listing.files.keys() | bag.listing.folders):
        if path.startswith("data/") and path.rsplit("/", 1)[-1].startswith("."):
            bag.findings.append(LAYOUT_HIDDEN(show(path), "is hidden; unfolio payloads hold none"))


def _check_tags_listed(
    bag: _Bag, manifests: list[Manifest], tag_manifests: list[Manifest], *, signed: bool = False
) -> None:
    """Every tag file in every tag manifest (RFC 8493 §2.2.1 says only SHOULD). From 1.0 a
    payload manifest left out is BAG-TAGMANIFEST-INCOMPLETE already, and not repeated here.
    In the 0.2 layout (``signed``) the bag's signature ``tagmanifest-sha512.txt.p7s`` is the
    one exception: it signs the tag manifest, so no tag manifest can list it (it would be
    circular); :mod:`pipeline.verify.signature` checks it instead."""
    listed = {m.name: {e.path for e in m.entries} for m in tag_manifests if m.entries is not None}
    payload_manifests = {m.name for m in manifests}
    for path in sorted(bag.listing.files):
        if path.startswith("data/") or _TAG_MANIFEST.fullmatch(path):
            continue
        if signed and path == SIGNATURE_NAME:
            continue
        if path in payload_manifests and bag.rules >= V1:
            continue
        lacking = [name for name, paths in listed.items() if path not in paths]
        if lacking:
            message = f"is not in {', '.join(lacking)}; unfolio lists every tag file in each"
            bag.findings.append(LAYOUT_TAG_UNLISTED(show(path), message))

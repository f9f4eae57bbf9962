"""Paths, manifest lines and fetch lines, decoded and judged one at a time. Pure functions."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.verify.bagit.rules import (
    FETCH,
    MANIFEST_SYNTAX,
    MAX_LINE_CHARS,
    MD5SUM_FORMAT,
    PATH_ENCODING,
    PATH_FORM,
    PATH_UNSAFE,
    TOO_LARGE,
    V1,
    Rules,
)
from pipeline.verify.bagit.text import iter_lines, show
from pipeline.verify.findings import Finding, Findings

_MANIFEST_LINE = re.compile(r"([^ \t]*)([ \t]+)(.*)")
#: A line whose path needs none of parse_path's care: it starts with neither ``/``, ``\``,
#: ``~``, ``%``, ``.``, ``*`` nor a drive, holds no ``%``, ``\``, NUL, ``//`` or ``/.``, and
#: does not end with ``/`` (so it is safe, plainly written and percent-free). Most lines are.
_PLAIN_LINE = re.compile(
    r"([0-9A-Fa-f]+)[ \t]+([A-Za-z0-9_\-](?!:)(?:[^\x00%\\/]|/(?![/.]))*)(?<!/)"
)
_MD5SUM_ESCAPED = re.compile(r"\\[0-9A-Fa-f]+[ \t]")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_FETCH_LINE = re.compile(r"(\S+)[ \t]+(\S+)[ \t]+(.*)")
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_DRIVE = re.compile(r"[A-Za-z]:")
_WINDOWS_VARIABLE = re.compile(r"%[A-Za-z_][A-Za-z0-9_()]*%")


@dataclass(frozen=True, slots=True)
class Entry:
    """One usable line of a manifest or of ``fetch.txt``."""

    line: int
    path: str
    """What the line names in the bag: percent-decoded, without ``./``, ``.`` or ``//``."""
    literal: str | None = None
    """The path read without percent-decoding, where that differs: a 1.0 bag made by a tool
    that does not encode ``%`` (most do not) names its files that way."""
    checksum: bytes | None = None
    """The digest (from hex; for an algorithm unfolio does not know, the lower-case hex's
    ASCII bytes); None when the line's checksum is unusable (reported). Bytes, not hex text:
    half the memory on a manifest of 300,000 lines."""
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
    if ".." in path and ".." in re.split(r"[/\\]", path):
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
    if "//" not in path and "." not in path[:1] and "/." not in path and path[-1:] != "/":
        return path  # already plain: most paths, most of verify's time on a long manifest
    return "/".join(segment for segment in path.split("/") if segment not in ("", "."))


def parse_path(
    raw: str, number: int, *, name: str, rules: Rules, checksum: bytes | None = None
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
    # interned: every manifest names the same files, and each name need be held once
    return Entry(number, sys.intern(path), literal, checksum, decoded.endswith("/")), findings


def parse_manifest(
    text: str | Iterable[str], *, name: str, digits: int | None, rules: Rules
) -> tuple[list[Entry], list[Finding]]:
    """The lines of a (tag) manifest (RFC 8493 §2.1.3): ``checksum 1*(space|tab) path``.

    ``digits`` is the checksum length of the algorithm (None if unknown). md5sum's formats —
    ``*`` before the path, ``\\`` before a line whose path has escapes — are accepted with a
    warning, as §6.1.3 allows."""
    entries: list[Entry] = []
    findings = Findings()
    md5sum_lines = []
    lines = iter_lines(text) if isinstance(text, str) else text
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            message = f"line {number} is longer than {MAX_LINE_CHARS} characters; skipped"
            findings.append(TOO_LARGE(name, message))
            continue
        plain = _PLAIN_LINE.fullmatch(line)
        if plain is not None and len(plain.group(1)) == digits:
            checksum, path = plain.groups()
            entries.append(Entry(number, sys.intern(path), None, bytes.fromhex(checksum)))
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
            raw, number, name=name, rules=rules, checksum=_digest(checksum, digits)
        )
        findings += found
        if entry is not None:
            entries.append(entry)
    if md5sum_lines:
        message = (
            f"line {line_numbers(md5sum_lines)} in md5sum's format ('*' or '\\' marker): accepted, "
            "but not strict BagIt (RFC 8493 §6.1.3)"
        )
        findings.append(MD5SUM_FORMAT(name, message))
    return entries, findings


def _digest(checksum: str, digits: int | None) -> bytes | None:
    if not checksum:
        return None
    return bytes.fromhex(checksum) if digits else checksum.lower().encode("ascii")


def parse_fetch(text: str, *, rules: Rules) -> tuple[list[Entry], list[Finding]]:
    """The lines of ``fetch.txt`` (RFC 8493 §2.2.3): absolute URL, length or ``-``, path."""
    name = "fetch.txt"
    entries: list[Entry] = []
    findings = Findings()
    for number, line in enumerate(iter_lines(text), start=1):
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


def line_numbers(numbers: list[int], limit: int = 5) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")

"""Tag-file text: the declaration, bag-info elements, lines in any of the line ends BagIt
allows. Pure functions.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pipeline.verify.bagit.rules import (
    DECLARATION,
    DECLARATION_BOM,
    ENCODING,
    INFO_REPEATED,
    INFO_SYNTAX,
    INFO_VALUE,
    KNOWN_VERSIONS,
    MAX_LINE_CHARS,
    TOO_LARGE,
    V1,
    VERSION,
    Rules,
)
from pipeline.verify.findings import Finding, Findings

#: Python codecs that are no character set a tag file could be written in.
_NOT_CHARSETS = {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined"}
_SHOULD_NOT_REPEAT = ("bagging-date", "bag-size", "bag-group-identifier", "bag-count")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_STRICT_VERSION = re.compile(r"BagIt-Version: \S+", re.IGNORECASE)
_STRICT_ENCODING = re.compile(r"Tag-File-Character-Encoding: \S+", re.IGNORECASE)
_VERSION_NUMBER = re.compile(r"[0-9]+\.[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BAG_COUNT = re.compile(r"[0-9]+ of ([0-9]+|\?)")


def show(text: str) -> str:
    """``text`` fit to print on one line: control, format (bidi, zero-width) and surrogate
    characters escaped, so that a crafted name can neither forge a report line nor hide."""
    if text.isascii() and text.isprintable():  # the common case, without a loop in Python
        return text
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
    lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def iter_lines(text: str) -> Iterator[str]:
    """:func:`split_lines`, one line at a time: a 48 MB manifest need not exist twice over,
    once as text and once as 300,000 line objects."""
    if "\r" in text:
        yield from split_lines(text)
        return
    start, end_of_text = 0, len(text)
    while start < end_of_text:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


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
    findings = Findings()
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

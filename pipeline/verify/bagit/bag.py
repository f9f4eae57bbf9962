"""What one judgement shares: the bag being read and its findings, its manifests, and the
:class:`BagReading` the later stages of ``unfolio verify`` get.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

from pipeline.verify.bagit.folder import BagFolder, Listing, NotRegularFile, TooLarge, why
from pipeline.verify.bagit.lines import Entry
from pipeline.verify.bagit.rules import CHUNK_BYTES, ENCODING, TOO_LARGE, UNREADABLE, Rules
from pipeline.verify.bagit.text import Declaration, decode_tag_file, iter_lines, show
from pipeline.verify.findings import Findings


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
    digests: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    """Payload files hashed by the fixity check: path → {hashlib name: hex}, as read (so a
    later stage comparing PREMIS fixity need not read every file again)."""


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
class BagState:
    """What the checks share: the folder, its listing, the declared rules, the findings."""

    folder: BagFolder
    listing: Listing
    unfolio: bool
    declaration: Declaration = field(default_factory=Declaration)
    findings: Findings = field(default_factory=Findings)
    lf_only: dict[str, bool] = field(default_factory=dict)
    digests: dict[str, dict[str, str]] = field(default_factory=dict)
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
            self.findings.append(UNREADABLE(show(name), f"cannot be read: {why(error)}"))
        return None

    def read_lines(self, name: str, limit: int) -> Iterator[str] | None:
        """A text tag file's lines, read and decoded a chunk at a time (a manifest of 300,000
        lines is never held whole), or None (reported) when it cannot be opened."""
        if self.listing.kind(name) in ("link", "special"):
            return None
        try:
            handle = os.fdopen(self.folder.open_regular(name), "rb", buffering=0)
        except NotRegularFile:
            self.findings.append(UNREADABLE(show(name), "is not a regular file; not read"))
            return None
        except OSError as error:
            self.findings.append(UNREADABLE(show(name), f"cannot be read: {why(error)}"))
            return None
        if os.fstat(handle.fileno()).st_size > limit:
            handle.close()
            self.findings.append(TOO_LARGE(show(name), f"is larger than {limit} bytes; not read"))
            return None
        return decoded_lines(self, name, handle, limit)

    def read_text(self, name: str, limit: int) -> str | None:
        """A text tag file in the bag's encoding, or None (reported)."""
        data = self.read(name, limit)
        if data is None:
            return None
        self.lf_only[name] = ends_lf_only(data, self.declaration.codec)
        text, found = decode_tag_file(data, self.declaration.codec, name)
        self.findings += found
        return text


def decoded_lines(bag: BagState, name: str, handle: BinaryIO, limit: int) -> Iterator[str]:
    """The lines of an open text tag file, decoded one chunk at a time (what
    :meth:`BagState.read_text` and :func:`decode_tag_file` report, reported the same way)."""
    codec = bag.declaration.codec
    decoder = codecs.getincrementaldecoder(codec)("strict")
    # the start of a line not yet ended, in pieces: joined once when its end comes (a 64 MiB
    # line is copied once, not once per chunk)
    carry: list[str] = []
    offset, carriage, last, bad = 0, False, b"", False
    with handle:
        while True:
            try:
                chunk = handle.read(CHUNK_BYTES)
            except OSError as error:
                bag.findings.append(UNREADABLE(show(name), f"cannot be read: {why(error)}"))
                return
            if offset == 0 and codec == "utf-8" and chunk.startswith(codecs.BOM_UTF8):
                message = "begins with a byte-order mark; RFC 8493 §2.3 forbids it in a UTF-8 bag"
                bag.findings.append(ENCODING(name, message))
                chunk = chunk[len(codecs.BOM_UTF8) :]
                offset += len(codecs.BOM_UTF8)
            if offset + len(chunk) > limit:
                bag.findings.append(TOO_LARGE(show(name), f"grew past {limit} bytes; not read"))
                return
            carriage |= b"\r" in chunk
            last = chunk[-1:] or last
            final = not chunk
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as error:
                if not bad:
                    at = offset + max(error.start, 0)
                    message = f"is not {codec} (byte {at}: {error.reason})"
                    bag.findings.append(ENCODING(name, message))
                    bad = True
                decoder = codecs.getincrementaldecoder(codec)("replace")
                text = decoder.decode(chunk, final)
            offset += len(chunk)
            if not final and "\n" not in text and "\r" not in text:
                carry.append(text)
                continue
            text = "".join(carry) + text
            carry = []
            if final:
                bag.lf_only[name] = (
                    codec != "utf-8" or not offset or (not carriage and last == b"\n")
                )
                yield from iter_lines(text)
                return
            cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1))
            if cut < 0:  # a lone CR at the very end: its LF may be in the next chunk
                carry.append(text)
                continue
            yield from iter_lines(text[: cut + 1])
            carry.append(text[cut + 1 :])


def ends_lf_only(data: bytes, codec: str) -> bool:
    """Whether every line ends with LF alone (judged in UTF-8 only: a bag in another encoding
    is no unfolio bag, and is told so once)."""
    return codec != "utf-8" or not data or (b"\r" not in data and data.endswith(b"\n"))

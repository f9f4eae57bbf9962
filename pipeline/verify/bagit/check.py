""":func:`check_bag`: the order of the checks, and those of the declaration, bag-info,
``fetch.txt``, names, algorithms and unfolio's own layout.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from pipeline.package.bagit import BAGIT_TXT
from pipeline.verify.bagit.bag import BagReading, BagState, Manifest, ends_lf_only
from pipeline.verify.bagit.completeness import check_fixity, check_payload, check_tag_manifests
from pipeline.verify.bagit.folder import BagFolder, list_bag, why
from pipeline.verify.bagit.lines import Entry, parse_fetch, parse_manifest
from pipeline.verify.bagit.rules import (
    ALGORITHM,
    CASE_COLLISION,
    DECLARATION,
    DIRECTORY,
    FETCH,
    LAYOUT_EMPTY_FOLDER,
    LAYOUT_HIDDEN,
    LAYOUT_LINE_END,
    LAYOUT_MANIFESTS,
    LAYOUT_TAG_UNLISTED,
    LAYOUT_VERSION,
    MANIFEST_MISSING,
    MANIFEST_SCOPE,
    MAX_MANIFEST_BYTES,
    MAX_TAG_FILE_BYTES,
    NORMALIZATION,
    OXUM,
    PAYLOAD_DIRECTORY,
    SIGNATURE_NAME,
    SYSTEM_FILE,
    UNFOLIO_ALGORITHMS,
    V1,
    WEAK_ALGORITHM,
)
from pipeline.verify.bagit.text import element_findings, parse_bag_info, parse_declaration, show
from pipeline.verify.findings import Finding, Findings
from pipeline.verify.layouts import LAYOUT_2, layout_of

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
#: What operating systems leave in folders (compared case-insensitively), and folders they fill.
_SYSTEM_NAMES = {".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", ".directory", "icon\r"}
_SYSTEM_FOLDERS = {".spotlight-v100", ".trashes", ".fseventsd", "$recycle.bin", "__macosx"}
_OXUM = re.compile(r"([0-9]+)\.([0-9]+)")
_TAG_MANIFEST = re.compile(r"tagmanifest-.*\.txt", re.DOTALL)


def check_bag(root: Path, *, unfolio_layout: bool = True) -> tuple[BagReading, list[Finding]]:
    """Judge the bag at ``root`` by RFC 8493 (or the earlier version it declares) and, with
    ``unfolio_layout``, by unfolio's own layout. Never raises for what the bag holds."""
    root = Path(root)  # followed if a link: the caller named it; nothing below it is followed
    nothing: Mapping[str, Mapping[str, str]] = MappingProxyType({})
    empty = BagReading(root, None, None, (), nothing, nothing, ())
    try:
        is_folder = stat.S_ISDIR(os.stat(root).st_mode)
    except OSError as error:
        return empty, [DIRECTORY("", f"{show(str(root))} cannot be read: {why(error)}")]
    if not is_folder:
        return empty, [DIRECTORY("", f"{show(str(root))} is not a folder")]

    folder = BagFolder(root)
    listing = list_bag(folder)
    if "" in listing.blind:  # the root itself could not be listed: nothing else can be said
        return empty, listing.findings
    bag = BagState(folder, listing, unfolio_layout, findings=Findings(listing.findings))
    _check_declaration(bag)
    if listing.kind("data") != "folder":
        bag.findings.append(PAYLOAD_DIRECTORY("data", "the bag has no data/ folder"))
    manifests = _load_manifests(bag, "manifest")
    tag_manifests = _load_manifests(bag, "tagmanifest")
    if not manifests:
        bag.findings.append(MANIFEST_MISSING("", "the bag has no manifest-ALGORITHM.txt"))
    info = _check_bag_info(bag)
    fetched = _check_fetch(bag, manifests)
    wanted = check_payload(bag, manifests, fetched)
    wanted.update(check_tag_manifests(bag, manifests, tag_manifests))
    check_fixity(bag, wanted)
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
        digests=MappingProxyType(bag.digests),
    )
    return reading, bag.findings


class _HexView(Mapping[str, str]):
    """path → lower-case hex of one manifest, made from its entries when first read (most
    verifications never read it), hex made on reading: no second copy of 300,000 digests at
    verify's peak."""

    def __init__(self, entries: list[Entry], known: bool):
        self._entries: list[Entry] | None = entries
        self._known = known
        self._digests: dict[str, bytes] = {}

    def _table(self) -> dict[str, bytes]:
        if self._entries is not None:
            for entry in self._entries:
                if entry.checksum is not None:
                    self._digests.setdefault(entry.path, entry.checksum)
            self._entries = None
        return self._digests

    def __getitem__(self, path: str) -> str:
        digest = self._table()[path]
        return digest.hex() if self._known else digest.decode("ascii")

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


def _as_mapping(manifests: list[Manifest]) -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType(
        {m.algorithm: _HexView(m.entries or [], m.hasher is not None) for m in manifests}
    )


def _check_declaration(bag: BagState) -> None:
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
    bag.lf_only["bagit.txt"] = ends_lf_only(data, "utf-8")
    bag.declaration_bytes = data


def _load_manifests(bag: BagState, prefix: str) -> list[Manifest]:
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
        lines = bag.read_lines(name, MAX_MANIFEST_BYTES)
        if lines is not None:
            digits = _digits(manifest.hasher)
            entries, problems = parse_manifest(lines, name=name, digits=digits, rules=bag.rules)
            bag.findings += problems
            manifest.entries = _in_scope(bag, name, entries, payload=prefix == "manifest")
        manifests.append(manifest)
    return manifests


def _digits(hasher: str | None) -> int | None:
    return hashlib.new(hasher, usedforsecurity=False).digest_size * 2 if hasher else None


def _hasher(bag: BagState, name: str, algorithm: str) -> str | None:
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


def _in_scope(bag: BagState, name: str, entries: list[Entry], *, payload: bool) -> list[Entry]:
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


def _check_bag_info(bag: BagState) -> list[tuple[str, str]]:
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


def _oxum_findings(bag: BagState, elements: list[tuple[str, str]], name: str) -> list[Finding]:
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


def _check_fetch(bag: BagState, manifests: list[Manifest]) -> set[str]:
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


# -- names and algorithms ----------------------------------------------------------------------


def _check_names(bag: BagState, manifests: list[Manifest]) -> None:
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


def _check_weak_algorithms(bag: BagState, manifests: list[Manifest]) -> None:
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
    bag: BagState,
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
    _check_empty_folders(bag)


def _check_empty_folders(bag: BagState) -> None:
    """A folder with no file anywhere under it: unfolio's writer makes folders only as the
    parents of files, so one is something else's (a forger's marker, an extractor's)."""
    listing = bag.listing
    if not listing.complete:
        return  # the listing stopped early: what the folders hold is unknown
    others = [*listing.files, *listing.links, *listing.special, *listing.blind]
    holding = {
        "/".join(parts[:depth])
        for parts in (path.split("/") for path in others)
        for depth in range(1, len(parts))
    } | listing.blind
    for path in sorted(listing.folders - holding):
        if not any(part.startswith(".") for part in path.split("/")):  # BAG-LAYOUT-HIDDEN's
            bag.findings.append(
                LAYOUT_EMPTY_FOLDER(show(path), "holds no file; unfolio writes no empty folder")
            )


def _check_tags_listed(
    bag: BagState, manifests: list[Manifest], tag_manifests: list[Manifest], *, signed: bool = False
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

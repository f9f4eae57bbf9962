"""Completeness and fixity: the manifests against the listing, and every checksum of every
file (all algorithms in one read).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.verify.bagit.bag import BagState, Manifest
from pipeline.verify.bagit.folder import NotRegularFile, why
from pipeline.verify.bagit.lines import Entry, line_numbers
from pipeline.verify.bagit.rules import (
    CASE_COLLISION,
    CHECKSUM,
    FILE_INCOMPLETE,
    FILE_MISSING,
    FILE_UNLISTED,
    MANIFEST_DIRECTORY,
    MANIFEST_DUPLICATE,
    MANIFEST_REPEAT,
    NORMALIZATION,
    PATH_ENCODING,
    TAGMANIFEST_INCOMPLETE,
    UNFOLIO_ALGORITHMS,
    UNREADABLE,
    V1,
)
from pipeline.verify.bagit.text import show

#: For each file, the checksums it must match: (hashlib name, expected digest, manifest, line).
Wanted = dict[str, list[tuple[str, bytes, str, int]]]
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


def _resolve(bag: BagState, manifest: Manifest, names: _Names, notes: Notes) -> _Resolved:
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


def _check_duplicates(bag: BagState, manifest: Manifest) -> None:
    """RFC 8493 §2.1.3: a manifest lists every file exactly once. Before 1.0 a line
    repeated with the same checksum was common and harmless (warned); two different checksums
    for one file are an error in every version."""
    first: dict[str, Entry] = {}
    lines: dict[str, list[Entry]] = {}  # only the paths listed more than once
    for entry in manifest.entries or ():
        earlier = first.setdefault(entry.path, entry)
        if earlier is not entry:
            lines.setdefault(entry.path, [earlier]).append(entry)
    for path, entries in sorted(lines.items()):
        where = f"{manifest.name} lists it on lines {line_numbers([e.line for e in entries])}"
        if len({e.checksum for e in entries if e.checksum}) > 1:
            bag.findings.append(MANIFEST_DUPLICATE(show(path), f"{where} with two checksums"))
        elif bag.rules >= V1:
            message = f"{where}; RFC 8493 §2.1.3: exactly once"
            bag.findings.append(MANIFEST_DUPLICATE(show(path), message))
        else:
            bag.findings.append(MANIFEST_REPEAT(show(path), f"{where}, with the same checksum"))


def check_payload(bag: BagState, manifests: list[Manifest], fetched: set[str]) -> Wanted:
    """Completeness of the payload (RFC 8493 §3): every file listed is there, every payload file
    is listed — from 1.0 in every manifest, before in one. Returns the checksums to verify."""
    payload = sorted(path for path in bag.listing.files if path.startswith("data/"))
    names = _Names(payload)
    notes: Notes = defaultdict(list)
    readable = [m for m in manifests if m.entries is not None]
    # a missing path → the manifests (bits of their index) listing it: a small int, no object,
    # since a hostile manifest may list hundreds of thousands of absent files
    missing: dict[str, int] = {}
    missing_entries: list[list[Entry]] = []
    folders: dict[str, list[str]] = defaultdict(list)
    covered: dict[str, set[str]] = defaultdict(set)
    wanted: Wanted = defaultdict(list)
    for index, manifest in enumerate(readable):
        _check_duplicates(bag, manifest)
        resolved = _resolve(bag, manifest, names, notes)
        missing_entries.append(resolved.missing)
        for entry in resolved.missing:
            missing[entry.path] = missing.get(entry.path, 0) | 1 << index
        for entry in resolved.folders:
            folders[entry.path].append(f"{manifest.name} line {entry.line}")
        for path, entries in resolved.files.items():
            covered[path].add(manifest.name)
            for entry in entries:
                if manifest.hasher and entry.checksum:
                    wanted[path].append(
                        (manifest.hasher, entry.checksum, manifest.name, entry.line)
                    )
    _report_missing(bag, readable, missing, missing_entries, fetched)
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


def _report_missing(
    bag: BagState,
    readable: list[Manifest],
    missing: dict[str, int],
    missing_entries: list[list[Entry]],
    fetched: set[str],
) -> None:
    """BAG-FILE-MISSING for each path, with the manifest lines naming it, as far as the report
    lists them; the rest are only counted (their messages are never written)."""
    paths = sorted(missing)
    shown_paths = []
    for path in paths:
        if bag.findings.full(FILE_MISSING.code) or len(shown_paths) >= bag.findings.cap:
            break
        shown_paths.append(path)
    where: dict[str, list[str]] = {path: [] for path in shown_paths}
    for index, entries in enumerate(missing_entries):
        for entry in entries:
            if entry.path in where:
                where[entry.path].append(f"{readable[index].name} line {entry.line}")
    for path in shown_paths:
        hint = "; fetch.txt names it, and unfolio never downloads" if path in fetched else ""
        message = f"{', '.join(where[path])} lists it, but it is not in the bag{hint}"
        bag.findings.append(FILE_MISSING(show(path), message))
    bag.findings.omit(FILE_MISSING, len(paths) - len(shown_paths))


def _report_folders(bag: BagState, folders: dict[str, list[str]]) -> None:
    for path, where in sorted(folders.items()):
        message = f"{', '.join(where)} lists this folder; manifests list files only (§2.1.3)"
        bag.findings.append(MANIFEST_DIRECTORY(show(path), message))


def check_tag_manifests(
    bag: BagState, manifests: list[Manifest], tag_manifests: list[Manifest]
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
        if bag.findings.full(FILE_MISSING.code):
            bag.findings.omit(FILE_MISSING)
            continue
        message = f"{', '.join(where)} lists it, but it is not in the bag"
        bag.findings.append(FILE_MISSING(show(path), message))
    _report_folders(bag, folders)
    return wanted


def check_fixity(bag: BagState, wanted: Wanted) -> None:
    """Every checksum of every manifest against its file (RFC 8493 §3), each file read once
    for all its algorithms; each mismatch is reported with its algorithm and manifest."""
    for path, checks in sorted(wanted.items()):
        try:
            found = bag.folder.digests(
                path,
                {hasher for hasher, _, _, _ in checks}
                | (set(UNFOLIO_ALGORITHMS) if bag.unfolio else set()),
            )
        except NotRegularFile:
            bag.findings.append(UNREADABLE(show(path), "is no longer a regular file; not read"))
            continue
        except OSError as error:
            bag.findings.append(UNREADABLE(show(path), f"cannot be read: {why(error)}"))
            continue
        if path.startswith("data/"):
            bag.digests[path] = found
        for hasher, expected, manifest, line in checks:
            if found[hasher] != expected.hex():
                message = (
                    f"{hasher} is {found[hasher]}, but {manifest} line {line} says {expected.hex()}"
                )
                bag.findings.append(CHECKSUM(show(path), message))

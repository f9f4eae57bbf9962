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

The package is split by concern: :mod:`.rules` (codes and limits), :mod:`.text` (tag-file
text), :mod:`.lines` (paths, manifest and fetch lines), :mod:`.folder` (listing and reading
without following links), :mod:`.bag` (what one judgement shares), :mod:`.check` (the order of
the checks) and :mod:`.completeness` (manifests against the listing, fixity).
"""

from pipeline.verify.bagit.bag import BagReading, Manifest
from pipeline.verify.bagit.check import check_bag
from pipeline.verify.bagit.folder import BagFolder, Listing, list_bag
from pipeline.verify.bagit.lines import Entry, parse_fetch, parse_manifest, unsafe_reason
from pipeline.verify.bagit.rules import (
    FILE_MISSING,
    MAX_LINE_CHARS,
    MAX_MANIFEST_BYTES,
    MAX_TAG_FILE_BYTES,
    SIGNATURE_NAME,
)
from pipeline.verify.bagit.text import Declaration, parse_bag_info, parse_declaration, split_lines

__all__ = [
    "FILE_MISSING",
    "MAX_LINE_CHARS",
    "MAX_MANIFEST_BYTES",
    "MAX_TAG_FILE_BYTES",
    "SIGNATURE_NAME",
    "BagFolder",
    "BagReading",
    "Declaration",
    "Entry",
    "Listing",
    "Manifest",
    "check_bag",
    "list_bag",
    "parse_bag_info",
    "parse_declaration",
    "parse_fetch",
    "parse_manifest",
    "split_lines",
    "unsafe_reason",
]

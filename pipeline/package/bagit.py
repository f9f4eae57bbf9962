"""BagIt 1.0 (RFC 8493), written by unfolio itself: a pure function from payload to files.

bagit-python is not used to write bags (research note §1.4): it writes ``BagIt-Version: 0.97``,
bags in place, sorts ``bag-info.txt`` keys and orders tag manifests by ``os.listdir``. Here the
whole bag is a ``{relative path: bytes}`` map computed in memory, so the same input gives the
same bytes, and the writer (:mod:`pipeline.package.write`) only has to put them on disk.

Choices the RFC leaves open, fixed here:

- Manifest lines are ``<lower-case hex><two spaces><path>``, LF-terminated, sorted by path
  (code-point order). RFC 8493 §2.1.3 allows one or more spaces or tabs; two spaces is what
  bagit-python writes and what ``sha256sum -c`` reads, so the manifests double as checksum files.
- Payload and tag manifests for both sha256 and sha512 (RFC 8493 §2.4: tools must support
  both). The tag manifests list ``bagit.txt``, ``bag-info.txt`` and the payload manifests, and
  never each other (§2.2.1).
- ``bag-info.txt`` values are never folded. Folding is a SHOULD (lines ≤ 79 characters) and
  readers disagree on unfolding (bagit-python keeps the line break and indentation inside the
  value), so a folded title would not read back as itself. Values cannot contain CR or LF
  (source validation refuses control characters), so one line per element is always possible.
- Payload paths must match ``[A-Za-z0-9._-]`` per segment and not start with a dot: then the
  RFC's percent-encoding of ``%``, CR and LF, which no implementation agrees on, never applies.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

ALGORITHMS: tuple[str, ...] = ("sha256", "sha512")
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_LABEL = re.compile(r"[^:\s](?:[^:\r\n]*[^:\s])?")
_BAD_VALUE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class BagLayoutError(ValueError):
    """A payload path or bag-info element that this writer refuses (a fault of the caller)."""


def digest(data: bytes, algorithm: str) -> str:
    """Lower-case hex digest of ``data``."""
    return hashlib.new(algorithm, data).hexdigest()


def payload_oxum(payload: Mapping[str, bytes]) -> str:
    """``OctetCount.StreamCount`` of the payload (RFC 8493 §2.2.2)."""
    return f"{sum(len(data) for data in payload.values())}.{len(payload)}"


def check_payload_path(path: str) -> None:
    """Refuse a payload path that is not ``data/`` plus safe ASCII segments."""
    segments = path.split("/")
    if len(segments) < 2 or segments[0] != "data":
        raise BagLayoutError(f"payload path {path!r} is not under data/")
    for segment in segments[1:]:
        if not _SEGMENT.fullmatch(segment):
            raise BagLayoutError(
                f"payload path {path!r}: segment {segment!r} is not [A-Za-z0-9._-]"
            )


def manifest(files: Mapping[str, bytes], algorithm: str) -> bytes:
    """A (tag) manifest: ``hex  path`` lines sorted by path, LF line ends."""
    lines = [f"{digest(files[path], algorithm)}  {path}\n" for path in sorted(files)]
    return "".join(lines).encode("ascii")


def bag_info(elements: Sequence[tuple[str, str]]) -> bytes:
    """``bag-info.txt`` with the elements in the given order, one line each, UTF-8, LF."""
    lines = []
    for label, value in elements:
        if not _LABEL.fullmatch(label):
            raise BagLayoutError(f"bag-info label {label!r} is not allowed")
        if _BAD_VALUE.search(value) or value != value.strip() or not value:
            raise BagLayoutError(f"bag-info {label}: value {value!r} cannot be written on one line")
        lines.append(f"{label}: {value}\n")
    return "".join(lines).encode("utf-8")


def build_bag_files(
    payload: Mapping[str, bytes],
    info: Sequence[tuple[str, str]],
    tag_files: Mapping[str, bytes] | None = None,
) -> dict[str, bytes]:
    """Every file of the bag, by path relative to the bag folder.

    ``payload`` maps ``data/...`` paths to bytes; ``info`` is the ordered ``bag-info.txt``
    elements except ``Payload-Oxum``, which is computed here and inserted after
    ``BagIt-Profile-Identifier`` (or at the end if there is none), as DESIGN.md orders them.
    ``tag_files`` are further tag files at the bag root (``unfolio-environment.json``), listed
    in the tag manifests like ``bagit.txt``.
    """
    for path in payload:
        check_payload_path(path)
    elements = list(info)
    oxum = ("Payload-Oxum", payload_oxum(payload))
    labels = [label for label, _ in elements]
    if "Payload-Oxum" in labels:
        raise BagLayoutError("Payload-Oxum is computed, not given")
    where = (
        labels.index("BagIt-Profile-Identifier") + 1
        if "BagIt-Profile-Identifier" in labels
        else len(elements)
    )
    elements.insert(where, oxum)
    files: dict[str, bytes] = dict(payload)
    for path, data in (tag_files or {}).items():  # further tag files, listed in tag manifests
        if "/" in path or path in ("bagit.txt", "bag-info.txt") or path.startswith("data"):
            raise BagLayoutError(f"tag file {path!r} is not a free name at the bag root")
        files[path] = data
    files["bagit.txt"] = BAGIT_TXT
    files["bag-info.txt"] = bag_info(elements)
    for algorithm in ALGORITHMS:
        files[f"manifest-{algorithm}.txt"] = manifest(payload, algorithm)
    tag_files = {path: data for path, data in files.items() if not path.startswith("data/")}
    for algorithm in ALGORITHMS:
        files[f"tagmanifest-{algorithm}.txt"] = manifest(tag_files, algorithm)
    return dict(sorted(files.items()))

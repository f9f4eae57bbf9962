"""``verify --fixity``: is every byte still the one recorded? Nothing else, at hashing speed.

An archive's scheduled audit asks one question of each of its bags: has anything changed
since it was sealed? That is BagIt completeness and fixity (every manifest against every
file, :mod:`.bagit`) and PREMIS's own fixity record (each object's size and SHA-256 and
SHA-512 against the file), plus the bag's signature when trust anchors are given. The PDF,
the bagged source and bag-info are not judged again (a full ``verify`` does that): they cannot
have changed without a manifest, PREMIS or the signature saying so.

PREMIS fixity is compared with the digests BagIt's fixity check computed while reading each
file once (sha256 and sha512 in one pass), so every payload file is read exactly once.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.package import premis
from pipeline.verify import consistency
from pipeline.verify.bagit import BagReading
from pipeline.verify.findings import Finding
from pipeline.verify.layouts import CURRENT_LAYOUT, LAYOUT_1, layout_of

#: PREMIS messageDigestAlgorithm → hashlib name, the ones unfolio writes.
_ALGORITHMS = {"SHA-256": "sha256", "SHA-512": "sha512"}


def check_premis_fixity(root: Path, reading: BagReading) -> list[Finding]:
    """PREMIS objects against the payload (one per file) and their size and fixity against
    the files as read by the BagIt stage (a file it could not hash is hashed here)."""
    tree, findings = consistency.parse_premis(root)
    if tree is None:
        return findings
    # the layout the bag claims names its PREMIS objects (LAYOUT_1: the path under data/;
    # LAYOUT_2: the path in the bag); a bag claiming none is judged by the current layout
    layout = layout_of(reading.info) or CURRENT_LAYOUT
    prefix = "data/" if layout == LAYOUT_1 else ""
    where = premis.PREMIS_PATH
    by_name = {}
    for obj in consistency.premis_files(tree, layout):
        if obj.name in by_name:
            findings.append(consistency.PREMIS_OBJECTS(where, f"two objects name {obj.name!r}"))
        by_name[obj.name] = obj
    described = {f"{prefix}{name}" for name in by_name}
    payload = set(reading.payload) - {premis.PREMIS_PATH}
    for path in sorted(payload - described):
        findings.append(consistency.PREMIS_OBJECTS(path, "payload file has no PREMIS object"))
    for path in sorted(described - payload):
        message = f"object {path.removeprefix(prefix)!r} names no payload file"
        findings.append(consistency.PREMIS_OBJECTS(where, message))
    for path in sorted(payload & described):
        obj = by_name[path.removeprefix(prefix)]
        measured = _measured(root, reading, path)
        if measured is None:
            continue  # not a regular file: the BagIt stage has said so
        findings += consistency.fixity_findings(path, obj, *measured)
    return findings


def _measured(root: Path, reading: BagReading, path: str) -> tuple[int, dict[str, str]] | None:
    """``(size, {PREMIS algorithm: hex})`` of a payload file, from the BagIt stage's reading
    when it hashed the file, else read now."""
    hashed = reading.digests.get(path)
    size = None
    if hashed is not None and all(name in hashed for name in _ALGORITHMS.values()):
        file = consistency.safe_file(root, path)
        if file is not None:
            size = file.stat().st_size
            return size, {label: hashed[name] for label, name in _ALGORITHMS.items()}
    return consistency.file_digests(root, path)

"""OCFL targets: a storage root (a folder holding ``0=ocfl_1.1``) or one object in it.

``unfolio verify ROOT`` verifies every object the root holds; ``unfolio verify OBJECT`` one
(a folder holding ``0=ocfl_object_1.1``). For each object ocfl-py's validator judges the
object itself (inventory, digests of every content file, version sequence); then the head
version — or, with ``--every-version``, each version — is extracted into a private temporary
folder named after its bag and verified as a bag, every finding's file prefixed with the
version (``v2/data/…``).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.package import ocfl as store
from pipeline.verify.findings import Finding, rule

OBJECT = rule(
    "META-OCFL",
    "error",
    "the OCFL object is valid (ocfl-py's validator) and each version holds one unfolio bag",
)
_PDF = re.compile(r"data/objects/([A-Za-z0-9._-]+)\.pdf")


def objects_in(root: Path) -> Iterator[Path]:
    """Every object folder under the storage root, in path order (no links followed)."""
    for declaration in sorted(Path(root).rglob(store.OBJECT_DECLARATION)):
        folder = declaration.parent
        if not any(part.startswith(".") for part in folder.relative_to(root).parts):
            yield folder


def expand(target: Path) -> list[Path]:
    """A storage root stands for its objects; any other target for itself."""
    if Path(target).is_dir() and store.is_storage_root(target):
        return list(objects_in(target)) or [Path(target)]
    return [Path(target)]


def validate_object(obj: Path) -> list[Finding]:
    from ocfl.validator import Validator

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    validator = Validator(log_warnings=False, log_errors=True, check_digests=True)
    if validator.validate_object(str(obj)):
        return []
    messages = validator.log.messages or ["ocfl-py's validator rejects the object"]
    return [OBJECT("inventory.json", message[:500]) for message in messages[:20]]


def versions(obj: Path, every: bool) -> list[str]:
    inventory = store._inventory(obj)
    if every:
        return sorted(inventory["versions"], key=lambda v: int(v.lstrip("v")))
    return [inventory["head"]]


def extract(obj: Path, version: str, scratch: Path) -> tuple[Path | None, list[Finding]]:
    """The version's bag, extracted under ``scratch`` into a folder named after it."""
    from ocfl import Object

    inventory = store._inventory(obj)
    state = inventory["versions"][version]["state"]
    logical = [path for paths in state.values() for path in paths]
    names = [m[1] for m in map(_PDF.fullmatch, logical) if m]
    if len(names) != 1:
        return None, [OBJECT(f"{version}/", "the version holds no single unfolio bag PDF")]
    folder = scratch / version / names[0]
    folder.parent.mkdir(parents=True)
    Object().extract(objdir=str(obj), version=version, dstdir=str(folder))
    return folder, []


def scratch_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="unfolio-verify-ocfl-"))


def remove(scratch: Path) -> None:
    shutil.rmtree(scratch, ignore_errors=True)

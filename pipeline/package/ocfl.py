"""Bags into an OCFL 1.1 storage root (``unfolio build … --format ocfl -o ROOT``), with ocfl-py.

One OCFL object per language version: its identifier is the bag's ``External-Identifier``
(the undocs.org link, a URI unique per version) and its content the whole bag directory —
``bagit.txt``, ``bag-info.txt``, manifests, tag manifests, any signature or environment tag
file and ``data/`` — so the object holds a bag any BagIt tool can check once extracted (not
only ``data/``, which is what ``ocfl-object create --srcbag`` takes). The root uses the
storage layout extension ``0003-hash-and-id-n-tuple-storage-layout``: identifiers with ``/``
(every URI) are percent-encoded into one folder under a hashed n-tuple tree, so the folder
still names the document; the flat layout (0002) cannot hold a ``/``.

A rebuilt document with a different ``UN-Build-Key`` adds a version (v2, v3 …) whose message
says what changed; an unchanged one adds nothing; nothing is ever deleted. ocfl-py 2.1 has no
call that adds a version to an object already in a root safely (``StorageRoot.add`` refuses,
``Object.write_new_version`` writes ``vN/`` and the inventory in place), so under the root's
lock (``.ROOT.lock`` beside it) the object is staged beside the root — its version folders
hard-linked (OCFL content never changes), its inventory copied — the new version is written
there by ocfl-py, the stage is validated, and then it takes the object's place by one atomic
``renameat2(RENAME_EXCHANGE)``: a kill at any moment leaves the object at its old head or its
new one. Where the exchange is unavailable (not Linux, or a file system without it) two
renames are used and :func:`recover` puts an object set aside back, as for folder bags.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import logging
import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__, atomic

LAYOUT = "0003-hash-and-id-n-tuple-storage-layout"
SPEC_VERSION = "1.1"
ROOT_DECLARATION = f"0={'ocfl_' + SPEC_VERSION}"
OBJECT_DECLARATION = f"0={'ocfl_object_' + SPEC_VERSION}"
USER = ("unfolio", "https://unfolio.example/")
_RENAME_EXCHANGE = 2


class OcflError(OSError):
    """The storage root or an object in it is not what unfolio can add a version to."""


@dataclass(frozen=True)
class Added:
    """What one write did to the object of one language version."""

    path: Path  # the object folder
    version: str | None  # "v2", or None when nothing was added (unchanged document)
    message: str | None = None


def is_storage_root(path: Path) -> bool:
    """A folder holding ``0=ocfl_1.1`` (the OCFL 1.1 root declaration)."""
    return (Path(path) / ROOT_DECLARATION).is_file()


def is_object(path: Path) -> bool:
    """A folder holding ``0=ocfl_object_1.1``."""
    return (Path(path) / OBJECT_DECLARATION).is_file()


def _quiet() -> None:
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))


def ensure_root(root: Path) -> None:
    """Create the storage root (layout 0003) if absent; refuse a folder that is something else."""
    from ocfl import StorageRoot

    root = Path(root)
    if is_storage_root(root):
        return
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise OcflError(
            errno.EEXIST, f"{root}: exists and is not an OCFL 1.1 storage root (no 0=ocfl_1.1)"
        )
    if root.is_dir():
        root.rmdir()  # an empty folder: ocfl-py creates the root itself
    root.parent.mkdir(parents=True, exist_ok=True)
    _quiet()
    StorageRoot(root=str(root), layout_name=LAYOUT).initialize(spec_version=SPEC_VERSION)
    atomic.fsync_dir(root.parent)


def object_path(root: Path, identifier: str) -> Path:
    from ocfl import StorageRoot

    _quiet()
    return Path(root) / StorageRoot(root=str(root)).object_path(identifier)


def _inventory(obj: Path) -> dict:
    return json.loads((obj / "inventory.json").read_text(encoding="utf-8"))


def head_files(obj: Path) -> dict[str, Path]:
    """The head version's logical paths (bag-relative) → the content file that holds each."""
    inventory = _inventory(obj)
    manifest = inventory["manifest"]
    state = inventory["versions"][inventory["head"]]["state"]
    return {
        logical: obj / manifest[digest][0] for digest, paths in state.items() for logical in paths
    }


def head_key(obj: Path) -> str | None:
    """The ``UN-Build-Key`` of the bag in the object's head version, or None."""
    try:
        info = head_files(obj)["bag-info.txt"].read_text(encoding="utf-8")
    except (OSError, KeyError, ValueError):
        return None
    for line in info.splitlines():
        if line.startswith("UN-Build-Key:"):
            return line.split(":", 1)[1].strip()
    return None


def _changes(obj: Path, files: Mapping[str, bytes]) -> str:
    """What differs between the head version's bag and the new one, in a few words."""
    old = head_files(obj)
    changed = sorted(p for p in files if p in old and old[p].read_bytes() != files[p])
    added = sorted(set(files) - set(old))
    removed = sorted(set(old) - set(files))
    info_old = dict(
        line.split(": ", 1) for line in old["bag-info.txt"].read_text("utf-8").splitlines()
    )
    info_new = dict(line.split(": ", 1) for line in files["bag-info.txt"].decode().splitlines())
    elements = sorted(
        k for k in info_old.keys() | info_new.keys() if info_old.get(k) != info_new.get(k)
    )
    parts = []
    if elements:
        parts.append("bag-info " + ", ".join(elements))
    for label, paths in (("changed", changed), ("added", added), ("removed", removed)):
        payload = [p for p in paths if p.startswith("data/")]
        if payload:
            parts.append(f"{label} {', '.join(payload)}")
    key = info_new.get("UN-Build-Key", "?")
    return f"unfolio {__version__}: rebuilt ({'; '.join(parts) or 'tag files'}); UN-Build-Key {key}"


def _write_bag_folder(files: Mapping[str, bytes], folder: Path) -> None:
    for relative, data in files.items():
        path = folder.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _metadata(message: str, when: datetime):
    from ocfl import VersionMetadata

    created = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return VersionMetadata(created=created, message=message, name=USER[0], address=USER[1])


def _stage_copy(obj: Path, stage: Path) -> None:
    """A copy of the object: version folders hard-linked (immutable), the root files copied."""
    stage.mkdir()
    for entry in obj.iterdir():
        if entry.is_dir():
            shutil.copytree(entry, stage / entry.name, copy_function=_link_or_copy)
        else:
            shutil.copy2(entry, stage / entry.name)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where that is unavailable."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _validate(obj: Path) -> None:
    from ocfl.validator import Validator

    if not Validator(log_warnings=False, log_errors=False).validate_object(str(obj)):
        raise OcflError(errno.EIO, f"{obj}: the staged object fails OCFL validation")


def _sync(tree: Path) -> None:
    entries = list(tree.rglob("*"))
    folders = [p for p in entries if p.is_dir()] + [tree]
    atomic.sync_tree(tree, [p for p in entries if p.is_file()], folders)


def work_folder(root: Path) -> Path:
    """Where objects are staged: ``.ROOT.ocfl-work`` beside the root (same file system, outside
    the storage hierarchy, so a validator never sees a half-made object)."""
    return Path(root).parent / f".{Path(root).name}.ocfl-work"


def recover(root: Path) -> None:
    """Tidy what killed runs left in the work folder: an object set aside between the two
    renames of the fallback goes back to its place, everything else is removed."""
    from pipeline.package.write import pid_alive

    work = work_folder(root)
    if not work.is_dir():
        return
    for entry in sorted(work.iterdir()):
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and pid_alive(int(pid)):
            continue
        target_file = entry / "target"
        aside = entry / "aside"
        if aside.is_dir() and target_file.is_file():
            target = Path(target_file.read_text(encoding="utf-8"))
            if not target.exists():
                os.rename(aside, target)
                atomic.fsync_dir(target.parent)
        shutil.rmtree(entry, ignore_errors=True)


def add_bag(
    root: Path, identifier: str, files: Mapping[str, bytes], *, key: str, when: datetime
) -> Added:
    """Put the bag ``files`` into ``root`` as the object ``identifier``: a new object (v1), a
    new version when its build key differs from the head's, else nothing."""
    from ocfl import NewVersionException, ObjectException, StorageRootException

    from pipeline.package.write import destination_lock

    root = Path(root).absolute()
    try:
        with destination_lock(root):
            ensure_root(root)
            recover(root)
            return _add(root, identifier, files, key, when)
    except (ObjectException, StorageRootException, NewVersionException) as exc:
        raise OcflError(errno.EIO, f"{root}: ocfl-py: {exc}") from exc


def _add(
    root: Path, identifier: str, files: Mapping[str, bytes], key: str, when: datetime
) -> Added:
    """:func:`add_bag` once the root's lock is held."""
    from ocfl import Object

    obj = object_path(root, identifier)
    work = work_folder(root) / f"{os.getpid()}-{secrets.token_hex(4)}"
    work.mkdir(parents=True)
    stage = work / "stage"  # the new object; after the exchange, the old one
    try:
        bag = work / "bag"
        _write_bag_folder(files, bag)
        _quiet()
        new = Object(identifier=identifier, spec_version=SPEC_VERSION)
        if not obj.exists():
            message = f"unfolio {__version__}: built; UN-Build-Key {key}"
            new.create(srcdir=str(bag), metadata=_metadata(message, when), objdir=str(stage))
            _validate(stage)
            _sync(stage)
            obj.parent.mkdir(parents=True, exist_ok=True)
            os.rename(stage, obj)
            atomic.fsync_dir(obj.parent)
            return Added(obj, "v1", message)
        if head_key(obj) == key:
            return Added(obj, None)
        message = _changes(obj, files)
        _stage_copy(obj, stage)
        new.add_version_with_content(
            objdir=str(stage), srcdir=str(bag), metadata=_metadata(message, when)
        )
        _validate(stage)
        _sync(stage)
        version = _inventory(stage)["head"]
        if not _exchange(stage, obj):  # two renames; recover() undoes a crash between them
            (work / "target").write_text(str(obj), encoding="utf-8")
            os.rename(obj, work / "aside")
            os.rename(stage, obj)
        atomic.fsync_dir(obj.parent)
        return Added(obj, version, message)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            work.parent.rmdir()  # only when no other run's stage is in it

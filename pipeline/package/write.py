"""Put a bag on disk so that a crash at any moment leaves a complete bag or a recoverable one.

A directory cannot be replaced in one rename when the destination exists (``rename`` refuses a
non-empty target), so replacing a bag takes three steps, each a rename in the output folder:

1. write every file into ``.NAME.staging-<pid>-<random>`` beside the destination, fsync;
2. rename the existing bag (if any) aside to ``.NAME.old-<pid>-<random>``;
3. rename the staging folder to ``NAME``, fsync the folder, then delete the old bag.

A crash before 2 leaves the old bag in place; between 2 and 3 leaves no bag at ``NAME`` and the
old one aside, which :func:`recover` (run at the start of every write) renames back; after 3
the new bag is in place and the leftover aside is deleted by the next run. Within one process
an exception undoes step 2 at once.

Ownership: every staging and aside folder carries its owner's pid in its name, and the staging
folder has an owner file ``.NAME.staging-<pid>-<random>.owner`` beside it (not inside: it must
not become part of the bag). A run removes or restores only folders whose owner process is
dead, so concurrent runs never touch each other's work. A reused pid only makes a run keep a
stale folder longer, never remove a live one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from pipeline.atomic import _fsync_dir
from pipeline.config import Config
from pipeline.model import Document
from pipeline.package import contents
from pipeline.package.buildkey import build_key
from pipeline.resources import styles_dir

_LEFTOVER = re.compile(
    r"\.(?P<name>.+)\.(?P<kind>staging|old)-(?P<pid>[0-9]+)-[0-9a-f]+(?P<owner>\.owner)?"
)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this host); permission errors mean it does."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def recover(dest: Path) -> None:
    """Tidy what dead runs left beside ``dest``: restore an aside bag, remove the rest."""
    parent = dest.parent
    leftovers = []
    for entry in parent.iterdir():
        match = _LEFTOVER.fullmatch(entry.name)
        if match and match["name"] == dest.name and not pid_alive(int(match["pid"])):
            leftovers.append((entry, match))
    asides = sorted(
        (entry for entry, m in leftovers if m["kind"] == "old" and entry.is_dir()),
        key=lambda p: p.stat().st_mtime_ns,
    )
    if asides and not dest.exists():
        os.rename(asides[-1], dest)  # the most recently set aside is the last bag in place
        _fsync_dir(parent)
    for entry, _ in leftovers:
        if entry.exists() or entry.is_symlink():
            _remove(entry)


def _write_tree(files: Mapping[str, bytes], root: Path) -> None:
    folders = {root}
    for relative, data in files.items():
        parts = relative.split("/")
        path = root.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        folders.update(root.joinpath(*parts[:i]) for i in range(1, len(parts)))
        with open(path, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(path, 0o644)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        os.chmod(folder, 0o755)
        _fsync_dir(folder)


def _move_into_place(staging: Path, dest: Path) -> None:
    """Rename the finished staging folder to the destination (which must not exist)."""
    os.rename(staging, dest)


def write_bag(files: Mapping[str, bytes], dest: Path) -> Path:
    """Write the bag ``files`` to the folder ``dest``, replacing any bag there atomically."""
    dest = Path(dest)
    parent = dest.parent
    recover(dest)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    staging = parent / f".{dest.name}.staging-{token}"
    owner = parent / f"{staging.name}.owner"
    aside = parent / f".{dest.name}.old-{token}"
    owner.write_text(f"{os.getpid()}\n", encoding="ascii")
    try:
        staging.mkdir()
        _write_tree(files, staging)
        _fsync_dir(parent)
        if dest.exists():
            os.rename(dest, aside)
        try:
            _move_into_place(staging, dest)
        except BaseException:
            if aside.exists() and not dest.exists():
                os.rename(aside, dest)
            raise
        _fsync_dir(parent)
        if aside.exists():
            shutil.rmtree(aside)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            owner.unlink()
    return dest


def build_bag(document: Document, pdf: bytes, flavour: str, out_dir: Path, config: Config) -> Path:
    """Package ``document`` and its rendered ``pdf`` as a bag in ``out_dir``; its path."""
    key = build_key(
        document,
        flavour=flavour,
        config_values=config.key_values(),
        styles=config.styles or styles_dir(),
    )
    files = contents.bag_files(
        document, pdf, flavour=flavour, config=config, when=contents.build_time(), build_key=key
    )
    return write_bag(files, Path(out_dir) / contents.bag_name(document))

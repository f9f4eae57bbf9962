"""A small per-user cache of derived facts that are slow to recompute in a cold process.

Only facts *about* inputs live here (a font's character repertoire), never output: a cached
value can make a process faster, never change a byte it writes. Entries are keyed by a digest
of the content they were derived from plus the unfolio version, so any change to the input or
to unfolio misses the cache, and nothing is trusted across versions. The folder is private to
the user (0700), entries are written whole by rename, and an unreadable, corrupt or foreign
entry is a miss, never an error.

``UNFOLIO_CACHE_DIR`` names the folder (default ``$XDG_CACHE_HOME/unfolio`` or
``~/.cache/unfolio``); ``UNFOLIO_NO_CACHE=1`` turns it off, and :func:`disabled` turns it off
for a block of code (``verify``'s reproduction uses it: it must depend on nothing but the bag
and the environment).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline import __version__

_off = 0


def folder() -> Path:
    configured = os.environ.get("UNFOLIO_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "unfolio"


def enabled() -> bool:
    return not _off and os.environ.get("UNFOLIO_NO_CACHE", "") in ("", "0")


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Inside this block, every lookup misses and nothing is stored."""
    global _off
    _off += 1
    try:
        yield
    finally:
        _off -= 1


def key(namespace: str, *parts: bytes | str) -> str:
    """The entry name for content ``parts`` in ``namespace`` (the unfolio version included)."""
    digest = hashlib.sha256(f"{namespace}\0{__version__}".encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return f"{namespace}-{digest.hexdigest()}"


def _private_folder() -> Path | None:
    path = folder()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError:
        return None
    # someone else's folder, a link, or one others can write: never read or write there
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return path


def get(name: str) -> bytes | None:
    """The stored bytes of entry ``name``, or None (off, absent, unreadable, not ours)."""
    if not enabled():
        return None
    path = _private_folder()
    if path is None:
        return None
    try:
        fd = os.open(path / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    finally:
        os.close(fd)


def put(name: str, data: bytes) -> None:
    """Store ``data`` as entry ``name``, whole or not at all; failures are ignored."""
    if not enabled():
        return
    path = _private_folder()
    if path is None:
        return
    with contextlib.suppress(OSError):
        handle, temp = tempfile.mkstemp(dir=path, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, path / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

"""Write outputs so that a reader never sees half a file: temp file beside it, fsync, rename.

Every write here goes through ``os.open``/``os.write``/``os.fsync`` (never a buffered file
object), so a fault on the way — a full file system, a refused permission — surfaces as an
``OSError`` from the call that met it, and a partly written temp file is removed before the
error goes on.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_new(path: Path, data: bytes, mode: int = 0o644, *, sync: bool = True) -> None:
    """Create ``path`` (which must not exist, and is never a followed link) holding ``data``,
    fsync it (unless ``sync`` is false: the caller then calls :func:`fsync_path` later) and set
    ``mode``; on any failure the partial file is removed and the error raised."""
    fd = os.open(path, _CREATE_FLAGS | _NOFOLLOW, 0o600)
    try:
        write_all(fd, data)
        if sync:
            os.fsync(fd)
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename; a crash leaves the old file or the new one."""
    path = Path(path)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        try:
            write_all(handle, data)
            os.fsync(handle)
            os.fchmod(handle, 0o644)
        finally:
            os.close(handle)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


class Replacing:
    """A text file written as it goes, in a temporary file beside ``path``, and put in place
    by one rename on :meth:`publish` (:meth:`discard` removes it): for outputs too large to
    hold in memory, such as the report of a long batch, that a reader must never see half
    written."""

    def __init__(self, path: Path):
        self.path = Path(path)
        fd, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part"
        )
        self.temp = Path(name)
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self.handle.write(text)

    def publish(self) -> None:
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            os.fchmod(self.handle.fileno(), 0o644)
            self.handle.close()
            os.replace(self.temp, self.path)
        except BaseException:
            self.discard()
            raise
        fsync_dir(self.path.parent)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        self.temp.unlink(missing_ok=True)


def fsync_path(path: Path) -> None:
    """fsync a file written earlier (with ``write_new(..., sync=False)``); errors propagate."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@cache
def _syncfs():
    """libc's ``syncfs(2)`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


def sync_tree(root: Path, files: Iterable[Path], folders: Iterable[Path]) -> None:
    """Make ``files`` and ``folders``, all written under ``root``, durable before a rename
    publishes them.

    On Linux one ``syncfs(2)`` of ``root``'s file system does it: about 1 ms against about
    4 ms for the fifteen fsyncs of a bag (measured on ext4 here), which is most of what
    writing a bag costs a short document. Elsewhere, or when ``syncfs`` fails, each file
    and folder is fsynced (errors of a file's fsync propagate; a folder's are ignored, as in
    :func:`fsync_dir`). Trade-offs: before Linux 5.8 ``syncfs`` did not report write-back
    errors (a full disk still fails at ``write``, which is where ext4 and xfs report it), and
    it also flushes whatever else is pending on that file system.
    """
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(root, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in files:
        fsync_path(path)
    for folder in folders:
        fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Make the renames and unlinks in ``folder`` durable (best effort: some file systems
    refuse to fsync a folder, which only weakens durability, never atomicity)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_fsync_dir = fsync_dir  # the name other modules used before it was public

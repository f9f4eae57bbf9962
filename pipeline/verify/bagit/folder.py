"""The bag folder, listed and read without following a link or opening a special file."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.verify.bagit.rules import (
    CHUNK_BYTES,
    MAX_DEPTH,
    MAX_ENTRIES,
    SPECIAL_FILE,
    SYMLINK,
    TOO_LARGE,
    UNREADABLE,
)
from pipeline.verify.bagit.text import show
from pipeline.verify.findings import Findings

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_O_FILE = _O_READ | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_AT_SUPPORTED = (
    os.open in os.supports_dir_fd
    and os.stat in os.supports_dir_fd
    and os.readlink in os.supports_dir_fd
    and os.scandir in os.supports_fd
)


class NotRegularFile(OSError):
    """What should be a regular file is a link, folder, device or FIFO (or turned into one)."""


class TooLarge(OSError):
    """A file is larger than the cap it is read under."""


@dataclass
class Listing:
    """Everything below the bag's root, found without following links."""

    files: dict[str, int] = field(default_factory=dict)
    """Regular files: posix path → size."""
    folders: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)
    """Symbolic links: path → where they point (shown, never followed)."""
    special: dict[str, str] = field(default_factory=dict)
    """Devices, FIFOs and sockets: path → what they are."""
    blind: set[str] = field(default_factory=set)
    """Folders that could not be listed (unreadable, too deep): what they hold is unknown."""
    complete: bool = True
    """False when the listing stopped early (too many entries)."""
    findings: Findings = field(default_factory=Findings)

    def kind(self, path: str) -> str | None:
        for kind, paths in (
            ("file", self.files),
            ("folder", self.folders),
            ("link", self.links),
            ("special", self.special),
        ):
            if path in paths:
                return kind
        return None

    def unseen(self, path: str) -> bool:
        """Whether ``path`` lies where the listing did not look: below a folder it could not
        list, or behind a link or special file (reported, so not to be called missing)."""
        if not self.complete:
            return True
        if not (self.blind or self.links or self.special):
            return False
        parents = ["/".join(path.split("/")[:end]) for end in range(1, path.count("/") + 1)]
        return any(
            parent in self.blind or parent in self.links or parent in self.special
            for parent in [*parents, path]
        )

    @property
    def payload_known(self) -> bool:
        """Whether every file under ``data/`` was listed."""
        return self.complete and not any(
            folder == "data" or folder.startswith("data/") for folder in self.blind
        )


class BagFolder:
    """Read-only access to the files below one folder, which it never leaves.

    Every path is opened one folder at a time from the root with ``O_NOFOLLOW | O_DIRECTORY``
    (``openat``), so a link anywhere on the way fails instead of being followed, and a file is
    opened only after ``lstat`` says it is regular, then checked again with ``fstat`` (a FIFO or
    device is never opened). Where the platform has no ``openat`` (Windows), every step is
    checked with ``lstat`` instead."""

    def __init__(self, root: Path):
        self.root = root

    def _open_folder(self, parts: tuple[str, ...]) -> int:
        fd = os.open(self.root, _O_READ | _O_DIRECTORY)
        try:
            for part in parts:
                inner = os.open(part, _O_READ | _O_DIRECTORY | _O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = inner
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _checked_path(self, parts: tuple[str, ...]) -> Path:
        """Without ``openat``: the path, after checking that each folder on it is no link."""
        here = self.root
        for part in parts[:-1]:
            here = here / part
            if not stat.S_ISDIR(os.lstat(here).st_mode):
                raise NotRegularFile(f"{here} is not a folder")
        return here / parts[-1] if parts else here

    def _lstat(self, parts: tuple[str, ...]) -> os.stat_result:
        if not _AT_SUPPORTED:
            return os.lstat(self._checked_path(parts))
        fd = self._open_folder(parts[:-1])
        try:
            return os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        finally:
            os.close(fd)

    def scan(self, parts: tuple[str, ...]) -> list[tuple[str, os.stat_result]]:
        """The names in one folder with their ``lstat``, sorted."""
        if _AT_SUPPORTED:
            fd = self._open_folder(parts)
            try:
                with os.scandir(fd) as found:
                    return sorted((e.name, e.stat(follow_symlinks=False)) for e in found)
            finally:
                os.close(fd)
        folder = self._checked_path((*parts, "."))
        with os.scandir(folder) as found:
            return sorted((e.name, e.stat(follow_symlinks=False)) for e in found)

    def readlink(self, parts: tuple[str, ...]) -> str:
        """Where a link points, for the message; never followed."""
        try:
            if not _AT_SUPPORTED:
                return os.readlink(self._checked_path(parts))
            fd = self._open_folder(parts[:-1])
            try:
                return os.readlink(parts[-1], dir_fd=fd)
            finally:
                os.close(fd)
        except OSError:
            return "?"

    def open_regular(self, path: str) -> int:
        """A read-only descriptor of the regular file at ``path`` (posix, relative)."""
        parts = tuple(path.split("/"))
        before = self._lstat(parts)
        if not stat.S_ISREG(before.st_mode):
            raise NotRegularFile(f"{path} is not a regular file")
        if _AT_SUPPORTED:
            folder = self._open_folder(parts[:-1])
            try:
                fd = os.open(parts[-1], _O_FILE, dir_fd=folder)
            finally:
                os.close(folder)
        else:
            fd = os.open(self._checked_path(parts), _O_FILE)
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (
            before.st_dev,
            before.st_ino,
        ):
            os.close(fd)
            raise NotRegularFile(f"{path} changed while it was opened")
        return fd

    def read(self, path: str, limit: int) -> bytes:
        """The whole file; :class:`TooLarge` beyond ``limit`` bytes."""
        with os.fdopen(self.open_regular(path), "rb") as handle:
            if os.fstat(handle.fileno()).st_size > limit:
                raise TooLarge(f"{path} is larger than {limit} bytes")
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(f"{path} is larger than {limit} bytes")
        return data

    def digests(self, path: str, algorithms: Iterable[str]) -> dict[str, str]:
        """Hex digests of the file for the hashlib names given, from one read in chunks."""
        hashers = {name: hashlib.new(name, usedforsecurity=False) for name in set(algorithms)}
        with os.fdopen(self.open_regular(path), "rb", buffering=0) as handle:
            buffer = bytearray(CHUNK_BYTES)
            view = memoryview(buffer)
            while count := handle.readinto(buffer):
                for hasher in hashers.values():
                    hasher.update(view[:count])
        return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def list_bag(folder: BagFolder) -> Listing:
    """Everything below the bag's root, without following links. Links and special files are
    reported here, once, whether or not a manifest lists them."""
    listing = Listing()
    pending: list[tuple[str, ...]] = [()]
    count = 0
    while pending:
        parts = pending.pop()
        try:
            entries = folder.scan(parts)
        except OSError as error:
            where = "/".join(parts)
            listing.findings.append(UNREADABLE(show(where), f"cannot be listed: {why(error)}"))
            listing.blind.add(where)
            continue
        for name, info in reversed(entries):  # pushed in reverse, popped in order
            count += 1
            if count > MAX_ENTRIES:
                message = f"holds more than {MAX_ENTRIES} files and folders; the rest is unseen"
                listing.findings.append(TOO_LARGE("", message))
                listing.complete = False
                return listing
            path = "/".join((*parts, name))
            if stat.S_ISLNK(info.st_mode):
                listing.links[path] = target = folder.readlink((*parts, name))
                message = f"is a symbolic link to {show(target)!r}; not followed"
                listing.findings.append(SYMLINK(show(path), message))
            elif stat.S_ISDIR(info.st_mode):
                listing.folders.add(path)
                if len(parts) + 1 < MAX_DEPTH:
                    pending.append((*parts, name))
                else:
                    message = f"is nested {MAX_DEPTH} folders deep; what it holds is not listed"
                    listing.findings.append(TOO_LARGE(show(path), message))
                    listing.blind.add(path)
            elif stat.S_ISREG(info.st_mode):
                listing.files[path] = info.st_size
            else:
                listing.special[path] = what = _special_kind(info.st_mode)
                listing.findings.append(SPECIAL_FILE(show(path), f"is a {what}; never opened"))
    return listing


def _special_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def why(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__

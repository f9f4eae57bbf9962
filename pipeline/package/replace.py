"""What a build replaces: the digest of the bag already at the destination, and of the new one.

A bag's digest, wherever this project speaks of one, is the SHA-256 of its
``tagmanifest-sha512.txt`` (which lists every manifest, which list every file), as
``sha256:<hex>``. The writer compares the old bag's with the new one's under the
destination's lock: a different digest is a replacement, said in the output and in
``build --json`` (``replaced``), and refused with ``--no-replace``.

Whatever sits at the destination is not trusted: only a regular file of bounded size is read,
from a folder through real folders, from a zip through its central directory, from a tar.gz
among its first members.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TAG_MANIFEST = "tagmanifest-sha512.txt"
_LIMIT = 16 << 20  # a tag manifest lists a handful of files; 16 MiB is far beyond any


@dataclass(frozen=True)
class Replaced:
    """A bag built from different content took the place of another."""

    old: str  # sha256:<hex> of the old tagmanifest-sha512.txt
    new: str

    def as_dict(self) -> dict[str, str]:
        return {"old_digest": self.old, "new_digest": self.new}


def digest(tag_manifest: bytes) -> str:
    return f"sha256:{hashlib.sha256(tag_manifest).hexdigest()}"


def files_digest(files: Mapping[str, bytes]) -> str:
    """The digest of a bag given as ``{relative path: bytes}``."""
    return digest(files[TAG_MANIFEST])


def _read_regular(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _LIMIT:
            return None
        return os.read(fd, _LIMIT + 1)
    finally:
        os.close(fd)


def folder_digest(bag: Path) -> str | None:
    """The digest of the folder bag at ``bag``, or None when none is there (or unreadable)."""
    try:
        if not stat.S_ISDIR(os.lstat(bag).st_mode):
            return None
    except OSError:
        return None
    data = _read_regular(bag / TAG_MANIFEST)
    return None if data is None else digest(data)


def archive_digest(archive: Path, name: str) -> str | None:
    """The digest of the bag ``name`` inside the zip or tar.gz ``archive``, or None."""
    member = f"{name}/{TAG_MANIFEST}"
    try:
        if not stat.S_ISREG(os.lstat(archive).st_mode):
            return None
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as bundle:
                info = bundle.getinfo(member)
                return None if info.file_size > _LIMIT else digest(bundle.read(info))
        with tarfile.open(archive, "r|gz") as bundle:
            for entry in bundle:
                if entry.name == member and entry.isfile() and entry.size <= _LIMIT:
                    handle = bundle.extractfile(entry)
                    return None if handle is None else digest(handle.read())
    except (OSError, KeyError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error):
        return None
    return None


def refusal(dest: Path, old: str, new: str) -> OSError:
    """The error ``--no-replace`` raises: it names the bag and both digests."""
    return OSError(
        errno.EEXIST,
        f"a bag built from different content is there ({old}; the new one would be {new})",
    )

"""What a report row says about a bag that the run did not already know: its size, its
digest and the pages of its PDF, read from the bag folder or archive on disk.

Nothing here trusts the bag more than a report needs: links are not followed, a member is
read only up to a limit, and anything unreadable gives None (the row shows a blank), never
an exception.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

TAG_MANIFEST = "tagmanifest-sha512.txt"
_MAX_PDF = 512 << 20  # bytes of a PDF read to count its pages
_MAX_MEMBERS = 1000  # members of a tar read looking for the PDF


def sha256_file(path: Path) -> str | None:
    """``sha256:<hex>`` of a regular file (not followed if a link), or None."""
    try:
        # no link followed; a FIFO must not block the open (fstat then refuses it)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError:
        return None
    digest = hashlib.sha256()
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return f"sha256:{digest.hexdigest()}"


def size_and_digest(path: Path) -> tuple[int | None, str | None]:
    """Bytes and digest of a bag: an archive's file, or a folder's files and tag manifest."""
    try:
        info = path.lstat()
    except OSError:
        return None, None
    if stat.S_ISREG(info.st_mode):
        return info.st_size, sha256_file(path)
    if not stat.S_ISDIR(info.st_mode):
        return None, None
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                entry = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if stat.S_ISREG(entry.st_mode):
                total += entry.st_size
    return total, sha256_file(path / TAG_MANIFEST)


def page_count(pdf: bytes) -> int | None:
    """The number of pages of a PDF, or None if it cannot be read."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            return len(document.pages)
    except Exception:  # a damaged PDF is verify's to report, not the report's
        return None


def _is_bag_pdf(member: str, name: str | None) -> bool:
    parts = member.replace("\\", "/").split("/")
    if "data" not in parts or not member.lower().endswith(".pdf"):
        return False
    return name is None or parts[-1] == f"{name}.pdf"


def bag_pdf(path: Path, name: str | None = None) -> bytes | None:
    """The PDF in a bag folder or archive (``data/…/NAME.pdf``), or None."""
    try:
        if path.is_dir() and not path.is_symlink():
            for found in sorted((path / "data").rglob("*.pdf")):
                relative = found.relative_to(path).as_posix()
                if (
                    _is_bag_pdf(relative, name)
                    and found.is_file()
                    and not found.is_symlink()
                    and found.stat().st_size <= _MAX_PDF
                ):
                    return found.read_bytes()
            return None
        lowered = path.name.lower()
        if lowered.endswith(".zip"):
            with zipfile.ZipFile(path) as bundle:
                for info in bundle.infolist():
                    if _is_bag_pdf(info.filename, name) and info.file_size <= _MAX_PDF:
                        return bundle.read(info)
        elif lowered.endswith((".tar.gz", ".tgz")):
            with tarfile.open(path, "r|gz") as bundle:
                for count, entry in enumerate(bundle):
                    if count > _MAX_MEMBERS:  # unfolio's archives hold a few dozen files
                        return None
                    if entry.isfile() and _is_bag_pdf(entry.name, name):
                        if entry.size > _MAX_PDF:
                            return None
                        handle = bundle.extractfile(entry)
                        return None if handle is None else handle.read()
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError):
        return None
    return None

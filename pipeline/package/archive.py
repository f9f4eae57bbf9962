"""A bag as a reproducible zip or tar.gz archive, and its ``sha256sum`` sidecar (pure, no I/O).

``--format zip|tgz`` (the "Zipped bag" forms Archivematica accepts) turns the bag's
``{relative path: bytes}`` map into one archive, ``NAME.zip`` or ``NAME.tar.gz``, whose bytes
depend on nothing but that map and the member time:

- one top-level folder ``NAME/`` holding the bag; an entry for every folder (so an extractor
  gives folders their mode), then every file;
- entries sorted by path in code-point order (a folder's name is a prefix of its contents',
  so every folder comes before what it holds);
- every entry's time is the *member time*: ``SOURCE_DATE_EPOCH`` when it is set, else the
  constant :data:`DEFAULT_MEMBER_TIME`, 1980-01-01T00:00:00Z — the earliest time a zip can
  hold, so both formats carry the same time. A constant, not the build time, because entry
  times carry no information here (the bag records when it was made in ``Bagging-Date`` and
  in PREMIS) and a constant keeps a rebuild's archive as close to the last one as its
  contents allow. Zip times are 2-second DOS times without a time zone: they are written
  as UTC and rounded down to an even second, and clamped to 1980–2107;
- modes 0644 for files and 0755 for folders, uid and gid 0, no user or group names;
- zip: Deflate at level 9 (folders stored), Unix "made by" so the modes are read back, no
  archive comment, no extra fields; tar: POSIX pax format (plain ustar headers unless a name
  needs more), inside gzip at level 9 with header time 0, no file name and OS byte 255.

Same bag, same member time, same zlib → byte-identical archive. (A different zlib build —
zlib-ng, a patched zlib — may compress differently; the build key records the zlib version.)

The sidecar ``NAME.zip.sha256`` / ``NAME.tar.gz.sha256`` is one line in ``sha256sum``
format, ``<hex>  NAME.zip\\n``, so ``sha256sum -c NAME.zip.sha256`` checks the archive. It
lives beside the archive, not in it: a bag cannot carry its own archive's digest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import time
import zipfile
from collections.abc import Mapping
from typing import Literal

ArchiveFormat = Literal["zip", "tgz"]

SUFFIXES: dict[str, str] = {"zip": ".zip", "tgz": ".tar.gz"}
"""The archive file name's suffix per format."""
SIDECAR_SUFFIX = ".sha256"
DEFAULT_MEMBER_TIME = 315532800
"""1980-01-01T00:00:00Z: the member time when ``SOURCE_DATE_EPOCH`` is not set."""
COMPRESS_LEVEL = 9
FILE_MODE = 0o644
FOLDER_MODE = 0o755
_ZIP_FIRST = 315532800  # 1980-01-01, the first DOS time
_ZIP_LAST = 4354819198  # 2107-12-31T23:59:58Z, the last one


def member_time(environ: Mapping[str, str] | None = None) -> int:
    """The time of every entry: ``SOURCE_DATE_EPOCH`` if set, else :data:`DEFAULT_MEMBER_TIME`."""
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return DEFAULT_MEMBER_TIME
    try:
        value = int(epoch)
    except ValueError:
        raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time in seconds") from None
    if value < 0:
        raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r} is before 1970")
    return value


def archive_name(name: str, fmt: ArchiveFormat) -> str:
    """``NAME.zip`` or ``NAME.tar.gz``."""
    return name + SUFFIXES[fmt]


def sidecar_name(archive: str) -> str:
    """``NAME.zip.sha256`` for ``NAME.zip``."""
    return archive + SIDECAR_SUFFIX


def sidecar_text(data: bytes, archive: str) -> bytes:
    """The sidecar of the archive ``data`` named ``archive``: ``<hex>  <name>\\n``."""
    if "/" in archive or "\n" in archive or "\\" in archive:
        raise ValueError(f"archive name {archive!r} cannot stand in a sha256sum line")
    return f"{hashlib.sha256(data).hexdigest()}  {archive}\n".encode()


def entries(files: Mapping[str, bytes], name: str) -> list[tuple[str, bytes | None]]:
    """``(path, bytes)`` for every file and ``(path, None)`` for every folder, under ``name/``,
    sorted by path."""
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"bag name {name!r} cannot be an archive's top-level folder")
    result: dict[str, bytes | None] = {name: None}
    for relative, data in files.items():
        parts = relative.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"bag path {relative!r} is not a plain relative path")
        for depth in range(1, len(parts)):
            result.setdefault("/".join([name, *parts[:depth]]), None)
        result["/".join([name, *parts])] = data
    return sorted(result.items())


def dos_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    """A zip entry's time: UTC, clamped to 1980–2107 (even seconds: zipfile drops the odd one)."""
    clamped = min(max(epoch, _ZIP_FIRST), _ZIP_LAST)
    return time.gmtime(clamped)[:6]  # type: ignore[return-value]


def zip_bytes(files: Mapping[str, bytes], name: str, when: int) -> bytes:
    """The bag ``files`` as a reproducible zip with the top-level folder ``name``."""
    stamp = dos_time(when)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as bundle:
        for path, data in entries(files, name):
            if data is None:
                info = zipfile.ZipInfo(path + "/", stamp)
                info.external_attr = ((0o040000 | FOLDER_MODE) << 16) | 0x10  # MS-DOS folder bit
                info.compress_type = zipfile.ZIP_STORED
                payload = b""
            else:
                info = zipfile.ZipInfo(path, stamp)
                info.external_attr = (0o100000 | FILE_MODE) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                payload = data
            info.create_system = 3  # Unix: readers take the mode from external_attr
            bundle.writestr(info, payload, compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def tgz_bytes(files: Mapping[str, bytes], name: str, when: int) -> bytes:
    """The bag ``files`` as a reproducible tar.gz with the top-level folder ``name``."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(
            filename="", mode="wb", fileobj=buffer, compresslevel=COMPRESS_LEVEL, mtime=0
        ) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as bundle,
    ):
        for path, data in entries(files, name):
            info = tarfile.TarInfo(path)
            info.mtime = when
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = FOLDER_MODE
                bundle.addfile(info)
            else:
                info.type = tarfile.REGTYPE
                info.mode = FILE_MODE
                info.size = len(data)
                bundle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def archive_bytes(files: Mapping[str, bytes], name: str, fmt: ArchiveFormat, when: int) -> bytes:
    """The bag ``files`` as a reproducible archive of format ``fmt``."""
    if fmt == "zip":
        return zip_bytes(files, name, when)
    if fmt == "tgz":
        return tgz_bytes(files, name, when)
    raise ValueError(f"unknown archive format {fmt!r} (zip or tgz)")

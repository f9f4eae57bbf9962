"""Finding WeasyPrint's C libraries without a dozen subprocesses.

WeasyPrint 70 loads each library (GObject, Pango, HarfBuzz, Fontconfig, …) by trying several
names; cffi hands every name without a dot to ``ctypes.util.find_library``, which on Linux runs
``ldconfig -p`` and, when that finds nothing, ``gcc`` and ``ld`` as well. The Windows-style
names WeasyPrint tries first are never found, so a cold import spent about 0.6 s of a 2 s
render in these subprocesses. :func:`fast_lookup` answers the same question from one
``ldconfig -p`` read, with the regular expression ``ctypes.util`` itself applies to it, while
WeasyPrint is imported. It stands aside (the real ``find_library`` runs) wherever its answer
could differ: not Linux, a machine type ``ctypes.util`` maps to an ABI string this module
does not know, or ``LD_LIBRARY_PATH`` set (``ld`` would search it).
"""

from __future__ import annotations

import contextlib
import ctypes.util
import os
import re
import struct
import subprocess
import sys
from collections.abc import Iterator

# ctypes.util's own mapping (CPython 3.11, _findSoname_ldconfig), for the machines it names
_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}  # fmt: skip


def _abi() -> str | None:
    bits = "-32" if struct.calcsize("l") == 4 else "-64"
    return _ABI.get(os.uname().machine + bits)


def _ldconfig_listing() -> bytes | None:
    try:
        done = subprocess.run(
            ["/sbin/ldconfig", "-p"],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env={"LC_ALL": "C", "LANG": "C"},
            check=False,
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def finder(listing: bytes, abi: str):
    """``find_library`` answered from one ``ldconfig -p`` ``listing``."""

    def find_library(name: str) -> str | None:
        pattern = os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi}")
        found = re.search(pattern, listing)
        return os.fsdecode(found.group(1)) if found else None

    return find_library


@contextlib.contextmanager
def fast_lookup() -> Iterator[None]:
    """Within this block, ``ctypes.util.find_library`` reads ``ldconfig -p`` once."""
    abi = _abi()
    usable = sys.platform.startswith("linux") and abi is not None
    listing = _ldconfig_listing() if usable and not os.environ.get("LD_LIBRARY_PATH") else None
    if listing is None:
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = finder(listing, abi)
    try:
        yield
    finally:
        ctypes.util.find_library = original

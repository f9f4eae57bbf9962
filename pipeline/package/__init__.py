"""Packaging: a validated document and its PDF/A → a BagIt 1.0 bag with PREMIS 3.0.

``contents`` decides what the bag holds (pure), ``bagit`` and ``premis`` produce the tag files
and the preservation record (pure), ``buildkey`` digests the inputs, ``archive`` turns a bag
into a reproducible zip or tar.gz with its ``sha256sum`` sidecar (pure), and ``write`` puts
the bag or archive on disk atomically, one writer per destination. ``build_bag`` is the
stage's public entry; :class:`WriteFailed` (an ``OSError``) is what it raises when the output
cannot be written, with a message naming the destination.
"""

from __future__ import annotations

from pipeline.package.write import (
    FORMATS,
    BagLocked,
    NotABag,
    WriteFailed,
    build_bag,
    recover,
    write_archive,
    write_bag,
)

__all__ = [
    "FORMATS",
    "BagLocked",
    "NotABag",
    "WriteFailed",
    "build_bag",
    "recover",
    "write_archive",
    "write_bag",
]

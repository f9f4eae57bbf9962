"""Packaging: a validated document and its PDF/A → a BagIt 1.0 bag with PREMIS 3.0.

``contents`` decides what the bag holds (pure), ``bagit`` and ``premis`` produce the tag files
and the preservation record (pure), ``buildkey`` digests the inputs, and ``write`` puts the bag
on disk atomically. ``build_bag`` is the stage's public entry.
"""

from __future__ import annotations

from pipeline.package.write import build_bag, recover, write_bag

__all__ = ["build_bag", "recover", "write_bag"]

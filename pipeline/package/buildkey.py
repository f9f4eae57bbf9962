"""The build key: one digest of everything that determines a bag, for incremental builds.

``bag-info.txt`` carries it as ``UN-Build-Key``; a later run that computes the same key can
skip the document. It covers the source files (names and bytes), the unfolio version, the
PDF/A flavour, the configuration values and every file of the styles folder (templates, CSS,
locale strings, ``fonts.json``). Each item is framed with its length, so no two different
inputs hash the same byte stream. Not yet covered: the font files themselves (they are pinned
by ``styles/fonts.json``, whose bytes are covered) and the versions of WeasyPrint and pikepdf.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline import __version__
from pipeline.model import Document

KEY_VERSION = "1"


def _frame(hasher: hashlib._Hash, label: str, data: bytes) -> None:
    for piece in (label.encode("utf-8"), data):
        hasher.update(len(piece).to_bytes(8, "big"))
        hasher.update(piece)


def _folder_files(folder: Path) -> Iterable[tuple[str, bytes]]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield path.relative_to(folder).as_posix(), path.read_bytes()


def build_key(
    document: Document, *, flavour: str, config_values: Mapping[str, str], styles: Path
) -> str:
    """``sha256:<hex>`` over the inputs listed in the module docstring."""
    hasher = hashlib.sha256()
    _frame(hasher, "key-version", KEY_VERSION.encode())
    _frame(hasher, "unfolio", __version__.encode())
    _frame(hasher, "flavour", flavour.encode())
    for name in sorted(config_values):
        _frame(hasher, f"config:{name}", config_values[name].encode("utf-8"))
    for source in document.files:
        _frame(hasher, f"source:{source.name}", source.data)
    for name, data in _folder_files(styles):
        _frame(hasher, f"styles:{name}", data)
    return f"sha256:{hasher.hexdigest()}"

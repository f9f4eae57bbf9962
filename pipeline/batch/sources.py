"""Turn the SRC arguments of ``unfolio build`` and ``unfolio validate`` into source folders.

The grammar (paths, globs, ``@LIST`` files) is :mod:`pipeline.targets`; here is what a match
means for a document:

- a path named on its own is taken as it is (a folder, or anything else, which validation
  refuses with its own message);
- a glob match that is a folder is a source folder; a match that is a ``document.json`` file
  stands for its folder; other files are ignored. With ``**`` (any depth) only folders that
  hold a ``document.json`` are taken: ``'backlog/**'`` finds the documents below
  ``backlog``, whatever folders group them, while ``'backlog/*'`` takes every folder it
  matches as a document and reports the ones that are not.

A glob that matches no source folder and a path that does not exist are reported, as invalid
input, with the other documents.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipeline.targets import Entry

METADATA_FILE = "document.json"


def _named(path: Path) -> Iterator[Entry]:
    yield Entry(path)


def _matched(path: Path, pattern: str) -> Iterator[Entry]:
    if path.is_dir():
        if "**" not in pattern or (path / METADATA_FILE).is_file():
            yield Entry(path)
    elif path.name == METADATA_FILE and path.is_file():
        yield Entry(path.parent)


def _nothing(pattern: str) -> str:
    if "**" in pattern:
        return f"no source folder (a folder holding {METADATA_FILE}) matches {pattern!r}"
    return f"no folder matches {pattern!r}"


def expand(arguments: Sequence[str | os.PathLike[str]]) -> list[Entry]:
    """The source folders the arguments name, in order, each once."""
    from pipeline import targets

    return targets.expand(arguments, named=_named, matched=_matched, nothing=_nothing)


__all__ = ["Entry", "expand"]

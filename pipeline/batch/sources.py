"""Turn the SRC arguments of ``unfolio build`` into source folders.

Each argument is one of:

- a path that exists: taken as it is (a folder, or anything else, which validation refuses);
- a glob (``*``, ``?``, ``[…]``, ``**`` for any depth): the folders it matches, sorted; a
  match that is a ``document.json`` file stands for its folder; other files are ignored;
- ``@LIST``: a text file with one SRC per line, read as if each line had been given on the
  command line (relative paths and globs relative to the working folder, as for a compiler's
  response file); blank lines and lines starting with ``#`` are ignored. A list cannot name
  another list. A missing or unreadable list file is a usage error (exit 2).

The same folder named twice (by two globs, say) is built once. A glob that matches no folder
and a path that does not exist are reported, as invalid input, with the other documents.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import Problem, UserError

_MAGIC = set("*?[")


@dataclass(frozen=True)
class Entry:
    """One thing to build: a folder, or a problem found while expanding an argument."""

    source: Path
    problem: str | None = None


def _is_glob(text: str) -> bool:
    return any(c in _MAGIC for c in text)


def _read_list(name: str) -> list[str]:
    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(Problem(name, "list file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(Problem(name, f"cannot read the list file: {exc}")) from None
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            raise UserError(Problem(name, "a list file cannot name another list", line=number))
        lines.append(line)
    return lines


def _expand_one(argument: str) -> Iterable[Entry]:
    if os.path.lexists(argument) or not _is_glob(argument):
        yield Entry(Path(argument))
        return
    matches = []
    for match in sorted(glob.glob(argument, recursive=True)):
        path = Path(match)
        if path.is_dir():
            matches.append(path)
        elif path.name == "document.json" and path.is_file():
            matches.append(path.parent)
    if not matches:
        yield Entry(Path(argument), problem=f"no folder matches {argument!r}")
    for path in matches:
        yield Entry(path)


def expand(arguments: Sequence[str | os.PathLike[str]]) -> list[Entry]:
    """The source folders the arguments name, in order, each once."""
    entries: list[Entry] = []
    seen: set[str] = set()
    for argument in map(os.fspath, arguments):
        items = _read_list(argument[1:]) if argument.startswith("@") else [argument]
        for item in items:
            for entry in _expand_one(item):
                ident = os.path.realpath(entry.source) if entry.problem is None else None
                if ident is not None:
                    if ident in seen:
                        continue
                    seen.add(ident)
                entries.append(entry)
    return entries

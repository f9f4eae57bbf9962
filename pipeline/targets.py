"""The one grammar of the targets ``validate``, ``build`` and ``verify`` take on the command line.

Each argument is one of:

- a path that exists: taken as it is;
- a glob (``*``, ``?``, ``[…]``, ``**`` for any depth), quoted so that unfolio expands it:
  what it matches, sorted. A glob never matches the folder it starts from: ``'src/**'``
  means what lies below ``src``, never ``src`` itself (Python's glob also yields ``src/``);
- ``@LIST``: a text file with one argument per line, read as if each line had been given on
  the command line (relative paths and globs relative to the working folder, as in a
  compiler's response file); blank lines and lines starting with ``#`` are ignored. A list
  cannot name another list. A missing or unreadable list file is a usage error (exit 2).

What a match *is* — a document source folder, or a bag — is the command's to say: each
command passes a function that turns one matched path into the things it works on
(:mod:`pipeline.batch.sources` for documents, :mod:`pipeline.verify.discover` for bags).
The same thing named twice is taken once; an argument that names nothing is reported.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import Problem, UserError

_MAGIC = set("*?[")


@dataclass(frozen=True)
class Entry:
    """One thing to work on, or a problem found while expanding an argument."""

    source: Path
    problem: str | None = None


def is_glob(text: str) -> bool:
    return any(c in _MAGIC for c in text)


def read_list(name: str) -> list[str]:
    """The arguments an ``@LIST`` file holds."""
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


def glob_base(pattern: str) -> str:
    """The folder a glob starts from: the components before the first one with a wildcard
    (``src`` for ``src/**``, ``.`` for ``*/x``)."""
    parts = Path(pattern).parts
    base = []
    for part in parts:
        if is_glob(part):
            break
        base.append(part)
    return os.path.join(*base) if base else "."


def glob_matches(pattern: str) -> list[Path]:
    """What a glob matches, sorted, each once, never the folder it starts from."""
    base = os.path.realpath(glob_base(pattern))
    found: dict[str, Path] = {}
    for match in sorted(glob.glob(pattern, recursive=True)):
        path = Path(match)
        real = os.path.realpath(path)
        if real == base or real in found:
            continue
        found[real] = path
    return list(found.values())


def expand(
    arguments: Sequence[str | os.PathLike[str]],
    *,
    named: Callable[[Path], Iterable[Entry]],
    matched: Callable[[Path, str], Iterable[Entry]],
    nothing: Callable[[str], str],
) -> list[Entry]:
    """The entries the arguments name, in order, each once.

    ``named(path)`` gives the entries of a path named on its own (it exists, or is no glob);
    ``matched(path, pattern)`` those of one glob match (which may give none: a file that is
    not a document); ``nothing(pattern)`` the message for a glob that gives no entry.
    """
    entries: list[Entry] = []
    seen: set[str] = set()
    for argument in map(os.fspath, arguments):
        items = read_list(argument[1:]) if argument.startswith("@") else [argument]
        for item in items:
            if os.path.lexists(item) or not is_glob(item):
                found = list(named(Path(item)))
            else:
                found = [e for m in glob_matches(item) for e in matched(m, item)]
                if not found:
                    found = [Entry(Path(item), problem=nothing(item))]
            for entry in found:
                if entry.problem is None:
                    ident = os.path.realpath(entry.source)
                    if ident in seen:
                        continue
                    seen.add(ident)
                entries.append(entry)
    return entries

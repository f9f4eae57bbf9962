"""Make rules for what a render or build of a source folder reads (``unfolio deps``,
``--make-deps``), so a Makefile rebuilds exactly when one of those files changes.

The prerequisites are every file the output depends on that a user can change: the source
folder's files as the document names them (``document.json``, then its parts), the
configuration file, the emblem it names, and every file of a styles overlay. What the
installation brings (unfolio itself, the shipped styles, the pinned fonts, the libraries) is
not listed: a change there changes the build key, which ``unfolio build`` compares, so a
``make`` that calls build after an upgrade rebuilds what the upgrade changed. Each
prerequisite also gets an empty rule of its own (as ``gcc -MP`` writes), so a part file
deleted from a document does not stop make with "no rule to make target".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.model import Document


def inputs(
    folder: Path, document: Document, config: Config, config_file: Path | None
) -> list[Path]:
    """The files a render or build of ``document`` (loaded from ``folder``) reads."""
    found = [folder / source.name for source in document.files]
    if config_file is not None:
        found.append(config_file)
    if config.emblem is not None:
        found.append(Path(config.emblem))
    if config.styles is not None:
        styles = Path(config.styles)
        found += sorted(p for p in styles.rglob("*") if p.is_file())
    return list(dict.fromkeys(found))


def escape(path: str) -> str:
    """``path`` as GNU make reads it in a rule: spaces, ``#``, ``:`` and ``\\`` escaped,
    ``$`` doubled; a line break cannot be written in a rule at all."""
    if any(c in path for c in "\n\r\0"):
        raise UserError(f"{path!r}: a file name with a line break cannot be written as a make rule")
    out = path.replace("$", "$$")
    for char in ("\\", " ", "\t", "#", ":", "%"):
        out = out.replace(char, "\\" + char)
    return out


def rule(targets: Sequence[str], prerequisites: Iterable[Path]) -> str:
    """``TARGET...: PREREQUISITE...`` and an empty rule for each prerequisite."""
    names = [escape(str(p)) for p in prerequisites]
    lines = [" ".join(escape(t) for t in targets) + ":" + "".join(f" \\\n  {n}" for n in names)]
    lines += [f"\n{name}:" for name in names]
    return "\n".join(lines) + "\n"

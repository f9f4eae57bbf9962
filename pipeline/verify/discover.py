"""Find the bags ``unfolio verify`` is to judge, each alone, in what the command line names.

The grammar (paths, globs, ``@LIST`` files) is :mod:`pipeline.targets`; here is what a path
means for verification:

- a bag folder (one holding ``bagit.txt``, or, named on its own, anything a bag holds: a
  manifest, ``bag-info.txt``, ``data/``) is one target, even when broken;
- an OCFL storage root (a folder holding a ``0=ocfl_1.*`` conformance declaration) is one
  target: the OCFL verifier judges it whole;
- a file is one target (an archive ``.zip``, ``.tar.gz``, ``.tgz``; anything else is
  refused by verify with its own finding);
- any other folder is searched, recursively, in sorted order, for bags, OCFL roots and
  archives; the search does not enter a bag or an OCFL root, follows no symbolic link, and
  skips hidden names (``.A_75_1-EN.staging``: a build's work in progress). A ``.sha256``
  sidecar belongs to its archive and is no target; named on the command line (as the shell
  expands ``bags/*``) it stands for its archive, which is verified once.

A folder holding nothing to verify, a glob matching nothing and a path that does not exist
are usage errors (exit 2), reported before any bag is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipeline.errors import Problem, UserError
from pipeline.targets import Entry, expand

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
_BAG_MARKS = ("bagit.txt", "bag-info.txt")


def is_ocfl_root(folder: Path) -> bool:
    """A folder holding an OCFL storage root's conformance declaration (``0=ocfl_1.1``)."""
    try:
        return any(n.startswith("0=ocfl_") for n in os.listdir(folder))
    except OSError:
        return False


def _looks_like_bag(folder: Path, *, named: bool) -> bool:
    try:
        names = set(os.listdir(folder))
    except OSError:
        return named  # verify reports why it cannot be read
    if "bagit.txt" in names:
        return True
    if not named:
        return False
    if names & set(_BAG_MARKS) or (folder / "data").is_dir():
        return True
    return any(n.startswith(("manifest-", "tagmanifest-")) and n.endswith(".txt") for n in names)


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def search(folder: Path) -> Iterator[Path]:
    """The bags, OCFL roots and archives under ``folder``, in sorted order."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if _looks_like_bag(path, named=False) or is_ocfl_root(path):
                yield path
            else:
                yield from search(path)
        elif entry.is_file() and is_archive(entry.name):
            yield path


def _targets_in(path: Path, *, named: bool) -> Iterator[Entry]:
    if not path.exists():  # a link to nowhere too
        yield Entry(path, problem="no such bag or archive")
    elif not path.is_dir():
        archive = path.with_name(path.name[: -len(".sha256")])
        if path.name.endswith(".sha256") and is_archive(archive.name) and archive.is_file():
            if named:  # `verify bags/*` names each sidecar too: it stands for its archive
                yield Entry(archive)
        elif named or is_archive(path.name):
            yield Entry(path)
    elif _looks_like_bag(path, named=named) or is_ocfl_root(path):
        yield Entry(path)
    else:
        found = [Entry(p) for p in search(path)]
        if not found and named:
            yield Entry(
                path,
                problem="no bag, OCFL root or archive found in this folder (a bag is a folder "
                "holding bagit.txt; archives end in .zip, .tar.gz or .tgz)",
            )
        yield from found


def expand_targets(arguments: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The targets the arguments name, each once; a UserError naming every argument that
    names nothing."""
    entries = expand(
        arguments,
        named=lambda p: _targets_in(p, named=True),
        matched=lambda p, _pattern: _targets_in(p, named=False),
        nothing=lambda pattern: f"no bag, OCFL root or archive matches {pattern!r}",
    )
    problems = [Problem(str(e.source), e.problem) for e in entries if e.problem]
    if problems:
        raise UserError(problems)
    return [e.source for e in entries]

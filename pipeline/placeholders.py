"""Placeholders: the marks ``unfolio new`` leaves where a person must still write something.

A draft made by ``unfolio new`` validates and renders at once, so the officer can look at it;
what only a person can supply (the title, the body text, the job number) is marked. The mark
is ``[[TO FILL: what]]`` — plain ASCII, because every pinned font draws it and it passes the
schema's text rules, and because nothing in a real UN document looks like it. A job number
must match its pattern, so its placeholder is the number ``NN-00000`` (no job is numbered 0).

``validate`` lists each placeholder left as a warning; ``build`` refuses a source that holds
one, so no draft is ever archived. Pure functions over a loaded document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pipeline.errors import Problem
from pipeline.model import Document

MARK = "[[TO FILL: {what}]]"
PATTERN = re.compile(r"\[\[TO FILL(?::[^\]\n]*)?\]\]")
JOB_NUMBER_PLACEHOLDER = re.compile(r"(?:GE\.|V\.)?[0-9]{2}-00000")
METADATA_FILE = "document.json"


def mark(what: str) -> str:
    """The placeholder text for ``what`` (``[[TO FILL: title]]``)."""
    return MARK.format(what=what)


def job_number(prefix: str, year: int) -> str:
    """The job number placeholder of a duty station's prefix and a year: ``26-00000``."""
    return f"{prefix}{year % 100:02d}-00000"


def _pointer(path: tuple[Any, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from _walk(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _walk(child, (*path, index))


def in_metadata(meta: dict[str, Any], where: str) -> list[Problem]:
    """One problem per placeholder in document.json, with its JSON pointer."""
    problems = []
    for path, text in _walk(meta):
        if path == ("job_number",) and JOB_NUMBER_PLACEHOLDER.fullmatch(text):
            problems.append(
                Problem(where, f"job number {text} is a placeholder", pointer="/job_number")
            )
            continue
        for found in PATTERN.finditer(text):
            problems.append(
                Problem(where, f"placeholder {found.group()} is still here", _pointer(path))
            )
    return problems


def in_text(text: str, where: str) -> list[Problem]:
    """One problem per placeholder in a part's Markdown, with its line and column."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        for found in PATTERN.finditer(line):
            problems.append(
                Problem(
                    where,
                    f"placeholder {found.group()} is still here",
                    line=number,
                    column=found.start() + 1,
                )
            )
    return problems


def find(document: Document, folder: str = "") -> list[Problem]:
    """Every placeholder left in a loaded document, document.json first, then its parts."""
    prefix = f"{folder}/" if folder and not folder.endswith("/") else folder
    problems: list[Problem] = []
    for file in document.files:
        where = prefix + file.name
        text = file.data.decode("utf-8-sig", errors="replace")
        if file.name == METADATA_FILE:
            problems += in_metadata(json.loads(text), where)
        else:
            problems += in_text(text, where)
    return problems

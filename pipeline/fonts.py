"""The pinned font files: which faces unfolio renders with and where they are on this host.

The list is data (``styles/fonts.json``) so that an organization can swap a face without
touching code. Files are found by exact name in fixed folders, never by asking the host
for "something like Times", so two hosts with the same packages render the same PDF.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.resources import styles_dir


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    style: str
    file: str
    package: str
    purpose: str


@cache
def _config() -> dict:
    return json.loads((styles_dir() / "fonts.json").read_text(encoding="utf-8"))


def faces() -> tuple[Face, ...]:
    return tuple(
        Face(f["family"], f["weight"], f["style"], f["file"], f["package"], f["for"])
        for f in _config()["faces"]
    )


@cache
def locate(file_name: str) -> Path | None:
    """The first file of this exact name under the configured font folders, or None."""
    for root in map(Path, _config()["search_paths"]):
        if root.is_dir():
            for path in sorted(root.rglob(file_name)):
                if path.is_file():
                    return path
    return None

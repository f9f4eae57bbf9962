"""Shared fixtures: a small valid source folder that each test bends into one bad shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
#: The project's shared test data: beside the checkout, or beside the worktrees' folder.
SHARED = next(
    (p for p in (REPO.parent / "shared", REPO.parent.parent / "shared") if p.is_dir()),
    REPO.parent / "shared",
)

MINIMAL = REPO / "tests" / "fixtures" / "minimal"  # shared with stress/harness.py
#: The tag files an unfolio bag lists in its tag manifests: RFC 8493's and the environment
#: record (pipeline.package.environment). Stated once, here, so a new tag file is one decision
#: the tests see; a signed bag adds tagmanifest-sha512.txt.p7s, which no manifest lists.
TAG_FILES = frozenset(
    {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
     "unfolio-environment.json"}
)  # fmt: skip
TAG_MANIFESTS = frozenset({"tagmanifest-sha256.txt", "tagmanifest-sha512.txt"})
MINIMAL_DOCUMENT = json.loads((MINIMAL / "document.json").read_text(encoding="utf-8"))
MINIMAL_PARTS = {
    name: (MINIMAL / name).read_text(encoding="utf-8") for name in ("letter.md", "annex-1.md")
}

MakeSource = Callable[..., Path]


@pytest.fixture
def make_source(tmp_path: Path) -> MakeSource:
    """Write a valid source folder; ``document`` and ``parts`` override pieces of it."""

    def make(document: dict | None = None, parts: dict[str, str | bytes] | None = None) -> Path:
        folder = tmp_path / "doc"
        folder.mkdir(exist_ok=True)
        metadata = json.loads(json.dumps(MINIMAL_DOCUMENT))
        metadata.update(document or {})
        (folder / "document.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2))
        for name, text in {**MINIMAL_PARTS, **(parts or {})}.items():
            data = text if isinstance(text, bytes) else text.encode()
            (folder / name).write_bytes(data)
        return folder

    return make

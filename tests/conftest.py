"""Shared fixtures: a small valid source folder that each test bends into one bad shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"

MINIMAL_DOCUMENT = {
    "symbols": ["A/75/9001", "S/2021/9001"],
    "language": "en",
    "original_languages": ["en"],
    "distribution": "general",
    "date": "2021-03-05",
    "organs": [
        {
            "organ": "GA",
            "session": 75,
            "agenda_items": [{"item": "130", "sub_item": "t", "title": "Cooperation"}],
        },
        {"organ": "SC", "year": 2021},
    ],
    "title": "Letter dated 2 March 2021 addressed to the Secretary-General",
    "job_number": "21-90001",
    "processing_dates": ["2021-03-09", "2021-03-10"],
    "parts": [
        {"kind": "main", "text": "letter.md", "signature": {"name": "A. Person"}},
        {"kind": "annex", "text": "annex-1.md", "heading": "Annex", "original_language": "ru"},
    ],
}
MINIMAL_PARTS = {
    "letter.md": "I have the honour to refer to resolution [59/50](https://undocs.org/A/RES/59/50).\n",
    "annex-1.md": "The member States stress the need for agreed approaches.[^1]\n\n[^1]: A note.\n",
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

"""No false alarm: every bag unfolio builds verifies with exit 0 and no finding at all.

The exact-content checks and reproduction are strict by design, so their main risk is
refusing a good bag. Every document fixture, the example and the hostile sources that are
valid are built with ``unfolio build`` in every flavour, each flavour in another archive
format (so every format meets every document), and verified with default options: the
reproduction runs (same environment) and must match byte for byte, and the exact checks
must find nothing.
"""

from __future__ import annotations

import json
import os

import pytest

from pipeline.cli import main
from pipeline.typeset import FLAVOURS

from .conftest import EXAMPLE, REPO

DOCUMENTS = sorted((REPO / "tests" / "fixtures" / "documents").iterdir())
HOSTILE_VALID = [
    REPO / "tests" / "fixtures" / "hostile" / name
    for name in (
        "css-injection-in-title",
        "link-web-kept",
        "raw-html",
        "zero-width-and-marks-kept",
    )
]
SOURCES = [EXAMPLE, *DOCUMENTS]
#: every flavour unfolio writes (a new one joins by itself), each in another format, and the
#: formats once more for the last flavour, so every format meets every document and flavour
FORMATS = ("dir", "zip", "tgz")
FLAVOUR_FORMATS = [(f, FORMATS[i % 3]) for i, f in enumerate(FLAVOURS)] + [
    (FLAVOURS[-1], fmt) for fmt in FORMATS if fmt != FORMATS[(len(FLAVOURS) - 1) % 3]
]


@pytest.mark.parametrize(("flavour", "fmt"), FLAVOUR_FORMATS)
def test_every_fixture_built_in_this_flavour_and_format_verifies_clean(
    flavour, fmt, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    _build_and_verify(SOURCES, flavour, fmt, tmp_path / "bags", capsys)


@pytest.mark.parametrize("flavour", ["2u", "2a"])  # untagged and tagged: PDF-TEXT-ORDER reads both
@pytest.mark.parametrize("hostile", HOSTILE_VALID, ids=lambda p: p.name)
def test_hostile_but_valid_sources_verify_clean(hostile, flavour, tmp_path, capsys):
    _build_and_verify([hostile], flavour, "dir", tmp_path / "bags", capsys)


def _build_and_verify(sources, flavour, fmt, out, capsys) -> None:
    args = ["build", *map(str, sources), "-o", str(out), "--pdfa", flavour, "--format", fmt]
    assert main([*args, "--executor", "inline"]) == 0, capsys.readouterr()
    capsys.readouterr()
    targets = sorted(p for p in out.iterdir() if not p.name.endswith(".sha256"))
    targets = [p for p in targets if not p.name.startswith(".")]
    assert len(targets) == len(sources)
    code = main(["verify", "--json", "--no-second-opinions", *map(str, targets)])
    report = json.loads(capsys.readouterr().out)
    problems = {
        t["path"]: t["findings"]
        for t in report["targets"]
        if t["findings"] or t["status"] != "valid"
    }
    assert code == 0 and not problems, problems
    assert all("reproduce" in t["checks"] for t in report["targets"])


def test_reproduction_ran_on_a_clean_bag(tmp_path, capsys, monkeypatch):
    """The clean verdicts above are not a skipped reproduction: it ran and compared."""
    from pipeline.verify import reproduce

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    calls = []
    original = reproduce.rerender
    monkeypatch.setattr(reproduce, "rerender", lambda *a: calls.append(a) or original(*a))
    out = tmp_path / "bags"
    assert main(["build", str(DOCUMENTS[0]), "-o", str(out), "--executor", "inline"]) == 0
    capsys.readouterr()
    bag = next(out.iterdir())
    assert main(["verify", "--no-second-opinions", str(bag)]) == 0
    assert len(calls) == 1
    assert os.environ["SOURCE_DATE_EPOCH"] == "1700000000"

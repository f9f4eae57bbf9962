"""unfolio against the UN's own PDFs: each tests/fixtures/reference source holds the masthead
values of one PDF in /work/shared/reference/, and scripts/measure.py finds every element
within ±1 pt (docs/measuring.md). Elements listed in KNOWN_OFF are what unfolio cannot yet
express in document.json (each with the reason); everything else is judged."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

from pipeline import locale, source
from pipeline.typeset import layout, typeset

REPO = Path(__file__).resolve().parent.parent
REFERENCE = Path("/work/shared/reference")
FIXTURES = REPO / "tests" / "fixtures" / "reference"

_spec = importlib.util.spec_from_file_location("measure", REPO / "scripts" / "measure.py")
measure = importlib.util.module_from_spec(_spec)
sys.modules["measure"] = measure  # dataclasses look their module up
_spec.loader.exec_module(measure)

CASES = {
    "hrc-en": "A_HRC_WG.6_34_ITA_3-EN.pdf",
    "hrc-ru": "A_HRC_WG.6_34_ITA_3-RU.pdf",
    "c2-l2": "A_C.2_80_L.2-EN.pdf",
    "c6-l10": "A_C.6_80_L.10-EN.pdf",
    "acabq-en": "A_80_604_Add.1-EN.pdf",
}
# Measured gaps, not closed (docs/measuring.md gives the numbers): the UN's PDFs disagree with
# each other here, and unfolio follows the majority. A/C.6/80/L.10 wraps its agenda title at a
# wider measure than A/C.2/80/L.2 and A/80/604/Add.1 (so every line under it is 12.4 pt
# lower).
KNOWN_OFF: dict[str, set[tuple[str, str]]] = {
    "c6-l10": {
        ("session block", "last baseline"),
        ("sponsors", "baseline"),
        ("title", "baseline"),
    },
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_masthead_and_furniture_within_one_point_of_the_un_pdf(name):
    reference = REFERENCE / CASES[name]
    if not reference.exists():
        pytest.skip(f"{reference} is not on this machine")
    folder = FIXTURES / name
    ours = measure.measure(typeset(source.load(folder), folder))
    rows = measure.compare(ours, measure.measure(reference))
    off = [
        (r.element, r.value, r.ours, r.reference)
        for r in measure.failures(rows, 1.0)
        if (r.element, r.value) not in KNOWN_OFF.get(name, set())
    ]
    assert not off, off
    assert len(rows) > 30  # the tool found the masthead, session block, footer in both


def test_measure_flags_a_displaced_element():
    """The tool's own check: a symbol 3 pt low is reported, one 0.5 pt low is not."""
    ref = {"symbol": measure.Element({"baseline": 56.5})}
    low = {"symbol": measure.Element({"baseline": 59.5})}
    near = {"symbol": measure.Element({"baseline": 57.0})}
    assert measure.failures(measure.compare(low, ref), 1.0)
    assert not measure.failures(measure.compare(near, ref), 1.0)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Second Committee"),
        ("fr", "Deuxième Commission"),
        ("es", "Segunda Comisión"),
        ("ru", "Второй комитет"),
        ("zh", "第二委员会"),
        ("ar", "اللجنة الثانية"),
    ],
)
def test_committee_line_from_the_symbol_in_six_languages(lang, expected):
    document = source.load(FIXTURES / "c2-l2")
    document = dataclasses.replace(document, language=lang)
    assert layout.committee_line(document) == expected
    lines = layout.session_columns(document)[0]
    kinds = [line.kind for line in lines]
    assert kinds[:3] == ["session", "committee", "agenda"]


def test_fourth_committee_has_its_full_name():
    assert locale.get("en").main_committee(4) == (
        "Special Political and Decolonization Committee (Fourth Committee)"
    )
    assert "Cuarta Comisión" in locale.get("es").main_committee(4)


def test_no_committee_line_without_a_committee_symbol():
    document = source.load(FIXTURES / "acabq-en")
    assert layout.committee_line(document) is None


def test_a_table_note_rule_is_not_taken_for_the_footnote_separator():
    """A/80/604/Add.1 has no footnote on page 1: its short rule at 147.2 pt closes a table and
    is followed by lettered notes (a, b); A/C.2/80/L.2's separator is followed by its "*"."""
    acabq, draft = REFERENCE / CASES["acabq-en"], REFERENCE / CASES["c2-l2"]
    if not (acabq.exists() and draft.exists()):
        pytest.skip("the reference PDFs are not on this machine")
    assert "footnote rule" not in measure.measure(acabq)
    assert measure.measure(draft)["footnote rule"].values["x0"] == pytest.approx(110.8, abs=0.1)

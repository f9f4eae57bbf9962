"""``unfolio new``: a draft source folder that validates and renders at once.

What the symbol says is filled in (the organs, the General Assembly or Human Rights Council
session, the Security Council or ECOSOC year, the bag's name); what only a person knows is
marked with a placeholder (:mod:`pipeline.placeholders`) that ``validate`` lists and
``build`` refuses. The folder is written in a staging folder beside its destination,
validated there, then renamed into place: a draft that would not validate is never left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pipeline import locale, placeholders
from pipeline.errors import Problem, UserError
from pipeline.model import JOB_PREFIX
from pipeline.symbols import LANGUAGES, Symbol, SymbolError, file_stem, parse_symbols

ORGAN_CODES = ("GA", "SC", "ECOSOC", "HRC")
MAIN_PART = "text.md"
_SESSION_ORGANS = ("GA", "HRC")


@dataclass(frozen=True)
class Draft:
    """What ``new`` wrote: the folder, the metadata, and the placeholders left to fill."""

    folder: Path
    metadata: dict[str, Any]
    to_fill: list[Problem]


def parse_date(text: str) -> date:
    """``--date``: an ISO date, or a UsageError saying how to write the one given."""
    from pipeline import suggest

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        hint = suggest.date_hint(text)
        if hint:
            raise UserError(f"--date {text!r} is not in the form YYYY-MM-DD{hint}") from None
        raise UserError(f"--date {text!r}: expected a real calendar date, YYYY-MM-DD") from None


def parse_organ(text: str) -> dict[str, Any]:
    """``GA:75``, ``SC:2021``, ``HRC:49``, ``ECOSOC:2022`` (or the bare code, when the symbol
    gives the number) as an organ entry of document.json."""
    code, _, number = text.partition(":")
    code = code.strip().upper()
    if code not in ORGAN_CODES:
        raise UserError(
            f"--organ {text!r}: expected one of {', '.join(ORGAN_CODES)}, optionally with "
            "':SESSION' (GA, HRC) or ':YEAR' (SC, ECOSOC), like GA:75 or SC:2021"
        )
    entry: dict[str, Any] = {"organ": code}
    if number:
        value: int | str = number.strip()
        if str(value).isdigit():
            value = int(value)
        elif code not in _SESSION_ORGANS:
            raise UserError(f"--organ {text!r}: the year of {code} is a number, like {code}:2021")
        entry["session" if code in _SESSION_ORGANS else "year"] = value
    return entry


def organs_of(symbols: tuple[Symbol, ...]) -> list[dict[str, Any]]:
    """The organs a symbol names: A/75/… is GA session 75, A/HRC/49/… HRC session 49,
    S/2021/… SC year 2021, E/2022/… ECOSOC year 2022."""
    organs: dict[str, dict[str, Any]] = {}
    for symbol in symbols:
        if symbol.series == "A" and symbol.segments[0] == "HRC":
            code, key, value = "HRC", "session", symbol.session
        elif symbol.series == "A":
            code, key, value = "GA", "session", symbol.session
        elif symbol.series == "S":
            code, key, value = "SC", "year", symbol.year
        elif symbol.series == "E":
            code, key, value = "ECOSOC", "year", symbol.year
        else:
            continue
        if value is None or code in organs:
            continue
        if key == "session" and str(value).isdigit():
            value = int(value)
        organs[code] = {"organ": code, key: value}
    return list(organs.values())


_AGENDA_ITEM = re.compile(r"^\s*([1-9][0-9]{0,2})\s*(?:\(([a-z]{1,2})\)|([a-z]{1,2}))?\s*$")


def parse_agenda_item(text: str) -> dict[str, str]:
    """``--agenda-item``: ``156``, ``156a`` or ``156 (a)`` as an agenda_items entry."""
    match = _AGENDA_ITEM.match(text)
    if match is None:
        raise UserError(
            f"--agenda-item {text!r}: expected an item number and an optional sub-item letter, "
            "like 156, 156a or '156 (a)'"
        )
    item = {"item": match.group(1)}
    if match.group(2) or match.group(3):
        item["sub_item"] = match.group(2) or match.group(3)
    return item


def _with_agenda(organs: list[dict[str, Any]], items: list[dict[str, str]]) -> list[dict]:
    """The agenda items go to the General Assembly (else the Human Rights Council); without
    any, a General Assembly document gets one placeholder item, as nearly all carry one
    (delete ``agenda_items`` if this one has none)."""
    target = next((o for o in organs if o["organ"] == "GA"), None)
    if items:
        target = target or next((o for o in organs if o["organ"] == "HRC"), None)
        if target is None:
            raise UserError(
                "--agenda-item: only a General Assembly or Human Rights Council document has an "
                "agenda item; give the organ with --organ GA:SESSION"
            )
        target["agenda_items"] = items
    elif target is not None:
        target["agenda_items"] = [{"item": placeholders.mark("agenda item number")}]
    return organs


def _merge_organs(derived: list[dict[str, Any]], given: list[dict[str, Any]]) -> list[dict]:
    """``--organ`` values win over what the symbol says; a bare code takes the symbol's number."""
    by_code = {o["organ"]: o for o in derived}
    merged = []
    for entry in given:
        if len(entry) == 1 and entry["organ"] in by_code:
            entry = by_code[entry["organ"]]
        merged.append(entry)
    codes = {e["organ"] for e in merged}
    return merged + [o for o in derived if o["organ"] not in codes]


def metadata(
    symbols: tuple[Symbol, ...],
    language: str,
    *,
    organs: list[dict[str, Any]],
    when: date | None,
    duty_station: str = "new-york",
    distribution: str = "general",
    original_languages: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The document.json of a draft: every required field present, placeholders where only a
    person can say."""
    return {
        "symbols": [s.text for s in symbols],
        "language": language,
        "original_languages": list(original_languages or (language,)),
        "distribution": distribution,
        "date": when.isoformat() if when else placeholders.mark("date, YYYY-MM-DD"),
        "duty_station": duty_station,
        "organs": organs,
        "title": placeholders.mark("title"),
        "job_number": placeholders.job_number(
            JOB_PREFIX[duty_station], (when or date.today()).year
        ),
        "parts": [{"kind": "main", "text": MAIN_PART}],
    }


def body_text(language: str) -> str:
    """The main part of a draft: one placeholder paragraph, then an example of numbering."""
    return (
        f"{placeholders.mark('body text in Markdown')}\n\n"
        f"1. {placeholders.mark('first numbered paragraph')}\n\n"
        f"2. {placeholders.mark('second numbered paragraph')}\n"
    )


def describe(meta: dict[str, Any]) -> str:
    """``English; General Assembly, Seventy-fifth session`` — what the masthead will say,
    in the document's own language (the locale data), so a wrong derivation shows at once."""
    loc = locale.get(meta["language"])
    lines = []
    for organ in meta["organs"]:
        name = loc.organ_name(organ["organ"])
        if "session" in organ and organ["organ"] in _SESSION_ORGANS:
            name += ", " + loc.session_line(organ["session"])
        elif "year" in organ and organ["organ"] == "SC":
            name += ", " + loc.sc_year_line(organ["year"])
        elif "year" in organ:
            name += ", " + loc.ecosoc_session_line(organ["year"])
        lines.append(name)
    return f"{loc.language_name(meta['language'])}; " + "; ".join(lines)


def create(
    symbol_texts: list[str],
    language: str,
    *,
    output: Path | None = None,
    organs: list[str] = (),  # type: ignore[assignment]
    when: date | None = None,
    duty_station: str = "new-york",
    distribution: str = "general",
    original_languages: tuple[str, ...] = (),
    agenda_items: tuple[str, ...] = (),
) -> Draft:
    """Write a draft source folder; raise UserError (nothing written) when it cannot be one."""
    from pipeline import source

    if language not in LANGUAGES:
        raise UserError(f"--language {language!r}: expected one of {', '.join(LANGUAGES)}")
    try:
        symbols = parse_symbols(symbol_texts if len(symbol_texts) > 1 else symbol_texts[0])
    except SymbolError as exc:
        raise UserError(f"symbol {exc}") from None
    derived = organs_of(symbols)
    chosen = _merge_organs(derived, [parse_organ(o) for o in organs])
    if not chosen:
        raise UserError(
            f"{symbols[0].text}: the symbol names no organ unfolio knows; give one with "
            "--organ (GA:SESSION, SC:YEAR, ECOSOC:YEAR or HRC:SESSION)"
        )
    missing = [o["organ"] for o in chosen if len(o) == 1]
    if missing:
        raise UserError(
            f"--organ {missing[0]}: the symbol does not say its "
            f"{'session' if missing[0] in _SESSION_ORGANS else 'year'}; "
            f"write it as {missing[0]}:{'75' if missing[0] in _SESSION_ORGANS else '2021'}"
        )
    chosen = _with_agenda(chosen, [parse_agenda_item(a) for a in agenda_items])
    meta = metadata(
        symbols, language, organs=chosen, when=when, duty_station=duty_station,
        distribution=distribution, original_languages=original_languages,
    )  # fmt: skip
    folder = output if output is not None else Path(file_stem(symbols, language))
    if os.path.lexists(folder) and not (folder.is_dir() and not any(folder.iterdir())):
        raise UserError(f"{folder}: already exists; choose another folder with -o")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".new", dir=folder.parent))
    try:
        text = json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
        (staging / "document.json").write_text(text, encoding="utf-8")
        (staging / MAIN_PART).write_text(body_text(language), encoding="utf-8")
        try:
            document = source.load(staging)
        except UserError as exc:  # the options contradict each other (a date before the session)
            raise UserError(
                [Problem("", f"cannot make a valid draft: {p.message}" + (
                    f" (at {p.pointer})" if p.pointer else "")) for p in exc.problems]
            ) from None  # fmt: skip
        if folder.is_dir():
            folder.rmdir()  # the empty folder the user named
        os.replace(staging, folder)
        os.chmod(folder, 0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Draft(folder, meta, placeholders.find(document, str(folder)))

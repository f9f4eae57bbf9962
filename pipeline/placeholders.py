"""Placeholders: the marks ``unfolio new`` leaves where a person must still write something.

A draft made by ``unfolio new`` validates and renders at once, so the officer can look at it;
what only a person can supply (the title, the body text, the job number) is marked. The mark
is ``[[TO FILL: what]]`` — plain ASCII, because every pinned font draws it and it passes the
schema's text rules, and because nothing in a real UN document looks like it. A job number
must match its pattern, so its placeholder is the number ``NN-00000`` (no job is numbered 0).

``validate`` lists each placeholder left as a warning; ``build`` refuses a source that holds
one, so no draft is ever archived. A placeholder may stand in any field, also one the schema
types (a date, a symbol, the distribution, an agenda item, a session: ``unfolio import`` writes
them there when the Word file does not say): :func:`stand_in` gives the loader a copy of the
metadata where each such placeholder is replaced by a value the rules accept, so the draft
validates and renders, while :func:`find` still reads the placeholders from the file's bytes.
Pure functions.
"""

from __future__ import annotations

import copy
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


# -- stand-ins: placeholders in typed fields ------------------------------------------------

_STATION_OF_PREFIX = {"GE.": "geneva", "V.": "vienna"}
_PREFIX_OF_STATION = {"new-york": "", "geneva": "GE.", "vienna": "V."}


def _held(value: Any) -> bool:
    return isinstance(value, str) and PATTERN.search(value) is not None


def _symbol_numbers(meta: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """The sessions and years the real symbols give (A/80/… → GA 80, S/2021/… → SC 2021)."""
    from pipeline.symbols import SymbolError, parse_symbol

    sessions: dict[str, int] = {}
    years: dict[str, int] = {}
    for text in meta.get("symbols") or []:
        if not isinstance(text, str) or _held(text):
            continue
        try:
            symbol = parse_symbol(text)
        except (SymbolError, ValueError):
            continue
        if symbol.series == "A" and str(symbol.session or "").isdigit():
            organ = "HRC" if symbol.segments[0] == "HRC" else "GA"
            sessions.setdefault(organ, int(symbol.session))
        elif symbol.series in ("S", "E") and symbol.year:
            years.setdefault("SC" if symbol.series == "S" else "ECOSOC", int(symbol.year))
    return sessions, years


def stand_in(meta: Any) -> Any:
    """``meta`` with each placeholder in a typed field replaced by a value the schema and the
    rules accept (the same input gives the same values: no clock is read). Free-text fields
    keep their placeholder, which prints. A part's file name is never replaced."""
    if not isinstance(meta, dict) or not any(_held(t) for _, t in _walk(meta)):
        return meta
    out = copy.deepcopy(meta)
    language = out.get("language")
    if _held(language) or not isinstance(language, str):
        language = "en"
        if _held(out.get("language")):
            out["language"] = language
    job = out.get("job_number")
    if _held(out.get("duty_station")):
        prefix = next((p for p in _STATION_OF_PREFIX if str(job).startswith(p)), "")
        out["duty_station"] = _STATION_OF_PREFIX.get(prefix, "new-york")
    if _held(job):
        station = out.get("duty_station", "new-york")
        out["job_number"] = _PREFIX_OF_STATION.get(station, "") + "00-00000"
    if _held(out.get("distribution")):
        out["distribution"] = "general"
    if isinstance(out.get("original_languages"), list):
        out["original_languages"] = [language if _held(v) else v for v in out["original_languages"]]
    sessions, years = _symbol_numbers(out)
    organs = out.get("organs") if isinstance(out.get("organs"), list) else []
    for organ in organs:
        if not isinstance(organ, dict):
            continue
        if _held(organ.get("organ")):
            organ["organ"] = "SC" if "year" in organ else "GA"
        code = organ.get("organ")
        if _held(organ.get("session")):
            organ["session"] = sessions.get(code, 1)
        for item in organ.get("agenda_items") or []:
            if isinstance(item, dict):
                if _held(item.get("item")):
                    item["item"] = "1"
                if _held(item.get("sub_item")):
                    item["sub_item"] = "a"
    # the masthead date: the last day of the latest year the metadata names, so that every
    # session has opened and no year is after it
    latest = [1945 + o["session"] for o in organs if isinstance(o, dict)
              and isinstance(o.get("session"), int)]  # fmt: skip
    latest += list(years.values())
    latest += [o["year"] for o in organs if isinstance(o, dict) and isinstance(o.get("year"), int)]
    date = out.get("date")
    for text in [date, *(out.get("processing_dates") or [])]:
        if isinstance(text, str) and not _held(text) and text[:4].isdigit():
            latest.append(int(text[:4]))
    masthead = (
        date if isinstance(date, str) and not _held(date) else f"{max(latest, default=2000)}-12-31"
    )
    if _held(date):
        out["date"] = masthead
    for organ in organs:
        if not isinstance(organ, dict):
            continue
        if _held(organ.get("year")):
            organ["year"] = years.get(organ.get("organ"), int(masthead[:4]))
        dates = organ.get("meeting_dates")
        if isinstance(dates, dict):
            real = [v for v in dates.values() if isinstance(v, str) and not _held(v)]
            for key, value in dates.items():
                if _held(value):
                    dates[key] = real[0] if real else masthead
    processing = out.get("processing_dates")
    if isinstance(processing, list):
        real = [v for v in processing if isinstance(v, str) and not _held(v)]
        out["processing_dates"] = [(real[0] if real else masthead) if _held(v) else v
                                   for v in processing]  # fmt: skip
    if isinstance(out.get("symbols"), list):
        out["symbols"] = _symbols(out["symbols"], organs)
    for index, part in enumerate(out.get("parts") or []):
        if isinstance(part, dict):
            if _held(part.get("kind")):
                part["kind"] = "main" if index == 0 else "annex"
            if _held(part.get("original_language")):
                part["original_language"] = language
    return out


def _symbols(texts: list[Any], organs: list[Any]) -> list[Any]:
    """A stand-in symbol per placeholder, of the organ at the same place (A/80/…, S/2025/…)."""
    real = {t for t in texts if isinstance(t, str) and not _held(t)}
    out = []
    for index, text in enumerate(texts):
        if not _held(text):
            out.append(text)
            continue
        organ = organs[min(index, len(organs) - 1)] if organs else {}
        organ = organ if isinstance(organ, dict) else {}
        code, session, year = organ.get("organ"), organ.get("session"), organ.get("year")
        if code == "HRC" and isinstance(session, int):
            stem = f"A/HRC/{session}/"
        elif code == "SC" and isinstance(year, int):
            stem = f"S/{year}/"
        elif code == "ECOSOC" and isinstance(year, int):
            stem = f"E/{year}/"
        else:
            stem = f"A/{session if isinstance(session, int) else 1}/"
        number = index + 1
        while f"{stem}{number}" in real:
            number += 1
        out.append(f"{stem}{number}")
        real.add(out[-1])
    return out


def printed(meta: Any, checked: Any) -> Any:
    """``checked`` (from :func:`stand_in`) with the agenda items' placeholders put back: an
    item number is printed as text, so the draft shows "Agenda item [[TO FILL: …]]" rather
    than a stand-in number."""
    if checked is meta:
        return checked
    for organ, mine in zip(meta.get("organs") or [], checked.get("organs") or [], strict=False):
        if not (isinstance(organ, dict) and isinstance(mine, dict)):
            continue
        pairs = zip(organ.get("agenda_items") or [], mine.get("agenda_items") or [], strict=False)
        for item, stood in pairs:
            if isinstance(item, dict) and isinstance(stood, dict) and _held(item.get("item")):
                stood["item"] = item["item"]
    return checked

"""Turn the schema's raw errors into one message per mistake, with a suggestion where one fits.

jsonschema reports what each keyword saw, so one slip gives several errors: ``tilte`` is an
unexpected property *and* a missing ``title``; ``17/03/2022`` fails both the date format and
its pattern. A records officer made one mistake and should read one line, saying what to
write instead: "did you mean 'title'?", "did you mean 'general'?", "write it as 2022-03-17".
Pure functions; the wording of each keyword's message stays in :mod:`pipeline.source`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import jsonschema

_CUTOFF = 0.6  # difflib's ratio for a close match: "tilte"→"title", "sesion"→"session"


def closest(word: object, choices: Iterable[object]) -> object | None:
    """The choice ``word`` most likely meant: a case mistake first, else a close spelling."""
    options = list(choices)
    if not isinstance(word, str):
        return None
    folded = [c for c in options if isinstance(c, str) and c.casefold() == word.casefold()]
    if folded:
        return folded[0]
    texts = [c for c in options if isinstance(c, str)]
    near = difflib.get_close_matches(word, texts, n=1, cutoff=_CUTOFF)
    if not near:
        near = difflib.get_close_matches(word.casefold(), texts, n=1, cutoff=_CUTOFF)
    return near[0] if near else None


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """``; did you mean 'title'?`` or the empty string."""
    guess = closest(word, choices)
    return f"; did you mean {guess!r}?" if guess is not None else ""


def language_code(word: object, choices: Sequence[object]) -> str:
    """``; did you mean 'en'?`` for a language written by name (``English``, ``anglais``,
    ``Chinese``) where a code of the six official languages is expected, else ``""``.

    The names are the locale data's (``styles/locale/*.json``: each language's names of all
    six), so a name in any official language is understood.
    """
    from pipeline import locale

    if not isinstance(word, str) or not set(choices) <= set(locale.LANGUAGES):
        return ""
    wanted = word.strip().casefold()
    for lang in locale.LANGUAGES:
        names = locale.get(lang)
        for code in locale.LANGUAGES:
            if names.language_name(code).casefold() == wanted and code in choices:
                return f"; did you mean {code!r}?"
    return ""


_DMY = re.compile(r"\s*([0-9]{1,4})[./\-\s]([0-9]{1,2})[./\-\s]([0-9]{1,4})\s*")


def date_hint(text: object) -> str:
    """How to write a date given in another form: ``17/03/2022`` → ``write it as 2022-03-17``.

    Day and month are read both ways; only readings that are real dates are offered, so
    ``03/04/2022`` (ambiguous) offers two, ``17/03/2022`` one.
    """
    if not isinstance(text, str):
        return ""
    match = _DMY.fullmatch(text)
    if not match:
        return ""
    a, b, c = match.groups()
    readings: list[tuple[int, int, int]] = []
    if len(a) == 4:  # year first: 2022/03/17, 2022-3-7
        readings.append((int(a), int(b), int(c)))
    elif len(c) == 4:  # day/month/year or month/day/year
        readings += [(int(c), int(b), int(a)), (int(c), int(a), int(b))]
    found = []
    for year, month, day in readings:
        try:
            iso = date(year, month, day).isoformat()
        except ValueError:
            continue
        if iso not in found:
            found.append(iso)
    if not found:
        return ""
    return "; write it as " + " or ".join(found)


@dataclass(frozen=True)
class Unknown:
    """A property the schema does not allow, and the allowed one it most likely meant."""

    pointer: str  # of the property itself: /organs/0/sesion
    key: str
    meant: str | None
    allowed: tuple[str, ...]


def unknown_properties(error: jsonschema.ValidationError, pointer: str) -> list[Unknown]:
    """Each unexpected property of an ``additionalProperties`` error, one by one."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    allowed = tuple(sorted(schema.get("properties", {})))
    value = error.instance if isinstance(error.instance, dict) else {}
    found = []
    for key in value:
        if key in allowed:
            continue
        missing = [a for a in allowed if a not in value]
        meant = closest(key, missing)  # a field already present was not what was meant
        escaped = str(key).replace("~", "~0").replace("/", "~1")
        found.append(Unknown(f"{pointer}/{escaped}", key, meant, allowed))  # type: ignore[arg-type]
    return found


def merge(errors: Sequence[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    """Drop the errors that only echo another one about the same value.

    - a ``pattern`` error where a ``format`` error says the same value is not a date;
    - a ``required`` error for a property that an unexpected one (``tilte``) was meant to be.
    """
    by_path: dict[tuple[Any, ...], list[jsonschema.ValidationError]] = {}
    for error in errors:
        by_path.setdefault(tuple(error.absolute_path), []).append(error)
    kept = []
    for group in by_path.values():
        kinds = {e.validator for e in group}
        meant = set()
        for error in group:
            if error.validator == "additionalProperties":
                meant |= {u.meant for u in unknown_properties(error, "")}
        for error in group:
            if error.validator == "pattern" and "format" in kinds:
                continue
            if error.validator == "required" and _missing(error) in meant:
                continue
            kept.append(error)
    return kept


def _missing(error: jsonschema.ValidationError) -> str | None:
    """The property a ``required`` error says is missing."""
    if isinstance(error.instance, dict) and isinstance(error.validator_value, list):
        for name in error.validator_value:
            if name not in error.instance and error.message == f"{name!r} is a required property":
                return name
    return None

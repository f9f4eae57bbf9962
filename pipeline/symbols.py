"""UN document symbols: parse and validate them, and derive file stems and undocs.org links.

The grammar is UN-FORMAT.md §6. A symbol is read part by part rather than with one regular
expression, so that an error can say which part is wrong and what was expected. The rules the
§6 regex cannot express (modifiers after the number, the series whitelist, sessions and years)
are checked in code. Everything here is pure: no I/O.

File stems follow the UN library's rule (``/``→``_``, joint symbols joined by ``--``,
``-ZH``) but must stay within ``[A-Za-z0-9._-]`` (DESIGN.md). Where the library's rule would
give another character (it keeps spaces and parentheses and writes ``*`` as ``!``), this
reversible spelling is used instead:

| in the symbol                | in the stem            | why it reads back unambiguously     |
|------------------------------|------------------------|-------------------------------------|
| ``/``                        | ``_``                  | library rule                        |
| ``–`` between symbols        | ``--``                 | library rule; occurs nowhere else   |
| tail `` (2021)``, ``(XXVI)`` | ``__2021``, ``__XXVI`` | ``//`` never occurs in a symbol     |
| language tail ``-E/F/S``     | ``-E_F_S``             | ``/``→``_`` as everywhere           |
| each reissue ``*``           | ``_x``                 | no part starts with a small letter  |
| language ``zh``              | ``-ZH`` at the end     | library rule                        |

So ``A/75/9001–S/2021/9001`` in Chinese is ``A_75_9001--S_2021_9001-ZH``,
``S/RES/2565 (2021)`` is ``S_RES_2565__2021``, ``A/RES/2758(XXVI)`` is ``A_RES_2758__XXVI`` and
``A/76/100**`` is ``A_76_100_x_x``. The space before a year is implied: canonical symbols always
have it before an SC resolution year and never before a roman session. ``parse_file_stem``
accepts only stems that ``file_stem`` would write, so each stem names exactly one document.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pipeline.numerals import roman

#: Series (the letters before the first "/") accepted as UN series; extend as needed.
SERIES: frozenset[str] = frozenset(
    {"A", "S", "E", "T", "ST"} | {"CRC", "CEDAW", "CCPR", "CAT", "DP", "TD", "UNEP", "ECE", "TPNW"}
)
LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")
YEARS = range(1946, 2101)
_MAX_LENGTH = 100  # real symbols stay under 50 characters; this bounds the work on bad input
# English has no prefix: undocs.org serves English by default and English UN documents print
# their links that way. Chinese is "ch", as in the seed (https://undocs.org/ch/A/RES/59/50).
_UNDOCS_PREFIX = {"ar": "ar/", "zh": "ch/", "en": "", "fr": "fr/", "ru": "ru/", "es": "es/"}

_MOD = re.compile(r"(?:Add|Corr|Rev|Amend)\.[1-9][0-9]*|Summary")
_INT = re.compile(r"[1-9][0-9]*")
_SPECIAL = re.compile(r"E?S-[1-9][0-9]*")  # special (S-8) and emergency special (ES-11) sessions
_ALPHA = re.compile(r"(?!(?:Add|Corr|Rev|Amend)\b)[A-Z][A-Za-z]*(?:\.([1-9][0-9]*))?")
_TAIL = re.compile(r"\s*\((?:(?P<year>[0-9]{4})|(?P<roman>(?:E?S-)?[IVXLC]+))\)$")
_LANG_TAIL = re.compile(r"-[ACEFRS](?:/[ACEFRS])*$")
_SERIES_START = re.compile(r"[A-Z]+/")
_SEPARATOR = re.compile(r"\s*[\u2013\u2014]\s*|\s+-\s*|\s*-\s+")
_FULL_WIDTH = str.maketrans({"／": "/", "＊": "*", "（": "(", "）": ")"})
_STEM_PIECE = re.compile(
    r"(?P<core>[A-Za-z0-9._-]+?)(?:__(?:(?P<year>[0-9]{4})|(?P<roman>(?:E?S-)?[IVXLC]+)))?"
    r"(?P<lang>-[ACEFRS](?:_[ACEFRS])*)?(?P<stars>(?:_x)*)"
)


class SymbolError(ValueError):
    """A symbol, joint symbol or file stem that does not follow UN-FORMAT.md §6."""


@dataclass(frozen=True)
class Symbol:
    """One complete, valid, canonical symbol; build it with ``parse_symbol``."""

    text: str  # canonical form, e.g. "S/RES/2565 (2021)", "A/76/100*"
    series: str  # letters before the first "/": "A", "S", "ECE", ...
    segments: tuple[str, ...]  # "/"-separated parts after the series, modifiers included
    session: str | None  # "75", "ES-11", "S-8"; "26" for A/RES/2758(XXVI)
    year: int | None  # 2021 for S/2021/230 and S/RES/2565 (2021)
    number: int | None  # the sequential number: 785, or 12 in A/75/PV.12
    modifiers: tuple[str, ...]  # ("Rev.1", "Add.2")
    reissue: int  # number of trailing "*"

    def __str__(self) -> str:
        return self.text

    @property
    def masthead_split(self) -> tuple[str, str]:
        """The series (printed large in the masthead) and the rest (printed small)."""
        series, slash, rest = self.text.partition("/")
        return series, slash + rest


def _show(text: str) -> str:
    shown = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _error(text: str, message: str) -> SymbolError:
    return SymbolError(f"{_show(text)}: {message}")


def _tail_text(match: re.Match[str] | None) -> str:
    """The canonical tail: a space before a year, none before a roman session."""
    if match is None or not (match["year"] or match["roman"]):
        return ""
    return f" ({match['year']})" if match["year"] else f"({match['roman']})"


def _split_ends(text: str) -> tuple[str, re.Match[str] | None, str, int]:
    """Split off, from the end: reissue stars, the language tail, the parenthesised tail."""
    body = text.rstrip("*")
    stars = len(text) - len(body)
    lang = match.group() if (match := _LANG_TAIL.search(body)) else ""
    body = body[: len(body) - len(lang)]
    tail = _TAIL.search(body)
    return (body[: tail.start()] if tail else body), tail, lang, stars


def _kind(segment: str, text: str, last: bool) -> str:
    """Classify one "/"-part as mod, int, special or alpha, or say what is wrong with it."""
    for kind, pattern in (("mod", _MOD), ("int", _INT), ("special", _SPECIAL), ("alpha", _ALPHA)):
        if pattern.fullmatch(segment):
            return kind
    part = f"'{_show(segment)}'"
    if not segment:
        raise _error(text, "ends with '/'" if last else "empty part between slashes ('//')")
    if re.search(r"\s", segment):
        raise _error(text, f"unexpected space in {part}")
    if m := re.fullmatch(r"(Add|Corr|Rev|Amend)\.?([0-9]*)", segment):
        name, digits = m.groups()
        if "." in segment and not digits:
            raise _error(text, f"modifier {part} needs a number after the dot, like '{name}.1'")
        if "." not in segment:
            example = f"{name}.{digits or 1}"
            raise _error(text, f"modifier {part} needs a dot and a number, like '{example}'")
        raise _error(text, f"modifier {part} is numbered from 1, without leading zeros")
    if re.fullmatch(r"(?:[A-Z][A-Za-z]*\.|E?S-)?0[0-9]*", segment):
        raise _error(text, f"number in {part} is zero or has a leading zero")
    raise _error(
        text,
        f"{part} is not a part of a symbol: expected a number ('75'), a session ('ES-11'), "
        "a body or nature ('C.1', 'RES', 'L.18') or a modifier ('Add.1')",
    )


def _parse_one(text: str) -> Symbol:
    """Parse one symbol already stripped of surrounding space and full-width forms."""
    if not text:
        raise SymbolError("empty symbol: expected one like 'A/75/785'")
    body, tail, lang, stars = _split_ends(text)
    if "*" in body:
        raise _error(text, "'*' marks a reissue and goes only at the end, like 'A/76/100*'")
    if "(" in body or ")" in body:
        raise _error(text, "parentheses only hold a final year ' (2021)' or session '(XXVI)'")
    letters = lang[1:].split("/")
    if len(set(letters)) < len(letters):
        raise _error(text, f"language tail '{lang}' names a language twice")
    series, slash, rest = body.partition("/")
    if not slash:
        raise _error(text, "expected a series, '/' and a number, like 'A/75/785'")
    if re.fullmatch(r"[A-Za-z]+", series) and not series.isupper():
        raise _error(text, f"series '{series}' must be upper-case, like '{series.upper()}'")
    if not re.fullmatch(r"[A-Z]{1,8}", series):
        raise _error(text, f"series '{_show(series)}' must be capital letters followed by '/'")
    if series not in SERIES:
        raise _error(text, f"unknown series '{series}'; known: {', '.join(sorted(SERIES))}")
    segments = tuple(rest.split("/"))
    kinds = [_kind(s, text, i == len(segments) - 1) for i, s in enumerate(segments)]
    size = len(kinds)
    while size and kinds[size - 1] == "mod":
        size -= 1
    core, modifiers = segments[:size], segments[size:]
    if "mod" in kinds[:size]:
        misplaced = core[kinds.index("mod")]
        raise _error(text, f"modifier '{misplaced}' must come after the sequential number")
    last = _ALPHA.fullmatch(core[-1]) if core else None
    if not core or (kinds[size - 1] != "int" and not (last and last.group(1))):
        raise _error(text, "expected a sequential number before any modifiers, like 'A/75/785'")
    number = int(last.group(1) if last else core[-1])
    periods = [(i, s) for i, s in enumerate(core[: size - (last is None)]) if kinds[i] != "alpha"]
    session, year = _resolution_period(text, series, core, kinds[:size], tail)
    if tail is None and periods:
        session, year = _period(text, series, *periods[0])
    return Symbol(
        text=f"{series}/{rest}{_tail_text(tail)}{lang}{'*' * stars}",
        series=series,
        segments=segments,
        session=session,
        year=year,
        number=number,
        modifiers=modifiers,
        reissue=stars,
    )


def _resolution_period(
    text: str, series: str, core: tuple[str, ...], kinds: list[str], tail: re.Match[str] | None
) -> tuple[str | None, int | None]:
    """Resolutions follow the session rule: A/RES/75/1, A/RES/2758(XXVI), S/RES/2565 (2021)."""
    if "RES" not in core:
        if tail:
            raise _error(text, "only resolutions carry a year ' (2021)' or session '(XXVI)'")
        return None, None
    after = kinds[core.index("RES") + 1 :]
    if series == "S" and (tail is None or not tail["year"] or after != ["int"]):
        raise _error(text, "Security Council resolutions carry their year: 'S/RES/2565 (2021)'")
    if tail is None:
        if after != ["int", "int"] and after != ["special", "int"]:
            raise _error(text, "resolutions read like 'A/RES/75/1' or 'A/RES/2758(XXVI)'")
        return None, None
    if tail["year"]:
        if int(tail["year"]) not in YEARS:
            raise _error(text, f"year {tail['year']} is outside {YEARS[0]}–{YEARS[-1]}")
        return None, int(tail["year"])
    prefix, _, numeral = tail["roman"].rpartition("-")
    value = next((n for n in range(1, 400) if roman(n) == numeral), None)  # canonical only
    if after != ["int"] or value is None:
        raise _error(text, "resolutions with a roman session read like 'A/RES/2758(XXVI)'")
    return (f"{prefix}-{value}" if prefix else str(value)), None


def _period(text: str, series: str, index: int, segment: str) -> tuple[str | None, int | None]:
    """The session or year: A/75/… is session 75, S/2021/… and E/CN.4/2002/… are years."""
    if _SPECIAL.fullmatch(segment):
        session, year = segment, None
    elif int(segment) in YEARS:
        session, year = None, int(segment)
    elif int(segment) < 1000:
        session, year = segment, None
    else:
        raise _error(text, f"'{segment}' is neither a session nor a year in 1946–2100")
    if series == "S" and year is None:
        raise _error(text, f"Security Council symbols carry a year, not '{segment}' (S/2021/230)")
    if series == "A" and index == 0 and session is None:
        raise _error(text, f"'A/' is followed by a session, not '{segment}', like 'A/75/785'")
    return session, year


def parse_symbol(text: str) -> Symbol:
    """Parse one symbol; full-width slashes, outer spaces and ``(2021)`` are normalised."""
    if not isinstance(text, str):
        raise SymbolError(f"expected a symbol as text, got {type(text).__name__}")
    clean = text.translate(_FULL_WIDTH).strip()
    if len(clean) > _MAX_LENGTH:
        raise _error(clean, f"longer than {_MAX_LENGTH} characters; no UN symbol is")
    if "\u2013" in clean or "\u2014" in clean:
        raise _error(clean, "expected one symbol, not a joint symbol")
    try:
        return _parse_one(clean)
    except SymbolError:
        if [len(reading) > 1 for reading in _readings(clean, 3)] == [True]:
            raise _error(clean, "expected one symbol, not a joint symbol") from None
        raise


def _readings(piece: str, most: int) -> list[tuple[Symbol, ...]]:
    """Every way to read ``piece`` as 1..most symbols joined by hyphen-minus.

    A hyphen-minus is legal inside a symbol (ES-11, S-8, the tail -E/F/S), so the piece is
    split only where the text after the hyphen starts a series and both sides are complete.
    """
    readings: list[tuple[Symbol, ...]] = []
    with contextlib.suppress(SymbolError):
        readings.append((_parse_one(piece),))
    for i, char in enumerate(piece):
        if most > 1 and char == "-" and _SERIES_START.match(piece, i + 1):
            try:
                left = _parse_one(piece[:i])
            except SymbolError:
                continue
            readings += [(left, *rest) for rest in _readings(piece[i + 1 :], most - 1)]
    return readings


def _parse_piece(piece: str) -> tuple[Symbol, ...]:
    readings = _readings(piece, 3)
    if len(readings) > 1:  # cannot happen for valid symbols, which end in a number
        raise _error(piece, "can be split into symbols in more than one way")
    if not readings:
        parts = re.split(r"-(?=[A-Z]+/)", piece)
        for part in parts:
            _parse_one(part)  # raises the error of the first bad symbol
        raise _error(piece, f"expected 1 to 3 symbols, got {len(parts)}")
    return readings[0]


def parse_symbols(text_or_list: str | Sequence[str]) -> tuple[Symbol, ...]:
    """Parse 1–3 symbols: a joint string (any dash, spaced or not) or one symbol per item."""
    if isinstance(text_or_list, str):
        clean = text_or_list.translate(_FULL_WIDTH).strip()
        if len(clean) > 3 * _MAX_LENGTH:
            raise _error(clean, f"longer than {3 * _MAX_LENGTH} characters; no joint symbol is")
        symbols: tuple[Symbol, ...] = ()
        for piece in _SEPARATOR.sub("\u2013", clean).split("\u2013"):
            symbols += _parse_piece(piece)
    elif isinstance(text_or_list, Sequence):
        symbols = tuple(parse_symbol(item) for item in text_or_list)
    else:
        raise SymbolError(f"expected symbols as text or a list, got {type(text_or_list).__name__}")
    _check_count(symbols)
    joint = "\u2013".join(s.text for s in symbols)
    if len({s.text for s in symbols}) < len(symbols):
        raise _error(joint, "the same symbol appears twice")
    if symbols[0].series != "A" and any(s.series == "A" for s in symbols):
        raise _error(joint, "the General Assembly symbol comes first, like 'A/75/785–S/2021/230'")
    return symbols


def _check_count(symbols: Sequence[Symbol]) -> None:
    """Formatting and naming need only 1–3 symbols; the other joint rules are input rules."""
    if not 1 <= len(symbols) <= 3:
        joint = "\u2013".join(str(s) for s in symbols)
        raise SymbolError(f"{_show(joint)}: expected 1 to 3 symbols, got {len(symbols)}")


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise SymbolError(f"language {language!r}: expected one of {' '.join(LANGUAGES)}")


def format_joint(symbols: Sequence[Symbol]) -> str:
    """The symbol as printed: ``A/75/9001–S/2021/9001`` (en dash, no spaces)."""
    _check_count(symbols)
    return "\u2013".join(s.text for s in symbols)


def _encode(symbol: Symbol) -> str:
    body, tail, lang, stars = _split_ends(symbol.text)
    tail_text = f"__{tail['year'] or tail['roman']}" if tail else ""
    return f"{body}{tail_text}{lang}".replace("/", "_") + "_x" * stars


def file_stem(symbols: Sequence[Symbol], language: str) -> str:
    """The package and PDF name, e.g. ``A_75_9001--S_2021_9001-ZH`` (table in the module doc)."""
    _check_language(language)
    _check_count(symbols)
    stem = "--".join(_encode(s) for s in symbols) + "-" + language.upper()
    if not re.fullmatch(r"[A-Za-z0-9._-]+", stem):  # only a hand-built, invalid Symbol gets here
        raise _error(stem, "file stem has characters outside [A-Za-z0-9._-]")
    return stem


def parse_file_stem(stem: str) -> tuple[tuple[Symbol, ...], str]:
    """The symbols and language a file stem was made from; refuses non-canonical stems."""
    match = re.fullmatch(r"(.+)-([A-Z]{2})", stem) if isinstance(stem, str) else None
    if not match or match[2].lower() not in LANGUAGES or len(stem) > 4 * _MAX_LENGTH:
        example = "A_75_785--S_2021_230-ZH"
        raise SymbolError(f"{_show(str(stem))}: expected a file stem like '{example}'")
    texts = []
    for piece in match[1].split("--"):
        if not (m := _STEM_PIECE.fullmatch(piece)):
            raise _error(stem, f"'{_show(piece)}' is not a symbol spelled as in a file stem")
        stars = "*" * (len(m["stars"]) // 2)
        texts.append(f"{m['core']}{_tail_text(m)}{m['lang'] or ''}".replace("_", "/") + stars)
    symbols, language = tuple(parse_symbol(t) for t in texts), match[2].lower()
    if file_stem(symbols, language) != stem:
        raise _error(stem, f"expected the canonical stem '{file_stem(symbols, language)}'")
    return symbols, language


def undocs_url(symbol: Symbol, language: str, *, language_named: bool = False) -> str:
    """The undocs.org link: ``https://undocs.org/ch/A/RES/59/50`` for Chinese.

    English takes no language prefix (the site's default, and the form English documents
    print) unless ``language_named``: the bare link is undocs.org's language-neutral one, so
    an identifier of one language version names ``en`` too. "/" stays literal; everything outside ``A-Za-z0-9_.-~`` is percent-encoded, the
    space, ``*`` and parentheses included, so the link survives in text, mail and QR readers
    that would cut it at ``)`` or treat ``*`` as markup.
    """
    _check_language(language)
    prefix = "en/" if language_named and language == "en" else _UNDOCS_PREFIX[language]
    return f"https://undocs.org/{prefix}{quote(symbol.text, safe='/')}"

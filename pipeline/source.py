"""Read a document source folder and validate it into a ``model.Document``.

Three layers, each reporting every problem it finds: JSON syntax (line and column), the
JSON Schema (pointer and what was expected), then the rules a schema cannot say — real
dates, symbol grammar, sessions and years in range, the job number's form, and the part
files themselves. Files are read once; their bytes travel in the model to the package.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import unicodedata
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from pipeline import body, placeholders, suggest
from pipeline.errors import InvalidSource, Problem
from pipeline.model import (
    JOB_PREFIX,
    MAX_BAG_NAME_CHARS,
    MAX_JSON_DEPTH,
    MAX_JSON_MEMBERS,
    MAX_METADATA_BYTES,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_PROBLEMS,
    MAX_SOURCE_BYTES,
    AgendaItem,
    Document,
    Organ,
    Part,
    Signature,
    SourceFile,
    Sponsors,
    forbidden_pattern,
)
from pipeline.resources import schemas_dir
from pipeline.symbols import (
    LANGUAGES,
    Symbol,
    SymbolError,
    file_stem,
    parse_symbol,
    parse_symbols,
)

METADATA_FILE = "document.json"
# A draft: a symbol with an L. (limited) segment, A/C.2/80/L.2, A/80/L.5.
_DRAFT = re.compile(r"/L\.[1-9]")
FIRST_SC_YEAR = 1946
FIRST_GA_YEAR = 1946  # the first session opened in January 1946

# Characters a text may not carry (model.FORBIDDEN_CHARACTERS): TAB, CR and LF are allowed in
# part files, never in metadata. Every string of document.json is checked here as well as by
# the schema: Python's ``re`` lets ``$`` match before a final line feed, so a schema pattern
# ``^...$`` alone would pass "21-90001\n" or "letter.md\n".
_FORBIDDEN_METADATA = forbidden_pattern()
_FORBIDDEN_BODY = forbidden_pattern(body=True)
_SHORT = 60  # characters of a value quoted in a message


@cache
def document_schema() -> dict[str, Any]:
    return json.loads((schemas_dir() / "document.schema.json").read_text(encoding="utf-8"))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        document_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def load(folder: str | os.PathLike[str]) -> Document:
    """Load and validate one source folder; raise InvalidSource with every problem found.

    At most ``MAX_PROBLEMS`` problems are listed; a last one says how many more there were.
    """
    try:
        return _load(Path(folder))
    except InvalidSource as exc:
        if len(exc.problems) <= MAX_PROBLEMS:
            raise
        rest = len(exc.problems) - MAX_PROBLEMS
        summary = Problem(
            exc.problems[MAX_PROBLEMS].file,
            f"{rest} more problem{'s' * (rest != 1)} not listed "
            f"(the limit is {MAX_PROBLEMS} per document)",
        )
        raise InvalidSource([*exc.problems[:MAX_PROBLEMS], summary]) from None


def _load(folder: Path) -> Document:
    where = str(folder / METADATA_FILE)
    if not folder.is_dir():
        raise InvalidSource(Problem(str(folder), "expected a document source folder"))
    raw = _read_regular_file(folder, METADATA_FILE, MAX_METADATA_BYTES, where)
    if isinstance(raw, Problem):
        raise InvalidSource(raw)
    meta = _parse_json(raw, where)
    if isinstance(meta, list):
        raise InvalidSource(meta)
    shape = _shape_problems(meta, where)
    if shape:  # bound the schema's work (uniqueItems is quadratic) before running it
        raise InvalidSource(shape)
    written, meta = meta, placeholders.stand_in(meta)  # a draft's typed placeholders
    symbols, problems = _parse_symbols(meta, where)
    schema_problems = _schema_problems(meta, where)
    said = {p.pointer for p in problems}  # the symbol grammar says it better than a pattern
    schema_problems = [p for p in schema_problems if p.pointer not in said]
    if schema_problems:
        raise InvalidSource(
            schema_problems + problems + _part_file_problems(folder, meta, len(raw))
        )
    characters = _character_problems(meta, where)
    if characters:
        raise InvalidSource(characters + problems)
    problems += _semantic_problems(meta, where)
    parts, files, part_problems = _load_parts(folder, meta["parts"], len(raw))
    problems += part_problems
    if problems:
        raise InvalidSource(problems)
    meta = placeholders.printed(written, meta)
    return _build(meta, symbols, parts, (SourceFile(METADATA_FILE, raw), *files))


# -- layer 1: the file and its JSON syntax ------------------------------------------------


def _read_regular_file(folder: Path, name: str, limit: int, where: str) -> bytes | Problem:
    """Read a plain file directly inside ``folder``: no symlink, device or oversized file."""
    path = folder / name
    try:
        info = path.lstat()
    except FileNotFoundError:
        return Problem(where, "file not found")
    except OSError as exc:
        return Problem(where, f"cannot read: {exc.strerror}")
    if stat.S_ISLNK(info.st_mode):
        return Problem(where, "is a symbolic link; expected a regular file inside the folder")
    if not stat.S_ISREG(info.st_mode):
        return Problem(where, "expected a regular file")
    if info.st_size > limit:
        return Problem(where, f"is {info.st_size:,} bytes; the limit is {_bytes(limit)}")
    try:
        with open(path, "rb", opener=_no_follow) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return Problem(where, f"cannot read: {exc.strerror}")
    if len(data) > limit:
        return Problem(where, f"grew beyond the limit of {_bytes(limit)} while being read")
    return data


def _bytes(limit: int) -> str:
    return f"{limit:,} bytes ({limit >> 20} MiB)" if limit % (1 << 20) == 0 else f"{limit:,} bytes"


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def _decode(data: bytes, where: str) -> str | Problem:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Problem(
            where,
            f"not UTF-8: byte 0x{data[exc.start]:02x} cannot start or continue a character",
            line=line,
            column=column,
        )


def _parse_json(data: bytes, where: str) -> dict[str, Any] | list[Problem]:
    text = _decode(data, where)
    if isinstance(text, Problem):
        return [text]
    duplicates: list[str] = []

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        value = json.loads(
            text,
            object_pairs_hook=no_duplicates,
            parse_constant=no_constants,
            parse_float=_number,
            parse_int=_integer,
        )
    except json.JSONDecodeError as exc:
        return [Problem(where, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno)]
    except RecursionError:
        return [Problem(where, f"invalid JSON: nested too deeply (the limit is {MAX_JSON_DEPTH})")]
    except ValueError as exc:  # NaN, Infinity, a number too long or out of range
        return [Problem(where, f"invalid JSON: {_shorten(str(exc), 200)}")]
    if duplicates:
        counts: dict[str, int] = {}
        for key in duplicates:
            counts[key] = counts.get(key, 0) + 1
        return [
            Problem(where, f"key {_short(k)} appears {n + 1} times in one object")
            if n > 1
            else Problem(where, f"key {_short(k)} appears twice in one object")
            for k, n in counts.items()
        ]
    if not isinstance(value, dict):
        return [Problem(where, "expected a JSON object at the top level", pointer="")]
    return value


_MAX_NUMBER_CHARS = 40  # document.json's numbers are years, counts and session numbers


def _check_length(text: str) -> None:
    if len(text) > _MAX_NUMBER_CHARS:
        raise ValueError(
            f"a number of {len(text):,} characters ({text[:12]}…); the limit is {_MAX_NUMBER_CHARS}"
        )


def _integer(text: str) -> int:
    _check_length(text)  # before int(), whose own limit message speaks of sys.* to a user
    return int(text)


def _number(text: str) -> float | int:
    """A JSON number with a fraction or exponent: 2021.0 is the integer 2021, as in JSON."""
    _check_length(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range")
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _shape_problems(value: Any, where: str) -> list[Problem]:
    """Arrays and objects no deeper than MAX_JSON_DEPTH, none larger than MAX_JSON_MEMBERS."""
    problems = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict | list):
            continue
        pointer = _pointer(path)
        if len(path) + 1 > MAX_JSON_DEPTH:
            problems.append(
                Problem(
                    where,
                    f"arrays and objects are nested more than {MAX_JSON_DEPTH} deep here "
                    f"(the limit is {MAX_JSON_DEPTH}; document.json needs 5)",
                    pointer=pointer,
                )
            )
            continue
        if len(node) > MAX_JSON_MEMBERS:
            what = "an array of" if isinstance(node, list) else "an object with"
            unit = "items" if isinstance(node, list) else "members"
            problems.append(
                Problem(
                    where,
                    f"{what} {len(node):,} {unit}; no array or object in document.json "
                    f"may have more than {MAX_JSON_MEMBERS}",
                    pointer=pointer,
                )
            )
            continue
        children = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((child, (*path, key)) for key, child in children)
    return sorted(problems, key=lambda p: p.pointer or "")


# -- layer 2: the schema ------------------------------------------------------------------


def _schema_errors(meta: dict[str, Any]) -> list[jsonschema.ValidationError]:
    return sorted(_validator().iter_errors(meta), key=lambda e: (list(e.absolute_path), e.message))


def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _schema_problems(meta: dict[str, Any], where: str) -> list[Problem]:
    """One problem per mistake (:mod:`pipeline.suggest`): an unexpected property is named at
    its own pointer, with the field it most likely meant."""
    problems: list[Problem] = []
    missing: dict[str, list[str]] = {}
    for error in suggest.merge(_schema_errors(meta)):
        pointer = _pointer(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            for unknown in suggest.unknown_properties(error, pointer):
                problems.append(Problem(where, _unknown_message(unknown), unknown.pointer))
            continue
        if error.validator == "required":  # in the schema's order: symbols, language, …
            order = [repr(n) for n in error.validator_value]
            name = error.message.removesuffix(" is a required property")
            missing.setdefault(pointer, []).append(name)
            missing[pointer].sort(key=lambda n: order.index(n) if n in order else len(order))
            continue
        problems.append(Problem(where, _explain(error), pointer=pointer))
    for pointer, names in missing.items():  # one object, one message
        fields = ", ".join(names)
        message = (
            f"the required field {fields} is missing"
            if len(names) == 1
            else f"the required fields {fields} are missing"
        )
        problems.append(Problem(where, message, pointer=pointer))
    unique = {(p.pointer, p.message): p for p in problems}  # two keywords, one message
    return sorted(unique.values(), key=lambda p: p.pointer or "")


def _unknown_message(unknown: suggest.Unknown) -> str:
    if unknown.meant is not None:
        return f"unknown field {_short(unknown.key)}; did you mean {unknown.meant!r}?"
    return f"unknown field {_short(unknown.key)}; expected only: {', '.join(unknown.allowed)}"


def _explain(error: jsonschema.ValidationError) -> str:
    """Say what was expected in words a records officer can act on, quoting values briefly."""
    value, kind, limit = error.instance, error.validator, error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    if isinstance(value, str) and kind in ("pattern", "not"):
        bad = _FORBIDDEN_METADATA.search(value)
        if bad is not None:
            return _forbidden_message(bad.group())
    if kind == "pattern":
        hint = schema.get("description")
        return f"{_short(value)} does not have the expected form" + (f" ({hint})" if hint else "")
    if kind == "format" and limit == "date":
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return f"{_short(value)} is not a real calendar date"
        hint = suggest.date_hint(value) or ""
        return f"{_short(value)} is not a date in the form YYYY-MM-DD{hint}"
    if kind == "type":
        wanted = " or ".join(
            _TYPE_NAMES.get(t, t) for t in ([limit] if isinstance(limit, str) else limit)
        )
        return f"expected {wanted}, not {_json_type(value)}"
    if kind == "maxLength":
        return f"is {len(value):,} characters long; the limit is {limit:,}"
    if kind == "minLength":
        return "is empty" if not value else f"is shorter than {limit} characters"
    if kind == "maxItems":
        what = "parts" if error.absolute_path and error.absolute_path[-1] == "parts" else "items"
        return f"has {len(value):,} {what}; the limit is {limit}"
    if kind == "minItems":
        return f"has {len(value)} items; at least {limit} expected"
    if kind == "uniqueItems":
        return "lists the same item more than once"
    if kind == "enum":
        return (
            f"{_short(value)} is not one of {', '.join(map(repr, limit))}"
            f"{suggest.did_you_mean(value, limit) or suggest.language_code(value, limit)}"
        )
    if kind == "required":
        missing = error.message.removesuffix(" is a required property")
        return f"the required field {missing} is missing"
    if kind in ("maximum", "minimum"):
        comparison = "greater" if kind == "maximum" else "less"
        return f"{_short(value)} is {comparison} than the {kind} of {limit}"
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = [k for k in value if k not in allowed] if isinstance(value, dict) else []
        listed = ", ".join(_short(k) for k in extra[:5]) + (
            f" and {len(extra) - 5} more" if len(extra) > 5 else ""
        )
        verb = "was" if len(extra) == 1 else "were"
        return (
            f"Additional properties are not allowed ({listed} {verb} unexpected); "
            f"expected only: {', '.join(allowed)}"
        )
    if kind == "not" and isinstance(limit, dict) and list(limit) == ["required"]:
        organ = value.get("organ") if isinstance(value, dict) else None
        fields = " or ".join(repr(f) for f in limit["required"])
        return f"organ {organ} takes no {fields}" if organ else f"must not have {fields}"
    if kind == "oneOf" and error.context:
        integer = any(
            c.validator == "type" and c.validator_value == "integer" for c in error.context
        )
        if integer and isinstance(value, str) and value.strip().isdigit():
            return f"{_short(value)} is text; write the number without quotes: {int(value)}"
        return "; or ".join(sorted({_explain(c) for c in error.context}))
    return _shorten(error.message, 300)


_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "object": "an object",
    "array": "an array",
    "boolean": "true or false",
    "null": "null",
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, int | float):
        short = _short(value)
        return short if short.startswith("a number") else f"the number {short}"
    if isinstance(value, str):
        return f"the string {_short(value)}"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    return f"an object with {len(value)} members"


def _short(value: Any) -> str:
    """``repr(value)``, cut to about _SHORT characters (a 2 MiB title is not quoted whole)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**_SHORT:
        return f"a number of {len(str(abs(value)))} digits"
    text = repr(value)
    if len(text) <= _SHORT:
        return text
    size = f"{len(value):,} characters" if isinstance(value, str) else f"{len(text):,} in all"
    return f"{text[: _SHORT - 10]}… ({size})"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _forbidden_message(char: str) -> str:
    point = ord(char)
    if 0xD800 <= point <= 0xDFFF:
        what = (
            f"U+{point:04X}, half of a UTF-16 surrogate pair (a \\u{point:04x} escape "
            "without its other half), which is not a character"
        )
    elif unicodedata.category(char) == "Cc" or point in (0x2028, 0x2029):
        what = f"the control character U+{point:04X}"
    else:
        name = unicodedata.name(char, "a noncharacter")
        what = f"the invisible character U+{point:04X} {name}"
    return (
        f"contains {what}; control characters, line breaks, tabs, bidi embeddings, overrides "
        "and isolates are not allowed in metadata"
    )


# -- layer 3: rules beyond the schema -----------------------------------------------------


def _character_problems(meta: Any, where: str) -> list[Problem]:
    """Every string of document.json, keys included, against model.FORBIDDEN_CHARACTERS."""
    problems = []
    stack: list[tuple[Any, tuple[Any, ...], bool]] = [(meta, (), True)]
    while stack:
        node, path, is_value = stack.pop()
        if isinstance(node, str):
            bad = _FORBIDDEN_METADATA.search(node)
            if bad is not None:
                problems.append(Problem(where, _forbidden_message(bad.group()), _pointer(path)))
            elif is_value and node != node.strip():
                # a bag-info.txt value cannot keep them (RFC 8493 strips them on reading)
                problems.append(
                    Problem(
                        where,
                        "begins or ends with a space; metadata values may not",
                        _pointer(path),
                    )
                )
        elif isinstance(node, dict):
            for key, child in node.items():
                stack.append((key, path, False))
                stack.append((child, (*path, key), True))
        elif isinstance(node, list):
            stack.extend((child, (*path, i), True) for i, child in enumerate(node))
    return sorted(problems, key=lambda p: p.pointer or "")


def _semantic_problems(meta: dict[str, Any], where: str) -> list[Problem]:
    problems: list[Problem] = []

    def at(pointer: str, message: str) -> None:
        problems.append(Problem(where, message, pointer=pointer))

    masthead = _real_date(meta["date"], "/date", at)
    processing = [
        _real_date(d, f"/processing_dates/{i}", at)
        for i, d in enumerate(meta.get("processing_dates", []))
    ]
    if len(processing) == 2 and None not in processing and processing[0] > processing[1]:
        at(
            "/processing_dates",
            "the two processing dates must be in order (first not after second)",
        )

    station = meta.get("duty_station", "new-york")
    prefix = JOB_PREFIX[station]
    job = meta["job_number"]
    has_prefix = next((p for p in JOB_PREFIX.values() if p and job.startswith(p)), "")
    if has_prefix != prefix:
        expected = f"{prefix}YY-NNNNN" if prefix else "YY-NNNNN (no prefix)"
        at("/job_number", f"{job!r} does not match duty station {station!r}: expected {expected}")

    seen: set[str] = set()
    for i, organ in enumerate(meta["organs"]):
        code = organ["organ"]
        if code in seen:
            at(f"/organs/{i}/organ", f"organ {code} is listed twice")
        seen.add(code)
        if "agenda_note" in organ and not organ.get("agenda_items"):
            at(
                f"/organs/{i}/agenda_note",
                "an agenda note is called from the agenda line: the organ has no agenda_items",
            )
        if masthead is None:
            continue
        session, year = organ.get("session"), organ.get("year")
        if isinstance(session, int) and session > masthead.year - FIRST_GA_YEAR + 1:
            at(
                f"/organs/{i}/session",
                f"session {session} had not opened by {masthead.isoformat()} "
                f"(at most {masthead.year - FIRST_GA_YEAR + 1})",
            )
        if year is not None and not FIRST_SC_YEAR <= year <= masthead.year:
            at(
                f"/organs/{i}/year",
                f"year {year} must be between {FIRST_SC_YEAR} and the document's year {masthead.year}",
            )
        dates = organ.get("meeting_dates")
        if dates:
            first = _real_date(dates["from"], f"/organs/{i}/meeting_dates/from", at)
            last = _real_date(dates["to"], f"/organs/{i}/meeting_dates/to", at)
            if first and last and first > last:
                at(f"/organs/{i}/meeting_dates", "the meeting's first day is after its last")
    problems += _symbol_organ_problems(meta, where)
    if "subtitle_note" in meta and "subtitle" not in meta:
        at("/subtitle_note", "a subtitle note is called from the subtitle: there is no subtitle")
    if "sponsors" in meta and not any(
        _DRAFT.search(text) for text in meta["symbols"] if isinstance(text, str)
    ):
        at("/sponsors", "a sponsors line belongs to a draft: no symbol has an L. segment")

    kinds = [p["kind"] for p in meta["parts"]]
    if kinds[0] != "main" or kinds.count("main") != 1:
        at("/parts", "expected exactly one part of kind 'main', first")
    names = [p["text"] for p in meta["parts"]]
    for i, name in enumerate(names):
        if name in names[:i]:
            at(f"/parts/{i}/text", f"{name!r} is already used by an earlier part")
        if name == METADATA_FILE:
            at(f"/parts/{i}/text", f"{METADATA_FILE} cannot be a part")
    return problems


def _parse_symbols(meta: dict[str, Any], where: str) -> tuple[tuple[Symbol, ...], list[Problem]]:
    """Parse every symbol that is a string, whatever else is wrong with the document."""
    texts = meta.get("symbols")
    symbols, problems = [], []
    for i, text in enumerate(texts if isinstance(texts, list) else []):
        if not isinstance(text, str):
            continue  # the schema reports it
        try:
            symbols.append(parse_symbol(text))
        except SymbolError as exc:
            problems.append(Problem(where, str(exc), pointer=f"/symbols/{i}"))
    if symbols and not problems and len(symbols) == len(texts):
        try:  # the joint rules: no symbol twice after normalising, the GA symbol first
            parse_symbols(texts)
        except SymbolError as exc:
            problems.append(Problem(where, str(exc), pointer="/symbols"))
    if symbols and not problems and meta.get("language") in LANGUAGES:
        stem = file_stem(symbols, meta["language"])  # the bag's and the PDF's name
        if len(stem) > MAX_BAG_NAME_CHARS:
            problems.append(
                Problem(
                    where,
                    f"the symbols make a bag name of {len(stem)} characters "
                    f"({_shorten(stem, 40)}); the limit is {MAX_BAG_NAME_CHARS} (a file name "
                    "holds 255 bytes, and the writer adds up to 40 around it)",
                    pointer="/symbols",
                )
            )
    return tuple(symbols), problems


def _real_date(text: str, pointer: str, at) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        at(pointer, f"{text!r} is not a real calendar date")
        return None


def _symbol_organ_problems(meta: dict[str, Any], where: str) -> list[Problem]:
    """The session in an A/ symbol and the year in an S/ symbol must agree with the organs."""
    organs = {o["organ"]: o for o in meta["organs"]}
    problems = []
    for i, text in enumerate(meta["symbols"]):
        try:
            symbol = parse_symbol(text)
        except SymbolError:
            continue  # reported with the symbols
        ga = organs.get("GA")
        if symbol.series == "A" and ga and symbol.session and str(ga["session"]) != symbol.session:
            problems.append(
                Problem(
                    where,
                    f"{text} is of session {symbol.session} but organ GA says session {ga['session']}",
                    pointer=f"/symbols/{i}",
                )
            )
        sc = organs.get("SC")
        if symbol.series == "S" and sc and symbol.year and sc["year"] != symbol.year:
            problems.append(
                Problem(
                    where,
                    f"{text} is of {symbol.year} but organ SC says year {sc['year']}",
                    pointer=f"/symbols/{i}",
                )
            )
    return problems


# -- the part files -------------------------------------------------------------------------


def _part_file_problems(folder: Path, meta: dict[str, Any], metadata_size: int) -> list[Problem]:
    """Check the part files that can be named even when the metadata has other errors."""
    parts = meta.get("parts")
    if not isinstance(parts, list) or len(parts) > MAX_PARTS:
        return []
    name_pattern = document_schema()["$defs"]["part"]["properties"]["text"]["pattern"]
    specs = [
        p
        for p in parts
        if isinstance(p, dict)
        and isinstance(p.get("text"), str)
        and re.fullmatch(name_pattern, p["text"])
        and p.get("kind") in ("main", "annex", "enclosure")
        and not _FORBIDDEN_METADATA.search(p["text"])
    ]
    unique = list({p["text"]: p for p in specs}.values())
    return _load_parts(folder, unique, metadata_size, build=False, all_specs=parts)[2]


def _load_parts(
    folder: Path,
    specs: list[dict[str, Any]],
    metadata_size: int,
    *,
    build: bool = True,
    all_specs: list[Any] | None = None,
) -> tuple[tuple[Part, ...], tuple[SourceFile, ...], list[Problem]]:
    """Read, check and render each part file; ``build=False`` only checks the files (the
    metadata of the parts may be anything when the schema failed)."""
    parts, files, problems = [], [], []
    index = {}  # part file name → its pointer in document.json, for a missing file
    for number, spec in enumerate(all_specs if all_specs is not None else specs):
        if isinstance(spec, dict) and isinstance(spec.get("text"), str):
            index.setdefault(spec["text"], f"/parts/{number}/text")
    total = metadata_size + sum(_size(folder / spec["text"]) for spec in specs)
    if total > MAX_SOURCE_BYTES:
        return (), (), [_too_big(folder, total, len(specs))]
    for spec in specs:
        name = spec["text"]
        where = str(folder / name)
        raw = _read_regular_file(folder, name, MAX_PART_BYTES, where)
        if isinstance(raw, Problem) and raw.message == "file not found":
            problems.append(
                Problem(
                    str(folder / METADATA_FILE),
                    f"the part file {name!r} was not found in {folder}",
                    pointer=index.get(name),
                )
            )
            continue
        if isinstance(raw, Problem):
            problems.append(raw)
            continue
        total += len(raw) - _size(folder / name, default=len(raw))
        if total > MAX_SOURCE_BYTES:  # a file grew after it was measured
            return (), (), [_too_big(folder, total, len(specs))]
        text = _decode(raw, where)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        if not text.strip():
            problems.append(Problem(where, "is empty; expected the part's Markdown text"))
            continue
        bad = _first_forbidden(text)
        if bad is not None:
            line, column, char = bad
            problems.append(Problem(where, _body_forbidden(char), line=line, column=column))
            continue
        try:
            html = body.to_html(text)
        except body.MarkupError as exc:
            problems += [Problem(where, p.message, line=p.line) for p in exc.problems]
            continue
        if build:
            files.append(SourceFile(name, raw))
            parts.append(_part(spec, text, html))
    return tuple(parts), tuple(files), problems


def _size(path: Path, default: int = 0) -> int:
    """The size of a regular file (what _read_regular_file would read), else ``default``."""
    try:
        info = path.lstat()
    except OSError:
        return default
    return info.st_size if stat.S_ISREG(info.st_mode) else default


def _too_big(folder: Path, total: int, parts: int) -> Problem:
    return Problem(
        str(folder),
        f"document.json and its {parts} part file{'s' * (parts != 1)} are {total:,} bytes "
        f"together; the limit is {_bytes(MAX_SOURCE_BYTES)}",
    )


def _first_forbidden(text: str) -> tuple[int, int, str] | None:
    """(line, column, character) of the first forbidden character, lines counted as
    CommonMark counts them (LF, CR LF or a lone CR end a line; U+2028 and the C0 separators
    that ``str.splitlines`` would also split on do not, they are refused)."""
    match = _FORBIDDEN_BODY.search(text)
    if match is None:
        return None
    return (*_line_column(text, match.start()), match.group())


def _line_column(text: str, index: int) -> tuple[int, int]:
    before = text[:index].replace("\r\n", "\n").replace("\r", "\n")
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def _body_forbidden(char: str) -> str:
    point = ord(char)
    if unicodedata.category(char) == "Cc" or point in (0x2028, 0x2029):
        return f"contains the control character U+{point:04X}"
    name = unicodedata.name(char, "a noncharacter")
    return f"contains U+{point:04X} {name}, which is not allowed in a part's text"


# -- building the model -----------------------------------------------------------------------


def _part(spec: dict[str, Any], markdown: str, html: str) -> Part:
    signature = spec.get("signature")
    return Part(
        kind=spec["kind"],
        text=spec["text"],
        markdown=markdown,
        html=html,
        heading=spec.get("heading"),
        title=spec.get("title"),
        original_language=spec.get("original_language"),
        signature=Signature(signature["name"], signature.get("title")) if signature else None,
    )


def _build(meta: dict[str, Any], symbols, parts, files) -> Document:
    return Document(
        symbols=symbols,
        language=meta["language"],
        original_languages=tuple(meta["original_languages"]),
        distribution=meta["distribution"],
        date=date.fromisoformat(meta["date"]),
        duty_station=meta.get("duty_station", "new-york"),
        organs=tuple(
            Organ(
                organ=o["organ"],
                session=o.get("session"),
                year=o.get("year"),
                agenda_items=tuple(
                    AgendaItem(a["item"], a.get("sub_item"), a.get("title"))
                    for a in o.get("agenda_items", [])
                ),
                body=o.get("body"),
                agenda_note=o.get("agenda_note"),
                meeting_dates=(
                    (
                        date.fromisoformat(o["meeting_dates"]["from"]),
                        date.fromisoformat(o["meeting_dates"]["to"]),
                    )
                    if "meeting_dates" in o
                    else None
                ),
            )
            for o in meta["organs"]
        ),
        title=meta["title"],
        subtitle=meta.get("subtitle"),
        title_note=meta.get("title_note"),
        subtitle_note=meta.get("subtitle_note"),
        job_number=meta["job_number"],
        processing_dates=tuple(date.fromisoformat(d) for d in meta.get("processing_dates", [])),
        parts=parts,
        files=files,
        remarks=meta.get("remarks"),
        sponsors=(
            Sponsors(meta["sponsors"]["names"], meta["sponsors"].get("note"))
            if "sponsors" in meta
            else None
        ),
    )

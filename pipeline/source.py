"""Read a document source folder and validate it into a ``model.Document``.

Three layers, each reporting every problem it finds: JSON syntax (line and column), the
JSON Schema (pointer and what was expected), then the rules a schema cannot say — real
dates, symbol grammar, sessions and years in range, the job number's form, and the part
files themselves. Files are read once; their bytes travel in the model to the package.
"""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from pipeline import body
from pipeline.errors import InvalidSource, Problem
from pipeline.model import (
    JOB_PREFIX,
    AgendaItem,
    Document,
    Organ,
    Part,
    Signature,
    SourceFile,
)
from pipeline.resources import schemas_dir
from pipeline.symbols import Symbol, SymbolError, parse_symbol, parse_symbols

METADATA_FILE = "document.json"
MAX_METADATA_BYTES = 1 << 20  # 1 MiB: metadata is a few kilobytes
MAX_PART_BYTES = 4 << 20  # 4 MiB of text is several hundred pages
FIRST_SC_YEAR = 1946
FIRST_GA_YEAR = 1946  # the first session opened in January 1946

# Characters a text may not carry: C0 and C1 controls (TAB, CR and LF are allowed in
# part files, never in metadata), line/paragraph separators and bidi embeddings/overrides.
_FORBIDDEN = {*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029}
_FORBIDDEN |= {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_BODY_ALLOWED_CONTROLS = {0x09, 0x0A, 0x0D}


@cache
def document_schema() -> dict[str, Any]:
    return json.loads((schemas_dir() / "document.schema.json").read_text(encoding="utf-8"))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        document_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def load(folder: str | os.PathLike[str]) -> Document:
    """Load and validate one source folder; raise InvalidSource with every problem found."""
    folder = Path(folder)
    where = str(folder / METADATA_FILE)
    if not folder.is_dir():
        raise InvalidSource(Problem(str(folder), "expected a document source folder"))
    raw = _read_regular_file(folder, METADATA_FILE, MAX_METADATA_BYTES, where)
    if isinstance(raw, Problem):
        raise InvalidSource(raw)
    meta = _parse_json(raw, where)
    if isinstance(meta, list):
        raise InvalidSource(meta)
    symbols, problems = _parse_symbols(meta, where)
    schema_problems = [_schema_problem(e, where) for e in _schema_errors(meta)]
    if schema_problems:
        raise InvalidSource(schema_problems + problems + _part_file_problems(folder, meta))
    problems += _semantic_problems(meta, where)
    parts, files, part_problems = _load_parts(folder, meta["parts"])
    problems += part_problems
    if problems:
        raise InvalidSource(problems)
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
        return Problem(where, f"is {info.st_size} bytes; the limit is {limit}")
    try:
        with open(path, "rb", opener=_no_follow) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return Problem(where, f"cannot read: {exc.strerror}")
    if len(data) > limit:
        return Problem(where, f"grew beyond {limit} bytes while being read")
    return data


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
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        return [Problem(where, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno)]
    except (ValueError, RecursionError) as exc:
        return [Problem(where, f"invalid JSON: {exc}")]
    if duplicates:
        return [Problem(where, f"key {k!r} appears twice in one object") for k in duplicates]
    if not isinstance(value, dict):
        return [Problem(where, "expected a JSON object at the top level", pointer="")]
    return value


# -- layer 2: the schema ------------------------------------------------------------------


def _schema_errors(meta: dict[str, Any]) -> list[jsonschema.ValidationError]:
    return sorted(_validator().iter_errors(meta), key=lambda e: (list(e.absolute_path), e.message))


def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _schema_problem(error: jsonschema.ValidationError, where: str) -> Problem:
    return Problem(where, _explain(error), pointer=_pointer(error.absolute_path))


def _explain(error: jsonschema.ValidationError) -> str:
    """Say what was expected in words a records officer can act on."""
    value = error.instance
    if error.validator == "pattern" and isinstance(value, str):
        bad = next((c for c in value if ord(c) in _FORBIDDEN), None)
        if bad is not None:
            return (
                f"contains the control character U+{ord(bad):04X}; control characters, "
                "line breaks, tabs and bidi overrides are not allowed in metadata"
            )
        hint = error.schema.get("description") if isinstance(error.schema, dict) else None
        return f"{value!r} does not have the expected form" + (f" ({hint})" if hint else "")
    if error.validator == "format" and error.validator_value == "date":
        return f"{value!r} is not a real calendar date (expected YYYY-MM-DD)"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{error.message}; expected only: {', '.join(allowed)}"
    if error.validator == "oneOf" and error.context:
        return "; or ".join(sorted({c.message for c in error.context}))
    return error.message


# -- layer 3: rules beyond the schema -----------------------------------------------------


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
    problems += _symbol_organ_problems(meta, where)

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


def _part_file_problems(folder: Path, meta: dict[str, Any]) -> list[Problem]:
    """Check the part files that can be named even when the metadata has other errors."""
    parts = meta.get("parts")
    if not isinstance(parts, list):
        return []
    name_pattern = document_schema()["$defs"]["part"]["properties"]["text"]["pattern"]
    specs = [
        p
        for p in parts
        if isinstance(p, dict)
        and isinstance(p.get("text"), str)
        and re.fullmatch(name_pattern, p["text"])
        and p.get("kind") in ("main", "annex", "enclosure")
    ]
    return _load_parts(folder, specs)[2]


def _load_parts(
    folder: Path, specs: list[dict[str, Any]]
) -> tuple[tuple[Part, ...], tuple[SourceFile, ...], list[Problem]]:
    parts, files, problems = [], [], []
    for spec in specs:
        name = spec["text"]
        where = str(folder / name)
        raw = _read_regular_file(folder, name, MAX_PART_BYTES, where)
        if isinstance(raw, Problem):
            problems.append(raw)
            continue
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
            problems.append(
                Problem(
                    where,
                    f"contains the control character U+{ord(char):04X}",
                    line=line,
                    column=column,
                )
            )
            continue
        try:
            html = body.to_html(text)
        except body.MarkupError as exc:
            problems += [Problem(where, p.message, line=p.line) for p in exc.problems]
            continue
        files.append(SourceFile(name, raw))
        parts.append(_part(spec, text, html))
    return tuple(parts), tuple(files), problems


def _first_forbidden(text: str) -> tuple[int, int, str] | None:
    for number, line in enumerate(text.splitlines(), start=1):
        for column, char in enumerate(line, start=1):
            if ord(char) in _FORBIDDEN and ord(char) not in _BODY_ALLOWED_CONTROLS:
                return number, column, char
    return None


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
            )
            for o in meta["organs"]
        ),
        title=meta["title"],
        subtitle=meta.get("subtitle"),
        job_number=meta["job_number"],
        processing_dates=tuple(date.fromisoformat(d) for d in meta.get("processing_dates", [])),
        parts=parts,
        files=files,
        remarks=meta.get("remarks"),
    )

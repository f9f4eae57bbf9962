"""Limits (issue 6, item 2): each is a named constant in pipeline.model, checked at its
boundary (the limit passes, one more is refused), and its error names the limit and the value.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from pipeline import body, model, source
from pipeline.model import (
    FORBIDDEN_CHARACTERS,
    MAX_JSON_DEPTH,
    MAX_JSON_MEMBERS,
    MAX_METADATA_BYTES,
    MAX_NESTING,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_PROBLEMS,
    MAX_SOURCE_BYTES,
    MAX_TEXT_CHARS,
    MAX_WORD_CHARS,
)

from .conftest import MINIMAL_DOCUMENT
from .test_hostile_content import assert_refused, run_cli, write_source


def _metadata(**changes) -> dict:
    document = json.loads(json.dumps(MINIMAL_DOCUMENT))
    document.update(changes)
    return document


def test_the_limits_are_the_documented_values():
    """docs/hardening.md lists these; change both together."""
    assert (MAX_METADATA_BYTES, MAX_PART_BYTES, MAX_SOURCE_BYTES) == (1 << 20, 4 << 20, 8 << 20)
    assert (MAX_PARTS, MAX_TEXT_CHARS, MAX_JSON_DEPTH, MAX_JSON_MEMBERS) == (50, 2000, 10, 100)
    assert (MAX_NESTING, MAX_WORD_CHARS, model.MAX_PAGES, MAX_PROBLEMS) == (16, 500, 2000, 100)
    assert (model.MAX_FOOTNOTES, model.MAX_BAG_NAME_CHARS) == (2000, 200)
    assert source.MAX_METADATA_BYTES is MAX_METADATA_BYTES  # the name tests and tools use


def test_the_schema_says_the_same_limits_and_characters():
    schema = source.document_schema()
    assert schema["properties"]["parts"]["maxItems"] == MAX_PARTS
    text = schema["$defs"]["text"]
    assert text["maxLength"] == MAX_TEXT_CHARS
    pattern = re.compile(text["not"]["pattern"])
    refused = {c for c in range(0x110000) if pattern.search(chr(c))}
    assert refused == FORBIDDEN_CHARACTERS


def test_the_contract_needs_less_than_the_json_shape_limits():
    def depth(value) -> int:
        if isinstance(value, dict):
            return 1 + max(map(depth, value.values()), default=0)
        if isinstance(value, list):
            return 1 + max(map(depth, value), default=0)
        return 0

    assert depth(MINIMAL_DOCUMENT) <= 5 < MAX_JSON_DEPTH
    assert MAX_PARTS < MAX_JSON_MEMBERS


# -- bytes ----------------------------------------------------------------------------------


def test_document_json_of_exactly_the_limit_passes_and_one_byte_more_is_refused(tmp_path):
    text = json.dumps(_metadata(), ensure_ascii=False)
    padded = text + " " * (MAX_METADATA_BYTES - len(text.encode()))
    folder = write_source(tmp_path, metadata=padded)
    assert run_cli("validate", str(folder))[0] == 0
    (folder / "document.json").write_text(padded + " ")
    code, _, err = run_cli("validate", str(folder))
    assert_refused(
        code,
        err,
        "document.json",
        says=f"is {MAX_METADATA_BYTES + 1:,} bytes; the limit is 1,048,576",
    )


def test_a_part_over_the_limit_is_refused_before_it_is_read(tmp_path):
    folder = write_source(tmp_path, parts={"annex-1.md": b"a" * (MAX_PART_BYTES + 1)})
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "annex-1.md", says=f"is {MAX_PART_BYTES + 1:,} bytes; the limit is")
    assert "(4 MiB)" in err


def test_a_part_of_exactly_the_limit_passes(tmp_path, monkeypatch):
    monkeypatch.setattr(source, "MAX_PART_BYTES", 4000)  # the real 4 MiB takes seconds to parse
    line = "Text of the annex. " * 10 + "\n"
    text = (line * (4000 // len(line) + 1))[:3999] + "\n"
    folder = write_source(tmp_path, parts={"annex-1.md": text})
    assert run_cli("validate", str(folder))[0] == 0
    (folder / "annex-1.md").write_text(text + "x")
    assert_refused(*run_cli("validate", str(folder))[::2], "annex-1.md", says="the limit is 4,000")


def test_the_whole_source_over_the_limit_is_refused_before_any_part_is_parsed(tmp_path):
    size = MAX_PART_BYTES - 1  # each part is under the part limit; together they are not
    parts = {f"annex-{i}.md": b"a" * size for i in (1, 2)}
    extra = [{"kind": "annex", "text": "annex-2.md"}]
    folder = write_source(tmp_path, {"parts": [*MINIMAL_DOCUMENT["parts"], *extra]}, parts)
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "doc", says=f"the limit is {MAX_SOURCE_BYTES:,} bytes (8 MiB)")
    assert re.search(r"and its 3 part files are [\d,]+ bytes together", err), err


def test_the_whole_source_of_exactly_the_limit_passes(tmp_path, monkeypatch):
    folder = write_source(tmp_path)
    total = sum(p.stat().st_size for p in folder.iterdir())
    monkeypatch.setattr(source, "MAX_SOURCE_BYTES", total)
    assert run_cli("validate", str(folder))[0] == 0
    monkeypatch.setattr(source, "MAX_SOURCE_BYTES", total - 1)
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, says=f"are {total:,} bytes together; the limit is {total - 1:,}")


# -- counts ---------------------------------------------------------------------------------


def test_the_number_of_parts_is_limited(tmp_path):
    annexes = {f"annex-{i}.md": f"Annex {i}.\n" for i in range(1, MAX_PARTS)}
    specs = [{"kind": "annex", "text": name} for name in annexes]
    main = [MINIMAL_DOCUMENT["parts"][0]]
    folder = write_source(tmp_path, {"parts": main + specs}, annexes)
    assert run_cli("validate", str(folder))[0] == 0  # exactly MAX_PARTS
    (folder / "one-more.md").write_text("One more.\n")
    folder = write_source(
        tmp_path, {"parts": [*main, *specs, {"kind": "annex", "text": "one-more.md"}]}, annexes
    )
    code, _, err = run_cli("validate", str(folder))
    assert_refused(
        code, err, "at /parts", says=f"has {MAX_PARTS + 1} parts; the limit is {MAX_PARTS}"
    )
    assert len(err.strip().splitlines()) == 1  # not one line per part file too


def test_metadata_strings_are_limited(tmp_path):
    assert run_cli("validate", str(write_source(tmp_path, {"title": "t" * MAX_TEXT_CHARS})))[0] == 0
    code, _, err = run_cli("validate", str(write_source(tmp_path, {"title": "t" * 100_000})))
    assert_refused(code, err, "at /title", says="is 100,000 characters long; the limit is 2,000")
    assert len(err) < 300  # the value is not quoted whole


def test_json_nesting_is_limited(tmp_path):
    def nested(levels: int) -> object:
        value: object = "x"
        for _ in range(levels):
            value = [value]
        return value

    inside = MAX_JSON_DEPTH - 1  # the top-level object is one level
    code, _, err = run_cli("validate", str(write_source(tmp_path, {"remarks": nested(inside)})))
    assert code == 2 and "expected a string, not an array" in err and "nested" not in err
    code, _, err = run_cli("validate", str(write_source(tmp_path, {"remarks": nested(inside + 1)})))
    assert_refused(code, err, "at /remarks/0", says=f"nested more than {MAX_JSON_DEPTH} deep")
    deep = "[" * 100_000 + "]" * 100_000  # beyond Python's recursion limit
    folder = write_source(tmp_path, metadata=json.dumps(_metadata())[:-1] + f', "x": {deep}}}')
    assert_refused(
        *run_cli("validate", str(folder))[::2], "document.json", says="nested too deeply"
    )


def test_json_arrays_and_objects_are_limited_before_the_schema_runs(tmp_path):
    """jsonschema's uniqueItems is quadratic: 20,000 objects took 8 minutes before this."""
    members = [{"n": i} for i in range(MAX_JSON_MEMBERS)]
    code, _, err = run_cli("validate", str(write_source(tmp_path, {"symbols": members})))
    assert_refused(code, err, "at /symbols", says=f"has {MAX_JSON_MEMBERS} items; the limit is 3")
    assert "no array or object" not in err  # within the shape limit: the schema speaks
    many = [{"n": i} for i in range(20_000)]
    code, _, err = run_cli("validate", str(write_source(tmp_path, {"symbols": many})))
    assert_refused(code, err, "at /symbols", says="an array of 20,000 items; no array or object")
    keys = {f"k{i}": i for i in range(MAX_JSON_MEMBERS + 1)}
    code, _, err = run_cli("validate", str(write_source(tmp_path, keys)))
    members = len(_metadata(**keys))
    assert_refused(code, err, "at /", says=f"an object with {members} members")


def test_at_most_max_problems_are_listed(tmp_path):
    text = "".join(f"[link {i}](file:///x{i})\n\n" for i in range(3 * MAX_PROBLEMS))
    code, _, err = run_cli("validate", str(write_source(tmp_path, parts={"letter.md": text})))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == MAX_PROBLEMS + 1
    assert f"{2 * MAX_PROBLEMS} more problems not listed (the limit is {MAX_PROBLEMS}" in lines[-1]


def test_a_repeated_key_is_reported_once_with_its_count(tmp_path):
    text = "{" + ", ".join('"title": "t"' for _ in range(50_000)) + "}"
    code, _, err = run_cli("validate", str(write_source(tmp_path, metadata=text)))
    assert_refused(code, err, "document.json", says="key 'title' appears 50000 times")
    assert len(err.strip().splitlines()) == 1


# -- the body -------------------------------------------------------------------------------


def test_body_nesting_limit_boundary():
    body.to_html(">" * MAX_NESTING + " deepest\n")
    body.to_html("*" * (MAX_NESTING // 2) + "x" + "*" * (MAX_NESTING // 2) + "\n")
    with pytest.raises(body.MarkupError, match=f"the limit is {MAX_NESTING}"):
        body.to_html(">" * (MAX_NESTING + 1) + " one too deep\n")


def test_body_word_limit_boundary():
    body.to_html("a " + "x" * MAX_WORD_CHARS + " b\n")
    with pytest.raises(body.MarkupError, match=f"a word of {MAX_WORD_CHARS + 1} characters"):
        body.to_html("a " + "x" * (MAX_WORD_CHARS + 1) + " b\n")


@pytest.mark.parametrize("space", ["\u00a0", "\u2007", "\u202f"])
def test_no_break_spaces_do_not_end_a_word(space):
    """They join words, so a run of them is one word for the line breaker (and its cost)."""
    body.to_html("a " + f"x{space}" * (MAX_WORD_CHARS // 2) + "\n")
    with pytest.raises(body.MarkupError, match=f"a word of {MAX_WORD_CHARS + 1} characters"):
        body.to_html("a " + f"x{space}" * (MAX_WORD_CHARS // 2) + "x b\n")


def test_footnote_calls_per_part_limit_boundary(make_source):
    """Thousands of notes would take WeasyPrint minutes: refused at validate, with the line."""
    from pipeline.errors import UserError

    def letter(calls: int) -> str:
        text = "\n".join(f"Point {i}.[^{i}]" for i in range(1, calls + 1))
        notes = "\n".join(f"[^{i}]: Note {i}." for i in range(1, calls + 1))
        return f"{text}\n\n{notes}\n"

    body.to_html(letter(model.MAX_FOOTNOTES))
    with pytest.raises(UserError) as refused:
        source.load(make_source(parts={"letter.md": letter(model.MAX_FOOTNOTES + 1)}))
    (problem,) = refused.value.problems
    assert problem.file.endswith("letter.md") and problem.line == 1
    assert f"the limit is {model.MAX_FOOTNOTES:,} footnote calls per part" in problem.message


# -- pages: enforced after layout, in typeset.engine ------------------------------------------


def test_a_document_longer_than_max_pages_is_refused(tmp_path, monkeypatch):
    from pipeline.typeset import engine

    monkeypatch.setattr(model, "MAX_PAGES", 1)
    monkeypatch.setattr(engine, "MAX_PAGES", 1)
    folder = write_source(tmp_path)  # two pages: the letter and the annex
    code, _, err = run_cli("render", str(folder), "-o", str(tmp_path / "x.pdf"))
    assert_refused(code, err, says="2 pages; the limit is 1")
    assert not (tmp_path / "x.pdf").exists()


# -- found by an outside audit: validate said ok, build failed with exit 1 ---------------------


@pytest.mark.parametrize("title", ["Letter ", " Letter", "Letter\u00a0", " "])
def test_a_metadata_value_with_surrounding_spaces_is_refused_at_its_pointer(make_source, title):
    from pipeline.errors import UserError

    with pytest.raises(UserError) as refused:
        source.load(make_source({"title": title}))
    assert [p.pointer for p in refused.value.problems] == ["/title"]


def test_a_link_target_over_the_url_limit_is_refused_with_its_line(make_source):
    from pipeline import body
    from pipeline.errors import UserError

    url = "https://example.org/" + "a" * body.MAX_URL_CHARS
    with pytest.raises(UserError) as refused:
        source.load(make_source(parts={"letter.md": f"Text.\n\n[x]({url})\n"}))
    (problem,) = refused.value.problems
    assert problem.line == 3 and "8,192" in problem.message
    source.load(make_source(parts={"letter.md": f"[x]({url[: body.MAX_URL_CHARS]})\n"}))


@pytest.mark.parametrize("junk", ["fifo", "link to /dev/zero"])
def test_junk_at_a_bags_name_in_the_output_folder_is_not_read(tmp_path, junk):
    from pipeline.package import buildkey

    bag = tmp_path / "NAME"
    bag.mkdir()
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    if junk == "fifo":
        os.mkfifo(bag / "bag-info.txt")
    else:
        (bag / "bag-info.txt").symlink_to("/dev/zero")
    assert buildkey.existing_key(tmp_path, "NAME", "dir") is None  # no hang, no MemoryError

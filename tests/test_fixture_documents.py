"""The test documents in ``tests/fixtures/documents/``: valid sources that together cover the contract.

Each folder is a complete document source folder, as described in DESIGN.md under "Input: a
document source folder": ``document.json``, the Markdown part files it names, and a
``README.md`` that says what the folder tests. The typesetting tests render these folders.
These tests check three things:

- each folder on its own: valid against the schema, loads through ``pipeline.source``, holds
  no stray files, says in ``remarks`` that it is fictional, and uses only the Markdown a UN
  document body has. Numbered paragraphs continue across headings within a part;
- the folders together cover what the typesetter must handle: all six languages, Letter and
  A4 paper, a joint General Assembly / Security Council document, a Human Rights Council
  document, limited distribution, original and translated versions, annexes with an
  original-language marker, footnotes and tables;
- the folder list is not empty, so a wrong path cannot make every test pass vacuously.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "schemas" / "document.schema.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "documents"
FOLDERS = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []

LANGUAGES = {"ar", "zh", "en", "fr", "ru", "es"}
PAPER = {"new-york": "Letter", "geneva": "A4", "vienna": "A4"}  # UN-FORMAT.md §1.1
LINK_SCHEMES = {"http", "https", "mailto"}
# Token types a UN document body never has: raw HTML, images, and code (in a body, a code
# block is almost always a paragraph indented by mistake).
FORBIDDEN_TOKENS = {"html_block", "html_inline", "image", "code_block", "fence", "code_inline"}


def folder_id(folder: Path) -> str:
    return folder.name


def metadata(folder: Path) -> dict:
    return json.loads((folder / "document.json").read_text(encoding="utf-8"))


def part_files(folder: Path) -> list[Path]:
    return [folder / part["text"] for part in metadata(folder)["parts"]]


@cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


@cache
def markdown_parser() -> MarkdownIt:
    """Parse as ``pipeline.body`` does: CommonMark, raw HTML off, tables and footnotes."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").use(footnote_plugin)


def all_tokens(tokens: list[Token]) -> list[Token]:
    """Block tokens and, in document order, the inline tokens inside them."""
    flat = []
    for token in tokens:
        flat.append(token)
        flat.extend(all_tokens(token.children or []))
    return flat


def paragraph_numbers(tokens: list[Token]) -> list[list[int]]:
    """The numbers of each top-level ordered list, in order: [[1, 2], [3], [4, 5, 6], …]."""
    lists: list[list[int]] = []
    for i, token in enumerate(tokens):
        if token.type == "ordered_list_open" and token.level == 0:
            start = int(token.attrGet("start") or 1)
            items = 0
            for inner in tokens[i + 1 :]:
                if inner.type == "ordered_list_close" and inner.level == 0:
                    break
                if inner.type == "list_item_open" and inner.level == 1:
                    items += 1
            lists.append(list(range(start, start + items)))
    return lists


# --- the folders exist --------------------------------------------------------------------


def test_there_are_fixture_documents():
    assert len(FOLDERS) >= 7, f"expected the fixture folders under {FIXTURES}"
    assert [f.name for f in FOLDERS if not (f / "document.json").is_file()] == []


# --- each folder on its own ---------------------------------------------------------------


@pytest.mark.parametrize("folder", FOLDERS, ids=folder_id)
def test_document_json_is_valid_against_the_schema(folder):
    errors = [f"{e.json_path}: {e.message}" for e in validator().iter_errors(metadata(folder))]
    assert errors == []


@pytest.mark.parametrize("folder", FOLDERS, ids=folder_id)
def test_folder_holds_its_parts_and_a_readme_and_nothing_else(folder):
    expected = {"document.json", "README.md", *(p.name for p in part_files(folder))}
    assert {p.name for p in folder.iterdir()} == expected
    assert all(p.is_file() and not p.is_symlink() for p in folder.iterdir())
    assert (folder / "README.md").read_text(encoding="utf-8").startswith(f"# {folder.name}:")


@pytest.mark.parametrize("folder", FOLDERS, ids=folder_id)
def test_remarks_say_the_document_is_a_fictional_test_fixture(folder):
    assert "fictional test fixture" in metadata(folder).get("remarks", "").lower()


@pytest.mark.parametrize("folder", FOLDERS, ids=folder_id)
def test_bodies_use_only_what_a_un_document_body_has(folder):
    for path in part_files(folder):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n"), path.name
        assert [n for n, line in enumerate(text.splitlines(), 1) if line != line.rstrip()] == []
        assert "\t" not in text and "\r" not in text, path.name
        tokens = all_tokens(markdown_parser().parse(text))
        assert {t.type for t in tokens} & FORBIDDEN_TOKENS == set(), path.name
        links = [str(t.attrGet("href")) for t in tokens if t.type == "link_open"]
        assert [u for u in links if urlsplit(u).scheme not in LINK_SCHEMES] == [], path.name


@pytest.mark.parametrize("folder", FOLDERS, ids=folder_id)
def test_paragraph_numbers_continue_across_headings_within_each_part(folder):
    """A list after a heading starts where the one before it stopped ("5. " after "4. ")."""
    for path in part_files(folder):
        lists = paragraph_numbers(markdown_parser().parse(path.read_text(encoding="utf-8")))
        numbers = [n for numbers in lists for n in numbers]
        assert numbers == list(range(1, len(numbers) + 1)), path.name


@pytest.mark.parametrize("folder", FOLDERS, ids=folder_id)
def test_folder_loads_through_pipeline_source(folder):
    from pipeline import source

    document = source.load(folder)
    assert [part.text for part in document.parts] == [p.name for p in part_files(folder)]
    assert [f.name for f in document.files] == ["document.json", *(p.text for p in document.parts)]


# --- the folders together -------------------------------------------------------------------


@pytest.fixture(scope="module")
def documents() -> dict:
    from pipeline import source

    return {folder.name: source.load(folder) for folder in FOLDERS}


def names(documents: dict, matches) -> list[str]:
    return [name for name, document in documents.items() if matches(document)]


def test_fixtures_cover_all_six_languages(documents):
    assert {d.language for d in documents.values()} == LANGUAGES


def test_fixtures_cover_letter_and_a4_paper(documents):
    assert {PAPER[d.duty_station] for d in documents.values()} == {"Letter", "A4"}


def test_fixtures_cover_original_and_translated_versions(documents):
    """An original version leaves the version-language line blank; a translation fills it."""
    assert {d.is_original_version for d in documents.values()} == {True, False}


def test_fixtures_include_a_joint_general_assembly_and_security_council_document(documents):
    def joint(document) -> bool:
        series = {symbol.series for symbol in document.symbols}
        return {"A", "S"} <= series and None not in (document.organ("GA"), document.organ("SC"))

    assert names(documents, joint)


def test_fixtures_include_a_human_rights_council_document(documents):
    assert names(documents, lambda d: d.organ("HRC") is not None)


def test_fixtures_include_limited_distribution(documents):
    assert names(documents, lambda d: d.distribution == "limited")


def test_fixtures_include_annexes_with_an_original_language_marker(documents):
    def marked_annex(document) -> bool:
        return any(p.kind == "annex" and p.original_language for p in document.parts)

    assert names(documents, marked_annex)


def test_fixtures_include_signatures_with_a_title(documents):
    def signed(document) -> bool:
        return any(p.signature and p.signature.title for p in document.parts)

    assert names(documents, signed)


def test_fixtures_include_footnotes_and_tables(documents):
    def having(fragment: str) -> set[str]:
        return set(names(documents, lambda d: any(fragment in p.html for p in d.parts)))

    footnoted, tabled = having('class="footnote"'), having("<table>")
    assert footnoted and tabled
    # At least one A4 document has both, so the Geneva layout meets footnotes and tables too.
    a4 = set(names(documents, lambda d: PAPER[d.duty_station] == "A4"))
    assert a4 & footnoted & tabled

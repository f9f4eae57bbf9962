"""Loading and validating source folders: every bad input is named, with where and what."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest

from pipeline import source
from pipeline.errors import InvalidSource

from .conftest import EXAMPLE, MINIMAL_DOCUMENT


def problems_of(folder) -> list[str]:
    with pytest.raises(InvalidSource) as caught:
        source.load(folder)
    return [str(p) for p in caught.value.problems]


def test_valid_source_becomes_a_document_with_its_bytes(make_source):
    folder = make_source()
    document = source.load(folder)
    assert document.symbol == "A/75/9001–S/2021/9001"
    assert document.date == date(2021, 3, 5)
    assert [p.text for p in document.parts] == ["letter.md", "annex-1.md"]
    assert [f.name for f in document.files] == ["document.json", "letter.md", "annex-1.md"]
    assert document.files[0].data == (folder / "document.json").read_bytes()
    assert document.organ("GA").agenda_items[0].sub_item == "t"
    assert document.job_digits == "2190001"
    assert document.is_original_version  # English version of an English original


def test_bundled_example_is_valid():
    document = source.load(EXAMPLE)
    assert document.language == "zh"
    assert len(document.parts) == 3


def test_json_syntax_error_names_line_and_column(make_source):
    folder = make_source()
    (folder / "document.json").write_text('{\n  "symbols": ["A/75/1"],\n  "language": "en",,\n}')
    (problem,) = problems_of(folder)
    assert "document.json:3:" in problem and "invalid JSON" in problem


def test_duplicate_keys_are_refused(make_source):
    folder = make_source()
    text = (folder / "document.json").read_text()
    (folder / "document.json").write_text(
        text.replace('"language": "en"', '"language": "en", "language": "fr"')
    )
    assert any("'language' appears twice" in p for p in problems_of(folder))


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("9" * 5000, "a number of 5,000 characters (999999999999…); the limit is 40"),
        ("1e999", "the number 1e999 is out of range"),
        ("-1e999", "the number -1e999 is out of range"),
    ],
)
def test_a_huge_number_is_refused_in_the_users_terms(make_source, number, says):
    folder = make_source()
    text = (folder / "document.json").read_text()
    (folder / "document.json").write_text(text.replace("{", '{"x": ' + number + ", ", 1))
    (problem,) = problems_of(folder)
    assert problem.endswith(f"document.json: invalid JSON: {says}")


def test_symbols_too_long_for_a_bag_name_are_refused_at_validate(make_source):
    from pipeline.model import MAX_BAG_NAME_CHARS

    long = ["A/75/1" + "*" * 94, "S/2021/1" + "*" * 92]  # each within the schema's 100
    folder = make_source({"symbols": long})
    (problem,) = problems_of(folder)
    assert "at /symbols: the symbols make a bag name of 391 characters" in problem
    assert f"the limit is {MAX_BAG_NAME_CHARS}" in problem
    source.load(make_source({"symbols": ["A/75/1" + "*" * 40]}))  # 89 characters: fine


@pytest.mark.parametrize("name", ["annex.txt", "annex.MD", "annex.pdf", "notes.json", "a" * 20])
def test_part_files_are_markdown_files_named_md(make_source, name):
    folder = make_source(parts={name: "Text.\n"})
    meta = json.loads((folder / "document.json").read_text())
    meta["parts"][1]["text"] = name
    (folder / "document.json").write_text(json.dumps(meta))
    (problem,) = problems_of(folder)
    assert "at /parts/1/text" in problem


def test_top_level_must_be_an_object(make_source):
    folder = make_source()
    (folder / "document.json").write_text("[1, 2]")
    assert "expected a JSON object" in problems_of(folder)[0]


def test_unknown_field_names_the_field_and_the_allowed_ones(make_source):
    (problem,) = problems_of(make_source({"colour": "blue"}))
    assert (
        "at /colour: unknown field 'colour'" in problem
        and "expected only:" in problem
        and "symbols" in problem
    )


def test_unknown_language_is_named_with_its_pointer(make_source):
    (problem,) = problems_of(make_source({"language": "de"}))
    assert "at /language" in problem and "'de' is not one of" in problem


def test_wrong_type_gives_pointer_and_expected_type(make_source):
    organs = [{"organ": "GA", "session": "seventy-five"}]
    problems = problems_of(make_source({"organs": organs, "symbols": ["A/75/1"]}))
    assert any("/organs/0/session" in p for p in problems)


def test_impossible_date_is_refused(make_source):
    (problem,) = problems_of(make_source({"date": "2021-02-30"}))
    assert "at /date" in problem and "not a real calendar date" in problem


def test_processing_dates_out_of_order(make_source):
    (problem,) = problems_of(make_source({"processing_dates": ["2021-03-10", "2021-03-09"]}))
    assert "/processing_dates" in problem and "in order" in problem


def test_translation_may_be_processed_before_the_masthead_date(make_source):
    source.load(make_source({"processing_dates": ["2021-03-01", "2021-03-02"]}))


@pytest.mark.parametrize(
    "station, job",
    [("new-york", "GE.21-90001"), ("geneva", "21-90001"), ("vienna", "GE.21-90001")],
)
def test_job_number_must_match_the_duty_station(make_source, station, job):
    (problem,) = problems_of(make_source({"duty_station": station, "job_number": job}))
    assert "/job_number" in problem and station in problem


def test_ga_session_cannot_be_in_the_future(make_source):
    organs = [{"organ": "GA", "session": 90}]
    problems = problems_of(make_source({"organs": organs, "symbols": ["A/90/1"]}))
    assert any("session 90 had not opened" in p for p in problems)


def test_sc_year_after_the_document_date_is_refused(make_source):
    organs = [{"organ": "GA", "session": 75}, {"organ": "SC", "year": 2030}]
    problems = problems_of(make_source({"organs": organs, "symbols": ["A/75/1"]}))
    assert any("/organs/1/year" in p for p in problems)


def test_symbol_session_must_agree_with_the_organ(make_source):
    (problem,) = problems_of(make_source({"symbols": ["A/74/9001", "S/2021/9001"]}))
    assert "/symbols/0" in problem and "session 74" in problem


@pytest.mark.parametrize(
    "symbols, expected",
    [
        (["S/2021/9001", "A/75/9001"], "General Assembly symbol comes first"),
        (["A/75/9001", "A/75/9001 "], "appears twice"),
    ],
)
def test_joint_symbol_rules_apply_to_the_list(make_source, symbols, expected):
    problems = problems_of(make_source({"symbols": symbols}))
    assert any(expected in p and "at /symbols:" in p for p in problems)


def test_bad_symbol_is_reported_with_its_pointer(make_source):
    problems = problems_of(make_source({"symbols": ["A/75/785/Add1"]}))
    assert any("/symbols/0" in p for p in problems)


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\x00", "\x85", "\u202e", "\u2066", "\u2028"])
def test_control_characters_in_metadata_are_refused(make_source, char):
    (problem,) = problems_of(make_source({"title": f"Letter{char}Injected: yes"}))
    assert "/title" in problem and f"U+{ord(char):04X}" in problem


@pytest.mark.parametrize(
    "name",
    ["../escape.md", "/etc/passwd", "sub/part.md", ".hidden.md", "ünïcode.md", "a b.md"],
)
def test_part_file_names_must_be_plain_names_inside_the_folder(make_source, name):
    parts = [{"kind": "main", "text": name}]
    problems = problems_of(make_source({"parts": parts}))
    assert any("/parts/0/text" in p for p in problems)


def test_missing_part_file(make_source):
    parts = [{"kind": "main", "text": "nothere.md"}]
    (problem,) = problems_of(make_source({"parts": parts}))
    assert "nothere.md" in problem and "not found" in problem


def test_symlinked_part_file_is_refused(make_source, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("secret\n")
    folder = make_source()
    (folder / "letter.md").unlink()
    os.symlink(outside, folder / "letter.md")
    (problem,) = problems_of(folder)
    assert "letter.md" in problem and "symbolic link" in problem


def test_symlinked_document_json_is_refused(make_source, tmp_path):
    folder = make_source()
    real = tmp_path / "real.json"
    real.write_bytes((folder / "document.json").read_bytes())
    (folder / "document.json").unlink()
    os.symlink(real, folder / "document.json")
    assert "symbolic link" in problems_of(folder)[0]


def test_directory_as_part_file_is_refused(make_source):
    folder = make_source()
    (folder / "letter.md").unlink()
    (folder / "letter.md").mkdir()
    (problem,) = problems_of(folder)
    assert "expected a regular file" in problem


def test_non_utf8_part_file_names_line_and_column(make_source):
    (problem,) = problems_of(make_source(parts={"letter.md": b"first line\nbad \xff byte\n"}))
    assert "letter.md:2:5" in problem and "not UTF-8" in problem


@pytest.mark.parametrize("content", ["", "  \n\n"])
def test_empty_part_file_is_refused(make_source, content):
    (problem,) = problems_of(make_source(parts={"letter.md": content}))
    assert "letter.md" in problem and "is empty" in problem


def test_control_character_in_body_names_the_line(make_source):
    (problem,) = problems_of(make_source(parts={"letter.md": "ok\nbad \x1b[31m\n"}))
    assert "letter.md:2:5" in problem and "U+001B" in problem


def test_images_in_body_are_refused_with_the_line(make_source):
    (problem,) = problems_of(make_source(parts={"letter.md": "Text.\n\n![emblem](emblem.png)\n"}))
    assert "letter.md:3" in problem and "no images" in problem


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "../secret.md", "data:text/html,x", "javascript:x"]
)
def test_links_must_point_at_the_web(make_source, target):
    (problem,) = problems_of(make_source(parts={"letter.md": f"See [this]({target}).\n"}))
    assert "letter.md:1" in problem and "link target" in problem


def test_first_part_must_be_the_only_main_part(make_source):
    parts = [{"kind": "annex", "text": "annex-1.md"}, {"kind": "main", "text": "letter.md"}]
    assert any("kind 'main', first" in p for p in problems_of(make_source({"parts": parts})))


def test_all_problems_of_a_document_are_reported_together(make_source):
    folder = make_source({"date": "2021-13-01", "language": "xx", "colour": 1})
    (folder / "letter.md").write_bytes(b"\xfe")
    problems = problems_of(folder)
    assert len(problems) >= 4
    assert any("letter.md" in p for p in problems)


def test_missing_folder_and_missing_document_json(tmp_path):
    assert "expected a document source folder" in problems_of(tmp_path / "nope")[0]
    assert "document.json: file not found" in problems_of(tmp_path)[0]


def test_oversized_document_json_is_refused(make_source):
    folder = make_source()
    (folder / "document.json").write_bytes(b" " * (source.MAX_METADATA_BYTES + 1))
    assert "limit" in problems_of(folder)[0]


def test_byte_order_mark_is_tolerated(make_source):
    folder = make_source()
    data = (folder / "document.json").read_bytes()
    (folder / "document.json").write_bytes(b"\xef\xbb\xbf" + data)
    assert source.load(folder).files[0].data.startswith(b"\xef\xbb\xbf")


def test_minimal_document_in_conftest_matches_the_schema():
    # Guards the fixture itself: every test above bends a document that is valid to start with.
    import jsonschema

    jsonschema.Draft202012Validator(source.document_schema()).validate(
        json.loads(json.dumps(MINIMAL_DOCUMENT))
    )


def test_sponsors_belong_to_a_draft(make_source):
    (problem,) = problems_of(make_source({"sponsors": {"names": "Palau"}}))
    assert "/sponsors" in problem and "L. segment" in problem


def test_sponsors_of_a_draft_are_read(make_source):
    folder = make_source(
        {
            "symbols": ["A/C.2/75/L.9001"],
            "organs": [{"organ": "GA", "session": 75}],
            "sponsors": {"names": "Palau", "note": "On behalf of a group."},
        }
    )
    sponsors = source.load(folder).sponsors
    assert sponsors.names == "Palau" and sponsors.note == "On behalf of a group."


def test_sponsors_take_only_names_and_note(make_source):
    problems = problems_of(make_source({"sponsors": {"names": "Palau", "list": []}}))
    assert any("/sponsors" in p and "list" in p for p in problems)


def test_meeting_dates_in_order(make_source):
    organs = [
        {"organ": "GA", "session": 75, "meeting_dates": {"from": "2021-03-15", "to": "2021-03-04"}},
        {"organ": "SC", "year": 2021},
    ]
    (problem,) = problems_of(make_source({"organs": organs}))
    assert "/organs/0/meeting_dates" in problem and "after its last" in problem


def test_subsidiary_body_and_meeting_dates_are_read(make_source):
    organs = [
        {
            "organ": "GA",
            "session": 75,
            "body": "Working Group",
            "meeting_dates": {"from": "2021-03-04", "to": "2021-03-15"},
        },
        {"organ": "SC", "year": 2021},
    ]
    ga = source.load(make_source({"organs": organs})).organ("GA")
    assert ga.body == "Working Group"
    assert ga.meeting_dates == (date(2021, 3, 4), date(2021, 3, 15))

"""Messages: one per mistake, with a suggestion where one fits, asserted word for word."""

from __future__ import annotations

import json

import pytest

from pipeline import source
from pipeline.cli import main
from pipeline.errors import InvalidSource

from .conftest import MINIMAL_DOCUMENT


def problems_of(folder) -> list[str]:
    with pytest.raises(InvalidSource) as caught:
        source.load(folder)
    return [f"{p.pointer}: {p.message}" for p in caught.value.problems]


def test_misspelt_field_gives_one_message_with_a_suggestion(make_source):
    document = dict(MINIMAL_DOCUMENT)
    document["tilte"] = document.pop("title")
    folder = make_source()
    (folder / "document.json").write_text(json.dumps(document))
    assert problems_of(folder) == ["/tilte: unknown field 'tilte'; did you mean 'title'?"]


def test_misspelt_nested_field_is_named_at_its_own_pointer(make_source):
    organs = [{"organ": "GA", "sesion": 75}, {"organ": "SC", "year": 2021}]
    assert problems_of(make_source({"organs": organs})) == [
        "/organs/0/sesion: unknown field 'sesion'; did you mean 'session'?"
    ]


def test_unknown_field_without_a_likely_meaning_lists_the_allowed_ones(make_source):
    (problem,) = problems_of(make_source({"colour": "blue"}))
    assert problem.startswith("/colour: unknown field 'colour'; expected only: date, ")


def test_enum_case_mistake_suggests_the_right_case(make_source):
    assert problems_of(make_source({"distribution": "General"})) == [
        "/distribution: 'General' is not one of 'general', 'limited', 'restricted'; "
        "did you mean 'general'?"
    ]


def test_enum_misspelling_suggests_the_close_value(make_source):
    (problem,) = problems_of(make_source({"duty_station": "new york"}))
    assert problem.endswith("did you mean 'new-york'?")


def test_enum_without_a_close_value_has_no_suggestion(make_source):
    (problem,) = problems_of(make_source({"language": "de"}))
    assert problem == "/language: 'de' is not one of 'ar', 'zh', 'en', 'fr', 'ru', 'es'"


def test_a_date_in_another_form_is_one_error_saying_how_to_write_it(make_source):
    assert problems_of(make_source({"date": "17/03/2022"})) == [
        "/date: '17/03/2022' is not a date in the form YYYY-MM-DD; write it as 2022-03-17"
    ]


def test_an_impossible_date_in_the_right_form_is_not_real(make_source):
    assert problems_of(make_source({"date": "2021-02-30"})) == [
        "/date: '2021-02-30' is not a real calendar date"
    ]


def test_an_ambiguous_date_offers_both_readings(make_source):
    (problem,) = problems_of(make_source({"date": "03/04/2021"}))
    assert problem.endswith("write it as 2021-04-03 or 2021-03-04")


def test_a_missing_required_field_says_so(make_source):
    document = dict(MINIMAL_DOCUMENT)
    del document["job_number"]
    folder = make_source()
    (folder / "document.json").write_text(json.dumps(document))
    assert problems_of(folder) == [": the required field 'job_number' is missing"]


def test_a_missing_part_file_is_named_with_its_pointer(make_source):
    parts = [*MINIMAL_DOCUMENT["parts"], {"kind": "annex", "text": "annex-2.md"}]
    folder = make_source({"parts": parts})
    with pytest.raises(InvalidSource) as caught:
        source.load(folder)
    (problem,) = caught.value.problems
    assert problem.pointer == "/parts/2/text"
    assert str(problem) == (
        f"{folder}/document.json at /parts/2/text: the part file 'annex-2.md' was not found in {folder}"
    )


def test_a_missing_part_file_is_named_with_its_pointer_beside_schema_errors(make_source):
    parts = [*MINIMAL_DOCUMENT["parts"], {"kind": "annex", "text": "annex-2.md"}]
    folder = make_source({"parts": parts, "distribution": "General"})
    problems = problems_of(folder)
    assert len(problems) == 2 and problems[0].startswith("/distribution: ")
    assert problems[1] == f"/parts/2/text: the part file 'annex-2.md' was not found in {folder}"


def test_build_summary_lists_every_problem_of_a_document_naming_the_folder_once(
    capsys, make_source, tmp_path
):
    good = tmp_path / "good"
    folder = make_source({"distribution": "General", "date": "17/03/2022"})
    folder.rename(good)  # the make_source folder is reused: keep this one apart
    other = make_source({"language": "EN"})
    code = main(["build", str(good), str(other), "-o", str(tmp_path / "bags")])
    err = capsys.readouterr().err
    assert code == 2
    summary = err[err.index("unfolio build:") :].splitlines()
    assert summary[1] == f"  not built (invalid): {good}"
    assert summary[2].startswith("      document.json at /date: '17/03/2022'")
    assert summary[3].startswith("      document.json at /distribution: 'General'")
    assert summary[4] == (
        f"  not built (invalid): {other}: document.json at /language: 'EN' is not one of "
        "'ar', 'zh', 'en', 'fr', 'ru', 'es'; did you mean 'en'?"
    )
    assert str(tmp_path) not in "\n".join(summary[2:4])  # the folder is not repeated


def test_a_lower_case_symbol_is_one_message_from_the_symbol_grammar(make_source):
    assert problems_of(make_source({"symbols": ["a/75/9001", "S/2021/9001"]})) == [
        "/symbols/0: a/75/9001: series 'a' must be upper-case, like 'A'"
    ]


def test_a_session_written_as_text_says_to_drop_the_quotes(make_source):
    organs = [{"organ": "GA", "session": "75"}, {"organ": "SC", "year": 2021}]
    assert problems_of(make_source({"organs": organs})) == [
        "/organs/0/session: '75' is text; write the number without quotes: 75"
    ]


@pytest.mark.parametrize(("name", "code"), [("english", "en"), ("Français", "fr"),
                                            ("китайский", "zh")])  # fmt: skip
def test_a_language_written_by_name_suggests_its_code(make_source, name, code):
    (problem,) = problems_of(make_source({"language": name}))
    assert problem.endswith(f"; did you mean {code!r}?")

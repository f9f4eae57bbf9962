"""`unfolio new`: a draft that validates and renders at once, and that build refuses."""

from __future__ import annotations

import json

import pytest

from pipeline import source
from pipeline.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_new_derives_organ_and_session_from_the_symbol_and_marks_the_rest(capsys, tmp_path):
    folder = tmp_path / "draft"
    code, out, _ = run(capsys, "new", "A/80/100", "--language", "en", "--date", "2025-09-10",
                       "-o", str(folder))  # fmt: skip
    assert code == 0
    assert "General Assembly, Eightieth session" in out
    meta = json.loads((folder / "document.json").read_text())
    assert meta["organs"] == [
        {
            "organ": "GA",
            "session": 80,
            "agenda_items": [{"item": "[[TO FILL: agenda item number]]"}],
        }
    ]
    assert meta["date"] == "2025-09-10" and meta["language"] == "en"
    assert meta["title"] == "[[TO FILL: title]]"
    assert meta["job_number"] == "25-00000"
    assert f"{folder}/document.json at /title" in out
    document = source.load(folder)  # validates as it is
    assert document.symbol == "A/80/100"


def test_new_joint_symbol_gives_both_organs_in_the_language_of_the_version(capsys, tmp_path):
    folder = tmp_path / "joint"
    code, out, _ = run(capsys, "new", "A/80/101", "S/2025/101", "-l", "fr", "--date",
                       "2025-03-01", "--duty-station", "geneva", "-o", str(folder))  # fmt: skip
    assert code == 0 and "Conseil de sécurité" in out
    meta = json.loads((folder / "document.json").read_text())
    assert [o["organ"] for o in meta["organs"]] == ["GA", "SC"]
    assert meta["organs"][1] == {"organ": "SC", "year": 2025}
    assert meta["job_number"] == "GE.25-00000"


def test_new_human_rights_council_symbol(capsys, tmp_path):
    code, _, _ = run(capsys, "new", "A/HRC/58/3", "-l", "ar", "--date", "2025-02-01", "-o",
                     str(tmp_path / "hrc"))  # fmt: skip
    meta = json.loads((tmp_path / "hrc" / "document.json").read_text())
    assert code == 0 and meta["organs"] == [{"organ": "HRC", "session": 58}]


def test_without_date_the_masthead_date_is_a_placeholder_to_fill(capsys, tmp_path):
    """The date of issue is what only a person knows: no default from the clock, which a
    backlog would archive silently."""
    folder = tmp_path / "nodate"
    code, out, _ = run(capsys, "new", "S/2025/7", "-l", "en", "-o", str(folder))
    meta = json.loads((folder / "document.json").read_text())
    assert code == 0 and meta["date"] == "[[TO FILL: date, YYYY-MM-DD]]"
    assert f"{folder}/document.json at /date: placeholder" in out
    code, _, err = run(capsys, "validate", str(folder))
    assert code == 0 and "at /date: placeholder [[TO FILL: date, YYYY-MM-DD]]" in err
    code, _, _ = run(capsys, "render", str(folder), "-o", str(tmp_path / "d.pdf"), "--pdfa", "2b")
    assert code == 0


def test_new_defaults_to_a_folder_named_after_the_bag(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, "new", "S/2025/7", "-l", "zh", "--date", "2025-01-05")
    assert code == 0 and (tmp_path / "S_2025_7-ZH" / "document.json").is_file()


def test_new_without_a_known_organ_asks_for_one(capsys, tmp_path):
    code, _, err = run(capsys, "new", "ST/SGB/2025/1", "-l", "en", "-o", str(tmp_path / "x"))
    assert code == 2 and "give one with --organ" in err
    assert not (tmp_path / "x").exists()
    code, _, _ = run(capsys, "new", "ST/SGB/2025/1", "-l", "en", "--organ", "GA:80",
                     "--date", "2025-10-01", "-o", str(tmp_path / "x"))  # fmt: skip
    assert code == 0


def test_new_refuses_contradicting_options_and_leaves_nothing(capsys, tmp_path):
    code, _, err = run(capsys, "new", "S/2021/3", "-l", "ru", "--date", "2020-01-01", "-o",
                       str(tmp_path / "x"))  # fmt: skip
    assert code == 2 and "year 2021 must be between 1946 and the document's year 2020" in err
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_a_folder_that_exists(capsys, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    code, _, err = run(capsys, "new", "A/80/1", "-l", "en", "-o", str(tmp_path / "x"))
    assert code == 2 and "already exists" in err
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


def test_new_refuses_an_unknown_language_and_a_bad_symbol(capsys, tmp_path):
    code, _, err = run(capsys, "new", "A/80/1", "-l", "de", "-o", str(tmp_path / "x"))
    assert code == 2 and "--language 'de': expected one of ar, zh, en, fr, ru, es" in err
    code, _, err = run(capsys, "new", "A/80/add.1", "-l", "en", "-o", str(tmp_path / "x"))
    assert code == 2 and err.startswith("error: symbol A/80/add.1:")


@pytest.fixture
def draft(capsys, tmp_path):
    folder = tmp_path / "draft"
    assert run(capsys, "new", "A/80/100", "-l", "en", "--date", "2025-09-10", "-o",
               str(folder))[0] == 0  # fmt: skip
    return folder


def test_validate_lists_each_placeholder_as_a_warning_and_exits_0(capsys, draft):
    code, out, err = run(capsys, "validate", str(draft))
    assert code == 0 and "6 placeholders left" in out
    warnings = err.strip().splitlines()
    assert len(warnings) == 6 and all(w.startswith("warning: ") for w in warnings)
    assert warnings[0].startswith(
        f"warning: {draft}/document.json at /organs/0/agenda_items/0/item: placeholder"
    )
    assert warnings[1].startswith(f"warning: {draft}/document.json at /title: placeholder")
    assert warnings[2].startswith(f"warning: {draft}/document.json at /job_number: job number")
    assert warnings[3].startswith(f"warning: {draft}/text.md:1:1: placeholder [[TO FILL:")


def test_validate_json_carries_the_placeholders(capsys, draft):
    code, out, _ = run(capsys, "validate", "--json", str(draft))
    document = json.loads(out)["documents"][0]
    assert code == 0 and document["valid"]
    assert [w.get("pointer") for w in document["warnings"]][:3] == [
        "/organs/0/agenda_items/0/item",
        "/title",
        "/job_number",
    ]


def test_build_refuses_a_draft_naming_every_placeholder(capsys, draft, tmp_path):
    code, _, err = run(capsys, "build", str(draft), "-o", str(tmp_path / "bags"))
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 6 and all("fill it in before building" in e for e in errors)
    assert "at /organs/0/agenda_items/0/item" in errors[0]
    assert not list((tmp_path / "bags").iterdir())


def test_the_draft_prints_the_agenda_placeholder_and_new_takes_the_item(capsys, draft, tmp_path):
    pdf = tmp_path / "a.pdf"
    assert run(capsys, "render", str(draft), "-o", str(pdf), "--pdfa", "2b")[0] == 0
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        assert "Agenda item [[TO FILL: agenda item number]]" in document.pages[0].extract_text()
    folder = tmp_path / "given"
    code, out, _ = run(capsys, "new", "A/80/100", "-l", "en", "--date", "2025-09-10",
                       "--agenda-item", "156 (a)", "-o", str(folder))  # fmt: skip
    meta = json.loads((folder / "document.json").read_text())
    assert code == 0 and meta["organs"][0]["agenda_items"] == [{"item": "156", "sub_item": "a"}]
    assert "agenda_items" not in out
    code, _, err = run(capsys, "new", "S/2025/3", "-l", "en", "--date", "2025-09-10",
                       "--agenda-item", "3", "-o", str(tmp_path / "sc"))  # fmt: skip
    assert code == 2 and "only a General Assembly or Human Rights Council" in err
    code, _, err = run(capsys, "new", "A/80/100", "-l", "en", "--agenda-item", "x1",
                       "-o", str(tmp_path / "bad"))  # fmt: skip
    assert code == 2 and "--agenda-item 'x1': expected an item number" in err


def test_a_placeholder_in_any_field_is_listed_and_refused(capsys, tmp_path):
    """Typed fields too (dates, symbols, distribution, session, agenda item…): the source
    validates and renders with stand-in values, validate names each pointer, build refuses."""
    import shutil
    from pathlib import Path

    folder = tmp_path / "src"
    fixtures = Path(__file__).resolve().parent / "fixtures" / "reference"
    shutil.copytree(fixtures / "acabq-en", folder)
    meta = json.loads((folder / "document.json").read_text())
    mark = "[[TO FILL: {}]]".format
    meta.update(
        symbols=[mark("symbol")],
        original_languages=[mark("original language")],
        distribution=mark("distribution"),
        date=mark("date"),
        duty_station=mark("duty station"),
        job_number=mark("job number"),
        processing_dates=[mark("processing date")],
    )
    organ = meta["organs"][0]
    organ["session"] = mark("session")
    organ["agenda_items"][0].update(item=mark("item"), sub_item=mark("sub-item"))
    meta["parts"][0]["original_language"] = mark("language")
    (folder / "document.json").write_text(json.dumps(meta, ensure_ascii=False))
    pointers = [
        "/symbols/0",
        "/original_languages/0",
        "/distribution",
        "/date",
        "/duty_station",
        "/organs/0/session",
        "/organs/0/agenda_items/0/item",
        "/organs/0/agenda_items/0/sub_item",
        "/job_number",
        "/processing_dates/0",
        "/parts/0/original_language",
    ]
    code, out, err = run(capsys, "validate", str(folder))
    assert code == 0, err
    assert f"{len(pointers)} placeholders left" in out and "[[TO FILL: symbol]]" in out
    warned = [line.split(" at ")[1].split(":")[0] for line in err.splitlines()]
    assert sorted(warned) == sorted(pointers)
    code, _, err = run(capsys, "build", str(folder), "-o", str(tmp_path / "bags"))
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == len(pointers)
    assert all(f"at {p}:" in "\n".join(errors) for p in pointers)
    assert not list((tmp_path / "bags").iterdir())
    code, _, err = run(capsys, "render", str(folder), "-o", str(tmp_path / "d.pdf"), "--pdfa", "2b")
    assert code == 0, err


def test_build_accepts_the_draft_once_filled(capsys, draft, tmp_path):
    meta = json.loads((draft / "document.json").read_text())
    meta.update(title="Pattern of conferences", job_number="25-12345")
    meta["organs"][0]["agenda_items"] = [{"item": "12"}]
    (draft / "document.json").write_text(json.dumps(meta))
    (draft / "text.md").write_text("1. The first paragraph.\n")
    code, _, err = run(capsys, "validate", str(draft))
    assert code == 0 and "warning" not in err
    code, out, _ = run(capsys, "build", str(draft), "-o", str(tmp_path / "bags"), "--pdfa", "2b")
    assert code == 0 and "built" in out


def test_the_draft_renders(capsys, draft, tmp_path):
    code, _, _ = run(capsys, "render", str(draft), "-o", str(tmp_path / "drafts" / "a.pdf"),
                       "--pdfa", "2b")  # fmt: skip
    assert code == 0 and (tmp_path / "drafts" / "a.pdf").stat().st_size > 1000


def test_new_says_how_to_write_a_date_given_in_another_form(capsys, tmp_path):
    code, _, err = run(capsys, "new", "A/80/1", "-l", "en", "--date", "17/03/2025", "-o",
                       str(tmp_path / "x"))  # fmt: skip
    assert code == 2
    assert (
        err == "error: --date '17/03/2025' is not in the form YYYY-MM-DD; write it as 2025-03-17\n"
    )
    code, _, err = run(capsys, "new", "A/80/1", "-l", "en", "--date", "2025-02-30", "-o",
                       str(tmp_path / "x"))  # fmt: skip
    assert code == 2 and "expected a real calendar date" in err
    assert not (tmp_path / "x").exists()

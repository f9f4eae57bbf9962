"""The command line: exit codes, one message per problem, tracebacks only with --debug."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline import __version__, source
from pipeline.cli import main

from .conftest import EXAMPLE


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_the_example_exits_0(capsys):
    code, out, _ = run(capsys, "validate", str(EXAMPLE))
    assert code == 0
    assert "ok:" in out and "A/75/9001–S/2021/9001" in out


def test_invalid_source_exits_2_with_one_line_per_problem_and_no_traceback(capsys, make_source):
    folder = make_source({"date": "2021-02-30", "language": "xx"})
    code, _, err = run(capsys, "validate", str(folder))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert "Traceback" not in err


def test_validate_refuses_a_character_the_fonts_lack_naming_folder_file_and_line(
    capsys, make_source
):
    folder = make_source(parts={"letter.md": "First line.\n\nA \u4e2d character.\n"})
    code, out, err = run(capsys, "validate", str(folder))
    assert code == 2 and not out
    assert err.startswith(f"error: {folder / 'letter.md'}:3:3: U+4E2D")
    assert "not in the en fonts" in err


def test_several_sources_exit_2_when_any_is_invalid(capsys, make_source, tmp_path):
    code, out, err = run(capsys, "validate", str(EXAMPLE), str(tmp_path / "missing"))
    assert code == 2 and "ok:" in out and "expected a document source folder" in err


def test_json_report_lists_every_document(capsys, make_source):
    folder = make_source({"date": "2021-02-30"})
    code, out, _ = run(capsys, "validate", "--json", str(EXAMPLE), str(folder))
    report = json.loads(out)
    assert code == 2 and report["report_version"] == 1
    valid, invalid = report["documents"]
    assert valid["valid"] and valid["symbol"] == "A/75/9001–S/2021/9001"
    assert not invalid["valid"]
    assert invalid["problems"][0]["pointer"] == "/date"


def test_schema_command_prints_the_schema(capsys):
    code, out, _ = run(capsys, "schema")
    assert code == 0 and json.loads(out) == source.document_schema()


def test_doctor_reports_every_check(capsys):
    code, out, _ = run(capsys, "doctor")
    assert "font: Noto Serif CJK SC" in out and "harfbuzz-subset" in out and "pango" in out
    assert code == (0 if " 0 failed" in out else 1)


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and __version__ in out


def test_usage_error_exits_2(capsys):
    code, _, err = run(capsys, "validate")
    assert code == 2 and "Missing argument" in err


def test_internal_error_is_one_line_without_debug_and_a_traceback_with_it(capsys, monkeypatch):
    def broken(folder):
        raise RuntimeError("boom")

    monkeypatch.setattr(source, "load", broken)
    code, _, err = run(capsys, "validate", str(EXAMPLE))
    assert code == 1 and "internal error: RuntimeError: boom" in err and "Traceback" not in err
    with pytest.raises(RuntimeError):
        main(["--debug", "validate", str(EXAMPLE)])


def test_python_dash_m_pipeline_works():
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "validate", str(EXAMPLE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_render_writes_a_pdfa_and_two_runs_are_byte_identical(capsys, tmp_path):
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert run(capsys, "render", str(EXAMPLE), "-o", str(first))[0] == 0
    assert run(capsys, "render", str(EXAMPLE), "-o", str(second), "--pdfa", "2u")[0] == 0
    data = first.read_bytes()
    assert data.startswith(b"%PDF-") and data == second.read_bytes()
    assert not list(tmp_path.glob(".*.part"))  # no temp file left beside the output


def test_render_3u_embeds_the_source_as_associated_files(capsys, tmp_path):
    import pikepdf

    out = tmp_path / "x.pdf"
    assert run(capsys, "render", str(EXAMPLE), "-o", str(out), "--pdfa", "3u")[0] == 0
    with pikepdf.open(out) as pdf:
        names = set(pdf.attachments)
        relationships = {str(spec.obj.AFRelationship) for spec in pdf.attachments.values()}
    assert names == {"document.json", "letter.md", "annex-1.md", "annex-2.md"}
    assert relationships == {"/Data", "/Source"}


def test_render_of_an_invalid_source_exits_2_and_writes_nothing(capsys, make_source, tmp_path):
    out = tmp_path / "x.pdf"
    code, _, err = run(capsys, "render", str(make_source({"language": "xx"})), "-o", str(out))
    assert code == 2 and "/language" in err and not out.exists()


def test_render_creates_the_output_folder_as_build_does(capsys, tmp_path):
    code, out, _ = run(capsys, "render", str(EXAMPLE), "-o", str(tmp_path / "new" / "x.pdf"))
    assert code == 0 and "wrote" in out
    assert (tmp_path / "new" / "x.pdf").read_bytes().startswith(b"%PDF-")


def test_render_under_a_file_is_a_usage_error(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "render", str(EXAMPLE), "-o", str(tmp_path / "file" / "x.pdf"))
    assert code == 2 and "not a folder" in err

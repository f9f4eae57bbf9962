"""`unfolio deps` and `render --make-deps`: make rebuilds exactly when an input changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.makedeps import escape, rule

REPO = Path(__file__).resolve().parents[1]
LETTER = REPO / "tests" / "fixtures" / "documents" / "en-joint-letter"


def test_file_names_are_escaped_as_make_reads_them():
    assert escape("a b/c$d#e:f%g") == "a\\ b/c$$d\\#e\\:f\\%g"
    assert rule(["x.pdf"], [Path("s/document.json")]) == (
        "x.pdf: \\\n  s/document.json\n\ns/document.json:\n"
    )


def test_a_name_with_a_line_break_is_refused(tmp_path, capsys):
    folder = tmp_path / "src\nx"
    shutil.copytree(LETTER, folder)
    assert main(["deps", str(folder), "-o", "x.pdf"]) == 2
    assert "line break" in capsys.readouterr().err


def test_deps_lists_the_source_files_the_config_its_emblem_and_overlay(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(LETTER, tmp_path / "src")
    (tmp_path / "src" / "notes.txt").write_text("not read by a build")
    (tmp_path / "my-styles" / "css").mkdir(parents=True)
    (tmp_path / "my-styles" / "css" / "geometry.css").write_text(
        (REPO / "styles" / "css" / "geometry.css").read_text()
    )
    shutil.copy(REPO / "styles" / "emblem-placeholder.svg", tmp_path / "e.svg")
    (tmp_path / "unfolio.toml").write_text('emblem = "e.svg"\nstyles = "my-styles"\n')
    assert main(["deps", "src", "-o", "out/A.pdf"]) == 0
    out = capsys.readouterr().out
    head = out.split("\n\n")[0]
    listed = [line.strip(" \\") for line in head.splitlines()[1:]]
    parts = [p["text"] for p in json.loads((LETTER / "document.json").read_text())["parts"]]
    assert listed[: 1 + len(parts)] == ["src/document.json", *(f"src/{p}" for p in parts)]
    assert listed[1 + len(parts)] == "unfolio.toml"
    assert listed[2 + len(parts)].endswith("/e.svg")
    assert listed[3 + len(parts)].endswith("my-styles/css/geometry.css")
    assert "notes.txt" not in out
    assert all(f"\n{name}:" in out for name in ("src/document.json", "unfolio.toml"))


def test_deps_of_an_invalid_source_is_an_input_error(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "document.json").write_text("{")
    assert main(["deps", str(tmp_path / "src"), "-o", "x.pdf"]) == 2
    assert "document.json:1:2" in capsys.readouterr().err


MAKEFILE = """\
UNFOLIO := {python} -m pipeline
SOURCES := $(patsubst %/document.json,%,$(wildcard src/*/document.json))
PDFS := $(SOURCES:src/%=out/%.pdf)
all: $(PDFS)
out/%.pdf:
\t@mkdir -p out
\t$(UNFOLIO) render src/$* -o $@ --pdfa 2u --make-deps out/$*.d
-include $(PDFS:.pdf=.d)
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_a_pattern_rule_makefile_rebuilds_exactly_when_an_input_changes(tmp_path):
    shutil.copytree(LETTER, tmp_path / "src" / "letter")
    (tmp_path / "Makefile").write_text(MAKEFILE.format(python=sys.executable))
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def make() -> str:
        done = subprocess.run(
            ["make", "--no-print-directory"], cwd=tmp_path, env=env, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        return done.stdout

    assert "render src/letter" in make()
    assert "render" not in make()  # nothing changed: nothing to do
    part = tmp_path / "src" / "letter" / "annex-2.md"
    newer = (tmp_path / "out" / "letter.pdf").stat().st_mtime + 0.01
    os.utime(part, (newer, newer))
    assert "render src/letter" in make()
    assert "render" not in make()
    # a part removed from the document (and deleted) does not stop make
    meta = json.loads((tmp_path / "src" / "letter" / "document.json").read_text())
    meta["parts"] = meta["parts"][:-1]
    (tmp_path / "src" / "letter" / "document.json").write_text(json.dumps(meta))
    part.unlink()
    assert "render src/letter" in make()
    assert "annex-2.md" not in (tmp_path / "out" / "letter.d").read_text()

"""A cold process pays only for what its command needs (issue 16): `--help`, `--version`,
`schema` and `validate` load no renderer; a render loads its own language's fonts; the
fonts' repertoires come from their raw cmap tables, equal to what fontTools reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import cmap, fonts

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = REPO / "tests" / "fixtures" / "documents"
HEAVY = ("weasyprint", "pikepdf", "pypdfium2", "fontTools.ttLib.tables")


def _python(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _modules_loaded_by(argv: list[str]) -> set[str]:
    out = _python(
        "import sys, json, contextlib, io\n"
        "from pipeline.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main({argv!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    return set(json.loads(out))


@pytest.mark.parametrize(
    "argv", [["--version"], ["--help"], ["schema"], ["build", "--help"], ["verify", "--help"]]
)
def test_help_version_and_schema_load_no_renderer_and_no_validator(argv):
    loaded = _modules_loaded_by(argv)
    assert not {m for m in loaded if m.startswith((*HEAVY, "jsonschema", "markdown_it"))}


def test_validate_loads_no_renderer():
    loaded = _modules_loaded_by(["validate", str(DOCUMENTS / "en-joint-letter")])
    assert "pipeline.source" in loaded  # it did validate
    assert not {m for m in loaded if m.startswith(("weasyprint", "pikepdf", "pypdfium2"))}


_FONTS_COPIED = """
import json, os
from pathlib import Path
from pipeline import source, typeset
from pipeline.typeset import engine
folder = Path({folder!r})
typeset.typeset(source.load(folder), folder)
print(json.dumps(sorted(os.listdir(engine.font_config()._folder))))
"""


def test_a_render_reads_only_the_font_files_of_its_language():
    def copied(name: str) -> list[str]:
        return json.loads(_python(_FONTS_COPIED.format(folder=str(DOCUMENTS / name))))

    english, chinese = copied("en-joint-letter"), copied("zh-report")
    assert len(english) == 4  # the four Liberation Serif faces, no 25 MB CJK collection
    assert len(chinese) == len(english) + 6  # Latin-for-CJK (2) and the Noto CJK faces (4)


_RENDER = """
import hashlib, sys
from pathlib import Path
from pipeline import source, typeset
from pipeline.typeset import engine
if {preload}:
    engine.stylesheets()  # every language's fonts, as a warm batch worker has them
for name in {names!r}:
    folder = Path({documents!r}) / name
    pdf = typeset.render_pdf(source.load(folder), folder, flavour="2u")
    print(name, hashlib.sha256(pdf).hexdigest())
"""


def test_the_pdf_is_the_same_whichever_font_sheets_the_process_loaded():
    names = ["en-joint-letter", "zh-report", "ar-letter"]

    def digests(preload: bool) -> str:
        return _python(_RENDER.format(preload=preload, names=names, documents=str(DOCUMENTS)))

    assert digests(preload=False) == digests(preload=True)


# -- the fonts' repertoires, read from the raw cmap ---------------------------------------------


def _faces() -> list[tuple[str, int]]:
    from fontTools.ttLib import TTCollection

    found = []
    for face in fonts.faces():
        path = fonts.locate(face.file)
        if path is None:
            continue
        count = len(TTCollection(str(path), lazy=True).fonts) if path.suffix == ".ttc" else 1
        found += [(face.file, index) for index in range(count)]
    return sorted(set(found))


@pytest.mark.parametrize(("file", "index"), _faces())
def test_the_raw_cmap_reader_maps_what_fonttools_maps(file, index):
    from fontTools.ttLib import TTCollection, TTFont

    path = fonts.locate(file)
    font = (
        TTCollection(str(path), lazy=True).fonts[index]
        if index or path.suffix == ".ttc"
        else TTFont(str(path))
    )
    truth = {code for code, glyph in font.getBestCmap().items() if glyph != ".notdef"}
    assert cmap.code_points(cmap.cmap_table(path, index)) == truth


def test_a_damaged_font_file_is_a_clear_error_not_a_crash(tmp_path):
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"\x00\x01\x00\x00\x00\x09")  # a table count, then nothing
    with pytest.raises(cmap.CmapError, match="truncated"):
        cmap.cmap_table(bad)
    liberation = fonts.locate("LiberationSerif-Regular.ttf")
    with pytest.raises(cmap.CmapError, match="not a collection"):
        cmap.cmap_table(liberation, 1)
    table = cmap.cmap_table(liberation)
    with pytest.raises(cmap.CmapError, match="truncated"):
        cmap.code_points(table[:40])


def test_a_subtable_format_the_reader_does_not_know_goes_to_fonttools():
    # one (3, 1) record pointing at a format 6 subtable
    table = bytes.fromhex("0000 0001 0003 0001 0000000c 0006")
    assert cmap.code_points(table) is None


# -- WeasyPrint's libraries, found from one ldconfig read ----------------------------------------

WEASYPRINT_LIBRARY_NAMES = (  # every name WeasyPrint 70's text/ffi.py tries on Linux
    "libgobject-2.0-0", "gobject-2.0-0", "gobject-2.0", "libpango-1.0-0", "pango-1.0-0",
    "pango-1.0", "libharfbuzz-0", "harfbuzz", "harfbuzz-0.0", "libharfbuzz-subset-0",
    "harfbuzz-subset", "harfbuzz-subset-0.0", "libharfbuzz-vector-0", "harfbuzz-vector",
    "harfbuzz-vector-0.0", "libfontconfig-1", "fontconfig-1", "fontconfig", "libpangoft2-1.0-0",
    "pangoft2-1.0-0", "pangoft2-1.0",
)  # fmt: skip


def test_the_fast_library_lookup_gives_what_ctypes_gives(monkeypatch):
    import ctypes.util

    from pipeline.typeset import libraries

    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    real = ctypes.util.find_library
    with libraries.fast_lookup():
        fast = ctypes.util.find_library
    assert ctypes.util.find_library is real  # restored after the block
    if fast is real:
        pytest.skip("no ldconfig listing on this machine: the real lookup is used")
    for name in WEASYPRINT_LIBRARY_NAMES:
        assert fast(name) == real(name), name
    assert fast("pango-1.0") is not None


def test_with_ld_library_path_the_real_lookup_runs(monkeypatch):
    import ctypes.util

    from pipeline.typeset import libraries

    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/somewhere")
    real = ctypes.util.find_library
    with libraries.fast_lookup():
        assert ctypes.util.find_library is real

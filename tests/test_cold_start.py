"""A cold process pays only for what its command needs (issue 16): `--help`, `--version`,
`schema` and `validate` load no renderer; a render loads its own language's fonts; the
per-user cache of font repertoires changes speed, never output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import cache
from pipeline.typeset import coverage

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
        return _python(
            _RENDER.format(preload=preload, names=names, documents=str(DOCUMENTS)),
            env={"UNFOLIO_NO_CACHE": "1"},
        )

    assert digests(preload=False) == digests(preload=True)


# -- the per-user cache -------------------------------------------------------------------------


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("UNFOLIO_CACHE_DIR", str(folder))
    monkeypatch.delenv("UNFOLIO_NO_CACHE", raising=False)
    coverage._cmap.cache_clear()
    yield folder
    coverage._cmap.cache_clear()


def test_a_cached_font_repertoire_equals_the_one_read_from_the_font(cache_folder):
    first = coverage._cmap("NotoNaskhArabic-Regular.ttf", 0)
    (entry,) = cache_folder.iterdir()
    assert entry.name.startswith("cmap-") and oct(cache_folder.stat().st_mode & 0o777) == "0o700"
    coverage._cmap.cache_clear()
    assert coverage._cmap("NotoNaskhArabic-Regular.ttf", 0) == first


def test_a_corrupt_or_empty_cache_entry_is_a_miss_not_an_answer(cache_folder):
    truth = coverage._cmap("LiberationSerif-Bold.ttf", 0)
    (entry,) = cache_folder.iterdir()
    for garbage in (b"zz-qq", b"", b"110000-110001", b"\xff"):
        entry.write_bytes(garbage)
        coverage._cmap.cache_clear()
        assert coverage._cmap("LiberationSerif-Bold.ttf", 0) == truth


def test_the_cache_can_be_turned_off_for_a_block(cache_folder):
    with cache.disabled():
        coverage._cmap("LiberationSerif-Italic.ttf", 0)
        assert cache.get(cache.key("cmap", b"x")) is None
    assert not cache_folder.exists() or not any(cache_folder.iterdir())


def test_a_cache_folder_others_can_write_is_never_used(cache_folder):
    cache_folder.mkdir(mode=0o700)
    cache_folder.chmod(0o777)
    cache.put("x", b"poisoned")
    assert not (cache_folder / "x").exists()
    (cache_folder / "x").write_bytes(b"poisoned")
    assert cache.get("x") is None


def test_cache_keys_change_with_content_and_version(monkeypatch):
    base = cache.key("cmap", b"table")
    assert cache.key("cmap", b"table") == base
    assert cache.key("cmap", b"tablf") != base
    assert cache.key("cmap", b"tab", b"le") != base  # parts are framed, not concatenated
    monkeypatch.setattr(cache, "__version__", "9.9.9")
    assert cache.key("cmap", b"table") != base


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

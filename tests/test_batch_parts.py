"""The batch's small parts without rendering: SRC expansion, the build key, progress, summary."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from pipeline import source
from pipeline.batch import sources
from pipeline.batch.progress import Progress
from pipeline.batch.summary import Summary
from pipeline.batch.worker import Result
from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.package import buildkey

from .conftest import EXAMPLE

# --- sources -----------------------------------------------------------------------------------


def _tree(tmp_path: Path) -> Path:
    for name in ("a", "b", "c"):
        (tmp_path / "docs" / name).mkdir(parents=True)
        (tmp_path / "docs" / name / "document.json").write_text("{}")
    (tmp_path / "docs" / "README.md").write_text("not a folder")
    (tmp_path / "deep" / "x" / "y").mkdir(parents=True)
    (tmp_path / "deep" / "x" / "y" / "document.json").write_text("{}")
    return tmp_path


def _names(entries) -> list[str]:
    return [e.source.name if e.problem is None else f"!{e.problem}" for e in entries]


def test_globs_pick_folders_in_order_and_files_are_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(_tree(tmp_path))
    assert _names(sources.expand(["docs/*"])) == ["a", "b", "c"]
    assert _names(sources.expand(["deep/**/document.json"])) == ["y"]
    assert _names(sources.expand(["docs/[ab]", "docs/a", "docs/*"])) == ["a", "b", "c"]
    assert _names(sources.expand(["missing", "none/*"])) == [
        "missing",
        "!no folder matches 'none/*'",
    ]


def test_list_files(tmp_path, monkeypatch):
    monkeypatch.chdir(_tree(tmp_path))
    (tmp_path / "list.txt").write_text("# the backlog\n\n  docs/c  \ndocs/[ab]\n# docs/a\n")
    assert _names(sources.expand(["@list.txt"])) == ["c", "a", "b"]
    with pytest.raises(UserError, match="list file not found"):
        sources.expand(["@missing.txt"])
    (tmp_path / "nested.txt").write_text("@list.txt\n")
    with pytest.raises(UserError, match="cannot name another list"):
        sources.expand(["@nested.txt"])


# --- the build key -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def document():
    return source.load(EXAMPLE)


def test_key_covers_format_environment_emblem_and_styles(document, tmp_path):
    base = buildkey.key_for(document, flavour="2u", config=Config())
    assert base == buildkey.key_for(document, flavour="2u", config=Config(), fmt="dir")
    assert base != buildkey.key_for(document, flavour="2u", config=Config(), fmt="zip")
    env = buildkey.environment()
    assert {"unfolio", "unfolio-code", "py:weasyprint", "py:pikepdf", "py:pydyf",
            "py:fonttools", "lib:harfbuzz", "lib:pango"} <= set(env)  # fmt: skip
    assert any(name.startswith("font:") and value.startswith("sha256:")
               for name, value in env.items())  # fmt: skip
    kwargs = dict(flavour="2u", config_values=Config().key_values(), styles=tmp_path)
    one = buildkey.build_key(document, env=env, **kwargs)
    assert one != buildkey.build_key(document, env={**env, "py:weasyprint": "71.0"}, **kwargs)
    font = next(name for name in env if name.startswith("font:"))
    assert one != buildkey.build_key(document, env={**env, font: "sha256:00"}, **kwargs)
    emblem = tmp_path / "emblem.svg"
    emblem.write_text("<svg/>")
    with_emblem = buildkey.key_for(document, flavour="2u", config=Config(emblem=emblem))
    emblem.write_text("<svg></svg>")  # same path, other bytes
    assert with_emblem != buildkey.key_for(document, flavour="2u", config=Config(emblem=emblem))
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "extra.css").write_text("p {}")
    styled = buildkey.key_for(document, flavour="2u", config=Config(styles=styles))
    assert styled != base
    (styles / "extra.css").write_text("p { color: black }")
    assert styled != buildkey.key_for(document, flavour="2u", config=Config(styles=styles))


def test_key_covers_the_shipped_schemas(document, tmp_path, monkeypatch):
    """``schemas/xmp-un.json`` shapes every PDF's XMP: editing it must rebuild every bag."""
    import shutil

    base = buildkey.key_for(document, flavour="2u", config=Config())
    schemas = tmp_path / "schemas"
    shutil.copytree(buildkey.schemas_dir(), schemas)
    monkeypatch.setattr(buildkey, "schemas_dir", lambda: schemas)
    assert buildkey.key_for(document, flavour="2u", config=Config()) == base
    xmp = schemas / "xmp-un.json"
    xmp.write_text(xmp.read_text(encoding="utf-8").replace("symbol", "Symbol", 1), "utf-8")
    assert buildkey.key_for(document, flavour="2u", config=Config()) != base


def test_key_follows_source_date_epoch_only_when_it_is_set(document, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    unset = buildkey.key_for(document, flavour="2u", config=Config())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    assert buildkey.key_for(document, flavour="2u", config=Config()) == unset
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1614902400")
    fixed = buildkey.key_for(document, flavour="2u", config=Config())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1614902401")
    assert len({unset, fixed, buildkey.key_for(document, flavour="2u", config=Config())}) == 3


def test_key_holds_the_emblem_bytes_not_its_path(document, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "emblem.svg").write_text("<svg/>")
    keys = {
        buildkey.key_for(document, flavour="2u", config=Config(emblem=tmp_path / n / "emblem.svg"))
        for n in ("a", "b")
    }
    assert len(keys) == 1
    assert keys != {buildkey.key_for(document, flavour="2u", config=Config())}


def test_font_digests_are_cached_by_file_identity(tmp_path):
    font = tmp_path / "face.ttf"
    font.write_bytes(b"one")
    first = buildkey.file_digest(font)
    assert buildkey.file_digest(font) == first
    font.write_bytes(b"three")  # another size (or inode or times): hashed again
    assert buildkey.file_digest(font) != first


def _bag_info(key: str) -> bytes:
    return f"Source-Organization: United Nations\nUN-Build-Key: {key}\n".encode()


def test_existing_key_of_folders_and_archives(tmp_path):
    name = "A_1_1-EN"
    assert buildkey.existing_key(tmp_path, name, "dir") is None
    bag = tmp_path / name
    bag.mkdir()
    (bag / "bag-info.txt").write_bytes(_bag_info("sha256:aa"))
    assert buildkey.existing_key(tmp_path, name, "dir") is None  # no bagit.txt: not a bag
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    assert buildkey.existing_key(tmp_path, name, "dir") == "sha256:aa"

    archive = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(f"{name}/bag-info.txt", _bag_info("sha256:bb"))
        bundle.writestr(f"{name}/bagit.txt", b"BagIt-Version: 1.0\n")
    assert buildkey.existing_key(tmp_path, name, "zip") is None  # no sidecar yet
    (tmp_path / f"{name}.zip.sha256").write_text(f"00  {name}.zip\n")
    assert buildkey.existing_key(tmp_path, name, "zip") == "sha256:bb"
    assert buildkey.destination(tmp_path, name, "zip") == archive

    tgz = tmp_path / f"{name}.tar.gz"
    with tarfile.open(tgz, "w:gz") as bundle:
        for member, data in ((f"{name}/bag-info.txt", _bag_info("sha256:cc")),):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    (tmp_path / f"{name}.tar.gz.sha256").write_text(f"00  {name}.tar.gz\n")
    assert buildkey.existing_key(tmp_path, name, "tgz") == "sha256:cc"
    tgz.write_bytes(b"not gzip")
    assert buildkey.existing_key(tmp_path, name, "tgz") is None  # damaged: rebuild


# --- progress and summary ----------------------------------------------------------------------


def test_progress_on_a_terminal_redraws_one_line():
    stream = io.StringIO()
    progress = Progress(3, stream=stream, tty=True)
    for status in ("built", "skipped", "failed"):
        progress.advance(status)
    progress.clear()
    text = stream.getvalue()
    assert text.startswith("\r\x1b[K[") and "\n" not in text
    assert "[3/3] built 1, skipped 1, failed 1" in text and text.endswith("\r\x1b[K")


def test_progress_elsewhere_prints_plain_lines_now_and_then():
    stream = io.StringIO()
    progress = Progress(5, stream=stream, tty=False, interval=0.0)
    progress.advance("built")
    assert stream.getvalue().startswith("progress: [1/5] built 1")
    quiet = io.StringIO()
    progress = Progress(5, stream=quiet, tty=False, interval=3600)
    progress.advance("built")
    assert quiet.getvalue() == ""


def test_summary_exit_codes_and_lines():
    def summary(*statuses: str) -> Summary:
        results = [Result(f"src{n}", s, reason="why" if s in ("invalid", "failed") else None)
                   for n, s in enumerate(statuses)]  # fmt: skip
        return Summary({}, results=results, elapsed=2.0)

    assert summary("built", "skipped").exit_code == 0
    assert summary("built", "invalid", "invalid").exit_code == 2
    assert summary("invalid", "failed").exit_code == 1
    lines = summary("built", "invalid", "failed").closing_lines()
    assert lines[0] == (
        "unfolio build: built 1, skipped 0, failed 2 (1 invalid, 1 failed) in 2.0 s, "
        "1.50 documents/s"
    )
    assert lines[1:] == ["  not built (invalid): src1: why", "  not built (failed): src2: why"]

"""The README's make recipe for a folder of sources, run as written: the second `make` is a
no-op for make (`make -q` exits 0), also after a source is touched but not changed, and a
source folder copied in with old file times is still built."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
SECOND = REPO / "tests" / "fixtures" / "reference" / "acabq-en"
OLD = 946684800  # 2000-01-01: older than any stamp

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _recipe(text: str) -> str:
    """The ```make block of a guide that builds the folder of sources into bags."""
    blocks = re.findall(r"```make\n(.*?)```", text, re.DOTALL)
    return next(b for b in blocks if re.search(r"unfolio build 'src/\*\*?/?'", b))


def _said(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MAKEFLAGS", None)
    env.pop("UNFOLIO_WARM", None)
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _copy_old(source: Path, target: Path) -> None:
    shutil.copytree(source, target)
    for path in [target, *target.iterdir()]:
        os.utime(path, (OLD, OLD))


@pytest.mark.parametrize("guide", ["README.md", "docs/make.md", "docs/recipes.md"])
def test_the_bags_recipe_does_nothing_the_second_time(tmp_path, guide):
    (tmp_path / "Makefile").write_text(_recipe((REPO / guide).read_text(encoding="utf-8")))
    (tmp_path / "src").mkdir()
    _copy_old(EXAMPLE, tmp_path / "src" / "zh")
    first = _make(tmp_path, "bags")
    assert first.returncode == 0, first.stderr
    assert "built bags/A_75_9001--S_2021_9001-ZH" in first.stdout  # a folder, or a .zip
    assert _make(tmp_path, "-q", "bags").returncode == 0  # nothing to do for make
    again = _make(tmp_path, "bags")
    assert again.returncode == 0 and "unfolio" not in again.stdout  # no command run

    os.utime(tmp_path / "src" / "zh" / "document.json")  # touched, not changed
    assert _make(tmp_path, "-q", "bags").returncode == 1
    touched = _make(tmp_path, "bags")
    assert "built 0, skipped 1" in _said(touched)
    assert _make(tmp_path, "-q", "bags").returncode == 0  # and then nothing again

    _copy_old(SECOND, tmp_path / "src" / "en")  # its files older than the stamp
    assert _make(tmp_path, "-q", "bags").returncode == 1
    added = _make(tmp_path, "bags")
    assert added.returncode == 0 and "built 1, skipped 1" in _said(added)
    assert _make(tmp_path, "-q", "bags").returncode == 0
    names = {re.sub(r"\.zip(\.sha256)?$", "", p.name) for p in (tmp_path / "bags").iterdir()}
    assert sorted(names) == ["A_75_9001--S_2021_9001-ZH", "A_80_604_Add.1-EN"]


def test_a_failed_build_leaves_the_stamp_so_make_tries_again(tmp_path):
    (tmp_path / "Makefile").write_text(_recipe((REPO / "README.md").read_text(encoding="utf-8")))
    (tmp_path / "src").mkdir()
    _copy_old(EXAMPLE, tmp_path / "src" / "zh")
    (tmp_path / "src" / "zh" / "document.json").write_text("{", encoding="utf-8")
    failed = _make(tmp_path, "bags")
    assert failed.returncode != 0 and not (tmp_path / "bags.stamp").exists()
    assert _make(tmp_path, "-q", "bags").returncode == 1

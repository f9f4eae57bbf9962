"""The wheel carries the data folders an installed unfolio needs."""

import subprocess
import sys
import zipfile

import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("unfolio-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_schemas_and_styles_inside_the_package(wheel):
    names = set(wheel.namelist())
    assert "pipeline/schemas/document.schema.json" in names
    assert "pipeline/styles/fonts.json" in names
    assert {
        f"pipeline/styles/locale/{lang}.json" for lang in ("ar", "zh", "en", "fr", "ru", "es")
    } <= names


def test_wheel_declares_the_console_script(wheel):
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "unfolio = pipeline.cli:main" in wheel.read(entry_points).decode()

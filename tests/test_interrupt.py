"""Ctrl-C during a batch build: a summary of what was done, exit 130, nothing half-written."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "documents"
NAMES = ("ru-note", "es-draft-resolution", "en-joint-letter", "fr-geneva-report", "zh-report")


def test_ctrl_c_sums_up_built_and_not_started_and_leaves_only_whole_bags(tmp_path):
    for name in NAMES:
        shutil.copytree(FIXTURES / name, tmp_path / "src" / name)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1614902400"}
    command = [sys.executable, "-m", "pipeline", "build", "src/*", "-o", "bags", "--jobs", "1",
               "--pdfa", "2b", "--report", "build.csv"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    first = process.stdout.readline()  # "built bags/…" once the first document is done
    assert first.startswith("built "), first
    time.sleep(0.3)  # the worker is now inside the second document
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    summary = [line for line in err.splitlines() if line.startswith("unfolio build:")]
    assert len(summary) == 1 and summary[0].startswith("unfolio build: interrupted: built ")
    assert "not started" in summary[0]
    assert "  not started: src/" in err and "Traceback" not in err

    rows = list(csv.DictReader((tmp_path / "build.csv").open(encoding="utf-8")))
    assert [r["source"] for r in rows] == [f"src/{n}" for n in sorted(NAMES)]
    done = [r for r in rows if r["status"] == "built"]
    assert done and any(r["status"] == "not started" for r in rows)
    for bag in (tmp_path / "bags").iterdir():  # only whole bags under their names
        if bag.name.startswith("."):
            continue
        assert (bag / "bagit.txt").is_file() and (bag / "tagmanifest-sha512.txt").is_file()
    assert len([b for b in (tmp_path / "bags").iterdir() if not b.name.startswith(".")]) == len(
        done
    )

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"skipped {len(done)}" in again.stderr


def test_ctrl_c_outside_a_build_exits_130(tmp_path):
    script = (
        "import signal, sys\n"
        "from pipeline import cli\n"
        "def hang(*_):\n"
        "    signal.raise_signal(signal.SIGINT)\n"
        "cli.schema.callback = hang\n"
        "sys.exit(cli.main(['schema']))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=Path(REPO))  # fmt: skip
    assert run.returncode == 130 and "interrupted" in run.stderr

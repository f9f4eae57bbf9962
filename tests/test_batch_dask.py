"""``build --executor dask``: the same bags from a Dask cluster as from a local run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

from .conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "documents"
EPOCH = "1614902400"


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_local_dask_cluster_builds_byte_identical_bags(tmp_path, monkeypatch, capsys):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.chdir(tmp_path)
    sources = []
    for name in ("ru-note", "es-draft-resolution"):
        shutil.copytree(FIXTURES / name, tmp_path / "src" / name)
        sources.append(str(tmp_path / "src" / name))
    bad = tmp_path / "src" / "bad"
    bad.mkdir()
    (bad / "document.json").write_text("{")

    assert main(["build", *sources, "-o", "local", "--jobs", "1"]) == 0
    capsys.readouterr()
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        args = ["build", *sources, str(bad), "-o", "dask", "--executor", "dask"]
        code = main([*args, "--scheduler", cluster.scheduler_address, "--json"])
        report = json.loads(capsys.readouterr().out)
        assert code == 2  # the bad one is invalid input, found on the client
        assert [d["status"] for d in report["documents"]] == ["built", "built", "invalid"]
        local, remote = _files(tmp_path / "local"), _files(tmp_path / "dask")
        assert local and local == remote
        # The key is the client's: a second run skips without sending anything.
        code = main(["build", *sources, "-o", "dask", "--executor", "dask", "--scheduler",
                     cluster.scheduler_address, "--json"])  # fmt: skip
        report = json.loads(capsys.readouterr().out)
        assert code == 0 and report["summary"]["skipped"] == 2


def test_dask_needs_a_scheduler(tmp_path, monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FIXTURES / "ru-note", tmp_path / "ru-note")
    code = main(["build", "ru-note", "-o", "bags", "--executor", "dask"])
    assert code == 2 and "--scheduler" in capsys.readouterr().err

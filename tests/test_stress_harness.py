"""The ``make stress`` harness itself: a wrong expectation or a broken invariant is a FAIL row.

A few quick cases go through ``stress.harness.run_case`` exactly as ``make stress`` runs them
(real ``unfolio`` subprocesses, a loopback listener, a canary folder), so a harness that could
no longer see a failure would fail here rather than print an all-PASS table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stress.harness import Case, Row, Settings, Shared, Workspace, run_case
from stress.run import table


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path, repeat=1, quick=True, seed="test")


def run(settings: Settings, body, group: str = "input") -> Row:
    return run_case(Case("case", group, "what the test says", body), settings, 1, Shared(settings))


def test_a_met_expectation_passes(settings: Settings) -> None:
    def body(ws: Workspace) -> None:
        proc = ws.run("validate", ws.source({"title": "Line\nbreak"}))
        ws.expect_exit(proc, 2)
        ws.expect_text(proc, "document.json", "/title")

    row = run(settings, body)
    assert row.status == "PASS", row.failures
    assert row.happened.startswith("exit 2: ")
    assert "/title" in row.happened
    assert row.command.startswith("unfolio validate doc")


def test_a_wrong_expectation_is_a_fail_row(settings: Settings) -> None:
    def body(ws: Workspace) -> None:
        proc = ws.run("validate", ws.source())  # a valid document: exit 0
        ws.expect_exit(proc, 2)
        ws.expect_text(proc, "no such words")

    row = run(settings, body)
    assert row.status == "FAIL"
    assert "expected exit 2, got exit 0" in row.failures
    assert any("no such words" in f for f in row.failures)
    rendered = table([row])
    assert "| **FAIL** |" in rendered
    assert "✗ expected exit 2, got exit 0" in rendered


def test_invariants_catch_traceback_exit_code_connection_and_escape(settings: Settings) -> None:
    def body(ws: Workspace) -> None:
        script = (
            "import socket, sys\n"
            f"socket.create_connection(('127.0.0.1', {ws.port})).close()\n"
            f"open({str(ws.canary / 'escaped.txt')!r}, 'w').write('x')\n"
            "sys.stderr.write('Traceback (most recent call last):\\n  boom\\n')\n"
            "sys.exit(3)\n"
        )
        ws.finish(ws.start_argv([sys.executable, "-c", script]))

    row = run(settings, body)
    assert row.status == "FAIL"
    failures = " | ".join(row.failures)
    assert "traceback from" in failures
    assert "exited 3" in failures
    assert "connection(s) to the loopback listener" in failures
    assert "written outside the case folder" in failures


def test_a_partial_bag_in_an_output_folder_is_a_fail(settings: Settings) -> None:
    def body(ws: Workspace) -> None:
        partial = ws.out / "A_75_9001--S_2021_9001-EN"
        (partial / "data").mkdir(parents=True)
        (partial / "bagit.txt").write_text("BagIt-Version: 1.0\n")
        (ws.out / ".A_75_9001--S_2021_9001-EN.staging-1-abcd").mkdir()
        ws.outputs[ws.out] = True  # as if the last build there had succeeded

    row = run(settings, body, group="faults")
    assert row.status == "FAIL"
    failures = " | ".join(row.failures)
    assert "partial or broken bag at out/A_75_9001--S_2021_9001-EN" in failures
    assert "left after a successful run: .A_75_9001--S_2021_9001-EN.staging-1-abcd" in failures

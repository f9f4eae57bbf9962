"""The local worker pool on its own: recycling, dead workers, time limits, start-up failures.

The pool runs module-level functions in spawned processes, so the stand-in work functions
live here at module level; they take a tuple ``(what, argument)`` and return a small object.
No rendering: these tests are about processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.batch.pool import LocalPool, Lost, describe_exit


@dataclass
class Done:
    value: object
    pid: int
    retire: bool = False


def work(task: tuple[str, object]) -> Done:
    what, argument = task
    if what == "litter":  # a temp file, then death before anyone could remove it
        (Path(tempfile.mkdtemp(prefix="weasyprint-")) / "font").write_bytes(b"x" * 1000)
        os.kill(os.getpid(), signal.SIGKILL)
    if what == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if what == "exit":
        os._exit(3)
    if what == "stuck":  # a call that signals cannot interrupt: only a kill ends it
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM})
        time.sleep(float(argument))  # type: ignore[arg-type]
    if what == "sleep":
        time.sleep(float(argument))  # type: ignore[arg-type]
    if what == "grow":
        global _ballast
        _ballast = bytearray(int(argument) << 20)  # type: ignore[call-overload]
        _ballast[:: 1 << 12] = b"x" * len(_ballast[:: 1 << 12])
    return Done(argument, os.getpid(), retire=what == "retire")


_ballast = b""


def broken_start() -> None:
    raise RuntimeError("no fonts here")


def crashing_start() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _run(pool: LocalPool, tasks) -> tuple[dict[int, Done], dict[int, Lost]]:
    done, lost = {}, {}
    with pool:
        for outcome in pool.run(tasks):
            if isinstance(outcome, Lost):
                lost[outcome.index] = outcome
            else:
                done[outcome[0]] = outcome[1]
    return done, lost


def test_results_come_back_for_every_task_and_nothing_starts_without_tasks():
    pool = LocalPool(work, jobs=2)
    done, lost = _run(pool, [("ok", n) for n in range(6)])
    assert not lost and sorted(d.value for d in done.values()) == list(range(6))
    assert pool.started == 2 and not pool.workers
    idle = LocalPool(work, jobs=2)
    assert _run(idle, []) == ({}, {}) and idle.started == 0


def test_a_worker_is_replaced_after_max_tasks_documents():
    pool = LocalPool(work, jobs=1, max_tasks=2)
    done, _ = _run(pool, [("ok", n) for n in range(5)])
    pids = [done[n].pid for n in range(5)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert pool.started == 3


def test_a_worker_above_the_memory_ceiling_is_replaced():
    pool = LocalPool(work, jobs=1, max_rss_mb=10_000)
    done, _ = _run(pool, [("ok", 0), ("grow", 64), ("ok", 1)])
    assert len({d.pid for d in done.values()}) == 1  # far below the ceiling
    pool = LocalPool(work, jobs=1, max_rss_mb=60)
    done, _ = _run(pool, [("ok", 0), ("grow", 128), ("ok", 1)])
    assert done[0].pid == done[1].pid != done[2].pid  # replaced after the big one
    assert pool.started == 2


def test_a_task_can_ask_for_its_worker_to_be_replaced():
    pool = LocalPool(work, jobs=1)
    done, _ = _run(pool, [("retire", 0), ("ok", 1)])
    assert done[0].pid != done[1].pid


def test_a_killed_worker_is_reported_and_the_batch_goes_on():
    pool = LocalPool(work, jobs=2)
    tasks = [("ok", 0), ("die", 1), ("ok", 2), ("exit", 3), ("ok", 4), ("ok", 5)]
    done, lost = _run(pool, tasks)
    assert sorted(done) == [0, 2, 4, 5]
    assert "killed by SIGKILL" in lost[1].reason and lost[1].task == ("die", 1)
    assert "exited with code 3" in lost[3].reason
    assert pool.started >= 3


def test_a_document_past_the_time_limit_has_its_worker_killed():
    pool = LocalPool(work, jobs=2, timeout=1.0, kill_grace=0.5)
    started = time.monotonic()
    done, lost = _run(pool, [("stuck", 60), ("ok", 1), ("ok", 2), ("sleep", 0.1)])
    assert time.monotonic() - started < 20
    assert sorted(done) == [1, 2, 3]
    assert "timed out after 1 s" in lost[0].reason


def test_a_worker_that_cannot_start_fails_every_task_with_the_reason():
    pool = LocalPool(work, jobs=2, initializer=broken_start)
    done, lost = _run(pool, [("ok", n) for n in range(4)])
    assert not done and sorted(lost) == [0, 1, 2, 3]
    assert all("no fonts here" in item.reason for item in lost.values())
    pool = LocalPool(work, jobs=1, initializer=crashing_start)
    done, lost = _run(pool, [("ok", n) for n in range(2)])
    assert not done and all("start-up failed" in item.reason for item in lost.values())
    assert pool.started == 3  # three tries, then it gives up


def test_exit_descriptions():
    assert describe_exit(-9) == "worker process died: killed by SIGKILL (out of memory?)"
    assert describe_exit(-11) == "worker process died: killed by SIGSEGV"
    assert describe_exit(1) == "worker process died: exited with code 1"
    with pytest.raises(ValueError):
        LocalPool(work, jobs=0)


def test_what_a_killed_worker_left_in_the_temp_folder_is_removed_with_the_pool():
    pool = LocalPool(work, jobs=1)
    scratch = Path(pool.scratch)
    done, lost = _run(pool, [("litter", 0), ("ok", 1)])
    assert set(lost) == {0} and done[1].value == 1
    assert not scratch.exists()


def test_builds_leave_nothing_in_the_temp_folder(tmp_path):
    """WeasyPrint copies the @font-face files (about 12 MB) into a weasyprint-* folder that
    its FontConfiguration removes only when collected, which a kept one never is."""
    from .conftest import REPO

    fixtures = REPO / "tests" / "fixtures" / "documents"
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    one = [sys.executable, "-m", "pipeline", "render", str(fixtures / "ru-note"), "-o",
           str(tmp_path / "ru.pdf")]  # fmt: skip
    two = [sys.executable, "-m", "pipeline", "build", str(fixtures / "ru-note"),
           str(fixtures / "es-draft-resolution"), "-o", str(tmp_path / "bags"), "--jobs", "2",
           "--max-tasks-per-worker", "1"]  # fmt: skip
    for command in (one, two):
        subprocess.run(command, check=True, env=env, capture_output=True, cwd=tmp_path)
        assert list(temp.iterdir()) == [], command[3]

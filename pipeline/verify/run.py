"""Verify many targets with the executors build uses, and hand back each report as it is done.

``unfolio verify`` of a whole archive is the same function, :func:`verify_one`, run over a
stream of targets: in this process (``inline``, and a single target), in local worker
processes (``local``, :class:`pipeline.batch.pool.LocalPool`: a worker that crashes or runs
past ``timeout`` costs that bag, which fails with ``BAG-UNCHECKED``, never the run), or on a
Dask cluster (``dask``, :mod:`pipeline.batch.dask`; the targets must be at the same paths
there). Targets are pulled lazily and reports yielded in the order they finish, so the caller
can print and drop each one: memory stays bounded however many bags there are.

What travels to a worker is a :class:`Task`: a path and the verify options — public data
only. verify holds no signing key (trust anchors are certificates), so none can reach a worker.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.verify.target import UNCHECKED, Options, TargetReport, kind_of, verify_target

EXECUTORS = ("local", "inline", "dask")


@dataclass(frozen=True)
class Task:
    """One target to verify: picklable, with the path both as given and absolute."""

    shown: str
    path: str
    options: Options


def verify_one(task: Task) -> TargetReport:
    """What every executor runs; never raises for what the bag holds."""
    started = time.perf_counter()
    report = verify_target(Path(task.path), task.options)
    report.path = task.shown
    report.seconds = time.perf_counter() - started
    return report


def unfinished(task: Task, reason: str) -> TargetReport:
    """The report of a target whose verification did not finish (crash, timeout, lost node)."""
    report = TargetReport(task.shown, kind_of(Path(task.path)))
    report.findings.append(UNCHECKED("", f"the verification did not finish: {reason}"))
    return report


def tasks_of(targets: Iterable[Path], options: Options) -> Iterator[Task]:
    for target in targets:
        yield Task(str(target), str(Path(target).absolute()), options)


def run(
    targets: Iterable[Path],
    options: Options,
    *,
    executor: str = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    timeout: float | None = None,
    max_tasks: int | None = 500,
) -> Iterator[TargetReport]:
    """Verify every target; yield each report as it finishes (in target order for inline)."""
    tasks = tasks_of(targets, options)
    if executor == "dask":
        from pipeline.batch import dask as dask_executor

        outcomes = dask_executor.run(
            tasks,
            scheduler=scheduler or "",
            timeout=timeout,
            fn=verify_one,
            lost=unfinished,
            warm_up=False,
        )
        for _, report in outcomes:
            yield report
        return
    if executor == "inline" or (jobs == 1 and timeout is None):
        for task in tasks:
            yield verify_one(task)
        return
    yield from _pooled(tasks, jobs=jobs, timeout=timeout, max_tasks=max_tasks)


def _pooled(
    tasks: Iterator[Task], *, jobs: int, timeout: float | None, max_tasks: int | None
) -> Iterator[TargetReport]:
    from pipeline.batch.pool import LocalPool, Lost

    first = next(tasks, None)
    if first is None:
        return
    second = next(tasks, None)
    if second is None and timeout is None:  # one target: no batch to protect, no worker to pay
        yield verify_one(first)
        return

    def again() -> Iterator[Task]:
        yield first
        if second is not None:
            yield second
        yield from tasks

    with LocalPool(verify_one, jobs=jobs, max_tasks=max_tasks, timeout=timeout) as pool:
        for outcome in pool.run(again()):
            if isinstance(outcome, Lost):
                yield unfinished(outcome.task, outcome.reason)
            else:
                yield outcome[1]

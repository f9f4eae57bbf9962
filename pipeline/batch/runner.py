"""A batch build from start to end: expand, check what is up to date, build the rest, report.

1. The SRC arguments are expanded (:mod:`.sources`).
2. In this process, for each source in order: validate it, compute its build key and compare
   it with the bag on disk (:func:`.worker.plan`). Nothing here imports WeasyPrint, so a
   rebuild with nothing to do costs milliseconds per document and starts no worker.
3. The documents left are built by the chosen executor — by local worker processes
   (:mod:`.pool`; even with ``jobs == 1``, so that a crash loses one document, not the
   batch), in this process (``executor == "inline"``, or a single document), or on a Dask
   cluster (:mod:`.dask`) — while step 2
   goes on feeding it. Results come back in completion order and are reported at once.
4. The summary keeps the command line's order (:mod:`.summary`).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.batch import sources
from pipeline.batch.progress import Progress
from pipeline.batch.summary import Summary
from pipeline.batch.worker import Result, Task, build_one, finish, plan, warm
from pipeline.config import Config, Signing
from pipeline.errors import UserError, printable


def default_jobs() -> int:
    """The number of cores this process may run on: its CPU affinity, capped by a cgroup v2
    CPU quota (a container limited to 2 CPUs on a 64-core host should start 2 workers)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return max(1, min(cores, quota) if quota else cores)


def _cgroup_cpu_quota(path: Path = Path("/sys/fs/cgroup/cpu.max")) -> int | None:
    """CPUs allowed by ``cpu.max`` (``QUOTA PERIOD``, rounded up), or None when unlimited."""
    try:
        quota, period = path.read_text(encoding="ascii").split()[:2]
        return -(-int(quota) // int(period)) if quota != "max" else None
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Options:
    output: Path
    flavour: str = "2u"
    fmt: str = "dir"
    config: Config = field(default_factory=Config)
    jobs: int = 1
    force: bool = False
    timeout: float | None = 300.0
    max_tasks: int | None = 200
    max_rss_mb: float | None = 1024.0
    executor: str = "local"
    scheduler: str | None = None
    #: a signed build's pipeline.sign.Signer; it stays in this process (see worker.finish)
    signer: object | None = None
    replace: bool = True  # False: --no-replace, a bag built from different content stays

    def as_dict(self) -> dict[str, object]:
        return {
            "output": str(self.output),
            "pdfa": self.flavour,
            "format": self.fmt,
            "executor": self.executor,
            "jobs": self.jobs,
            "force": self.force,
            "timeout": self.timeout,
            "max_tasks_per_worker": self.max_tasks,
            "max_worker_memory_mb": self.max_rss_mb,
            "signed": self.signer is not None,
            "replace": self.replace,
        }


class Reporter:
    """Prints each outcome as it arrives: built lines on stdout, problems on stderr."""

    def __init__(self, progress: Progress, *, quiet_stdout: bool):
        self.progress = progress
        self.quiet_stdout = quiet_stdout

    def __call__(self, result: Result) -> None:
        lines: list[tuple[str, bool]] = []
        if result.status == "built" and result.replaced and not self.quiet_stdout:
            old, new = result.replaced["old_digest"], result.replaced["new_digest"]
            lines.append((f"replaced {result.bag} (was {old}, now {new})", False))
        elif result.status == "built" and result.version and not self.quiet_stdout:
            lines.append((f"built {result.bag} ({result.version})", False))
        elif result.status == "built" and not self.quiet_stdout:
            lines.append((f"built {result.bag}", False))
        elif result.status == "invalid":
            lines += [(f"error: {_about(result.source, m)}", True) for m in result.messages]
        elif result.status == "failed":
            lines += [(f"failed: {_about(result.source, m)}", True) for m in result.messages]
        with self.progress.lock:
            if lines:
                self.progress.clear()
                for text, to_stderr in lines:
                    stream = sys.stderr if to_stderr else sys.stdout
                    print(printable(text), file=stream, flush=True)  # paths are input
            self.progress.advance(result.status)


def _about(source: str, message: str) -> str:
    """``SOURCE: message``, without naming the source twice when the message starts with it."""
    return message if message.startswith(source) else f"{source}: {message}"


def _recover_leftovers(output: Path) -> None:
    """Put back a bag a killed run left aside (so it can be skipped), tidy staging folders."""
    from pipeline.package import write

    names = set()
    for entry in os.scandir(output):
        if entry.name.startswith("."):
            match = write._LEFTOVER.fullmatch(entry.name)
            if match:
                names.add(match["name"])
    for name in sorted(names):
        try:
            with write.destination_lock(output / name, timeout=0):  # another run writing it?
                write.recover(output / name)
        except OSError:
            pass  # best effort: the writer recovers under the lock before it writes


def run(
    arguments: list[str],
    options: Options,
    *,
    json_output: bool = False,
    report: Callable[[Result], None] | None = None,
) -> Summary:
    """Build every document the arguments name; the summary of what happened.

    Ctrl-C stops the batch: workers busy with a document are stopped (their bags are left as
    they were), nothing more is started, and the summary says what was built, skipped,
    failed and not started (``summary.interrupted``; the command exits 130).
    """
    started = time.monotonic()
    entries = sources.expand(arguments)
    output = options.output
    if not output.is_dir():
        if os.path.lexists(output):  # a file, or a link to nowhere
            raise UserError(f"{output}: not a folder")
        try:
            output.mkdir(parents=True)
        except OSError as exc:
            raise UserError(f"{output}: cannot create the output folder: {exc.strerror}") from None
    output_abs = output.resolve()
    if options.executor != "dask":
        _recover_leftovers(output_abs)

    summary = Summary(options.as_dict(), results=[None] * len(entries))
    progress = Progress(len(entries), enabled=len(entries) > 1)
    reporter = report or Reporter(progress, quiet_stdout=json_output)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")

    signing = options.signer.key_values() if options.signer is not None else ()  # type: ignore[attr-defined]
    task_config = dataclasses.replace(options.config, signing=Signing())  # paths stay here too
    tasks_by_index: dict[int, Task] = {}

    def record(index: int, result: Result) -> None:
        task = tasks_by_index.pop(index, None)
        if task is not None and options.signer is not None:
            result = finish(result, task, options.signer)
        _as_named(result, entries[index].source)
        if result.bag is not None and result.name is not None:
            result.bag = str(_display_bag(output, output_abs, Path(result.bag)))
        summary.results[index] = result
        reporter(result)

    order: list[int] = []  # task number → entry index

    def tasks() -> Iterator[Task]:
        built_by: dict[str, str] = {}
        for index, entry in enumerate(entries):
            if entry.problem is not None:
                problem = {"file": str(entry.source), "message": entry.problem}
                record(index, Result(str(entry.source), "invalid", reason=entry.problem,
                                     problems=[problem]))  # fmt: skip
                continue
            task = Task(
                source=entry.source.resolve(),
                output=output_abs,
                flavour=options.flavour,
                fmt=options.fmt,
                config=task_config,
                timeout=options.timeout,
                environ=(("SOURCE_DATE_EPOCH", epoch),),
                signing=signing,
                replace=options.replace,
            )
            verdict = plan(task, force=options.force)
            if verdict.name is not None:
                first = built_by.setdefault(verdict.name, str(entry.source))
                if first != str(entry.source):
                    message = f"its bag {verdict.name} is also built from {first}"
                    record(index, Result(str(entry.source), "invalid", name=verdict.name,
                                         reason=message, problems=[{"file": str(entry.source),
                                                                    "message": message}]))  # fmt: skip
                    continue
            if verdict.result is not None:
                record(index, verdict.result)
                continue
            order.append(index)
            tasks_by_index[index] = task
            yield task

    summary.sources = [str(e.source) for e in entries]
    progress.start()
    try:
        if options.executor == "dask":
            from pipeline.batch import dask as dask_executor

            outcomes = dask_executor.run(
                tasks(), scheduler=options.scheduler or "", timeout=options.timeout
            )
            for number, result in outcomes:
                record(order[number], result)
        elif options.executor == "inline" or len(entries) == 1:
            # in this process: asked for (debugging), or one document, which has no batch to
            # protect from a crash and should not pay a worker's start-up
            for number, task in enumerate(tasks()):
                record(order[number], build_one(task))
            summary.workers_started = 0
        else:
            _run_pool(tasks(), options, order, record, summary)
    except KeyboardInterrupt:  # Ctrl-C: stop, and sum up what was done
        summary.interrupted = True
    finally:
        progress.stop()
    summary.elapsed = time.monotonic() - started
    return summary


def _run_pool(tasks, options: Options, order, record, summary: Summary) -> None:
    from pipeline.batch.pool import LocalPool, Lost
    from pipeline.batch.worker import failed

    pool = LocalPool(
        build_one,
        jobs=options.jobs,
        initializer=warm,
        max_tasks=options.max_tasks,
        max_rss_mb=options.max_rss_mb,
        timeout=options.timeout,
    )
    with pool:
        for outcome in pool.run(tasks):
            if isinstance(outcome, Lost):
                record(order[outcome.index], failed(outcome.task.source, outcome.reason))
            else:
                number, result = outcome
                record(order[number], result)
    summary.workers_started = pool.started


def _as_named(result: Result, named: Path) -> None:
    """Name the source, and the files of its problems, as the user named them (workers see
    resolved paths): ``src/a/document.json``, not ``/home/…/src/a/document.json``."""
    result.source = str(named)
    resolved = str(named.resolve()) if named.exists() else None
    if resolved is None:
        return

    def rename(text: str) -> str:
        if text == resolved or text.startswith(resolved + os.sep):
            return str(named) + text[len(resolved) :]
        return text

    for problem in result.problems:
        if isinstance(problem.get("file"), str):
            problem["file"] = rename(problem["file"])
    if result.reason:
        result.reason = rename(result.reason)


def _display_bag(output: Path, output_abs: Path, bag: Path) -> Path:
    """The bag's path under OUTPUT as the user wrote it."""
    try:
        return output / bag.relative_to(output_abs)
    except ValueError:
        return bag


__all__ = ["Options", "Summary", "default_jobs", "run", "warm"]

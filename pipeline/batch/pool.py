"""Long-lived local worker processes that survive bad documents.

Why not ``multiprocessing.Pool`` or ``concurrent.futures``: a ``Pool`` hangs when a worker is
killed, and a ``ProcessPoolExecutor`` whose worker dies fails every pending task
(``BrokenProcessPool``). Here each worker has its own pipe and gets one task at a time, so the
parent always knows which document a worker was on:

- a worker that dies (segfault, OOM kill, SIGKILL) is seen through its process sentinel; its
  document is reported failed with the signal or exit code, a new worker takes its place;
- a document running past ``timeout`` seconds has its worker killed (SIGKILL) and replaced;
- a worker retires after ``max_tasks`` documents, or when its resident memory after a
  document is above ``max_rss_mb`` (read from ``/proc/self/statm``), or when the task asks
  for it (after an in-process timeout or an unexpected error), and a fresh one replaces it.

Processes are started with the ``spawn`` method: each worker is a fresh interpreter that
imports WeasyPrint and builds its Fontconfig state itself. ``fork`` would copy whatever the
parent holds (a Dask client's threads, a half-initialised GLib or Fontconfig, open
locks) into the child, and forking a multi-threaded process can deadlock; ``forkserver``
would be safe only with nothing native preloaded in the server, which leaves nothing to save.
Spawning costs about one second of imports and warm-up per worker, paid once per ``max_tasks``
documents. Workers ignore SIGINT: on Ctrl-C the parent stops them.

Workers are started on demand, never more than there are tasks waiting, so a batch with
nothing to build starts none. ``fn`` and ``initializer`` must be importable module-level
functions.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

START_METHOD = "spawn"
_KILL_GRACE = 2.0  # seconds past the in-process alarm before the parent kills the worker
_MAX_START_FAILURES = 3  # workers that die or fail while warming up, in a row


def _child(
    conn: Connection,
    fn,
    initializer,
    max_tasks: int | None,
    max_rss_mb: float | None,
    scratch: str | None = None,
):
    """A worker's life: warm up, then one task at a time until told to stop or retiring.

    A parent that died (SIGKILL, OOM) closes the pipe: the worker then has no one to report
    to and ends quietly, instead of printing a BrokenPipeError into the parent's terminal.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if scratch is not None:  # what this worker leaves in the temp folder, the pool removes
        tempfile.tempdir = scratch
        os.environ["TMPDIR"] = scratch
    try:
        _serve(conn, fn, initializer, max_tasks, max_rss_mb)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return
    finally:
        engine = sys.modules.get("pipeline.typeset.engine")
        if engine is not None:  # a worker ends with os._exit: no atexit handler runs
            engine.release_fonts()


def _serve(conn: Connection, fn, initializer, max_tasks: int | None, max_rss_mb: float | None):
    from pipeline.batch.worker import rss_mb

    try:
        if initializer is not None:
            initializer()
    except BaseException as exc:
        conn.send(("init-failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    done = 0
    while True:
        message = conn.recv()
        if message is None:
            return
        index, task = message
        result = fn(task)
        done += 1
        rss = rss_mb()
        retire = bool(getattr(result, "retire", False))
        retire |= max_tasks is not None and done >= max_tasks
        retire |= max_rss_mb is not None and rss is not None and rss > max_rss_mb
        conn.send(("done", index, result, retire))
        if retire:
            return


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    task: tuple[int, Any] | None = None
    deadline: float | None = None
    retiring: bool = False


@dataclass(frozen=True)
class Lost:
    """A task whose worker died, timed out, or could not start: what to say about it."""

    index: int
    task: Any
    reason: str


class LocalPool:
    """``jobs`` worker processes running ``fn`` over tasks, yielding results as they finish."""

    def __init__(
        self,
        fn: Callable[[Any], Any],
        *,
        jobs: int,
        initializer: Callable[[], None] | None = None,
        max_tasks: int | None = None,
        max_rss_mb: float | None = None,
        timeout: float | None = None,
        kill_grace: float = _KILL_GRACE,
    ):
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.fn = fn
        self.jobs = jobs
        self.initializer = initializer
        self.max_tasks = max_tasks
        self.max_rss_mb = max_rss_mb
        self.timeout = timeout
        self.kill_grace = kill_grace
        self.context = multiprocessing.get_context(START_METHOD)
        self.workers: list[_Worker] = []
        self.started = 0  # worker processes started, over the pool's life
        self._start_failures = 0
        self._fatal: str | None = None
        # the workers' temp folder: removed when the pool closes, so that even a worker
        # killed mid-document (SIGKILL, timeout, OOM) leaves nothing in the host's /tmp
        self.scratch = tempfile.mkdtemp(prefix="unfolio-workers-")

    # --- workers -----------------------------------------------------------------------------

    def _start(self) -> None:
        parent, child = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=_child,
            args=(child, self.fn, self.initializer, self.max_tasks, self.max_rss_mb, self.scratch),
            name=f"unfolio-worker-{self.started + 1}",
            daemon=True,
        )
        process.start()
        child.close()
        self.started += 1
        self.workers.append(_Worker(process, parent))

    def _stop(self, worker: _Worker, *, kill: bool = False) -> None:
        if kill and worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=None if kill else 5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        self.workers.remove(worker)

    def close(self) -> None:
        """Stop every worker: ask the idle ones, kill the busy ones."""
        for worker in list(self.workers):
            if worker.task is None and worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        for worker in list(self.workers):
            self._stop(worker, kill=worker.task is not None)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the loop ----------------------------------------------------------------------------

    def run(self, tasks: Iterable[Any]) -> Iterator[tuple[int, Any] | Lost]:
        """Feed ``tasks`` (pulled lazily) to the workers; yield ``(index, result)`` or ``Lost``.

        Indexes count the tasks from 0 in the order they were pulled.
        """
        source = enumerate(tasks)
        pending: collections.deque[tuple[int, Any]] = collections.deque()
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < self.jobs:
                    try:
                        pending.append(next(source))
                    except StopIteration:
                        exhausted = True
                if self._fatal is not None:
                    while pending:
                        index, task = pending.popleft()
                        yield Lost(index, task, self._fatal)
                    if exhausted:
                        return
                    continue
                busy = [w for w in self.workers if w.task is not None]
                if exhausted and not pending and not busy:
                    return
                self._dispatch(pending)
                free = len(self.workers) - len([w for w in self.workers if w.task is not None])
                while pending and len(self.workers) < self.jobs and free < len(pending):
                    self._start()
                    free += 1
                self._dispatch(pending)
                yield from self._wait()
        finally:
            self.close()

    def _dispatch(self, pending: collections.deque) -> None:
        for worker in self.workers:
            if not pending:
                return
            if worker.ready and worker.task is None:
                index, task = pending.popleft()
                try:
                    worker.conn.send((index, task))
                except OSError:  # died between two looks; its sentinel will tell
                    pending.appendleft((index, task))
                    continue
                worker.task = (index, task)
                if self.timeout:
                    worker.deadline = time.monotonic() + self.timeout + self.kill_grace

    def _wait(self) -> Iterator[tuple[int, Any] | Lost]:
        deadlines = [w.deadline for w in self.workers if w.task is not None and w.deadline]
        wait_for = None
        if deadlines:
            wait_for = max(0.0, min(deadlines) - time.monotonic())
        handles = [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]
        if not handles:
            return
        ready = set(wait(handles, timeout=wait_for))
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.conn in ready or worker.process.sentinel in ready:
                yield from self._drain(worker)
            if (
                worker in self.workers
                and worker.task
                and worker.deadline
                and now >= worker.deadline
            ):
                index, task = worker.task
                worker.task = None
                self._stop(worker, kill=True)
                yield Lost(index, task, f"timed out after {self.timeout:g} s (worker killed)")

    def _drain(self, worker: _Worker) -> Iterator[tuple[int, Any] | Lost]:
        """Read what the worker said; notice when it has gone."""
        gone = False
        while True:
            try:
                if not worker.conn.poll():
                    break
                message = worker.conn.recv()
            except (EOFError, OSError):
                gone = True
                break
            kind = message[0]
            if kind == "ready":
                worker.ready = True
                self._start_failures = 0
            elif kind == "init-failed":
                self._fatal = f"worker start-up failed: {message[1]}"
                gone = True
            elif kind == "done":
                _, index, result, retire = message
                worker.task = None
                worker.deadline = None
                yield index, result
                if retire:
                    worker.retiring = gone = True
        if worker.retiring and worker.task is None:
            self._stop(worker)  # it exits by itself
            return
        if gone or not worker.process.is_alive():
            worker.process.join(timeout=5)
            if worker.task is not None:
                index, task = worker.task
                worker.task = None
                yield Lost(index, task, describe_exit(worker.process.exitcode))
            elif not worker.ready and self._fatal is None:
                self._start_failures += 1
                if self._start_failures >= _MAX_START_FAILURES:
                    self._fatal = "worker start-up failed: the worker process " + describe_exit(
                        worker.process.exitcode
                    ).removeprefix("worker process ")
            self._stop(worker, kill=True)


def describe_exit(code: int | None) -> str:
    """Say how a worker process ended, for a failed document's reason."""
    if code is None:
        return "worker process stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"worker process died: killed by {name}{hint}"
    return f"worker process died: exited with code {code}"

"""Run the per-document function on a Dask distributed cluster (``--executor dask``).

The client (the machine running ``unfolio build``) does the skip checks and sends each
document left as a :class:`~pipeline.batch.worker.Task` — absolute paths, the options, the
client's ``SOURCE_DATE_EPOCH`` — to the cluster, where :func:`~pipeline.batch.worker.build_one`
runs in a Dask worker and writes the bag into the output folder. So the source folders and
the output folder must be at the same paths on every machine (a shared file system), and the
workers need unfolio, its fonts and the same library versions as the client (otherwise their
build keys differ from the client's and every run rebuilds everything).

A worker plugin warms each worker once (WeasyPrint, fonts, stylesheets). At most as many
documents are in flight as the cluster has threads, so a document starts soon after it is
sent; one that has not come back ``timeout`` seconds (plus a grace) after it was sent is
reported as failed and the worker process holding it is ended (a thread cannot be stopped);
its nanny, there by default, starts a fresh one. A worker that dies is Dask's to replace; its document is
reported failed (``KilledWorker``) after Dask's own retries. Run workers with one thread each
(``--nthreads 1``) and as many processes as cores: WeasyPrint is not made to share a process
between threads. Memory limits are Dask's (``--memory-limit``).

``distributed`` is imported only when this module is: the ``dask`` extra is optional.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

try:
    from distributed import Client, WorkerPlugin
    from distributed import TimeoutError as DaskTimeout
except ImportError as exc:  # pragma: no cover - depends on the extra
    from pipeline.errors import UserError

    raise UserError(
        "--executor dask needs Dask distributed, which is not installed: "
        "pip install 'unfolio[dask]'"
    ) from exc

from pipeline.batch.worker import Result, Task, build_one, failed, warm

_GRACE = 5.0  # seconds added to the timeout for scheduling and transfer
_CONNECT_TIMEOUT = "30s"
_POLL = 0.05  # seconds between two looks at the documents in flight


class WarmUp(WorkerPlugin):
    """Import WeasyPrint and build the fonts and stylesheets once per Dask worker."""

    name = "unfolio-warm-up"

    def setup(self, worker) -> None:
        warm()


def connect(scheduler: str) -> Client:
    """A client of the scheduler at ``scheduler`` (``tcp://host:8786``), or a usage error."""
    from pipeline.errors import UserError

    if not scheduler:
        raise UserError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
    try:
        return Client(scheduler, timeout=_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, DaskTimeout) as exc:
        raise UserError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _build_failed(task: Task, reason: str) -> Result:
    return failed(task.source, reason)


def run(
    tasks: Iterable[Any],
    *,
    scheduler: str,
    timeout: float | None,
    fn: Callable[[Any], Any] = build_one,
    lost: Callable[[Any, str], Any] = _build_failed,
    warm_up: bool = True,
) -> Iterator[tuple[int, Any]]:
    """Run ``fn`` (default: build) on each task on the cluster; yield ``(task number,
    result)`` as they finish. A task whose worker failed or that timed out gets
    ``lost(task, reason)`` as its result. ``warm_up`` registers the WeasyPrint warm-up plugin
    (``verify`` needs none)."""
    source = iter(enumerate(tasks))
    first = next(source, None)
    if first is None:  # nothing to build: do not even connect
        return
    client = connect(scheduler)
    try:
        if warm_up:
            client.register_plugin(WarmUp(), name=WarmUp.name)
        slots = max(1, sum(client.nthreads().values()))
        inflight: dict = {}  # future → (number, task, deadline)
        pending = [first]
        exhausted = False
        while True:
            while not exhausted and len(inflight) + len(pending) < slots:
                item = next(source, None)
                if item is None:
                    exhausted = True
                else:
                    pending.append(item)
            for number, task in pending:
                future = client.submit(fn, task, pure=False, retries=0)
                deadline = time.monotonic() + timeout + _GRACE if timeout else None
                inflight[future] = (number, task, deadline)
            pending = []
            if not inflight:
                if exhausted:
                    return
                continue
            done = [future for future in inflight if future.done()]
            if not done:
                time.sleep(_POLL)  # a future's state is local: polling it costs nothing
            for future in done:
                number, task, _ = inflight.pop(future)
                yield number, _outcome(future, task, lost)
            now = time.monotonic()
            for future, (number, task, deadline) in list(inflight.items()):
                if deadline is not None and now >= deadline and not future.done():
                    inflight.pop(future)
                    _stop(client, future)
                    yield number, lost(task, f"timed out after {timeout:g} s")
    finally:
        client.close()


def _outcome(future, task: Any, lost: Callable[[Any, str], Any]) -> Any:
    try:
        return future.result()
    except Exception as exc:  # KilledWorker, a lost connection, a pickling failure
        return lost(task, f"Dask worker failed: {type(exc).__name__}: {exc}")


async def _exit_worker() -> None:
    """Run on a Dask worker: end its process at once (its nanny starts a fresh one)."""
    os._exit(70)


def _stop(client: Client, future) -> None:
    """Cancel a runaway document and end the worker process running it, without waiting.

    A thread cannot be stopped, so the worker process goes; under a nanny (the default) a new
    one takes its place. ``Client.restart_workers`` would do the same but blocks until the
    worker is back, up to minutes.
    """
    try:
        processing = client.processing()
        holders = [w for w, keys in processing.items() if future.key in keys]
        future.cancel()
        if holders:
            client.run(_exit_worker, workers=holders, wait=False, on_error="ignore")
    except Exception:  # best effort: the batch goes on either way
        pass

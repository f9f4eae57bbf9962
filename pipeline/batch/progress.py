"""Progress of a batch on stderr: one updating line on a terminal, plain lines otherwise.

On a terminal the line is redrawn in place (``\\r`` and erase-to-end-of-line) at most ten
times a second, and cleared before any other message is printed, so the report lines and the
progress line never mix. Elsewhere (a log file, CI) a plain ``progress:`` line is printed every
``interval`` seconds, and none at all for a batch that ends sooner. A small daemon thread keeps
both going while a long document renders; a lock keeps its writes and the caller's apart.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        tty: bool | None = None,
        interval: float = 10.0,
        enabled: bool = True,
    ):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval
        self.enabled = enabled and total > 0
        self.counts = {"built": 0, "skipped": 0, "invalid": 0, "failed": 0}
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_line = self.started
        self._shown = False
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Progress:
        """Keep the line fresh (terminal: every second; plain: every ``interval``)."""
        if self.enabled and self._thread is None:
            period = 1.0 if self.tty else self.interval
            self._thread = threading.Thread(target=self._tick, args=(period,), daemon=True)
            self._thread.start()
        return self

    def _tick(self, period: float) -> None:
        while not self._stop.wait(period):
            with self.lock:
                self.update(force=self.tty)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self.lock:
            self.clear()

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def text(self) -> str:
        elapsed = time.monotonic() - self.started
        c = self.counts
        failed = c["invalid"] + c["failed"]
        text = (
            f"[{self.done}/{self.total}] built {c['built']}, skipped {c['skipped']}, "
            f"failed {failed} · {_duration(elapsed)}"
        )
        worked = c["built"] + c["failed"]
        if worked and elapsed > 0:
            rate = worked / elapsed
            text += f" · {rate:.2f} docs/s"
            remaining = self.total - self.done
            if remaining:
                text += f" · about {_duration(remaining / rate)} left"
        return text

    def advance(self, status: str) -> None:
        with self.lock:
            self.counts[status] = self.counts.get(status, 0) + 1
            self.update()

    def update(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            if force or now - self._last_draw >= 0.1 or self.done == self.total:
                self.stream.write("\r\x1b[K" + self.text())
                self.stream.flush()
                self._last_draw = now
                self._shown = True
        elif now - self._last_line >= self.interval - 0.05:
            self.stream.write(f"progress: {self.text()}\n")
            self.stream.flush()
            self._last_line = now

    def clear(self) -> None:
        """Erase the progress line (before printing something else)."""
        if self.tty and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def redraw(self) -> None:
        if self.tty and self.enabled:
            self.update(force=True)

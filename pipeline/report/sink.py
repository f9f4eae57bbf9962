"""A report file written as it goes and published in one rename: a reader (or a run cut off
half-way) never sees half a report, and a report of a huge batch is never held in memory."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from pipeline import atomic


class Sink:
    """A temporary file beside ``path``; :meth:`publish` renames it into place."""

    def __init__(self, path: Path):
        self.path = Path(path)
        fd, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part"
        )
        self.temp = Path(name)
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self.handle.write(text)

    def publish(self) -> None:
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            os.fchmod(self.handle.fileno(), 0o644)
            self.handle.close()
            os.replace(self.temp, self.path)
        except BaseException:
            self.discard()
            raise
        atomic.fsync_dir(self.path.parent)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        self.temp.unlink(missing_ok=True)

"""Rows spooled to a temporary file until the totals are known, then published at once.

The HTML and JUnit reports both put their totals before the rows; a batch of 100,000
documents must not hold its rows in memory, and a report cut short must not replace a
previous one. So the rows wait in a temporary file and the report is written whole, head,
rows and tail, under a temporary name that replaces the old file only when complete.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pipeline.atomic import Replacing


class Spool:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.body = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by publish or discard)

    def write(self, text: str) -> None:
        self.body.write(text)

    def publish(self, head: str, tail: str) -> None:
        """Write ``head``, the spooled rows and ``tail`` to the report, replacing it at once."""
        sink = Replacing(self.path)
        try:
            sink.write(head)
            self.body.seek(0)
            shutil.copyfileobj(self.body, sink.handle)
            sink.write(tail)
            sink.publish()
        except BaseException:
            sink.discard()
            raise
        finally:
            self.body.close()

    def discard(self) -> None:
        self.body.close()

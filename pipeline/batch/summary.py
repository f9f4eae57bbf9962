"""The end of a batch: counts, the exit code, and the machine-readable report.

``--json`` prints this object (``report_version`` 1) and nothing else on stdout::

    {
      "report_version": 1,
      "tool": "unfolio 0.2.0",
      "command": "build",
      "options": {"output": "bags", "pdfa": "2u", "format": "dir", "executor": "local",
                  "jobs": 2, "force": false, "timeout": 300.0},
      "summary": {"documents": 7, "built": 4, "skipped": 1, "invalid": 1, "failed": 1,
                  "elapsed_seconds": 12.3, "documents_per_second": 0.57,
                  "built_per_second": 0.33, "workers_started": 2, "not_started": 0},
      "exit_code": 1,
      "interrupted": false,
      "documents": [
        {"source": "…", "status": "built|skipped|invalid|failed", "bag": "…" | null,
         "name": "A_75_9001--S_2021_9001-ZH" | null, "build_key": "sha256:…" | null,
         "reason": "…" | null, "problems": [{"file": "…", "message": "…", "pointer": "…"}],
         "seconds": 0.81, "worker": 12345 | null, "rss_mb": 182.4}
      ]
    }

``documents`` keeps the order of the command line. ``invalid`` means the source was refused
(exit 2 if that is the only kind of failure); ``failed`` is anything else (render, PDF/A gate,
I/O, a worker that died or ran out of time: exit 1). A batch stopped by Ctrl-C (or SIGTERM)
exits 130 with ``interrupted`` true; the documents it never finished are counted as
``not_started`` and are absent from ``documents`` (the bags it was writing are left as they
were: the writer publishes a bag by one rename, and the next run tidies its staging).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline import __version__
from pipeline.batch.worker import Result

REPORT_VERSION = 1
EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def _inside(source: str, message: str) -> str:
    """``document.json at /title: …`` for ``SOURCE/document.json at /title: …``."""
    for prefix in (source.rstrip("/") + "/", source.rstrip("/") + ": "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


@dataclass
class Summary:
    options: dict[str, object]
    results: list[Result | None] = field(default_factory=list)
    elapsed: float = 0.0
    workers_started: int = 0
    interrupted: bool = False  # Ctrl-C (SIGINT) or SIGTERM stopped the batch
    sources: list[str] = field(default_factory=list)  # as named, in command-line order

    def not_started(self) -> list[str]:
        """The sources an interrupted batch never finished (None in ``results``)."""
        return [s for s, r in zip(self.sources, self.results, strict=False) if r is None]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r is not None and r.status == status)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.count("failed"):
            return EXIT_FAILED
        return EXIT_INVALID if self.count("invalid") else EXIT_OK

    def counts(self) -> dict[str, object]:
        total = len(self.results)
        built = self.count("built")
        rate = total / self.elapsed if self.elapsed > 0 else None
        built_rate = built / self.elapsed if self.elapsed > 0 else None
        return {
            "documents": total,
            "built": built,
            "skipped": self.count("skipped"),
            "invalid": self.count("invalid"),
            "failed": self.count("failed"),
            "elapsed_seconds": round(self.elapsed, 3),
            "documents_per_second": None if rate is None else round(rate, 3),
            "built_per_second": None if built_rate is None else round(built_rate, 3),
            "workers_started": self.workers_started,
            "not_started": sum(r is None for r in self.results),
        }

    def line(self) -> str:
        """``built 4, skipped 1, failed 2 (1 invalid, 1 failed) in 12.3 s, 0.57 documents/s``."""
        c = self.counts()
        failed = c["invalid"] + c["failed"]  # type: ignore[operator]
        text = f"built {c['built']}, skipped {c['skipped']}, failed {failed}"
        if failed:
            text += f" ({c['invalid']} invalid, {c['failed']} failed)"
        if self.interrupted or c["not_started"]:
            text += f", not started {c['not_started']}"
        text += f" in {self.elapsed:.1f} s"
        if self.interrupted:
            return f"interrupted: {text}"
        if c["documents_per_second"] is not None:
            text += f", {c['documents_per_second']:.2f} documents/s"
        return text

    def not_built(self) -> list[Result]:
        return [r for r in self.results if r is not None and r.status in ("invalid", "failed")]

    def closing_lines(self) -> list[str]:
        """The summary line, then each document not built, in command-line order, with every
        one of its problems (files named inside the source folder, the folder named once)."""
        lines = [f"unfolio build: {self.line()}"]
        for result in self.not_built():
            messages = [_inside(result.source, m) for m in result.messages] or [result.status]
            if len(messages) == 1:
                lines.append(f"  not built ({result.status}): {result.source}: {messages[0]}")
                continue
            lines.append(f"  not built ({result.status}): {result.source}")
            lines += [f"      {message}" for message in messages]
        left = self.not_started()
        if left:
            shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
            lines.append(f"  not started: {shown}")
        return lines

    def report(self) -> dict[str, object]:
        return {
            "report_version": REPORT_VERSION,
            "tool": f"unfolio {__version__}",
            "command": "build",
            "options": self.options,
            "summary": self.counts(),
            "exit_code": self.exit_code,
            "interrupted": self.interrupted,
            "documents": [r.as_dict() for r in self.results if r is not None],
        }

"""The audit log: one JSON line per bag per run, and what changed since the last audit.

``verify --log FILE.jsonl`` appends, for each target, ``{"time", "target", "path", "mode",
"verdict", "passed", "codes", "digest", "tool"}``: the verdict and the codes found, and the
bag's digest (``sha256:`` of ``tagmanifest-sha512.txt``). A records office keeps its audit
history in that file; two verify runs may append to it at once, and one may be killed, so
each line is written with a single ``write`` on an ``O_APPEND`` descriptor under an exclusive
``flock``: lines never interleave, and a crash leaves at most one line without its newline
(which a reader skips and names).

``verify --since FILE.jsonl`` reads the last record of each target there (before this run
appends anything) and says, for each target verified now, whether its verdict or its digest
changed: a bag that was resealed — edited, then re-manifested — keeps passing, but its digest
moves, and that is what an audit must notice. Targets are matched by absolute path.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pipeline import __version__
from pipeline.errors import Problem, UserError
from pipeline.verify.target import TargetReport

MAX_LINE_BYTES = 1 << 20
"""A longer line in an audit log is not one verify wrote: skipped and named."""


@dataclass(frozen=True)
class Audit:
    """What the last audit recorded of one target."""

    time: str
    verdict: str
    digest: str | None
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """How a target differs from its last audit; ``previous`` None: never audited."""

    previous: Audit | None
    verdict: str
    digest: str | None

    @property
    def changed(self) -> bool:
        return self.previous is None or (
            self.previous.verdict != self.verdict or self.previous.digest != self.digest
        )

    def what(self) -> list[str]:
        """The differences, in words."""
        if self.previous is None:
            return ["not in the audit log"]
        said = []
        if self.previous.verdict != self.verdict:
            said.append(f"verdict {self.previous.verdict} → {self.verdict}")
        if self.previous.digest != self.digest:
            said.append(f"digest {self.previous.digest} → {self.digest}")
        return said

    def as_dict(self) -> dict[str, object]:
        return {
            "changed": self.changed,
            "previous_time": self.previous.time if self.previous else None,
            "previous_verdict": self.previous.verdict if self.previous else None,
            "previous_digest": self.previous.digest if self.previous else None,
        }


def key(path: str) -> str:
    """How a target is known across runs: its absolute path (not resolved through links)."""
    return os.path.abspath(path)


def record(report: TargetReport, *, strict: bool, mode: str, now: datetime | None = None) -> dict:
    """The audit line of one report."""
    when = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "time": when,
        "target": report.path,
        "path": key(report.path),
        "mode": mode,
        "verdict": report.status(),
        "passed": report.passed(strict),
        "codes": sorted({finding.code for finding in report.findings}),
        "digest": report.digest,
        "tool": f"unfolio {__version__}",
    }


class Log:
    """An audit log opened for appending: one locked ``write`` per line."""

    def __init__(self, path: Path):
        self.path = path
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            self.fd = os.open(path, flags, 0o644)
        except OSError as exc:
            raise UserError(
                Problem(str(path), f"cannot open the audit log: {exc.strerror}")
            ) from None

    def append(self, line: dict) -> None:
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            written = os.write(self.fd, data)  # O_APPEND: at the end, whatever others wrote
            if written != len(data):  # a full disk: say so rather than leave half a line
                raise OSError(f"{self.path}: only {written} of {len(data)} bytes written")
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> Log:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Numbered non-blank lines, one at a time (a log of years of audits is never held)."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES:  # skip the rest of an overlong line
            while line and not line.endswith(b"\n"):
                line = handle.readline(MAX_LINE_BYTES)
            yield number, b"overlong"
            continue
        if line.strip():
            yield number, line


def last_audits(path: Path) -> tuple[dict[str, Audit], list[str]]:
    """The last record of each target in the log at ``path`` and the lines that were not
    records (a line cut short by a crash, a line someone else wrote), named by number.
    A log that does not exist yet is empty."""
    audits: dict[str, Audit] = {}
    skipped: list[str] = []
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the loop
    except FileNotFoundError:
        return audits, skipped
    except OSError as exc:
        raise UserError(Problem(str(path), f"cannot read the audit log: {exc.strerror}")) from None
    with handle:
        _read(path, handle, audits, skipped)
    return audits, skipped


def _read(path: Path, handle: BinaryIO, audits: dict[str, Audit], skipped: list[str]) -> None:
    for number, line in _lines(handle):
        try:
            entry = json.loads(line)
            target = entry["path"]
            audit = Audit(
                str(entry["time"]),
                str(entry["verdict"]),
                entry.get("digest"),
                tuple(entry.get("codes", ())),
            )
        except (ValueError, KeyError, TypeError):
            if len(skipped) < 100:
                skipped.append(f"{path}:{number}: not an audit record; skipped")
            continue
        audits[str(target)] = audit


def compare(report: TargetReport, audits: dict[str, Audit]) -> Change:
    return Change(audits.get(key(report.path)), report.status(), report.digest)

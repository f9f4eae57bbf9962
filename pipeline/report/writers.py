"""Open the reports a command line asks for and feed them the same records."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from pipeline.errors import UserError
from pipeline.report.record import Record

SUFFIXES = (".csv", ".html", ".htm", ".xml")


class Writer(Protocol):
    def add(self, record: Record) -> None: ...
    def close(self, summary: dict[str, object]) -> None: ...
    def discard(self) -> None: ...


def _writer(path: Path, command: str) -> Writer:
    from pipeline.report.csvfile import CsvReport
    from pipeline.report.html import HtmlReport
    from pipeline.report.junit import JunitReport

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return CsvReport(path, command)
    if suffix in (".html", ".htm"):
        return HtmlReport(path, command)
    return JunitReport(path, command)


def check_paths(paths: Sequence[Path], *, junit: Sequence[Path] = ()) -> None:
    """Refuse, before any work, a report whose kind cannot be told or whose folder is missing."""
    for path in paths:
        if path.suffix.lower() not in SUFFIXES:
            raise UserError(
                f"--report {path}: name the report FILE.csv, FILE.html or FILE.xml (JUnit)"
            )
    for path in (*paths, *junit):
        if path.is_dir():
            raise UserError(f"--report {path}: is a folder; expected a file name")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:  # created when written
            parent = parent.parent
        if not parent.is_dir():
            raise UserError(f"--report {path}: {parent} is not a folder")


class Reports:
    """Every report of one run; ``add`` each record as it comes, ``close`` at the end."""

    def __init__(self, writers: list[Writer]):
        self.writers = writers

    def __bool__(self) -> bool:
        return bool(self.writers)

    def add(self, record: Record) -> None:
        for writer in self.writers:
            writer.add(record)

    def close(self, summary: dict[str, object]) -> None:
        for writer in self.writers:
            writer.close(summary)

    def discard(self) -> None:
        for writer in self.writers:
            writer.discard()


def open_reports(
    command: str, paths: Sequence[Path] = (), *, junit: Sequence[Path] = ()
) -> Reports:
    """The writers for ``--report`` files (kind by suffix) and ``--junit`` files."""
    from pipeline.report.junit import JunitReport

    check_paths(paths, junit=junit)
    for path in (*paths, *junit):
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--report {path}: cannot create its folder: {exc.strerror}") from None
    writers: list[Writer] = [_writer(Path(p), command) for p in paths]
    writers += [JunitReport(Path(p), command) for p in junit]
    return Reports(writers)

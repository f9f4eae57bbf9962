"""The CSV report: one row per document or bag, for a spreadsheet or a transfer list.

RFC 4180 (CRLF line ends, quotes doubled), UTF-8 with no byte-order mark. A text cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return — a title can) is written with a leading apostrophe, as OWASP advises, so
opening the report never executes it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipeline.atomic import Replacing
from pipeline.report.record import Record

COLUMNS = (
    "symbol", "language", "title", "pages", "status", "path", "size", "digest",
    "errors", "warnings", "seconds", "source", "details", "replaced",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def row(record: Record) -> list[str]:
    details = "; ".join(str(issue) for issue in record.issues[:5])
    if len(record.issues) > 5:
        details += f"; and {len(record.issues) - 5} more"
    values = (
        record.symbol, record.language, record.title, record.pages, record.status,
        record.path, record.size, record.digest, record.errors, record.warnings,
        record.seconds, record.source, details,
        None if record.replaced is None else ("yes" if record.replaced else "no"),
    )  # fmt: skip
    return [_cell(v) for v in values]


class CsvReport:
    def __init__(self, path: Path, command: str):
        self.sink = Replacing(path)
        self._write(list(COLUMNS))

    def _write(self, cells: list[str]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(cells)
        self.sink.write(buffer.getvalue())

    def add(self, record: Record) -> None:
        self._write(row(record))

    def close(self, summary: dict[str, object]) -> None:
        self.sink.publish()

    def discard(self) -> None:
        self.sink.discard()

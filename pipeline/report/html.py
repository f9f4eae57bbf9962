"""The HTML report: a page a records officer reads in any browser, offline.

One self-contained file: inline CSS, no script (a Content-Security-Policy forbids any, and
every value is escaped), no image, font or link fetched. The totals come first, then one row
per document or bag; each row's problems fold out with ``<details>``, which needs no script.
Titles carry their language (``lang``, and ``dir="rtl"`` for Arabic) so a screen reader
speaks them in the right voice and Arabic reads right to left.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.report.record import Record
from pipeline.report.spool import Spool

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
margin:2rem auto;max-width:96rem;padding:0 1rem;color:#1b1b1b;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}
p.meta{color:#555;margin:0 0 1rem}
ul.totals{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;list-style:none;padding:0;margin:0 0 1.5rem}
ul.totals li{border-left:4px solid #999;padding:.1rem .6rem}
ul.totals b{font-size:1.25rem;display:block}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f1f3f5;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td code{font-size:.78rem;overflow-wrap:anywhere}
td.path{min-width:14ch}td.digest{min-width:20ch;max-width:24ch}td.title{min-width:18ch}
.ok{color:#0a6b2d}.bad{color:#a4000f}.warn{color:#8a5300}.idle{color:#555}
tr.row-bad td:first-child{border-left:4px solid #a4000f}
tr.row-warn td:first-child{border-left:4px solid #8a5300}
tr.row-bad{background:#fff6f6}
tr.issues td{border-top:0;padding-top:0;font-size:.9rem;overflow-wrap:anywhere}
tr.issues li{overflow-wrap:break-word;overflow-wrap:anywhere;word-break:break-word}
tr:has(+ tr.issues) td{border-bottom:0}
details summary{cursor:pointer}
details ul{margin:.3rem 0 0;padding-left:1.2rem}
@page{size:A4 landscape;margin:1cm}
@media print{body{margin:0;max-width:none;font-size:11px}thead th{position:static}}
"""
_MARK = {"ok": "\u2713", "bad": "\u2717", "warn": "!", "idle": "\u2013"}
_TONE = {
    "built": "ok", "skipped": "ok", "valid": "ok", "warnings": "warn",
    "invalid": "bad", "failed": "bad", "not started": "idle",
}  # fmt: skip
_RTL = {"ar"}
_LANGUAGES = {"ar", "zh", "en", "fr", "ru", "es"}


def _e(value: object) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def _size(size: int | None) -> str:
    if size is None:
        return ""
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if size >= factor:
            return f'<span title="{size:,} bytes">{size / factor:.1f}&nbsp;{unit}</span>'
    return f"{size:,}&nbsp;B"


def row(record: Record, *, with_source: bool = False) -> str:
    tone = _TONE.get(record.status, "bad" if not record.passed else "ok")
    if not record.passed and tone == "ok":
        tone = "bad"
    language = record.language if record.language in _LANGUAGES else None
    title_attrs = f' lang="{language}"' if language else ""
    if language in _RTL:
        title_attrs += ' dir="rtl"'
    issues = ""
    if record.issues:
        items = "".join(f"<li>{_e(issue)}</li>" for issue in record.issues)
        count = len(record.issues)
        issues = (
            f"<details><summary>{count} problem{'s' * (count != 1)}</summary>"
            f"<ul>{items}</ul></details>"
        )
    seconds = "" if record.seconds is None else f"{record.seconds:.2f}"
    status = _e(record.status) + (" (replaced)" if record.replaced else "")
    where = _e(record.path) if record.path else "\u2013"
    source = f'<td class="path"><code>{_e(record.source)}</code></td>' if with_source else ""
    return (
        f'<tr class="row-{tone}">'
        f"<td>{_e(record.symbol)}</td>"
        f"<td>{_e(record.language)}</td>"
        f'<td class="title"{title_attrs}>{_e(record.title)}</td>'
        f'<td class="n">{_e(record.pages)}</td>'
        f'<td class="{tone}">{_MARK[tone]}&nbsp;{status}</td>'
        f"{source}"
        f'<td class="path"><code>{where}</code></td>'
        f'<td class="n">{_size(record.size)}</td>'
        f'<td class="digest"><code>{_e(record.digest)}</code></td>'
        f'<td class="n">{record.errors}</td>'
        f'<td class="n">{record.warnings}</td>'
        f'<td class="n">{seconds}</td>'
        "</tr>\n"
        + (
            f'<tr class="issues row-{tone}"><td colspan="{len(_HEAD) + with_source}">'
            f"{issues}</td></tr>\n"
            if issues
            else ""
        )
    )


_HEAD = (
    "Symbol", "Language", "Title", "Pages", "Status", "Bag or archive", "Size",
    "SHA-256 digest", "Errors", "Warnings", "Seconds",
)  # fmt: skip


class HtmlReport:
    def __init__(self, path: Path, command: str):
        self.path = Path(path)
        self.command = command
        self.spool = Spool(self.path)  # rows, until the totals
        self.rows = 0

    def add(self, record: Record) -> None:
        self.spool.write(row(record, with_source=self.command == "build"))
        self.rows += 1

    def close(self, summary: dict[str, object]) -> None:
        self.spool.publish(self._head(summary), "</tbody></table>\n</main></body></html>\n")

    def discard(self) -> None:
        self.spool.discard()

    def _head(self, summary: dict[str, object]) -> str:
        headline = str(summary.get("headline") or f"{self.rows} rows")
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        totals = "".join(
            f"<li><b>{_e(v)}</b>{_e(k)}</li>"
            for k, v in (summary.get("totals") or {}).items()  # type: ignore[union-attr]
        )
        names = list(_HEAD)
        if self.command == "build":
            names.insert(names.index("Bag or archive"), "Source")
        heads = "".join(f'<th scope="col">{h}</th>' for h in names)
        what = "document" if self.command == "build" else "bag"
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>unfolio {_e(self.command)}: {_e(headline)}</title>\n"
            f"<style>{_STYLE}</style>\n</head>\n<body><main>\n"
            f"<h1>unfolio {_e(self.command)}: {_e(headline)}</h1>\n"
            f'<p class="meta">Written {when} by unfolio {_e(__version__)}.</p>\n'
            f'<ul class="totals">{totals}</ul>\n'
            f"<table>\n<caption>One row per {what}, in the order of the command line"
            "</caption>\n"
            f"<thead><tr>{heads}</tr></thead>\n<tbody>\n"
        )

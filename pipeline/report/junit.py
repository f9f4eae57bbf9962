"""The JUnit XML report, for CI dashboards (GitLab, Jenkins, GitHub test reporters).

One ``<testsuite>`` for the run, one ``<testcase>`` per bag (or document, for build): a bag
that failed has a ``<failure>`` whose ``type`` is its first code and whose ``message`` lists
every code; its findings, one per line, are the failure's text. Warnings that do not fail
(no ``--strict``) go to ``<system-out>``; a document a cut-off build never started is
``<skipped>``. The shape is the common one the Jenkins/Ant JUnit schema describes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pipeline import __version__
from pipeline.report.record import Record
from pipeline.report.spool import Spool

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    """Text XML 1.0 can carry: characters it forbids are written as ``\\uXXXX``."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", "" if text is None else str(text))


def _attr(value: object) -> str:
    return quoteattr(_clean(value))


def testcase(record: Record, command: str) -> str:
    name = record.path or record.source or ""
    seconds = record.seconds or 0.0
    head = (
        f"  <testcase classname={_attr('unfolio.' + command)} name={_attr(name)} "
        f'time="{seconds:.3f}">\n'
    )
    body = ""
    failing = [i for i in record.issues if i.severity == "error" or not record.passed]
    if record.status == "not started":
        body += '    <skipped message="not started: the run was interrupted"/>\n'
    elif not record.passed:
        codes = list(dict.fromkeys(i.code for i in failing if i.code)) or [record.status]
        message = f"{record.status}: {', '.join(codes)}"
        text = "\n".join(str(i) for i in failing) or record.status
        body += (
            f"    <failure type={_attr(codes[0])} message={_attr(message)}>"
            f"{escape(_clean(text))}</failure>\n"
        )
    passing = [i for i in record.issues if i not in failing]
    if passing:
        text = "\n".join(str(i) for i in passing)
        body += f"    <system-out>{escape(_clean(text))}</system-out>\n"
    if not body:
        return head[: -len(">\n")] + "/>\n"
    return head + body + "  </testcase>\n"


class JunitReport:
    def __init__(self, path: Path, command: str):
        self.path = Path(path)
        self.command = command
        self.spool = Spool(self.path)  # test cases, until the totals
        self.tests = self.failures = self.skipped = 0
        self.seconds = 0.0

    def add(self, record: Record) -> None:
        self.spool.write(testcase(record, self.command))
        self.tests += 1
        self.seconds += record.seconds or 0.0
        if record.status == "not started":
            self.skipped += 1
        elif not record.passed:
            self.failures += 1

    def close(self, summary: dict[str, object]) -> None:
        stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "")
        counts = (
            f'tests="{self.tests}" failures="{self.failures}" errors="0" '
            f'skipped="{self.skipped}" time="{self.seconds:.3f}"'
        )
        name = _attr(f"unfolio {self.command}")
        # the root takes no "skipped" (the Jenkins/Ant schema has it on testsuite only)
        root = counts.replace(f' skipped="{self.skipped}"', "")
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<testsuites name={name} {root}>\n"
            f'<testsuite name={name} {counts} timestamp="{stamp}">\n'
            f'  <properties><property name="tool" value="unfolio {__version__}"/>'
            "</properties>\n"
        )
        self.spool.publish(head, "</testsuite>\n</testsuites>\n")

    def discard(self) -> None:
        self.spool.discard()

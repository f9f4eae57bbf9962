"""How verification results are shown: lines for people, a versioned JSON report for machines.

The JSON shape is ``schemas/verify-report.schema.json``; ``REPORT_VERSION`` changes only when
that shape changes incompatibly (a new optional key is not a new version). The report of a
run over many bags is written as a stream (:class:`JsonStream`): the head first, each target's
object as soon as that target is done, ``ok`` last — one valid JSON document at the end, and
no more than one target's report in memory at any time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pipeline import __version__
from pipeline.verify.findings import Finding
from pipeline.verify.target import Options, TargetReport

REPORT_VERSION = 1


def mode_of(options: Options) -> str:
    if options.bagit_only:
        return "bagit-only"
    return "fixity" if options.fixity else "unfolio"


def head(options: Options) -> dict[str, Any]:
    """What the report says of the whole run, before any target."""
    return {
        "report_version": REPORT_VERSION,
        "tool": f"unfolio {__version__}",
        "mode": mode_of(options),
        "strict": options.strict,
    }


def target_dict(report: TargetReport, options: Options) -> dict[str, Any]:
    """The JSON object of one target."""
    return {
        "path": report.path,
        "kind": report.kind,
        "status": report.status(),
        "passed": report.passed(options.strict),
        "bagit_version": report.bagit_version,
        "digest": report.digest,
        "errors": report.errors,
        "warnings": report.warnings,
        "checks": report.checks,
        "findings": [f.as_dict() for f in report.findings],
        "second_opinions": [o.as_dict() for o in report.opinions],
        "signatures": [s.as_dict() for s in report.signatures],
    }


def as_json(reports: Sequence[TargetReport], options: Options) -> dict[str, Any]:
    """The machine report of a whole run, in one piece (for a few targets)."""
    return {
        **head(options),
        "ok": all(r.passed(options.strict) for r in reports),
        "targets": [target_dict(r, options) for r in reports],
    }


class JsonStream:
    """Writes the report of a run target by target, through ``write``; :meth:`close` ends it.

    The result is exactly what ``json.dumps(as_json(...), indent=2)`` would print for the same
    reports, except that ``ok`` comes last (JSON objects are unordered). Nothing is written
    before the first target is done, so a run that stops on a usage error (a Dask scheduler out
    of reach) leaves no half a report on stdout."""

    def __init__(self, write: Callable[[str], None], options: Options):
        self.write = write
        self.options = options
        self.ok = True
        self.count = 0
        self.started = False
        self.families: list[dict[str, Any]] = []

    def _start(self) -> None:
        if not self.started:
            self.started = True
            text = json.dumps(head(self.options), ensure_ascii=False, indent=2)
            self.write(text[: text.rindex("}")].rstrip() + ',\n  "targets": [')

    def add(self, report: TargetReport, **extra: Any) -> None:
        """One more target's object; ``extra`` adds optional keys (``since``)."""
        self._start()
        self.ok &= report.passed(self.options.strict)
        data = target_dict(report, self.options)
        data.update(extra)
        text = json.dumps(data, ensure_ascii=False, indent=2).replace("\n", "\n    ")
        self.write(("," if self.count else "") + "\n    " + text)
        self.count += 1

    def family(self, path: str, finding: Finding) -> None:
        """A language-family finding about a target already written (``family_findings``):
        it is judged across the bags, so only once they are all done."""
        self.ok &= finding.severity != "error"
        self.families.append({"path": path, **finding.as_dict()})

    def close(self) -> None:
        self._start()
        inner = "\n  " if self.count else ""
        self.write(f"{inner}]")
        if self.families:
            text = json.dumps(self.families, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            self.write(f',\n  "family_findings": {text}')
        self.write(f',\n  "ok": {json.dumps(self.ok)}\n}}\n')


def text_lines(report: TargetReport, options: Options) -> Iterator[str]:
    """A headline for the target, then one line per finding and per second opinion."""
    counts = f"{report.errors} error{'s' * (report.errors != 1)}, "
    counts += f"{report.warnings} warning{'s' * (report.warnings != 1)}"
    verdict = report.status()
    if verdict == "warnings" and options.strict:
        verdict = "invalid (--strict: warnings fail)"
    yield f"{report.path}: {verdict} ({counts})"
    for finding in report.findings:
        yield f"  {finding}"
    for signed in report.signatures:
        when = signed.signing_time.isoformat() if signed.signing_time else "no time claimed"
        trust = {True: "trusted", False: "NOT trusted", None: "trust not checked"}[signed.trusted]
        yield f"  signature: {signed.file} signed by {signed.signer} at {when} ({trust})"
    for opinion in report.opinions:
        detail = f": {opinion.detail}" if opinion.detail else ""
        version = f" {opinion.version}" if opinion.version else ""
        note = ""
        if opinion.agrees is False and opinion.verdict == "valid":
            note = " (disagrees: unfolio's checks failed, and their failure stands)"
        elif opinion.agrees is False:
            note = " (disagrees: reported above)"
        yield f"  second opinion: {opinion.tool}{version} says {opinion.verdict}{detail}{note}"

"""How verification results are shown: lines for people, a versioned JSON report for machines.

The JSON shape is ``schemas/verify-report.schema.json``; ``REPORT_VERSION`` changes only when
that shape changes incompatibly (a new optional key is not a new version).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pipeline import __version__
from pipeline.verify.target import Options, TargetReport

REPORT_VERSION = 1


def as_json(reports: Sequence[TargetReport], options: Options) -> dict[str, Any]:
    """The machine report of a whole run."""
    return {
        "report_version": REPORT_VERSION,
        "tool": f"unfolio {__version__}",
        "mode": "bagit-only" if options.bagit_only else "unfolio",
        "strict": options.strict,
        "ok": all(r.passed(options.strict) for r in reports),
        "targets": [
            {
                "path": r.path,
                "kind": r.kind,
                "status": r.status(),
                "passed": r.passed(options.strict),
                "bagit_version": r.bagit_version,
                "errors": r.errors,
                "warnings": r.warnings,
                "checks": r.checks,
                "findings": [f.as_dict() for f in r.findings],
                "second_opinions": [o.as_dict() for o in r.opinions],
                "signatures": [s.as_dict() for s in r.signatures],
            }
            for r in reports
        ],
    }


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

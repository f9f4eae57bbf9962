"""Rows from what ``build`` and ``verify`` produce: a build :class:`Result`, a verify
:class:`TargetReport`. The facts a run did not gather (a skipped bag's pages, size and
digest) are read from the bag on disk (:mod:`.facts`)."""

from __future__ import annotations

from pathlib import Path

from pipeline.batch.worker import Result
from pipeline.report import facts
from pipeline.report.record import Issue, Record
from pipeline.verify.target import TargetReport


def complete(result: Result) -> Result:
    """Fill in the size, digest and pages of a bag the build skipped (it was not rendered)."""
    if result.bag is None or result.status != "skipped":
        return result
    bag = Path(result.bag)
    if result.size is None or result.digest is None:
        result.size, result.digest = facts.size_and_digest(bag)
    if result.pages is None:
        pdf = facts.bag_pdf(bag, result.name)
        result.pages = None if pdf is None else facts.page_count(pdf)
    return result


def _build_issues(result: Result) -> tuple[Issue, ...]:
    if result.status not in ("invalid", "failed"):
        return ()
    return tuple(Issue("", "error", "", m) for m in result.messages) or (
        Issue("", "error", "", result.status),
    )


def from_build(result: Result) -> Record:
    issues = _build_issues(complete(result))
    return Record(
        path=result.bag,
        status=result.status,
        symbol=result.symbol,
        language=result.language,
        title=result.title,
        pages=result.pages,
        size=result.size,
        digest=result.digest,
        errors=len(issues),
        seconds=round(result.seconds, 3),
        source=result.source,
        passed=result.status in ("built", "skipped"),
        issues=issues,
        replaced=getattr(result, "replaced", None),  # set by builds that replace a bag
    )


def not_started(source: str) -> Record:
    """A document a cut-off build never reached."""
    return Record(path=None, status="not started", source=source, passed=False)


def from_verify(report: TargetReport, *, strict: bool, seconds: float | None) -> Record:
    size, digest = facts.size_and_digest(Path(report.path))
    about = report.about
    issues = tuple(Issue(f.code, f.severity, f.file, f.message) for f in report.findings)
    return Record(
        path=report.path,
        status=report.status(),
        symbol=about.get("symbol"),
        language=about.get("language"),
        title=about.get("title"),
        pages=about.get("pages"),
        size=size,
        digest=digest,
        errors=report.errors,
        warnings=report.warnings,
        seconds=None if seconds is None else round(seconds, 3),
        passed=report.passed(strict),
        issues=issues,
    )


def build_totals(counts: dict[str, object], not_started: int) -> dict[str, object]:
    """The totals an HTML report shows first, from ``Summary.counts()``."""
    totals = {k: counts[k] for k in ("documents", "built", "skipped", "invalid", "failed")}
    if not_started:
        totals["not started"] = not_started
    return totals

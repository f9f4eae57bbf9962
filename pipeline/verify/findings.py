"""What a verification finds: rules with stable codes, and findings that name a file.

Every check of ``unfolio verify`` is a :class:`Rule` declared once, at module level, by the
module that performs it (``RULES`` here collects them all, so the table in docs/verify.md and the tests
that demand one failing fixture per code read one registry). A code, once released, keeps its
meaning for ever: a changed check gets a new code, a retired one is never reused.

Codes are ``BAG-…`` (RFC 8493 and the archive around a bag), ``PDF-…`` (the bagged PDF) and
``META-…`` (the profile, PREMIS and the agreement of bag-info, document.json, XMP and PREMIS).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, SupportsIndex

from pipeline.errors import printable

Severity = Literal["error", "warning", "note"]
"""``error`` fails verification; ``warning`` fails only with ``--strict`` (RFC 8493 SHOULDs
and the like); ``note`` never fails (a second opinion that agreed, a check that was skipped)."""

RULES: dict[str, Rule] = {}

MAX_PER_CODE = 100
"""Findings of one code listed per target; the rest are counted in one more finding. A bag
whose manifest names 300,000 absent files is one problem told 300,000 times: the report stays
readable, and its size (and verify's memory) stays bounded whatever a bag holds."""


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    summary: str

    def __call__(self, file: str, message: str) -> Finding:
        """A finding of this rule about ``file`` (a path relative to the bag or archive)."""
        return Finding(self.code, self.severity, file, message)


def rule(code: str, severity: Severity, summary: str) -> Rule:
    """Declare a rule; a code may be declared only once in the whole program."""
    if code in RULES:
        raise ValueError(f"verify rule {code} declared twice")
    declared = Rule(code, severity, summary)
    RULES[code] = declared
    return declared


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    file: str
    """Path relative to the bag root (``data/objects/x.pdf``), or the archive or bag itself
    (``""``) when the finding concerns the whole."""
    message: str
    omitted: int = 0
    """Non-zero on the one finding that stands for this many more of its code, not listed."""

    def __post_init__(self) -> None:
        # names come from the bag: a line feed, a bidi override or an undecodable byte in one
        # must not forge a report line, reorder it, or break the UTF-8 (and JSON) output
        for name in ("file", "message"):
            object.__setattr__(self, name, printable(getattr(self, name)))

    def __str__(self) -> str:
        where = self.file or "(bag)"
        return f"{self.severity}: {self.code} {where}: {self.message}"

    @property
    def weight(self) -> int:
        """How many findings this one stands for."""
        return self.omitted or 1

    def as_dict(self) -> dict[str, str | int]:
        data: dict[str, str | int] = {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "message": self.message,
        }
        if self.omitted:
            data["omitted"] = self.omitted
        return data


def _omitted_message(code: str, count: int, cap: int) -> str:
    return f"{count:,} more {code} finding{'s' * (count != 1)}, not listed (at most {cap} per code)"


class Findings(list[Finding]):
    """A target's findings, at most ``cap`` per code; beyond that, one finding counts the rest.

    A list, so stages keep writing ``findings += found`` and ``findings.append(f)``; what goes
    over the cap is dropped as it arrives (memory stays bounded) and counted in the code's
    ``omitted`` finding, which follows the last one listed. Adding the findings of another
    :class:`Findings` carries its counts over.
    """

    def __init__(self, items: Iterable[Finding] = (), *, cap: int = MAX_PER_CODE):
        super().__init__()
        self.cap = cap
        self._listed: dict[str, int] = {}
        self._summary: dict[str, int] = {}  # code → index of its "omitted" finding
        self.extend(items)

    def __reduce__(self) -> tuple[object, tuple[list[Finding], int]]:
        """Pickled (to and from a worker process) as its findings and cap: rebuilt by adding
        them again, which keeps the counts (a list subclass's default appends too early)."""
        return (_rebuilt, (list(self), self.cap))

    def append(self, finding: Finding) -> None:
        if finding.omitted:
            self._omit(finding.code, finding.severity, finding.omitted)
        elif self._listed.get(finding.code, 0) >= self.cap:
            self._omit(finding.code, finding.severity, 1)
        else:
            self._listed[finding.code] = self._listed.get(finding.code, 0) + 1
            super().append(finding)

    def full(self, code: str) -> bool:
        """Whether findings of ``code`` are no longer listed (a check with many to report can
        then count them with :meth:`omit` instead of writing each message)."""
        return self._listed.get(code, 0) >= self.cap

    def omit(self, found: Rule, count: int = 1) -> None:
        """Count ``count`` more findings of ``found`` without listing them."""
        if count > 0:
            self._omit(found.code, found.severity, count)

    def _omit(self, code: str, severity: Severity, count: int) -> None:
        at = self._summary.get(code)
        if at is None:
            self._summary[code] = len(self)
            message = _omitted_message(code, count, self.cap)
            super().append(Finding(code, severity, "", message, count))
            return
        total = self[at].omitted + count
        message = _omitted_message(code, total, self.cap)
        super().__setitem__(at, Finding(code, severity, "", message, total))

    def extend(self, items: Iterable[Finding]) -> None:
        for finding in items:
            self.append(finding)

    def __iadd__(self, items: Iterable[Finding]) -> Findings:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, finding: Finding) -> None:
        self.append(finding)  # order within a code is arrival order; the cap needs one path

    def count_of(self, severity: Severity) -> int:
        """Findings of ``severity``, the unlisted ones included."""
        return sum(f.weight for f in self if f.severity == severity)


def _rebuilt(items: list[Finding], cap: int) -> Findings:
    return Findings(items, cap=cap)

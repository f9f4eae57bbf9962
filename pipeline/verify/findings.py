"""What a verification finds: rules with stable codes, and findings that name a file.

Every check of ``unfolio verify`` is a :class:`Rule` declared once, at module level, by the
module that performs it (``RULES`` here collects them all, so the table in docs/verify.md and the tests
that demand one failing fixture per code read one registry). A code, once released, keeps its
meaning for ever: a changed check gets a new code, a retired one is never reused.

Codes are ``BAG-…`` (RFC 8493 and the archive around a bag), ``PDF-…`` (the bagged PDF) and
``META-…`` (the profile, PREMIS and the agreement of bag-info, document.json, XMP and PREMIS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.errors import printable

Severity = Literal["error", "warning", "note"]
"""``error`` fails verification; ``warning`` fails only with ``--strict`` (RFC 8493 SHOULDs
and the like); ``note`` never fails (a second opinion that agreed, a check that was skipped)."""

RULES: dict[str, Rule] = {}


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

    def __post_init__(self) -> None:
        # names come from the bag: a line feed, a bidi override or an undecodable byte in one
        # must not forge a report line, reorder it, or break the UTF-8 (and JSON) output
        for name in ("file", "message"):
            object.__setattr__(self, name, printable(getattr(self, name)))

    def __str__(self) -> str:
        where = self.file or "(bag)"
        return f"{self.severity}: {self.code} {where}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "message": self.message,
        }

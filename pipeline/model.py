"""The validated document: plain, immutable data with no I/O.

``source`` builds these from a folder; every later stage reads them and nothing else.
Field names follow the ``document.json`` contract in DESIGN.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pipeline.symbols import Symbol, format_joint

Language = Literal["ar", "zh", "en", "fr", "ru", "es"]
Distribution = Literal["general", "limited", "restricted"]
DutyStation = Literal["new-york", "geneva", "vienna"]
OrganCode = Literal["GA", "SC", "ECOSOC", "HRC"]
PartKind = Literal["main", "annex", "enclosure"]

# The job-number prefix each duty station prints before "YY-NNNNN" (UN-FORMAT.md §4.1).
JOB_PREFIX: dict[str, str] = {"new-york": "", "geneva": "GE.", "vienna": "V."}
_JOB_DIGITS = re.compile(r"(\d{2})-(\d{5})$")


@dataclass(frozen=True)
class AgendaItem:
    item: str
    sub_item: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Organ:
    organ: OrganCode
    session: int | str | None = None  # GA/HRC: 75, or "ES-11" / "S-8"
    year: int | None = None  # SC/ECOSOC: calendar year
    agenda_items: tuple[AgendaItem, ...] = ()


@dataclass(frozen=True)
class Signature:
    name: str
    title: str | None = None


@dataclass(frozen=True)
class Part:
    kind: PartKind
    text: str  # file name inside the source folder
    markdown: str  # the file's text, exactly as read
    html: str  # the body rendered to an HTML fragment (no raw HTML, no images)
    heading: str | None = None
    title: str | None = None
    original_language: Language | None = None
    signature: Signature | None = None


@dataclass(frozen=True)
class SourceFile:
    """A file of the source folder, kept byte for byte so the package holds what was validated."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Document:
    symbols: tuple[Symbol, ...]
    language: Language
    original_languages: tuple[Language, ...]
    distribution: Distribution
    date: date
    duty_station: DutyStation
    organs: tuple[Organ, ...]
    title: str
    job_number: str
    parts: tuple[Part, ...]
    files: tuple[SourceFile, ...]  # document.json first, then the parts in order
    subtitle: str | None = None
    processing_dates: tuple[date, ...] = ()
    remarks: str | None = None

    @property
    def symbol(self) -> str:
        """The symbol as printed: joint symbols joined by an en dash."""
        return format_joint(self.symbols)

    @property
    def is_original_version(self) -> bool:
        """An original-language version leaves the masthead's version-language line blank."""
        return self.language in self.original_languages

    @property
    def job_digits(self) -> str:
        """The seven digits the Code 39 barcode carries: ``21-90001`` → ``2190001``."""
        match = _JOB_DIGITS.search(self.job_number)
        if match is None:  # source validation guarantees the form
            raise ValueError(f"job number {self.job_number!r} has no YY-NNNNN part")
        return match.group(1) + match.group(2)

    def organ(self, code: str) -> Organ | None:
        return next((o for o in self.organs if o.organ == code), None)

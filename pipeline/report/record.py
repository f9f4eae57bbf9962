"""The row of every report: one document or bag, what it is and how it fared."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """A problem or finding, as a report shows it."""

    code: str  # a verify code (BAG-OXUM); empty for a build's problem
    severity: str  # error, warning, note
    file: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        code = f"{self.code} " if self.code else ""
        return f"{self.severity}: {code}{where}{self.message}"


@dataclass(frozen=True)
class Record:
    """One document built or one bag verified.

    ``path`` is the bag or archive (None when nothing was written), ``digest`` the SHA-256 of
    the archive file, or of ``tagmanifest-sha512.txt`` for a folder bag (``sha256:<hex>``,
    the bag's digest wherever unfolio speaks of one).
    """

    path: str | None
    status: str  # build: built skipped invalid failed "not started"; verify: valid warnings invalid
    symbol: str | None = None
    language: str | None = None
    title: str | None = None
    pages: int | None = None
    size: int | None = None
    digest: str | None = None
    errors: int = 0
    warnings: int = 0
    seconds: float | None = None
    source: str | None = None  # build: the source folder as named
    passed: bool = True
    issues: tuple[Issue, ...] = field(default=())
    replaced: bool | None = None  # build: the bag replaced an older one at its name

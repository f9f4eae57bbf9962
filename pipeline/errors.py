"""Errors a user can act on.

Each stage raises these for bad input; ``cli`` turns them into one line per problem and
exit code 2. Anything else escaping a stage is a bug in unfolio and is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.model import forbidden_pattern

_UNPRINTABLE = forbidden_pattern()


def printable(text: str) -> str:
    """``text`` with every character of ``model.FORBIDDEN_CHARACTERS`` written as an escape.

    A message quotes what it found (a file name, a JSON key, a path given on the command
    line): a line feed there must not forge a second ``error:`` line, a bidi override must not
    reorder the terminal's line, and a lone surrogate must not crash the UTF-8 output.
    """
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what was expected.

    ``file``, ``message`` and ``pointer`` are kept printable (see :func:`printable`).
    """

    file: str
    message: str
    pointer: str | None = None  # JSON pointer into document.json ("/parts/0/text")
    line: int | None = None
    column: int | None = None

    def __post_init__(self) -> None:
        for name in ("file", "message", "pointer"):
            value = getattr(self, name)
            if isinstance(value, str) and _UNPRINTABLE.search(value):
                object.__setattr__(self, name, printable(value))

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.pointer is not None:
            where += f" at {self.pointer or '/'}"
        return where

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class UserError(Exception):
    """Bad input or usage (exit code 2). Carries every problem found, not only the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InvalidSource(UserError):
    """A document source folder failed validation."""

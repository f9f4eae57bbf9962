"""What an import carried over, read, changed and left behind: the import report.

Nothing leaves a Word file silently: every piece of text the source folder does not hold
(a comment, deleted text of a tracked change, a text box, hidden text, a field's code) is
named here with its text, every masthead value says where it was read or that it is still
to fill, and every change of form (a merged table header flattened, a heading level
lowered so that no level is skipped) is listed. The report is printed as warnings and, with
``--report FILE``, written as JSON.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

REPORT_VERSION = 1
#: Kinds of item, each with the short phrase the summary uses.
KINDS = {
    "read": "masthead value read",
    "to-fill": "value to fill",
    "not-carried": "not carried over",
    "changed": "changed in form",
}


@dataclass(frozen=True)
class Item:
    kind: str  # a key of KINDS
    what: str  # "image", "comment", "symbols", "table header", …
    where: str  # the part of the Word file: "word/document.xml, paragraph 12"
    detail: str  # what happened, with the text concerned
    text: str = ""  # the text not carried over or read, in full

    def line(self) -> str:
        return f"{self.where}: {self.what}: {self.detail}"


@dataclass
class Report:
    source: str
    items: list[Item] = field(default_factory=list)

    def add(self, kind: str, what: str, where: str, detail: str, text: str = "") -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown report kind {kind!r}")
        self.items.append(Item(kind, what, where, detail, text))

    def of(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]

    def summary(self) -> str:
        """One line for document.json's remarks: what was not carried over and what to fill."""
        counts = Counter(item.what for item in self.of("not-carried"))
        left = ", ".join(f"{n} {what}{'s' * (n != 1)}" for what, n in sorted(counts.items()))
        fill = ", ".join(item.what for item in self.of("to-fill"))
        text = f"Imported from the Word file {self.source}."
        if left:
            text += f" Not carried over: {left}."
        if fill:
            text += f" To fill: {fill}."
        return text

    def as_dict(self) -> dict[str, object]:
        from pipeline import __version__

        return {
            "report_version": REPORT_VERSION,
            "tool": f"unfolio {__version__}",
            "source": self.source,
            "items": [asdict(item) for item in self.items],
        }

"""Language families: the versions of one document agree on what they share.

The six language versions of a UN document are six bags with one ``Bag-Group-Identifier``
(the primary symbol). They differ in language, title and text, but not in what identifies
and places the document: its symbols, date, organs (with session or year), the numbers of its
agenda items and its distribution. ``unfolio verify`` given several bags of one family
compares those and names the version that departs from the others (the majority; on a tie,
the first given is the reference).

Each target contributes one small :class:`Member` (a few strings), kept while the other
targets are verified; the reports themselves can be streamed and dropped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.model import Document
from pipeline.verify.findings import Finding, rule

FAMILY = rule(
    "META-FAMILY",
    "error",
    "language versions of one document (one Bag-Group-Identifier) agree on what they share",
)


@dataclass(frozen=True)
class Member:
    """What one bag says its family shares."""

    target: str
    group: str
    language: str
    shared: tuple[tuple[str, str], ...]  # (what, value as text), in a fixed order


def _organs(document: Document) -> str:
    parts = []
    for organ in document.organs:
        when = organ.session if organ.session is not None else organ.year
        parts.append(f"{organ.organ} {when}" if when is not None else str(organ.organ))
    return "; ".join(parts)


def _agenda(document: Document) -> str:
    items = [
        f"{organ.organ} {item.item}{item.sub_item or ''}"
        for organ in document.organs
        for item in organ.agenda_items
    ]
    return "; ".join(items) or "none"


def member_of(target: str, document: Document, info: Sequence[tuple[str, str]]) -> Member | None:
    """The target's family record, or None when its bag-info names no single group."""
    groups = [value for label, value in info if label.lower() == "bag-group-identifier"]
    if len(groups) != 1:
        return None
    shared = (
        ("symbols", ", ".join(symbol.text for symbol in document.symbols)),
        ("date", document.date.isoformat()),
        ("organs", _organs(document)),
        ("agenda items", _agenda(document)),
        ("distribution", document.distribution),
    )
    return Member(target, groups[0], document.language, shared)


def check(members: Iterable[Member]) -> list[tuple[str, Finding]]:
    """(target, finding) for each member that departs from its family on a shared value."""
    families: dict[str, list[Member]] = defaultdict(list)
    for member in members:
        families[member.group].append(member)
    found = []
    for group, versions in families.items():
        if len({m.language for m in versions}) < 2:
            continue  # one language (copies of one version): nothing to compare
        for index, (what, _) in enumerate(versions[0].shared):
            values = [m.shared[index][1] for m in versions]
            counts = Counter(values)
            top = max(counts.values())
            reference = next(v for v in values if counts[v] == top)  # the first among equals
            agreeing = [m.language for m in versions if m.shared[index][1] == reference]
            for member, value in zip(versions, values, strict=True):
                if value == reference:
                    continue
                message = (
                    f"language family {group}: {what} {value!r} in the {member.language} "
                    f"version, {reference!r} in {', '.join(agreeing)}"
                )
                found.append((member.target, FAMILY("data/objects/source/document.json", message)))
    return found

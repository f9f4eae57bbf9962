"""Word list numbering (``w:numPr``) as the numbers Word draws.

The UN types paragraph numbers by hand ("1." and a tab); files from elsewhere (and Geneva's
ParaNoG style) let Word number them. A decimal first-level list becomes numbered paragraphs
(Markdown list items that keep their number), a bullet list bullets; any other number — a
heading's "I.", a sub-paragraph's "(a)" or "(ii)" — is written as the text Word shows, from
the level's ``w:lvlText`` and the counters of the levels above it.
"""

from __future__ import annotations

from lxml import etree

from pipeline.importer.ooxml import w
from pipeline.importer.report import Report
from pipeline.importer.styles import Role

_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letters(n: int) -> str:
    """1 → a, 26 → z, 27 → aa (Word repeats the letter)."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    if fmt in ("upperRoman", "lowerRoman"):
        text = _roman(n)
        return text.upper() if fmt == "upperRoman" else text
    if fmt in ("upperLetter", "lowerLetter"):
        text = _letters(n)
        return text.upper() if fmt == "upperLetter" else text
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("none", "bullet"):
        return ""
    return str(n)


class Numbering:
    """The numbers of a package's lists, counted in document order."""

    def __init__(self, numbering: etree._Element | None):
        self._levels: dict[tuple[str, int], tuple[str, int, str]] = {}  # fmt, start, text
        self._counters: dict[tuple[str, int], int] = {}
        if numbering is None:
            return
        abstract = {}
        for node in numbering.iter(w("abstractNum")):
            levels = {}
            for lvl in node.iter(w("lvl")):
                fmt, start, text = (
                    lvl.find(w("numFmt")),
                    lvl.find(w("start")),
                    lvl.find(w("lvlText")),
                )
                levels[int(lvl.get(w("ilvl"), "0"))] = (
                    fmt.get(w("val"), "decimal") if fmt is not None else "decimal",
                    int(start.get(w("val"), "1")) if start is not None else 1,
                    text.get(w("val"), "") if text is not None else "",
                )
            abstract[node.get(w("abstractNumId"))] = levels
        for num in numbering.iter(w("num")):
            ref = num.find(w("abstractNumId"))
            levels = abstract.get(ref.get(w("val")) if ref is not None else None, {})
            for level, spec in levels.items():
                self._levels[(num.get(w("numId")), level)] = spec

    def value(
        self, numpr: etree._Element, role: Role, where: str, report: Report
    ) -> tuple[int | None, Role, str]:
        """The paragraph's number (a decimal first-level list), its role (a bullet list
        makes bullets) and the label to write as text ("I.", "(a)"), else ""."""
        num = numpr.find(w("numId"))
        ilvl = numpr.find(w("ilvl"))
        num_id = num.get(w("val")) if num is not None else None
        level = int(ilvl.get(w("val"), "0")) if ilvl is not None else 0
        if num_id in (None, "0"):
            return None, role, ""
        fmt, start, _ = self._levels.get((num_id, level), ("decimal", 1, f"%{level + 1}."))
        if fmt == "bullet":
            return None, (role if role.role == "heading" else Role("bullet", level + 1)), ""
        key = (num_id, level)
        value = self._counters.get(key, start - 1) + 1
        self._counters[key] = value
        for other in list(self._counters):  # a deeper level restarts after a shallower one
            if other[0] == num_id and other[1] > level:
                del self._counters[other]
        if fmt == "decimal" and level == 0 and role.role != "heading":
            return value, role, ""
        label = self._label(num_id, level)
        if label:
            report.add(
                "changed",
                "list numbering",
                where,
                f"the Word list number {label!r} ({fmt}, level {level + 1}) written as text",
                label,
            )
        return None, role, label

    def _label(self, num_id: str, level: int) -> str:
        text = self._levels.get((num_id, level), ("decimal", 1, f"%{level + 1}."))[2]
        out = text
        for k in range(level, -1, -1):  # %1 … %9: the counter of each level, in its format
            k_fmt, k_start, _ = self._levels.get((num_id, k), ("decimal", 1, ""))
            count = self._counters.get((num_id, k), k_start)
            out = out.replace(f"%{k + 1}", format_number(count, k_fmt))
        return out.strip()

"""Write the blocks read from Word as the Markdown a part file holds (``pipeline/body.py``).

CommonMark with footnotes and tables, nothing else: every character Markdown could read as
markup is escaped, each paragraph is one line (a Word line break is a hard break), hand-typed
numbers ("1." and a tab) become ordered-list items that keep their number, bold and italic
become ``**`` and ``*``, links keep their http(s)/mailto target. Each paragraph is parsed back
with markdown-it and compared with the text it came from; where emphasis would not survive
(a delimiter next to punctuation inside a word), the paragraph is written without it and the
report says so, so the words are never changed. Tables become pipe tables: header rows are
flattened into one (a spanning head stands over the first of its columns), merged body cells keep
their text in the first cell, notes under a table (a last row spanning it) become paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from pipeline.importer.report import Report
from pipeline.importer.wordml import Cell, Inline, LineBreak, NoteRef, Paragraph, Span, Table

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_ESCAPE = re.compile(r"([\\`*_\[\]<>&|#~!])")
_LINE_START = re.compile(r"^(\s*)(>|=|[-+](?=\s|$|-)|\d{1,9}(?=[.)](?:\s|$)))")
_SPACES = re.compile(r"[ \t\u00a0]*\n[ \t\u00a0]*|[ \t]+")
_NUMBER = re.compile(r"^[\s\u00a0]*(\d{1,3})\.(?:[ \u00a0]*\t|[ \u00a0]+)\s*")


def escape(text: str) -> str:
    """``text`` with every character CommonMark could read as markup backslash-escaped."""
    return _ESCAPE.sub(r"\\\1", text)


def escape_line_start(line: str) -> str:
    """Escape what would open a block at the start of a line: ``-``, ``+``, ``>``, ``1.``."""
    match = _LINE_START.match(line)
    if not match:
        return line
    lead, token = match.group(1), match.group(2)
    rest = line[match.end() :]
    if token.isdigit():
        return f"{lead}{token}\\{rest}"
    return f"{lead}\\{token}{rest}"


@cache
def _checker() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _parsed_text(markdown: str) -> str:
    out = []
    for token in _checker().parse(markdown):
        for child in token.children or ():
            if child.type in ("text", "code_inline", "text_special"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append(" ")
    return " ".join("".join(out).split())


@dataclass
class Notes:
    """Footnotes called in one part, in call order, with their Markdown text."""

    texts: dict[tuple[str, str], str]  # (kind, Word id) → note text, already Markdown
    called: list[tuple[str, str]] = field(default_factory=list)

    def label(self, ref: NoteRef) -> str | None:
        key = (ref.kind, ref.note_id)
        if not self.texts.get(key):
            return None
        if key not in self.called:
            self.called.append(key)
        return ("" if ref.kind == "footnote" else "e") + ref.note_id

    def definitions(self) -> list[str]:
        lines = []
        for key in self.called:
            label = ("" if key[0] == "footnote" else "e") + key[1]
            lines.append(f"[^{label}]: {self.texts[key]}")
        return lines


class Writer:
    """Markdown for paragraphs and tables, reporting what changed form on the way."""

    def __init__(self, report: Report):
        self.report = report

    # -- inline -----------------------------------------------------------------------------

    def inline(
        self,
        inlines: list[Inline],
        notes: Notes | None,
        where: str,
        *,
        emphasis: bool = True,
        breaks: bool = True,
    ) -> str:
        """One paragraph's inline Markdown (a single line unless ``breaks``)."""
        text = self._inline(inlines, notes, where, emphasis, breaks)
        if emphasis and _has_emphasis(inlines):
            expected = " ".join(
                self._inline(inlines, notes, where, False, breaks, quiet=True)
                .replace("\\\n", " ")
                .split()
            )
            if _parsed_text(text) != _parsed_text(expected):
                self.report.add(
                    "changed",
                    "emphasis",
                    where,
                    "bold or italic left out: Markdown could not mark it here without "
                    "changing the text",
                )
                return self._inline(inlines, notes, where, False, breaks, quiet=True)
        return text

    def _inline(self, inlines, notes, where, emphasis, breaks, quiet=False) -> str:
        pieces: list[str] = []
        index = 0
        while index < len(inlines):
            item = inlines[index]
            if isinstance(item, NoteRef):
                label = notes.label(item) if notes is not None else None
                if label is not None:
                    pieces.append(f"[^{label}]")
                index += 1
                continue
            if isinstance(item, LineBreak):
                pieces.append("\\\n" if breaks else " ")
                index += 1
                continue
            group = [item]
            index += 1
            while (
                index < len(inlines)
                and isinstance(inlines[index], Span)
                and inlines[index].link == item.link
            ):
                group.append(inlines[index])
                index += 1
            pieces.append(self._linked(group, where, emphasis, quiet))
        text = "".join(pieces)
        lines = [escape_line_start(_SPACES.sub(" ", line).strip()) for line in text.split("\n")]
        return "\n".join(line for line in lines)

    def _linked(self, spans: list[Span], where: str, emphasis: bool, quiet: bool) -> str:
        inner = self._emphasised(spans, emphasis)
        target = spans[0].link
        if not target:
            return inner
        scheme = urlsplit(target).scheme.lower()
        if scheme not in LINK_SCHEMES or any(c in target for c in "<> \n"):
            if not quiet:
                self.report.add(
                    "changed", "link", where, f"link to {target[:80]!r} kept as text only"
                )
            return inner
        if not inner.strip():
            return inner
        lead = inner[: len(inner) - len(inner.lstrip())]
        tail = inner[len(inner.rstrip()) :]
        return f"{lead}[{inner.strip()}](<{target}>){tail}"

    def _emphasised(self, spans: list[Span], emphasis: bool) -> str:
        out = []
        runs: list[tuple[tuple[bool, bool], str]] = []
        for span in spans:
            key = (span.bold, span.italic) if emphasis else (False, False)
            if runs and runs[-1][0] == key:
                runs[-1] = (key, runs[-1][1] + span.text)
            else:
                runs.append((key, span.text))
        for (bold, italic), text in runs:
            text = text.replace("\t", " ")
            core = text.strip()
            if not core or not (bold or italic):
                out.append(escape(text))
                continue
            mark = "***" if bold and italic else "**" if bold else "*"
            lead = text[: len(text) - len(text.lstrip())]
            tail = text[len(text.rstrip()) :]
            out.append(f"{lead}{mark}{escape(core)}{mark}{tail}")
        return "".join(out)

    # -- blocks -----------------------------------------------------------------------------

    def heading(self, paragraph: Paragraph, level: int, notes: Notes) -> str:
        inlines = strip_leading(paragraph.inlines)
        text = self.inline(inlines, notes, paragraph.where, emphasis=False, breaks=False)
        return "#" * level + " " + text

    def table(self, table: Table, notes: Notes) -> tuple[str, list[Paragraph]]:
        """The pipe table, and the paragraphs of the notes row(s) under it."""
        width = max((sum(c.span for c in row) for row in table.rows), default=0)
        count = table.header_rows or 1
        head, body = table.rows[:count], table.rows[count:]
        body = [row for row in body if any(c.plain() for c in row)]
        after: list[Paragraph] = []
        while body and width > 1:
            filled = [c for c in body[-1] if c.plain()]
            if len(filled) != 1 or (filled[0].span < width and len(body[-1]) > 1):
                break
            after[:0] = [p for p in filled[0].paragraphs if p.plain().strip()]
            body.pop()
        if after:
            self.report.add(
                "changed",
                "table notes",
                table.where,
                "the notes in the table's last row are written as paragraphs under the table",
            )
        grids = [self._grid(row, width, notes, header=True) for row in head]
        merged = any(c.span > 1 or c.vmerge for row in head for c in row)
        if len([g for g in grids if any(g)]) > 1 or merged:
            self.report.add(
                "changed",
                "table header",
                table.where,
                f"{len(grids)} header row(s) with merged cells flattened into one row "
                "(a head spanning several columns stands over the first of them)",
            )
        header = []
        for column in range(width):
            texts: list[str] = []
            for grid in grids:
                value = grid[column]
                if value and (not texts or texts[-1] != value):
                    texts.append(value)
            header.append(" ".join(texts))
        rows = [self._grid(row, width, notes, header=False) for row in body]
        if any(c.span > 1 or c.vmerge == "restart" for row in body for c in row):
            self.report.add(
                "changed",
                "merged cells",
                table.where,
                "merged body cells split: the text stays in the first cell of the merge",
            )
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(_aligns(body, width)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines), after

    def _grid(self, row: list[Cell], width: int, notes: Notes, *, header: bool) -> list[str]:
        cells: list[str] = []
        for cell in row:
            text = " ".join(
                self.inline(
                    strip_leading(p.inlines), notes, p.where, breaks=False, emphasis=not header
                )
                for p in cell.paragraphs
                if p.plain().strip() or any(isinstance(i, NoteRef) for i in p.inlines)
            ).strip()
            if cell.vmerge == "continue":
                text = ""
            cells.append(text)
            cells.extend([""] * (cell.span - 1))
        cells = cells[:width] + [""] * (width - len(cells))
        return cells


def _aligns(rows: list[list[Cell]], width: int) -> list[str]:
    """``---:`` for a column whose filled cells are mostly right-aligned (figures)."""
    votes = [[0, 0] for _ in range(width)]
    for row in rows:
        column = 0
        for cell in row:
            if column < width and cell.plain():
                right = any(p.align in ("right", "end") for p in cell.paragraphs)
                votes[column][right] += 1
            column += cell.span
    return ["---:" if right > left else "---" for left, right in votes]


def _has_emphasis(inlines: list[Inline]) -> bool:
    return any(isinstance(i, Span) and (i.bold or i.italic) and i.text.strip() for i in inlines)


def strip_number(paragraph: Paragraph) -> tuple[int | None, list[Inline]]:
    """A hand-typed paragraph number ("12." and a tab) and the inlines after it."""
    text = paragraph.plain()
    match = _NUMBER.match(text)
    if not match or not text[match.end() :].strip():
        return None, paragraph.inlines
    return int(match.group(1)), drop_chars(paragraph.inlines, match.end())


def drop_chars(inlines: list[Inline], count: int) -> list[Inline]:
    """``inlines`` without their first ``count`` characters of text."""
    out: list[Inline] = []
    for item in inlines:
        if count > 0 and isinstance(item, Span):
            if len(item.text) <= count:
                count -= len(item.text)
                continue
            item = Span(item.text[count:], item.bold, item.italic, item.link)
            count = 0
        elif count > 0 and isinstance(item, LineBreak):
            count -= 1
            continue
        out.append(item)
    return out


def strip_leading(inlines: list[Inline]) -> list[Inline]:
    """Leading tabs and spaces (the UN indents headings with tabs) removed."""
    text = "".join(
        i.text if isinstance(i, Span) else "\n" for i in inlines if not isinstance(i, NoteRef)
    )
    return drop_chars(inlines, len(text) - len(text.lstrip(" \t\u00a0")))

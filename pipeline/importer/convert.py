"""From the blocks of a Word body to the parts of a source folder, and ``document.json``.

The body's front matter (session, agenda item, title, subtitle: the paragraphs before the
first body text) goes to the metadata; the rest is cut into parts where the document starts
an annex ("Annex", "Annex II", "Annexe", "Anexo", "Приложение", "附件", "المرفق": a heading, or
a paragraph after a page or section break), with the next heading as the annex title and an
"[Original: French]" line as its original language. Headings are numbered again in each part
so that none skips a level (the first is ``#``; a deeper Word heading is at most one level
below the heading before it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline import locale
from pipeline.importer import masthead
from pipeline.importer.markdown import Notes, Writer, drop_chars, strip_leading, strip_number
from pipeline.importer.masthead import LANGUAGES, Masthead, placeholder
from pipeline.importer.report import Report
from pipeline.importer.styles import FRONT_MATTER, Role
from pipeline.importer.wordml import Block, Body, Break, NoteRef, Paragraph, Table

# "Annex", "Annex II", "Annex I to the letter dated …", "Annexe à la lettre …", "Anexo I",
# "Приложение II", "…的附件一", "المرفق الأول"; "Enclosure" and its kin are enclosures. An
# "Annex table 1" heading is not an annex.
_ANNEX = re.compile(
    r"^(?:(?P<annex>Annex|Annexe|Anexo|Приложение)|(?P<enclosure>Enclosure|Pièce jointe|"
    r"Apéndice|Appendix|Добавление))(?:[\s\u00a0]+(?:[IVXLC]+|\d+|[A-Z]))?\*?"
    r"(?:[\s\u00a0]+(?:to|à|au|aux|de|del|a|la|к)\b.*)?$"
    r"|^(?:.*的)?(?P<zh>附件[一二三四五六七八九十]*)$|^(?P<ar>المرفق)(?:\s+\S+)?$",
    re.IGNORECASE,
)
MAX_HEADING_CHARS = 300


@dataclass
class PartText:
    kind: str
    name: str
    lines: list[str] = field(default_factory=list)
    heading: str | None = None
    title: str | None = None
    original_language: str | None = None


def front_matter(blocks: list[Block], report: Report) -> tuple[dict[str, str], list[Block]]:
    """The front-matter texts by role, and the blocks after them. A masthead table at the
    very start of the body (older files have no first-page header) is handed on as
    ``front["masthead"]``, its cell paragraphs one per line."""
    front: dict[str, str] = {}
    start = len(blocks)
    for index, block in enumerate(blocks):
        if isinstance(block, Break):
            continue
        if isinstance(block, Table) and not front and _is_masthead(block):
            lines = [  # a line break inside a cell parts lines, as a new paragraph does
                " ".join(line.split())
                for row in block.rows
                for cell in row
                for p in cell.paragraphs
                for line in p.plain().split("\n")
            ]
            front["masthead"] = "\n".join(line for line in lines if line)
            continue
        if (
            isinstance(block, Table)
            and not ({"title", "subtitle"} & front.keys())
            and _front_table(block, front, report)
        ):
            continue
        text = "" if isinstance(block, Table) else " ".join(block.plain().split())
        if text and _organ_name(text) and not ({"title", "subtitle"} & front.keys()):
            front["organ"] = text  # "Human Rights Council" above the session line
            continue
        guessed = None
        if text and block.role.role not in FRONT_MATTER and "subtitle" not in front:
            guessed = _front_line(block, text, front, blocks[index + 1 :])
            if guessed:
                report.add(
                    "changed",
                    "front matter",
                    block.where,
                    f"{text!r} (style {block.style or 'Normal'!r}) read as the {guessed} line",
                    text,
                )
        if guessed is None and (
            isinstance(block, Table) or (text and block.role.role not in FRONT_MATTER)
        ):
            start = index
            break
        if text:
            role = guessed or block.role.role
            front[role] = f"{front[role]} {text}" if role in front else text
    return front, blocks[start:]


def _front_table(table: Table, front: dict[str, str], report: Report) -> bool:
    """A joint document's session blocks side by side in a table ("General Assembly /
    Eightieth session / Agenda item 34" | "Security Council / Eighty-first year"): the
    General Assembly's or the Council's lines are read as front matter; a Security Council
    or ECOSOC block is printed from the organ's year. False, and nothing read, when the
    table is not such a block."""
    cells = [
        [p for p in cell.paragraphs if p.plain().strip()] for row in table.rows for cell in row
    ]
    cells = [c for c in cells if c]
    firsts = [_organ_name(" ".join(c[0].plain().split())) for c in cells]
    if not cells or None in firsts:
        return False
    for cell in cells:
        for p in cell[1:]:
            text = " ".join(p.plain().split())
            known = (
                p.role.role in FRONT_MATTER
                or masthead.agenda_line_language(text)
                or masthead.parse_session(text, "en") is not None
                or masthead.is_year_line(text)
            )
            if not known:
                return False
    for organ, cell in zip(firsts, cells, strict=True):
        texts = [" ".join(p.plain().split()) for p in cell]
        if organ in ("GA", "HRC"):
            front["organ"] = texts[0]
            for p, text in zip(cell[1:], texts[1:], strict=True):
                role = p.role.role if p.role.role in FRONT_MATTER else None
                if role is None:
                    role = "session" if "session" not in front else "agenda-item"
                front[role] = f"{front[role]} {text}" if role in front else text
        else:
            report.add(
                "changed",
                "session block",
                table.where,
                f"{' / '.join(texts)!r}: printed from the organ's year",
                " ".join(texts),
            )
    return True


def _front_line(block, text: str, front: dict[str, str], rest: list[Block]) -> str | None:
    """The front-matter role of a line Word gave no front-matter style (Geneva's files set
    the session block in plain paragraphs and the title in HChG): a session line, meeting
    dates, an agenda line and the agenda's title, between the organ and the session the
    subsidiary body, and after the session block an unnumbered heading as the title and a
    second, lower one as the subtitle."""
    if "session" not in front and masthead.parse_session(text, "en") is not None:
        return "session"
    if "session" in front and "meeting-dates" not in front and masthead.parse_date_range(text):
        return "meeting-dates"
    if "agenda-item" not in front and masthead.agenda_line_language(text):
        return "agenda-item"
    if "organ" in front and "session" not in front and "body" not in front:
        following = next((b for b in rest if not isinstance(b, Break)), None)
        if isinstance(following, Paragraph):
            after = " ".join(following.plain().split())
            if masthead.parse_session(after, "en") is not None:
                return "body"
    if not ({"session", "agenda-item"} & front.keys()) or not isinstance(block, Paragraph):
        return None
    numbered = re.match(r"\s*\S{1,8}\s*\t", block.plain()) or strip_number(block)[0]
    if numbered or text.casefold() in _NOT_TITLES:
        return None
    role = block.role
    if role.role == "heading" and "title" not in front:
        front["title-rank"] = str(role.level)
        return "title"
    if role.role == "heading" and "title-rank" in front:  # under a title read so
        return "subtitle" if role.level > int(front["title-rank"]) else None
    agenda = "agenda-item" in front and "agenda-title" not in front and "title" not in front
    if role.role == "paragraph" and agenda and len(text) <= MAX_HEADING_CHARS * 2:
        return "agenda-title"
    return None


_NOT_TITLES = frozenset(
    w.casefold()
    for w in (
        "Summary",
        "Résumé",
        "Resumen",
        "Резюме",
        "摘要",
        "موجز",
        "Contents",
        "Table des matières",
        "Índice",
        "Содержание",
        "目录",
        "المحتويات",
    )
)


# Where a note called from the front matter goes: the title's or the agenda line's "*" note.
_NOTE_FIELD = {
    "title": "title",
    "subtitle": "subtitle",
    "agenda-item": "agenda",
    "agenda-title": "agenda",
    "sponsors": "sponsors",
}
_TYPED_MARK = re.compile(r"^[*†‡§]+\s*")
MAX_NOTE_CHARS = 2000  # the schema's text limit


def front_notes(body: Body, front: list[Block], report: Report) -> dict[str, str]:
    """The notes the title, the subtitle and the agenda line call ("Agenda item 69*" /
    "* A/80/150."), as ``{"title": text, "subtitle": text, "agenda": text}``; they leave ``body.notes``, so no part calls them and
    none is reported left out. A note on the session line stays reported."""
    found: dict[str, list[str]] = {}
    for block in front:
        if not isinstance(block, Paragraph) or block.role.role not in _NOTE_FIELD:
            continue
        target = _NOTE_FIELD[block.role.role]
        for ref in (i for i in block.inlines if isinstance(i, NoteRef)):
            key = (ref.kind, ref.note_id)
            paragraphs = body.notes.get(key)
            if paragraphs is None:
                continue
            text = " ".join(" ".join(p.plain().split()) for p in paragraphs).strip()
            text = _TYPED_MARK.sub("", text)
            where = f"word/{ref.kind}s.xml, {ref.kind} {ref.note_id}"
            if not text or len(text) > MAX_NOTE_CHARS:
                continue  # left in body.notes: reported as not carried
            del body.notes[key]
            found.setdefault(target, []).append(text)
            field_name = f"{target}_note"
            report.add(
                "read", field_name, where, f"{text[:70]!r} (called from {block.where})", text
            )
            if not ref.mark and target != "sponsors":  # the sponsors' note keeps its number
                report.add(
                    "changed",
                    field_name,
                    where,
                    'a numbered note on the title or agenda line is called with "*", as the UN '
                    "calls these",
                    text,
                )
    notes = {}
    for target, texts in found.items():
        notes[target] = " ".join(texts)[:MAX_NOTE_CHARS]
        if len(texts) > 1:
            report.add(
                "changed",
                f"{target}_note",
                "word/footnotes.xml",
                f"{len(texts)} notes on one line are printed as one note",
            )
    return notes


def _organ_name(text: str) -> str | None:
    norm = text.casefold()
    for code in LANGUAGES:
        for organ, name in locale.get(code)._data["organs"].items():
            if " ".join(name.split()).casefold() == norm:
                return organ
    return None


def _is_masthead(table: Table) -> bool:
    labels = {
        " ".join(locale.get(code).united_nations_plain.split()).casefold() for code in LANGUAGES
    }
    return any(
        " ".join(p.plain().split()).casefold() in labels
        for row in table.rows[:2]
        for cell in row
        for p in cell.paragraphs
    )


class _Levels:
    """Word heading ranks to Markdown levels that never skip one."""

    def __init__(self) -> None:
        self.stack: list[int] = []

    def level(self, rank: int) -> int:
        while self.stack and self.stack[-1] >= rank:
            self.stack.pop()
        self.stack.append(rank)
        del self.stack[6:]
        return len(self.stack)


def build_parts(body: Body, blocks: list[Block], report: Report) -> list[PartText]:
    """The parts of the document, their Markdown written; notes no part calls are reported."""
    builder = _Parts(body, report)
    for block in blocks:
        builder.add(block)
    return builder.finish()


class _Parts:
    """Cuts the blocks into parts and writes each block's Markdown, keeping the state that
    spans blocks: the heading levels, the run of numbered paragraphs, a pending annex title."""

    def __init__(self, body: Body, report: Report):
        self.body = body
        self.report = report
        self.writer = Writer(report)
        self.note_texts = _note_texts(body, self.writer, report)
        self.parts = [PartText("main", "body.md")]
        self.notes = Notes(self.note_texts)
        self.all_notes = [self.notes]
        self.levels = _Levels()
        self.after_break = False
        self.pending_title = False
        self.last_number: int | None = None
        self.delimiter = "."
        self.last_was_item = False
        self.glyphs: set[str] = set()  # hand-typed bullet characters already reported

    @property
    def part(self) -> PartText:
        return self.parts[-1]

    def add(self, block: Block) -> None:
        if isinstance(block, Break):
            self.after_break = True
        elif isinstance(block, Table):
            self._table(block)
        else:
            self._paragraph(block)

    def finish(self) -> list[PartText]:
        self._close_part()
        called = {key for notes in self.all_notes for key in notes.called}
        for key, paragraphs in self.body.notes.items():
            text = " ".join(" ".join(p.plain().split()) for p in paragraphs).strip()
            if key not in called and text:
                self.report.add(
                    "not-carried",
                    key[0],
                    f"word/{key[0]}s.xml, {key[0]} {key[1]}",
                    f"{key[0]} called from the masthead or the session line, or never called, left "
                    f"out: {text[:70]!r}",
                    text,
                )
        for part in self.parts:
            if not any(line.strip() for line in part.lines):
                part.lines.append(placeholder("body text"))
                self.report.add("to-fill", part.name, part.name, "the part has no body text")
        return self.parts

    def _close_part(self) -> None:
        definitions = self.notes.definitions()
        if definitions:
            self.part.lines.append("\n".join(definitions))

    def _table(self, table: Table) -> None:
        markdown, after = _table(self.writer, table, self.notes, self.report)
        if not markdown and after:  # a box (the Summary): its paragraphs, each with its role
            self.last_was_item = self.pending_title = self.after_break = False
            for paragraph in after:
                self._paragraph(paragraph)
            self.last_was_item = False
            return
        if markdown:
            self.part.lines.append(markdown)
        if after:  # the notes of a table are one block, a line each, as in the table
            self.part.lines.append(
                "\\\n".join(
                    self.writer.inline(strip_leading(p.inlines), self.notes, p.where) for p in after
                )
            )
        self.last_was_item = self.pending_title = self.after_break = False

    def _paragraph(self, block: Paragraph) -> None:
        text = " ".join(block.plain().split())
        has_note = any(isinstance(i, NoteRef) for i in block.inlines)
        if not text and not has_note:
            return
        role = block.role
        kind = _annex_kind(text, role, self.after_break)
        self.after_break = False
        if kind is not None:
            self._start_part(kind, text)
            return
        if self.pending_title and self._annex_front(block, text, has_note):
            return
        self.pending_title = False
        if role.role in FRONT_MATTER:  # after the body text began: a heading like any other
            role = (
                Role("heading", 1 if role.role == "title" else 2)
                if role.role in ("title", "subtitle")
                else Role("paragraph")
            )
        if role.role == "skip":
            self.report.add(
                "not-carried",
                "page furniture",
                block.where,
                f"paragraph of style {block.style!r} left out: {text[:70]!r}",
                text,
            )
        elif role.role == "heading":
            level = self.levels.level(role.level or 1)
            self.part.lines.append(self.writer.heading(block, level, self.notes))
            self.last_was_item = False
        elif role.role == "bullet":
            self._bullet(block, role)
        elif not self._numbered(block, role):
            line = self.writer.inline(strip_leading(block.inlines), self.notes, block.where)
            if role.role == "quote":
                line = "> " + line.replace("\n", "\n> ")
            self.part.lines.append(line)
            self.last_was_item = False

    def _start_part(self, kind: str, heading: str) -> None:
        self._close_part()
        count = sum(p.kind == kind for p in self.parts) + 1
        self.parts.append(PartText(kind, f"{kind}-{count}.md", heading=heading))
        self.notes = Notes(self.note_texts)
        self.all_notes.append(self.notes)
        self.levels = _Levels()
        self.pending_title, self.last_was_item = True, False

    def _annex_front(self, block: Paragraph, text: str, has_note: bool) -> bool:
        """An "[Original: French]" line or the title under an annex heading."""
        original = _original_marker(text)
        if original is not None:
            self.part.original_language = original
            self.report.add(
                "read",
                "original_language",
                block.where,
                f"annex original language {text!r} → {original!r}",
                text,
            )
            return True
        if (
            block.role.role in ("heading", "title", "subtitle")
            and self.part.title is None
            and len(text) <= MAX_HEADING_CHARS
            and not has_note
        ):
            self.part.title = text
            return True
        return False

    def _bullet(self, block: Paragraph, role: Role) -> None:
        indent = "  " * max(role.level - 1, 0)
        inlines = strip_leading(block.inlines)
        glyph = re.match(r"[•·▪◦‣\-–]\s*\t\s*", block.plain().lstrip(" \t"))
        if glyph:  # a bullet typed by hand before the tab: the list draws its own
            inlines = strip_leading(drop_chars(inlines, glyph.end()))
            typed = glyph.group(0).strip()
            if typed not in self.glyphs:  # once per character, so that no text goes unsaid
                self.glyphs.add(typed)
                self.report.add(
                    "changed",
                    "bullet",
                    block.where,
                    f"the bullet {typed!r} typed before the text is left off: the list draws "
                    "its own",
                    typed,
                )
        line = self.writer.inline(inlines, self.notes, block.where)
        self.part.lines.append(f"{indent}- {_indent_lines(line, len(indent) + 2)}")
        self.last_was_item = False

    def _numbered(self, block: Paragraph, role: Role) -> bool:
        """Write a numbered paragraph as a list item that keeps its number; False if the
        paragraph has no number."""
        number, inlines = strip_number(block)
        if number is None and block.numbered is not None:
            number, inlines = block.numbered, block.inlines
        if number is None or role.role not in ("paragraph", "footnote", "quote"):
            return False
        if not self.last_was_item:
            self.delimiter = "."
        elif self.last_number is not None and number != self.last_number + 1:
            # CommonMark numbers a list's items itself: a new list (other delimiter) keeps it
            self.delimiter = ")" if self.delimiter == "." else "."
            self.report.add(
                "changed",
                "paragraph numbers",
                block.where,
                f"paragraph {number} follows paragraph {self.last_number}: a new numbered "
                f'list starts here ("{number}{self.delimiter}") so that the number is kept',
                f"{number}.",
            )
        line = self.writer.inline(strip_leading(inlines), self.notes, block.where)
        marker = f"{number}{self.delimiter} "
        self.part.lines.append(marker + _indent_lines(line, len(marker)))
        self.last_number, self.last_was_item = number, True
        return True


def _indent_lines(text: str, width: int) -> str:
    """Continuation lines of a list item indented under its text."""
    return text.replace("\n", "\n" + " " * width)


def _table(writer: Writer, table: Table, notes: Notes, report: Report):
    width = max((sum(c.span for c in row) for row in table.rows), default=0)
    if width <= 1:  # a one-column table is a box around paragraphs
        paragraphs = [
            p for row in table.rows for c in row for p in c.paragraphs if p.plain().strip()
        ]
        if paragraphs:
            report.add(
                "changed", "table", table.where, "a one-column table (a box) written as paragraphs"
            )
        return "", paragraphs
    return writer.table(table, notes)


def _annex_kind(text: str, role: Role, after_break: bool) -> str | None:
    if len(text) > MAX_HEADING_CHARS:
        return None
    match = _ANNEX.match(text)
    if match is None:
        return None
    if not (after_break or role.role in ("heading", "title", "subtitle")):
        return None
    return "enclosure" if match.group("enclosure") else "annex"


def _original_marker(text: str) -> str | None:
    for code in LANGUAGES:
        loc = locale.get(code)
        for language in LANGUAGES:
            if " ".join(loc.annex_original_marker(language).split()) == text:
                return language
    return None


def _note_texts(body: Body, writer: Writer, report: Report) -> dict[tuple[str, str], str]:
    texts = {}
    for key, paragraphs in body.notes.items():
        pieces = []
        for paragraph in paragraphs:
            line = writer.inline(
                strip_leading(paragraph.inlines), None, paragraph.where, breaks=False
            )
            if line.strip():
                pieces.append(line.strip())
        text = " ".join(pieces)
        mark = re.match(r"^(?:\\\*|[†‡§])+\s+", text)  # a custom mark typed by hand ("*")
        if mark and text[mark.end() :]:
            text = text[mark.end() :]
        if not text:
            report.add(
                "not-carried",
                f"empty {key[0]}",
                f"word/{key[0]}s.xml",
                f"{key[0]} {key[1]} has no text; its call is left out",
            )
        elif key[0] == "endnote":
            report.add(
                "changed",
                "endnote",
                f"word/endnotes.xml, endnote {key[1]}",
                "an endnote is written as a footnote",
            )
        texts[key] = text
    return texts


def document_json(
    masthead: Masthead,
    parts: list[PartText],
    report: Report,
    notes: dict[str, str] | None = None,
) -> dict:
    values = masthead.values
    notes = notes or {}
    if "agenda" in notes:
        organ = next((o for o in values.get("organs", []) if o.get("agenda_items")), None)
        if organ is not None:
            organ["agenda_note"] = notes["agenda"]
        else:
            report.add(
                "not-carried",
                "agenda_note",
                "word/footnotes.xml",
                f"no agenda item was read, so its note has no line to be called from: "
                f"{notes['agenda'][:70]!r}",
                notes["agenda"],
            )
    if "sponsors" in notes:
        if "sponsors" in values:
            values = {**values, "sponsors": {**values["sponsors"], "note": notes["sponsors"]}}
        else:
            report.add(
                "not-carried",
                "sponsors_note",
                "word/footnotes.xml",
                f"the sponsors line was not read, so its note is left: {notes['sponsors'][:70]!r}",
                notes["sponsors"],
            )
    for key in ("title", "subtitle"):
        if key in notes and key in values:
            # a mark typed in a run of its own stays in the text: the call prints it
            text = str(values[key]).rstrip("*").rstrip() or str(values[key])
            values = {**values, key: text, f"{key}_note": notes[key]}
    meta: dict[str, object] = {}
    for key in (
        "symbols",
        "language",
        "original_languages",
        "distribution",
        "date",
        "duty_station",
        "organs",
        "sponsors",
        "title",
        "subtitle",
        "title_note",
        "subtitle_note",
        "job_number",
        "processing_dates",
    ):
        if key in values:
            meta[key] = values[key]
    meta["parts"] = []
    for part in parts:
        spec: dict[str, object] = {"kind": part.kind, "text": part.name}
        if part.heading:
            spec["heading"] = part.heading
        if part.original_language:
            spec["original_language"] = part.original_language
        if part.title:
            spec["title"] = part.title
        meta["parts"].append(spec)  # type: ignore[union-attr]
    meta["remarks"] = report.summary()[:2000]
    return meta


def part_text(part: PartText) -> str:
    return "\n\n".join(line for line in part.lines if line.strip()) + "\n"


def font_gaps(files: dict[str, bytes], language: object, report: Report) -> None:
    """Name each character of the parts that the fonts of ``language`` do not draw: build
    refuses such a source, so the import says where to replace it (it is kept, not guessed)."""
    if language not in LANGUAGES:
        return
    from pipeline.typeset import coverage

    have = coverage.covered(str(language))
    for name, data in files.items():
        if not name.endswith(".md"):
            continue
        text = data.decode("utf-8")
        for char in dict.fromkeys(text):
            if ord(char) in have or char in "\t\n\r\u00ad\u200b\u200c\u200d\u2060\ufeff":
                continue
            line = text[: text.index(char)].count("\n") + 1
            report.add(
                "to-fill",
                "character",
                f"{name}, line {line}",
                f"U+{ord(char):04X} {char!r} is not in the {language} fonts, so build refuses "
                f"it: replace it in {name} (it occurs {text.count(char)} time"
                f"{'s' * (text.count(char) != 1)})",
                char,
            )

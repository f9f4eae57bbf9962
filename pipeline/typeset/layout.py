"""Document → HTML: the template context (masthead strings, symbol split, furniture) and Jinja2.

Everything printed comes from the ``Document`` and ``pipeline.locale``; the template and the
stylesheets in ``styles/`` decide where it goes. The HTML names no file: the emblem, the
recycling mark, the barcode and the QR code are inlined as ``data:`` URIs, so the renderer's
fetcher has nothing to read but the pinned fonts.
"""

from __future__ import annotations

import base64
import html as html_module
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from pipeline import locale
from pipeline.model import Document, Part
from pipeline.resources import style_file, styles_dir
from pipeline.symbols import undocs_url
from pipeline.typeset import scripts, typography

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "document.html.j2"
# BCP 47 tags for the html lang attribute and the PDF's /Lang (see locale.BCP47).
LANG_TAGS = locale.BCP47
# Page geometry class per duty station (the @page rules live in styles/css/geometry.css).
GEOMETRY = {"new-york": "letter", "geneva": "a4", "vienna": "a4"}

# A heading's leading number goes into the gutter: "I.", "A.", "1.", "(a)", "a)", "(i)".
_HEADING_NUMBER = re.compile(
    r"<h([1-6])>((?:[IVXLC]+|[A-Z]|\d+)\.|\([a-z]{1,4}\)|[a-z]{1,4}\))[ \u00a0]+"
)
_HEADING_OPEN = re.compile(r"<h([1-6])([\s>])")
# The opening tags of ordered lists and list items, as markdown-it writes them.
_OL_OPEN = re.compile(r"<ol(\s[^>]*)?>")
_LI_OPEN = re.compile(r"<li(\s[^>]*)?>(\s*<p>)?")
_START = re.compile(r'\sstart="\s*([+-]?\d+)\s*"')
_VALUE = re.compile(r'\svalue="\s*([+-]?\d+)\s*"')
# Tables as markdown-it writes them (never nested), tags, and a word no column can hold.
_TABLE = re.compile(r"<table>.*?</table>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
LONG_WORD = 50  # characters without a break opportunity; a cell is a fraction of 6 inches
_LONG_WORD = re.compile(rf"[^\s\u200b\u00ad-]{{{LONG_WORD + 1},}}")


def default_emblem() -> Path:
    return styles_dir() / "emblem-placeholder.svg"


@dataclass(frozen=True)
class StarNote:
    """A note of the masthead, sponsors line or title: the UN calls these with asterisks
    ("*", then "**"…), apart from the body's numbered notes (docs/un-format-additions.md)."""

    mark: str
    text: str


@dataclass(frozen=True)
class Line:
    text: str
    kind: str  # CSS class: organ, session, committee, agenda, agenda-title, hrc-body, ...
    keep: int = 0  # the last ``keep`` characters are set unbreakable (never alone on a line)
    note: StarNote | None = None  # called after the line (the agenda line's "*")

    @property
    def head(self) -> str:
        return self.text[: len(self.text) - self.keep]

    @property
    def tail(self) -> str:
        return self.text[len(self.text) - self.keep :]


# Chinese breaks between any two ideographs: the last two characters of an agenda title stay
# together, so no line holds one character alone (issue 13: "作" stood alone).
CJK_KEEP = 2


@cache
def _environment(styles: Path | None = None) -> jinja2.Environment:
    import jinja2  # here, not at the top: ``validate`` reads the printed lines, never renders

    folders = [str(styles_dir() / "templates")]
    if styles is not None:
        folders.insert(0, str(Path(styles) / "templates"))  # the overlay's templates first
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def _svg_uri(path: Path) -> str:
    data = path.read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


@cache
def _recycle_uri(styles: Path | None = None) -> str:
    return _svg_uri(style_file("recycle.svg", styles))


def build_html(
    document: Document, *, emblem: Path | None = None, styles: Path | None = None
) -> str:
    """The complete HTML of ``document``, ready for ``engine.render``; ``styles`` is an overlay
    folder whose templates and images replace the shipped ones of the same name."""
    template = _environment(styles).get_template(TEMPLATE)
    html = template.render(context(document, emblem=emblem, styles=styles))
    return scripts.mark_html(html, LANG_TAGS[document.language])  # language spans (PDF/UA 7.2)


def context(
    document: Document, *, emblem: Path | None = None, styles: Path | None = None
) -> dict[str, object]:
    """The template context; every string in it is plain text (the template escapes it)."""
    from pipeline.typeset import furniture  # the barcode and QR libraries: only to render

    doc = document
    loc = locale.get(doc.language)
    emblem_path = emblem or style_file("emblem-placeholder.svg", styles)
    return {
        "lang": doc.language,
        "lang_tag": LANG_TAGS[doc.language],
        "direction": loc.direction,
        "station": doc.duty_station,
        "geometry": GEOMETRY[doc.duty_station],
        "title": typography.apply(doc.title, doc.language),
        "title_note": star_notes(doc).get("title"),
        "subtitle_note": star_notes(doc).get("subtitle"),
        "subtitle": doc.subtitle and typography.apply(doc.subtitle, doc.language),
        "symbols": [s.text for s in doc.symbols],
        "symbol_parts": [s.masthead_split for s in doc.symbols],
        "running_symbol": doc.symbol,
        "united_nations": loc.united_nations,
        # what a reader says for the label when it is printed stretched (Arabic kashida)
        "united_nations_said": (
            loc.united_nations_plain if loc.united_nations != loc.united_nations_plain else ""
        ),
        "organ_names": [loc.organ_masthead_name(masthead_organ(o.organ)) for o in doc.organs],
        "distribution": loc.distribution_block(
            doc.distribution, doc.date, doc.original_languages, doc.is_original_version
        ),
        "block_lang_tag": LANG_TAGS[_block_language(doc.language)],
        "session_style": _session_style(doc),
        "session_columns": session_columns(doc),
        "committee_line": committee_line(doc),
        "is_draft": is_draft(doc),
        "sponsors": sponsors(doc),
        "parts": [_part(doc, part, index) for index, part in enumerate(doc.parts)],
        "job_bare": doc.job_number,
        "job_line": f"{doc.job_number} ({loc.job_letter})",
        "processing_dates": [d.strftime("%d%m%y") for d in doc.processing_dates],
        "barcode_uri": furniture.data_uri(furniture.barcode_svg(doc.job_digits)),
        "barcode_text": furniture.barcode_text(doc.job_digits),
        "qr_uri": furniture.data_uri(furniture.qr_svg(undocs_url(doc.symbols[0], doc.language))),
        "please_recycle": loc.please_recycle,
        "recycle_uri": _recycle_uri(styles),
        "emblem_uri": _svg_uri(Path(emblem_path)),
        "emblem_alt": loc.emblem_alt,
    }


def _block_language(language: str) -> str:
    """The language the distribution block is printed in: English for ar, ru and zh."""
    return language if language in ("en", "fr", "es") else "en"


def masthead_organ(code: str) -> str:
    """An HRC document prints "General Assembly" in the masthead (UN-FORMAT.md §3.1)."""
    return "GA" if code == "HRC" else code


def _session_style(doc: Document) -> str:
    if len(doc.organs) > 1:
        return "joint"
    return "geneva" if doc.organs[0].organ == "HRC" else "single"


# A Main Committee's documents carry its number in the symbol: A/C.2/80/L.2.
_MAIN_COMMITTEE = re.compile(r"A/C\.([1-6])/")


def main_committee(doc: Document) -> int | None:
    """The General Assembly Main Committee (1-6) a symbol of the document names, if any."""
    for symbol in doc.symbols:
        match = _MAIN_COMMITTEE.match(symbol.text)
        if match:
            return int(match.group(1))
    return None


def committee_line(doc: Document) -> str | None:
    """The session block's committee line ("Second Committee"), derived from the symbol."""
    number = main_committee(doc)
    return None if number is None else locale.get(doc.language).main_committee(number)


_DRAFT = re.compile(r"/L\.[1-9]")


def is_draft(doc: Document) -> bool:
    """A draft (an L. document) is laid out as one: operative paragraphs indented, the title
    at 12 pt, "The General Assembly," in italics (docs/un-format-additions.md)."""
    return any(_DRAFT.search(s.text) for s in doc.symbols)


def star_notes(doc: Document) -> dict[str, StarNote]:
    """The asterisk notes by where they are called ("agenda-0", "sponsors", "title",
    "subtitle"), marked "*", "**"… in the order they are printed."""
    notes = [
        (f"agenda-{i}", organ.agenda_note)
        for i, organ in enumerate(doc.organs)
        if organ.agenda_note and organ.agenda_items
    ]
    if doc.sponsors is not None and doc.sponsors.note:
        notes.append(("sponsors", doc.sponsors.note))
    if doc.title_note:
        notes.append(("title", doc.title_note))
    if doc.subtitle_note and doc.subtitle:
        notes.append(("subtitle", doc.subtitle_note))
    return {
        key: StarNote("*" * n, typography.apply(text, doc.language))
        for n, (key, text) in enumerate(notes, 1)
    }


@dataclass(frozen=True)
class SponsorsLine:
    before: str  # "Palau:" (the footnote call follows)
    after: str  # " draft resolution"
    note: str | None
    mark: str = "*"

    @property
    def text(self) -> str:
        return self.before + self.after


def sponsors(doc: Document) -> SponsorsLine | None:
    """The sponsors line printed above a draft's title, with its footnote."""
    if doc.sponsors is None:
        return None
    lang = doc.language
    before, after = locale.get(lang).sponsors_line(doc.sponsors.names)
    note = star_notes(doc).get("sponsors")
    return SponsorsLine(
        typography.apply(before, lang),
        typography.apply(after, lang),
        note and note.text,
        note.mark if note else "*",
    )


def session_columns(doc: Document) -> list[list[Line]]:
    """The block under the masthead: one column per organ of a joint document, else one."""
    loc = locale.get(doc.language)
    joint = len(doc.organs) > 1
    committee = committee_line(doc)
    notes = star_notes(doc)
    columns = []
    for index, organ in enumerate(doc.organs):
        lines: list[Line] = []
        if organ.organ == "HRC":
            lines.append(Line(loc.organ_name("HRC"), "hrc-body"))
        if organ.body:
            lines.append(Line(typography.apply(organ.body, doc.language), "sub-body"))
        elif joint:
            lines.append(Line(loc.organ_name(organ.organ), "organ"))
        if organ.organ in ("GA", "HRC") and organ.session is not None:
            lines.append(Line(loc.session_line(organ.session), "session"))
        if organ.organ == "GA" and committee is not None:
            lines.append(Line(committee, "committee"))
        if organ.meeting_dates:
            lines.append(Line(loc.date_range(*organ.meeting_dates), "meeting-dates"))
        elif organ.organ == "SC" and organ.year is not None:
            lines.append(Line(loc.sc_year_line(organ.year), "session"))
        elif organ.organ == "ECOSOC" and organ.year is not None:
            lines.append(Line(loc.ecosoc_session_line(organ.year), "session"))
        if organ.agenda_items:
            items = [(a.item, a.sub_item) for a in organ.agenda_items]
            line = loc.agenda_item_line(items, organ=organ.organ)
            lines.append(Line(line, "agenda", note=notes.get(f"agenda-{index}")))
            keep = CJK_KEEP if doc.language == "zh" else 0
            lines += [
                Line(typography.apply(a.title, doc.language), "agenda-title", keep)
                for a in organ.agenda_items
                if a.title
            ]
        columns.append(lines)
    return columns


def _part(doc: Document, part: Part, index: int) -> dict[str, object]:
    loc = locale.get(doc.language)
    marker = loc.annex_original_marker(part.original_language) if part.original_language else None
    signature = None
    if part.signature is not None:
        signed = typography.apply(loc.signed(part.signature.name), doc.language)
        title = part.signature.title and typography.apply(part.signature.title, doc.language)
        if doc.language == "zh":  # the title line first, then "Name(签名)" (as in the seed)
            signature = [*([title] if title else []), signed]
        else:
            signature = [signed, *([title] if title else [])]

    def typeset(text: str | None) -> str | None:
        return text and typography.apply(text, doc.language)

    html = typography.apply_html(part.html, doc.language)
    if part.kind == "main" and is_draft(doc):
        html = _mark_opening(html, typography.apply(loc.draft_opening, doc.language))
    return {
        "kind": part.kind,
        "heading": typeset(part.heading),
        "title": typeset(part.title),
        "marker": marker if part.kind != "main" else None,
        "signature": signature,
        "html": Markup(_breakable_tables(_list_numbers(_heading_levels(_gutter_numbers(html))))),
    }


def _mark_opening(html: str, opening: str) -> str:
    """Class the draft's "The General Assembly," paragraph (printed in italics)."""
    first = f"<p>{html_module.escape(opening, quote=False)}</p>"
    if html.lstrip().startswith(first):
        return html.replace(first, f'<p class="draft-opening">{first[3:]}', 1)
    return html


def _breakable_tables(html: str) -> str:
    """Let a table with a word too long for any column break that word anywhere.

    The page breaks an over-long word only where a line has no other break
    (``overflow-wrap: break-word`` on the body), which a table does not consult when it sizes
    its columns: a cell holding a 500-character token (model.MAX_WORD_CHARS) would push the
    table off the page.
    ``anywhere`` makes the table consult it, at the price of narrower columns (words of the
    other cells may break too), so it is set only on the tables that need it.
    """

    def table(match: re.Match[str]) -> str:
        text = html_module.unescape(_TAG.sub(" ", match.group(0)))
        if not _LONG_WORD.search(text):
            return match.group(0)
        return '<table style="overflow-wrap: anywhere">' + match.group(0)[len("<table>") :]

    return _TABLE.sub(table, html)


def _heading_levels(html: str) -> str:
    """Give each Markdown heading its level in the document: the title and the annex headings
    are level 1, so ``#`` is level 2, ``##`` level 3… (``aria-level``, which the tagged PDF's
    ``H1``-``H6`` follow, and ``bookmark-level``, the outline's; the HTML element, and so its
    style, stays as Markdown wrote it)."""

    def level(match: re.Match[str]) -> str:
        n = min(int(match.group(1)) + 1, 6)
        # the PDF outline (bookmarks) nests like the structure: WeasyPrint's own sheet would
        # put a "#" heading at bookmark level 1, beside the document title
        return f'<h{match.group(1)} aria-level="{n}" style="bookmark-level: {n}"{match.group(2)}'

    return _HEADING_OPEN.sub(level, html)


def _gutter_numbers(html: str) -> str:
    """Wrap a heading's leading number in a span so CSS can hang it in the gutter."""
    return _HEADING_NUMBER.sub(r'<h\1><span class="num">\2</span>', html)


def _list_numbers(html: str) -> str:
    """Make the paragraph-number counter follow ``<ol start>`` and ``<li value>``.

    WeasyPrint maps these attributes to counters only with presentational hints, which
    unfolio leaves off, so they are written here as inline counter styles: after a heading the
    Markdown "5. text" gives ``<ol start="5">`` and the numbers continue instead of restarting
    at 1. A list item whose text is in a ``<p>`` (a loose list) is marked ``lead-p``: its number
    goes into that paragraph's first line (CSS), never into a line of its own.
    """

    def ol(match: re.Match[str]) -> str:
        attrs = match.group(1) or ""
        start = _START.search(attrs)
        if start is None or "style=" in attrs:
            return match.group(0)
        return f'<ol{attrs} style="counter-reset: list-item {int(start.group(1)) - 1}">'

    def li(match: re.Match[str]) -> str:
        attrs, paragraph = match.group(1) or "", match.group(2) or ""
        value = _VALUE.search(attrs)
        if value is not None and "style=" not in attrs:
            attrs += (
                f' style="counter-set: list-item {int(value.group(1))}; counter-increment: none"'
            )
        if paragraph and "class=" not in attrs:
            attrs += ' class="lead-p"'
        return f"<li{attrs}>{paragraph}"

    return _LI_OPEN.sub(li, _OL_OPEN.sub(ol, html))

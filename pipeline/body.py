"""Body text: CommonMark (with footnotes and tables) to an HTML fragment for the templates.

A UN document body is text: raw HTML is shown as text, images are refused, and links must
point at the web (``http``, ``https``, ``mailto``) so nothing in a PDF can name a local file.
Footnotes are rendered in place as ``<span class="footnote">`` for WeasyPrint's
``float: footnote``, so they land at the foot of the page that calls them, as in UN documents.

A heading that skips a level (``###`` straight after ``#``, or a part whose first heading is
not ``#``) is refused with its line: the tagged PDF's headings must skip none.

Nothing the author wrote may be lost or changed on the way, so these are refused too, each
with its line: a character reference (``&#x202E;``, ``&NewLine;``…) that decodes to a
character no text may carry (``model.FORBIDDEN_CHARACTERS``); lists, block quotes, tables,
emphasis and links nested more than ``model.MAX_NESTING`` deep (markdown-it silently drops
what lies beyond its own nesting limit, and WeasyPrint recurses once per level); a footnote
defined twice (markdown-it keeps the last), never called (markdown-it drops it) or without
text (it would print a bare number); a footnote that calls another footnote; and more than
``model.MAX_FOOTNOTES`` footnote calls in one part (WeasyPrint lays out all of a page's notes
again for each new one, so thousands of notes take minutes; the limit is several times any
real UN document's count).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from pipeline.model import MAX_FOOTNOTES, MAX_NESTING, MAX_WORD_CHARS, forbidden_pattern

ALLOWED_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_URL_CHARS = 8192  # characters of a link target; far above any real URL, far below PDF/A's cap
# markdown-it's own limit stays well above MAX_NESTING (a list level is two token levels, a
# table four), so anything it would drop is refused by _nesting() first.
PARSER_MAX_NESTING = 3 * MAX_NESTING
_CONTAINERS = frozenset(
    {"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"}
    | {"em_open", "strong_open", "link_open", "s_open"}
)
_FORBIDDEN = forbidden_pattern(body=True)
# A run of characters with no line-break opportunity: not a breaking space (NO-BREAK SPACE,
# FIGURE SPACE and NARROW NO-BREAK SPACE join words), soft hyphen, ZWSP, hyphen or dash, nor a
# CJK character (CJK text has no spaces: each ideograph is a break opportunity).
_UNBREAKABLE = re.compile(
    "[^ \t\n\r\f\v\u1680\u2000-\u2006\u2008-\u200a\u205f\u3000"  # breaking spaces
    "\u00ad\u200b\u2010-\u2014\\-"  # soft hyphen, ZWSP, hyphens and dashes
    "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
    f"{{{MAX_WORD_CHARS + 1},}}"
)


@dataclass(frozen=True)
class MarkupProblem:
    line: int | None  # 1-based line in the part file
    message: str


class MarkupError(ValueError):
    def __init__(self, problems: Sequence[MarkupProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "maxNesting": PARSER_MAX_NESTING})
    md.enable("table").use(footnote_plugin)
    # Let every link through the parser so that a refused one is reported, not silently
    # left as text; _check() decides.
    md.validateLink = lambda url: True
    md.core.ruler.before("footnote_tail", "unfolio_footnote_definitions", _audit_definitions)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    return md


def to_html(markdown: str) -> str:
    """Render one part's Markdown; raise MarkupError listing every refused construct."""
    md = _parser()
    env: dict = {}
    tokens = md.parse(markdown, env)
    problems = [*env.get("unfolio_problems", []), *_nesting(tokens), *_heading_jumps(tokens)]
    if not problems:  # a part nested too deeply is not worth walking further
        problems += _check_tokens(tokens)
    if problems:
        raise MarkupError(sorted(problems, key=lambda p: p.line or 0))
    body, notes = _split_footnotes(tokens)
    env["unfolio_footnotes"] = {
        note_id: md.renderer.render(note_tokens, md.options, env).strip()
        for note_id, note_tokens in notes.items()
    }
    return md.renderer.render(body, md.options, env)


def _line(token: Token, default: int | None = None) -> int | None:
    return token.map[0] + 1 if token.map else default


def _nesting(tokens: list[Token]) -> Iterator[MarkupProblem]:
    """Refuse containers nested deeper than MAX_NESTING (once, at the first that is)."""
    depth, line = 0, None
    for token in tokens:
        line = _line(token, line)
        if token.level >= PARSER_MAX_NESTING - 1:  # markdown-it may have dropped text here
            yield _too_deep(line)
            return
        depth += _step(token)
        if depth > MAX_NESTING:
            yield _too_deep(line)
            return
        inline = depth
        for child in token.children or ():
            inline += _step(child)
            if inline > MAX_NESTING:
                yield _too_deep(line)
                return


def _heading_jumps(tokens: list[Token]) -> Iterator[MarkupProblem]:
    """Refuse a heading more than one level below the one before it, and a first heading that
    is not ``#``: the tagged PDF nests ``#`` under the document title or annex heading (H1)
    as H2, ``##`` as H3…, and a screen reader's heading list must skip no level (PDF/UA)."""
    level = 1  # the title, or the annex heading, above every part's text
    for token in tokens:
        if token.type != "heading_open":
            continue
        new = int(token.tag[1]) + 1
        if new > level + 1:
            marks = "#" * (new - 1)
            if level == 1:
                why = f"the first heading of a part must be '#' (level 1), not {marks!r}"
            else:
                why = (
                    f"heading {marks!r} follows a {'#' * (level - 1)!r} heading and skips a "
                    f"level; expected at most {'#' * level!r}"
                )
            yield MarkupProblem(_line(token), why)
        level = new


def _step(token: Token) -> int:
    if token.type in _CONTAINERS:
        return 1
    if token.nesting < 0 and token.type.replace("_close", "_open") in _CONTAINERS:
        return -1
    return 0


def _too_deep(line: int | None) -> MarkupProblem:
    return MarkupProblem(
        line,
        f"lists, block quotes, tables, emphasis and links are nested more than {MAX_NESTING} "
        f"deep here (the limit is {MAX_NESTING})",
    )


def _check_tokens(tokens: list[Token]) -> Iterator[MarkupProblem]:
    """Images, links and decoded characters, in the body and in every footnote."""
    call_lines: dict[int, int | None] = {}  # footnote id → line of its first call
    calls = 0
    in_note: int | None = None
    for token in tokens:
        if token.type == "footnote_open":
            in_note = token.meta["id"]
        elif token.type == "footnote_close":
            in_note = None
        line = _line(token)
        if line is None and in_note is not None:
            line = call_lines.get(in_note)
        yield from _characters(token, line)
        for child in token.children or ():
            if child.type == "footnote_ref":
                if in_note is not None:
                    yield MarkupProblem(line, "a footnote cannot call another footnote")
                call_lines.setdefault(child.meta["id"], line)
                calls += 1
                if calls == MAX_FOOTNOTES + 1:
                    yield MarkupProblem(
                        line,
                        f"footnote call {calls:,} of this part is here; the limit is "
                        f"{MAX_FOOTNOTES:,} footnote calls per part (split the text into parts)",
                    )
        if token.type == "inline":
            yield from _check(token, line)
            yield from _long_words(_plain(token), line)
        elif token.type in ("code_block", "fence"):
            yield from _long_words(token.content, line)


def _check(token: Token, line: int | None = None) -> list[MarkupProblem]:
    if token.type != "inline" or not token.children:
        return []
    if line is None:
        line = _line(token)
    problems = []
    for child in token.children:
        if child.type == "image":
            problems.append(
                MarkupProblem(
                    line, f"image {_quote(child.attrGet('src'))}: a UN document body has no images"
                )
            )
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            scheme = urlsplit(href).scheme.lower()
            if len(href) > MAX_URL_CHARS:
                problems.append(
                    MarkupProblem(
                        line,
                        f"link target {_quote(href[:60])}… is {len(href):,} characters long; "
                        f"the limit is {MAX_URL_CHARS:,} (a PDF/A string holds at most 32,767 "
                        "bytes)",
                    )
                )
            elif scheme not in ALLOWED_LINK_SCHEMES:
                problems.append(
                    MarkupProblem(
                        line,
                        f"link target {_quote(href)}: expected an absolute http, https or "
                        "mailto URL",
                    )
                )
        problems.extend(_characters(child, line))
    return problems


def _characters(token: Token, line: int | None) -> Iterator[MarkupProblem]:
    """A forbidden character in a token's decoded text or attributes (the source file itself
    was checked character by character; this catches ``&#x202E;`` and its kin)."""
    info = unescapeAll(token.info) if token.info else ""  # a fence's info string
    values = [token.content, info, *(str(v) for v in (token.attrs or {}).values())]
    if token.type == "inline":
        values = []  # its content is the raw source; its children are checked
    for value in values:
        bad = _FORBIDDEN.search(value) if value else None
        if bad is not None:
            yield MarkupProblem(
                line,
                f"a character reference gives U+{ord(bad.group()):04X}, a control or "
                "invisible character that is not allowed in a part's text",
            )
            return


def _plain(token: Token) -> str:
    """The text an inline token prints, its elements joined as the renderer joins them."""
    pieces = []
    for child in token.children or ():
        if child.type in ("text", "code_inline", "text_special"):
            pieces.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            pieces.append("\n")
    return "".join(pieces)


def _long_words(text: str, line: int | None) -> Iterator[MarkupProblem]:
    """Refuse a word no line can hold: WeasyPrint's time to break one grows with the square of
    its length (a 10,000-character token in a table cell takes minutes)."""
    match = _UNBREAKABLE.search(text)
    if match is not None:
        word = match.group()
        yield MarkupProblem(
            line,
            f"{_quote(word[:20] + '…')} is a word of {len(word):,} characters with no space or "
            f"other line break; the limit is {MAX_WORD_CHARS}",
        )


def _quote(value: object) -> str:
    text = repr(str(value))
    return text if len(text) <= 80 else text[:70] + "…'"


def _audit_definitions(state: StateCore) -> None:
    """Before footnote_tail drops them: footnotes defined twice or never called."""
    data = state.env.get("footnotes")
    if not data:
        return
    problems = state.env.setdefault("unfolio_problems", [])
    inline_empty = {
        note_id
        for note_id, note in data.get("list", {}).items()
        if "tokens" in note and not note.get("content", "").strip()
    }
    for token in state.tokens:  # an inline note ^[…] is empty: name the line of its call
        for child in token.children or ():
            if child.type == "footnote_ref" and child.meta["id"] in inline_empty:
                inline_empty.discard(child.meta["id"])
                problems.append(MarkupProblem(_line(token), "an inline footnote ^[] has no text"))
    first: dict[str, int | None] = {}
    for index, token in enumerate(state.tokens):
        if token.type != "footnote_reference_open":
            continue
        label, line = token.meta["label"], _line(token)
        shown = _quote(f"[^{label}]")
        if not _has_text(state.tokens, index + 1):
            problems.append(
                MarkupProblem(
                    line, f"footnote {shown} has no text; expected the note after the colon"
                )
            )
        if label in first:
            problems.append(
                MarkupProblem(
                    line, f"footnote {shown} is defined twice (first on line {first[label]})"
                )
            )
            continue
        first[label] = line
        if data.get("refs", {}).get(":" + label, -1) < 0:
            problems.append(
                MarkupProblem(
                    line, f"footnote {shown} is never called, so its text would not be printed"
                )
            )


def _has_text(tokens: list[Token], start: int) -> bool:
    """Whether the footnote definition whose content begins at ``start`` holds any text."""
    for token in tokens[start:]:
        if token.type == "footnote_reference_close":
            return False
        if token.content.strip():
            return True
    return False


def _split_footnotes(tokens: list[Token]) -> tuple[list[Token], dict[int, list[Token]]]:
    """Take the footnote block out of the flow; keep each note's inline content by id."""
    body: list[Token] = []
    notes: dict[int, list[Token]] = {}
    current: list[Token] | None = None
    in_block = False
    for token in tokens:
        if token.type == "footnote_block_open":
            in_block = True
        elif token.type == "footnote_block_close":
            in_block = False
        elif token.type == "footnote_open":
            current = notes.setdefault(token.meta["id"], [])
        elif token.type == "footnote_close":
            current = None
        elif current is not None:
            if token.type == "inline":
                if current:
                    current.append(Token("hardbreak", "br", 0))
                current.extend(c for c in token.children or [] if c.type != "footnote_anchor")
            elif token.type in ("code_block", "fence"):  # a note is inline: keep code as code
                if current:
                    current.append(Token("hardbreak", "br", 0))
                code = Token("code_inline", "code", 0)
                code.content = token.content.rstrip("\n")
                current.append(code)
        elif not in_block:
            body.append(token)
    return body, notes


def _render_footnote_ref(self, tokens, idx, options, env) -> str:  # markdown-it rule signature
    note_id = tokens[idx].meta["id"]
    text = env.get("unfolio_footnotes", {}).get(note_id, "")
    return f'<span class="footnote">{text}</span>'

"""Body text: CommonMark (with footnotes and tables) to an HTML fragment for the templates.

A UN document body is text: raw HTML is shown as text, images are refused, and links must
point at the web (``http``, ``https``, ``mailto``) so nothing in a PDF can name a local file.
Footnotes are rendered in place as ``<span class="footnote">`` for WeasyPrint's
``float: footnote``, so they land at the foot of the page that calls them, as in UN documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

ALLOWED_LINK_SCHEMES = frozenset({"http", "https", "mailto"})


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
    md = MarkdownIt("commonmark", {"html": False}).enable("table").use(footnote_plugin)
    # Let every link through the parser so that a refused one is reported, not silently
    # left as text; _check_inline() decides.
    md.validateLink = lambda url: True
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    return md


def to_html(markdown: str) -> str:
    """Render one part's Markdown; raise MarkupError listing every refused construct."""
    md = _parser()
    env: dict = {}
    tokens = md.parse(markdown, env)
    problems = [p for t in tokens for p in _check(t)]
    if problems:
        raise MarkupError(problems)
    body, notes = _split_footnotes(tokens)
    env["unfolio_footnotes"] = {
        note_id: md.renderer.render(note_tokens, md.options, env).strip()
        for note_id, note_tokens in notes.items()
    }
    return md.renderer.render(body, md.options, env)


def _check(token: Token) -> list[MarkupProblem]:
    if token.type != "inline" or not token.children:
        return []
    line = token.map[0] + 1 if token.map else None
    problems = []
    for child in token.children:
        if child.type == "image":
            problems.append(
                MarkupProblem(
                    line, f"image {child.attrGet('src')!r}: a UN document body has no images"
                )
            )
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            scheme = urlsplit(href).scheme.lower()
            if scheme not in ALLOWED_LINK_SCHEMES:
                problems.append(
                    MarkupProblem(
                        line,
                        f"link target {href[:80]!r}: expected an absolute http, https or mailto URL",
                    )
                )
    return problems


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
        elif not in_block:
            body.append(token)
    return body, notes


def _render_footnote_ref(self, tokens, idx, options, env) -> str:  # markdown-it rule signature
    note_id = tokens[idx].meta["id"]
    text = env["unfolio_footnotes"].get(note_id, "")
    return f'<span class="footnote">{text}</span>'

"""Language spans: a run of text in another script than its language's carries its own ``lang``.

A screen reader picks its voice from ``/Lang`` (ISO 32000-1 14.9.2; PDF/UA-1 7.2: "changes in
natural language shall be declared"). In an Arabic, Chinese or Russian version the Latin runs
(a symbol such as "A/80/1" inside Arabic text, a URL, an English name) and in any version a
run of Arabic, Cyrillic or Han letters is read wrongly by a voice of the element's language.

:func:`mark_html` wraps each such run of the document's HTML in ``<span lang="…">`` (Latin →
``en``, Cyrillic → ``ru``, Arabic → ``ar``, Han → ``zh-CN``), which the tagged PDF's
``Span`` carries as ``/Lang`` (:mod:`.wptags`); :func:`foreign_runs` is what the gate's
``PDF-TAGS-LANG-SPAN`` asks of every tagged text. Only these four scripts are judged: a letter
of any other (Greek, say) is neither wrapped nor reported. Digits, spaces and punctuation
belong to no script.
"""

from __future__ import annotations

import re

_LETTERS = {
    "Latin": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\uff21-\uff3a\uff41-\uff5a",
    "Cyrillic": "\u0400-\u0482\u048a-\u052f",
    "Arabic": "\u0621-\u063f\u0641-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff\u0750-\u077f"
    "\u08a0-\u08ff\ufb50-\ufdfb\ufe70-\ufefc",
    "Han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f",
}
#: The script each version's language is written in (its primary subtag).
LANGUAGE_SCRIPT = {
    "en": "Latin",
    "fr": "Latin",
    "es": "Latin",
    "ru": "Cyrillic",
    "ar": "Arabic",
    "zh": "Han",
}
#: The language a run of a script is marked with when the text does not say.
SCRIPT_LANGUAGE = {"Latin": "en", "Cyrillic": "ru", "Arabic": "ar", "Han": "zh-CN"}

_ENTITY = r"&#?\w+;"
# inside a run: its letters, digits and the punctuation of symbols and URLs, spaces before
# another of its letters
_INNER = r"[0-9./\-_:@?=#%+~'’]"
_RUNS = {
    script: re.compile(
        rf"({_ENTITY})|[{letters}](?:[{letters}]|{_INNER}|{_ENTITY}|\s+(?=[{letters}]))*"
    )
    for script, letters in _LETTERS.items()
}
_ANY_RUN = {
    script: re.compile(f"[{letters}]+") for script, letters in _LETTERS.items()
}  # fmt: skip


def script_of(lang: str) -> str | None:
    """The script a BCP 47 tag's language is written in, or None for one not judged here."""
    return LANGUAGE_SCRIPT.get(lang.partition("-")[0].casefold())


def foreign_runs(text: str, lang: str) -> list[tuple[str, str]]:
    """(script, run) for every run of letters in ``text`` in another judged script than
    ``lang``'s; empty for a language not judged."""
    own = script_of(lang)
    if own is None:
        return []
    return [
        (script, match.group(0))
        for script, pattern in _ANY_RUN.items()
        if script != own
        for match in pattern.finditer(text)
    ]


def _mark_text(text: str, lang: str) -> str:
    own = script_of(lang)
    if own is None:
        return text
    for script, pattern in _RUNS.items():
        if script == own or not _ANY_RUN[script].search(text):
            continue
        tag = SCRIPT_LANGUAGE[script]

        def wrap(match: re.Match[str], tag: str = tag) -> str:
            if match.group(1):  # an entity, not letters
                return match.group(0)
            return f'<span lang="{tag}">{match.group(0)}</span>'

        text = pattern.sub(wrap, text)
    return text


_TOKEN = re.compile(r"<!--.*?-->|<[!?][^>]*>|<(/?)([A-Za-z][\w:-]*)([^>]*)>", re.S)
_LANG_ATTR = re.compile(r"""\slang\s*=\s*["']([^"']*)["']""")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip
_NO_TEXT = frozenset({"head", "style", "script", "title", "svg", "math", "textarea"})


def mark_html(html: str, lang: str) -> str:
    """``html`` with each run of another script in its text wrapped in a ``lang`` span.

    The HTML is the template's and markdown-it's (well formed), read as tags and text: an
    element's ``lang`` holds for its content; the text of ``head``, ``style``, ``svg`` and the
    like is left alone."""
    out: list[str] = []
    stack: list[tuple[str, str, bool]] = []  # (tag, lang, text is left alone)
    position = 0
    for token in _TOKEN.finditer(html):
        text = html[position : token.start()]
        if text:
            current, skip = (stack[-1][1], stack[-1][2]) if stack else (lang, False)
            out.append(text if skip else _mark_text(text, current))
        out.append(token.group(0))
        position = token.end()
        closing, name, rest = token.group(1), token.group(2), token.group(3)
        if name is None:
            continue  # a comment
        name = name.lower()
        if closing:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == name:
                    del stack[depth:]
                    break
        elif name not in _VOID and not rest.rstrip().endswith("/"):
            current, skip = (stack[-1][1], stack[-1][2]) if stack else (lang, False)
            found = _LANG_ATTR.search(rest)
            stack.append((name, found.group(1) if found else current, skip or name in _NO_TEXT))
    tail = html[position:]
    out.append(_mark_text(tail, stack[-1][1]) if tail and stack and not stack[-1][2] else tail)
    return "".join(out)

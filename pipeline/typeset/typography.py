"""The typography of each language, applied when the HTML is made (the bagged source stays as
written): one function, :func:`apply`, that the template context and the text round trip
both use, so the comparison normalises the source exactly as it was printed.

What it does (docs/un-format-additions.md says where each rule comes from):

- every language: soft hyphens go (the UN does not hyphenate: 0 hyphenated line ends in
  5,487 lines of real PDFs; a soft hyphen would still let WeasyPrint break and draw "‐");
- Latin-script languages (en, fr, es): a straight apostrophe between or after letters
  becomes ’ (the UN's French reference: 202 ’, 0 ');
- French: straight double quotes become « » and the space inside guillemets and before
  : ; ! ? becomes the narrow no-break space U+202F (fixed: WeasyPrint stretches U+00A0 in a
  justified line like a space), never inside a URL, a symbol, a number or a time (10:30 has
  no space to replace and none is added between digits).

:func:`superscripts` marks French ordinal and title abbreviations (1er, 2e, Mme) for the
HTML; it changes no character, so the round trip needs nothing for it.
"""

from __future__ import annotations

import html as html_module
import re

NBSP = "\u00a0"
NNBSP = "\u202f"
SOFT_HYPHEN = "\u00ad"

_APOSTROPHE = re.compile(r"(?<=\w)'")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_FR_DOUBLE_QUOTES = re.compile(r'"([^"\n]*)"')
# A space (or none, after a letter, closing mark or footnote call "*") before : ; ! ? that
# ends a word; or a space that starts the text ("Grèce*" + " : projet de résolution", the
# sponsors line around its call, is typeset in two pieces).
_FR_BEFORE = re.compile(
    r"(?:(?<=[\w»)\]’*])[ \u00a0\u202f]?|^[ \u00a0\u202f])([:;!?])(?=\s|$|[»)\]])"
)
_FR_OPEN = re.compile(r"«[ \u00a0\u202f]?")
_FR_CLOSE = re.compile(r"[ \u00a0\u202f]?»")
# 1er, 2e, 3es; XXIe siècle, IIe (Roman numerals of two letters or more, so that "Le", "Ce"
# stay words; "Ier" too); Mme, Mmes, Mlle; no/nos before a number ("no 21").
_FR_SUPERSCRIPT = re.compile(
    r"\b(\d+|[IVXLC]{2,}|I(?=er))(er|re|e|es|ers|res)\b|\b(M)(mes?|lles?)\b"
    r"|\b(n)(os?)(?=[ \u00a0\u202f]\d)"
)


def _outside_urls(text: str, change) -> str:
    """Apply ``change`` to the text between URLs only."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(change(text[last : match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(change(text[last:]))
    return "".join(out)


def _latin(text: str) -> str:
    return _APOSTROPHE.sub("\u2019", text)


def _french(text: str) -> str:
    text = _latin(text)
    text = _FR_DOUBLE_QUOTES.sub(lambda m: f"«{m.group(1).strip()}»", text)
    text = _FR_OPEN.sub("«" + NNBSP, text)
    text = _FR_CLOSE.sub(NNBSP + "»", text)
    return _FR_BEFORE.sub(lambda m: NNBSP + m.group(1), text)


_BY_LANGUAGE = {"en": _latin, "es": _latin, "fr": _french}


def apply(text: str, lang: str) -> str:
    """``text`` as unfolio prints it in language ``lang`` (plain text, no markup)."""
    text = text.replace(SOFT_HYPHEN, "")
    change = _BY_LANGUAGE.get(lang)
    return text if change is None else _outside_urls(text, change)


def superscripts(escaped: str, lang: str) -> str:
    """HTML-escaped French text with ordinals, Mme/Mlle and no in ``<sup>``: 1<sup>er</sup>."""
    if lang != "fr":
        return escaped

    def sup(match: re.Match[str]) -> str:
        if match.group(1):
            return f'{match.group(1)}<sup class="abbr">{match.group(2)}</sup>'
        if match.group(3):
            return f'{match.group(3)}<sup class="abbr">{match.group(4)}</sup>'
        return f'{match.group(5)}<sup class="abbr">{match.group(6)}</sup>'

    return _outside_urls(escaped, lambda text: _FR_SUPERSCRIPT.sub(sup, text))


# A hyphen of a URL with the character after it (an entity counts as one character).
_URL_HYPHEN = re.compile(r"-(&#?\w+;|[^\s<])")


def url_hyphens(escaped: str) -> str:
    """HTML-escaped text whose URLs break before a hyphen, never after it: a zero-width space
    before the hyphen, and the hyphen with the next character in a no-wrap span.

    A line that ends in a URL's hyphen reads as a hyphenated word, and a reader cannot tell it
    from the URL's own hyphen (the Chicago Manual's rule for URLs: break before a hyphen). The
    space is U+200B itself, what WeasyPrint's ``<wbr>`` inserts: the element would be tagged as
    a ``NonStruct`` holding a ``Lbl`` of its generated content (PDF-TAGS-ROLES).
    """
    out, last = [], 0
    for match in _URL.finditer(escaped):
        out.append(escaped[last : match.start()])
        out.append(
            _URL_HYPHEN.sub("\u200b" + r'<span class="url-hyphen">-\1</span>', match.group())
        )
        last = match.end()
    out.append(escaped[last:])
    return "".join(out)


_RIGHT_TO_LEFT = frozenset({"ar"})
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_SKIP = re.compile(r"<(code|pre)\b", re.IGNORECASE)


def apply_html(html: str, lang: str) -> str:
    """:func:`apply` to each text node of an HTML fragment (not to tags, attributes, code)."""
    out, skipping, linking = [], 0, 0
    for piece in _TAG_OR_TEXT.split(html):
        if piece.startswith("<"):
            if _SKIP.match(piece):
                skipping += 1
            elif re.match(r"</(code|pre)\b", piece, re.IGNORECASE):
                skipping = max(0, skipping - 1)
            elif re.match(r"<a\b", piece, re.IGNORECASE):
                linking += 1
            elif re.match(r"</a\b", piece, re.IGNORECASE):
                linking = max(0, linking - 1)
            out.append(piece)
        elif piece and not skipping:
            text = apply(html_module.unescape(piece), lang)
            escaped = superscripts(html_module.escape(text, quote=False), lang)
            # not in Arabic: WeasyPrint reorders the inline boxes of a left-to-right run
            # split by spans in a right-to-left line ("unding/… f-https://…global"); not in a
            # link: its annotation must sit in the Link element, not in the spans (UA 7.18.5)
            plain = lang in _RIGHT_TO_LEFT or linking
            out.append(escaped if plain else url_hyphens(escaped))
        else:
            out.append(piece)
    return _INVISIBLE_ONLY.sub(r"<\1\2></\1>", "".join(out))


# An inline element that holds only characters that draw nothing (`​` in code): its font
# would be embedded with no glyph and no ToUnicode mapping (PDF-TOUNICODE), and a CJK
# collection's whole program with it. It is printed empty; the source keeps what it holds.
_INVISIBLE_ONLY = re.compile(
    r"<(code|em|strong|span|sup|sub|s|del|ins)(\s[^>]*)?>[\u200b\u200c\u200d\u2060\ufeff]+</\1>"
)

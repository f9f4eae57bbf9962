"""Repairs of WeasyPrint layout bugs that lose text, applied once when the engine is imported.

Each repair wraps one private WeasyPrint function of the pinned version (pyproject pins
``weasyprint==70.0``); :func:`apply` refuses to patch any other version, so an upgrade makes
``tests/test_typeset_footnotes.py`` fail until each repair is checked against the new code
(and dropped when upstream has fixed it).

**A footnote whose call is on the line that closes a page is lost** (WeasyPrint 70.0,
``layout/block.py``, ``_linebox_layout``). When the next line overflows the page and widows
or orphans forbid breaking before it, WeasyPrint moves the page's last footnotes to the next
page to make room and keeps the line; but it then leaves the loop before the footnote
calls *of that line* are handled, so their notes are never laid out on any page (the call
prints, the note does not). Found by the bench corpus (en-0003: footnote 9); the gate's text
round trip caught it as ``PDF-TEXT-ROUNDTRIP``. The repair: after the line box layout, every
line kept on the page whose footnote is still waiting is moved to the next page's notes,
behind those already moved, exactly where WeasyPrint puts a note that does not fit.

**Chinese justified lines end short of the margin** (WeasyPrint 70.0, ``layout/inline.py``,
``justify_line``). WeasyPrint justifies by widening spaces only; a Chinese line has none, or
only the few around Latin words, so a line holding Latin letters or digits ended 3.5-10.5 pt
short (15 of 59 lines of the Chinese example). The repair: a justified line of a Chinese
element spreads its free width between all its characters instead (CSS Text 3
``text-justify: inter-character``), by giving each of the line's text boxes a letter spacing
of ``free / (characters - 1)``: the box widths and the positions after them move as
WeasyPrint moves them for word spacing, and the last character ends on the margin (its own
trailing spacing falls outside). No character is added; line breaking (Pango's, which keeps
、。，）」 off the start of a line and （「 off its end) is untouched.
"""

from __future__ import annotations

import functools

import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.layout import block, inline

PATCHED_VERSION = "70.0"
_applied = False


def _footnotes_of(lines) -> list:
    return [
        descendant.footnote
        for line in lines
        for descendant in line.descendants()
        if getattr(descendant, "footnote", None) is not None
    ]


def _keep_footnotes(linebox_layout):
    @functools.wraps(linebox_layout)
    def wrapper(context, box, index, child, new_children, *args, **kwargs):
        kept_before = len(new_children)
        result = linebox_layout(context, box, index, child, new_children, *args, **kwargs)
        abort, _stop, _resume_at, _position_y, new_footnotes, _max_lines = result
        if not abort:
            for footnote in _footnotes_of(new_children[kept_before:]):
                if footnote in context.footnotes:  # its call is on this page, the note nowhere
                    context.footnotes.remove(footnote)
                    context.reported_footnotes.append(footnote)
                    new_footnotes.append(footnote)
        return result

    wrapper.unfolio_repair = True
    return wrapper


def _inter_character(box) -> bool:
    lang = box.style["lang"] or ""
    return lang == "zh" or lang.startswith("zh-")


def _text_boxes(box) -> list:
    if isinstance(box, boxes.TextBox):
        return [box]
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        return [
            t for child in box.children if child.is_in_normal_flow() for t in _text_boxes(child)
        ]
    return []


def _spread(box, spacing: float, x_advance: float) -> float:
    """Move ``box`` right by ``x_advance`` and widen its text by ``spacing`` per character;
    the advance for what follows (as ``inline.add_word_spacing`` does for word spacing)."""
    if isinstance(box, boxes.TextBox):
        box.position_x += x_advance
        extra = spacing * len(box.text)
        if extra:
            style = box.style.copy()
            letter = style["letter_spacing"]
            style["letter_spacing"] = (0 if letter == "normal" else letter) + spacing
            box.style = style  # the drawn layout is rebuilt from the box's style
            box.width += extra
        return x_advance + extra
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        before = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance = _spread(child, spacing, x_advance)
        box.width += x_advance - before
        return x_advance
    box.translate(x_advance, 0)  # an atomic inline (a paragraph number's box)
    return x_advance


def _justify_inter_character(justify_line):
    @functools.wraps(justify_line)
    def wrapper(context, line, extra_width):
        if not _inter_character(line):
            return justify_line(context, line, extra_width)
        characters = sum(len(t.text) for t in _text_boxes(line))
        if characters > 1 and extra_width > 0:
            _spread(line, extra_width / (characters - 1), 0)
        return None

    wrapper.unfolio_repair = True
    return wrapper


def apply() -> None:
    """Install the repairs (idempotent); refuse a WeasyPrint they were not checked against."""
    global _applied
    if _applied:
        return
    if weasyprint.__version__ != PATCHED_VERSION:
        raise RuntimeError(
            f"pipeline.typeset.wpfixes was checked against WeasyPrint {PATCHED_VERSION}, "
            f"not {weasyprint.__version__}: re-check each repair before changing the pin"
        )
    block._linebox_layout = _keep_footnotes(block._linebox_layout)
    inline.justify_line = _justify_inter_character(inline.justify_line)
    _applied = True

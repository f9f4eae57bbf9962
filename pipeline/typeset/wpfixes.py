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
"""

from __future__ import annotations

import functools

import weasyprint
from weasyprint.layout import block

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
    _applied = True

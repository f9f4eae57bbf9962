"""Typesetting: Document → HTML (``layout``) → PDF (``engine``) → PDF/A (``postpass``) → ``gate``.

``render_pdf`` is the stage's public entry; the steps stay importable for tests and the
benchmark, which time them one by one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pipeline.model import Document

Flavour = Literal["2a", "2b", "2u", "3a", "3b", "3u"]  # PDF/A part and conformance level
FLAVOURS: tuple[Flavour, ...] = get_args(Flavour)
#: Level A flavours are tagged (a structure tree in reading order) and claim PDF/UA-1 too.
TAGGED_FLAVOURS: tuple[Flavour, ...] = ("2a", "3a")
DEFAULT_FLAVOUR: Flavour = "2a"


def is_tagged(flavour: str) -> bool:
    """Whether a flavour is written tagged, claiming PDF/UA-1 as well as its PDF/A level."""
    return flavour in TAGGED_FLAVOURS


def typeset(
    document: Document,
    source: Path,
    *,
    pdf_variant: str = f"pdf/a-{DEFAULT_FLAVOUR}",
    emblem: Path | None = None,
    styles: Path | None = None,
) -> bytes:
    """Check coverage, lay out and render ``document`` (from folder ``source``): raw PDF bytes."""
    from pipeline.typeset import coverage, engine, layout  # WeasyPrint is slow to import

    coverage.check(document)
    html = layout.build_html(document, emblem=emblem, styles=styles)
    ident = engine.identifier(document.symbol, document.language)
    return engine.render(
        html, source, pdf_variant, pdf_identifier=ident, styles=styles, language=document.language
    )


def render_pdf(
    document: Document,
    source: Path,
    *,
    flavour: str = DEFAULT_FLAVOUR,
    emblem: Path | None = None,
    styles: Path | None = None,
) -> bytes:
    """The archival PDF/A of ``document``, or ``gate.GateFailed`` naming every finding.

    ``emblem`` replaces the placeholder emblem; ``styles`` is a folder laid out like the
    shipped ``styles/`` whose ``css/*.css``, ``templates/*`` and SVG files replace the shipped
    ones of the same name (locale strings and the pinned fonts are never replaced). Raises
    ``UserError`` (a character no pinned font covers) before anything is rendered.
    """
    from pipeline.typeset import gate, postpass

    if flavour not in FLAVOURS:
        raise ValueError(f"PDF/A flavour {flavour!r}: expected one of {', '.join(FLAVOURS)}")
    raw = typeset(document, source, pdf_variant=f"pdf/a-{flavour}", emblem=emblem, styles=styles)
    pdf = postpass.finish(raw, document, flavour)
    gate.enforce(pdf, document, flavour, styles=styles)
    return pdf

"""Which role a Word paragraph style plays: heading (with its rank), paragraph, front matter.

The map is data (``styles/word-import.json``): the UN's own styles (``HCh``, ``H1``, ``H23``,
``H4``, ``H56``, ``SingleTxt``, ``Session``, ``TitleHCH``…) and Word's built-in ones. A style
the map does not name is looked up through its ``basedOn`` chain (the UN's ``RepH1`` is based
on ``H1``), then by its outline level (a heading style of another house), then taken as a
paragraph. Bold and italic of character styles are resolved here too, so a run styled
``Strong`` is bold in Markdown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from lxml import etree

from pipeline.importer.ooxml import w
from pipeline.resources import styles_dir

ROLES = frozenset(
    {"heading", "paragraph", "bullet", "footnote", "quote", "skip"}
    | {"session", "agenda-item", "agenda-title", "sponsors", "title", "subtitle"}
)
FRONT_MATTER = frozenset(
    {"session", "agenda-item", "agenda-title", "sponsors", "title", "subtitle"}
)


@dataclass(frozen=True)
class Role:
    role: str
    level: int = 0  # heading rank (1 highest) or bullet depth


@cache
def _map() -> dict:
    data = json.loads((styles_dir() / "word-import.json").read_text(encoding="utf-8"))
    for table in ("styles", "names"):
        for key, value in data[table].items():
            if value["role"] not in ROLES:
                raise ValueError(f"styles/word-import.json: {key}: unknown role {value['role']!r}")
    return data


def _role(value: dict) -> Role:
    return Role(value["role"], int(value.get("level", 0)))


class StyleSheet:
    """The styles part of one document, resolved against the map."""

    def __init__(self, styles: etree._Element | None):
        self._styles: dict[str, etree._Element] = {}
        self.default_paragraph: str | None = None
        if styles is not None:
            for style in styles.iter(w("style")):
                style_id = style.get(w("styleId"))
                if style_id:
                    self._styles[style_id] = style
                    if style.get(w("type")) == "paragraph" and style.get(w("default")) in (
                        "1",
                        "true",
                    ):
                        self.default_paragraph = style_id
        self._cache: dict[str | None, Role] = {}

    def name(self, style_id: str) -> str:
        style = self._styles.get(style_id)
        node = style.find(w("name")) if style is not None else None
        return (node.get(w("val")) or style_id) if node is not None else style_id

    def role(self, style_id: str | None) -> Role:
        if style_id not in self._cache:
            self._cache[style_id] = self._resolve(style_id or self.default_paragraph)
        return self._cache[style_id]

    def _resolve(self, style_id: str | None) -> Role:
        data = _map()
        seen: set[str] = set()
        current = style_id
        while current and current not in seen:
            seen.add(current)
            if current in data["styles"]:
                return _role(data["styles"][current])
            name = self.name(current).lower()
            if name in data["names"]:
                return _role(data["names"][name])
            style = self._styles.get(current)
            if style is None:
                break
            outline = style.find(f"{w('pPr')}/{w('outlineLvl')}")
            if outline is not None and (outline.get(w("val")) or "").isdigit():
                level = int(outline.get(w("val"))) + 1
                if level <= 6:
                    return Role("heading", level)
            based = style.find(w("basedOn"))
            current = based.get(w("val")) if based is not None else None
        return _role(data["default"])

    def numbering(self, style_id: str | None) -> etree._Element | None:
        """The list numbering (``w:numPr``) a paragraph style carries, through basedOn."""
        seen: set[str] = set()
        style_id = style_id or self.default_paragraph
        while style_id and style_id not in seen:
            seen.add(style_id)
            style = self._styles.get(style_id)
            if style is None:
                return None
            numpr = style.find(f"{w('pPr')}/{w('numPr')}")
            if numpr is not None:
                return numpr
            based = style.find(w("basedOn"))
            style_id = based.get(w("val")) if based is not None else None
        return None

    def character_format(self, style_id: str | None) -> tuple[bool, bool]:
        """(bold, italic) a character style gives, through its basedOn chain."""
        bold = italic = None
        seen: set[str] = set()
        while style_id and style_id not in seen and (bold is None or italic is None):
            seen.add(style_id)
            style = self._styles.get(style_id)
            if style is None:
                break
            rpr = style.find(w("rPr"))
            if rpr is not None:
                if bold is None:
                    bold = on_off(rpr.find(w("b")))
                if italic is None:
                    italic = on_off(rpr.find(w("i")))
            based = style.find(w("basedOn"))
            style_id = based.get(w("val")) if based is not None else None
        return bool(bold), bool(italic)


def on_off(element: etree._Element | None) -> bool | None:
    """A WordprocessingML toggle (``<w:b/>``, ``<w:b w:val="0"/>``); None when absent."""
    if element is None:
        return None
    return element.get(w("val"), "true").lower() not in ("0", "false", "off", "none")

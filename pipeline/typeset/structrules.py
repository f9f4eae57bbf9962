"""Structure types and their nesting (``PDF-TAGS-ROLES``, ``-ROLEMAP``, ``-PLACEMENT``).

ISO 32000-1 14.8.4 names the standard structure types and which may hold which (Tables
336-338); PDF/UA-1 (ISO 14289-1 7.1, 7.2) makes them binding, and veraPDF's PDF/UA-1 profile
tests them clause by clause (rule numbers below are its clause-test numbers; Matterhorn
Protocol 1.1 failure conditions where it has one). Every rule is judged on an element's
*standard* type: its ``/S``, or what the ``/RoleMap`` maps it to.

``PDF-TAGS-ROLEMAP``   every type is standard or mapped through ``/RoleMap`` to a standard
                       one, without a cycle (UA 7.1-5; Matterhorn 02-001, 02-003); no
                       standard type is remapped (UA 7.1-4; Matterhorn 02-004). unfolio
                       writes no role map, so any type outside the standard ones fails.
``PDF-TAGS-ROLES``     table syntax: a ``Table`` holds ``TR``, ``THead``, ``TBody``,
                       ``TFoot``, ``Caption`` only (7.2-3); ``TR`` sits in ``Table``/``THead``/
                       ``TBody``/``TFoot`` (7.2-4), these three in ``Table`` (7.2-5…7.2-7),
                       ``TH``/``TD`` in ``TR`` (7.2-8, 7.2-9), a ``TR`` holds only ``TH``/``TD``
                       (7.2-10); one ``THead`` (7.2-11) and one ``TFoot`` (7.2-12) at most, and
                       a ``TBody`` beside either (7.2-13, 7.2-14); rows as wide as each other
                       (7.2-42); a ``TH`` has ``/Scope`` (7.5-1) and ``/Headers`` name existing
                       ``TH`` IDs (14.8.5.7). List syntax: ``LI`` in ``L`` (7.2-17), ``LBody`` in
                       ``LI`` (7.2-18), an ``L`` holds ``L``/``LI``/``Caption`` (7.2-19), an
                       ``LI`` ``Lbl``/``LBody`` (7.2-20); a ``Lbl`` labels a list item, a note,
                       a TOC entry or a bibliography entry (Table 336; PDF 2.0 Table 370 adds
                       ``Note``), so it sits in ``LI``, ``Note``, ``TOCI`` or ``BibEntry``.
                       ``TOCI`` in ``TOC``, a ``TOC`` holds ``TOC``/``TOCI``/``Caption``, a
                       ``TOCI`` ``Lbl``/``Reference``/``NonStruct``/``P``/``TOC`` (14.8.4.3.2);
                       ``RB``/``RT``/``RP`` in ``Ruby``, ``WT``/``WP`` in ``Warichu`` and nothing
                       else there (Table 338); at most one ``H`` in an element (7.4.4-2); a
                       ``Note`` has a unique ``ID`` (7.9-1, 7.9-2).
``PDF-TAGS-PLACEMENT`` a ``Link`` holds the ``OBJR`` of its link annotation (14.8.4.4.2;
                       Matterhorn 28-011 seen from the element); an inline-level element
                       (``Span``, ``Quote``, ``Reference``, ``Code``, ``Link``, ``Annot``,
                       ``Lbl``, ``Ruby``, ``Warichu``, ``BibEntry``, ``Note``) holds no
                       block-level one (14.8.4.2-14.8.4.4; a ``Note`` may hold paragraphs);
                       a ``Note`` directly follows a ``Reference`` and each ``Reference`` is
                       directly followed by its ``Note`` (issue 12: a reader hears the note
                       where it is called; unfolio's ``Reference`` elements are its footnote
                       calls, the sponsors note's "*" included).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pikepdf

CODES = ("PDF-TAGS-ROLEMAP", "PDF-TAGS-ROLES", "PDF-TAGS-PLACEMENT")
Issue = tuple[str, str, str]

#: ISO 32000-1 14.8.4 standard structure types (PDF 1.7).
STANDARD_TYPES = frozenset(
    {"Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index",
     "NonStruct", "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl",
     "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note",
     "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "RB", "RT", "RP", "Warichu",
     "WT", "WP", "Figure", "Formula", "Form"}
)  # fmt: skip
#: child type -> the parent types it may have.
_PARENTS = {
    "TR": {"Table", "THead", "TBody", "TFoot"},
    "THead": {"Table"},
    "TBody": {"Table"},
    "TFoot": {"Table"},
    "TH": {"TR"},
    "TD": {"TR"},
    "LI": {"L"},
    "LBody": {"LI"},
    "Lbl": {"LI", "Note", "TOCI", "BibEntry"},
    "TOCI": {"TOC"},
    "RB": {"Ruby"},
    "RT": {"Ruby"},
    "RP": {"Ruby"},
    "WT": {"Warichu"},
    "WP": {"Warichu"},
}
#: parent type -> the child types it may hold.
_KIDS = {
    "Table": {"TR", "THead", "TBody", "TFoot", "Caption"},
    "TR": {"TH", "TD"},
    "L": {"L", "LI", "Caption"},
    "LI": {"Lbl", "LBody"},
    "TOC": {"TOC", "TOCI", "Caption"},
    "TOCI": {"Lbl", "Reference", "NonStruct", "P", "TOC"},
    "Ruby": {"RB", "RT", "RP"},
    "Warichu": {"WT", "WP"},
}
_RULE = {
    "TR": "7.2-4",
    "THead": "7.2-5",
    "TBody": "7.2-6",
    "TFoot": "7.2-7",
    "TH": "7.2-8",
    "TD": "7.2-9",
    "LI": "7.2-17",
    "LBody": "7.2-18",
    "Table": "7.2-3",
    "L": "7.2-19",
}
_KIDS_RULE = {"Table": "7.2-3", "TR": "7.2-10", "L": "7.2-19", "LI": "7.2-20"}
_INLINE = frozenset(
    {"Span", "Quote", "Reference", "Code", "Link", "Annot", "Lbl", "Ruby", "Warichu",
     "BibEntry", "Note"}
)  # fmt: skip
_BLOCK = frozenset(
    {"Document", "Part", "Art", "Sect", "Div", "BlockQuote", "TOC", "TOCI", "Index", "P", "H",
     "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "LBody", "Table", "THead", "TBody",
     "TFoot", "TR", "TH", "TD"}
)  # fmt: skip


def _kids(element: pikepdf.Object) -> list:
    kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _name(element: pikepdf.Object) -> str:
    value = element.get("/S") if isinstance(element, pikepdf.Dictionary) else None
    return str(value)[1:] if isinstance(value, pikepdf.Name) else ""


def _where(element: pikepdf.Object) -> str:
    return f"obj {element.objgen[0]} {element.objgen[1]}" if element.is_indirect else ""


def _is_element(kid: pikepdf.Object) -> bool:
    return (
        isinstance(kid, pikepdf.Dictionary)
        and "/S" in kid
        and kid.get("/Type")
        not in (
            "/MCR",
            "/OBJR",
        )
    )


def _attributes(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    value = element.get("/A")
    items = [value] if isinstance(value, pikepdf.Dictionary) else list(value or ())
    return [a for a in items if isinstance(a, pikepdf.Dictionary)]


class _Roles:
    """Each element's standard type through the role map (ISO 32000-1 14.7.3)."""

    def __init__(self, root: pikepdf.Dictionary):
        role_map = root.get("/RoleMap")
        self.map: dict[str, str] = {}
        if isinstance(role_map, pikepdf.Dictionary):
            self.map = {
                str(k)[1:]: str(v)[1:] for k, v in role_map.items() if isinstance(v, pikepdf.Name)
            }
        self.issues: list[Issue] = []
        self._cache: dict[str, str] = {}
        for name, target in self.map.items():
            if name in STANDARD_TYPES:
                self.issues.append(("PDF-TAGS-ROLEMAP", f"the role map remaps the standard type "
                                    f"/{name} to /{target} (UA 7.1-4; Matterhorn 02-004)", ""))  # fmt: skip

    def standard(self, name: str) -> str | None:
        """The standard type ``name`` stands for, or None (unmapped, or a cycle)."""
        if name in self._cache:
            return self._cache[name] or None
        seen = [name]
        current = name
        while current not in STANDARD_TYPES:
            current = self.map.get(current, "")
            if not current or current in seen:
                why = "a circular mapping (Matterhorn 02-003)" if current else "no mapping"
                self.issues.append(("PDF-TAGS-ROLEMAP", f"/{name} is not a standard structure "
                                    f"type and the role map gives it {why} (UA 7.1-5; Matterhorn "
                                    "02-001)", ""))  # fmt: skip
                self._cache[name] = ""
                return None
            seen.append(current)
        self._cache[name] = current
        return current


def rows(table: pikepdf.Dictionary, roles: _Roles | None = None) -> Iterator[pikepdf.Dictionary]:
    """A table's rows, those inside ``THead``/``TBody``/``TFoot`` too."""
    std = (lambda e: roles.standard(_name(e))) if roles else _name
    for kid in _kids(table):
        if _is_element(kid) and std(kid) == "TR":
            yield kid
        elif _is_element(kid) and std(kid) in ("THead", "TBody", "TFoot"):
            yield from (r for r in _kids(kid) if _is_element(r) and std(r) == "TR")


def row_width(row: pikepdf.Dictionary) -> int:
    """Columns a row spans: its cells, each counted by its ``/ColSpan``."""
    width = 0
    for cell in _kids(row):
        if _is_element(cell) and _name(cell) in ("TH", "TD"):
            span = next((a.get("/ColSpan") for a in _attributes(cell) if "/ColSpan" in a), 1)
            width += int(span)
    return width


def check(
    root: pikepdf.Dictionary,
    elements: Sequence[tuple[pikepdf.Dictionary, pikepdf.Object]],
    links: set[tuple[int, int]],
) -> list[Issue]:
    """Every role and nesting issue of the tree's ``elements`` ((element, parent), in tree
    order, as :mod:`.tagcheck` read them); ``links`` are the objgens of the link annotations."""
    roles = _Roles(root)
    issues: list[Issue] = []
    ids: set[str] = set()
    header_ids = {
        str(e.ID)
        for e, _ in elements
        if roles.standard(_name(e)) == "TH" and isinstance(e.get("/ID"), pikepdf.String)
    }
    for element, parent in elements:
        role = roles.standard(_name(element))
        if role is None:
            continue
        where = _where(element)
        parent_role = roles.standard(_name(parent)) if "/S" in parent else ""
        issues += _nesting(element, role, parent_role or "", roles, where)
        issues += _cells(element, role, header_ids, where)
        issues += _placement(element, role, parent, parent_role or "", roles, links, where)
        if role == "Note":
            note_id = element.get("/ID")
            if not isinstance(note_id, pikepdf.String) or not str(note_id):
                issues.append(("PDF-TAGS-ROLES", "a Note without an ID (UA 7.9-1)", where))
            elif str(note_id) in ids:
                issues.append(("PDF-TAGS-ROLES", f"the ID {str(note_id)!r} is used twice "
                               "(UA 7.9-2)", where))  # fmt: skip
            else:
                ids.add(str(note_id))
    return roles.issues + issues


def _nesting(
    element: pikepdf.Dictionary, role: str, parent_role: str, roles: _Roles, where: str
) -> Iterator[Issue]:
    allowed = _PARENTS.get(role)
    if allowed is not None and parent_role not in allowed:
        rule = f"UA {_RULE[role]}" if role in _RULE else "ISO 32000-1 14.8.4"
        yield ("PDF-TAGS-ROLES", f"{role} inside {parent_role or 'the root'}, expected "
               f"{' or '.join(sorted(allowed))} ({rule})", where)  # fmt: skip
    kid_roles = [roles.standard(_name(k)) or "" for k in _kids(element) if _is_element(k)]
    allowed_kids = _KIDS.get(role)
    if allowed_kids is not None:
        wrong = sorted(set(kid_roles) - allowed_kids)
        if wrong:
            rule = f"UA {_KIDS_RULE[role]}" if role in _KIDS_RULE else "ISO 32000-1 14.8.4"
            yield ("PDF-TAGS-ROLES", f"{role} holds {', '.join(wrong)} ({rule})", where)
    if kid_roles.count("H") > 1:
        yield ("PDF-TAGS-ROLES", f"{role} holds more than one H (UA 7.4.4-2)", where)
    if role != "Table":
        return
    for part, rule in (("THead", "7.2-11"), ("TFoot", "7.2-12")):
        if kid_roles.count(part) > 1:
            yield ("PDF-TAGS-ROLES", f"a Table with more than one {part} (UA {rule})", where)
    for part, rule in (("TFoot", "7.2-13"), ("THead", "7.2-14")):
        if part in kid_roles and "TBody" not in kid_roles:
            yield ("PDF-TAGS-ROLES", f"a Table with a {part} but no TBody (UA {rule})", where)
    widths = {row_width(row) for row in rows(element, roles)}
    if len(widths) > 1:
        yield ("PDF-TAGS-ROLES", f"a Table whose rows have {sorted(widths)} columns "
               "(UA 7.2-42)", where)  # fmt: skip


def _cells(
    element: pikepdf.Dictionary, role: str, header_ids: set[str], where: str
) -> Iterator[Issue]:
    if role == "TH" and not any("/Scope" in a for a in _attributes(element)):
        yield ("PDF-TAGS-ROLES", "a TH without /Scope (UA 7.5-1)", where)
    if role not in ("TH", "TD"):
        return
    for attributes in _attributes(element):
        missing = [str(h) for h in attributes.get("/Headers", ()) if str(h) not in header_ids]
        if missing:
            yield ("PDF-TAGS-ROLES", f"a {role}'s /Headers name {missing[:3]}, which no TH has "
                   "as its ID (UA 7.5, ISO 32000-1 14.8.5.7)", where)  # fmt: skip


def _placement(
    element: pikepdf.Dictionary,
    role: str,
    parent: pikepdf.Object,
    parent_role: str,
    roles: _Roles,
    links: set[tuple[int, int]],
    where: str,
) -> Iterator[Issue]:
    kids = _kids(element)
    if role == "Link":
        held = [k.get("/Obj") for k in kids if isinstance(k, pikepdf.Dictionary)
                and k.get("/Type") == "/OBJR"]  # fmt: skip
        if not any(isinstance(a, pikepdf.Dictionary) and a.objgen in links for a in held):
            yield ("PDF-TAGS-PLACEMENT", "a Link holds no link annotation's OBJR (ISO 32000-1 "
                   "14.8.4.4.2; Matterhorn 28-011)", where)  # fmt: skip
    if role in _INLINE:
        blocks = sorted(
            {r for k in kids if _is_element(k) and (r := roles.standard(_name(k))) in _BLOCK}
            - ({"P"} if role == "Note" else set())
        )
        if blocks:
            yield ("PDF-TAGS-PLACEMENT", f"the inline-level {role} holds the block-level "
                   f"{', '.join(blocks)} (ISO 32000-1 14.8.4.2-14.8.4.4)", where)  # fmt: skip
    if role in ("Note", "Reference"):
        siblings = [k for k in _kids(parent) if _is_element(k)]
        index = next(i for i, k in enumerate(siblings) if k.objgen == element.objgen)
        if role == "Note":
            other = roles.standard(_name(siblings[index - 1])) if index else None
            want, side = "Reference", "follow the Reference calling it"
        else:
            following = siblings[index + 1] if index + 1 < len(siblings) else None
            other = roles.standard(_name(following)) if following is not None else None
            want, side = "Note", "have its Note right after it"
        if other != want:
            yield ("PDF-TAGS-PLACEMENT", f"a {role} that does not {side} (next to "
                   f"{other or 'nothing'} in {parent_role or 'the root'}; issue 12)", where)  # fmt: skip

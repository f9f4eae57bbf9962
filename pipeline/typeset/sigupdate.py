"""What a signature revision may change: a signature field added, nothing else.

unfolio signs in one incremental update (pyHanko, :mod:`pipeline.sign.pdf`), and the
exact-content checks, reproduction and the drawing checks read the revision *before* it. So the
update itself must be proved to be only a signature: otherwise anyone could append "a
signature revision" that repaints a page (red team, 2026-12-04: an unreferenced ``/Sig``
dictionary beside a new content stream for page 1 passed every check). The rule, derived
from what pyHanko's update holds for every flavour:

- the final catalog's ``/AcroForm`` holds signature fields only, and one of them has as its
  value a signature dictionary whose ``/ByteRange`` covers the whole file but its
  ``/Contents`` (so pyHanko, which judges that signature, sees all of it);
- everything reachable from the catalog and ``/Info`` reads the same in both revisions —
  content streams, resources and fonts byte for byte, every dictionary and array — except
  that a page's ``/Annots`` may end with the signature's widgets, a structure element's
  ``/K`` may end with ``Form`` elements for them, the parent tree may gain their entries and
  ``/ParentTreeNextKey`` may grow.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pikepdf

_ROOT_ADDED = frozenset({"/AcroForm"})


def problems(pdf: bytes, start: int) -> list[str]:
    """What the update from byte ``start`` changes beyond adding a signature (nothing if so)."""
    try:
        with (
            pikepdf.open(io.BytesIO(pdf[:start])) as first,
            pikepdf.open(io.BytesIO(pdf)) as full,
        ):
            found = list(_form(full, len(pdf)))
            comparison = _Comparison()
            comparison.same(first.Root, full.Root, "/Root")
            if "/Info" in first.trailer or "/Info" in full.trailer:
                comparison.same(first.trailer.get("/Info"), full.trailer.get("/Info"), "/Info")
            return found + comparison.differences[:5]
    except (pikepdf.PdfError, ValueError) as error:
        return [f"the signature revision cannot be compared with the first: {error}"]


def _is_signature_widget(annotation: object) -> bool:
    if not isinstance(annotation, pikepdf.Dictionary):
        return False
    field = annotation.get("/Parent", annotation)
    return isinstance(field, pikepdf.Dictionary) and field.get("/FT") == "/Sig"


def _form(full: pikepdf.Pdf, size: int) -> Iterator[str]:
    form = full.Root.get("/AcroForm")
    fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
    if not isinstance(fields, pikepdf.Array) or not len(fields):
        yield "the update carries a signature dictionary but the form has no signature field"
        return
    covering = False
    for field in fields:
        if not isinstance(field, pikepdf.Dictionary) or field.get("/FT") != "/Sig":
            yield "the form holds a field that is not a signature field"
            continue
        value = field.get("/V")
        byte_range = value.get("/ByteRange") if isinstance(value, pikepdf.Dictionary) else None
        if isinstance(byte_range, pikepdf.Array) and len(byte_range) == 4:
            a, b, c, d = (int(x) for x in byte_range)
            covering |= a == 0 and 0 < b <= c and c + d == size
    if not covering:
        yield "no signature field's /ByteRange covers the whole file but its /Contents"


class _Comparison:
    """A walk of both revisions' object graphs side by side, each pair of objects once."""

    def __init__(self) -> None:
        self.differences: list[str] = []
        self._seen: set[tuple[tuple[int, int], tuple[int, int]]] = set()

    def differ(self, path: str, what: str) -> None:
        self.differences.append(f"the signature revision changes {path}: {what}")

    def same(self, old: object, new: object, path: str) -> None:
        if isinstance(old, pikepdf.Object) and isinstance(new, pikepdf.Object):
            pair = (old.objgen, new.objgen)
            if pair != ((0, 0), (0, 0)):  # direct objects have no identity to remember
                if pair in self._seen:
                    return
                self._seen.add(pair)
        if isinstance(old, pikepdf.Stream) or isinstance(new, pikepdf.Stream):
            if not (isinstance(old, pikepdf.Stream) and isinstance(new, pikepdf.Stream)):
                self.differ(path, "a stream replaced by another kind of object")
            elif old.read_raw_bytes() != new.read_raw_bytes():
                self.differ(path, "the stream's bytes")
            else:
                self._dictionaries(old.stream_dict, new.stream_dict, path)
        elif isinstance(old, pikepdf.Dictionary) and isinstance(new, pikepdf.Dictionary):
            self._dictionaries(old, new, path)
        elif isinstance(old, pikepdf.Array) and isinstance(new, pikepdf.Array):
            self._arrays(list(old), list(new), path)
        elif type(old) is not type(new) or _scalar(old) != _scalar(new):
            self.differ(path, f"{_shown(old)} → {_shown(new)}")

    def _dictionaries(self, old: pikepdf.Dictionary, new: pikepdf.Dictionary, path: str) -> None:
        added = set(new.keys()) - set(old.keys())
        if path == "/Root":
            added -= _ROOT_ADDED
        for key in sorted(added | (set(old.keys()) - set(new.keys()))):
            self.differ(f"{path}{key}", "added" if key in new else "removed")
        is_page = new.get("/Type") == "/Page"
        for key in sorted(set(old.keys()) & set(new.keys())):
            if key in ("/Parent", "/P"):  # back links: their targets are reached from above
                continue
            if key == "/ParentTreeNextKey" and new.get("/Type") == "/StructTreeRoot":
                if int(new[key]) < int(old[key]):
                    self.differ(f"{path}{key}", "lower than before")
                continue
            old_value, new_value = old[key], new[key]
            if is_page and key == "/Annots":
                self._appended(old_value, new_value, f"{path}{key}", _is_signature_widget)
            elif key == "/K" and new.get("/Type") in ("/StructElem", "/StructTreeRoot"):
                self._appended(old_value, new_value, f"{path}{key}", _is_form_element)
            elif key == "/Nums" and isinstance(new_value, pikepdf.Array):
                self._numbers(old_value, new_value, f"{path}{key}")
            else:
                self.same(old_value, new_value, f"{path}{key}")

    def _arrays(self, old: list, new: list, path: str) -> None:
        if len(old) != len(new):
            self.differ(path, f"{len(old)} entries → {len(new)}")
            return
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            self.same(a, b, f"{path}[{index}]")

    def _appended(self, old: object, new: object, path: str, allowed) -> None:
        """``new`` is ``old`` (one object or an array) with only ``allowed`` objects after it."""
        before = list(old) if isinstance(old, pikepdf.Array) else [old]
        after = list(new) if isinstance(new, pikepdf.Array) else [new]
        if len(after) < len(before) or not all(allowed(x) for x in after[len(before) :]):
            self.differ(path, "entries other than the signature's added or removed")
            return
        self._arrays(before, after[: len(before)], path)

    def _numbers(self, old: object, new: pikepdf.Array, path: str) -> None:
        """A number tree's ``/Nums`` may gain pairs for the signature: its widget, or (the parent
        tree) the ``Form`` element that holds it."""
        before = list(old) if isinstance(old, pikepdf.Array) else []
        pairs = dict(zip(before[::2], before[1::2], strict=False))
        kept = {int(k): v for k, v in pairs.items()}
        after = list(new)
        for key, value in zip(after[::2], after[1::2], strict=False):
            if int(key) in kept:
                self.same(kept.pop(int(key)), value, f"{path}[{int(key)}]")
            elif not (_is_signature_widget(value) or _is_form_element(value)):
                self.differ(f"{path}[{int(key)}]", "an entry other than the signature's added")
        for key in kept:
            self.differ(f"{path}[{key}]", "removed")


def _is_form_element(element: object) -> bool:
    """A ``Form`` structure element whose content is a signature widget (through its OBJR)."""
    if not isinstance(element, pikepdf.Dictionary) or element.get("/S") != "/Form":
        return False
    kids = element.get("/K")
    kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    return bool(kids) and all(
        isinstance(kid, pikepdf.Dictionary) and _is_signature_widget(kid.get("/Obj"))
        for kid in kids
    )


def _scalar(value: object) -> object:
    if isinstance(value, pikepdf.Object):
        try:
            return value.unparse()
        except (pikepdf.PdfError, ValueError):
            return repr(value)
    return value


def _shown(value: object) -> str:
    text = str(_scalar(value))
    return text if len(text) <= 40 else text[:37] + "…"

"""Measure a unfolio PDF against a real UN PDF, element by element, in points.

    .venv/bin/python scripts/measure.py OURS.pdf REFERENCE.pdf [--tolerance 1] [--json]

Both PDFs are read the same way (pdfplumber: characters with their baselines, rectangles,
lines, curves and images), and each masthead and furniture element is located by what it is
(its size, weight and place relative to the two masthead rules), not by where unfolio puts it,
so the same code finds it in the UN's own PDF. Positions are pt from the top-left corner of
the page; ``baseline`` is the text's baseline (the character matrix), not its box. The exit
status is 1 when an element present in both is off by more than the tolerance, or missing in
unfolio's PDF. docs/measuring.md says how to use it.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

JOB = re.compile(r"\d{2}-\d{5}")
BARCODE_FONT = re.compile(r"C39|3 of 9|Code ?39", re.IGNORECASE)


@dataclass
class Box:
    x0: float
    x1: float
    top: float
    bottom: float

    @classmethod
    def around(cls, objects: list[dict]) -> Box:
        return cls(
            min(o["x0"] for o in objects),
            max(o["x1"] for o in objects),
            min(o["top"] for o in objects),
            max(o["bottom"] for o in objects),
        )


@dataclass
class Element:
    """What is measured of one element: named values in pt, and the text it holds."""

    values: dict[str, float] = field(default_factory=dict)
    text: str = ""


def _baseline(page, char: dict) -> float:
    return float(page.height) - char["matrix"][5]


def _bold(char: dict) -> bool:
    return "bold" in char["fontname"].lower()


def _text_element(page, chars: list[dict], *, edges: bool = True) -> Element:
    chars = sorted(chars, key=lambda c: (round(_baseline(page, c)), c["x0"]))
    box = Box.around(chars)
    values = {"x0": box.x0, "x1": box.x1} if edges else {}
    values["baseline"] = _baseline(page, chars[0])
    return Element(values, "".join(c["text"] for c in chars))


def _lines_of(page, chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into lines by baseline (within 1.5 pt), top to bottom."""
    lines: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (_baseline(page, c), c["x0"])):
        if lines and abs(_baseline(page, lines[-1][0]) - _baseline(page, char)) < 1.5:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def _graphics(page) -> list[dict]:
    """Every drawn object: rectangles, lines, curves and images, as boxes (a stroked line as
    thick as its pen: a QR code may be drawn as rows of strokes)."""
    lines = []
    for line in page.lines:
        half = (line.get("linewidth") or 0) / 2
        lines.append({**line, "top": line["top"] - half, "bottom": line["bottom"] + half})
    return [*page.rects, *lines, *page.curves, *page.images]


def _rules(page) -> list[Box]:
    """Horizontal rules: drawn objects under 2.5 pt high and over 40 pt long, merged when they
    touch on one level (Word draws a rule as several cell borders)."""
    flat = [
        g
        for g in [*page.rects, *page.lines, *page.curves]
        if g["bottom"] - g["top"] < 2.5 and g["x1"] - g["x0"] > 0.3
    ]
    flat.sort(key=lambda g: (round(g["top"], 0), g["x0"]))
    merged: list[Box] = []
    for g in flat:
        last = merged[-1] if merged else None
        if last and abs(last.top - g["top"]) < 0.8 and g["x0"] <= last.x1 + 1:
            last.x1 = max(last.x1, g["x1"])
            last.bottom = max(last.bottom, g["bottom"])
        else:
            merged.append(Box(g["x0"], g["x1"], g["top"], g["bottom"]))
    return [b for b in merged if b.x1 - b.x0 > 40]


def _rule_element(box: Box) -> Element:
    return Element({"x0": box.x0, "x1": box.x1, "top": box.top, "weight": box.bottom - box.top})


def _clusters(boxes: list[Box], gap: float) -> list[Box]:
    """Boxes merged left to right while they overlap or lie within ``gap`` pt."""
    out: list[Box] = []
    for b in sorted(boxes, key=lambda b: b.x0):
        if out and b.x0 <= out[-1].x1 + gap:
            last = out[-1]
            out[-1] = Box(
                last.x0, max(last.x1, b.x1), min(last.top, b.top), max(last.bottom, b.bottom)
            )
        else:
            out.append(Box(b.x0, b.x1, b.top, b.bottom))
    return out


def _box_element(box: Box) -> Element:
    return Element({"x0": box.x0, "x1": box.x1, "top": box.top, "bottom": box.bottom})


def _ink(page, box: Box, scale: int = 4) -> Box | None:
    """The bars' ink inside ``box``: where a barcode is a font, its glyphs' boxes are em boxes,
    and the human-readable line the font draws under the bars is not bars. The page is
    rendered (pypdfium2) and the rows that are dark right across the box are the bars."""
    import pypdfium2

    document = pypdfium2.PdfDocument(page.pdf.stream)
    try:
        image = document[page.page_number - 1].render(scale=scale).to_pil().convert("L")
    finally:
        document.close()
    crop = image.crop(
        (
            int(box.x0 * scale),
            int(box.top * scale),
            int(box.x1 * scale) + 1,
            int(box.bottom * scale) + 1,
        )
    )
    width, height = crop.size
    dark = crop.load()
    rows = [y for y in range(height) if sum(dark[x, y] < 128 for x in range(width)) > width * 0.3]
    if not rows:
        return None
    top, bottom = rows[0], rows[-1]
    columns = [x for x in range(width) if any(dark[x, y] < 128 for y in range(top, bottom + 1))]
    return Box(
        box.x0 + columns[0] / scale,
        box.x0 + (columns[-1] + 1) / scale,
        box.top + top / scale,
        box.top + (bottom + 1) / scale,
    )


def measure_first_page(page) -> dict[str, Element]:
    found: dict[str, Element] = {}
    chars = [c for c in page.chars if c["text"].strip()]
    rules = _rules(page)
    wide = [r for r in rules if r.x1 - r.x0 > page.width * 0.6]
    thin = next((r for r in wide if r.top < 120 and r.bottom - r.top < 1), None)
    thick = next((r for r in wide if 150 < r.top < 260 and r.bottom - r.top >= 1), None)
    if thin is None or thick is None:
        return found
    found["thin rule"] = _rule_element(thin)
    found["thick rule"] = _rule_element(thick)

    top_line = [c for c in chars if c["top"] < thin.top]
    series = [c for c in top_line if c["size"] > 17]
    label = [c for c in top_line if 12.5 < c["size"] <= 17]
    if label:
        found["label"] = _text_element(page, label)
    if series:
        rest = [c for c in top_line if c["size"] <= 12.5]
        symbol = _text_element(page, series + rest)
        symbol.values["baseline"] = _baseline(page, series[0])
        found["symbol"] = symbol

    band = [c for c in chars if thin.bottom < c["top"] < thick.top]
    organ = [c for c in band if c["size"] > 17]
    if organ:
        found["organ"] = _text_element(page, _lines_of(page, organ)[0])
    distribution = [c for c in band if c["size"] <= 12.5]
    if distribution:
        lines = _lines_of(page, distribution)
        element = _text_element(page, lines[0])
        element.values["last baseline"] = _baseline(page, lines[-1][0])
        found["distribution"] = element
    emblem = [
        Box(g["x0"], g["x1"], g["top"], g["bottom"])
        for g in _graphics(page)
        if thin.bottom + 1 < g["top"] and g["bottom"] < thick.top - 1
    ]
    if emblem:
        found["emblem"] = _box_element(Box.around([vars(b) for b in emblem]))

    # Under the masthead: the session block at the margin, then the sponsors line and the title
    # at the body indent (the first line that starts to the right of the margin).
    below = _lines_of(page, [c for c in chars if c["top"] > thick.bottom])
    margin = thick.x0
    session, rest_lines = [], []
    for line in below:
        if not rest_lines and line[0]["x0"] < margin + 20:
            session.append(line)
        else:
            rest_lines.append(line)
    if session:
        element = _text_element(page, session[0])
        element.values["last baseline"] = _baseline(page, session[-1][0])
        element.values["lines"] = len(session)
        element.text = " / ".join("".join(c["text"] for c in line) for line in session)
        found["session block"] = element
    title = next((line for line in rest_lines if max(c["size"] for c in line) > 11.5), None)
    if title:
        found["title"] = _text_element(page, title, edges=False)
        found["title"].values["x0"] = title[0]["x0"]
        before = rest_lines[: rest_lines.index(title)]
        sponsors = [line for line in before if sum(map(_bold, line)) > len(line) / 2]
        if sponsors:
            found["sponsors"] = _text_element(page, sponsors[0], edges=False)
            found["sponsors"].values["x0"] = sponsors[0][0]["x0"]

    # Footer: the job-number line, then barcode, recycling mark and QR code side by side.
    job = next(
        (
            line
            for line in _lines_of(page, [c for c in chars if c["top"] > page.height - 110])
            if JOB.search("".join(c["text"] for c in line))
            and not BARCODE_FONT.search(line[0]["fontname"])
        ),
        None,
    )
    if job is None:
        return found
    job = [c for c in job if c["x0"] < page.width * 0.6]  # not "Please recycle" beside it
    found["job line"] = _text_element(page, job, edges=False)
    found["job line"].values["x0"] = job[0]["x0"]
    job_top = min(c["top"] for c in job)
    separator = next(
        (
            r
            for r in reversed(rules)
            if 50 < r.x1 - r.x0 < 100
            and page.height / 2 < r.top < job_top
            and r.x0 < page.width / 3
            and _calls_footnotes(page, chars, r)
        ),
        None,
    )
    if separator:
        found["footnote rule"] = _rule_element(separator)
    zone = page.height - 100
    pieces = [
        Box(g["x0"], g["x1"], g["top"], g["bottom"])
        for g in _graphics(page)
        if g["top"] > zone and g["bottom"] - g["top"] > 1
    ]
    bar_chars = [c for c in chars if BARCODE_FONT.search(c["fontname"])]
    # the caption is the text under the bars, not a long recycling text reaching left of x 300
    drawn = _clusters(pieces + [Box(c["x0"], c["x1"], c["top"], c["bottom"]) for c in bar_chars], 6)
    bars_end = drawn[0].x1 if drawn else 300
    caption = [
        c
        for c in chars
        if c["top"] > job_top + 5
        and not BARCODE_FONT.search(c["fontname"])
        and c["x1"] < min(300, bars_end + 3)
    ]
    others = [
        c
        for c in chars
        if c["top"] > job_top - 2 and c not in job and c not in caption and c not in bar_chars
    ]
    pieces += [Box(c["x0"], c["x1"], c["top"], c["bottom"]) for c in bar_chars + others]
    groups = _clusters(pieces, gap=6)
    if len(groups) >= 3:
        bars = groups[0]
        if bar_chars:  # a barcode font: its glyph box is not its ink (bars and caption)
            bars = _ink(page, Box(bars.x0 - 1, bars.x1 + 1, bars.top - 1, bars.bottom)) or bars
        found["barcode"] = _box_element(bars)
        found["qr"] = _box_element(groups[-1])
        found["recycling mark"] = _box_element(Box.around([vars(g) for g in groups[1:-1]]))
    if caption:
        found["barcode caption"] = _text_element(page, caption)
    return found


def _calls_footnotes(page, chars: list[dict], rule: Box) -> bool:
    """A footnote separator is followed by notes marked by a number or "*"; the short rule
    closing a table (A/80/604/Add.1, p. 1) is followed by its lettered notes (a, b)."""
    below = [c for c in chars if rule.top < c["top"] < rule.top + 30]
    if not below:
        return False
    first = _lines_of(page, below)[0]
    return first[0]["text"].isdigit() or first[0]["text"] in "*∗"


def measure_continuation_page(page) -> dict[str, Element]:
    found: dict[str, Element] = {}
    chars = [c for c in page.chars if c["text"].strip()]
    head = [c for c in chars if c["top"] < 70 and _bold(c)]
    if head:
        found["running head"] = _text_element(page, _lines_of(page, head)[-1])
    rule = next((r for r in _rules(page) if r.top < 75), None)
    if rule is None:  # a margin box's bottom border, drawn as a filled frame from the page top
        frames = [r for r in page.rects if r["top"] < 1 and 30 < r["bottom"] < 80]
        if frames:
            low = [r["bottom"] for r in frames]
            rule = Box(frames[0]["x0"], frames[0]["x1"], min(low), max(low))
    if rule:
        found["running head rule"] = _rule_element(rule)
    foot = [c for c in chars if c["top"] > page.height - 60 and _bold(c) and c["size"] < 10]
    if foot:
        found["page number"] = _text_element(page, foot)
    return found


def measure(pdf: bytes | Path | str) -> dict[str, Element]:
    """Every element found on page 1 and on page 2 (named "… (p. 2)")."""
    data = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
    with pdfplumber.open(io.BytesIO(data)) as doc:
        found = measure_first_page(doc.pages[0])
        if len(doc.pages) > 1:
            for name, element in measure_continuation_page(doc.pages[1]).items():
                found[f"{name} (p. 2)"] = element
        last = doc.pages[-1]
        end = [
            r
            for r in _rules(last)
            if 50 < r.x1 - r.x0 < 100 and r.top > 80 and r.x0 > last.width / 3
        ]
        if end and len(doc.pages) > 1:
            found["end rule (last page)"] = _rule_element(end[-1])
    return found


@dataclass
class Delta:
    element: str
    value: str
    ours: float | None
    reference: float | None

    @property
    def delta(self) -> float | None:
        if self.ours is None or self.reference is None:
            return None
        return self.ours - self.reference


def compare(ours: dict[str, Element], reference: dict[str, Element]) -> list[Delta]:
    """One row per value of each element found in the reference, in the reference's order."""
    rows = []
    for name, ref in reference.items():
        mine = ours.get(name)
        for key, value in ref.values.items():
            rows.append(Delta(name, key, mine.values.get(key) if mine else None, value))
    return rows


# Values compared against the ±tolerance; the others (a text's right end, which depends on
# what it says, line counts, the end rule, which follows the text) are printed only.
# The separator's height on the page follows the notes under it, which the fixtures do not
# copy; its x and length are judged.
NOT_JUDGED = {
    ("session block", "lines"),
    ("end rule (last page)", "top"),
    ("footnote rule", "top"),
}
# Elements whose right end is the end of a text, which depends on the face's kerning and on
# what the line says; the symbol's right end is judged (it is right-aligned to the margin).
TEXT_ELEMENTS = (
    "label",
    "organ",
    "distribution",
    "session block",
    "title",
    "sponsors",
    "job line",
    "running head",
    "page number",
    "end rule",
)


def judged(row: Delta) -> bool:
    if (row.element, row.value) in NOT_JUDGED:
        return False
    if row.value == "x1" and row.element.startswith(TEXT_ELEMENTS):
        # a right-aligned running head or page number is judged by its right end
        return (
            row.element.startswith(("running head", "page number"))
            and row.ours is not None
            and row.ours > 300
        )
    return True


def failures(rows: list[Delta], tolerance: float) -> list[Delta]:
    return [r for r in rows if judged(r) and (r.delta is None or abs(r.delta) > tolerance + 1e-9)]


def _table(rows: list[Delta], tolerance: float) -> str:
    out = [f"{'element':<24} {'value':<14} {'unfolio':>8} {'reference':>9} {'delta':>7}"]
    for r in rows:
        ours = "missing" if r.ours is None else f"{r.ours:8.1f}"
        delta = "" if r.delta is None else f"{r.delta:+7.1f}"
        flag = ""
        if judged(r) and (r.delta is None or abs(r.delta) > tolerance + 1e-9):
            flag = "  <-- off"
        elif not judged(r):
            flag = "  (not judged)"
        out.append(f"{r.element:<24} {r.value:<14} {ours:>8} {r.reference:9.1f} {delta:>7}{flag}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ours", type=Path, help="the PDF unfolio rendered")
    parser.add_argument("reference", type=Path, help="the UN's PDF of the same masthead values")
    parser.add_argument("--tolerance", type=float, default=1.0, help="pt (default 1)")
    parser.add_argument("--json", action="store_true", help="the rows as JSON")
    args = parser.parse_args(argv)
    rows = compare(measure(args.ours), measure(args.reference))
    if args.json:
        print(json.dumps([{**vars(r), "delta": r.delta} for r in rows], indent=1))
    else:
        print(_table(rows, args.tolerance))
    return 1 if failures(rows, args.tolerance) else 0


if __name__ == "__main__":
    sys.exit(main())

"""The pinned font files: which faces unfolio renders with and where they are on this host.

The list is data (``styles/fonts.json``) so that an organization can swap a face without
touching code. Files are found by exact name in fixed folders, never by asking the host
for "something like Times", so two hosts with the same packages render the same PDF.
"""

from __future__ import annotations

import json
import sys
from array import array
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from pipeline.resources import styles_dir


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    style: str
    file: str
    package: str
    purpose: str


@cache
def _config() -> dict:
    return json.loads((styles_dir() / "fonts.json").read_text(encoding="utf-8"))


def faces() -> tuple[Face, ...]:
    return tuple(
        Face(f["family"], f["weight"], f["style"], f["file"], f["package"], f["for"])
        for f in _config()["faces"]
    )


@cache
def locate(file_name: str) -> Path | None:
    """The first file of this exact name under the configured font folders, or None."""
    for root in map(Path, _config()["search_paths"]):
        if root.is_dir():
            for path in sorted(root.rglob(file_name)):
                if path.is_file():
                    return path
    return None


# -- CFF charsets ------------------------------------------------------------------------------
#
# Just enough of the Compact Font Format (Adobe TN #5176) to read which CID each glyph of a
# CID-keyed font carries: the engine uses it to prove that a compacted CJK subset still draws
# every character code with the glyph it was shaped with (see engine._compact_cid_fonts).

_CFF_ROS = 0x0C1E  # escape operator 12 30
_CFF_CHARSET = 15
_CFF_CHARSTRINGS = 17


class CFFError(ValueError):
    """The bytes are not a CFF font program this reader understands."""


def _card(data, offset: int, size: int) -> int:
    if offset < 0 or offset + size > len(data):
        raise CFFError("truncated CFF data")
    return int.from_bytes(data[offset : offset + size], "big")


def _cff_index(data, offset: int) -> tuple[list[tuple[int, int]], int]:
    """The (start, end) of each object of the INDEX at ``offset``, and the offset after it."""
    count = _card(data, offset, 2)
    if count == 0:
        return [], offset + 2
    size = _card(data, offset + 2, 1)
    if not 1 <= size <= 4:
        raise CFFError(f"INDEX offSize {size}")
    first = offset + 3
    base = first + (count + 1) * size - 1
    bounds = [base + _card(data, first + i * size, size) for i in range(count + 1)]
    if any(a > b for a, b in pairwise(bounds)) or bounds[-1] > len(data):
        raise CFFError("INDEX offsets out of order")
    return list(pairwise(bounds)), bounds[-1]


def _cff_dict(data) -> dict[int, list[float]]:
    """A DICT's operators (12 x as 0x0C00 + x) with their operands."""
    result: dict[int, list[float]] = {}
    operands: list[float] = []
    i = 0
    while i < len(data):
        b0 = data[i]
        if b0 <= 21:
            op = b0
            if b0 == 12:
                op = 0x0C00 + _card(data, i + 1, 1)
                i += 1
            result[op] = operands
            operands = []
            i += 1
        elif b0 == 28:
            operands.append(int.from_bytes(data[i + 1 : i + 3], "big", signed=True))
            i += 3
        elif b0 == 29:
            operands.append(int.from_bytes(data[i + 1 : i + 5], "big", signed=True))
            i += 5
        elif b0 == 30:  # a real: nibbles up to 0xF; its value is never needed here
            i += 1
            while i < len(data) and (data[i] & 0x0F) != 0x0F and (data[i] >> 4) != 0x0F:
                i += 1
            operands.append(0.0)
            i += 1
        elif 32 <= b0 <= 246:
            operands.append(b0 - 139)
            i += 1
        elif 247 <= b0 <= 250:
            operands.append((b0 - 247) * 256 + _card(data, i + 1, 1) + 108)
            i += 2
        elif 251 <= b0 <= 254:
            operands.append(-(b0 - 251) * 256 - _card(data, i + 1, 1) - 108)
            i += 2
        else:
            raise CFFError(f"DICT byte {b0}")
    return result


def cff_cids(data) -> list[int]:
    """The CID of each glyph (index = glyph id) of a CID-keyed CFF font program.

    ``data`` is the bare CFF (an OpenType font's ``CFF `` table). Raises :class:`CFFError` if
    the program is not a single CID-keyed font with a charset of format 0, 1 or 2.
    """
    if len(data) < 4 or data[0] != 1:
        raise CFFError("not a CFF version 1 font program")
    names, after = _cff_index(data, _card(data, 2, 1))
    if len(names) != 1:
        raise CFFError(f"CFF font set holds {len(names)} fonts")
    tops, _ = _cff_index(data, after)
    top = _cff_dict(bytes(data[tops[0][0] : tops[0][1]]))
    if _CFF_ROS not in top:
        raise CFFError("CFF font is not CID-keyed")
    charset, charstrings = top.get(_CFF_CHARSET, [0]), top.get(_CFF_CHARSTRINGS)
    if not charstrings or charset[-1] <= 2:  # 0-2 are predefined, never in CID fonts
        raise CFFError("CFF font has no CharStrings or no custom charset")
    glyphs = _card(data, int(charstrings[-1]), 2)
    offset = int(charset[-1])
    kind = _card(data, offset, 1)
    offset += 1
    cids = [0]
    if kind == 0:
        raw = array("H", bytes(data[offset : offset + 2 * (glyphs - 1)]))
        if sys.byteorder == "little":
            raw.byteswap()
        cids += raw
    elif kind in (1, 2):
        size = kind  # nLeft is Card8 in format 1, Card16 in format 2
        while len(cids) < glyphs:
            first, left = _card(data, offset, 2), _card(data, offset + 2, size)
            cids.extend(range(first, first + left + 1))
            offset += 2 + size
    else:
        raise CFFError(f"CFF charset format {kind}")
    if len(cids) != glyphs:
        raise CFFError("CFF charset does not cover exactly the glyphs")
    return cids

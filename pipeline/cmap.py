"""The code points a font face maps to a glyph, read straight from its sfnt ``cmap`` table.

``validate`` checks every printed character against the pinned faces before anything is
rendered. fontTools decodes a cmap into glyph *names*, which for a CFF-based CJK face means
decoding its 65,000-glyph charset first: about 0.3 s of a cold ``validate`` per face. Only the
code points are needed, so this reads the table directory (with a TrueType Collection's header)
and the two subtable formats the pinned faces use, 4 and 12 (OpenType spec, "cmap"). The caller
falls back to fontTools for any other format (``None``).
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

# The subtable fontTools' getBestCmap prefers, in order: full Unicode first, then the BMP.
_PREFERENCE = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


class CmapError(ValueError):
    """The file is not an sfnt font (or collection) with a readable ``cmap`` table."""


def _u16(data, offset: int) -> int:
    return _unpack(">H", data, offset)


def _u32(data, offset: int) -> int:
    return _unpack(">I", data, offset)


def _unpack(fmt: str, data, offset: int) -> int:
    try:
        return struct.unpack_from(fmt, data, offset)[0]
    except struct.error as error:
        raise CmapError("truncated font data") from error


def cmap_table(path: Path, index: int = 0) -> bytes:
    """The raw ``cmap`` table of face ``index`` (0 unless ``path`` is a collection)."""
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        start = 0
        if data[:4] == b"ttcf":
            if not 0 <= index < _u32(data, 8):
                raise CmapError(f"{path.name} has no face {index}")
            start = _u32(data, 12 + 4 * index)
        elif index != 0:
            raise CmapError(f"{path.name} is not a collection")
        records = range(start + 12, start + 12 + 16 * _u16(data, start + 4), 16)
        if records.stop > len(data):
            raise CmapError(f"{path.name}: truncated font data")
        for record in records:
            if data[record : record + 4] == b"cmap":
                offset, length = _u32(data, record + 8), _u32(data, record + 12)
                if offset + length > len(data):
                    raise CmapError(f"{path.name}: cmap table runs past the end of the file")
                return bytes(data[offset : offset + length])
    raise CmapError(f"{path.name} has no cmap table")


def code_points(cmap: bytes) -> frozenset[int] | None:
    """Code points the preferred subtable maps to a glyph other than ``.notdef``; ``None`` when
    that subtable has a format other than 4 or 12."""
    subtables: dict[tuple[int, int], int] = {}
    for record in range(4, 4 + 8 * _u16(cmap, 2), 8):
        platform, encoding = _u16(cmap, record), _u16(cmap, record + 2)
        subtables.setdefault((platform, encoding), _u32(cmap, record + 4))
    best = next((subtables[key] for key in _PREFERENCE if key in subtables), None)
    if best is None:
        return frozenset()
    kind = _u16(cmap, best)
    if kind == 12:
        return _format_12(cmap, best)
    if kind == 4:
        return _format_4(cmap, best)
    return None


def _format_12(cmap: bytes, offset: int) -> frozenset[int]:
    """Segmented coverage: groups of (first code, last code, first glyph)."""
    points: set[int] = set()
    for group in range(_u32(cmap, offset + 12)):
        first, last, glyph = struct.unpack_from(">III", cmap, offset + 16 + 12 * group)
        if last < first or last > 0x10FFFF:
            raise CmapError("cmap format 12 group out of range")
        points.update(range(first + (glyph == 0), last + 1))
    return frozenset(points)


def _format_4(cmap: bytes, offset: int) -> frozenset[int]:
    """Segment mapping to delta values: BMP segments, each a delta or an offset into glyphs."""
    segments = _u16(cmap, offset + 6) // 2
    ends = offset + 14
    starts = ends + 2 * segments + 2  # after the reserved pad
    deltas = starts + 2 * segments
    ranges = deltas + 2 * segments
    points: set[int] = set()
    for i in range(segments):
        end, start = _u16(cmap, ends + 2 * i), _u16(cmap, starts + 2 * i)
        delta, range_offset = _u16(cmap, deltas + 2 * i), _u16(cmap, ranges + 2 * i)
        for code in range(start, min(end, 0xFFFE) + 1):
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                glyph = _u16(cmap, ranges + 2 * i + range_offset + 2 * (code - start))
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                points.add(code)
    return frozenset(points)

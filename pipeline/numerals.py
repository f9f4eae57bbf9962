"""Roman numerals, which the masthead (session numbers), symbols (``A/RES/2758(XXVI)``) and
the numbering of sub-sub-paragraphs all use."""

from __future__ import annotations

_VALUES = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


def roman(n: int) -> str:
    """``n`` in upper-case Roman numerals, 1 to 3999 (``ValueError`` otherwise)."""
    if not 1 <= n <= 3999:
        raise ValueError(f"{n} has no Roman numeral")
    out = []
    for value, letters in _VALUES:
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)

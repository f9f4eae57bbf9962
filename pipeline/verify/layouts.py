"""Which rules judge a bag: those of the unfolio release that wrote it.

The archive already built must never turn invalid because the layout evolved, so every rule
that depends on what unfolio writes (bag-info elements, PREMIS shapes, tag files, the exact
content of the PDF) asks :func:`layout_of` which layout the bag claims and applies that
layout's rules. The claim is ``Bag-Software-Agent`` (``unfolio X.Y.Z``): a forger who
relabels a new bag as an old one must then also rewrite it into the old layout, which the
old rules check in full; only a signature (``verify --require-signature``) stops a bag from
being re-made from scratch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: unfolio 0.1.x: PREMIS ``xsi:type="file"``, ``External-Identifier`` the printed symbol,
#: no signature, no environment record, no metadata.csv; the text round trip is containment.
LAYOUT_1 = 1
#: unfolio 0.2.x: the layout this release writes.
LAYOUT_2 = 2
CURRENT_LAYOUT = LAYOUT_2

_AGENT = re.compile(r"unfolio ([0-9]+)\.([0-9]+)\.([0-9]+)")
_LAYOUT_OF_RELEASE = {(0, 1): LAYOUT_1, (0, 2): LAYOUT_2}


def layout_of(info: Sequence[tuple[str, str]]) -> int | None:
    """The layout a bag's ``Bag-Software-Agent`` claims; None when it names no release
    this unfolio knows (no agent, another program, or a newer unfolio)."""
    agents = [value for label, value in info if label.lower() == "bag-software-agent"]
    if len(agents) != 1:
        return None
    match = _AGENT.fullmatch(agents[0].strip())
    if match is None:
        return None
    major, minor, _patch = (int(group) for group in match.groups())
    return _LAYOUT_OF_RELEASE.get((major, minor))

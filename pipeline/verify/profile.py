"""Conformance of a bag to a BagIt Profile (bagit-profiles 1.3), by default unfolio's own.

Only what a profile can say is checked here: which ``bag-info.txt`` elements must appear, how
often and with which values, which manifest algorithms are required or allowed, which tag
files may exist, whether ``fetch.txt`` is allowed and which BagIt versions are accepted.
What the profile language cannot express about unfolio's bags (which payload files, and that
they agree with each other) is :mod:`pipeline.verify.consistency`'s job.

Each unfolio layout has its own profile (:data:`PROFILE_FILES`): a bag written by 0.1.x is
checked against ``bag-profile-v1.json``, the profile that release shipped, so the archive
already built never fails a rule that came later. A bag whose ``Bag-Software-Agent`` names no
layout this unfolio knows is :data:`LAYOUT` (``--bagit-only`` judges such bags).
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.errors import Problem, UserError
from pipeline.resources import schemas_dir
from pipeline.verify.bagit import BagReading
from pipeline.verify.findings import Finding, rule
from pipeline.verify.layouts import CURRENT_LAYOUT, LAYOUT_1, LAYOUT_2, layout_of

IDENTIFIER = rule(
    "META-PROFILE-IDENTIFIER", "error", "bag-info names the profile the bag is checked against"
)
ELEMENT = rule(
    "META-PROFILE-ELEMENT", "error", "bag-info elements are present, unrepeated and allowed"
)
MANIFESTS = rule(
    "META-PROFILE-MANIFESTS", "error", "payload and tag manifests use the required algorithms"
)
TAG_FILES = rule("META-PROFILE-TAG-FILES", "error", "only the tag files the profile allows")
FETCH = rule("META-PROFILE-FETCH", "error", "no fetch.txt unless the profile allows it")
VERSION = rule("META-PROFILE-VERSION", "error", "the BagIt version is one the profile accepts")
LAYOUT = rule(
    "META-PROFILE-LAYOUT",
    "error",
    "Bag-Software-Agent names an unfolio release whose layout this unfolio knows",
)

#: The shipped profile of each layout, in ``schemas/``.
PROFILE_FILES = {LAYOUT_1: "bag-profile-v1.json", LAYOUT_2: "bag-profile.json"}

#: Tag files every bag may have whatever the profile lists (bagit-profiles 1.3).
_ALWAYS_ALLOWED = ("bagit.txt", "bag-info.txt", "fetch.txt")


def default_profile_path(layout: int | None = CURRENT_LAYOUT) -> Path:
    """The shipped profile for ``layout`` (the current one for a layout unfolio does not know,
    whose bag :func:`check_layout` already fails)."""
    return schemas_dir() / PROFILE_FILES.get(
        layout or CURRENT_LAYOUT, PROFILE_FILES[CURRENT_LAYOUT]
    )


def shipped_identifiers() -> frozenset[str]:
    """The ``BagIt-Profile-Identifier`` of every shipped profile: none of them is "custom"."""
    return frozenset(
        load_profile(schemas_dir() / name)["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
        for name in PROFILE_FILES.values()
    )


def check_layout(info: tuple[tuple[str, str], ...]) -> tuple[int, list[Finding]]:
    """The layout whose rules judge the bag, and a finding when the bag claims none unfolio
    knows (no unfolio agent, or a newer release): such a bag is judged by the current rules."""
    layout = layout_of(info)
    if layout is not None:
        return layout, []
    agents = [value for label, value in info if label.lower() == "bag-software-agent"]
    claimed = ", ".join(map(repr, agents)) or "absent"
    return CURRENT_LAYOUT, [
        LAYOUT(
            "bag-info.txt",
            f"Bag-Software-Agent is {claimed}: not an unfolio release whose layout this "
            "unfolio knows (judge bags from elsewhere with --bagit-only)",
        )
    ]


def load_profile(path: Path | None = None, *, identifier: str | None = None) -> dict[str, Any]:
    """The profile as a dict (the shipped one by default), or ``UserError`` (exit 2) naming the
    file and what is wrong with it.

    ``identifier`` replaces the profile's ``BagIt-Profile-Identifier``: an organization that
    sets ``profile_identifier`` in ``unfolio.toml`` publishes unfolio's layout under its own
    URI, and its bags are checked against the shipped rules under that name.
    """
    path = path or default_profile_path()
    try:
        profile = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(Problem(str(path), f"cannot read the profile: {exc.strerror}")) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(Problem(str(path), f"not a UTF-8 JSON BagIt profile: {exc}")) from None
    info = profile.get("BagIt-Profile-Info") if isinstance(profile, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("BagIt-Profile-Identifier"), str):
        raise UserError(
            Problem(
                str(path),
                "not a BagIt profile: expected an object with "
                "BagIt-Profile-Info/BagIt-Profile-Identifier (bagit-profiles 1.3)",
            )
        )
    if identifier is not None:
        profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] = identifier
    return profile


def _is_manifest(name: str) -> bool:
    return name.startswith(("manifest-", "tagmanifest-")) and name.endswith(".txt")


def _tag_files(root: Path) -> list[str]:
    """Every file outside ``data/``, posix and relative, without following links."""
    found = []
    for folder, subfolders, files in os.walk(root):
        here = Path(folder).relative_to(root)
        if here == Path("."):
            subfolders[:] = [name for name in subfolders if name != "data"]
        found += [(here / name).as_posix() for name in files]
    return sorted(found)


def _element_findings(
    info: tuple[tuple[str, str], ...], spec: Mapping[str, Mapping[str, Any]]
) -> list[Finding]:
    findings = []
    counts = Counter(label.lower() for label, _ in info)
    for label, rules in spec.items():
        values = [value for name, value in info if name.lower() == label.lower()]
        if rules.get("required") and not values:
            findings.append(ELEMENT("bag-info.txt", f"{label} is required and missing"))
        if rules.get("repeatable", True) is False and counts[label.lower()] > 1:
            findings.append(ELEMENT("bag-info.txt", f"{label} appears {len(values)} times"))
        allowed = rules.get("values")
        for value in values:
            if allowed and value not in allowed:
                findings.append(
                    ELEMENT(
                        "bag-info.txt",
                        f"{label}: {value!r} is not one of {', '.join(map(str, allowed))}",
                    )
                )
    return findings


def _algorithm_findings(
    present: set[str], required: list[str], allowed: list[str] | None, kind: str
) -> list[Finding]:
    findings = []
    prefix = "tagmanifest" if kind == "tag" else "manifest"
    for algorithm in required:
        if algorithm not in present:
            findings.append(
                MANIFESTS(f"{prefix}-{algorithm}.txt", f"the profile requires a {kind} manifest")
            )
    if allowed is not None:
        for algorithm in sorted(present - set(allowed)):
            findings.append(
                MANIFESTS(f"{prefix}-{algorithm}.txt", f"{kind} manifest algorithm not allowed")
            )
    return findings


def check_profile(reading: BagReading, profile: Mapping[str, Any]) -> list[Finding]:
    """Every way the bag departs from ``profile``."""
    findings: list[Finding] = []
    wanted = profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    claimed = [v for label, v in reading.info if label.lower() == "bagit-profile-identifier"]
    if claimed != [wanted]:
        findings.append(
            IDENTIFIER(
                "bag-info.txt",
                f"BagIt-Profile-Identifier is {', '.join(map(repr, claimed)) or 'absent'}, "
                f"expected {wanted!r}",
            )
        )
    findings += _element_findings(reading.info, profile.get("Bag-Info", {}))
    findings += _algorithm_findings(
        set(reading.manifests),
        profile.get("Manifests-Required", []),
        profile.get("Manifests-Allowed"),
        "payload",
    )
    findings += _algorithm_findings(
        set(reading.tag_manifests),
        profile.get("Tag-Manifests-Required", []),
        profile.get("Tag-Manifests-Allowed"),
        "tag",
    )
    tag_files = _tag_files(reading.root)
    if "fetch.txt" in tag_files and not profile.get("Allow-Fetch.txt", True):
        findings.append(FETCH("fetch.txt", "the profile does not allow fetch.txt"))
    for name in profile.get("Tag-Files-Required", []):
        if name not in tag_files:  # listed without following links, like everything here
            findings.append(TAG_FILES(name, "the profile requires this tag file"))
    allowed = profile.get("Tag-Files-Allowed")
    if allowed is not None:
        extra = [
            name
            for name in tag_files
            if name not in _ALWAYS_ALLOWED
            and not _is_manifest(name)
            and not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed)
        ]
        findings += [TAG_FILES(name, "tag file not allowed by the profile") for name in extra]
    accepted = profile.get("Accept-BagIt-Version")
    if accepted and reading.version not in accepted:
        findings.append(
            VERSION(
                "bagit.txt",
                f"BagIt-Version {reading.version!r} is not one of {', '.join(accepted)}",
            )
        )
    return findings

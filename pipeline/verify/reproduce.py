"""Reproduction: the bagged PDF is what this unfolio renders from the bagged source.

The PDF is a pure function of the source, the options and the environment the build key
covers. The bag records each of those components (:mod:`pipeline.package.environment`);
when every one equals the running environment and the emblem and styles overlay the record
names are at hand (``--config``), the bagged source is rendered again and the bagged PDF — for
a signed PDF its first revision, the bytes up to the end of unfolio's own revision — must be
byte-identical (``PDF-NOT-REPRODUCED``). When a component differs or is missing, a warning
names it and the check is skipped, never failed: another machine proves nothing either way.

The re-render calls the typesetting steps themselves (coverage, layout, WeasyPrint, the
post-pass) in this process, never the warm server (:mod:`pipeline.warm`): unfolio keeps no
cache of rendered output, so nothing the check compares can be the bag's PDF read back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import Config
from pipeline.model import Document
from pipeline.package import buildkey, environment
from pipeline.typeset import FLAVOURS, drawing
from pipeline.verify.findings import Finding, rule

NOT_REPRODUCED = rule(
    "PDF-NOT-REPRODUCED",
    "error",
    "re-rendered in the recorded environment, the bagged source gives the bagged PDF byte for byte",
)
SKIPPED = rule(
    "PDF-REPRODUCE-SKIPPED",
    "warning",
    "reproduction ran (it is skipped, with this warning, when the environment differs)",
)
UNRECORDED = rule(
    "PDF-REPRODUCE-UNRECORDED",
    "note",
    "the bag records its environment (bags of unfolio 0.1.x do not: nothing to reproduce)",
)
RECORD = rule(
    "META-ENVIRONMENT",
    "error",
    "unfolio-environment.json is present, well-formed and agrees with the PDF's flavour",
)

SOURCE_DIR = "data/objects/source"
MAX_RECORD_BYTES = 1 << 20
SHOWN = 6  # differences named in one warning


@dataclass(frozen=True)
class Recorded:
    flavour: str
    environment: dict[str, str]
    inputs: dict[str, str | None]


def parse_record(data: bytes | None) -> tuple[Recorded | None, str]:
    """The record, or None and what is wrong with it."""
    if data is None:
        return None, "missing, not a regular file, or larger than 1 MiB"
    try:
        raw: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"not UTF-8 JSON: {exc}"
    if not isinstance(raw, dict) or raw.get("record_version") != environment.RECORD_VERSION:
        return None, f"not a record_version {environment.RECORD_VERSION} object"
    pdf = raw.get("pdf")
    flavour = pdf.get("flavour") if isinstance(pdf, dict) else None
    env = raw.get("environment")
    inputs = raw.get("inputs")
    if flavour not in FLAVOURS:
        return None, f"pdf.flavour is {flavour!r}, not one of {', '.join(FLAVOURS)}"
    if not (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())):
        return None, "environment is not an object of strings"
    wanted = ("emblem", "schemas", "styles", "styles_overlay")
    if not (
        isinstance(inputs, dict)
        and set(inputs) == set(wanted)
        and all(v is None or isinstance(v, str) for v in inputs.values())
    ):
        return None, f"inputs must hold exactly {', '.join(wanted)}"
    return Recorded(flavour, dict(env), dict(inputs)), ""


def differences(recorded: Recorded, config: Config) -> tuple[list[str], Path | None, Path | None]:
    """What differs from the running environment; and the emblem and overlay to render with."""
    found = []
    here = buildkey.environment()
    for name in sorted(set(recorded.environment) | set(here)):
        was, now = recorded.environment.get(name, "absent"), here.get(name, "absent")
        if was != now:
            found.append(f"{name} is {was!r} in the bag, {now!r} here")
    current = environment.inputs(Config())
    for name in ("schemas", "styles"):
        if recorded.inputs[name] != current[name]:
            found.append(f"the shipped {name} folder differs ({recorded.inputs[name]} in the bag)")
    overlay = environment.overlay_of(config)
    wanted = recorded.inputs["styles_overlay"]
    if wanted is None:
        overlay = None  # rendered without one: reproduce without one
    elif overlay is None:
        found.append(f"the styles overlay {wanted} is not at hand (give --config)")
    elif environment.folder_digest(overlay) != wanted:
        found.append(f"the styles overlay {overlay} is not the one recorded ({wanted})")
    emblem = _emblem(recorded.inputs["emblem"], config, overlay)
    if emblem is None:
        found.append(f"the emblem {recorded.inputs['emblem']} is not at hand (give --config)")
    return found, (None if emblem in (None, "default") else emblem), overlay  # type: ignore[return-value]


def _emblem(digest: str | None, config: Config, overlay: Path | None) -> Path | str | None:
    """The configured emblem if it is the recorded one, "default" if the placeholder is."""
    if config.emblem and environment.file_digest(Path(config.emblem)) == digest:
        return Path(config.emblem)
    placeholder = environment.emblem_of(Config(styles=overlay))
    return "default" if environment.file_digest(placeholder) == digest else None


def rerender(
    document: Document, source: Path, flavour: str, emblem: Path | None, styles: Path | None
) -> bytes:
    """The PDF the build renders, from its steps: it depends on nothing but the bag and the
    environment. No gate here: verify runs it on the bagged PDF."""
    from pipeline.typeset import postpass, typeset

    raw = typeset(document, source, pdf_variant=f"pdf/a-{flavour}", emblem=emblem, styles=styles)
    return postpass.finish(raw, document, flavour)  # type: ignore[arg-type]


def check(
    root: Path,
    document: Document,
    pdf: bytes,
    pdf_path: str,
    record_data: bytes | None,
    config: Config,
    claimed_flavour: str | None,
) -> tuple[list[Finding], bool]:
    """Findings of reproduction, and whether the PDF was reproduced."""
    recorded, why = parse_record(record_data)
    if recorded is None:
        return [RECORD(environment.RECORD_PATH, why)], False
    findings = []
    if claimed_flavour is not None and claimed_flavour != recorded.flavour:
        findings.append(
            RECORD(
                environment.RECORD_PATH,
                f"records flavour {recorded.flavour}, the PDF claims PDF/A-{claimed_flavour}",
            )
        )
    found, emblem, overlay = differences(recorded, config)
    if found:
        more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
        message = "reproduction skipped: " + "; ".join(found[:SHOWN]) + more
        return [*findings, SKIPPED(pdf_path, message)], False
    try:
        again = rerender(document, root / SOURCE_DIR, recorded.flavour, emblem, overlay)
    except Exception as exc:  # the bag's own source no longer renders: not the PDF it holds
        message = f"the bagged source does not render again: {type(exc).__name__}: {exc}"
        return [*findings, NOT_REPRODUCED(pdf_path, message[:1000])], False
    first = _unfolio_revision(pdf)
    if first == again:
        return findings, True
    return [*findings, NOT_REPRODUCED(pdf_path, _difference(first, again))], False


def _unfolio_revision(pdf: bytes) -> bytes:
    """The whole file, or for a PDF with exactly one signed update the revision before it."""
    ends = drawing.revision_ends(pdf)
    if len(ends) == 2 and drawing.signed_update(pdf, ends[0]):
        return pdf[: ends[0]]
    return pdf


def _difference(bagged: bytes, again: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(bagged, again, strict=False)) if a != b), None)
    if at is None:
        at = min(len(bagged), len(again))
    return (
        f"re-rendering the bagged source in the recorded environment gives {len(again):,} bytes, "
        f"the bagged PDF (its first revision) has {len(bagged):,}; they differ from byte {at:,}"
    )

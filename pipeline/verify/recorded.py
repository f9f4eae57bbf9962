"""What a bag records about its own build: the environment record's form, and the build time.

**The record as written.** ``unfolio-environment.json`` is written by one function
(:func:`pipeline.package.environment.record_bytes`): sorted keys, two-space indent, UTF-8,
LF and a final newline, and only the keys it writes. So its bytes must be the canonical
serialisation of what they parse to, with exactly those keys (``META-ENVIRONMENT-FORM``): a
forger's note (``"note": "certified …"``) or a re-serialisation is text no rule reads.

**The build time** (``META-BUILD-TIME``). One build writes the PREMIS event times and
``Bagging-Date`` (their date; :mod:`.derived` ties the two) from one clock reading:
``SOURCE_DATE_EPOCH`` when it is set — the record keeps it as ``source_date_epoch`` — else
the wall clock. (The PDF's own dates are the document's masthead date, whatever the build
time, so they anchor nothing here; an archive's member times are the same epoch, checked by
:mod:`.archive_form`.) Hence:

- with an epoch recorded, the PREMIS event time *is* that epoch, to the second;
- without one, it lies between the first day of the unfolio release that wrote the bag
  (:data:`RELEASED`: a release cannot have run before it existed) and now, plus a day for a
  build machine's clock ahead of this one's.

A forger who rewrites bag-info and PREMIS consistently must therefore also rewrite the
recorded epoch, which changes the build key (``META-BUILD-KEY``); one who recomputes that
too has made a self-consistent bag, which only a signature tells from the genuine one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.package import premis
from pipeline.package.environment import RECORD_PATH
from pipeline.verify.findings import Finding, rule

RECORD_FORM = rule(
    "META-ENVIRONMENT-FORM",
    "error",
    "unfolio-environment.json is byte for byte what unfolio writes: its keys only, canonical JSON",
)
BUILD_TIME = rule(
    "META-BUILD-TIME",
    "error",
    "PREMIS's event time (Bagging-Date's) is the build's: the recorded SOURCE_DATE_EPOCH, else"
    " no earlier than the release that wrote the bag and no later than now",
)

#: The first day of each release line (``(major, minor)``) that records its environment.
RELEASED: dict[tuple[int, int], date] = {(0, 2): date(2026, 12, 4)}
CLOCK_SKEW = timedelta(days=1)
_KEYS = {"record_version", "tool", "pdf", "environment", "inputs", "source_date_epoch"}
_TOOL = re.compile(r"unfolio ([0-9]+)\.([0-9]+)\.([0-9]+)")


def canonical(record: Any) -> bytes:
    """The bytes :func:`pipeline.package.environment.record_bytes` writes for ``record``."""
    return (json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _parsed(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None  # META-ENVIRONMENT says why
    return record if isinstance(record, dict) else None


def check_form(data: bytes | None, info: Sequence[tuple[str, str]]) -> list[Finding]:
    """The record's keys and bytes as unfolio writes them (a malformed one is
    ``META-ENVIRONMENT``'s)."""
    record = _parsed(data)
    if record is None or data is None:
        return []
    problems = []
    if set(record) != _KEYS:
        extra = sorted(set(record) - _KEYS)
        missing = sorted(_KEYS - set(record))
        problems.append(
            "keys "
            + ", ".join(
                [
                    *(f"{k!r} unfolio does not write" for k in extra),
                    *(f"{k!r} missing" for k in missing),
                ]
            )
        )
    if isinstance(record.get("pdf"), dict) and set(record["pdf"]) != {"flavour"}:
        problems.append("pdf holds keys other than 'flavour'")
    epoch = record.get("source_date_epoch")
    if not (epoch is None or (isinstance(epoch, str) and epoch.isascii() and epoch.isdigit())):
        problems.append(f"source_date_epoch {epoch!r} is not null or a Unix time in seconds")
    tool = record.get("tool")
    agents = [value for label, value in info if label.lower() == "bag-software-agent"]
    if not (isinstance(tool, str) and _TOOL.fullmatch(tool)):
        problems.append(f"tool {tool!r} is not 'unfolio X.Y.Z'")
    elif agents and agents[0] != tool:
        problems.append(f"tool {tool!r} is not the Bag-Software-Agent {agents[0]!r}")
    if not problems and data != canonical(record):
        problems.append(
            "its bytes are not the canonical serialisation unfolio writes (sorted keys, "
            "two-space indent, UTF-8, LF, one final newline)"
        )
    return [RECORD_FORM(RECORD_PATH, "; ".join(problems))] if problems else []


def check_time(
    record_data: bytes | None, when: datetime | None, now: datetime | None = None
) -> list[Finding]:
    """PREMIS's one event time ``when`` against the recorded epoch or the release window."""
    record = _parsed(record_data)
    if record is None or when is None or "source_date_epoch" not in record:
        return []
    epoch = record["source_date_epoch"]
    shown = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if epoch is not None:
        if not (isinstance(epoch, str) and epoch.isdigit()):
            return []  # check_form names it
        built = datetime.fromtimestamp(int(epoch), tz=UTC)
        if when != built:
            return [
                BUILD_TIME(
                    premis.PREMIS_PATH,
                    f"the events are dated {shown}; the environment record's source_date_epoch"
                    f" {epoch} is {built:%Y-%m-%dT%H:%M:%SZ}, the time that build wrote",
                )
            ]
        return []
    now = now or datetime.now(tz=UTC)
    if when > now + CLOCK_SKEW:
        return [BUILD_TIME(premis.PREMIS_PATH, f"the events are dated {shown}, in the future")]
    match = _TOOL.fullmatch(str(record.get("tool", "")))
    first = RELEASED.get((int(match.group(1)), int(match.group(2)))) if match else None
    if first is not None and when.date() < first:
        return [
            BUILD_TIME(
                premis.PREMIS_PATH,
                f"the events are dated {shown}, before {record['tool']} existed ({first}),"
                " and no SOURCE_DATE_EPOCH is recorded",
            )
        ]
    return []


def check(
    record_data: bytes | None, premis_data: bytes | None, info: Sequence[tuple[str, str]]
) -> list[Finding]:
    """Both checks of a LAYOUT_2 bag: the record's form, and PREMIS's time against it."""
    from pipeline.verify.derived import read_provenance

    findings = check_form(record_data, info)
    if premis_data is not None:
        provenance = read_provenance(premis_data).provenance
        if provenance is not None:
            findings += check_time(record_data, provenance.when)
    return findings

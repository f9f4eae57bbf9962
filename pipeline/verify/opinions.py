"""Second opinions: independent tools run on the same bag, never as the only check.

bagit-python's ``validate()`` and bagit-profile judge the bag, veraPDF (when a ``verapdf``
executable is on PATH) judges the PDF. Their verdict is recorded in the report. When a tool
rejects what unfolio's own checks accepted, that disagreement is a finding (a person should
look: either tool may be wrong); when unfolio rejects what a tool accepts, unfolio's failure
stands and the report shows the tool's verdict — a second opinion can add a failure, never
remove one. bagit-python is known to accept some broken 1.0 bags (a file missing from one of
two manifests, deleted tag manifests, an unlisted tag file), so such disagreements are expected.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pipeline.verify.findings import rule

Verdict = Literal["valid", "invalid", "unavailable", "skipped"]

BAGIT_PYTHON = rule(
    "BAG-OPINION-BAGIT-PYTHON", "warning", "bagit-python accepts what unfolio's BagIt checks accept"
)
BAGIT_PROFILE = rule(
    "META-OPINION-BAGIT-PROFILE",
    "warning",
    "bagit-profile accepts what unfolio's profile checks accept",
)
VERAPDF = rule("PDF-OPINION-VERAPDF", "error", "veraPDF accepts the PDF unfolio's checks accept")

OPENSSL = rule(
    "SIG-OPINION-OPENSSL",
    "error",
    "openssl cms -verify accepts the bag signature unfolio's checks accept",
)

VERAPDF_TIMEOUT = 300  # seconds; veraPDF starts a JVM and can be slow on large files


@dataclass(frozen=True)
class Opinion:
    tool: str
    version: str
    verdict: Verdict
    detail: str = ""
    #: whether the tool came to unfolio's verdict on what it judges; None when it gave none
    agrees: bool | None = None

    def as_dict(self) -> dict[str, str | bool | None]:
        return {
            "tool": self.tool,
            "version": self.version,
            "verdict": self.verdict,
            "detail": self.detail,
            "agrees": self.agrees,
        }


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """bagit and bagit_profile log every problem at ERROR on the root logger; keep stderr ours."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def bagit_python(root: Path) -> Opinion:
    """bagit-python's full validation (every manifest, full fixity)."""
    try:
        import bagit
    except ImportError:
        return Opinion("bagit-python", "", "unavailable", "the bagit package is not installed")
    version = _version("bagit")
    try:
        with _quiet():
            bagit.Bag(str(root)).validate(processes=1)
    except (bagit.BagError, bagit.BagValidationError) as exc:
        return Opinion("bagit-python", version, "invalid", _one_line(exc))
    except (OSError, UnicodeError, ValueError) as exc:
        return Opinion("bagit-python", version, "invalid", f"{type(exc).__name__}: {exc}")
    return Opinion("bagit-python", version, "valid")


def bagit_profile(root: Path, profile: Mapping[str, Any]) -> Opinion:
    """bagit-profile's check of the bag against the same profile (never fetched: passed in)."""
    try:
        import bagit
        import bagit_profile as checker_module
    except ImportError:
        return Opinion("bagit-profile", "", "unavailable", "bagit-profile is not installed")
    version = _version("bagit-profile")
    identifier = profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    try:
        with _quiet():
            checker = checker_module.Profile(identifier, profile=dict(profile))
            ok = checker.validate(bagit.Bag(str(root)))
    except Exception as exc:  # a third-party tool failing is its verdict, not our crash
        return Opinion("bagit-profile", version, "invalid", f"{type(exc).__name__}: {exc}")
    if ok:
        return Opinion("bagit-profile", version, "valid")
    errors = [str(e.value) for e in getattr(checker.report, "errors", [])]
    return Opinion("bagit-profile", version, "invalid", "; ".join(errors) or "rejected")


def verapdf(pdf: Path, flavour: str) -> Opinion:
    """veraPDF's verdict on ``pdf`` for ``flavour``, when a ``verapdf`` executable is on PATH."""
    executable = shutil.which("verapdf")
    if executable is None:
        return Opinion("veraPDF", "", "unavailable", "no verapdf executable on PATH")
    command = [executable, "--format", "text", "--flavour", flavour, str(pdf)]
    try:
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=VERAPDF_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Opinion("veraPDF", "", "unavailable", f"could not run verapdf: {exc}")
    verdicts = [line.split()[0] for line in run.stdout.splitlines() if line.strip()]
    if verdicts[:1] == ["PASS"]:
        return Opinion("veraPDF", "", "valid")
    if verdicts[:1] == ["FAIL"]:
        return Opinion("veraPDF", "", "invalid", _one_line(run.stdout))
    return Opinion(
        "veraPDF",
        "",
        "unavailable",
        f"unreadable output (exit {run.returncode}): " + _one_line(run.stdout + run.stderr),
    )


def openssl_cms(root: Path) -> Opinion:
    """``openssl cms -verify`` on the bag's detached signature and its tag manifest, when an
    ``openssl`` executable is on PATH: the signature value and the digest (``-noverify``: the
    chain is unfolio's own check, against the anchors given, at the signing time claimed)."""
    from pipeline.sign.cms import SIGNATURE_NAME, SIGNED_NAME

    executable = shutil.which("openssl")
    if executable is None:
        return Opinion("openssl", "", "unavailable", "no openssl executable on PATH")
    command = [
        executable, "cms", "-verify", "-binary", "-noverify", "-inform", "DER",
        "-in", str(root / SIGNATURE_NAME), "-content", str(root / SIGNED_NAME),
        "-out", os.devnull,
    ]  # fmt: skip
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        version = subprocess.run(
            [executable, "version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.split()[1:2]
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Opinion("openssl", "", "unavailable", f"could not run openssl: {exc}")
    tool_version = version[0] if version else ""
    if run.returncode == 0:
        return Opinion("openssl", tool_version, "valid", "cms -verify: signature and digest")
    return Opinion("openssl", tool_version, "invalid", _one_line(run.stderr or run.stdout))


def _one_line(text: object, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

"""Verification: is this bag (folder, zip or tgz) complete, intact and what it says it is?

Stages, in the order :func:`verify_target` runs them: ``archive`` (members and sidecar),
``bagit`` (RFC 8493), ``profile`` (the BagIt Profile), ``consistency`` (layout, bagged
source, bag-info and PREMIS against each other), ``pdf`` (the gate's checks and the page-1
masthead), ``opinions`` (bagit-python, bagit-profile, veraPDF). Every check is a rule with a
stable code in :data:`findings.RULES`; ``report`` turns results into lines or JSON.
"""

from __future__ import annotations

from pipeline.verify.findings import RULES, Finding, Rule
from pipeline.verify.target import Options, TargetReport, verify_target

__all__ = ["RULES", "Finding", "Options", "Rule", "TargetReport", "verify_target"]

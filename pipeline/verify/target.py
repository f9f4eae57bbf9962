"""Verify one target — a bag folder, or a bag in a zip or tgz archive — and collect findings.

The order follows the data: the archive (members, sidecar) → BagIt (RFC 8493) → with
``--bagit-only`` stop here; else the profile → the bagged source → layout and bag-info →
the PDF (gate checks, PDF/A claim, masthead) → PREMIS → second opinions. A check that cannot
run because an earlier one found its input missing reports nothing itself: the earlier
finding already names the file, and one cause should give one finding.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.config import Config
from pipeline.model import Document
from pipeline.package.environment import RECORD_PATH
from pipeline.package.premis import PREMIS_PATH
from pipeline.verify import (
    archive,
    archive_form,
    archive_records,
    bagit,
    consistency,
    derived,
    family,
    fixity,
    keycheck,
    layouts,
    ocfl,
    opinions,
    pdf,
    profile,
    recorded,
    reproduce,
    signature,
)
from pipeline.verify.findings import Finding, Findings, rule

Kind = Literal["dir", "zip", "tgz", "file", "ocfl"]
Status = Literal["valid", "warnings", "invalid"]

#: BagIt findings that make a bag unsafe to hand to third-party tools, which follow links
#: and trust manifest paths: with any of them, second opinions are skipped.
UNCHECKED = rule(
    "BAG-UNCHECKED",
    "error",
    "every check ran to its end (one that could not is a failure, never a pass)",
)
#: Manifest lines beyond which bagit-python and bagit-profile are not asked: they resolve every
#: path with ``os.path.realpath`` (an ``lstat`` per segment), some 4 minutes for 300,000 lines,
#: while an unfolio bag lists a dozen files. Their verdict can add a finding, never decide one.
MAX_OPINION_ENTRIES = 10_000
UNSAFE_CODES = frozenset({"BAG-PATH-UNSAFE", "BAG-SYMLINK", "BAG-SPECIAL-FILE", "BAG-TOO-LARGE"})


@dataclass(frozen=True)
class Options:
    bagit_only: bool = False
    strict: bool = False
    premis_xsd: Path | None = None
    profile: Path | None = None  # None: the shipped profile of the bag's layout
    profile_identifier: str | None = None  # the configured one, if not the profile's own
    second_opinions: bool = True
    reproduce: bool = True  # re-render and compare (skipped when the environment differs)
    #: trust anchors (asn1crypto certificates, :func:`signature.load_anchors`); () : none given
    trust: tuple[Any, ...] = ()
    require_signature: bool = False
    #: The issuer's configuration when one is given (``--config`` or ``unfolio.toml``): bag-info
    #: must then carry its Source-Organization and contacts, and reproduction renders with its
    #: emblem and styles overlay. None: no configuration (the defaults).
    config: Config | None = None
    #: An OCFL object: verify the bag of every version, not only the head's.
    every_version: bool = False
    fixity: bool = False
    """``verify --fixity``: BagIt completeness and fixity, PREMIS fixity and the bag's
    signature only (:mod:`.fixity`); no profile, source, PDF or second-opinion checks."""


@dataclass
class TargetReport:
    path: str
    kind: Kind
    bagit_version: str | None = None
    findings: Findings = field(default_factory=Findings)
    opinions: list[opinions.Opinion] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    # what the bag says it holds, for reports: symbol, language, title, pages (when read)
    about: dict[str, Any] = field(default_factory=dict)
    signatures: list[signature.Signature] = field(default_factory=list)
    #: What the bag says its language family shares (LAYOUT_2 bags with a loaded source)
    family: family.Member | None = None
    seconds: float = 0.0
    """How long verifying it took, where it ran (a worker's own clock, with --jobs)."""
    digest: str | None = None
    """The bag's digest, ``sha256:`` of its ``tagmanifest-sha512.txt`` (which covers every
    manifest, which cover every file): what an audit log records, so that a bag resealed
    since the last audit shows as changed even when it still passes."""

    @property
    def errors(self) -> int:
        # by weight, not .count_of: a stage that assigns a plain list must still count right
        return sum(f.weight for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(f.weight for f in self.findings if f.severity == "warning")

    def status(self) -> Status:
        if self.errors:
            return "invalid"
        return "warnings" if self.warnings else "valid"

    def passed(self, strict: bool) -> bool:
        return not self.errors and not (strict and self.warnings)


def kind_of(path: Path) -> Kind:
    if path.is_dir():
        return "ocfl" if ocfl.store.is_object(path) else "dir"
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar.gz", ".tgz")):
        return "tgz"
    return "file"


def verify_target(path: Path, options: Options) -> TargetReport:
    """Everything wrong with the bag at ``path``; never raises for what the bag holds.

    A check that breaks on something no rule foresaw fails the bag (``BAG-UNCHECKED``, with
    the error) instead of stopping the run: the other targets are still reported.
    """
    report = TargetReport(str(path), kind_of(path))
    try:
        _verify_target(path, options, report)
    except Exception as exc:  # fail closed: a bag that could not be checked is not good
        stage = report.checks[-1] if report.checks else "opening"
        message = f"the {stage} checks could not finish: {type(exc).__name__}: {exc}"
        report.findings.append(UNCHECKED("", message[:2000]))
    return report


def _verify_target(path: Path, options: Options, report: TargetReport) -> None:
    if report.kind == "dir":
        _verify_bag(path, options, report)
        return
    if report.kind == "ocfl":
        _verify_ocfl_object(path, options, report)
        return
    report.checks.append("archive")
    scratch = Path(tempfile.mkdtemp(prefix="unfolio-verify-"))
    try:
        root, found = archive.open_archive(path, scratch / "open")
        if not any(f.code == "BAG-ARCHIVE-TYPE" for f in found):  # a sidecar is an archive's
            report.findings += archive.check_sidecar(path)
        report.findings += found
        if root is not None:
            report.findings += archive_records.bag_name_findings(path.name, root.name)
            if not options.bagit_only:  # another tool's archive need not be unfolio's form
                report.findings += archive_form.findings(path, root)
            _verify_bag(root, options, report)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def bag_digest(root: Path) -> str | None:
    """``sha256:<hex>`` of the bag's ``tagmanifest-sha512.txt``, read without following a
    link; None when there is no such regular file (the BagIt stage reports why)."""
    try:
        data = bagit.BagFolder(root).read("tagmanifest-sha512.txt", bagit.MAX_MANIFEST_BYTES)
    except OSError:
        return None
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _fixity_signature(
    root: Path, reading: bagit.BagReading, options: Options, report: TargetReport
) -> None:
    """``--fixity``'s signature check: the bag's detached CMS signature over
    ``tagmanifest-sha512.txt`` (which covers every manifest, which cover every file, the PDF
    too), when trust anchors are given, a signature is required, or the bag carries one. The
    PDF's own signature is a full verify's (it needs the PDF parsed). Trust anchors are
    certificates: nothing secret reaches a worker."""
    if not (options.trust or options.require_signature or signature.bag_signed(root)):
        return
    report.checks.append("signature")
    signed = signature.check(
        root, reading.info, None, "", anchors=options.trust, require=options.require_signature
    )
    report.findings += signed.findings
    report.signatures += signed.signatures


def _verify_ocfl_object(path: Path, options: Options, report: TargetReport) -> None:
    """The object (ocfl-py's validator), then the bag of its head version (or every one)."""
    report.checks.append("ocfl")
    report.findings += ocfl.validate_object(path)
    if report.findings:
        return  # a broken object's versions cannot be trusted to extract
    scratch = ocfl.scratch_folder()
    try:
        chosen = ocfl.versions(path, options.every_version)
        for version in chosen:
            bag, found = ocfl.extract(path, version, scratch)
            report.findings += found
            if bag is None:
                continue
            inner = TargetReport(report.path, "dir")
            _verify_bag(bag, options, inner)
            prefix = f"{version}/" if len(chosen) > 1 else ""
            report.findings += [
                dataclasses.replace(f, file=prefix + f.file) if prefix else f
                for f in inner.findings
            ]
            report.opinions += inner.opinions
            report.bagit_version = inner.bagit_version
            report.family = inner.family
            report.digest = inner.digest  # the head's (or the last version's)
            report.checks += [c for c in inner.checks if c not in report.checks]
    finally:
        ocfl.remove(scratch)


def _verify_bag(root: Path, options: Options, report: TargetReport) -> None:
    report.checks.append("bagit")
    reading, found = bagit.check_bag(root, unfolio_layout=not options.bagit_only)
    report.findings += found
    intact = not any(f.severity == "error" for f in found)
    report.bagit_version = reading.version
    report.digest = bag_digest(root)
    if options.bagit_only:
        return
    if options.fixity:
        report.checks.append("premis-fixity")
        report.findings += fixity.check_premis_fixity(root, reading)
        _fixity_signature(root, reading, options, report)
        return
    report.checks.append("profile")
    layout, found = profile.check_layout(reading.info)
    report.findings += found
    bag_profile = profile.load_profile(
        options.profile or profile.default_profile_path(layout),
        identifier=options.profile_identifier,
    )
    report.findings += profile.check_profile(reading, bag_profile)

    report.checks.append("consistency")
    document, found = consistency.load_document(root)
    report.findings += found
    flavour = None
    pdf_file = None
    pdf_data = None
    pdf_relative = ""
    producer = None
    if document is not None:
        report.about.update(
            symbol=document.symbol, language=document.language, title=document.title
        )
        report.findings += consistency.check_layout(root, reading, document, layout)
        if layout == layouts.LAYOUT_1:
            report.findings += consistency.check_bag_info(reading, document)
        pdf_relative = consistency.pdf_path(document)
        data = pdf_data = consistency.read_file(root, pdf_relative)
        config = options.config or Config()
        overlay = _overlay(config)
        if data is not None:
            from pipeline.report.facts import page_count

            report.about["pages"] = page_count(data)
            report.checks.append("pdf")
            flavour, found = pdf.check_pdf(
                data,
                document,
                pdf_relative,
                creator=_writer(reading.info, layout),
                layout=layout,
                styles=overlay,
            )
            report.findings += found
            pdf_file = root / pdf_relative
            producer = derived.pdf_producer(data)
            if not any(f.code == "PDF-TOO-LARGE" for f in found):  # one cause, one finding
                report.findings += _reproduce(
                    root, document, data, pdf_relative, flavour, layout, options, report, intact
                )
    report.checks.append("signature")
    signed = signature.check(
        root,
        reading.info,
        pdf_data,
        pdf_relative,
        anchors=options.trust,
        require=options.require_signature,
    )
    report.findings += signed.findings
    report.signatures += signed.signatures
    if options.second_opinions and signature.bag_signed(root):
        we_failed = any(f.code.startswith("SIG-BAG-") for f in signed.findings)
        opinion = opinions.openssl_cms(root)
        if opinion.verdict in ("valid", "invalid"):
            opinion = dataclasses.replace(
                opinion, agrees=(opinion.verdict == "invalid") == we_failed
            )
        report.opinions.append(opinion)
        if opinion.verdict == "invalid" and not we_failed:
            message = f"openssl rejects it: {opinion.detail}"
            report.findings.append(opinions.OPENSSL(signature.SIGNATURE_NAME, message))
    report.checks.append("premis")
    found = consistency.check_premis(root, reading, flavour, layout)
    report.findings += found
    if document is not None and layout != layouts.LAYOUT_1:
        report.family = family.member_of(report.path, document, reading.info)
        report.checks.append("derived")
        report.findings += derived.check(
            root,
            reading,
            document,
            flavour,
            options.config,
            premis_checked=not found,
            producer=producer,
        )
        record_data = consistency.read_file(root, RECORD_PATH, reproduce.MAX_RECORD_BYTES)
        report.findings += recorded.check(
            record_data, consistency.read_file(root, PREMIS_PATH), reading.info
        )
        report.findings += keycheck.check(  # part of "derived": a bag-info element recomputed
            reading.info,
            document,
            record_data,
            options.config,
            signature=_bag_signature(root),
            pdf=pdf_data,
        )
    if options.premis_xsd is not None:
        report.checks.append("premis-xsd")
        report.findings += consistency.check_premis_xsd(root, options.premis_xsd)
    if options.second_opinions:
        _second_opinions(root, reading, bag_profile, pdf_file, flavour, report)


def _bag_signature(root: Path) -> bytes | None:
    if not signature.bag_signed(root):
        return None
    return consistency.read_file(root, signature.SIGNATURE_NAME, 1 << 20)


def _overlay(config: Config) -> Path | None:
    from pipeline.package.environment import overlay_of

    return overlay_of(config)


def _reproduce(
    root: Path,
    document: Document,
    data: bytes,
    pdf_relative: str,
    flavour: str | None,
    layout: int | None,
    options: Options,
    report: TargetReport,
    intact: bool,
) -> list[Finding]:
    """Reproduction (:mod:`.reproduce`), for bags whose layout records the environment.

    Not for a bag that already fails its BagIt checks: its files are not the ones issued
    whatever the PDF holds, and a render on top of a 300,000-line manifest's tables would
    double the memory verify needs."""
    if layout == layouts.LAYOUT_1:
        message = "reproduction not possible: unfolio 0.1.x recorded no build environment"
        return [reproduce.UNRECORDED(pdf_relative, message)]
    if layout is None:
        return []  # a bag of no known release: the profile and layout checks say so
    record = consistency.read_file(root, RECORD_PATH, reproduce.MAX_RECORD_BYTES)
    if not options.reproduce or not intact:
        found, _ = reproduce.parse_record(record)
        if found is None:
            return [reproduce.RECORD(RECORD_PATH, _)]
        if not intact and options.reproduce:
            message = "not re-rendered: the bag fails its BagIt checks, so it is not as issued"
            return [reproduce.SKIPPED(pdf_relative, message)]
        return []
    report.checks.append("reproduce")
    findings, _done = reproduce.check(
        root, document, data, pdf_relative, record, options.config or Config(), flavour
    )
    return findings


def _writer(info: tuple[tuple[str, str], ...], layout: int) -> str | None:
    """The ``unfolio X.Y.Z`` that wrote a bag of a layout this unfolio knows, else None (the
    current release: a bag of unknown layout already failed)."""
    if layouts.layout_of(info) != layout:
        return None
    return next(value.strip() for label, value in info if label.lower() == "bag-software-agent")


def _second_opinions(
    root: Path,
    reading: bagit.BagReading,
    bag_profile: dict[str, Any],
    pdf_file: Path | None,
    flavour: str | None,
    report: TargetReport,
) -> None:
    report.checks.append("second-opinions")
    unsafe = sorted({f.code for f in report.findings if f.code in UNSAFE_CODES})
    if unsafe:
        reason = f"not run on an unsafe bag ({', '.join(unsafe)})"
        report.opinions += [
            opinions.Opinion(tool, "", "skipped", reason)
            for tool in ("bagit-python", "bagit-profile", "veraPDF")
        ]
        return
    entries = sum(len(listed) for listed in reading.manifests.values())
    entries += sum(len(listed) for listed in reading.tag_manifests.values())

    def failed(prefixes: tuple[str, ...]) -> bool:
        return any(f.severity == "error" and f.code.startswith(prefixes) for f in report.findings)

    bag_failed = failed(("BAG-",))
    checks = []
    if entries > MAX_OPINION_ENTRIES:
        reason = f"not run: the manifests list {entries:,} lines, over {MAX_OPINION_ENTRIES:,}"
        report.opinions += [
            opinions.Opinion(tool, "", "skipped", reason)
            for tool in ("bagit-python", "bagit-profile")
        ]
    else:
        checks += [
            (opinions.bagit_python(root), bag_failed, opinions.BAGIT_PYTHON, ""),
            (
                opinions.bagit_profile(root, bag_profile),
                bag_failed or failed(("META-PROFILE-",)),
                opinions.BAGIT_PROFILE,
                "bag-info.txt",
            ),
        ]
    if pdf_file is not None and flavour is not None:
        relative = pdf_file.relative_to(root).as_posix()
        checks.append(
            (opinions.verapdf(pdf_file, flavour), failed(("PDF-",)), opinions.VERAPDF, relative)
        )
    for opinion, we_failed, disagreement, where in checks:
        if opinion.verdict in ("valid", "invalid"):
            opinion = dataclasses.replace(
                opinion, agrees=(opinion.verdict == "invalid") == we_failed
            )
        report.opinions.append(opinion)
        if opinion.verdict == "invalid" and not we_failed:
            report.findings.append(
                disagreement(where, f"{opinion.tool} rejects it: {opinion.detail}")
            )

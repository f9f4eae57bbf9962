"""``unfolio verify``: targets expanded, checked (in workers with --jobs), reported as they
finish, audited, and the language families judged across bags at the end.
"""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.options import (
    EXIT_FAILED,
    EXIT_OK,
    config_option,
    report_option,
)
from pipeline.errors import printable

#: verify --json: reports of language-family members held back for the family check, at most
MAX_HELD_REPORTS = 1000


@click.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the versioned JSON report.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option(
    "--bagit-only",
    is_flag=True,
    help="Judge by RFC 8493 (and the BagIt version declared) alone, for bags from elsewhere.",
)
@click.option(
    "--premis-xsd",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also validate premis.xml against this PREMIS 3 XSD (read locally).",
)
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="BagIt Profile to check against (default: the shipped profile of each bag's layout).",
)
@config_option("the profile_identifier the bags claim; not used with --profile")
@click.option(
    "--no-second-opinions",
    is_flag=True,
    help="Do not run bagit-python, bagit-profile, veraPDF and openssl as well.",
)
@click.option(
    "--trust",
    "trust_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust anchors (PEM certificates) the signatures must chain to; repeatable "
    "(default: the configuration's signing.trust).",
)
@click.option(
    "--require-signature",
    is_flag=True,
    help="Fail a bag that is not signed (the only defence against a stripped signature).",
)
@click.option(
    "--every-version",
    is_flag=True,
    help="OCFL objects: verify the bag of every version, not only the head's.",
)
@click.option(
    "--fixity",
    is_flag=True,
    help="Audit mode: BagIt completeness and fixity and PREMIS fixity only (and the signature "
    "with --trust), at hashing speed; no profile, source or PDF checks.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Bags verified at once; above 1, in worker processes, where a crash or --timeout "
    "fails that bag only.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "inline", "dask"]),
    default="local",
    show_default=True,
    help="Local worker processes (with --jobs), inline: this process, or a Dask cluster "
    "(needs unfolio[dask]; bags at the same paths on every node).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds one bag may take; it then fails (BAG-UNCHECKED) and the others go on.",
)
@click.option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append one JSON line per bag (time, target, verdict, codes, bag digest) to this "
    "audit log.",
)
@click.option(
    "--since",
    "since_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Say which bags changed verdict or digest since their last record in this audit log.",
)
@click.option(
    "--no-reproduce",
    is_flag=True,
    help="Do not re-render the bagged source to compare it with the bagged PDF.",
)
@report_option("bag")
@click.option(
    "--junit",
    "junit_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write JUnit XML for CI dashboards: one test case per bag, failures with their "
    "codes.",
)
def verify(
    targets: tuple[Path, ...],
    as_json: bool,
    strict: bool,
    bagit_only: bool,
    premis_xsd: Path | None,
    profile_file: Path | None,
    config_file: Path | None,
    no_second_opinions: bool,
    no_reproduce: bool,
    report_files: tuple[Path, ...],
    junit_files: tuple[Path, ...],
    trust_files: tuple[Path, ...],
    require_signature: bool,
    every_version: bool,
    fixity: bool,
    jobs: int,
    executor: str,
    scheduler: str | None,
    timeout: float | None,
    log_file: Path | None,
    since_file: Path | None,
) -> int:
    """Check bags (folders, .zip or .tar.gz) and name every broken file.

    TARGETS are bags, archives, OCFL roots, folders holding any of them (searched
    recursively, each bag judged alone), globs ('bags/*.zip', quoted) or @LIST files. Each
    bag's report is printed as soon as it is done (with --jobs, in the order they finish).

    Exit 0 when every target passed (warnings alone pass unless --strict), 1 otherwise.
    """
    from pipeline.verify import audit, family
    from pipeline.verify import run as runner
    from pipeline.verify.discover import expand_targets
    from pipeline.verify.ocfl import expand  # an OCFL storage root stands for its objects

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler is for --executor dask")
    if fixity and bagit_only:
        raise click.UsageError("--fixity and --bagit-only are two different modes: choose one")
    if bagit_only and (trust_files or require_signature):
        raise click.UsageError(
            "--trust and --require-signature are unfolio checks, not --bagit-only"
        )
    targets = tuple(expand_targets(targets))  # folders of bags, globs, @LIST; exit 2 if empty
    options = _options(
        config_file=config_file,
        profile_file=profile_file,
        premis_xsd=premis_xsd,
        trust_files=trust_files,
        require_signature=require_signature,
        bagit_only=bagit_only,
        strict=strict,
        second_opinions=not no_second_opinions and not fixity,
        fixity=fixity,
        reproduce=not no_reproduce,
        every_version=every_version,
    )
    audits: dict[str, audit.Audit] | None = None
    if since_file is not None:  # read before this run appends to it (it may be --log too)
        audits, skipped = audit.last_audits(since_file)
        for line in skipped:
            click.echo(f"warning: {printable(line)}", err=True)
    out = _Verdicts(options, as_json, report_files, junit_files, log_file, audits)
    # JSON, --report/--junit and --log: the members of language families are held back (a
    # bounded number) so that their family findings join their own report, row and audit
    # line; past the bound they stream like the rest
    held: list = []
    holding = as_json or bool(report_files or junit_files) or log_file is not None
    members = []  # one small record per target, for the language-family check at the end
    expanded = (path for given in targets for path in expand(given))
    try:
        reports = runner.run(
            expanded, options, executor=executor, jobs=jobs, scheduler=scheduler, timeout=timeout
        )
        for report in reports:
            if report.family is not None:
                members.append(report.family)
                if holding:
                    held.append(report)
                    if len(held) > MAX_HELD_REPORTS:
                        for waiting in held:
                            out.emit(waiting)
                        held, holding = [], False
                    continue
            out.emit(report)
        departed: dict[str, list] = {}
        for path, finding in family.check(members):  # across bags, so after them
            departed.setdefault(path, []).append(finding)
        for waiting in held:
            waiting.findings += departed.pop(waiting.path, [])
            out.emit(waiting)
        for path, findings in departed.items():  # reports already out: the verdict changes
            for finding in findings:
                out.family_finding(path, finding)
        out.close_reports()
    except BaseException:
        out.discard_reports()
        raise
    finally:
        out.close_log()
    out.close(since_file)
    return EXIT_OK if out.passed == out.total else EXIT_FAILED


def _options(
    *,
    config_file: Path | None,
    profile_file: Path | None,
    premis_xsd: Path | None,
    trust_files: tuple[Path, ...],
    require_signature: bool,
    bagit_only: bool,
    strict: bool,
    second_opinions: bool,
    fixity: bool,
    reproduce: bool,
    every_version: bool,
):
    """The run's :class:`pipeline.verify.Options`, from the flags and the configuration; a
    bad profile or XSD is a usage error, found before any bag is read."""
    from pipeline import config as config_module
    from pipeline.config import DEFAULT_PROFILE_IDENTIFIER
    from pipeline.verify import Options, consistency, profile, signature

    identifier = None
    anchors: tuple = ()
    issuer = None  # the configuration bag-info must agree with, when there is one
    if not bagit_only:
        given = config_file is not None or (Path.cwd() / config_module.CONFIG_NAME).is_file()
        loaded = config_module.load(config_file)
        issuer = loaded if given else None
        if profile_file is None and not fixity:
            shipped = profile.shipped_identifiers() | {DEFAULT_PROFILE_IDENTIFIER}
            configured = loaded.profile_identifier
            identifier = None if configured in shipped else configured
        # trust anchors are certificates (public): they may travel to workers and Dask nodes
        anchors = tuple(signature.load_anchors(trust_files or loaded.signing.trust))
        require_signature = require_signature or loaded.signing.require_signature
    options = Options(
        trust=anchors,
        require_signature=require_signature,
        bagit_only=bagit_only,
        premis_xsd=premis_xsd,
        profile=profile_file,
        profile_identifier=identifier,
        config=issuer,
        strict=strict,
        second_opinions=second_opinions,
        fixity=fixity,
        reproduce=reproduce,
        every_version=every_version,
    )
    if not bagit_only and not fixity:
        profile.load_profile(profile_file)
        if premis_xsd is not None:
            consistency.load_xsd(premis_xsd)
    return options


class _Verdicts:
    """Where finished reports go: counted, printed (text or a JSON stream), written to the
    --report/--junit files, appended to the --log and compared with --since."""

    def __init__(self, options, as_json: bool, report_files, junit_files, log_file, audits):
        from pipeline.report import open_reports
        from pipeline.verify import audit
        from pipeline.verify.report import JsonStream

        self.options = options
        self.strict = options.strict
        self.audits = audits  # None: no --since
        self.files = open_reports("verify", report_files, junit=junit_files)
        self.log = audit.Log(log_file) if log_file is not None else None
        self.stream = (
            JsonStream(lambda text: click.echo(text, nl=False), options) if as_json else None
        )
        self.total = self.passed = self.changed = 0
        self.failed: set[str] = set()

    def emit(self, report) -> None:
        """Count, log and print one finished target."""
        from pipeline.report import rows
        from pipeline.verify import audit
        from pipeline.verify.report import mode_of, text_lines

        self.total += 1
        if report.passed(self.strict):
            self.passed += 1
        else:
            self.failed.add(report.path)
        change = audit.compare(report, self.audits) if self.audits is not None else None
        self.changed += bool(change and change.changed)
        if self.log is not None:
            self.log.append(audit.record(report, strict=self.strict, mode=mode_of(self.options)))
        self.files.add(rows.from_verify(report, strict=self.strict, seconds=report.seconds))
        if self.stream is not None:
            extra = {}
            if change is not None:
                extra["since"] = {**change.as_dict(), "what": change.what()}
            self.stream.add(report, **extra)
            return
        for line in text_lines(report, self.options):
            click.echo(line)
        if change is not None:
            said = "; ".join(change.what()) if change.changed else "unchanged"
            click.echo(f"  since the last audit: {printable(said)}")

    def family_finding(self, path: str, finding) -> None:
        """A language-family finding about a target whose report is already out."""
        if finding.severity == "error" and path not in self.failed:
            self.failed.add(path)
            self.passed -= 1
        if self.stream is not None:
            self.stream.family(path, finding)
        else:
            click.echo(f"{path}: invalid (language family)")
            click.echo(f"  {finding}")

    def close_reports(self) -> None:
        totals = {"bags": self.total, "passed": self.passed, "failed": self.total - self.passed}
        self.files.close({"headline": f"{self.passed} of {self.total} passed", "totals": totals})

    def discard_reports(self) -> None:
        self.files.discard()

    def close_log(self) -> None:
        if self.log is not None:
            self.log.close()

    def close(self, since_file: Path | None) -> None:
        if self.stream is not None:
            self.stream.close()
            return
        if self.total > 1:
            click.echo(f"{self.passed} of {self.total} passed")
        if since_file is not None:
            click.echo(f"{self.changed} of {self.total} changed since {printable(str(since_file))}")

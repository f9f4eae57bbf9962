"""The ``unfolio`` command: parse options, call the stages, map failures to exit codes.

Exit codes (DESIGN.md): 0 success, 1 a build or verification failed, 2 invalid input or
usage. Input problems are printed one per line, never as a traceback; any other exception
is a bug in unfolio, shown in full only with ``--debug``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import click

from pipeline import __version__
from pipeline.errors import Problem, UserError, printable
from pipeline.resources import schemas_dir
from pipeline.typeset import DEFAULT_FLAVOUR, FLAVOURS

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
#: verify --json: reports of language-family members held back for the family check, at most
MAX_HELD_REPORTS = 1000
EXIT_INTERRUPTED = 130  # 128 + SIGINT
REPORT_VERSION = 1
pdfa_option = click.option(
    "--pdfa",
    type=click.Choice(FLAVOURS),
    default=DEFAULT_FLAVOUR,
    show_default=True,
    help="PDF/A part and level; 2a/3a are tagged and claim PDF/UA-1 too (2b/2u/3b/3u are "
    "not); 3a/3b/3u embed the source as associated files.",
)


def config_option(used_for: str):
    """``--config FILE``, the same for every command that reads ``unfolio.toml``."""
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"Configuration file ({used_for}; default: unfolio.toml in the working folder, "
        "if any).",
    )


def report_option(what: str):
    """``--report FILE`` (repeatable): a CSV, HTML or JUnit XML report, one row per {what}."""
    return click.option(
        "--report",
        "report_files",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"Also write a report, one row per {what}: FILE.csv, FILE.html (offline, no "
        "script) or FILE.xml (JUnit). Repeatable.",
    )


_debug = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unfolio")
@click.option("--debug", is_flag=True, help="Show full tracebacks of unexpected errors.")
def cli(debug: bool) -> None:
    """Typeset UN documents as PDF/A and package them for the archive."""
    global _debug
    _debug = debug


def _in_folder(folder: Path, problem: Problem) -> Problem:
    if not problem.file or Path(problem.file).is_absolute():
        return problem
    return dataclasses.replace(problem, file=str(folder / problem.file))


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
def validate(sources: tuple[str, ...], as_json: bool) -> int:
    """Check document source folders without rendering anything: the contract, the limits,
    and that the pinned fonts draw every character to be printed.

    SOURCES are folders, globs ('backlog/*', quoted) or @LIST files, as for build."""
    from pipeline import placeholders, source
    from pipeline.batch.sources import expand
    from pipeline.typeset import coverage  # fontTools only: no WeasyPrint, nothing rendered

    results = []
    for entry in expand(sources):
        folder = entry.source
        try:
            if entry.problem is not None:
                raise UserError(Problem(str(folder), entry.problem))
            document = source.load(folder)
            try:
                coverage.check(document)  # what build would refuse, validate refuses too
            except UserError as exc:  # its files are named inside the folder: say which folder
                raise UserError([_in_folder(folder, p) for p in exc.problems]) from None
        except UserError as exc:
            results.append(
                {
                    "source": str(folder),
                    "valid": False,
                    "problems": [p.as_dict() for p in exc.problems],
                }
            )
            if not as_json:
                for problem in exc.problems:
                    click.echo(f"error: {problem}", err=True)
            continue
        to_fill = placeholders.find(document, str(folder))
        results.append(
            {
                "source": str(folder),
                "valid": True,
                "symbol": document.symbol,
                "language": document.language,
                "problems": [],
                "warnings": [w.as_dict() for w in to_fill],
            }
        )
        if not as_json:
            for warning in to_fill:
                click.echo(f"warning: {warning}; build refuses it until it is filled", err=True)
            draft = f", a draft: {len(to_fill)} placeholder{'s' * (len(to_fill) != 1)} left"
            click.echo(
                f"ok: {printable(str(folder))} ({document.symbol}, {document.language}, "
                f"{len(document.parts)} part{'s' * (len(document.parts) != 1)}"
                f"{draft if to_fill else ''})"
            )
    if as_json:
        report = {
            "report_version": REPORT_VERSION,
            "tool": f"unfolio {__version__}",
            "documents": results,
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    return EXIT_OK if all(r["valid"] for r in results) else EXIT_INVALID


@cli.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="The PDF to write."
)
@pdfa_option
@click.option(
    "--emblem",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="SVG of the emblem to print instead of the neutral placeholder (default: the "
    "configuration's emblem, if any).",
)
@config_option("its emblem and styles folder, as for build")
@click.option(
    "--make-deps",
    "make_deps",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a make rule: the PDF depends on every file this render read.",
)
def render(
    src: Path,
    output: Path,
    pdfa: str,
    emblem: Path | None,
    config_file: Path | None,
    make_deps: Path | None,
) -> int:
    """Typeset one document source folder as a UN-format PDF/A."""
    from pipeline import atomic, source, typeset
    from pipeline import config as config_module
    from pipeline.typeset.engine import RenderError
    from pipeline.typeset.gate import GateFailed

    if os.path.lexists(output.parent) and not output.parent.is_dir():
        raise UserError(f"{output.parent}: not a folder")
    config = config_module.load(config_file)
    document = source.load(src)
    try:
        pdf = typeset.render_pdf(
            document, src, flavour=pdfa, emblem=emblem or config.emblem, styles=config.styles
        )
    except GateFailed as exc:
        for finding in exc.findings:
            click.echo(f"failed: {src}: {finding}", err=True)
        return EXIT_FAILED
    except RenderError as exc:
        click.echo(f"failed: {src}: {exc}", err=True)
        return EXIT_FAILED
    try:
        output.parent.mkdir(parents=True, exist_ok=True)  # as build creates its folder
    except OSError as exc:
        raise UserError(
            f"{output.parent}: cannot create the output folder: {exc.strerror}"
        ) from None
    atomic.write_bytes(output, pdf)
    click.echo(f"wrote {output} (PDF/A-{pdfa.upper()}, {len(pdf):,} bytes)")
    if make_deps is not None:
        from pipeline import makedeps

        config_path = config_file or config_module.found(None)
        read = makedeps.inputs(src, document, config, config_path)
        if emblem is not None:
            read.append(emblem)
        atomic.write_bytes(make_deps, makedeps.rule([str(output)], read).encode("utf-8"))
    return EXIT_OK


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder that receives the bags.",
)
@pdfa_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dir", "zip", "tgz", "ocfl"]),
    default="dir",
    show_default=True,
    help="Write each bag as a folder, as a reproducible archive with a .sha256 sidecar, or "
    "(ocfl) as an object in the OCFL 1.1 storage root OUTPUT: a changed document adds a version.",
)
@config_option("organization values, emblem, styles folder")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: one per core).",
)
@click.option("--force", is_flag=True, help="Rebuild bags that are up to date.")
@click.option(
    "--no-replace",
    is_flag=True,
    help="Refuse to replace a bag (or archive) built from different content: exit 1, naming it.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    help="Seconds one document may take before its render is stopped.",
)
@click.option(
    "--max-tasks-per-worker",
    "max_tasks",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Replace a worker process after this many documents.",
)
@click.option(
    "--max-worker-memory",
    "max_memory",
    type=click.IntRange(min=1),
    default=1024,
    show_default=True,
    help="Replace a worker process whose resident memory exceeds this many MiB.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "inline", "dask"]),
    default="local",
    show_default=True,
    help="Local worker processes; inline: in this process, one after another (for debugging: "
    "a crash or hang stops the batch); or a Dask distributed cluster (needs unfolio[dask]).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786.")
@click.option(
    "--sign-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sign each PDF and bag with this PEM private key (encrypted: passphrase from "
    "UNFOLIO_SIGN_PASSPHRASE or a prompt).",
)
@click.option(
    "--sign-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The signing key's certificate (PEM).",
)
@click.option(
    "--sign-chain",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Intermediate certificates to embed with the signature (PEM).",
)
@click.option(
    "--sign-p12",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sign with the key and certificates of this PKCS#12 file instead.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@report_option("document")
def build(
    sources: tuple[str, ...],
    output: Path,
    pdfa: str,
    fmt: str,
    config_file: Path | None,
    jobs: int | None,
    force: bool,
    no_replace: bool,
    timeout: float,
    max_tasks: int,
    max_memory: int,
    executor: str,
    scheduler: str | None,
    sign_key: Path | None,
    sign_cert: Path | None,
    sign_chain: Path | None,
    sign_p12: Path | None,
    as_json: bool,
    report_files: tuple[Path, ...],
) -> int:
    """Validate, typeset and package each document source folder as a BagIt bag in OUTPUT.

    SOURCES are folders, globs ('backlog/*', quoted) or @LIST files (one per line, # comments).
    Bags whose build key matches are skipped (--force rebuilds). A bad document is reported
    and the others are still built. Exit 0 when nothing failed, 2 when every failure was
    invalid input, 1 when anything else failed.
    """
    from pipeline import batch
    from pipeline import config as config_module

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler is for --executor dask")
    config = config_module.load(config_file)
    signer = _signer(sign_key, sign_cert, sign_chain, sign_p12, config.signing)
    options = batch.Options(
        output=output,
        flavour=pdfa,
        fmt=fmt,
        config=config,
        signer=signer,
        jobs=jobs or batch.default_jobs(),
        force=force,
        timeout=timeout,
        max_tasks=max_tasks,
        max_rss_mb=float(max_memory),
        executor=executor,
        scheduler=scheduler,
        replace=not no_replace,
    )
    from pipeline.report.writers import check_paths

    check_paths(report_files)  # before any work
    summary = batch.run(list(sources), options, json_output=as_json)
    if as_json or report_files:
        _write_build_reports(summary, report_files)
    if as_json:
        click.echo(json.dumps(summary.report(), ensure_ascii=False, indent=2))
    if len(summary.results) > 1 or summary.count("skipped") or summary.interrupted:
        for line in summary.closing_lines():
            click.echo(printable(line), err=True)
    return summary.exit_code


def _write_build_reports(summary, report_files: tuple[Path, ...]) -> None:
    from pipeline.report import open_reports, rows

    for result in summary.results:
        if result is not None:
            rows.complete(result)  # a skipped bag's size, digest and pages
    reports = open_reports("build", report_files)
    try:
        for source, result in zip(summary.sources, summary.results, strict=False):
            # None: not started (an interrupted build)
            reports.add(rows.from_build(result) if result is not None else rows.not_started(source))
        totals = rows.build_totals(summary.counts(), summary.results.count(None))
        reports.close({"headline": summary.line(), "totals": totals})
    except BaseException:
        reports.discard()
        raise


def _ask_passphrase(name: str) -> bytes | None:
    """A hidden prompt at a terminal; None when no one is there to answer."""
    if not sys.stdin.isatty():
        return None
    return click.prompt(f"Passphrase for {name}", hide_input=True, err=True).encode("utf-8")


def _signer(key: Path | None, cert: Path | None, chain: Path | None, p12: Path | None, signing):
    """The run's signer from the options, else the ``[signing]`` table; None: unsigned."""
    from pipeline.sign import Signer, keys

    if key or cert or chain or p12:
        if p12 and (key or cert):
            raise click.UsageError("--sign-p12, or --sign-key with --sign-cert, not both")
        if not p12 and not (key and cert):
            raise click.UsageError("--sign-key and --sign-cert go together")
        if chain and p12:
            raise click.UsageError("--sign-chain is for --sign-key; a PKCS#12 file holds its chain")
    elif signing.signs:
        key, cert, chain, p12 = signing.key, signing.certificate, signing.chain, signing.pkcs12
    else:
        return None
    if p12 is not None:
        identity = keys.load_pkcs12(p12, ask=_ask_passphrase)
        where = str(p12)
    else:
        assert key is not None and cert is not None
        identity = keys.load_pem(key, cert, chain, ask=_ask_passphrase)
        where = str(cert)
    try:
        when = keys.signing_time()
    except ValueError as exc:
        raise UserError(str(exc)) from None
    identity.check_time(when, where)
    return Signer(identity, when)


@cli.command()
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
    from pipeline import config as config_module
    from pipeline.config import DEFAULT_PROFILE_IDENTIFIER
    from pipeline.verify import Options, audit, consistency, family, profile, signature
    from pipeline.verify import run as runner
    from pipeline.verify.discover import expand_targets
    from pipeline.verify.ocfl import expand  # an OCFL storage root stands for its objects
    from pipeline.verify.report import JsonStream, mode_of, text_lines

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler is for --executor dask")
    if fixity and bagit_only:
        raise click.UsageError("--fixity and --bagit-only are two different modes: choose one")
    if bagit_only and (trust_files or require_signature):
        raise click.UsageError(
            "--trust and --require-signature are unfolio checks, not --bagit-only"
        )
    targets = tuple(expand_targets(targets))  # folders of bags, globs, @LIST; exit 2 if empty
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
        strict=strict,
        premis_xsd=premis_xsd,
        profile=profile_file,
        profile_identifier=identifier,
        second_opinions=not no_second_opinions and not fixity,
        fixity=fixity,
        reproduce=not no_reproduce,
        config=issuer,
        every_version=every_version,
    )
    if not bagit_only and not fixity:  # a bad profile or XSD is a usage error, found first
        profile.load_profile(profile_file)
        if premis_xsd is not None:
            consistency.load_xsd(premis_xsd)
    audits: dict[str, audit.Audit] = {}
    if since_file is not None:  # read before this run appends to it (it may be --log too)
        audits, skipped = audit.last_audits(since_file)
        for line in skipped:
            click.echo(f"warning: {printable(line)}", err=True)
    from pipeline.report import open_reports, rows

    files = open_reports("verify", report_files, junit=junit_files)
    log = audit.Log(log_file) if log_file is not None else None
    stream = JsonStream(lambda text: click.echo(text, nl=False), options) if as_json else None
    tally = {"total": 0, "passed": 0, "changed": 0}
    failed: set[str] = set()
    members = []  # one small record per target, for the language-family check at the end

    def emit(report) -> None:
        """Count, log and print one finished target."""
        tally["total"] += 1
        if report.passed(strict):
            tally["passed"] += 1
        else:
            failed.add(report.path)
        change = audit.compare(report, audits) if since_file is not None else None
        tally["changed"] += bool(change and change.changed)
        if log is not None:
            log.append(audit.record(report, strict=strict, mode=mode_of(options)))
        files.add(rows.from_verify(report, strict=strict, seconds=report.seconds))
        if stream is not None:
            extra = {}
            if change is not None:
                extra["since"] = {**change.as_dict(), "what": change.what()}
            stream.add(report, **extra)
            return
        for line in text_lines(report, options):
            click.echo(line)
        if change is not None:
            said = "; ".join(change.what()) if change.changed else "unchanged"
            click.echo(f"  since the last audit: {printable(said)}")

    # JSON, --report/--junit and --log: the members of language families are held back (a
    # bounded number) so that their family findings join their own report, row and audit
    # line; past the bound they stream like the rest
    held: list = []
    holding = stream is not None or bool(report_files or junit_files) or log_file is not None
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
                            emit(waiting)
                        held, holding = [], False
                    continue
            emit(report)
        departed: dict[str, list] = {}
        for path, finding in family.check(members):  # across bags, so after them
            departed.setdefault(path, []).append(finding)
        for waiting in held:
            waiting.findings += departed.pop(waiting.path, [])
            emit(waiting)
        for path, findings in departed.items():  # reports already out: the verdict changes
            for finding in findings:
                if finding.severity == "error" and path not in failed:
                    failed.add(path)
                    tally["passed"] -= 1
                if stream is not None:
                    stream.family(path, finding)
                else:
                    click.echo(f"{path}: invalid (language family)")
                    click.echo(f"  {finding}")
        total, passed = tally["total"], tally["passed"]
        totals = {"bags": total, "passed": passed, "failed": total - passed}
        files.close({"headline": f"{passed} of {total} passed", "totals": totals})
    except BaseException:
        files.discard()
        raise
    finally:
        if log is not None:
            log.close()
    if stream is not None:
        stream.close()
    else:
        if total > 1:
            click.echo(f"{passed} of {total} passed")
        if since_file is not None:
            changed = tally["changed"]
            click.echo(f"{changed} of {total} changed since {printable(str(since_file))}")
    return EXIT_OK if passed == total else EXIT_FAILED


@cli.command(name="new")
@click.argument("symbols", nargs=-1, required=True)
@click.option(
    "--language",
    "-l",
    required=True,
    metavar="LANG",
    help="Language of this version: ar zh en fr ru es.",
)
@click.option(
    "--organ",
    "organs",
    multiple=True,
    metavar="CODE[:N]",
    help="GA:SESSION, SC:YEAR, ECOSOC:YEAR or HRC:SESSION (repeatable; default: what the "
    "symbol says).",
)
@click.option("--date", "when", metavar="YYYY-MM-DD", help="Masthead date (default: today).")
@click.option(
    "--duty-station",
    type=click.Choice(["new-york", "geneva", "vienna"]),
    default="new-york",
    show_default=True,
)
@click.option(
    "--distribution",
    type=click.Choice(["general", "limited", "restricted"]),
    default="general",
    show_default=True,
)
@click.option(
    "--original",
    "original_languages",
    multiple=True,
    metavar="LANG",
    help="Original language(s) (repeatable; default: --language).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="The folder to create (default: the bag name, e.g. A_80_100-EN, here).",
)
def new_command(
    symbols: tuple[str, ...],
    language: str,
    organs: tuple[str, ...],
    when,
    duty_station: str,
    distribution: str,
    original_languages: tuple[str, ...],
    output: Path | None,
) -> int:
    """Start a document: a source folder that validates and renders at once.

    SYMBOLS is one symbol, or several for a joint document (A/80/100 S/2025/100). What only a
    person can write (title, body text, job number) is left as [[TO FILL: …]]: validate lists
    each one, build refuses the source until none is left.
    """
    from pipeline import scaffold

    draft = scaffold.create(
        list(symbols),
        language.strip().lower(),
        output=output,
        organs=list(organs),
        when=scaffold.parse_date(when) if when else None,
        duty_station=duty_station,
        distribution=distribution,
        original_languages=tuple(o.strip().lower() for o in original_languages),
    )
    folder = printable(str(draft.folder))
    click.echo(f"created {folder} ({scaffold.describe(draft.metadata)})")
    click.echo(f"to fill before build ({len(draft.to_fill)}):")
    for problem in draft.to_fill:
        click.echo(f"  {problem}")
    click.echo(f"look at it:  unfolio render {folder} -o drafts/{draft.folder.name}.pdf")
    click.echo(f"check it:    unfolio validate {folder}")
    return EXIT_OK


@cli.command(name="preview")
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder that receives one PNG per page (created if need be).",
)
@click.option(
    "--dpi",
    type=click.IntRange(min=20, max=600),
    default=110,
    show_default=True,
    help="Resolution of the PNGs.",
)
def preview_command(target: Path, output: Path, dpi: int) -> int:
    """Write a PNG of every page of a PDF, or of the PDF in a bag folder or archive.

    The pages are the PDF's own (the bag's, when given a bag), not a new rendering.
    """
    from pipeline import preview

    pdf, stem = preview.pdf_of(target)
    count = 0
    for page in preview.render_pages(pdf, output, stem, dpi=dpi):
        click.echo(f"wrote {printable(str(page.path))} ({page.width}×{page.height})")
        count += 1
    click.echo(f"{count} page{'s' * (count != 1)} of {printable(str(target))}")
    return EXIT_OK


@cli.command(name="import")
@click.argument("docx", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The source folder to create (new, or an empty folder).",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the import report (what was read, changed, left out) as JSON.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
def import_command(docx: Path, output: Path, report_file: Path | None, as_json: bool) -> int:
    """Make a document source folder from a UN Word document (.docx).

    Body text, headings, numbered paragraphs, emphasis, links, footnotes and tables become
    Markdown; the masthead values are read from the first-page header and footer and the
    document variables, and those it cannot read are left as [[TO FILL: field]] (validate
    warns about them, build refuses them). What is not carried over (images, comments,
    tracked deletions, text boxes, field codes) is listed, with its text.
    """
    from pipeline import atomic
    from pipeline.importer import import_docx

    result = import_docx(docx, output)
    report = result.report
    if report_file is not None:
        data = json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
        atomic.write_bytes(report_file, data.encode("utf-8"))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for item in report.items:
            if item.kind == "not-carried":
                click.echo(f"warning: {printable(str(docx))}: {item.line()}", err=True)
            elif item.kind == "to-fill":
                click.echo(
                    f"warning: {printable(str(output))}: to fill: {item.what}: {item.detail}",
                    err=True,
                )
            elif item.kind == "changed":
                click.echo(f"note: {printable(str(docx))}: {item.line()}", err=True)
    parts = len(result.files) - 1
    left = len(report.of("not-carried"))
    fill = len(report.of("to-fill"))
    click.echo(
        f"wrote {printable(str(output))} ({parts} part{'s' * (parts != 1)}; "
        f"{left} item{'s' * (left != 1)} not carried over, {fill} value{'s' * (fill != 1)} "
        "to fill)"
    )
    return EXIT_OK


@cli.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "target",
    required=True,
    help="The make target the rule is for (the PDF, the bag, or a stamp file).",
)
@config_option("its emblem and styles folder are inputs too")
def deps(src: Path, target: str, config_file: Path | None) -> int:
    """Print the make rule of every file a render or build of SRC reads.

    The source folder's files, the configuration file, its emblem and styles overlay; each
    also gets an empty rule, so a deleted part does not stop make. Include the output in a
    Makefile (see docs/make.md) and make rebuilds exactly when one of them changes.
    """
    from pipeline import config as config_module
    from pipeline import makedeps, source

    config = config_module.load(config_file)
    document = source.load(src)
    config_path = config_file or config_module.found(None)
    click.echo(
        makedeps.rule([target], makedeps.inputs(src, document, config, config_path)), nl=False
    )
    return EXIT_OK


@cli.command()
def schema() -> int:
    """Print the JSON Schema of document.json."""
    click.echo((schemas_dir() / "document.schema.json").read_text(encoding="utf-8"), nl=False)
    return EXIT_OK


@cli.command(name="doctor")
def doctor_command() -> int:
    """Check that this host has what rendering needs, with a fix for each gap."""
    from pipeline import doctor

    checks = doctor.run()
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        click.echo(f"{mark} {check.name}: {check.found}")
        if not check.ok:
            click.echo(f"     fix: {check.fix}")
    failed = sum(not c.ok for c in checks)
    click.echo(f"{len(checks) - failed} passed, {failed} failed")
    return EXIT_OK if not failed else EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the exit code."""
    if argv is None and os.environ.get("UNFOLIO_WARM", "") not in ("", "0"):
        from pipeline import warm  # UNFOLIO_WARM=1: render and build run in a warm server

        if warm.wanted(sys.argv[1:]):
            code = warm.run(sys.argv[1:])
            if code is not None:
                sys.exit(code)
    try:
        code = cli.main(args=argv, prog_name="unfolio", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        code = exc.exit_code
    except click.ClickException as exc:  # usage errors: exit 2
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:  # Ctrl-C outside a batch build (which sums up itself)
        click.echo("interrupted", err=True)
        code = EXIT_INTERRUPTED
    except UserError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        code = exc.exit_code
    except Exception as exc:  # a bug: say so plainly, show the traceback only on request
        if _debug:
            raise
        click.echo(
            f"unfolio: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback)",
            err=True,
        )
        code = EXIT_FAILED
    code = EXIT_OK if code is None else code
    if argv is None:
        sys.exit(code)
    return code

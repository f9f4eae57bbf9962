"""``unfolio build``: the batch, its reports, and the signer made from the options."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline.cli.options import (
    config_option,
    pdfa_option,
    report_option,
)
from pipeline.errors import UserError, printable


@click.command()
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
    from pipeline import config as config_module
    from pipeline.batch import runner as batch

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

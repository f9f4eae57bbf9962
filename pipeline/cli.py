"""The ``unfolio`` command: parse options, call the stages, map failures to exit codes.

Exit codes (DESIGN.md): 0 success, 1 a build or verification failed, 2 invalid input or
usage. Input problems are printed one per line, never as a traceback; any other exception
is a bug in unfolio, shown in full only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline import __version__, doctor, source
from pipeline.errors import UserError
from pipeline.resources import schemas_dir
from pipeline.typeset import DEFAULT_FLAVOUR, FLAVOURS

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
REPORT_VERSION = 1
pdfa_option = click.option(
    "--pdfa",
    type=click.Choice(FLAVOURS),
    default=DEFAULT_FLAVOUR,
    show_default=True,
    help="PDF/A part and level; 3b/3u embed the source as associated files.",
)
_debug = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unfolio")
@click.option("--debug", is_flag=True, help="Show full tracebacks of unexpected errors.")
def cli(debug: bool) -> None:
    """Typeset UN documents as PDF/A and package them for the archive."""
    global _debug
    _debug = debug


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
def validate(sources: tuple[Path, ...], as_json: bool) -> int:
    """Check document source folders without rendering anything."""
    results = []
    for folder in sources:
        try:
            document = source.load(folder)
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
        results.append(
            {
                "source": str(folder),
                "valid": True,
                "symbol": document.symbol,
                "language": document.language,
                "problems": [],
            }
        )
        if not as_json:
            click.echo(
                f"ok: {folder} ({document.symbol}, {document.language}, "
                f"{len(document.parts)} part{'s' * (len(document.parts) != 1)})"
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
    help="SVG of the emblem to print instead of the neutral placeholder.",
)
def render(src: Path, output: Path, pdfa: str, emblem: Path | None) -> int:
    """Typeset one document source folder as a UN-format PDF/A."""
    from pipeline import atomic, typeset
    from pipeline.typeset.engine import RenderError
    from pipeline.typeset.gate import GateFailed

    if not output.parent.is_dir():
        raise UserError(f"{output.parent}: the output folder does not exist")
    document = source.load(src)
    try:
        pdf = typeset.render_pdf(document, src, flavour=pdfa, emblem=emblem)
    except GateFailed as exc:
        for finding in exc.findings:
            click.echo(f"failed: {src}: {finding}", err=True)
        return EXIT_FAILED
    except RenderError as exc:
        click.echo(f"failed: {src}: {exc}", err=True)
        return EXIT_FAILED
    atomic.write_bytes(output, pdf)
    click.echo(f"wrote {output} (PDF/A-{pdfa.upper()}, {len(pdf):,} bytes)")
    return EXIT_OK


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder that receives the bags.",
)
@pdfa_option
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file (default: unfolio.toml in the working folder, if any).",
)
def build(sources: tuple[Path, ...], output: Path, pdfa: str, config_file: Path | None) -> int:
    """Validate, typeset and package each document source folder as a BagIt bag in OUTPUT.

    A bad document is reported and the others are still built. Exit 0 when all were built,
    2 when every failure was invalid input, 1 when anything else failed.
    """
    from pipeline import config as config_module
    from pipeline import typeset
    from pipeline.package import build_bag
    from pipeline.typeset.engine import RenderError
    from pipeline.typeset.gate import GateFailed

    settings = config_module.load(config_file)
    if not output.is_dir():
        if output.exists():
            raise UserError(f"{output}: not a folder")
        output.mkdir(parents=True)
    invalid = failed = 0
    for src in sources:
        try:
            document = source.load(src)
            pdf = typeset.render_pdf(document, src, flavour=pdfa, emblem=settings.emblem)
            bag = build_bag(document, pdf, pdfa, output, settings)
        except UserError as exc:
            invalid += 1
            for problem in exc.problems:
                click.echo(f"error: {src}: {problem}", err=True)
        except GateFailed as exc:
            failed += 1
            for finding in exc.findings:
                click.echo(f"failed: {src}: {finding}", err=True)
        except (RenderError, OSError, ValueError) as exc:
            failed += 1
            click.echo(f"failed: {src}: {exc}", err=True)
        else:
            click.echo(f"built {bag}")
    if failed:
        return EXIT_FAILED
    return EXIT_INVALID if invalid else EXIT_OK


@cli.command()
def schema() -> int:
    """Print the JSON Schema of document.json."""
    click.echo((schemas_dir() / "document.schema.json").read_text(encoding="utf-8"), nl=False)
    return EXIT_OK


@cli.command(name="doctor")
def doctor_command() -> int:
    """Check that this host has what rendering needs, with a fix for each gap."""
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
    try:
        code = cli.main(args=argv, prog_name="unfolio", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        code = exc.exit_code
    except click.ClickException as exc:  # usage errors: exit 2
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        code = EXIT_FAILED
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

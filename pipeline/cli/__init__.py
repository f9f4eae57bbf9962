"""The ``unfolio`` command: parse options, call the stages, map failures to exit codes.

Exit codes (DESIGN.md): 0 success, 1 a build or verification failed, 2 invalid input or
usage. Input problems are printed one per line, never as a traceback; any other exception
is a bug in unfolio, shown in full only with ``--debug``.
"""

from __future__ import annotations

import os
import sys

import click

from pipeline import __version__
from pipeline.cli.build import build
from pipeline.cli.doctor import doctor_command
from pipeline.cli.documents import deps, render, schema, validate
from pipeline.cli.options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from pipeline.cli.preview import preview_command
from pipeline.cli.start import import_command, new_command
from pipeline.cli.verify import verify
from pipeline.errors import UserError

_debug = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unfolio")
@click.option("--debug", is_flag=True, help="Show full tracebacks of unexpected errors.")
def cli(debug: bool) -> None:
    """Typeset UN documents as PDF/A and package them for the archive."""
    global _debug
    _debug = debug


for command in (
    validate,
    render,
    build,
    verify,
    new_command,
    import_command,
    preview_command,
    deps,
    schema,
    doctor_command,
):
    cli.add_command(command)


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

"""What several commands share: exit codes (DESIGN.md) and the options spelled the same
everywhere.
"""

from __future__ import annotations

from pathlib import Path

import click

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

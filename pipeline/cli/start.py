"""Commands that start a source folder: ``unfolio new`` (a draft) and ``unfolio import``
(from Word).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.options import (
    EXIT_OK,
)
from pipeline.errors import printable


@click.command(name="new")
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
@click.option(
    "--date",
    "when",
    metavar="YYYY-MM-DD",
    help="Masthead date (the date of issue; without it, a placeholder to fill).",
)
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
    "--agenda-item",
    "agenda_items",
    multiple=True,
    metavar="ITEM",
    help="Agenda item, like 156, 156a or '156 (a)' (repeatable; default for a General "
    "Assembly document: a placeholder to fill).",
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
    agenda_items: tuple[str, ...],
    output: Path | None,
) -> int:
    """Start a document: a source folder that validates and renders at once.

    SYMBOLS is one symbol, or several for a joint document (A/80/100 S/2025/100). What only a
    person can write (title, body text, job number, the date unless --date gives it, a General
    Assembly agenda item) is left as [[TO FILL: …]]: validate lists each one, build refuses the source until none is left.
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
        agenda_items=agenda_items,
    )
    folder = printable(str(draft.folder))
    click.echo(f"created {folder} ({scaffold.describe(draft.metadata)})")
    click.echo(f"to fill before build ({len(draft.to_fill)}):")
    for problem in draft.to_fill:
        click.echo(f"  {problem}")
    click.echo(f"look at it:  unfolio render {folder} -o drafts/{draft.folder.name}.pdf")
    click.echo(f"check it:    unfolio validate {folder}")
    return EXIT_OK


@click.command(name="import")
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
        "to fill)",
        err=as_json,  # with --json, standard output is the report alone (for jq, a pipe)
    )
    return EXIT_OK

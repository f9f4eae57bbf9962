"""Commands about one source folder or a list of them: validate, render, deps, schema."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import click

from pipeline import __version__
from pipeline.cli.options import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    REPORT_VERSION,
    config_option,
    pdfa_option,
)
from pipeline.errors import Problem, UserError, printable
from pipeline.resources import schemas_dir


def _in_folder(folder: Path, problem: Problem) -> Problem:
    if not problem.file or Path(problem.file).is_absolute():
        return problem
    return dataclasses.replace(problem, file=str(folder / problem.file))


@click.command()
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
        symbol = document.symbol  # a stand-in when the symbol is still to fill: not shown
        if any((w.pointer or "").startswith("/symbols") for w in to_fill):
            symbol = placeholders.mark("symbol")
        results.append(
            {
                "source": str(folder),
                "valid": True,
                "symbol": symbol,
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
                f"ok: {printable(str(folder))} ({symbol}, {document.language}, "
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


@click.command()
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


@click.command()
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


@click.command()
def schema() -> int:
    """Print the JSON Schema of document.json."""
    click.echo((schemas_dir() / "document.schema.json").read_text(encoding="utf-8"), nl=False)
    return EXIT_OK

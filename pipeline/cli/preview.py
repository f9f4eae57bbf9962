"""``unfolio preview``: the pages of a bag's own PDF as PNGs."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.options import (
    EXIT_OK,
)
from pipeline.errors import printable


@click.command(name="preview")
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

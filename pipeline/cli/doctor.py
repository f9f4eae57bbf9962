"""``unfolio doctor``: what this host lacks for rendering, with a fix for each gap."""

from __future__ import annotations

import click

from pipeline.cli.options import (
    EXIT_FAILED,
    EXIT_OK,
)


@click.command(name="doctor")
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

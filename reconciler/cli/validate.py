"""`obsctl validate [PATH...]`: parse and validate the config; no AWS calls."""

from __future__ import annotations

import click

from reconciler.cli.common import reports_errors, stats_option
from reconciler.config import load_stacks


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@stats_option
@reports_errors
def validate_command(paths):
    """Parse and validate config files; no AWS calls."""
    stacks = load_stacks(list(paths) or ["."])
    for stack in stacks:
        count = sum(len(stack.section(s)) for s in _sections())
        click.echo(f"Stack {stack.name}: {count} top-level resources in {len(stack.files)} "
                   f"file(s) — valid.")


def _sections():
    from reconciler.kinds import KINDS

    return sorted({k.section for k in KINDS.values() if k.section})

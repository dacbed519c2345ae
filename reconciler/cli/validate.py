"""`obsctl validate [PATH...] [--format text|github]`: parse and validate the config; no AWS
calls. `github` adds workflow annotations (`::error file=…,line=…,col=…::message`) on stdout,
where the Actions runner reads them, so each error shows on the pull request's diff."""

from __future__ import annotations

import click

from reconciler.cli.common import reports_errors, stats_option
from reconciler.config import load_stacks
from reconciler.config.annotations import github_annotations
from reconciler.diagnostics import ConfigError
from reconciler.kinds import KINDS
from reconciler.text import plural


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "github"]), default="text",
              help="github: also print GitHub Actions error annotations on stdout.")
@stats_option
@reports_errors
def validate_command(paths, output_format):
    """Parse and validate config files; no AWS calls."""
    try:
        stacks = load_stacks(list(paths) or ["."], KINDS)
    except ConfigError as error:
        if output_format == "github":
            click.echo(github_annotations(error.diagnostics), nl=False)
        raise
    sections = sorted({k.section for k in KINDS.values() if k.section})
    for stack in stacks:
        count = sum(len(stack.section(s)) for s in sections)
        click.echo(f"Stack {stack.name}: {plural(count, 'top-level resource')} in "
                   f"{plural(len(stack.files), 'file')} — valid.")

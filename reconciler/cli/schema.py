"""`obsctl schema [--output FILE]`: the JSON Schema of the config."""

from __future__ import annotations

import json

import click

from reconciler.cli.common import reports_errors, stats_option
from reconciler.kinds import KINDS


@click.command("schema")
@click.option("--output", "-o", type=click.Path(), help="Write to this file instead of stdout.")
@stats_option
@reports_errors
def schema_command(output):
    """Print the JSON Schema of the config."""
    from reconciler.config.schema import json_schema

    text = json.dumps(json_schema(KINDS), indent=2, sort_keys=True) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)

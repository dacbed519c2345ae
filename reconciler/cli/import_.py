"""`obsctl import --kind KIND [PATH...]`: write YAML for live resources, optionally adopt them."""

from __future__ import annotations

import os
import sys

import click

from reconciler import importer
from reconciler.cli.common import (EXIT_ERROR, aws_for_stacks, aws_options, report_outcome,
                                   reports_errors, stats_option)
from reconciler.config import load_stacks
from reconciler.config.stack import Stack
from reconciler.diagnostics import ObsctlError
from reconciler.kinds import KINDS


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--kind", "kind_name", required=True, type=click.Choice(list(KINDS)),
              help="The kind to import.")
@click.option("--name-prefix", default="", help="Only resources whose name starts with this.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the YAML here instead of stdout.")
@click.option("--stack", "stack_name",
              help="Stack to import into (default: the one stack under PATH).")
@click.option("--adopt", "adopt_resources", is_flag=True,
              help="Also tag the imported resources without an owner tag as this stack's "
                   "(needs --output), so the next plan is empty.")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@aws_options
@stats_option
@reports_errors
def import_command(paths, kind_name, name_prefix, output, stack_name, adopt_resources, force,
                   endpoint_url, region, profile, quiet):
    """Write YAML for live resources (PATH: existing config, for the stack and `topic:` refs)."""
    if adopt_resources and not output:
        raise ObsctlError("--adopt needs --output: the stack must own resources its config has")
    if output and not force and os.path.lexists(output):
        raise _exists(output)
    stack, others = _import_stack(paths, stack_name)
    aws = aws_for_stacks(endpoint_url, region, profile)(stack)
    imported = importer.import_kind(kind_name, name_prefix, stack, aws, others)
    for skipped in imported.skipped:
        click.echo(f"skipped {skipped}", err=True)
    if not output:
        click.echo(imported.yaml_text, nl=False)
        return
    try:
        with open(output, "w" if force else "x", encoding="utf-8") as handle:
            handle.write(imported.yaml_text)
    except FileExistsError:  # created meanwhile
        raise _exists(output) from None
    click.echo(f"Imported {len(imported.addresses)} {kind_name} into {output}.", err=True)
    if adopt_resources and imported.unowned:
        adopted = next(s for s in load_stacks([*paths, output], KINDS) if s.name == stack.name)
        outcomes, left = importer.adopt(adopted, aws, imported.unowned)
        for outcome in outcomes:
            report_outcome(outcome)
        for change in left:
            click.echo(f"! {change.address}: not adopted, the imported YAML differs in "
                       f"{', '.join(f.path for f in change.fields) or change.action.value}", err=True)
        if left or any(not o.ok for o in outcomes):
            sys.exit(EXIT_ERROR)


def _exists(output: str) -> ObsctlError:
    return ObsctlError(f"{output} exists; obsctl import never overwrites a file: choose "
                       "another --output, or pass --force")


def _import_stack(paths, stack_name) -> tuple[Stack, tuple[Stack, ...]]:
    """The stack to import into, and every stack under PATH (whose prune patterns claim
    names of untaggable kinds)."""
    if paths:
        stacks = load_stacks(list(paths), KINDS)
        chosen = [s for s in stacks if s.name == stack_name] if stack_name else stacks
        if len(chosen) != 1:
            raise ObsctlError(f"{len(stacks)} stacks under {' '.join(paths)}: choose one with "
                              "--stack" if not stack_name else f"no stack {stack_name!r} there")
        return chosen[0], tuple(stacks)
    if not stack_name:
        raise ObsctlError("give the existing config (PATH) or --stack NAME for a new stack")
    from reconciler.config import stack_model

    return Stack(name=stack_name, config=stack_model(KINDS)(stack=stack_name)), ()

"""`obsctl plan [PATH...]`: show what apply would change."""

from __future__ import annotations

import sys

import click

from reconciler import drift, saved_plan
from reconciler.cli.common import (EXIT_CHANGES, EXIT_ERROR, aws_options, color_option,
                                   failures_in_document, make_plan, plan_request, reports_errors,
                                   selection_options, stats_option, text_plan)
from reconciler.progress import Progress
from reconciler.render import RENDERERS


@click.command("plan")
@selection_options
@click.option("--format", "output_format", type=click.Choice(sorted(RENDERERS)), default="text")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Save the plan (JSON) for `obsctl apply PLANFILE`.")
@click.option("--explain-drift", is_flag=True,
              help="Show who changed drifted resources and when (CloudTrail, last 7 days).")
@color_option
@aws_options
@stats_option
@reports_errors
def plan_command(paths, targets, prune, allow_mass_delete, adopt, changed_since, output_format,
                 detailed_exitcode, out, explain_drift, no_color, endpoint_url, region, profile,
                 quiet):
    """Show what apply would change."""
    with failures_in_document(output_format):
        request = plan_request(paths, targets, adopt, prune, allow_mass_delete, changed_since)
        result, states = make_plan(request, endpoint_url, region, profile, quiet)
    if explain_drift:
        with Progress.create("Looking up CloudTrail", quiet) as progress:
            notes = drift.explain(result, states, progress=progress)
        for note in notes:
            click.echo(note, err=True)
    rendered = (text_plan(result, no_color) if output_format == "text"
                else RENDERERS[output_format](result))
    click.echo(rendered, nl=False)
    if out:
        saved_plan.save(result, states, request, out)
        click.echo(f"Saved the plan to {out}; apply exactly it with `obsctl apply {out}`.", err=True)
    if result.counts()["conflict"]:
        sys.exit(EXIT_ERROR)
    if detailed_exitcode and result.has_changes:
        sys.exit(EXIT_CHANGES)

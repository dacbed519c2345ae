"""`obsctl iam-policy [PATH...] --for plan|apply|status|test-alarm|query`: the least-privilege
IAM policy obsctl needs to run that command on the stacks under PATH (reconciler/iam.py). Reads
the config only; no AWS calls."""

from __future__ import annotations

import click

from reconciler import iam
from reconciler.cli.common import reports_errors, stats_option
from reconciler.config import load_stacks
from reconciler.kinds import KINDS


@click.command("iam-policy")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--for", "purpose", type=click.Choice(["plan", "apply", *iam.COMMANDS]),
              required=True,
              help="plan: read-only actions; apply: plus the writes, scoped to the stacks' "
                   "resources where AWS allows; status, test-alarm, query: what that command "
                   "calls (test-alarm may set the state of the stacks' alarms only).")
@click.option("--explain-drift", is_flag=True,
              help="Also allow `plan --explain-drift` (cloudtrail:LookupEvents).")
@click.option("--prune", is_flag=True,
              help="Also allow `plan --prune` / `apply --prune`: the reads of every kind "
                   "(they look for the stack's resources of kinds the config no longer uses).")
@click.option("--format", "output_format", type=click.Choice(["json"]), default="json",
              help="The policy document as JSON (the only format).")
@stats_option
@reports_errors
def iam_policy_command(paths, purpose, explain_drift, prune, output_format):
    """Print the IAM policy that an obsctl command needs on the stacks; no AWS calls."""
    if (explain_drift or prune) and purpose not in ("plan", "apply"):
        flag = "--explain-drift" if explain_drift else "--prune"
        raise click.UsageError(f"{flag} goes with --for plan or --for apply.")
    stacks = load_stacks(list(paths) or ["."], KINDS)
    if purpose in iam.COMMANDS:
        document = iam.command_policy(purpose, stacks, KINDS)
    else:
        document = iam.policy(stacks, KINDS, apply=purpose == "apply", explain_drift=explain_drift,
                              prune=prune)
    click.echo(iam.render(document), nl=False)
    for role in iam.assumed_roles(stacks):
        click.echo(f"note: obsctl assumes {role}: attach this policy to that role; the identity "
                   "that runs obsctl needs only sts:AssumeRole on it.", err=True)

"""`obsctl test-alarm NAME [PATH...]`: fire one of the stacks' own alarms for real
(SetAlarmState ALARM), so on-call can see the page arrive; says which actions run first.

Alarms whose ALARM actions do more than notify (scale an endpoint, stop an instance, run a
function) are fired only after a `yes` on a terminal, or with --yes; without a terminal and
without --yes it refuses. Every refusal is one line on stderr, exit 1, nothing written.
"""

from __future__ import annotations

import sys

import click

from reconciler.cli.common import aws_for_stacks, aws_options, reports_errors, stats_option
from reconciler.config import load_stacks
from reconciler.diagnostics import ObsctlError
from reconciler.fire_alarm import FireTarget, caller_arn, find_target, fire
from reconciler.kinds import KINDS
from reconciler.text import visible


@click.command("test-alarm")
@click.argument("name")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--yes", "assume_yes", is_flag=True,
              help="Fire alarms whose actions change resources (scaling) without asking.")
@aws_options
@stats_option
@reports_errors
def test_alarm_command(name, paths, assume_yes, endpoint_url, region, profile, quiet):
    """Fire alarm NAME's ALARM actions for real (SetAlarmState), to check the page arrives."""
    paths = list(paths) or ["."]
    stacks = load_stacks(paths, KINDS)
    target = find_target(stacks, aws_for_stacks(endpoint_url, region, profile), name,
                         " ".join(paths))
    click.echo(_announcement(target))
    if target.changes_resources:
        _approve(target, assume_yes)
    reason = fire(target, caller_arn(target.aws))
    shown = visible(target.alarm.name)
    click.echo(visible(f"{shown} is in ALARM now (reason: {reason}); CloudWatch runs its ALARM actions now."))
    back = ("when one of its child alarms next changes state"
            if target.alarm.kind == "composite_alarms" else "at its next evaluation (within a period)")
    click.echo(f"CloudWatch returns it to its real state {back}; that change runs the actions "
               "of that state (OK notifications included).")


def _announcement(target: FireTarget) -> str:
    lines = [visible(f"test-alarm {target.alarm.name} (stack {target.stack.name}, "
                     f"{target.aws.region}, now {target.alarm.state}): SetAlarmState ALARM "
                     "runs these ALARM actions:")]
    lines += [visible(f"  {action.label}  {action.arn}") for action in target.actions]
    return "\n".join(lines)


def _approve(target: FireTarget, assume_yes: bool) -> None:
    if assume_yes:
        return
    what = ", ".join(a.label for a in target.actions if a.changes_resources)
    if not sys.stdin.isatty():
        raise ObsctlError(visible(f"alarm {target.alarm.name} has actions that change resources "
                                  f"({what}): refusing without --yes (no terminal to ask on); "
                                  "nothing was changed."))
    answer = click.prompt(visible(f"Firing it also runs {what}. Only 'yes' will be accepted"),
                          default="", show_default=False)
    if answer != "yes":
        raise ObsctlError("test-alarm cancelled: nothing was changed.")

"""`obsctl apply [PATH... | PLANFILE]`: make AWS match the config, or apply a saved plan."""

from __future__ import annotations

import sys

import click

from reconciler import saved_plan
from reconciler.apply import Outcome, apply_all
from reconciler.cli.common import (EXIT_ERROR, EXIT_OK, PAST, aws_options, color_option, make_plan,
                                   plan_request, report_outcome, reports_errors, selection_options,
                                   stats_option, text_plan)
from reconciler.diagnostics import ObsctlError
from reconciler.plan import Action, Plan
from reconciler.progress import Progress
from reconciler.text import plural


@click.command("apply")
@selection_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-data-loss", is_flag=True,
              help="Allow deleting log groups (their log events are lost) without typing a "
                   "confirmation; needed to do so without a terminal.")
@color_option
@aws_options
@stats_option
@reports_errors
def apply_command(paths, targets, prune, allow_mass_delete, adopt, changed_since, auto_approve,
                  allow_data_loss, no_color, endpoint_url, region, profile, quiet):
    """Make AWS match the config, or apply a saved plan (`obsctl apply PLANFILE`)."""
    saved = None
    if len(paths) == 1 and saved_plan.is_saved_plan(paths[0]):
        if targets or adopt or prune or allow_mass_delete or changed_since:
            raise ObsctlError("a saved plan is applied as it was made: selection flags belong "
                              "to `obsctl plan --out`")
        saved = saved_plan.load(paths[0])
        request = saved.request
    else:
        request = plan_request(paths, targets, adopt, prune, allow_mass_delete, changed_since)
    result, states = make_plan(request, endpoint_url, region, profile, quiet)
    if saved:
        saved_plan.check_planned_in(saved, states, paths[0])
        saved_plan.check_fresh(saved, result, paths[0])
        auto_approve = True  # the saved plan was the reviewed one
    if not result.actionable:
        click.echo(text_plan(result, no_color), nl=False)
        sys.exit(EXIT_ERROR if result.counts()["conflict"] else EXIT_OK)
    click.echo(text_plan(result, no_color))
    _approve(result, auto_approve, allow_data_loss)
    with Progress.create("Applying", quiet) as progress:
        progress.total(len(result.actionable))
        outcomes = apply_all(result, states,
                             on_outcome=lambda o: (report_outcome(o), progress.advance()))
    _summarize(outcomes)
    if any(not o.ok for o in outcomes) or result.counts()["conflict"]:
        sys.exit(EXIT_ERROR)


def _approve(result: Plan, auto_approve: bool, allow_data_loss: bool) -> None:
    """Deleting stored data takes more than `yes` or --auto-approve: --allow-data-loss, or
    typing how many log groups go; that typed answer also approves the rest of the plan."""
    doomed = [c for c in result.actionable if c.data_loss]
    if not doomed or allow_data_loss:
        _confirm(auto_approve)
        return
    them = "it" if len(doomed) == 1 else "them"
    what = f"{plural(len(doomed), 'log group')} and the log events stored in {them}"
    if not sys.stdin.isatty():
        raise ObsctlError(f"refusing to delete {what} without --allow-data-loss (no terminal "
                          "to confirm on); nothing was changed.")
    answer = click.prompt(f"This deletes {what}. Type {len(doomed)} to confirm", default="",
                          show_default=False)
    if answer.strip() != str(len(doomed)):
        raise ObsctlError("apply cancelled: nothing was changed.")


def _confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise ObsctlError("refusing to apply without --auto-approve: no terminal to ask on.")
    answer = click.prompt("Apply these changes? Only 'yes' will be accepted", default="",
                          show_default=False)
    if answer != "yes":
        raise ObsctlError("apply cancelled.")


def _summarize(outcomes: list[Outcome]) -> None:
    done = {action: sum(1 for o in outcomes if o.ok and o.change.action is action)
            for action in PAST}
    failed = sum(1 for o in outcomes if not o.ok)
    click.echo(f"\nApply complete: {done[Action.CREATE]} created, {done[Action.UPDATE]} updated, "
               f"{done[Action.DELETE]} deleted, {failed} failed.")

"""The command line: parse flags, call config/engine, pick a renderer, set the exit code.

Exit codes: 0 success / no changes, 1 error, 2 changes present (with --detailed-exitcode).
Plans go to stdout; errors, progress and stats to stderr.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time

import click
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from reconciler import drift, importer, saved_plan
from reconciler.aws import AwsContext, CallStats, describe_error, role_settings
from reconciler.config import load_stacks
from reconciler.config.stack import Stack
from reconciler.diagnostics import ConfigError, ObsctlError
from reconciler.engine import Outcome, PlanOptions, Target, apply_stack, plan_all
from reconciler.kinds import KINDS
from reconciler.plan import Action, Plan
from reconciler.progress import Progress
from reconciler.render import RENDERERS
from reconciler.saved_plan import PlanRequest

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2  # 130 after Ctrl-C, as shells do


class Context:
    def __init__(self, stats: bool) -> None:
        self.show_stats = stats
        self.calls = CallStats()
        self.started = time.monotonic()


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_ERROR)


def reports_errors(command):
    """Turns every expected failure into a message on stderr and exit 1, never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ConfigError as error:
            count = len(error.diagnostics)
            _fail(f"{error}\n{count} error{'s' if count != 1 else ''} in the configuration; "
                  "nothing was sent to AWS.")
        except ObsctlError as error:
            _fail(f"error: {error}")
        except ClientError as error:
            info = error.response.get("Error", {})
            _fail(f"error: AWS {error.operation_name}: {info.get('Code')}: {info.get('Message')}")
        except (BotoCoreError, ResponseParserError) as error:
            _fail(f"error: {describe_error(error)}")
        except KeyboardInterrupt:
            click.echo("interrupted: changes already made stay; rerun to converge.", err=True)
            sys.exit(130)
        finally:
            _print_stats()
    return wrapper


def _print_stats() -> None:
    context = click.get_current_context().find_object(Context)
    if not context or not context.show_stats:
        return
    elapsed = time.monotonic() - context.started
    calls = context.calls
    lines = [f"api calls: {calls.total} ({calls.writes} writes) in {elapsed:.2f}s"]
    lines += [f"  {op} {n}" for op, n in sorted(calls.calls.items())]
    click.echo("\n".join(lines), err=True)


def aws_options(command):
    options = [
        click.option("--endpoint-url", envvar="AWS_ENDPOINT_URL",
                     help="Send every AWS call here (an emulator). Also AWS_ENDPOINT_URL."),
        click.option("--region", help="Override the stack's region."),
        click.option("--profile", help="Override the stack's AWS profile."),
        click.option("--quiet", "-q", is_flag=True, help="No progress output."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def selection_options(command):
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--target", "targets", multiple=True, metavar="KIND/NAME",
                     help="Limit to these resources (NAME may be a glob). Repeatable."),
        click.option("--prune", is_flag=True,
                     help="Also delete resources this stack owns that the config no longer has."),
        click.option("--allow-mass-delete", is_flag=True,
                     help="Allow a prune that deletes more than 20 resources or half the stack."),
        click.option("--adopt", "adopt", multiple=True, metavar="KIND/NAME",
                     help="Take over these existing resources that have no owner tag "
                          "(NAME may be a glob). Repeatable."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--stats", is_flag=True, help="Print API calls by operation and wall time to stderr.")
@click.version_option(package_name="obsctl")
@click.pass_context
def main(ctx, stats):
    """obsctl: monitoring-as-code for ML systems on AWS."""
    ctx.obj = Context(stats)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@reports_errors
def validate(paths):
    """Parse and validate config files; no AWS calls."""
    stacks = load_stacks(list(paths) or ["."], KINDS)
    for stack in stacks:
        count = sum(len(stack.section(s)) for s in _sections())
        click.echo(f"Stack {stack.name}: {count} top-level resources in {len(stack.files)} "
                   f"file(s) — valid.")


def _sections():
    from reconciler.kinds import KINDS

    return sorted({k.section for k in KINDS.values() if k.section})


def _make_plan(request: PlanRequest, endpoint_url, region, profile, quiet):
    stacks = load_stacks(list(request.paths), KINDS)
    options = PlanOptions(targets=tuple(Target.parse(t) for t in request.targets),
                          adopt=tuple(Target.parse(a) for a in request.adopt),
                          prune=request.prune, allow_mass_delete=request.allow_mass_delete)
    calls = click.get_current_context().find_object(Context).calls

    def make_aws(stack):
        return AwsContext.create(region=region or stack.region,
                                 profile=profile or stack.config.profile,
                                 **role_settings(stack.config), endpoint_url=endpoint_url,
                                 stats=calls)

    with Progress.create("Reading live state", quiet) as progress:
        return plan_all(stacks, make_aws, options, progress)


def _request(paths, targets, adopt, prune, allow_mass_delete) -> PlanRequest:
    return PlanRequest(paths=tuple(paths) or (".",), targets=tuple(targets), adopt=tuple(adopt),
                       prune=prune, allow_mass_delete=allow_mass_delete)


@main.command()
@selection_options
@click.option("--format", "output_format", type=click.Choice(sorted(RENDERERS)), default="text")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Save the plan (JSON) for `obsctl apply PLANFILE`.")
@click.option("--explain-drift", is_flag=True,
              help="Show who changed drifted resources and when (CloudTrail, last 7 days).")
@aws_options
@reports_errors
def plan(paths, targets, prune, allow_mass_delete, adopt, output_format, detailed_exitcode, out,
         explain_drift, endpoint_url, region, profile, quiet):
    """Show what apply would change."""
    request = _request(paths, targets, adopt, prune, allow_mass_delete)
    result, states = _make_plan(request, endpoint_url, region, profile, quiet)
    if explain_drift:
        with Progress.create("Looking up CloudTrail", quiet) as progress:
            notes = drift.explain(result, states, progress=progress)
        for note in notes:
            click.echo(note, err=True)
    click.echo(RENDERERS[output_format](result), nl=False)
    if out:
        saved_plan.save(result, states, request, out)
        click.echo(f"Saved the plan to {out}; apply exactly it with `obsctl apply {out}`.", err=True)
    if result.counts()["conflict"]:
        sys.exit(EXIT_ERROR)
    if detailed_exitcode and result.has_changes:
        sys.exit(EXIT_CHANGES)


@main.command()
@selection_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-data-loss", is_flag=True,
              help="Allow deleting log groups (their log events are lost) without typing a "
                   "confirmation; needed to do so without a terminal.")
@aws_options
@reports_errors
def apply(paths, targets, prune, allow_mass_delete, adopt, auto_approve, allow_data_loss,
          endpoint_url, region, profile, quiet):
    """Make AWS match the config, or apply a saved plan (`obsctl apply PLANFILE`)."""
    saved = None
    if len(paths) == 1 and saved_plan.is_saved_plan(paths[0]):
        if targets or adopt or prune or allow_mass_delete:
            raise ObsctlError("a saved plan is applied as it was made: selection flags belong "
                              "to `obsctl plan --out`")
        saved = saved_plan.load(paths[0])
        request = saved.request
    else:
        request = _request(paths, targets, adopt, prune, allow_mass_delete)
    result, states = _make_plan(request, endpoint_url, region, profile, quiet)
    if saved:
        saved_plan.check_planned_in(saved, states, paths[0])
        saved_plan.check_fresh(saved, result, paths[0])
        auto_approve = True  # the saved plan was the reviewed one
    if not result.actionable:
        click.echo(RENDERERS["text"](result), nl=False)
        sys.exit(EXIT_ERROR if result.counts()["conflict"] else EXIT_OK)
    click.echo(RENDERERS["text"](result))
    _approve(result, auto_approve, allow_data_loss)
    outcomes: list[Outcome] = []
    with Progress.create("Applying", quiet) as progress:
        progress.total(len(result.actionable))
        for stack_plan, state in zip(result.stacks, states):
            outcomes += apply_stack(stack_plan, state,
                                    on_outcome=lambda o: (_report_outcome(o), progress.advance()))
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
    what = ("1 log group and the log events stored in it" if len(doomed) == 1
            else f"{len(doomed)} log groups and the log events stored in them")
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


_PAST = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}


def _report_outcome(outcome: Outcome) -> None:
    change = outcome.change
    if outcome.ok:
        click.echo(f"{change.action.symbol} {change.address}: {_PAST[change.action]}")
    else:
        click.echo(f"! {change.address}: {change.action.value} failed: {outcome.error}", err=True)


def _summarize(outcomes: list[Outcome]) -> None:
    done = {action: sum(1 for o in outcomes if o.ok and o.change.action is action)
            for action in _PAST}
    failed = sum(1 for o in outcomes if not o.ok)
    click.echo(f"\nApply complete: {done[Action.CREATE]} created, {done[Action.UPDATE]} updated, "
               f"{done[Action.DELETE]} deleted, {failed} failed.")


@main.command("import")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--kind", "kind_name", required=True, help="The kind to import, e.g. alarms.")
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
@reports_errors
def import_(paths, kind_name, name_prefix, output, stack_name, adopt_resources, force,
            endpoint_url, region, profile, quiet):
    """Write YAML for live resources (PATH: existing config, for the stack and `topic:` refs)."""
    if adopt_resources and not output:
        raise ObsctlError("--adopt needs --output: the stack must own resources its config has")
    if output and not force and os.path.lexists(output):
        raise _exists(output)
    stack, others = _import_stack(paths, stack_name)
    aws = AwsContext.create(region=region or stack.region, profile=profile or stack.config.profile,
                            **role_settings(stack.config), endpoint_url=endpoint_url,
                            stats=click.get_current_context().find_object(Context).calls)
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
            _report_outcome(outcome)
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


@main.command()
@click.option("--output", "-o", type=click.Path(), help="Write to this file instead of stdout.")
@reports_errors
def schema(output):
    """Print the JSON Schema of the config."""
    from reconciler.config.schema import json_schema

    text = json.dumps(json_schema(KINDS), indent=2, sort_keys=True) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


@main.command()
@click.option("--port", default=5000, show_default=True, help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", is_flag=True, help="Create demo SageMaker endpoints to discover.")
def emulator(port, host, seed):
    """Run the embedded AWS emulator (moto server + the calls moto lacks) in the foreground."""
    try:
        from reconciler.emulator import serve
    except ImportError:
        _fail("error: the emulator needs the 'emulator' extra: pip install 'obsctl[emulator]'")
    serve(host=host, port=port, seed=seed)


from reconciler.query import query_command  # noqa: E402
main.add_command(query_command, name="query")

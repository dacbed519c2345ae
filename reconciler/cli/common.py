"""What every command shares: the run's context, the exit codes, the AWS and selection flags,
the decorator that turns failures into one line on stderr, and planning the selected stacks.

Command modules import this one, and the package (reconciler/cli/__init__.py) imports the
command modules: never the other way round.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
from typing import Callable, Iterator

import click
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from reconciler import changes
from reconciler.apply import Outcome
from reconciler.aws import AwsContext, CallStats, SharedReads, describe_error
from reconciler.config import load_stacks
from reconciler.config.stack import Stack
from reconciler.diagnostics import ConfigError, ObsctlError
from reconciler.engine import PlanOptions, Target, plan_all
from reconciler.kinds import KINDS
from reconciler.plan import Action
from reconciler.plan_document import FORMAT_VERSION
from reconciler.progress import Progress
from reconciler.render import RENDERERS
from reconciler.render.failure import render_failure
from reconciler.render.text import color_wanted
from reconciler.saved_plan import PlanRequest
from reconciler.text import plural, visible

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2  # 130 after Ctrl-C, as shells do


class Context:
    def __init__(self, stats: bool = False) -> None:
        self.show_stats = stats
        self.calls = CallStats()
        self.started = time.monotonic()


def run_context() -> Context:
    return click.get_current_context().ensure_object(Context)


def fail(message: str) -> None:
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
            fail(f"{error}\n{plural(count, 'error')} in the configuration; "
                 "nothing was sent to AWS.")
        except ObsctlError as error:
            fail(f"error: {error}")
        except ClientError as error:
            info = error.response.get("Error", {})
            fail(f"error: AWS {error.operation_name}: {info.get('Code')}: {info.get('Message')}")
        except (BotoCoreError, ResponseParserError) as error:
            fail(f"error: {describe_error(error)}")
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
    lines = [f"api calls: {calls.total} ({plural(calls.writes, 'write')}) in {elapsed:.2f}s"]
    lines += [f"  {op} {n}" for op, n in sorted(calls.calls.items())]
    if calls.regions:
        lines.append("api calls by region: " + ", ".join(
            f"{region} {n}" for region, n in sorted(calls.regions.items())))
    click.echo("\n".join(lines), err=True)


STATS_HELP = "Print API calls by operation and wall time to stderr."


def color_option(command):
    return click.option("--no-color", "no_color", is_flag=True,
                        help="No colour even on a terminal (also NO_COLOR=1).")(command)


def text_plan(plan, no_color: bool) -> str:
    """The text plan, coloured like Terraform's on a terminal (never when piped, NO_COLOR or
    --no-color)."""
    return RENDERERS["text"](plan, color=not no_color and color_wanted(sys.stdout))


@contextlib.contextmanager
def failures_in_document(output_format: str,
                         format_version: str | int = FORMAT_VERSION) -> Iterator[None]:
    """With --format json or markdown, a plan that fails (config error, refused prune, AWS
    error) is still a document on stdout, so a pull request always gets a comment that says
    why; the error also goes to stderr and the exit code is 1, as for any failure. Other
    documents (status) pass their own format version."""
    try:
        yield
    except ConfigError as error:
        _print_failure(output_format, format_version, error.diagnostics)
        raise
    except ObsctlError as error:
        _print_failure(output_format, format_version, [str(error)])
        raise
    except ClientError as error:
        info = error.response.get("Error", {})
        _print_failure(output_format, format_version,
                       [f"AWS {error.operation_name}: {info.get('Code')}: {info.get('Message')}"])
        raise
    except (BotoCoreError, ResponseParserError) as error:
        _print_failure(output_format, format_version, [describe_error(error)])
        raise


def _print_failure(output_format: str, format_version: str | int, problems: list) -> None:
    if output_format in ("json", "markdown"):
        click.echo(render_failure(output_format, problems, format_version), nl=False)


def stats_option(command):
    """`--stats` after the command name too (`obsctl plan --stats`), as well as before it."""
    def enable(ctx, _param, value):
        if value:
            ctx.ensure_object(Context).show_stats = True
    return click.option("--stats", is_flag=True, expose_value=False, callback=enable,
                        help=STATS_HELP)(command)


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


def aws_for_stacks(endpoint_url, region, profile) -> Callable[[Stack], AwsContext]:
    """A stack -> its clients, with the command line's overrides, counted for --stats. Safe
    to call from worker threads (click's context is not). Stacks that work in the same
    account and region share their listings (aws.SharedReads)."""
    calls, shared = run_context().calls, SharedReads()
    return lambda stack: AwsContext.for_stack(stack, region=region, profile=profile,
                                              endpoint_url=endpoint_url, stats=calls,
                                              shared=shared)


changed_since_option = click.option(
    "--changed-since", metavar="GIT_REF",
    help="Only the stacks with a file changed since GIT_REF (working tree vs GIT_REF, plus "
         "untracked files), and those a deleted or moved file belonged to.")


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
        changed_since_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def plan_request(paths, targets, adopt, prune, allow_mass_delete, changed_since=None
                 ) -> PlanRequest:
    return PlanRequest(paths=tuple(paths) or (".",), targets=tuple(targets), adopt=tuple(adopt),
                       prune=prune, allow_mass_delete=allow_mass_delete,
                       changed_since=changed_since)


def load_selected(paths: list[str], changed_since: str | None) -> changes.Selection:
    """The stacks under `paths`; with a git ref, only those changed since (changes.py)."""
    if not changed_since:
        stacks = load_stacks(paths, KINDS)
        return changes.Selection(stacks=stacks, deleted_files={})
    found = changes.changes_since(changed_since, paths)
    existing = changes.paths_to_load(paths, found)
    selection = changes.select(load_stacks(existing, KINDS) if existing else [], found, paths,
                               KINDS)
    names = ", ".join(s.name for s in selection.stacks) or "none"
    click.echo(f"changed since {visible(changed_since)}: "
               f"{len(selection.stacks)} stack(s): {names}", err=True)
    return selection


def make_plan(request: PlanRequest, endpoint_url, region, profile, quiet):
    """The plan of every stack under the request's paths (engine.plan_all)."""
    stacks = load_selected(list(request.paths), request.changed_since).stacks
    options = PlanOptions(targets=tuple(Target.parse(t) for t in request.targets),
                          adopt=tuple(Target.parse(a) for a in request.adopt),
                          prune=request.prune, allow_mass_delete=request.allow_mass_delete)
    make_aws = aws_for_stacks(endpoint_url, region, profile)
    with Progress.create("Reading live state", quiet) as progress:
        return plan_all(stacks, make_aws, options, progress)


PAST = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}


def report_outcome(outcome: Outcome) -> None:
    change = outcome.change
    # Names and AWS's messages may hold anything: control characters are written out.
    if outcome.ok:
        click.echo(f"{change.action.symbol} {visible(change.address)}: {PAST[change.action]}")
    else:
        click.echo(f"! {visible(change.address)}: {change.action.value} failed: "
                   f"{visible(outcome.error)}", err=True)

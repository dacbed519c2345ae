"""The command line: parse flags, call config/engine, pick a renderer, set the exit code.

One module per command; what they share (context, flags, the error decorator) is in
common.py. Exit codes: 0 success / no changes, 1 error (command-line usage errors too), 2
changes present (with --detailed-exitcode) and nothing else. Plans go to stdout; errors,
progress and stats to stderr.
"""

from __future__ import annotations

import contextlib

import click

from reconciler import __version__
from reconciler.cli.apply import apply_command
from reconciler.cli.common import EXIT_ERROR, STATS_HELP, Context
from reconciler.cli.emulator import emulator_command
from reconciler.cli.export_logs import export_logs_command
from reconciler.cli.iam_policy import iam_policy_command
from reconciler.cli.import_ import import_command
from reconciler.cli.plan import plan_command
from reconciler.cli.query import query_command
from reconciler.cli.schema import schema_command
from reconciler.cli.stacks import stacks_command
from reconciler.cli.status import status_command
from reconciler.cli.test_alarm import test_alarm_command
from reconciler.cli.validate import validate_command


class ObsctlGroup(click.Group):
    """click exits 2 on a usage error (unknown option, missing argument, bad value), which
    is `plan --detailed-exitcode`'s "there are changes": a typo'd flag in CI would pass as
    a plan. Usage errors exit 1 like every other error."""

    def make_context(self, *args, **kwargs):
        with _usage_errors_exit_1():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _usage_errors_exit_1():
            return super().invoke(ctx)


@contextlib.contextmanager
def _usage_errors_exit_1():
    try:
        yield
    except click.UsageError as error:
        error.exit_code = EXIT_ERROR
        raise


@click.group("obsctl", cls=ObsctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--stats", is_flag=True, help=STATS_HELP)
@click.version_option(__version__, prog_name="obsctl", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx, stats):
    """obsctl: monitoring-as-code for ML systems on AWS."""
    ctx.ensure_object(Context).show_stats = stats


for command in (validate_command, plan_command, apply_command, import_command, query_command,
                status_command, test_alarm_command, export_logs_command, stacks_command,
                iam_policy_command, schema_command, emulator_command):
    main.add_command(command)

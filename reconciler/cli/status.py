"""`obsctl status [PATH...]`: every alarm of the stacks (declared and generated) with its live
state, since when and why, worst first, grouped by stack; `--history N` adds the last N state
changes of each (one DescribeAlarmHistory call per alarm, so off by default, as in
`aws cloudwatch describe-alarms` and the console's list: history is a second look).

`--detailed-exitcode`: 0 none in ALARM, 2 some in ALARM, 1 error.
"""

from __future__ import annotations

import sys

import click

from reconciler.cli.common import (EXIT_CHANGES, aws_for_stacks, aws_options, color_option,
                                   failures_in_document, reports_errors, stats_option)
from reconciler.config import load_stacks
from reconciler.kinds import KINDS
from reconciler.progress import Progress
from reconciler.render.status import render_json, render_text
from reconciler.render.text import color_wanted
from reconciler.status import FORMAT_VERSION, HISTORY_MAX, any_in_alarm, read_all, status_document


@click.command("status")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--history", type=click.IntRange(0, HISTORY_MAX), default=0, show_default=True,
              metavar="N", help="Also show each alarm's last N state changes "
                                "(one DescribeAlarmHistory call per alarm).")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when an alarm is in ALARM, 0 when none is (1: error).")
@color_option
@aws_options
@stats_option
@reports_errors
def status_command(paths, output_format, history, detailed_exitcode, no_color, endpoint_url,
                   region, profile, quiet):
    """Live state of the stacks' alarms (declared and generated), ALARM first."""
    # With --format json a failure is a document too, with status's own format version.
    with failures_in_document(output_format, FORMAT_VERSION):
        stacks = load_stacks(list(paths) or ["."], KINDS)
        make_aws = aws_for_stacks(endpoint_url, region, profile)
        with Progress.create("Reading alarm states", quiet):
            result = read_all(stacks, make_aws, history)
    document = status_document(result)
    if output_format == "json":
        click.echo(render_json(document), nl=False)
    else:
        color = not no_color and color_wanted(sys.stdout)
        click.echo(render_text(document, color=color), nl=False)
    if detailed_exitcode and any_in_alarm(result):
        sys.exit(EXIT_CHANGES)

"""`obsctl export-logs LOG_GROUP --bucket B`: a log group's events over a time window to S3
(CreateExportTask), for forensics and Athena. The logic is in reconciler/export_logs.py.

It needs no config (no PATH): the log group may belong to any stack or none. The region is
--region or the AWS environment's (AWS_REGION, AWS_DEFAULT_REGION, the profile's); without one
it refuses before any call. stdout gets one line, the S3 location of the task's objects
(`s3://B/P/TASK_ID/`), so a script can `aws s3 sync` it or point Athena at it; what happens on
the way (queueing behind another task, progress, the outcome) goes to stderr.
"""

from __future__ import annotations

import sys
import time

import click

from reconciler.aws import AWS_ERRORS, AwsContext
from reconciler.cli.common import aws_options, reports_errors, run_context, stats_option
from reconciler.cli.query import time_window
from reconciler.export_logs import (DEFAULT_PREFIX, ExportRequest, iso, normalize_prefix,
                                    outcome, submit, wait)
from reconciler.progress import Progress
from reconciler.text import visible


def _prefix(_ctx, _param, value: str) -> str:
    try:
        return normalize_prefix(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("export-logs")
@click.argument("log_group")
@click.option("--bucket", required=True, help="The S3 bucket to export to (same region).")
@click.option("--prefix", default=DEFAULT_PREFIX, show_default=True, callback=_prefix,
              help="Key prefix: objects land under PREFIX/TASK_ID/STREAM/.")
@click.option("--since", default="1d", show_default=True,
              help="Start of the window: a duration back from now (15m, 1h, 2d) or an ISO time.")
@click.option("--until", "until", default="now", show_default=True,
              help="End of the window: now, a duration back from now, or an ISO time.")
@aws_options
@stats_option
@reports_errors
def export_logs_command(log_group, bucket, prefix, since, until, endpoint_url, region, profile,
                        quiet):
    """Export LOG_GROUP's events to S3 (CreateExportTask) and wait until they are there.

    CloudWatch Logs runs one export task per account at a time: if another is active, this
    waits for it first, and says so."""
    start, end = time_window(since, until)
    aws = AwsContext.for_command_line(region=region, profile=profile, endpoint_url=endpoint_url,
                                      stats=run_context().calls)
    request = ExportRequest(log_group=log_group, bucket=bucket, prefix=prefix, start=start,
                            end=end, region=aws.region)
    logs = aws.client("logs")
    started = time.monotonic()
    progress = Progress.create("Creating the export task", quiet)
    progress.total(1)
    with progress:
        task_id = submit(logs, request, progress.note, on_status=progress.describe,
                         account_id=lambda: _account_id(aws))
        progress.note(f"export task {visible(task_id)} created: {visible(log_group)} from "
                      f"{iso(start)} to {iso(end)} to {visible(request.location(task_id))}")
        try:
            task = wait(logs, task_id, lambda code: progress.describe(f"Export task {code}"))
        except KeyboardInterrupt:
            _interrupted(task_id, request)
        progress.advance()
    location = outcome(task, request)
    click.echo(f"export task {visible(task_id)} COMPLETED in {time.monotonic() - started:.1f} s",
               err=True)
    click.echo(visible(location))


def _account_id(aws: AwsContext) -> str | None:
    """For the bucket policy's aws:SourceAccount; the policy goes without it if unknown."""
    try:
        return aws.client("sts").get_caller_identity()["Account"]
    except AWS_ERRORS:  # a nicety on an error path: never hide the real error
        return None


def _interrupted(task_id: str, request: ExportRequest) -> None:
    click.echo(f"interrupted: export task {visible(task_id)} goes on in AWS; its objects land "
               f"under {visible(request.location(task_id))} (stop it with `aws logs "
               f"cancel-export-task --task-id {visible(task_id)}`)", err=True)
    sys.exit(130)

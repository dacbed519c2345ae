"""`obsctl query NAME [PATH...]`: run a saved Logs Insights query of the config, print its rows.

The query text and log groups come from the config (`queries:`), not from AWS, so the query
that runs is the one under review, applied or not. StartQuery starts it over the time window,
then reconciler/logs_insights.py polls for its results until done or until `--timeout` (then
StopQuery, exit 1). Rows go to stdout as a table, or with `--format json|csv` as data for
scripts and spreadsheets (reconciler/render/query_rows.py); the status line (rows, records
scanned, time) goes to stderr, so `obsctl query ... > rows.csv` keeps only rows.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

import click
from rich.console import Console

from reconciler.cli.common import aws_for_stacks, aws_options, reports_errors, stats_option
from reconciler.config import load_stacks
from reconciler.kinds import KINDS
from reconciler.logs_insights import MAX_LIMIT, find_query, parse_moment, wait_for_results
from reconciler.render.query_rows import FORMATS, as_csv, as_json, result_table
from reconciler.text import plural


def status_line(response: dict, elapsed: float) -> str:
    stats = response.get("statistics") or {}
    count = len(response.get("results", []))
    parts = [plural(count, "row"), response["status"]]
    if "recordsScanned" in stats:
        parts.append(f"{int(stats['recordsScanned']):,} records scanned "
                     f"({int(stats.get('bytesScanned', 0)):,} bytes)")
    parts.append(f"{elapsed:.1f} s")
    return " · ".join(parts)


def _console() -> Console:
    console = Console()
    if not console.is_terminal:
        console.width = 10_000  # piped: whole rows, never wrapped at 80 columns
    return console


def _moment(text: str, now: datetime, option: str) -> datetime:
    try:
        return parse_moment(text, now)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=f"'{option}'") from None


def time_window(since: str, until: str) -> tuple[datetime, datetime]:
    """--since and --until as UTC moments; a usage error if either is unreadable or the window
    is empty."""
    now = datetime.now(timezone.utc)
    start, end = _moment(since, now, "--since"), _moment(until, now, "--until")
    if start >= end:
        raise click.BadParameter(f"--since {since} is not before --until {until}")
    return start, end


def _print_rows(rows: list[list[dict]], output_format: str) -> None:
    if output_format == "table":
        if rows:
            _console().print(result_table(rows))
        return
    document = as_json(rows) if output_format == "json" else as_csv(rows)
    # As bytes: CSV's CRLF line ends reach stdout unchanged on every platform.
    click.echo(document.encode("utf-8"), nl=False)


@click.command("query")
@click.argument("name")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--since", default="1h", show_default=True,
              help="Start of the window: a duration back from now (15m, 1h, 2d) or an ISO time.")
@click.option("--until", "until", default="now", show_default=True,
              help="End of the window: now, a duration back from now, or an ISO time.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT),
              help="At most this many rows (StartQuery limit; default: the query's own).")
@click.option("--timeout", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Seconds to wait for the query to finish before stopping it.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="table",
              show_default=True,
              help="table for a terminal; json (a list of row objects) or csv (RFC 4180, with a "
                   "header row) for scripts and spreadsheets.")
@aws_options
@stats_option
@reports_errors
def query_command(name, paths, since, until, limit, timeout, output_format, endpoint_url, region,
                  profile, quiet):
    """Run the saved Logs Insights query NAME of the config and print its rows."""
    stack, config = find_query(load_stacks(list(paths) or ["."], KINDS), name)
    start, end = time_window(since, until)
    logs = aws_for_stacks(endpoint_url, region, profile)(stack).client("logs")
    started = time.monotonic()
    query_id = logs.start_query(logGroupNames=list(config.log_groups), queryString=config.query,
                                startTime=int(start.timestamp()), endTime=int(end.timestamp()),
                                **({"limit": limit} if limit else {}))["queryId"]
    response = wait_for_results(logs, query_id, timeout)
    _print_rows(response.get("results", []), output_format)
    click.echo(status_line(response, time.monotonic() - started), err=True)
    if response["status"] != "Complete":
        sys.exit(1)

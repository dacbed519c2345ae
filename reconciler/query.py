"""`obsctl query NAME [PATH...]`: run a saved Logs Insights query of the config, print a table.

The query text and log groups come from the config (`queries:`), not from AWS, so the query
that runs is the one under review, applied or not. StartQuery starts it over the time window;
GetQueryResults is polled with backoff (0.25 s doubling to 2 s) until the query is Complete,
Failed, Cancelled or Timeout, or until `--timeout` (then StopQuery, exit 1). Rows go to stdout
as a table (fields in result order, `@ptr` hidden: an opaque record pointer); the status line
(rows, records scanned, time) goes to stderr, so `obsctl query ... > rows.txt` keeps only rows.
"""

from __future__ import annotations

import difflib
import re
import sys
import time
from datetime import datetime, timedelta, timezone

import click
from rich.console import Console
from rich.table import Table

from reconciler.aws import AwsContext, role_settings
from reconciler.cli import Context, aws_options, reports_errors
from reconciler.config import load_stacks
from reconciler.diagnostics import ObsctlError
from reconciler.kinds import KINDS

DONE = ("Complete", "Failed", "Cancelled", "Timeout", "Unknown")
HIDDEN_FIELDS = ("@ptr",)
FIRST_POLL, MAX_POLL = 0.25, 2.0
MAX_LIMIT = 10_000  # StartQuery `limit`
_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_moment(text: str, now: datetime) -> datetime:
    """`now`, a duration back from now (`90s`, `15m`, `1h`, `2d`, `1w`) or an ISO 8601 time
    (UTC unless it names an offset)."""
    text = text.strip()
    if text == "now":
        return now
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=int(match.group(1)) * _SECONDS[match.group(2)])
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use now, a duration like 15m, 1h or 2d, or an ISO "
                                 "time like 2024-05-01T12:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def find_query(stacks, name: str):
    """(stack, query config) of the saved query `name`; ObsctlError with a hint if absent."""
    found = [(stack, stack.section("queries")[name]) for stack in stacks
             if name in stack.section("queries")]
    if len(found) > 1:
        raise ObsctlError(f"query {name!r} is defined in stacks "
                          f"{', '.join(s.name for s, _ in found)}; pass the path of one of them")
    if not found:
        known = sorted({q for stack in stacks for q in stack.section("queries")})
        close = difflib.get_close_matches(name, known, n=1)
        hint = (f" (did you mean {close[0]!r}?)" if close
                else f"; saved queries: {', '.join(known)}" if known else "")
        raise ObsctlError(f"no saved query {name!r} in the config{hint}")
    return found[0]


def wait_for_results(logs, query_id: str, timeout: float, sleep=time.sleep,
                     clock=time.monotonic) -> dict:
    """GetQueryResults until the query is done; ObsctlError (after StopQuery) on timeout."""
    deadline, pause = clock() + timeout, FIRST_POLL
    while True:
        response = logs.get_query_results(queryId=query_id)
        if response["status"] in DONE:
            return response
        if clock() + pause > deadline:
            logs.stop_query(queryId=query_id)
            raise ObsctlError(f"the query was still {response['status']} after {timeout:g} s; "
                              "stopped it (raise --timeout or narrow --since)")
        sleep(pause)
        pause = min(pause * 2, MAX_POLL)


def result_table(rows: list[list[dict]]) -> Table:
    columns: list[str] = []
    for row in rows:
        columns += [cell["field"] for cell in row
                    if cell["field"] not in columns and cell["field"] not in HIDDEN_FIELDS]
    table = Table(*columns, show_lines=False)
    for row in rows:
        values = {cell["field"]: cell.get("value", "") for cell in row}
        table.add_row(*(values.get(column, "") for column in columns))
    return table


def status_line(response: dict, elapsed: float) -> str:
    stats = response.get("statistics") or {}
    count = len(response.get("results", []))
    parts = [f"{count} row{'s' if count != 1 else ''}", response["status"]]
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


@click.command()
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
@aws_options
@reports_errors
def query_command(name, paths, since, until, limit, timeout, endpoint_url, region, profile, quiet):
    """Run the saved Logs Insights query NAME of the config and print its rows."""
    stack, config = find_query(load_stacks(list(paths) or ["."], KINDS), name)
    now = datetime.now(timezone.utc)
    start, end = parse_moment(since, now), parse_moment(until, now)
    if start >= end:
        raise click.BadParameter(f"--since {since} is not before --until {until}")
    aws = AwsContext.create(region=region or stack.region, profile=profile or stack.config.profile,
                            **role_settings(stack.config), endpoint_url=endpoint_url,
                            stats=click.get_current_context().find_object(Context).calls)
    logs = aws.client("logs")
    started = time.monotonic()
    query_id = logs.start_query(logGroupNames=list(config.log_groups), queryString=config.query,
                                startTime=int(start.timestamp()), endTime=int(end.timestamp()),
                                **({"limit": limit} if limit else {}))["queryId"]
    response = wait_for_results(logs, query_id, timeout)
    if response.get("results"):
        _console().print(result_table(response["results"]))
    click.echo(status_line(response, time.monotonic() - started), err=True)
    if response["status"] != "Complete":
        sys.exit(1)

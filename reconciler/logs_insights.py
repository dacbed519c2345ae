"""Running a saved Logs Insights query of the config: its time window, the query itself, and
polling for its results.

GetQueryResults is polled with backoff (0.25 s doubling to 2 s) until the query is Complete,
Failed, Cancelled or Timeout, or until the timeout (then StopQuery and an ObsctlError).
"""

from __future__ import annotations

import difflib
import re
import time
from datetime import datetime, timedelta, timezone

from reconciler.diagnostics import ObsctlError

DONE = ("Complete", "Failed", "Cancelled", "Timeout", "Unknown")
FIRST_POLL, MAX_POLL = 0.25, 2.0
MAX_LIMIT = 10_000  # StartQuery `limit`
_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_moment(text: str, now: datetime) -> datetime:
    """`now`, a duration back from now (`90s`, `15m`, `1h`, `2d`, `1w`) or an ISO 8601 time
    (UTC unless it names an offset); ValueError saying what is accepted otherwise."""
    text = text.strip()
    if text == "now":
        return now
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=int(match.group(1)) * _SECONDS[match.group(2)])
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r}: use now, a duration like 15m, 1h or 2d, or an ISO "
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

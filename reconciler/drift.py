"""Drift attribution (`obsctl plan --explain-drift`): who changed a drifted resource, and when.

For every update of the plan whose live state may have been changed outside obsctl (cause
`drift`, `config+drift`, or unknown — not a pure config change, where AWS still holds what
obsctl last applied), one CloudTrail LookupEvents query by the resource's AWS name over the last
7 days (`LookupAttributes=[{ResourceName: NAME}]`, newest first), in the stack's account and
region. The answer is the newest *write* event not sent by obsctl itself: obsctl's requests carry
`obsctl/<version>` in their User-Agent (reconciler/aws.py), which CloudTrail records as
`userAgent` in the event's CloudTrailEvent JSON.

Calls: none without the flag and none when the plan has no such update; otherwise one
LookupEvents per resource (two when its tags drifted: tag APIs name the ARN), plus one per
further page of 50 events while only obsctl's or unrelated events were found (at most
MAX_PAGES pages per name). LookupEvents is limited to 2 requests/s per account and region:
calls go through the stack's AwsContext client, whose shared token bucket paces
`cloudtrail.LookupEvents` at 2/s (reconciler/ratelimit.py; on against AWS, off against an
emulator unless OBSCTL_RATE_LIMITS=aws), on a pool of LOOKUP_WORKERS threads; botocore's
standard retries absorb ThrottlingException.

Nothing here fails the plan: when CloudTrail has no event the change says so, and when it is
not reachable or not allowed (AccessDenied, no endpoint, an emulator without it) every change
of that stack is marked unavailable and `explain` returns one note per stack to print.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.kinds import KINDS
from reconciler.plan import Action, Change, Plan

if TYPE_CHECKING:
    from reconciler.aws import AwsContext
    from reconciler.engine import StackState
    from reconciler.progress import Progress

WINDOW_DAYS = 7
LOOKUP_WORKERS = 4  # more threads would only queue on the 2 requests/s limiter
PAGE_SIZE = 50  # LookupEvents' maximum
MAX_PAGES = 4  # per resource name: the newest 200 events
_OURS = re.compile(r"(^|[\s(])obsctl/")


@dataclass
class _Lookup:
    change: Change
    aws: "AwsContext"
    names: list[str]  # CloudTrail ResourceName values to query, in order
    accepts: Callable[[dict], bool] = field(default=lambda detail: True)


def explain(plan: Plan, states: list["StackState"], *, window_days: int = WINDOW_DAYS,
            now: datetime | None = None, progress: "Progress | None" = None) -> list[str]:
    """Set `attribution` on the plan's drift candidates; returns notes (one line each) for
    stacks where CloudTrail could not be asked."""
    lookups = [_lookup_for(change, state)
               for stack_plan, state in zip(plan.stacks, states)
               for change in stack_plan.changes if _candidate(change)]
    if not lookups:
        return []
    now = now or datetime.now(timezone.utc)
    start = now - timedelta(days=window_days)
    unavailable: dict[int, str] = {}  # id(aws) -> reason: later lookups of that stack are skipped
    lock = threading.Lock()
    if progress:
        progress.total(len(lookups))

    def run(lookup: _Lookup) -> None:
        with lock:
            reason = unavailable.get(id(lookup.aws))
        if reason is None:
            try:
                lookup.change.attribution = _attribute(lookup, start, now, window_days)
            except (ClientError, BotoCoreError) as error:
                reason = _reason(error, lookup.aws.region)
                with lock:
                    unavailable.setdefault(id(lookup.aws), reason)
        if reason is not None:
            lookup.change.attribution = {"status": "unavailable", "reason": reason}
        if progress:
            progress.advance()

    with ThreadPoolExecutor(max_workers=min(LOOKUP_WORKERS, len(lookups))) as pool:
        list(pool.map(run, lookups))
    stacks = {id(l.aws): l.change.stack for l in lookups}
    return [f"drift attribution unavailable: {reason}"
            + (f" (stack {stacks[key]})" if len(plan.stacks) > 1 else "")
            for key, reason in unavailable.items()]


def _candidate(change: Change) -> bool:
    return change.action is Action.UPDATE and change.cause != "config"


def _lookup_for(change: Change, state: "StackState") -> _Lookup:
    """The CloudTrail resource name(s) of a change: what CloudTrail logs as the resource of
    the kind's write APIs (`Kind.cloudtrail_names`)."""
    kind = KINDS[change.kind]
    live = state.live.get(change.kind, {}).get(change.name)
    names = kind.cloudtrail_names(change, live)
    arn = ((live.identity if live else None) or {}).get("arn")
    if arn and arn not in names and any(
            f.path == "tags" or f.path.startswith("tags.") for f in change.fields):
        names.append(arn)  # TagResource/UntagResource name the ARN
    return _Lookup(change, state.aws, names, lambda detail: kind.cloudtrail_event_matches(live, detail))


def _attribute(lookup: _Lookup, start: datetime, end: datetime, window_days: int) -> dict:
    client = lookup.aws.client("cloudtrail")
    newest: dict | None = None
    for name in lookup.names:
        found = _newest_foreign_write(client, name, start, end, lookup.accepts)
        if found and (newest is None or found["EventTime"] > newest["EventTime"]):
            newest = found
    if newest is None:
        return {"status": "none", "window_days": window_days}
    return _describe(newest)


def _newest_foreign_write(client, name: str, start: datetime, end: datetime,
                          accepts: Callable[[dict], bool]) -> dict | None:
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": name}],
        "StartTime": start, "EndTime": end, "MaxResults": PAGE_SIZE}
    for _ in range(MAX_PAGES):
        page = client.lookup_events(**request)
        for event in page.get("Events", []):  # newest first
            if str(event.get("ReadOnly", "false")).lower() == "true":
                continue
            detail = _detail(event)
            if _OURS.search(detail.get("userAgent") or "") or not accepts(detail):
                continue
            return event | {"_detail": detail}
        if not page.get("NextToken"):
            return None
        request["NextToken"] = page["NextToken"]
    return None


def _detail(event: dict) -> dict:
    try:
        detail = json.loads(event.get("CloudTrailEvent") or "{}")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def _describe(event: dict) -> dict:
    detail = event["_detail"]
    when = event.get("EventTime")
    if isinstance(when, datetime):
        when = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    identity = detail.get("userIdentity") or {}
    return {
        "status": "found",
        "username": event.get("Username") or identity.get("userName") or identity.get("arn"),
        "event_name": event.get("EventName"),
        "event_time": when,
        "event_source": event.get("EventSource"),
        "event_id": event.get("EventId"),
        "access_key_id": event.get("AccessKeyId") or identity.get("accessKeyId"),
        "source_ip": detail.get("sourceIPAddress"),
        "user_agent": detail.get("userAgent"),
    }


def _reason(error: Exception, region: str) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        message = " ".join(str(info.get("Message") or "").split())
        if len(message) > 200:
            message = message[:197] + "..."
        return f"CloudTrail LookupEvents in {region}: {info.get('Code')}: {message}".rstrip(": ")
    return f"CloudTrail not reachable in {region}: {error}"

"""`obsctl status` and `obsctl test-alarm`: which alarms a stack has, and their live state.

A stack's alarms are the ones its config declares (`alarms:`, `composite_alarms:`) and the ones
its presets generate (endpoint monitors' alarms of discovered endpoints, model monitors' drift
alarms): the kinds' own `desired` and `generate`, as a plan computes them, never re-derived here.

Live state is read in batches: DescribeAlarms with AlarmNames takes 100 names a call, so a stack
of N alarms costs ceil(N/100) calls whatever else the account holds; paging every alarm of the
account (as plan does) costs ceil(all/100) >= that, so the named batches are never dearer.
Whose each alarm is comes from the bulk tag read plan also uses (one GetResources page per 100
tagged alarms, shared by the stacks of an account-region); an alarm it does not list (just
created: the tagging API lags; or really untagged) is asked directly, one call each. An alarm
that is not this stack's shows its state all the same, marked: the plan calls it a conflict.
Alarm history has no batched form (DescribeAlarmHistory is per AlarmName): it is read only when
asked for (`--history N`), one call per alarm that exists, a few at a time and paced like every
other call (reconciler/ratelimit.py).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from reconciler.aws import AwsContext
from reconciler.config.stack import Stack
from reconciler.kinds import KINDS
from reconciler.kinds.common import for_each, list_tags, read_owned_tags
from reconciler.ownership import OWNER_TAG

FORMAT_VERSION = 1  # of the `status --format json` document
ALARM_KINDS = ("alarms", "composite_alarms")
ALARM_NAMES_PER_CALL = 100  # DescribeAlarms AlarmNames: at most 100 names
HISTORY_MAX = 100  # DescribeAlarmHistory MaxRecords
STACK_WORKERS = 8
# Worst first: what needs a look leads the report. MISSING: declared, not in AWS (not applied).
STATE_ORDER = ("ALARM", "INSUFFICIENT_DATA", "OK", "MISSING")
MISSING = "MISSING"


@dataclass
class Transition:
    timestamp: datetime
    old_state: str
    new_state: str
    reason: str

    def as_json(self) -> dict:
        return {"timestamp": _iso(self.timestamp), "from": self.old_state, "to": self.new_state,
                "reason": self.reason}


@dataclass
class AlarmStatus:
    name: str
    kind: str  # "alarms" | "composite_alarms"
    origin: str | None  # the preset that generated it; None for a declared alarm
    state: str = MISSING
    since: datetime | None = None
    reason: str = ""
    arn: str | None = None
    actions_enabled: bool = True
    alarm_actions: list[str] = field(default_factory=list)
    history: list[Transition] = field(default_factory=list)
    owner: str | None = None  # the live alarm's owner tag (None: untagged, or not in AWS)
    conflict: bool = False  # in AWS but not this stack's: plan leaves it alone

    def as_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "origin": self.origin, "state": self.state,
                "since": _iso(self.since) if self.since else None, "reason": self.reason,
                "arn": self.arn, "owner": self.owner, "conflict": self.conflict,
                "history": [t.as_json() for t in self.history]}


@dataclass
class StackStatus:
    stack: str
    region: str
    alarms: list[AlarmStatus]

    def counts(self) -> dict[str, int]:
        return {state: sum(a.state == state for a in self.alarms) for state in STATE_ORDER}


def sort_alarms(alarms: list[AlarmStatus]) -> list[AlarmStatus]:
    """ALARM, then INSUFFICIENT_DATA, OK, MISSING; by name within a state."""
    return sorted(alarms, key=lambda a: (STATE_ORDER.index(a.state), a.name))


def any_in_alarm(stacks: list[StackStatus]) -> bool:
    return any(a.state == "ALARM" for s in stacks for a in s.alarms)


# --- which alarms a stack has ---------------------------------------------------------------

def stack_alarms(stack: Stack, aws: AwsContext) -> dict[str, AlarmStatus]:
    """Every alarm the stack declares or generates, by name (no state yet). Generators that
    discover (endpoint monitors) read AWS; the ones that generate no alarms are not run."""
    scope = aws.scope
    found: dict[str, AlarmStatus] = {}
    for kind in ALARM_KINDS:
        for name in KINDS[kind].desired(stack, scope):
            found[name] = AlarmStatus(name, kind, None)
    generators = [g for g in KINDS.values() if set(g.generates) & set(ALARM_KINDS)
                  and g.section and stack.section(g.section)]
    for generator, generated in zip(generators, for_each(
            generators, lambda g: g.generate(aws, stack, scope))):
        for kind in ALARM_KINDS:
            for name, desired in generated.get(kind, {}).items():
                found.setdefault(name, AlarmStatus(name, kind, desired.origin or generator.name))
    return found


# --- live state -----------------------------------------------------------------------------

def describe_alarms(aws: AwsContext, names: list[str]) -> dict[str, dict]:
    """DescribeAlarms of `names` (metric and composite), 100 names a call, by name."""
    batches = [names[i:i + ALARM_NAMES_PER_CALL] for i in range(0, len(names), ALARM_NAMES_PER_CALL)]

    def read(batch: list[str]) -> list[dict]:
        pages = aws.client("cloudwatch").get_paginator("describe_alarms").paginate(
            AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"],
            PaginationConfig={"PageSize": ALARM_NAMES_PER_CALL})
        return [alarm for page in pages for key in ("MetricAlarms", "CompositeAlarms")
                for alarm in page.get(key, [])]
    return {alarm["AlarmName"]: alarm for found in for_each(batches, read) for alarm in found}


def state_transitions(aws: AwsContext, name: str, count: int) -> list[Transition]:
    """The alarm's last `count` state changes, newest first (one DescribeAlarmHistory call)."""
    response = aws.client("cloudwatch").describe_alarm_history(
        AlarmName=name, AlarmTypes=["MetricAlarm", "CompositeAlarm"],
        HistoryItemType="StateUpdate", ScanBy="TimestampDescending",
        MaxRecords=min(count, HISTORY_MAX))
    return [_transition(item) for item in response.get("AlarmHistoryItems", [])[:count]]


def _transition(item: dict) -> Transition:
    try:
        data = json.loads(item.get("HistoryData") or "{}")
    except ValueError:
        data = {}
    old, new = data.get("oldState") or {}, data.get("newState") or {}
    return Transition(item["Timestamp"], str(old.get("stateValue", "?")),
                      str(new.get("stateValue", "?")),
                      str(new.get("stateReason") or item.get("HistorySummary") or ""))


def fill_state(status: AlarmStatus, alarm: dict) -> None:
    status.state = alarm.get("StateValue") or MISSING
    status.since = alarm.get("StateTransitionedTimestamp") or alarm.get("StateUpdatedTimestamp")
    status.reason = alarm.get("StateReason") or ""
    status.arn = alarm.get("AlarmArn")
    status.actions_enabled = alarm.get("ActionsEnabled", True)
    status.alarm_actions = list(alarm.get("AlarmActions") or [])


def mark_owners(stack: Stack, aws: AwsContext, present: list[AlarmStatus]) -> None:
    """Each present alarm's owner tag, and whether it is another's (or nobody's): a conflict."""
    if not present:
        return
    tagged = read_owned_tags(aws, "cloudwatch:alarm", True)
    unlisted = [a for a in present if (tagged.get(a.arn) or {}).get(OWNER_TAG) != stack.name]
    confirmed = dict(zip((a.arn for a in unlisted),
                         for_each(unlisted, lambda a: list_tags(aws, a.arn))))
    for alarm in present:
        tags = confirmed.get(alarm.arn, tagged.get(alarm.arn)) or {}
        alarm.owner = tags.get(OWNER_TAG)
        alarm.conflict = alarm.owner != stack.name


def read_status(stack: Stack, aws: AwsContext, history: int = 0) -> StackStatus:
    """The stack's alarms with their live state (and last `history` transitions), sorted."""
    alarms = stack_alarms(stack, aws)
    live = describe_alarms(aws, sorted(alarms))
    for name, alarm in live.items():
        if name in alarms:
            fill_state(alarms[name], alarm)
    mark_owners(stack, aws, [a for a in alarms.values() if a.arn])
    if history > 0:
        present = [a for a in alarms.values() if a.state != MISSING]
        for status, transitions in zip(present, for_each(
                present, lambda a: state_transitions(aws, a.name, history))):
            status.history = transitions
    return StackStatus(stack.name, aws.region, sort_alarms(list(alarms.values())))


def read_all(stacks: list[Stack], make_aws: Callable[[Stack], AwsContext],
             history: int = 0) -> list[StackStatus]:
    """Every stack's status, stacks read concurrently, reported in stack-name order."""
    if not stacks:
        return []
    with ThreadPoolExecutor(max_workers=min(len(stacks), STACK_WORKERS)) as pool:
        results = list(pool.map(lambda s: read_status(s, make_aws(s), history), stacks))
    return sorted(results, key=lambda s: (s.stack, s.region))


def _iso(moment: datetime) -> str:
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc)
    return moment.isoformat().replace("+00:00", "") + "Z"


def status_document(stacks: list[StackStatus]) -> dict:
    """What every status renderer reads (and `--format json` prints): stacks in name order,
    each stack's alarms worst first, and the counts."""
    totals = {state: sum(s.counts()[state] for s in stacks) for state in STATE_ORDER}
    return {
        "format_version": FORMAT_VERSION,
        "stacks": [{"stack": s.stack, "region": s.region, "counts": s.counts(),
                    "alarms": [a.as_json() for a in s.alarms]} for s in stacks],
        "counts": totals,
    }

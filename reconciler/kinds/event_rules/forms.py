"""Comparable forms of an event rule (config and live), the names and ARNs of rules and
targets, and the way back to config for `obsctl import`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from reconciler.kinds.common import present, resolve_action
from reconciler.kinds.event_rules.model import DEFAULT_BUS, EventRuleConfig, TARGET_ID, _NOT_IN_ID


def canonical_pattern(value: Any) -> Any:
    """Mappings by key and arrays sorted: an array of match values is an OR, so its order
    means nothing (`$or` alike). Numeric matcher operands keep their order."""
    if isinstance(value, dict):
        return {key: (item if key == "numeric" else canonical_pattern(item))
                for key, item in sorted(value.items())}
    if isinstance(value, list):
        items = [canonical_pattern(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def rule_arn(name: str, bus: str, scope) -> str:
    return scope.arn("events", f"rule/{name}" if bus == DEFAULT_BUS else f"rule/{bus}/{name}")


def rule_name(arn: str) -> str:
    """The rule name of a rule ARN (`rule/NAME` on the default bus, `rule/BUS/NAME` otherwise)."""
    return arn.rsplit("/", 1)[-1]


def target_id(arn: str, taken: frozenset[str] = frozenset()) -> str:
    """A stable target id: the resource name (a topic's name), or that plus a digest when the
    name does not fit the id rules or another target of the rule has that id already."""
    name = re.split(r"[:/]", arn)[-1]
    if TARGET_ID.match(name) and name not in taken:
        return name
    readable = _NOT_IN_ID.sub("-", name)[:47]
    return f"{readable}-{hashlib.sha256(arn.encode()).hexdigest()[:16]}"


def topics_targeted(stack, scope) -> dict[str, list[str]]:
    """Topic name -> ARNs of the stack's rules that publish to it (for the topic policy)."""
    arns = {resolve_action(f"topic:{name}", scope): name for name in stack.section("topics")}
    targeted: dict[str, set[str]] = {}
    for name, rule in stack.section("event_rules").items():
        for reference in rule.targets:
            topic = arns.get(resolve_action(reference, scope))
            if topic:
                targeted.setdefault(topic, set()).add(rule_arn(name, rule.event_bus, scope))
    return {topic: sorted(rules) for topic, rules in targeted.items()}


def desired_spec(rule: EventRuleConfig, tags: dict[str, str], scope) -> dict:
    arns = sorted({resolve_action(ref, scope) for ref in rule.targets})
    return present({
        "event_bus": rule.event_bus,
        "pattern": canonical_pattern(rule.pattern),
        "state": "ENABLED" if rule.enabled else "DISABLED",
        "description": rule.description or None,
        "targets": arns,
        "tags": tags,
    })


def live_spec(rule: dict, bus: str, targets: list[dict] | None, tags: dict[str, str]) -> dict:
    pattern = rule.get("EventPattern")
    return present({
        "event_bus": bus,
        "pattern": canonical_pattern(json.loads(pattern)) if pattern else None,
        "schedule": rule.get("ScheduleExpression"),  # obsctl makes none: any is a difference
        "state": rule.get("State"),
        "description": rule.get("Description") or None,
        "targets": None if targets is None else sorted(t["Arn"] for t in targets),
        "tags": tags,
    })


def importable(rule: dict, prefix: str) -> bool:
    """A ListRules entry the import writes: selected by name, not managed by an AWS service
    (ManagedBy), and with an event pattern (a schedule-only rule has no `event_rules` form)."""
    return (rule["Name"].startswith(prefix) and not rule.get("ManagedBy")
            and bool(rule.get("EventPattern")))


def rule_config(spec: dict, pattern: dict | None, tags: dict[str, str], refs) -> dict:
    """The `event_rules` entry a person would write for a comparable form and the rule's own
    tags. `pattern` is the rule's pattern as AWS holds it (author's order); without it, the
    canonical one."""
    entry = {"pattern": spec.get("pattern") if pattern is None else pattern,
             "targets": [refs.action(arn) for arn in spec.get("targets", [])]}
    if spec.get("description"):
        entry["description"] = spec["description"]
    if spec.get("state") == "DISABLED":
        entry["enabled"] = False
    if spec.get("event_bus", DEFAULT_BUS) != DEFAULT_BUS:
        entry["event_bus"] = spec["event_bus"]
    if tags:
        entry["tags"] = tags
    return entry


DEFAULT_RETRY_POLICY = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}


def unexpressed_target_settings(targets: list[dict]) -> list[str]:
    """`<target id>.<setting>` for every ListTargetsByRule setting beyond Id and Arn (a retry
    policy equal to EventBridge's default aside)."""
    return [f"{target['Id']}.{key}" for target in targets for key, value in target.items()
            if key not in ("Id", "Arn")
            and not (key == "RetryPolicy" and value == DEFAULT_RETRY_POLICY)]


def _bus_names(events) -> list[str]:
    """Every event bus of the account and region (ListEventBuses has no paginator)."""
    names, token = [], None
    while True:
        page = events.list_event_buses(**({"NextToken": token} if token else {}))
        names += [bus["Name"] for bus in page.get("EventBuses", [])]
        following = page.get("NextToken")
        if not following or following == token:
            return sorted(set(names) | {DEFAULT_BUS})
        token = following

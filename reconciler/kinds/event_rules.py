"""EventBridge rules with SNS topic (or any ARN) targets.

    event_rules:
      training-job-failed:
        pattern: {source: [aws.sagemaker], detail-type: [SageMaker Training Job State Change],
                  detail: {TrainingJobStatus: [Failed]}}
        targets: [topic:ml-oncall]

The pattern is checked locally against the "Event patterns" / "Content filtering" pages of
the EventBridge user guide (so `obsctl validate` needs no TestEventPattern call): a non-empty
mapping whose keys map to a nested mapping or to a non-empty array of values (strings,
numbers, booleans, null) and matchers (`prefix`, `suffix`, `anything-but`, `numeric`,
`exists`, `cidr`, `equals-ignore-case`, `wildcard`), `$or` to a list of at least two
patterns; at most 4096 characters as sent (PutRule EventPattern). A topic that a rule of the
stack targets gets a topic policy statement letting EventBridge publish (reconciler/kinds/topics.py).

Live state: ListRules (paginated) per event bus the stack uses, tags in bulk (`events:rule`),
and ListTargetsByRule for the rules the stack declares or owns only (no batched form exists),
a few at a time.

Comparable form:
  event_bus     bus name ("default")
  pattern       parsed; mappings by key, value arrays sorted (an array is an OR: order is no change)
  state         ENABLED | DISABLED
  description   absent when empty
  targets       target ARNs, sorted (a duplicate ARN is listed twice). Target ids are not
                compared: a rule made elsewhere keeps its ids (the console picks random ones);
                targets obsctl adds get an id derived from the target (the topic name)
  tags

Import (`obsctl import --kind event_rules`): the rules of every event bus (ListEventBuses)
whose name starts with the prefix, with their targets and all their tags. The pattern is
written as AWS holds it (the author's key and value order); targets as `topic:NAME` where a
topic of the config has that ARN, otherwise as the ARN; `enabled`, `description` and
`event_bus` only when not the default. Left out: rules an AWS service manages (ManagedBy) and
rules without an event pattern (schedules), which `event_rules` has no form for. A rule name
used on several buses, or a rule the config cannot express (no targets, a state other than
ENABLED/DISABLED, a pattern obsctl's local check refuses, a target with settings beyond its
ARN such as an input transformer, a role or a dead-letter queue: obsctl's PutTargets would
drop them) stops the import with the reason. A retry policy equal to EventBridge's default
(185 attempts, 24 hours) is no setting: the console writes it out.

One difference can remain after an import, and `--adopt` then reports the rule instead of
tagging it (take it over with `obsctl apply --adopt event_rules/NAME`):
- the topic policy: a topic of the config that a rule now targets gets obsctl's policy for
  EventBridge (reconciler/kinds/topics.py), which replaces the statement the console or
  another tool added; the plan shows it as an update of that topic.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError

from reconciler import iam
from reconciler.config.fields import StrictModel, Tags
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import (concurrently, desired_tags, for_each, read_owned_tags,
                                     resolve_action, tag_delta, tag_list)

MAX_PATTERN_LENGTH = 4096  # PutRule EventPattern
MAX_TARGETS = 5  # targets per rule (EventBridge quota)
DEFAULT_BUS = "default"
TARGET_ID = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")  # PutTargets Target.Id
_NOT_IN_ID = re.compile(r"[^.\-_A-Za-z0-9]")

RuleName = Annotated[str, StringConstraints(pattern=r"^[.\-_A-Za-z0-9]{1,64}$")]
BusName = Annotated[str, StringConstraints(pattern=r"^[/.\-_A-Za-z0-9]{1,256}$")]
TargetRef = Annotated[str, StringConstraints(pattern=r"^(topic:|arn:)\S+$")]


class EventRuleConfig(StrictModel):
    pattern: dict[str, Any]
    targets: Annotated[list[TargetRef], Field(min_length=1, max_length=MAX_TARGETS)]
    description: Annotated[str, StringConstraints(max_length=512)] | None = None
    enabled: bool = True
    event_bus: BusName = DEFAULT_BUS
    tags: Tags = {}


# --- event pattern validation ------------------------------------------------------------

_NUMERIC_OPERATORS = ("<", "<=", "=", ">", ">=")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def pattern_problems(pattern: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """(path inside the pattern, message) for everything EventBridge would refuse."""
    if not isinstance(pattern, dict) or not pattern:
        return [(path, "an event pattern is a non-empty mapping of event fields")]
    problems = []
    for key, value in pattern.items():
        here = path + (key,)
        if not isinstance(key, str) or not key:
            problems.append((path, f"field names are non-empty strings, not {key!r}"))
        elif key == "$or":
            problems += _or_problems(value, here)
        elif isinstance(value, dict):
            problems += pattern_problems(value, here)
        elif isinstance(value, list):
            problems += _values_problems(value, here)
        else:
            problems.append((here, "match values go in an array (e.g. [Failed]) or a nested "
                                   "mapping, not a single value"))
    return problems


def _or_problems(value, path: tuple) -> list[tuple[tuple, str]]:
    if not isinstance(value, list) or len(value) < 2:
        return [(path, "$or takes a list of at least two patterns")]
    return [p for index, branch in enumerate(value) for p in pattern_problems(branch, path + (index,))]


def _values_problems(values: list, path: tuple) -> list[tuple[tuple, str]]:
    if not values:
        return [(path, "empty arrays match nothing; EventBridge refuses them")]
    problems = []
    for index, value in enumerate(values):
        here = path + (index,)
        if isinstance(value, dict):
            problems += [(here, message) for message in _matcher_problems(value)]
        elif isinstance(value, list):
            problems.append((here, "arrays of match values cannot nest"))
    return problems


def _matcher_problems(matcher: dict) -> list[str]:
    if len(matcher) != 1:
        return [f"a matcher has exactly one key, one of prefix, suffix, anything-but, numeric, "
                f"exists, cidr, equals-ignore-case, wildcard; got {sorted(map(str, matcher))}"]
    [(name, operand)] = matcher.items()
    check = _MATCHERS.get(name)
    if check is None:
        return [f"unknown matcher {name!r}: use prefix, suffix, anything-but, numeric, exists, "
                "cidr, equals-ignore-case or wildcard"]
    problem = check(operand)
    return [f"{name}: {problem}"] if problem else []


def _string_or_ignore_case(operand) -> str | None:
    if isinstance(operand, str):
        return None
    if isinstance(operand, dict) and list(operand) == ["equals-ignore-case"] and \
            isinstance(operand["equals-ignore-case"], str):
        return None
    return "takes a string (or {equals-ignore-case: string})"


def _string(operand) -> str | None:
    return None if isinstance(operand, str) else "takes a string"


def _anything_but(operand) -> str | None:
    if isinstance(operand, str) or _is_number(operand):
        return None
    if isinstance(operand, list):
        if operand and (all(isinstance(v, str) for v in operand) or all(map(_is_number, operand))):
            return None
        return "takes a non-empty list of only strings or only numbers"
    if isinstance(operand, dict) and len(operand) == 1:
        [(name, inner)] = operand.items()
        if name in ("prefix", "suffix") and isinstance(inner, str):
            return None
        if name in ("equals-ignore-case", "wildcard") and (
                isinstance(inner, str) or (isinstance(inner, list) and inner
                                           and all(isinstance(v, str) for v in inner))):
            return None
    return ("takes a string, a number, a list of them, or one of {prefix: s}, {suffix: s}, "
            "{equals-ignore-case: s}, {wildcard: s}")


def _numeric(operand) -> str | None:
    shape = ('takes [operator, number] or [">" or ">=", number, "<" or "<=", number], '
             "operators <, <=, =, >, >=")
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        return shape
    operators, numbers = operand[0::2], operand[1::2]
    if not all(op in _NUMERIC_OPERATORS for op in operators) or not all(map(_is_number, numbers)):
        return shape
    if len(operand) == 4 and not (operators[0] in (">", ">=") and operators[1] in ("<", "<=")
                                  and numbers[0] < numbers[1]):
        return 'a range is [">" or ">=", low, "<" or "<=", high] with low below high'
    return None


def _exists(operand) -> str | None:
    return None if isinstance(operand, bool) else "takes true or false"


def _cidr(operand) -> str | None:
    try:
        ipaddress.ip_network(operand, strict=False)
    except (TypeError, ValueError):
        return f"{operand!r} is not an IP address range such as 10.0.0.0/24"
    return None


_MATCHERS = {"prefix": _string_or_ignore_case, "suffix": _string_or_ignore_case,
             "anything-but": _anything_but, "numeric": _numeric, "exists": _exists,
             "cidr": _cidr, "equals-ignore-case": _string, "wildcard": _string}


# --- comparable form -------------------------------------------------------------------

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
    return _present({
        "event_bus": rule.event_bus,
        "pattern": canonical_pattern(rule.pattern),
        "state": "ENABLED" if rule.enabled else "DISABLED",
        "description": rule.description or None,
        "targets": arns,
        "tags": tags,
    })


def live_spec(rule: dict, bus: str, targets: list[dict] | None, tags: dict[str, str]) -> dict:
    pattern = rule.get("EventPattern")
    return _present({
        "event_bus": bus,
        "pattern": canonical_pattern(json.loads(pattern)) if pattern else None,
        "schedule": rule.get("ScheduleExpression"),  # obsctl makes none: any is a difference
        "state": rule.get("State"),
        "description": rule.get("Description") or None,
        "targets": None if targets is None else sorted(t["Arn"] for t in targets),
        "tags": tags,
    })


def _present(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


# --- import: comparable form -> config ---------------------------------------------------

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


# --- the kind ---------------------------------------------------------------------------

class EventRules(Kind):
    iam_read = ("events:ListRules", "events:ListTargetsByRule", "events:ListEventBuses",
                "events:ListTagsForResource", "tag:GetResources")
    iam_write = ("events:PutRule", "events:PutTargets", "events:RemoveTargets",
                 "events:TagResource", "events:UntagResource", "events:DeleteRule")

    def iam_resources(self, stack, scope, names):
        rules = stack.section(self.section)
        return iam.event_rule_arns(scope, [(rules[n].event_bus if n in rules else "default", n)
                                           for n in names])

    name = "event_rules"
    section = "event_rules"
    entry_model = EventRuleConfig
    name_type = RuleName
    depends_on = ("topics",)

    def check(self, stack):
        topics = set(stack.section("topics"))
        diagnostics = []
        for name, rule in stack.section(self.section).items():
            for path, message in pattern_problems(rule.pattern):
                diagnostics.append(Diagnostic(f"event pattern: {message}",
                                              stack.locate(self.section, name, "pattern", *path)))
            if len(json.dumps(rule.pattern, separators=(",", ":"))) > MAX_PATTERN_LENGTH:
                diagnostics.append(Diagnostic(
                    f"event pattern: longer than {MAX_PATTERN_LENGTH} characters as JSON",
                    stack.locate(self.section, name, "pattern")))
            for index, reference in enumerate(rule.targets):
                topic = reference.removeprefix("topic:")
                if reference.startswith("topic:") and topic not in topics:
                    diagnostics.append(Diagnostic(f"topic {topic!r} is not defined in `topics`",
                                                  stack.locate(self.section, name, "targets", index)))
        return diagnostics

    def desired(self, stack, scope):
        return {name: Desired(name, desired_spec(rule, desired_tags(stack, rule.tags), scope),
                              location=stack.locate(self.section, name))
                for name, rule in stack.section(self.section).items()}

    def read_live(self, aws, stack):
        events = aws.client("events")
        declared = stack.section(self.section)
        buses = sorted({DEFAULT_BUS} | {rule.event_bus for rule in declared.values()})

        def rules_of(bus: str) -> list[tuple[str, dict]]:
            pages = events.get_paginator("list_rules").paginate(EventBusName=bus)
            try:
                return [(bus, rule) for page in pages for rule in page["Rules"]]
            except events.exceptions.ResourceNotFoundException:
                return []  # a bus that does not exist (yet) has no rules

        read = concurrently(tags=lambda: read_owned_tags(aws, "events:rule"),
                            **{f"bus:{bus}": (lambda bus=bus: rules_of(bus)) for bus in buses})
        tags = read.pop("tags")
        found = self._one_per_name([pair for listed in read.values() for pair in listed], declared)
        detailed = [name for name, (_, rule) in found.items()
                    if name in declared or rule["Arn"] in tags]
        targets = dict(zip(detailed, for_each(detailed, lambda name: self._targets(
            events, name, found[name][0]))))
        return {name: Live(name, live_spec(rule, bus, targets.get(name), tags.get(rule["Arn"], {})),
                           tags=tags.get(rule["Arn"]),
                           identity={"arn": rule["Arn"], "bus": bus,
                                     "targets": [(t["Id"], t["Arn"]) for t in targets.get(name, [])]})
                for name, (bus, rule) in found.items()}

    def read_for_import(self, aws, stack, prefix):
        events = aws.client("events")

        def rules_of(bus: str) -> list[tuple[str, dict]]:
            pages = events.get_paginator("list_rules").paginate(
                EventBusName=bus, **({"NamePrefix": prefix} if prefix else {}))
            return [(bus, rule) for page in pages for rule in page["Rules"]]

        read = concurrently(tags=lambda: read_owned_tags(aws, "events:rule", owned_only=False),
                            buses=lambda: _bus_names(events))
        listed = [pair for rules in for_each(read["buses"], rules_of) for pair in rules]
        selected = [(bus, rule) for bus, rule in listed if importable(rule, prefix)]
        buses_by_name: dict[str, list[str]] = {}
        for bus, rule in selected:
            buses_by_name.setdefault(rule["Name"], []).append(bus)
        shared = {name: buses for name, buses in sorted(buses_by_name.items()) if len(buses) > 1}
        if shared:
            raise ObsctlError(
                "a config names event rules by name, and these names are used on several event "
                "buses: " + "; ".join(f"{name} ({', '.join(sorted(buses))})"
                                      for name, buses in shared.items())
                + ". Import with a --name-prefix that leaves all but one out.")
        targets = for_each(selected, lambda pair: self._targets(events, pair[1]["Name"], pair[0]))
        tags, live = read["tags"], {}
        for (bus, rule), found in zip(selected, targets):
            arn = rule["Arn"]
            live[rule["Name"]] = Live(
                rule["Name"], live_spec(rule, bus, found, tags.get(arn, {})), tags=tags.get(arn),
                identity={"arn": arn, "bus": bus, "pattern": json.loads(rule["EventPattern"]),
                          "unexpressed": unexpressed_target_settings(found)})
        return live

    def to_config(self, live, refs):
        entry = rule_config(live.spec, live.identity.get("pattern"), refs.own_tags(live.tags),
                            refs)
        problems = [f"event pattern: {message}"
                    for _, message in pattern_problems(entry["pattern"])]
        try:
            EventRuleConfig.model_validate(entry)
        except ValidationError as error:
            problems += [f"{'.'.join(map(str, e['loc']))}: "
                         f"{e['msg'].removeprefix('Value error, ')}" for e in error.errors()]
        unexpressed = live.identity.get("unexpressed")
        if unexpressed:
            problems.append(f"target settings the config has no field for: "
                            f"{', '.join(unexpressed)}")
        if live.spec.get("state") not in ("ENABLED", "DISABLED"):
            problems.append(f"state {live.spec.get('state')!r}: the config has only `enabled: "
                            "true/false` (ENABLED/DISABLED)")
        if problems:
            raise ObsctlError(f"event_rules/{live.name} cannot be written as a config entry: "
                              + "; ".join(problems))
        return (self.section, live.name), entry

    @staticmethod
    def _one_per_name(listed: list[tuple[str, dict]], declared: dict) -> dict[str, tuple[str, dict]]:
        """Rule names are unique per bus: a declared name is matched on its declared bus."""
        found: dict[str, tuple[str, dict]] = {}
        for bus, rule in listed:
            name = rule["Name"]
            wanted = declared[name].event_bus if name in declared else DEFAULT_BUS
            if name not in found or bus == wanted:
                found[name] = (bus, rule)
        return found

    @staticmethod
    def _targets(events, rule: str, bus: str) -> list[dict]:
        pages = events.get_paginator("list_targets_by_rule").paginate(Rule=rule, EventBusName=bus)
        return [target for page in pages for target in page["Targets"]]

    def create(self, aws, desired):
        events = aws.client("events")
        spec = desired.spec
        events.put_rule(**_rule_request(desired.name, spec), Tags=tag_list(desired.written_tags))
        _put_targets(events, desired.name, spec["event_bus"],
                     [(target_id(arn), arn) for arn in spec["targets"]])

    def update(self, aws, desired, live):
        if live.identity["bus"] != desired.spec["event_bus"]:
            self.create(aws, desired)  # moved to another bus
            self.delete(aws, live)
            return
        events, spec = aws.client("events"), desired.spec
        rule_fields = ("pattern", "state", "description", "schedule")
        if any(spec.get(key) != live.spec.get(key) for key in rule_fields):
            events.put_rule(**_rule_request(desired.name, spec))  # a full replace, tags aside
        added, removed = target_changes(live.identity["targets"], spec["targets"])
        _put_targets(events, desired.name, spec["event_bus"], added)
        _remove_targets(events, desired.name, spec["event_bus"], removed)
        to_set, to_remove = tag_delta(live.tags, desired.written_tags)
        if to_set:
            events.tag_resource(ResourceARN=live.identity["arn"], Tags=tag_list(to_set))
        if to_remove:
            events.untag_resource(ResourceARN=live.identity["arn"], TagKeys=to_remove)

    def delete(self, aws, live):
        events, bus = aws.client("events"), live.identity["bus"]
        # DeleteRule refuses a rule that still has targets.
        _remove_targets(events, live.name, bus, [t["Id"] for t in self._targets(events, live.name, bus)])
        events.delete_rule(Name=live.name, EventBusName=bus)


def _rule_request(name: str, spec: dict) -> dict:
    return _present({"Name": name, "EventBusName": spec["event_bus"],
                     "EventPattern": json.dumps(spec["pattern"], separators=(",", ":")),
                     "State": spec["state"], "Description": spec.get("description")})


def target_changes(live: list[tuple[str, str]], wanted: list[str]
                   ) -> tuple[list[tuple[str, str]], list[str]]:
    """(targets to put as (id, arn), ids to remove): each wanted ARN once, under the id it has
    if it is there already; a new target's id never collides with one that stays."""
    kept: dict[str, str] = {}  # arn -> id
    for target, arn in live:
        if arn in wanted and arn not in kept:
            kept[arn] = target
    taken = frozenset(kept.values())
    added = [(target_id(arn, taken), arn) for arn in wanted if arn not in kept]
    overwritten = {target for target, _ in added}  # PutTargets replaces a target of that id
    removed = sorted(target for target, _ in live
                     if target not in taken and target not in overwritten)
    return added, removed


def _put_targets(events, rule: str, bus: str, targets: list[tuple[str, str]]) -> None:
    if not targets:
        return
    answer = events.put_targets(Rule=rule, EventBusName=bus,
                                Targets=[{"Id": target, "Arn": arn} for target, arn in targets])
    _raise_failed(answer, f"PutTargets on rule {rule}")


def _remove_targets(events, rule: str, bus: str, ids: list[str]) -> None:
    if ids:
        _raise_failed(events.remove_targets(Rule=rule, EventBusName=bus, Ids=ids),
                      f"RemoveTargets on rule {rule}")


def _raise_failed(answer: dict, what: str) -> None:
    # Put/RemoveTargets answer 200 with per-target failures.
    if answer.get("FailedEntryCount"):
        failures = "; ".join(f"{e.get('TargetId')}: {e.get('ErrorCode')} {e.get('ErrorMessage')}"
                             for e in answer.get("FailedEntries", []))
        raise ObsctlError(f"{what} failed for {failures}")

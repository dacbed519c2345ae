"""The event rules kind: reads, requests and the Kind itself.
"""

from __future__ import annotations

import json
from typing import NotRequired, TypedDict

from pydantic import ValidationError

from reconciler import iam
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.base import Kind, Live
from reconciler.kinds.common import (concurrently, desired_tags, for_each, present, read_owned_tags,
                                     sync_tags, tag_list)
from reconciler.kinds.event_rules.forms import (_bus_names, desired_spec, importable, live_spec,
                                                rule_config, target_id, unexpressed_target_settings)
from reconciler.kinds.event_rules.model import (DEFAULT_BUS, EventRuleConfig, MAX_PATTERN_LENGTH,
                                                RuleName)
from reconciler.kinds.event_rules.pattern import pattern_problems


class RuleIdentity(TypedDict):
    arn: str
    bus: str
    targets: NotRequired[list[tuple[str, str]]]  # (target id, ARN); plan reads
    pattern: NotRequired[dict]  # import reads: the pattern as AWS holds it
    unexpressed: NotRequired[list[str]]  # import reads: target settings no config can express


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

    def spec(self, entry, stack, scope):
        return desired_spec(entry, desired_tags(stack, entry.tags), scope)

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        if not owned_only:
            return self._importable(aws, name_prefix)
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
                           identity=RuleIdentity(arn=rule["Arn"], bus=bus, targets=[
                               (t["Id"], t["Arn"]) for t in targets.get(name, [])]))
                for name, (bus, rule) in found.items()}

    def _importable(self, aws, prefix: str) -> dict[str, Live]:
        """Every rule named `prefix`*, on any bus, with what `to_config` needs."""
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
                identity=RuleIdentity(arn=arn, bus=bus, pattern=json.loads(rule["EventPattern"]),
                                      unexpressed=unexpressed_target_settings(found)))
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
        sync_tags(aws, live.identity["arn"], live.tags, desired.written_tags)

    def delete(self, aws, live):
        events, bus = aws.client("events"), live.identity["bus"]
        # DeleteRule refuses a rule that still has targets.
        _remove_targets(events, live.name, bus, [t["Id"] for t in self._targets(events, live.name, bus)])
        events.delete_rule(Name=live.name, EventBusName=bus)


def _rule_request(name: str, spec: dict) -> dict:
    return present({"Name": name, "EventBusName": spec["event_bus"],
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

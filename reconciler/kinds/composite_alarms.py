"""CloudWatch composite alarms: a rule over other alarms' states.

    composite_alarms:
      churn-unhealthy:
        rule: ALARM(churn-latency-p90) AND (ALARM(churn-error-rate) OR NOT OK(churn-heartbeat))
        actions: {alarm: [topic:ml-oncall]}
        actions_suppressor: {alarm: maintenance-window, wait_period: 120, extension_period: 60}

Rule syntax (PutCompositeAlarm `AlarmRule`): ALARM(x), OK(x), INSUFFICIENT_DATA(x) with x an
alarm name or ARN (optionally in double quotes), TRUE, FALSE, AND, OR, NOT, parentheses; at
most 10,240 characters and 100 child alarms. `check` resolves every named child against the
stack's `alarms` and `composite_alarms` (which share AWS's alarm name space) and the alarms its
presets generate (reconciler/kinds/alarm_names.py: drift alarms at validation, endpoint
monitors' alarms at plan time, `check_generated`), and rejects cycles among composites. Apply creates named composites before the ones naming them
(`order`), and deletes in the reverse order: AWS refuses to delete an alarm that a
composite still names.

Comparable form (a key whose value is None is left out):
  rule                    canonical text: tokens joined by one space, `FN(name)` without inner
                          spaces; AWS stores the rule as sent, so obsctl sends this form and
                          canonicalizes what it reads (whitespace-only edits are no drift)
  description             absent when empty
  actions_enabled         explicit; AWS default true
  alarm_actions, ok_actions, insufficient_data_actions   sorted, duplicate-free ARNs
  actions_suppressor      {alarm, wait_period, extension_period}; the alarm by name when it is
                          in the stack's account and region (AWS takes a name or an ARN)
  tags

Live state: DescribeAlarms with AlarmTypes=[CompositeAlarm], 100 a page (the alarms kind reads
MetricAlarm only); tags in bulk from the tagging API (resource type cloudwatch:alarm).

Import (`obsctl import --kind composite_alarms`): the rule as obsctl would send it (canonical,
alarms named as AWS stores them: by name, or by ARN where the rule uses one), actions as
`topic:NAME` where the config defines the topic, only the tags the stack does not give every
resource. `check` needs every alarm a rule (or suppressor) names by name to be defined in the
config, so import those too (`--kind alarms`; composites naming composites come in the same
import). `--adopt` tags the imported composites `obsctl:stack=<stack>`, as for metric alarms.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from reconciler import iam
from reconciler.config.fields import Actions, StrictModel, Tags
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.alarm_names import AlarmNames
from reconciler.kinds.alarms import AlarmName, alarm_arn
from reconciler.kinds.base import ArnIdentity, Kind, Live
from reconciler.kinds.common import (alarms_and_tags, alarms_part, desired_tags,
                                     existing_alarms, present, resolve_action, sync_tags,
                                     tag_list, topic_problem)

MAX_RULE_LENGTH = 10_240  # PutCompositeAlarm AlarmRule
MAX_CHILDREN = 100  # "An alarm rule can specify as many as 100 children alarms"
_ACTION_STATES = (("alarm", "alarm_actions", "AlarmActions"), ("ok", "ok_actions", "OKActions"),
                  ("insufficient_data", "insufficient_data_actions", "InsufficientDataActions"))
_TOKEN = re.compile(
    r"""(?P<fn>ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"(?P<quoted>[^"]+)"|(?P<bare>[^()"]+?))\s*\)
      |(?P<word>AND|OR|NOT|TRUE|FALSE)(?![A-Za-z0-9_])
      |(?P<paren>[()])""",
    re.VERBOSE,
)
_ALARM_ARN_NAME = re.compile(r"^arn:[^:]+:cloudwatch:[^:]*:\d*:alarm:(.+)$")


# --- rule syntax -------------------------------------------------------------------------

class RuleError(ValueError):
    pass


def _tokens(rule: str) -> list[tuple[str, str, int]]:
    """(kind, text, 1-based position, alarm name or None); kind is "ref", a keyword, "(" or
    ")"; a ref's text is its canonical `FN(name)` (the name quoted when it was)."""
    tokens, pos = [], 0
    while pos < len(rule):
        if rule[pos].isspace():
            pos += 1
            continue
        match = _TOKEN.match(rule, pos)
        if not match:
            word = re.match(r"[^\s()]+|.", rule[pos:]).group(0)
            raise RuleError(f"unexpected {word!r} at character {pos + 1}: a rule is made of "
                            "ALARM(name), OK(name), INSUFFICIENT_DATA(name), TRUE, FALSE, AND, "
                            "OR, NOT and parentheses")
        if match.group("fn"):
            name = match.group("quoted") or match.group("bare").strip()
            shown = f'"{name}"' if match.group("quoted") else name
            tokens.append(("ref", f"{match.group('fn')}({shown})", pos + 1, name))
        else:
            word = match.group("word") or match.group("paren")
            tokens.append((word, word, pos + 1, None))
        pos = match.end()
    return tokens


def parse_rule(rule: str) -> tuple[str, list[str]]:
    """(canonical text, referenced alarm names or ARNs in order); RuleError if malformed."""
    tokens = _tokens(rule)
    position = 0

    def expect_term() -> None:
        nonlocal position
        if position >= len(tokens):
            raise RuleError("the rule ends where an alarm state, TRUE, FALSE, NOT or '(' "
                            "was expected")
        kind, text, at, _ = tokens[position]
        position += 1
        if kind == "NOT":
            expect_term()
        elif kind == "(":
            expect_expression()
            if position >= len(tokens) or tokens[position][0] != ")":
                raise RuleError(f"'(' at character {at} is never closed")
            position += 1
        elif kind not in ("ref", "TRUE", "FALSE"):
            raise RuleError(f"unexpected {text!r} at character {at}")

    def expect_expression() -> None:
        nonlocal position
        expect_term()
        while position < len(tokens) and tokens[position][0] in ("AND", "OR"):
            position += 1
            expect_term()

    expect_expression()
    if position < len(tokens):
        _, text, at, _ = tokens[position]
        raise RuleError(f"unexpected {text!r} at character {at}: join conditions with AND or OR")
    return _canonical(tokens), [name for kind, _, _, name in tokens if kind == "ref"]


def _canonical(tokens) -> str:
    text = ""
    for _, token, _, _ in tokens:
        glue = "" if not text or text.endswith("(") or token == ")" else " "
        text += glue + token
    return text


def canonical_rule(rule: str) -> str:
    """The comparable form of a rule; a rule obsctl cannot parse is kept as it is."""
    try:
        return parse_rule(rule)[0]
    except RuleError:
        return rule


def _check_rule(rule: str) -> str:
    try:
        _, references = parse_rule(rule)
    except RuleError as error:
        raise ValueError(f"alarm rule: {error}") from None
    children = set(references)
    if len(children) > MAX_CHILDREN:
        raise ValueError(f"alarm rule names {len(children)} alarms; CloudWatch allows at most "
                         f"{MAX_CHILDREN}")
    return rule


def rule_children(rule: str) -> list[str]:
    """Alarm names (or ARNs) a rule refers to, each once; [] if it does not parse."""
    try:
        return list(dict.fromkeys(parse_rule(rule)[1]))
    except RuleError:
        return []


# --- config ------------------------------------------------------------------------------

Rule = Annotated[str, StringConstraints(min_length=1, max_length=MAX_RULE_LENGTH),
                 AfterValidator(_check_rule)]
Seconds = Annotated[int, Field(ge=0)]


class ActionsSuppressor(StrictModel):
    alarm: Annotated[str, StringConstraints(min_length=1, max_length=1600)]  # name or ARN
    """Name or ARN of the alarm whose ALARM state suppresses this composite alarm's actions."""
    wait_period: Seconds  # ActionsSuppressorWaitPeriod: required with a suppressor
    """Seconds the suppressor may take to enter ALARM before actions run anyway."""
    extension_period: Seconds  # ActionsSuppressorExtensionPeriod: likewise
    """Seconds actions stay suppressed after the suppressor leaves ALARM."""


class CompositeAlarmConfig(StrictModel):
    """A CloudWatch composite alarm whose rule combines other alarms' states."""

    rule: Rule
    """Rule over other alarms, e.g. ALARM(a) AND NOT OK(b); names may be this stack's alarms."""
    description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Alarm description shown in CloudWatch and notifications (up to 1024 characters)."""
    actions: Actions = Actions()
    """What to notify or trigger on each state change."""
    actions_enabled: bool = True
    """Whether the actions run on state changes; default true."""
    actions_suppressor: ActionsSuppressor | None = None
    """An alarm whose ALARM state suppresses this alarm's actions."""
    tags: Tags = {}
    """Tags of this alarm, added to the stack's tags."""


# --- comparable form ---------------------------------------------------------------------

def local_alarm_name(reference: str, scope) -> str:
    """An alarm ARN of the stack's own account and region -> the alarm name."""
    match = _ALARM_ARN_NAME.match(reference)
    if match and reference == alarm_arn(match.group(1), scope):
        return match.group(1)
    return reference


def desired_spec(config: CompositeAlarmConfig, tags: dict[str, str], scope) -> dict:
    suppressor = config.actions_suppressor
    return present({
        "rule": canonical_rule(config.rule),
        "description": config.description or None,
        "actions_enabled": config.actions_enabled,
        **{field: sorted({resolve_action(ref, scope) for ref in getattr(config.actions, state)})
           for state, field, _ in _ACTION_STATES},
        "actions_suppressor": suppressor and {
            "alarm": local_alarm_name(suppressor.alarm, scope),
            "wait_period": suppressor.wait_period,
            "extension_period": suppressor.extension_period},
        "tags": tags,
    })


def live_spec(alarm: dict, tags: dict[str, str], scope) -> dict:
    """The comparable form of one DescribeAlarms `CompositeAlarms` entry."""
    suppressor = alarm.get("ActionsSuppressor")
    return present({
        "rule": canonical_rule(alarm.get("AlarmRule", "")),
        "description": alarm.get("AlarmDescription") or None,
        "actions_enabled": alarm.get("ActionsEnabled", True),
        **{field: sorted(set(alarm.get(key) or [])) for _, field, key in _ACTION_STATES},
        "actions_suppressor": suppressor and {
            "alarm": local_alarm_name(suppressor, scope),
            "wait_period": alarm.get("ActionsSuppressorWaitPeriod"),
            "extension_period": alarm.get("ActionsSuppressorExtensionPeriod")},
        "tags": tags,
    })


def put_request(name: str, spec: dict) -> dict:
    """PutCompositeAlarm arguments for a comparable form (without Tags: create adds them)."""
    suppressor = spec.get("actions_suppressor")
    request = present({
        "AlarmName": name,
        "AlarmRule": spec["rule"],
        "AlarmDescription": spec.get("description"),
        "ActionsEnabled": spec["actions_enabled"],
        **{key: spec[field] for _, field, key in _ACTION_STATES},
    })
    if suppressor:
        request.update(ActionsSuppressor=suppressor["alarm"],
                       ActionsSuppressorWaitPeriod=suppressor["wait_period"],
                       ActionsSuppressorExtensionPeriod=suppressor["extension_period"])
    return request


def composite_config(spec: dict, tags: dict[str, str], refs) -> dict:
    """The `composite_alarms` entry a person would write for a comparable form: AWS defaults
    (actions enabled, no actions, no description) left out, topics as `topic:NAME`."""
    entry = present({"description": spec.get("description"), "rule": spec["rule"]})
    actions = {state: [refs.action(arn) for arn in spec[field]]
               for state, field, _ in _ACTION_STATES if spec.get(field)}
    if actions:
        entry["actions"] = actions
    if spec.get("actions_enabled") is False:
        entry["actions_enabled"] = False
    if spec.get("actions_suppressor"):
        entry["actions_suppressor"] = dict(spec["actions_suppressor"])
    if tags:
        entry["tags"] = tags
    return entry


def dependencies(spec: dict) -> list[str]:
    """Alarms a composite needs to exist first: its rule's children and its suppressor."""
    suppressor = spec.get("actions_suppressor")
    return rule_children(spec["rule"]) + ([suppressor["alarm"]] if suppressor else [])


# --- checks ------------------------------------------------------------------------------

def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Cycles of `graph` as the paths that close them (`[a, b, a]`), in a stable order."""
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        path.append(node)
        for child in graph.get(node, []):
            if state.get(child) == "open":
                cycles.append(path[path.index(child):] + [child])
            elif child not in state:
                visit(child, path)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def config_dependencies(config: CompositeAlarmConfig) -> list[str]:
    suppressor = config.actions_suppressor
    return rule_children(config.rule) + ([suppressor.alarm] if suppressor else [])


class CompositeAlarms(Kind):
    iam_read = ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "tag:GetResources")
    iam_write = ("cloudwatch:PutCompositeAlarm", "cloudwatch:TagResource",
                 "cloudwatch:UntagResource", "cloudwatch:DeleteAlarms")

    def iam_resources(self, stack, scope, names):
        return iam.alarm_arns(scope, names)

    name = "composite_alarms"
    section = "composite_alarms"
    entry_model = CompositeAlarmConfig
    name_type = AlarmName
    defaults_key = "composite_alarm"
    depends_on = ("alarms", "topics")

    def check(self, stack):
        composites = stack.section("composite_alarms")
        metric_alarms = set(stack.section("alarms"))
        names = AlarmNames.at_validation(stack)
        diagnostics = []
        for name, config in composites.items():
            if name in metric_alarms:
                diagnostics.append(Diagnostic(
                    f"{name!r} is also defined in `alarms`: metric and composite alarms share "
                    "one name space in CloudWatch", stack.locate("composite_alarms", name),
                    hint=f"the metric alarm is at {stack.locate('alarms', name)}"))
            diagnostics += self._alarm_problems(stack, name, config, names)
            diagnostics += self._action_problems(stack, name, config)
        # A name that is also a metric alarm is reported above, not as a cycle through itself.
        graph = {name: [child for child in config_dependencies(config)
                        if child in composites and child not in metric_alarms]
                 for name, config in composites.items()}
        for cycle in find_cycles(graph):
            diagnostics.append(Diagnostic(
                f"composite alarms name each other in a cycle: {' -> '.join(cycle)}; "
                "CloudWatch cannot create any of them",
                stack.locate("composite_alarms", cycle[0], "rule")))
        return diagnostics

    def check_generated(self, stack, generated):
        names = AlarmNames.at_plan(stack, generated)
        return [diagnostic for name, config in stack.section("composite_alarms").items()
                for diagnostic in self._alarm_problems(stack, name, config, names)]

    @staticmethod
    def _alarm_problems(stack, name, config, names: AlarmNames) -> list[Diagnostic]:
        diagnostics = [
            Diagnostic(f"alarm rule names {child!r}, which is not defined in `alarms` or "
                       f"`composite_alarms`{names.not_generated}",
                       stack.locate("composite_alarms", name, "rule"),
                       hint=names.did_you_mean(child))
            for child in rule_children(config.rule) if names.unknown(child)]
        suppressor = config.actions_suppressor
        if suppressor and names.unknown(suppressor.alarm):
            diagnostics.append(Diagnostic(
                f"actions_suppressor names {suppressor.alarm!r}, which is not defined in "
                f"`alarms` or `composite_alarms`{names.not_generated}",
                stack.locate("composite_alarms", name, "actions_suppressor", "alarm"),
                hint=names.did_you_mean(suppressor.alarm)))
        return diagnostics

    @staticmethod
    def _action_problems(stack, name, config) -> list[Diagnostic]:
        diagnostics = []
        topics = set(stack.section("topics"))
        for state, _, _ in _ACTION_STATES:
            for index, reference in enumerate(getattr(config.actions, state)):
                problem = _action_problem(reference, topics)
                if problem:
                    diagnostics.append(Diagnostic(
                        problem[0], stack.locate("composite_alarms", name, "actions", state, index),
                        hint=problem[1]))
        return diagnostics

    def spec(self, entry, stack, scope):
        return desired_spec(entry, desired_tags(stack, entry.tags), scope)

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        # One DescribeAlarms listing and one tag read serve metric and composite alarms; an
        # import (owned_only=False) reads every tag: it writes the alarms' own tags.
        alarms, tags = alarms_and_tags(aws, "CompositeAlarms", owned_only)
        if owned_only:  # this stack's part of the account-region's listing
            alarms = alarms_part(aws, stack, self.name, alarms, tags)
        scope, live = aws.scope, {}
        for alarm in alarms:
            arn, name = alarm.get("AlarmArn"), alarm["AlarmName"]
            live[name] = Live(name, live_spec(alarm, tags.get(arn, {}), scope),
                              tags=tags.get(arn), identity=ArnIdentity(arn=arn))
        return live

    def to_config(self, live, refs):
        try:
            parse_rule(live.spec["rule"])
        except RuleError as error:
            raise ObsctlError(f"composite_alarms/{live.name}: obsctl cannot read its rule "
                              f"{live.spec['rule']!r} ({error}); leave it out with "
                              "--name-prefix") from None
        return (("composite_alarms", live.name),
                composite_config(live.spec, refs.own_tags(live.tags), refs))

    def order(self, changes):
        """Waves by depth: a composite goes one wave after the deepest composite it names
        among these changes (others exist already or are another kind's, applied before)."""
        by_name = {change.name: change for change in changes}
        depth: dict[str, int] = {}

        def depth_of(name: str, visiting: frozenset = frozenset()) -> int:
            if name not in depth:
                spec = by_name[name].after or by_name[name].before
                named = [c for c in dependencies(spec) if c in by_name and c not in visiting]
                depth[name] = 1 + max((depth_of(c, visiting | {name}) for c in named), default=-1)
            return depth[name]

        waves: list[list] = []
        for change in changes:
            level = depth_of(change.name)
            waves.extend([] for _ in range(level + 1 - len(waves)))
            waves[level].append(change)
        return waves

    def existing(self, aws, names):
        return existing_alarms(aws, names)

    def create(self, aws, desired):
        aws.client("cloudwatch").put_composite_alarm(**put_request(desired.name, desired.spec),
                                                     Tags=tag_list(desired.written_tags))

    def update(self, aws, desired, live):
        cloudwatch = aws.client("cloudwatch")
        if _without_tags(live.spec) != _without_tags(desired.spec):
            cloudwatch.put_composite_alarm(**put_request(desired.name, desired.spec))
        sync_tags(aws, live.identity["arn"], live.tags, desired.written_tags)

    def delete(self, aws, live):
        # One composite per DeleteAlarms request (API reference).
        aws.client("cloudwatch").delete_alarms(AlarmNames=[live.name])


def _without_tags(spec: dict) -> dict:
    return {key: value for key, value in spec.items() if key != "tags"}


def _action_problem(reference: str, topics: set[str]) -> tuple[str, str | None] | None:
    # Composite alarm actions are SNS topics (and Systems Manager); no Auto Scaling or EC2.
    if reference.startswith("scaling:") or re.match(r"^arn:[^:]+:(autoscaling|automate):", reference):
        return "composite alarms cannot have Auto Scaling or EC2 actions (CloudWatch rejects them)", None
    return topic_problem(reference, topics)

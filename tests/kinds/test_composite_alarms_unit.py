"""Composite alarms without AWS: rule syntax, canonical rules, references and cycles, both
sides of the comparable form, and the apply waves."""

from __future__ import annotations

import textwrap

import pytest
from pydantic import ValidationError

from reconciler.aws import Scope
from reconciler.config import load_stacks
from reconciler.diagnostics import ConfigError
from reconciler.kinds.composite_alarms import (CompositeAlarmConfig, CompositeAlarms, RuleError,
                                               canonical_rule, desired_spec, find_cycles,
                                               live_spec, parse_rule, put_request)
from reconciler.plan import Action, Change
from reconciler.kinds import KINDS

SCOPE = Scope(region="us-east-1", account_id="123456789012")
TAGS = {"obsctl:stack": "test"}
KIND = CompositeAlarms()


# --- rule syntax ------------------------------------------------------------------------------

def test_rule_references_in_order_and_canonical_text():
    text, refs = parse_rule('ALARM(a)  AND (ALARM( b ) OR\n NOT OK("c d")) OR TRUE')
    assert refs == ["a", "b", "c d"]
    assert text == 'ALARM(a) AND (ALARM(b) OR NOT OK("c d")) OR TRUE'


def test_canonical_text_is_a_fixed_point_and_keeps_arns():
    rule = "INSUFFICIENT_DATA(arn:aws:cloudwatch:us-east-1:123456789012:alarm:x) AND FALSE"
    assert canonical_rule(rule) == rule
    assert canonical_rule(canonical_rule(" ( ALARM(a) ) ")) == "(ALARM(a))"


@pytest.mark.parametrize("rule, message", [
    ("ALARM(a) ALARM(b)", "unexpected 'ALARM(b)' at character 10"),
    ("ALARM(a) AND", "the rule ends where"),
    ("(ALARM(a)", "'(' at character 1 is never closed"),
    ("ALARM(a))", "unexpected ')'"),
    ("ALARMS(a)", "unexpected 'ALARMS' at character 1"),
    ("ALARM(a) && ALARM(b)", "unexpected '&&'"),
    ("alarm(a)", "unexpected 'alarm"),
    ("AND ALARM(a)", "unexpected 'AND'"),
])
def test_malformed_rules_say_where(rule, message):
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rule(rule)


def test_rule_limits_are_validated_in_the_model():
    with pytest.raises(ValidationError, match="at most 10240 characters"):
        CompositeAlarmConfig(rule="ALARM(a) OR " * 900 + "TRUE")
    many = " OR ".join(f"ALARM(a{i})" for i in range(101))
    with pytest.raises(ValidationError, match="names 101 alarms; CloudWatch allows at most 100"):
        CompositeAlarmConfig(rule=many)


def test_find_cycles_reports_each_cycle_as_a_closed_path():
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["a"]}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["d", "d"]]
    assert find_cycles({"a": ["b"], "b": []}) == []


# --- checks through the loader ------------------------------------------------------------------

def diagnostics(tmp_path, text: str) -> list[str]:
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as error:
        load_stacks([str(path)], KINDS)
    return [f"{d.location.line}:{d.location.col} {d.message} ({d.hint})"
            for d in error.value.diagnostics]


BASE = """
stack: test
topics: {ml-oncall: {}}
alarms:
  latency: {metric: {namespace: N, name: Latency, period: 60}, when: "> 5"}
  errors: {metric: {namespace: N, name: Errors, period: 60}, when: "> 5"}
"""


def test_unknown_child_and_suppressor_get_did_you_mean(tmp_path):
    found = diagnostics(tmp_path, BASE + """
composite_alarms:
  unhealthy:
    rule: ALARM(latncy) AND ALARM(errors)
    actions_suppressor: {alarm: erors, wait_period: 60, extension_period: 60}
    actions: {alarm: [topic:ml-on-call]}
""")
    assert found == [
        "10:5 alarm rule names 'latncy', which is not defined in `alarms` or `composite_alarms` "
        "(did you mean 'latency'?)",
        "11:26 actions_suppressor names 'erors', which is not defined in `alarms` or "
        "`composite_alarms` (did you mean 'errors'?)",
        "12:23 topic 'ml-on-call' is not defined in `topics` (did you mean 'topic:ml-oncall'?)",
    ]


def test_cycle_through_three_composites_is_named(tmp_path):
    [found] = diagnostics(tmp_path, BASE + """
composite_alarms:
  a: {rule: ALARM(b) OR ALARM(latency)}
  b: {rule: ALARM(c)}
  c: {rule: NOT OK(a)}
""")
    assert "cycle: a -> b -> c -> a" in found and found.startswith("9:")


def test_arn_children_and_composites_of_composites_are_accepted(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(BASE + """
composite_alarms:
  degraded: {rule: ALARM(latency) OR ALARM(errors)}
  down: {rule: 'ALARM(degraded) AND ALARM("arn:aws:cloudwatch:us-east-1:111111111111:alarm:x")'}
"""))
    [stack] = load_stacks([str(path)], KINDS)
    assert set(KIND.desired(stack, SCOPE)) == {"degraded", "down"}


# --- comparable form ----------------------------------------------------------------------------

def test_desired_and_live_forms_agree_for_what_aws_returns():
    config = CompositeAlarmConfig(
        rule="ALARM(a)\nAND  NOT OK(b)", description="", actions={"alarm": ["topic:t", "topic:t"]},
        actions_suppressor={"alarm": "maintenance", "wait_period": 60, "extension_period": 120})
    desired = desired_spec(config, TAGS, SCOPE)
    request = put_request("c", desired)
    assert request["AlarmRule"] == "ALARM(a) AND NOT OK(b)"
    assert "AlarmDescription" not in request
    described = {  # DescribeAlarms CompositeAlarms entry after that PutCompositeAlarm
        "AlarmName": "c", "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:c",
        "AlarmRule": request["AlarmRule"], "ActionsEnabled": True,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:t"], "OKActions": [],
        "InsufficientDataActions": [], "StateValue": "OK",
        "ActionsSuppressor": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:maintenance",
        "ActionsSuppressorWaitPeriod": 60, "ActionsSuppressorExtensionPeriod": 120}
    assert live_spec(described, TAGS, SCOPE) == desired
    assert desired["alarm_actions"] == ["arn:aws:sns:us-east-1:123456789012:t"]


def test_suppressor_in_another_account_stays_an_arn():
    other = "arn:aws:cloudwatch:us-east-1:999999999999:alarm:maintenance"
    config = CompositeAlarmConfig(rule="TRUE", actions_suppressor={
        "alarm": other, "wait_period": 0, "extension_period": 0})
    assert desired_spec(config, TAGS, SCOPE)["actions_suppressor"]["alarm"] == other


# --- apply waves --------------------------------------------------------------------------------

def change(name: str, rule: str, action=Action.CREATE, suppressor: str | None = None) -> Change:
    spec = {"rule": rule, **({"actions_suppressor": {"alarm": suppressor}} if suppressor else {})}
    before, after = (spec, None) if action is Action.DELETE else (None, spec)
    return Change(stack="test", kind="composite_alarms", name=name, action=action,
                  before=before, after=after)


def test_order_puts_named_composites_in_earlier_waves():
    changes = [change("top", "ALARM(mid) AND ALARM(metric)"), change("mid", "ALARM(leaf)"),
               change("leaf", "ALARM(metric)"), change("other", "TRUE", suppressor="leaf")]
    waves = KIND.order(changes)
    assert [[c.name for c in wave] for wave in waves] == [["leaf"], ["mid", "other"], ["top"]]


def test_order_of_deletes_reads_the_live_rules_and_survives_a_live_cycle():
    changes = [change("a", "ALARM(b)", Action.DELETE), change("b", "ALARM(a)", Action.DELETE)]
    assert sorted(c.name for wave in KIND.order(changes) for c in wave) == ["a", "b"]
    assert KIND.order([]) == []

"""Event rules and the topic policy they need, without AWS."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from reconciler.aws import Scope
from reconciler.config.stack import Stack
from reconciler.diagnostics import Location
from reconciler.kinds.event_rules import (EventRuleConfig, EventRules, canonical_pattern,
                                          desired_spec, live_spec, pattern_problems, target_changes,
                                          target_id,
                                          topics_targeted)
from reconciler.kinds.topics import EVENTS_SID, Topics, events_policy, normalized_policy

SCOPE = Scope(region="us-east-1", account_id="111111111111")
TOPIC = "arn:aws:sns:us-east-1:111111111111:ml-oncall"
FAILED = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Training Job State Change"],
          "detail": {"TrainingJobStatus": ["Failed"]}}


@pytest.mark.parametrize("pattern", [
    FAILED,
    {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}, None, 5, True]}},
    {"detail": {"state": [{"anything-but": {"prefix": "init"}}, {"anything-but": 3}]}},
    {"detail": {"file": [{"suffix": {"equals-ignore-case": ".PNG"}}, {"wildcard": "*/lib/*"}]}},
    {"detail": {"c": [{"numeric": [">", 0, "<=", 5]}, {"numeric": ["=", 3.5]}]}},
    {"detail": {"ip": [{"cidr": "10.0.0.0/24"}], "gone": [{"exists": False}],
                "name": [{"equals-ignore-case": "churn"}]}},
    {"source": ["aws.sagemaker"], "$or": [{"detail": {"a": ["x"]}}, {"detail": {"b": [{"prefix": "y"}]}}]},
])
def test_patterns_eventbridge_accepts(pattern):
    assert pattern_problems(pattern) == []


@pytest.mark.parametrize("pattern, path, message", [
    ({}, (), "an event pattern is a non-empty mapping"),
    ({"source": "aws.sagemaker"}, ("source",), "match values go in an array"),
    ({"source": []}, ("source",), "empty arrays match nothing"),
    ({"detail": {"s": [["a"]]}}, ("detail", "s", 0), "arrays of match values cannot nest"),
    ({"detail": {"s": [{"contains": "a"}]}}, ("detail", "s", 0), "unknown matcher 'contains'"),
    ({"detail": {"s": [{"prefix": "a", "suffix": "b"}]}}, ("detail", "s", 0), "a matcher has exactly one key"),
    ({"detail": {"s": [{"prefix": 5}]}}, ("detail", "s", 0), "prefix: takes a string"),
    ({"detail": {"n": [{"numeric": ["<", 5, ">", 1]}]}}, ("detail", "n", 0), "numeric: a range is"),
    ({"detail": {"n": [{"numeric": [">", "5"]}]}}, ("detail", "n", 0), "numeric: takes [operator, number]"),
    ({"detail": {"n": [{"exists": "yes"}]}}, ("detail", "n", 0), "exists: takes true or false"),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/33"}]}}, ("detail", "ip", 0), "cidr: '10.0.0.0/33' is not"),
    ({"detail": {"s": [{"anything-but": ["a", 1]}]}}, ("detail", "s", 0), "anything-but: takes a non-empty"),
    ({"$or": [{"a": ["x"]}]}, ("$or",), "$or takes a list of at least two patterns"),
    ({"$or": [{"a": ["x"]}, {"b": []}]}, ("$or", 1, "b"), "empty arrays match nothing"),
])
def test_patterns_eventbridge_refuses_point_at_the_value(pattern, path, message):
    problems = pattern_problems(pattern)
    assert [(p, m[:len(message)]) for p, m in problems] == [(path, message)]


def test_value_order_is_no_change_but_numeric_operands_keep_theirs():
    a = {"source": ["b", "a"], "detail": {"n": [{"numeric": [">", 0, "<", 5]}, "x"]}}
    b = {"detail": {"n": ["x", {"numeric": [">", 0, "<", 5]}]}, "source": ["a", "b"]}
    assert canonical_pattern(a) == canonical_pattern(b)
    [matcher] = [v for v in canonical_pattern(a)["detail"]["n"] if isinstance(v, dict)]
    assert matcher["numeric"] == [">", 0, "<", 5]


def test_target_ids_are_the_topic_name_or_a_stable_digest():
    assert target_id(TOPIC) == "ml-oncall"
    odd = "arn:aws:lambda:us-east-1:111111111111:function:notify:$LATEST"
    assert target_id(odd) == target_id(odd) and len(target_id(odd)) <= 64
    assert target_id(odd).startswith("-LATEST-")


def rule(**fields) -> EventRuleConfig:
    return EventRuleConfig.model_validate({"pattern": FAILED, "targets": ["topic:ml-oncall"], **fields})


def test_live_form_of_what_was_put_equals_the_desired_form():
    spec = desired_spec(rule(description="failed", targets=["topic:ml-oncall", TOPIC]),
                        {"obsctl:stack": "t"}, SCOPE)
    assert spec["targets"] == [TOPIC]  # one topic, one target
    listed = {"Name": "r", "Arn": "arn", "State": "ENABLED", "Description": "failed",
              "EventPattern": json.dumps({"detail": FAILED["detail"], "source": FAILED["source"],
                                          "detail-type": FAILED["detail-type"]}, indent=2)}
    assert live_spec(listed, "default", [{"Id": "ml-oncall", "Arn": TOPIC}], {"obsctl:stack": "t"}) == spec
    # Target ids are not compared: the console's random ids are no difference.
    assert live_spec(listed, "default", [{"Id": "Id4f1c2b7a", "Arn": TOPIC}], {"obsctl:stack": "t"}) == spec


def test_target_changes_keep_ids_that_stay_and_never_collide():
    other = "arn:aws:sns:us-east-1:222222222222:ml-oncall"  # same name, other account
    assert target_changes([("Id1", TOPIC)], [TOPIC]) == ([], [])
    assert target_changes([("Id1", TOPIC), ("Id2", TOPIC)], [TOPIC]) == ([], ["Id2"])
    assert target_changes([("ml-oncall", other)], [TOPIC]) == ([("ml-oncall", TOPIC)], [])
    added, removed = target_changes([("ml-oncall", other)], [other, TOPIC])
    assert removed == [] and added[0][1] == TOPIC and added[0][0].startswith("ml-oncall-")
    assert target_changes([("old", other)], []) == ([], ["old"])


def make_stack(rules: dict, topics=("ml-oncall", "ds-team")) -> Stack:
    config = SimpleNamespace(event_rules={n: rule(**r) for n, r in rules.items()},
                             topics={t: SimpleNamespace(display_name=None, subscriptions=[], tags={})
                                     for t in topics}, tags={})
    sources = {("event_rules", n, "pattern", "detail", "TrainingJobStatus"): Location("s.yaml", 9, 28)
               for n in rules}
    sources.update({("event_rules", n, "targets", 0): Location("s.yaml", 10, 15) for n in rules})
    return Stack(name="test", config=config, sources=sources)


def test_check_locates_pattern_problems_and_dangling_topics():
    stack = make_stack({"r": {"pattern": {**FAILED, "detail": {"TrainingJobStatus": []}},
                              "targets": ["topic:ml-oncal"]}})
    found = {(str(d.location), d.message) for d in EventRules().check(stack)}
    assert found == {("s.yaml:9:28", "event pattern: empty arrays match nothing; EventBridge refuses them"),
                     ("s.yaml:10:15", "topic 'ml-oncal' is not defined in `topics`")}


def test_only_targeted_topics_get_a_policy_and_only_it_is_compared():
    stack = make_stack({"r": {}, "on-bus": {"event_bus": "ml"}})
    assert topics_targeted(stack, SCOPE) == {"ml-oncall": [
        "arn:aws:events:us-east-1:111111111111:rule/ml/on-bus",
        "arn:aws:events:us-east-1:111111111111:rule/r"]}
    desired = Topics().desired(stack, SCOPE)
    assert "policy" not in desired["ds-team"].spec
    statements = {s["Sid"]: s for s in desired["ml-oncall"].spec["policy"]["Statement"]}
    assert statements[EVENTS_SID]["Principal"] == {"Service": ["events.amazonaws.com"]}
    assert statements["__default_statement_ID"]["Condition"] == \
        {"StringEquals": {"AWS:SourceOwner": ["111111111111"]}}
    sns_default = {"policy": {"Version": "2008-10-17"}, "display_name": None}
    assert "policy" not in Topics().comparable(sns_default, desired["ds-team"].spec)


def test_policy_spellings_iam_treats_alike_compare_equal():
    ours = events_policy("ml-oncall", ["arn:aws:events:us-east-1:111111111111:rule/r"], SCOPE)
    respelled = json.loads(json.dumps(ours))
    for statement in respelled["Statement"]:
        statement["Resource"] = statement["Resource"][0]
        statement["Action"] = list(reversed(statement["Action"]))
    respelled["Statement"].reverse()
    assert normalized_policy(respelled) == ours

"""SNS topics without AWS: config validation, the desired form built from a loaded stack, the
policy and subscriptions read back from SNS in the spellings it uses, and import round trips."""

from __future__ import annotations

import io
import json
import textwrap
from types import SimpleNamespace

import pytest
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML

from reconciler.aws import Scope
from reconciler.config import load_stacks
from reconciler.kinds.base import ImportRefs, Live
from reconciler.kinds.topics import (EVENTS_SID, TopicConfig, TopicName, Topics, events_policy,
                                     normalized_policy)
from reconciler.plan import diff_fields
from reconciler.kinds import KINDS

SCOPE = Scope(region="us-east-1", account_id="111111111111")
TOPICS = Topics()
OWNER = {"obsctl:stack": "test"}
ARN = "arn:aws:sns:us-east-1:111111111111:"
RULE = "arn:aws:events:us-east-1:111111111111:rule/"
QUEUE = "arn:aws:sqs:us-east-1:111111111111:alerts"
HOOK = "https://hooks.example.com:8443/sns?team=ml"


def load(tmp_path, text: str):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(text))
    [stack] = load_stacks([str(path)], KINDS)
    return stack


def desired(tmp_path, text: str) -> dict:
    return {name: d.spec for name, d in TOPICS.desired(load(tmp_path, text), SCOPE).items()}


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ml-oncall", "a", "A_b-9", "x" * 256, "orders.fifo"])
def test_good_topic_names_validate(name):
    assert TypeAdapter(TopicName).validate_python(name) == name


@pytest.mark.parametrize("name", ["", "x" * 257, "ml.oncall", "ml oncall", "ml:oncall", "é",
                                  "orders.FIFO", ".fifo", "a.fifo.fifo"])
def test_bad_topic_names_are_rejected(name):
    with pytest.raises(ValidationError):
        TypeAdapter(TopicName).validate_python(name)


def test_fifo_suffix_counts_towards_the_256_characters():
    with pytest.raises(ValidationError):
        TypeAdapter(TopicName).validate_python("x" * 252 + ".fifo")


@pytest.mark.parametrize("entry", [
    {"display_name": "x" * 101},
    {"subscriptions": [{"protocol": "smtp", "endpoint": "a@example.com"}]},
    {"subscriptions": [{"protocol": "Email", "endpoint": "a@example.com"}]},
    {"subscriptions": [{"protocol": "email", "endpoint": ""}]},
    {"subscriptions": [{"protocol": "email"}]},
    {"subscriptions": [{"protocol": "email", "endpoint": "a@example.com", "raw": True}]},
    {"policy": {}},
])
def test_bad_topic_entries_are_rejected(entry):
    with pytest.raises(ValidationError):
        TopicConfig.model_validate(entry)


# --- desired form -----------------------------------------------------------------------------

STACK = """
stack: test
tags: {team: ml}
topics:
  ml-oncall:
    display_name: On call
    subscriptions:
      - {protocol: email, endpoint: b@example.com}
      - {protocol: https, endpoint: "%s"}
      - {protocol: email, endpoint: a@example.com}
      - {protocol: email, endpoint: b@example.com}
      - {protocol: email-json, endpoint: a@example.com}
    tags: {tier: "1", team: platform}
  quiet: {display_name: ""}
""" % HOOK


def test_desired_from_a_loaded_stack(tmp_path):
    stack = load(tmp_path, STACK)
    found = TOPICS.desired(stack, SCOPE)
    assert {name: d.spec for name, d in found.items()} == {
        "ml-oncall": {
            "display_name": "On call",
            # a set of protocol:endpoint keys: order and repeats in the config do not matter
            "subscriptions": ["email-json:a@example.com", "email:a@example.com",
                              "email:b@example.com", f"https:{HOOK}"],
            "tags": {"team": "platform", "tier": "1", **OWNER},
        },
        # an empty display name is no display name (SNS answers "" for a topic without one)
        "quiet": {"display_name": None, "subscriptions": [], "tags": {"team": "ml", **OWNER}},
    }
    assert (found["ml-oncall"].location.line, found["ml-oncall"].location.col) == (5, 3)
    assert (found["quiet"].location.line, found["quiet"].location.col) == (14, 3)


def test_resource_tags_override_stack_tags_but_not_the_owner_tag(tmp_path):
    spec = desired(tmp_path, """
        stack: test
        tags: {team: ml}
        topics: {t: {tags: {team: ds}}}
    """)["t"]
    assert spec["tags"] == {"team": "ds", **OWNER}


RULES = """
stack: test
topics: {ml-oncall: {}, ds-team: {}}
event_rules:
  failed:
    pattern: {source: [aws.sagemaker]}
    targets: [topic:ml-oncall, "arn:aws:sns:us-east-1:111111111111:ml-oncall"]
  stopped:
    event_bus: ml
    pattern: {source: [aws.sagemaker]}
    targets: [topic:ml-oncall]
"""


def test_only_a_topic_an_event_rule_targets_gets_a_policy(tmp_path):
    specs = desired(tmp_path, RULES)
    assert "policy" not in specs["ds-team"]
    assert specs["ml-oncall"]["policy"] == events_policy(
        "ml-oncall", [f"{RULE}failed", f"{RULE}ml/stopped"], SCOPE)
    [events] = [s for s in specs["ml-oncall"]["policy"]["Statement"] if s["Sid"] == EVENTS_SID]
    assert events["Condition"] == {"ArnEquals": {"aws:SourceArn": [f"{RULE}failed",
                                                                   f"{RULE}ml/stopped"]}}
    assert events["Resource"] == [f"{ARN}ml-oncall"]


def test_live_policy_is_ignored_where_obsctl_does_not_manage_it(tmp_path):
    specs = desired(tmp_path, RULES)
    live = {"display_name": None, "subscriptions": [], "tags": OWNER,
            "policy": normalized_policy(SNS_DEFAULT_POLICY)}
    assert TOPICS.comparable(live, specs["ds-team"]) == {"display_name": None,
                                                         "subscriptions": [], "tags": OWNER}
    assert TOPICS.comparable(live, specs["ml-oncall"]) == live


# --- policies as SNS returns them -------------------------------------------------------------

# GetTopicAttributes' Policy for a topic nobody set one on (AWS's own spelling and order).
SNS_DEFAULT_POLICY = {
    "Version": "2008-10-17", "Id": "__default_policy_ID",
    "Statement": [{
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:Publish", "SNS:RemovePermission", "SNS:SetTopicAttributes",
                   "SNS:DeleteTopic", "SNS:ListSubscriptionsByTopic", "SNS:GetTopicAttributes",
                   "SNS:AddPermission", "SNS:Subscribe"],
        "Resource": f"{ARN}ml-oncall",
        "Condition": {"StringEquals": {"AWS:SourceOwner": "111111111111"}},
    }],
}


def events_statement(rules) -> dict:
    return {"Sid": EVENTS_SID, "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish", "Resource": f"{ARN}ml-oncall",
            "Condition": {"ArnEquals": {"aws:SourceArn": rules}}}


def test_ours_read_back_in_single_value_spellings_and_another_order_is_no_change():
    ours = events_policy("ml-oncall", [f"{RULE}failed"], SCOPE)
    read_back = {**SNS_DEFAULT_POLICY,
                 "Statement": [events_statement(f"{RULE}failed"), *SNS_DEFAULT_POLICY["Statement"]]}
    assert normalized_policy(json.loads(json.dumps(read_back))) == ours
    assert diff_fields(normalized_policy(read_back), ours) == []


def test_a_lone_statement_object_is_a_list_of_one():
    lone = {**SNS_DEFAULT_POLICY, "Statement": SNS_DEFAULT_POLICY["Statement"][0]}
    assert normalized_policy(lone) == normalized_policy(SNS_DEFAULT_POLICY)
    assert len(normalized_policy(lone)["Statement"]) == 1


def test_key_order_of_principal_and_condition_does_not_matter():
    one = {"Statement": [{"Sid": "s", "Principal": {"Service": "a", "AWS": ["y", "x"]},
                          "Condition": {"StringEquals": {"k2": "v", "k1": ["b", "a"]},
                                        "ArnLike": {"aws:SourceArn": "arn:x"}}}]}
    other = {"Statement": [{"Condition": {"ArnLike": {"aws:SourceArn": ["arn:x"]},
                                          "StringEquals": {"k1": ["a", "b"], "k2": ["v"]}},
                            "Principal": {"AWS": ["x", "y"], "Service": ["a"]}, "Sid": "s"}]}
    assert normalized_policy(one) == normalized_policy(other) == {"Statement": [{
        "Condition": {"ArnLike": {"aws:SourceArn": ["arn:x"]},
                      "StringEquals": {"k1": ["a", "b"], "k2": ["v"]}},
        "Principal": {"AWS": ["x", "y"], "Service": ["a"]}, "Sid": "s"}]}


def test_statements_without_sid_keep_a_stable_order():
    a = {"Effect": "Allow", "Action": "sns:Publish"}
    b = {"Effect": "Deny", "Action": "sns:Publish"}
    assert normalized_policy({"Statement": [a, b]}) == normalized_policy({"Statement": [b, a]})


def test_a_statement_added_out_of_band_shows_as_drift():
    ours = events_policy("ml-oncall", [f"{RULE}failed"], SCOPE)
    extra = {"Sid": "someone-else", "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": "sns:Subscribe", "Resource": f"{ARN}ml-oncall"}
    live = normalized_policy({**ours, "Statement": [*ours["Statement"], extra]})
    [change] = diff_fields({"policy": live}, {"policy": ours})
    assert change.path == "policy.Statement"
    assert len(change.before) == 3 and len(change.after) == 2


def test_another_rule_in_the_condition_is_a_change_of_that_value():
    before = events_policy("ml-oncall", [f"{RULE}failed"], SCOPE)
    after = events_policy("ml-oncall", [f"{RULE}failed", f"{RULE}stopped"], SCOPE)
    [change] = diff_fields(before, after)
    assert change.path == "Statement[1].Condition.ArnEquals.aws:SourceArn"
    assert (change.before, change.after) == ([f"{RULE}failed"], [f"{RULE}failed", f"{RULE}stopped"])


def test_events_policy_keeps_the_owner_statement_sns_gives_every_topic():
    ours = events_policy("ml-oncall", [f"{RULE}failed"], SCOPE)
    [owner] = [s for s in ours["Statement"] if s["Sid"] == "__default_statement_ID"]
    assert owner == normalized_policy(SNS_DEFAULT_POLICY)["Statement"][0]


# --- live state, from SNS-shaped answers ------------------------------------------------------

class Pages:
    def __init__(self, pages):
        self.pages = pages

    def paginate(self, **_):
        return iter(self.pages)


class FakeSns:
    """ListTopics / ListSubscriptions / GetTopicAttributes answers; records attribute reads."""

    def __init__(self, topics: dict[str, dict], subscriptions: list[dict]):
        self.topics, self.subscriptions, self.attribute_reads = topics, subscriptions, []

    def get_paginator(self, operation):
        if operation == "list_topics":
            return Pages([{"Topics": [{"TopicArn": ARN + name} for name in self.topics]}])
        return Pages([{"Subscriptions": self.subscriptions[:1]}, {"Subscriptions": self.subscriptions[1:]}])

    def get_topic_attributes(self, TopicArn):
        self.attribute_reads.append(TopicArn)
        return {"Attributes": {"TopicArn": TopicArn, **self.topics[TopicArn.removeprefix(ARN)]}}


class FakeTagging:
    def __init__(self, tags: dict[str, dict]):
        self.tags = tags

    def get_paginator(self, operation):
        return Pages([{"ResourceTagMappingList": [
            {"ResourceARN": ARN + name, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            for name, tags in self.tags.items()]}])


def fake_aws(sns, tagging):
    clients = {"sns": sns, "resourcegroupstaggingapi": tagging}
    return SimpleNamespace(client=clients.__getitem__, read_once=lambda key, load: load())


def subscription(topic, protocol, endpoint, arn="PendingConfirmation"):
    return {"TopicArn": ARN + topic, "Protocol": protocol, "Endpoint": endpoint,
            "SubscriptionArn": arn, "Owner": "111111111111"}


def test_live_topics_read_back_compare_equal_to_the_config(tmp_path):
    stack = load(tmp_path, STACK)
    sns = FakeSns(
        topics={"ml-oncall": {"DisplayName": "On call", "Policy": json.dumps(SNS_DEFAULT_POLICY)},
                "quiet": {"DisplayName": ""}, "someone-elses": {"DisplayName": "x"}},
        subscriptions=[
            subscription("ml-oncall", "https", HOOK, f"{ARN}ml-oncall:1"),
            subscription("ml-oncall", "email", "b@example.com"),
            subscription("ml-oncall", "email", "a@example.com", f"{ARN}ml-oncall:2"),
            subscription("ml-oncall", "email-json", "a@example.com", f"{ARN}ml-oncall:3"),
            subscription("someone-elses", "sqs", QUEUE, f"{ARN}someone-elses:1"),
        ])
    tagging = FakeTagging({"ml-oncall": {"team": "platform", "tier": "1", **OWNER},
                           "quiet": {"team": "ml", **OWNER}})
    live = TOPICS.read_live(fake_aws(sns, tagging), stack)
    # attributes are read only for the topics the stack declares
    assert sorted(sns.attribute_reads) == [f"{ARN}ml-oncall", f"{ARN}quiet"]
    assert live["someone-elses"].spec == {"display_name": None, "subscriptions": [f"sqs:{QUEUE}"],
                                          "tags": {}}
    assert live["ml-oncall"].identity["subscriptions"]["email:b@example.com"] == "PendingConfirmation"
    for name, want in TOPICS.desired(stack, SCOPE).items():
        assert diff_fields(TOPICS.comparable(live[name].spec, want.spec), want.spec) == [], name
    assert live["ml-oncall"].spec["policy"] == normalized_policy(SNS_DEFAULT_POLICY)


def test_live_subscription_not_in_the_config_is_a_change_of_the_set(tmp_path):
    stack = load(tmp_path, "stack: test\ntopics: {t: {subscriptions: [{protocol: sqs, endpoint: %s}]}}\n"
                 % QUEUE)
    sns = FakeSns(topics={"t": {}}, subscriptions=[
        subscription("t", "sqs", QUEUE, f"{ARN}t:1"), subscription("t", "sms", "+15555550100")])
    live = TOPICS.read_live(fake_aws(sns, FakeTagging({"t": OWNER})), stack)["t"]
    want = TOPICS.desired(stack, SCOPE)["t"].spec
    [change] = diff_fields(TOPICS.comparable(live.spec, want), want)
    assert (change.path, change.before, change.after) == (
        "subscriptions", ["sms:+15555550100", f"sqs:{QUEUE}"], [f"sqs:{QUEUE}"])


# --- import -----------------------------------------------------------------------------------

REFS = ImportRefs(scope=SCOPE, topic_names={}, stack_tags={"team": "ml"})


def test_to_config_writes_short_forms_and_only_the_resources_own_tags():
    live = Live("ml-oncall", {"display_name": "On call",
                              "subscriptions": ["email:a@example.com", f"https:{HOOK}", f"sqs:{QUEUE}"],
                              "tags": {}},
                tags={"team": "ml", "tier": "1", **OWNER})
    assert TOPICS.to_config(live, REFS) == (("topics", "ml-oncall"), {
        "display_name": "On call",
        # the endpoint keeps its own colons: only the first one separates the protocol
        "subscriptions": [{"protocol": "email", "endpoint": "a@example.com"},
                          {"protocol": "https", "endpoint": HOOK},
                          {"protocol": "sqs", "endpoint": QUEUE}],
        "tags": {"tier": "1"},
    })
    bare = Live("quiet", {"display_name": None, "subscriptions": [], "tags": {}}, tags=None)
    assert TOPICS.to_config(bare, REFS) == (("topics", "quiet"), {})


@pytest.mark.parametrize("spec, tags", [
    ({"display_name": "On call", "subscriptions": [
        "email-json:a@example.com", "email:a@example.com", f"https:{HOOK}", f"sqs:{QUEUE}",
        "sms:+15555550100", "lambda:arn:aws:lambda:us-east-1:111111111111:function:page:live"]},
     {"team": "ml", "tier": "1"}),
    ({"display_name": None, "subscriptions": []}, {}),
    ({"display_name": "#1: 'quoted' {x}", "subscriptions": ["email:a+b@example.com"]}, {"team": "ds"}),
])
def test_imported_entry_loads_back_to_the_live_spec(tmp_path, spec, tags):
    # live subscriptions are a sorted set, as read_live builds them
    live = Live("t", {**spec, "subscriptions": sorted(spec["subscriptions"]),
                      "tags": {"team": "ml", **tags, **OWNER}}, tags={**tags, **OWNER})
    (section, name), entry = TOPICS.to_config(live, REFS)
    stream = io.StringIO()
    YAML().dump({"stack": "test", "tags": {"team": "ml"}, section: {name: entry}}, stream)
    path = tmp_path / "imported.yaml"
    path.write_text(stream.getvalue())
    [stack] = load_stacks([str(path)], KINDS)
    assert TOPICS.desired(stack, SCOPE)["t"].spec == live.spec

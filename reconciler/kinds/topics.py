"""SNS topics and their subscriptions.

FIFO topics: a name ending in `.fifo` is a FIFO topic, created with FifoTopic=true (SNS
refuses the name otherwise, and the attribute cannot change later, so the name alone decides
and the comparable form needs no field for it). A FIFO topic delivers only to SQS queues, and
a FIFO queue subscribes only to a FIFO topic: `check` refuses the other combinations.

Live state: ListTopics and ListSubscriptions are account-wide and paginated (100 a page);
tags come in bulk from the tagging API. SNS has no batched attribute read, so
GetTopicAttributes runs only for the topics the stack declares.

Topic policy: managed only for a topic that an event rule of the stack targets (EventBridge
needs the topic's permission to publish). Then `policy` is SNS's default policy for the topic
(the owner account's statement, which CloudWatch alarm actions rely on) plus a statement letting
`events.amazonaws.com` publish, limited to those rules (aws:SourceArn); other topics' policies
are left alone and not compared (SNS answers a default policy when none was set). Both sides
are parsed and normalized: statements by Sid, single values as one-element lists, sorted.
Statements added out of band to a managed policy show as drift and are replaced on apply; a
topic no rule targets any more keeps its last policy. A rule dropped from the config but still
in AWS (no --prune) keeps its permission while the stack owns it (`settle`): the plan that
prunes the rule removes it from the policy.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Annotated, Literal, TypedDict

from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from reconciler import iam
from reconciler.config.fields import StrictModel, Tags
from reconciler.diagnostics import Diagnostic
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import (concurrently, desired_tags, for_each, read_owned_tags,
                                     sync_tags, tag_list, topic_arn)
from reconciler.kinds.event_rules import rule_name, topics_targeted
from reconciler.ownership import is_owned_by

FIFO_SUFFIX = ".fifo"
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}(\.fifo)?|[A-Za-z0-9_-]{1,256}")


def is_fifo(topic: str) -> bool:
    return topic.endswith(FIFO_SUFFIX)


def check_topic_name(name: str) -> str:
    # CreateTopic: 1-256 characters in all, letters, digits, _ and -; a FIFO topic's name
    # ends in .fifo, which counts towards the 256 (and it is created with FifoTopic=true:
    # the suffix alone decides which kind of topic it is).
    if not _TOPIC_NAME.fullmatch(name):
        raise ValueError(f"topic name {name!r} must be 1-256 letters, digits, _ and -, plus "
                         f"{FIFO_SUFFIX!r} at the end for a FIFO topic")
    return name


TopicName = Annotated[str, AfterValidator(check_topic_name), WithJsonSchema(
    {"type": "string", "pattern": r"^([A-Za-z0-9_-]{1,251}\.fifo|[A-Za-z0-9_-]{1,256})$"})]
Protocol = Literal["email", "email-json", "http", "https", "sqs", "lambda", "sms",
                   "application", "firehose"]


class Subscription(StrictModel):
    protocol: Protocol
    """SNS protocol of the subscription, e.g. email, https, sqs or lambda."""
    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    """Where SNS delivers: an email address, URL, phone number or ARN, per protocol."""


class TopicConfig(StrictModel):
    """An SNS topic and its subscriptions (email, HTTPS, SQS, Lambda, ...)."""

    display_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    """Display name of the topic, used as the sender of SMS and email (up to 100 characters)."""
    subscriptions: list[Subscription] = []
    """Subscriptions of the topic."""
    tags: Tags = {}
    """Tags of this topic, added to the stack's tags."""


def subscription_problems(topic: str, config: TopicConfig) -> list[tuple[int, str]]:
    """(index, message) of each subscription SNS would refuse on `topic`."""
    problems = []
    for index, subscription in enumerate(config.subscriptions):
        to_fifo_queue = subscription.protocol == "sqs" and is_fifo(subscription.endpoint)
        if is_fifo(topic) and subscription.protocol != "sqs":
            problems.append((index, f"a FIFO topic delivers only to SQS queues, not "
                                    f"{subscription.protocol!r} (SNS: Invalid protocol type)"))
        elif not is_fifo(topic) and to_fifo_queue:
            problems.append((index, "a FIFO SQS queue can subscribe only to a FIFO topic (a "
                                    f"name ending in {FIFO_SUFFIX!r})"))
    return problems


def _name(topic_arn: str) -> str:
    return topic_arn.rsplit(":", 1)[1]


def _subscription_key(protocol: str, endpoint: str) -> str:
    return f"{protocol}:{endpoint}"


EVENTS_SID = "obsctl-eventbridge-publish"
# What SNS lets the owner account do by default (its "__default_statement_ID").
_OWNER_ACTIONS = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                  "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                  "SNS:ListSubscriptionsByTopic", "SNS:Publish"]
_LIST_VALUED = ("Action", "NotAction", "Resource", "NotResource")


def _as_list(value) -> list:
    return sorted(value if isinstance(value, list) else [value], key=str)


def normalized_policy(policy: dict) -> dict:
    """A policy document in one spelling: IAM takes "x" and ["x"] alike and ignores order."""
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]

    def statement(entry: dict) -> dict:
        result = dict(entry)
        for key in _LIST_VALUED:
            if key in result:
                result[key] = _as_list(result[key])
        if isinstance(result.get("Principal"), dict):
            result["Principal"] = {k: _as_list(v) for k, v in sorted(result["Principal"].items())}
        if isinstance(result.get("Condition"), dict):
            result["Condition"] = {op: {k: _as_list(v) for k, v in sorted(test.items())}
                                   for op, test in sorted(result["Condition"].items())}
        return dict(sorted(result.items()))

    return {**{k: v for k, v in policy.items() if k != "Statement"},
            "Statement": sorted((statement(s) for s in statements),
                                key=lambda s: (str(s.get("Sid", "")), json.dumps(s, sort_keys=True)))}


def events_policy(topic: str, rule_arns: list[str], scope) -> dict:
    """SNS's default policy for `topic` plus EventBridge's permission to publish for `rule_arns`."""
    arn = topic_arn(topic, scope)
    return normalized_policy({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [
        {"Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": _OWNER_ACTIONS, "Resource": arn,
         "Condition": {"StringEquals": {"AWS:SourceOwner": scope.account_id}}},
        {"Sid": EVENTS_SID, "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "sns:Publish", "Resource": arn,
         "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}}},
    ]})


def publishing_rules(policy: dict | None) -> list[str]:
    """The rule ARNs a (normalized) policy lets EventBridge publish for."""
    for statement in (policy or {}).get("Statement", []):
        if statement.get("Sid") == EVENTS_SID:
            return list(statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn", []))
    return []


def _policy_field(attributes: dict[str, str]) -> dict:
    policy = attributes.get("Policy")
    return {"policy": normalized_policy(json.loads(policy))} if policy else {}


class TopicIdentity(TypedDict):
    arn: str
    subscriptions: dict[str, str]  # subscription key (protocol:endpoint) -> ARN or pending state


class Topics(Kind):
    iam_read = ("sns:ListTopics", "sns:ListSubscriptions", "sns:GetTopicAttributes",
                "sns:ListTagsForResource", "tag:GetResources")
    iam_write = ("sns:CreateTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe",
                 "sns:TagResource", "sns:UntagResource", "sns:DeleteTopic")

    def iam_resources(self, stack, scope, names):
        return iam.topic_arns(scope, names)

    name = "topics"
    section = "topics"
    entry_model = TopicConfig
    name_type = TopicName

    def check(self, stack):
        return [Diagnostic(message, stack.locate("topics", name, "subscriptions", index))
                for name, topic in stack.section("topics").items()
                for index, message in subscription_problems(name, topic)]

    def desired(self, stack, scope):
        targeted = topics_targeted(stack, scope)
        return {
            name: Desired(name, {
                "display_name": topic.display_name or None,
                "subscriptions": sorted({_subscription_key(s.protocol, s.endpoint)
                                         for s in topic.subscriptions}),
                **({"policy": events_policy(name, targeted[name], scope)} if name in targeted else {}),
                "tags": desired_tags(stack, topic.tags),
            }, location=stack.locate("topics", name))
            for name, topic in stack.section("topics").items()
        }

    def settle(self, aws, stack, desired, live, prunes):
        """Keep EventBridge's permission for rules this stack owns that the config no longer
        declares but that stay in AWS (a plan without --prune leaves them): rebuilt from the
        declared rules only, the policy would silently stop their alerts."""
        declared = {arn for arns in topics_targeted(stack, aws.scope).values() for arn in arns}
        granted = {name: set(publishing_rules(live[name].spec.get("policy"))) - declared
                   for name, topic in desired.items() if "policy" in topic.spec and name in live}
        if not any(granted.values()):
            return desired  # nothing to keep: no call
        owned = {arn for arn, tags in read_owned_tags(aws, "events:rule").items()
                 if is_owned_by(tags, stack.name)}
        settled = dict(desired)
        for name, rules in granted.items():
            kept = {arn for arn in rules if arn in owned and not prunes("event_rules",
                                                                        rule_name(arn))}
            if kept:
                spec = desired[name].spec
                targeting = publishing_rules(spec["policy"])
                settled[name] = replace(desired[name], spec={
                    **spec, "policy": events_policy(name, sorted(set(targeting) | kept), aws.scope)})
        return settled

    def comparable(self, live_spec, desired_spec):
        # The policy is compared only where obsctl manages it (see the module docstring).
        return {key: value for key, value in live_spec.items()
                if key != "policy" or "policy" in desired_spec}

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        if owned_only:
            return self._read(aws, lambda name: name in stack.section("topics"))
        live = self._read(aws, lambda name: name.startswith(name_prefix), owned_only=False)
        return {name: topic for name, topic in live.items() if name.startswith(name_prefix)}

    def cloudtrail_names(self, change, live):
        return [live.identity["arn"]] if live else [change.name]  # SNS events name the ARN

    def to_config(self, live, refs):
        entry = {}
        if live.spec["display_name"]:
            entry["display_name"] = live.spec["display_name"]
        if live.spec["subscriptions"]:
            entry["subscriptions"] = [dict(zip(("protocol", "endpoint"), key.split(":", 1)))
                                      for key in live.spec["subscriptions"]]
        own_tags = refs.own_tags(live.tags)
        if own_tags:
            entry["tags"] = own_tags
        return ("topics", live.name), entry

    def _read(self, aws, detailed, owned_only: bool = True) -> dict[str, Live]:
        """Every topic; attributes (one call each) only for those `detailed` selects."""
        sns = aws.client("sns")
        listed = concurrently(
            arns=lambda: aws.read_once("sns:topics", lambda: [
                t["TopicArn"] for page in sns.get_paginator("list_topics").paginate()
                for t in page["Topics"]]),
            subscriptions=lambda: aws.read_once("sns:subscriptions",
                                                lambda: self._subscriptions_by_topic(sns)),
            tags=lambda: read_owned_tags(aws, "sns:topic", owned_only),
        )
        tags, subscriptions = listed["tags"], listed["subscriptions"]
        declared = [arn for arn in listed["arns"] if detailed(_name(arn))]
        attributes = dict(zip(declared, for_each(declared, lambda arn: self._attributes(sns, arn))))
        return {
            _name(arn): Live(_name(arn), {
                "display_name": attributes.get(arn, {}).get("DisplayName") or None,
                "subscriptions": sorted(subscriptions.get(arn, {})),
                **_policy_field(attributes.get(arn, {})),
                "tags": tags.get(arn, {}),
            }, tags=tags.get(arn), identity=TopicIdentity(arn=arn, subscriptions=subscriptions.get(arn, {})))
            for arn in listed["arns"]
        }

    @staticmethod
    def _attributes(sns, arn: str) -> dict[str, str]:
        # SNS has no batched attribute read: one call per declared topic.
        return sns.get_topic_attributes(TopicArn=arn)["Attributes"]

    @staticmethod
    def _subscriptions_by_topic(sns) -> dict[str, dict[str, str]]:
        by_topic: dict[str, dict[str, str]] = {}
        for page in sns.get_paginator("list_subscriptions").paginate():
            for sub in page["Subscriptions"]:
                key = _subscription_key(sub["Protocol"], sub["Endpoint"])
                # Unconfirmed email subscriptions have the ARN "PendingConfirmation".
                by_topic.setdefault(sub["TopicArn"], {})[key] = sub["SubscriptionArn"]
        return by_topic

    def create(self, aws, desired):
        sns = aws.client("sns")
        attributes = {"DisplayName": desired.spec["display_name"]} if desired.spec["display_name"] else {}
        if is_fifo(desired.name):
            attributes["FifoTopic"] = "true"  # SNS refuses a .fifo name without it
        if "policy" in desired.spec:
            attributes["Policy"] = json.dumps(desired.spec["policy"])
        arn = sns.create_topic(Name=desired.name, Attributes=attributes,
                               Tags=tag_list(desired.written_tags))["TopicArn"]
        for key in desired.spec["subscriptions"]:
            self._subscribe(sns, arn, key)

    def update(self, aws, desired, live):
        sns = aws.client("sns")
        arn = live.identity["arn"]
        if desired.spec["display_name"] != live.spec["display_name"]:
            sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName",
                                     AttributeValue=desired.spec["display_name"] or "")
        if "policy" in desired.spec and desired.spec["policy"] != live.spec.get("policy"):
            sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy",
                                     AttributeValue=json.dumps(desired.spec["policy"]))
        wanted, present = set(desired.spec["subscriptions"]), live.identity["subscriptions"]
        for key in sorted(wanted - set(present)):
            self._subscribe(sns, arn, key)
        for key in sorted(set(present) - wanted):
            if present[key].startswith("arn:"):  # a pending subscription cannot be removed
                sns.unsubscribe(SubscriptionArn=present[key])
        sync_tags(aws, arn, live.tags, desired.written_tags)

    def delete(self, aws, live):
        aws.client("sns").delete_topic(TopicArn=live.identity["arn"])

    @staticmethod
    def _subscribe(sns, arn: str, key: str) -> None:
        protocol, endpoint = key.split(":", 1)
        sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)

"""SNS topics and their subscriptions.

Live state: ListTopics and ListSubscriptions are account-wide and paginated (100 a page);
tags come in bulk from the tagging API. SNS has no batched attribute read, so
GetTopicAttributes runs only for the topics the stack declares.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from reconciler.config.fields import StrictModel, Tags
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import (concurrently, desired_tags, for_each, read_owned_tags,
                                     tag_delta, tag_list)

TopicName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,256}(\.fifo)?$")]
Protocol = Literal["email", "email-json", "http", "https", "sqs", "lambda", "sms",
                   "application", "firehose"]


class Subscription(StrictModel):
    protocol: Protocol
    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class TopicConfig(StrictModel):
    display_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    subscriptions: list[Subscription] = []
    tags: Tags = {}


def _name(topic_arn: str) -> str:
    return topic_arn.rsplit(":", 1)[1]


def _subscription_key(protocol: str, endpoint: str) -> str:
    return f"{protocol}:{endpoint}"


class Topics(Kind):
    name = "topics"
    section = "topics"
    entry_model = TopicConfig
    name_type = TopicName

    def desired(self, stack, scope):
        return {
            name: Desired(name, {
                "display_name": topic.display_name or None,
                "subscriptions": sorted({_subscription_key(s.protocol, s.endpoint)
                                         for s in topic.subscriptions}),
                "tags": desired_tags(stack, topic.tags),
            }, location=stack.locate("topics", name))
            for name, topic in stack.section("topics").items()
        }

    def read_live(self, aws, stack):
        return self._read(aws, lambda name: name in stack.section("topics"))

    def read_for_import(self, aws, stack, prefix):
        live = self._read(aws, lambda name: name.startswith(prefix), owned_only=False)
        return {name: topic for name, topic in live.items() if name.startswith(prefix)}

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
            arns=lambda: [t["TopicArn"] for page in sns.get_paginator("list_topics").paginate()
                          for t in page["Topics"]],
            subscriptions=lambda: self._subscriptions_by_topic(sns),
            tags=lambda: read_owned_tags(aws, "sns:topic", owned_only),
        )
        tags, subscriptions = listed["tags"], listed["subscriptions"]
        declared = [arn for arn in listed["arns"] if detailed(_name(arn))]
        display_names = dict(zip(declared, for_each(declared, lambda arn: self._display_name(sns, arn))))
        return {
            _name(arn): Live(_name(arn), {
                "display_name": display_names.get(arn),
                "subscriptions": sorted(subscriptions.get(arn, {})),
                "tags": tags.get(arn, {}),
            }, tags=tags.get(arn), identity={"arn": arn, "subscriptions": subscriptions.get(arn, {})})
            for arn in listed["arns"]
        }

    @staticmethod
    def _display_name(sns, arn: str) -> str | None:
        # SNS has no batched attribute read: one call per declared topic.
        return sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("DisplayName") or None

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
        arn = sns.create_topic(Name=desired.name, Attributes=attributes,
                               Tags=tag_list(desired.spec["tags"]))["TopicArn"]
        for key in desired.spec["subscriptions"]:
            self._subscribe(sns, arn, key)

    def update(self, aws, desired, live):
        sns = aws.client("sns")
        arn = live.identity["arn"]
        if desired.spec["display_name"] != live.spec["display_name"]:
            sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName",
                                     AttributeValue=desired.spec["display_name"] or "")
        wanted, present = set(desired.spec["subscriptions"]), live.identity["subscriptions"]
        for key in sorted(wanted - set(present)):
            self._subscribe(sns, arn, key)
        for key in sorted(set(present) - wanted):
            if present[key].startswith("arn:"):  # a pending subscription cannot be removed
                sns.unsubscribe(SubscriptionArn=present[key])
        to_set, to_remove = tag_delta(live.tags, desired.spec["tags"])
        if to_set:
            sns.tag_resource(ResourceArn=arn, Tags=tag_list(to_set))
        if to_remove:
            sns.untag_resource(ResourceArn=arn, TagKeys=to_remove)

    def delete(self, aws, live):
        aws.client("sns").delete_topic(TopicArn=live.identity["arn"])

    @staticmethod
    def _subscribe(sns, arn: str, key: str) -> None:
        protocol, endpoint = key.split(":", 1)
        sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)

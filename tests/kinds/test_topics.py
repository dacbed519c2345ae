"""SNS topics through the CLI against the emulator."""

from __future__ import annotations

from tests.helpers import (addresses, assert_converged, change, field_diffs, plan_json, summary,
                           without_marker)

CONFIG = """
stack: test
tags: {team: ml}
topics:
  ml-oncall:
    display_name: ML on-call
    subscriptions:
      - {protocol: email, endpoint: b@example.com}
      - {protocol: email, endpoint: a@example.com}
  ds-team: {}
"""


def test_apply_then_plan_is_empty_and_second_apply_writes_nothing(obsctl, write_config, boto):
    path = write_config(CONFIG)
    first = obsctl("apply", path, "--auto-approve")
    assert first.exit_code == 0, first.stderr
    assert "+ topics/ml-oncall: created" in first.stdout
    assert "Apply complete: 2 created, 0 updated, 0 deleted, 0 failed." in first.stdout

    assert_converged(obsctl, path)

    sns = boto("sns")
    arns = {t["TopicArn"].rsplit(":", 1)[1]: t["TopicArn"] for t in sns.list_topics()["Topics"]}
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arns["ml-oncall"])["Tags"]}
    assert without_marker(tags) == {"obsctl:stack": "test", "team": "ml"}


def test_out_of_band_subscription_and_display_name_show_as_field_diffs(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    sns = boto("sns")
    arn = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":ml-oncall"))
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="intruder@example.com")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Renamed")

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["topics/ml-oncall"]
    topic = change(doc, "topics/ml-oncall")
    assert topic["cause"] == "drift"
    assert field_diffs(topic) == {"display_name": ("Renamed", "ML on-call"),
                                  "subscriptions": (
        ["email:a@example.com", "email:b@example.com", "email:intruder@example.com"],
        ["email:a@example.com", "email:b@example.com"])}
    assert doc["summary"] == summary(update=1)

    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert obsctl("plan", path, "--detailed-exitcode").exit_code == 0
    endpoints = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]}
    assert endpoints == {"a@example.com", "b@example.com"}


def test_tag_drift_is_repaired(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    sns = boto("sns")
    arn = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":ds-team"))
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "extra", "Value": "1"}, {"Key": "team", "Value": "x"}])
    doc = plan_json(obsctl, path)
    assert addresses(doc) == ["topics/ds-team"]
    assert field_diffs(change(doc, "topics/ds-team")) == {
        "tags.extra": ("1", None), "tags.team": ("x", "ml")}
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert without_marker(tags) == {"obsctl:stack": "test", "team": "ml"}


FIFO = """
stack: test
topics:
  ml-events.fifo:
    display_name: ML events
    subscriptions:
      - {protocol: sqs, endpoint: "QUEUE_ARN"}
"""


def test_fifo_topic_is_created_fifo_and_reads_back_without_a_diff(obsctl, write_config, boto):
    # A FIFO topic's name ends in .fifo and SNS creates it only with FifoTopic=true.
    queue = boto("sqs").create_queue(QueueName="ml-events.fifo", Attributes={"FifoQueue": "true"})
    queue_arn = boto("sqs").get_queue_attributes(
        QueueUrl=queue["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    path = write_config(FIFO.replace("QUEUE_ARN", queue_arn))

    apply = obsctl("apply", path, "--auto-approve")
    assert apply.exit_code == 0, apply.stdout + apply.stderr
    assert "+ topics/ml-events.fifo: created" in apply.stdout
    assert_converged(obsctl, path)

    sns = boto("sns")
    [arn] = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert arn.endswith(":ml-events.fifo")
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["FifoTopic"] == "true"
    assert attributes["DisplayName"] == "ML events"
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert subscription["Endpoint"] == queue_arn

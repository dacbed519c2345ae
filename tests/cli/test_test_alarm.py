"""`obsctl test-alarm NAME`: fires an owned alarm's ALARM actions with SetAlarmState; refuses
anything else with one line, exit 1 and zero writes. End to end: the SNS notification reaches
an SQS queue subscribed to the alarm's topic."""

from __future__ import annotations

import json

import pytest

from reconciler.ownership import OWNER_TAG
from tests.emulator.test_autoscaling import make_endpoint
from tests.helpers import apply_ok

CONFIG = """
stack: paging
topics:
  ml-oncall: {}
alarms:
  churn-latency:
    metric: {namespace: ML/Churn, name: Latency, stat: p90, period: 60}
    when: "> 500"
    actions: {alarm: [topic:ml-oncall], ok: [topic:ml-oncall]}
  churn-silent:
    metric: {namespace: ML/Churn, name: Errors, stat: Sum, period: 60}
    when: "> 0"
composite_alarms:
  churn-down:
    rule: ALARM(churn-latency) OR ALARM(churn-silent)
    actions: {alarm: [topic:ml-oncall]}
"""
SCALING_CONFIG = """
stack: paging
scaling_policies:
  churn-step-out:
    endpoint: churn
    min_capacity: 1
    max_capacity: 8
    step_scaling:
      adjustment_type: ChangeInCapacity
      steps: [{lower_bound: 0, adjustment: 1}]
alarms:
  churn-scale:
    metric: {namespace: ML/Churn, name: Latency, stat: p90, period: 60}
    when: "> 500"
    actions: {alarm: [scaling:churn-step-out]}
"""


@pytest.fixture
def applied(obsctl, write_config):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    return path


@pytest.fixture
def inbox(boto, applied):
    """An SQS queue subscribed (plain boto3) to the stack's topic; returns a reader of the
    alarm notifications it received."""
    sns, sqs = boto("sns"), boto("sqs")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"]
                 if t["TopicArn"].endswith(":ml-oncall"))
    url = sqs.create_queue(QueueName="oncall-inbox")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue["Attributes"]["QueueArn"])

    def receive() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
    return receive


def state(boto, name: str) -> str:
    found = boto("cloudwatch").describe_alarms(AlarmNames=[name],
                                               AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    return (found["MetricAlarms"] + found["CompositeAlarms"])[0]["StateValue"]


def assert_refused(result, *words: str) -> None:
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.writes == 0
    message = [line for line in result.stderr.splitlines() if not line.startswith(("api calls",
                                                                                    "  "))]
    assert len(message) == 1 and message[0].startswith("error: "), result.stderr
    for word in words:
        assert word in message[0]


def test_fires_alarm_actions_and_the_page_arrives(applied, inbox, boto, obsctl):
    caller = boto("sts").get_caller_identity()["Arn"]
    result = obsctl("test-alarm", "churn-latency", applied)
    assert result.exit_code == 0, result.stderr
    assert "topic ml-oncall  arn:aws:sns:us-east-1:" in result.stdout
    assert "next evaluation" in result.stdout
    assert result.calls["cloudwatch.SetAlarmState"] == 1 and result.writes == 1
    notifications = [n for n in inbox() if n["AlarmName"] == "churn-latency"]
    assert len(notifications) == 1
    assert notifications[0]["NewStateValue"] == "ALARM"
    assert notifications[0]["NewStateReason"] == f"obsctl test-alarm by {caller}"
    assert state(boto, "churn-latency") == "ALARM"


def test_composite_alarm_is_fired_too(applied, inbox, obsctl):
    result = obsctl("test-alarm", "churn-down", applied)
    assert result.exit_code == 0, result.stderr
    assert "child alarms" in result.stdout
    [notification] = [n for n in inbox() if n["AlarmName"] == "churn-down"]
    assert notification["NewStateValue"] == "ALARM" and "AlarmRule" in notification


def test_refuses_a_name_no_stack_declares(applied, boto, obsctl):
    boto("cloudwatch").put_metric_alarm(
        AlarmName="someone-elses", MetricName="M", Namespace="N", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    assert_refused(obsctl("test-alarm", "someone-elses", applied), "not declared or generated")
    assert state(boto, "someone-elses") == "INSUFFICIENT_DATA"


def test_refuses_an_alarm_the_stack_does_not_own_live(applied, boto, obsctl):
    cloudwatch = boto("cloudwatch")
    arn = cloudwatch.describe_alarms(AlarmNames=["churn-latency"])["MetricAlarms"][0]["AlarmArn"]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": OWNER_TAG, "Value": "other"}])
    assert_refused(obsctl("test-alarm", "churn-latency", applied), "stack other's", "refusing")
    cloudwatch.untag_resource(ResourceARN=arn, TagKeys=[OWNER_TAG])
    assert_refused(obsctl("test-alarm", "churn-latency", applied), "not tagged")
    assert state(boto, "churn-latency") == "INSUFFICIENT_DATA"


def test_refuses_an_alarm_not_in_aws(obsctl, write_config):
    assert_refused(obsctl("test-alarm", "churn-latency", write_config(CONFIG)),
                   "not in AWS", "obsctl apply")


def test_refuses_an_alarm_without_alarm_actions_or_already_in_alarm(applied, boto, obsctl):
    assert_refused(obsctl("test-alarm", "churn-silent", applied), "no ALARM actions")
    boto("cloudwatch").set_alarm_state(AlarmName="churn-latency", StateValue="ALARM",
                                       StateReason="real")
    assert_refused(obsctl("test-alarm", "churn-latency", applied), "already in ALARM")


def test_hostile_name_is_escaped_in_the_refusal(applied, obsctl):
    result = obsctl("test-alarm", "x\x1b[31mfake\nerror", applied)
    assert_refused(result, "x\\x1b[31mfake\\nerror")


@pytest.fixture
def scaling_stack(boto, obsctl, write_config):
    make_endpoint(boto("sagemaker"), "churn")
    path = write_config(SCALING_CONFIG)
    apply_ok(obsctl, path)
    return path


def test_scaling_actions_refused_without_terminal_or_yes(scaling_stack, boto, obsctl):
    result = obsctl("test-alarm", "churn-scale", scaling_stack)
    assert_refused(result, "scaling policy churn-step-out", "--yes")
    assert "scales sagemaker/endpoint/churn/variant/AllTraffic" in result.stderr
    assert state(boto, "churn-scale") == "INSUFFICIENT_DATA"


def test_scaling_actions_fire_with_yes(scaling_stack, boto, obsctl):
    result = obsctl("test-alarm", "churn-scale", scaling_stack, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "scaling policy churn-step-out" in result.stdout
    assert result.writes == 1 and state(boto, "churn-scale") == "ALARM"


@pytest.fixture
def terminal(monkeypatch):
    """stdin is a terminal (click's test runner wraps the given input in this class)."""
    import click.testing
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True,
                        raising=False)


def test_scaling_actions_asked_on_a_terminal(scaling_stack, boto, obsctl, terminal):
    declined = obsctl("test-alarm", "churn-scale", scaling_stack, input="no\n")
    assert_refused(declined, "cancelled")
    assert state(boto, "churn-scale") == "INSUFFICIENT_DATA"
    accepted = obsctl("test-alarm", "churn-scale", scaling_stack, input="yes\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert "Only 'yes' will be accepted" in accepted.stdout
    assert accepted.writes == 1 and state(boto, "churn-scale") == "ALARM"


def test_a_metrics_insights_query_alarm_is_fired_and_pages(obsctl, write_config, boto):
    path = write_config(CONFIG.replace("composite_alarms:", """  fleet-max-latency:
    query: SELECT MAX(ModelLatency) FROM SCHEMA("AWS/SageMaker", EndpointName, VariantName)
    period: 60
    when: "> 500000"
    actions: {alarm: [topic:ml-oncall]}
composite_alarms:"""))
    apply_ok(obsctl, path)
    sns, sqs = boto("sns"), boto("sqs")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":ml-oncall"))
    url = sqs.create_queue(QueueName="fleet-inbox")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)

    result = obsctl("test-alarm", "fleet-max-latency", path)
    assert result.exit_code == 0, result.stderr
    assert result.calls["cloudwatch.SetAlarmState"] == 1 and result.writes == 1
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    [page] = [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
    assert page["AlarmName"] == "fleet-max-latency" and page["NewStateValue"] == "ALARM"
    assert state(boto, "fleet-max-latency") == "ALARM"

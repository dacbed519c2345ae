"""DescribeAlarmHistory and alarm actions (SNS notifications) through plain boto3."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError


def metric_alarm(name: str, **overrides):
    params = dict(AlarmName=name, MetricName="Latency", Namespace="App", Statistic="Average",
                  Period=60, EvaluationPeriods=3, Threshold=5, ComparisonOperator="GreaterThanThreshold")
    params.update(overrides)
    return params


@pytest.fixture
def cw(emu_client):
    return emu_client("cloudwatch")


def test_history_records_create_update_and_state_changes_newest_first(cw):
    cw.put_metric_alarm(**metric_alarm("latency"))
    cw.put_metric_alarm(**metric_alarm("latency", Threshold=9))
    cw.set_alarm_state(AlarmName="latency", StateValue="ALARM", StateReason="testing",
                       StateReasonData=json.dumps({"version": "1.0", "recentDatapoints": [12.0]}))
    items = cw.describe_alarm_history(AlarmName="latency")["AlarmHistoryItems"]
    assert [i["HistoryItemType"] for i in items] == ["StateUpdate", "ConfigurationUpdate", "ConfigurationUpdate"]
    state = items[0]
    assert state["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert state["AlarmType"] == "MetricAlarm"
    data = json.loads(state["HistoryData"])
    assert data["version"] == "1.0"
    assert data["oldState"] == {"stateValue": "INSUFFICIENT_DATA", "stateReason": "Unchecked: Initial alarm creation"}
    assert data["newState"] == {"stateValue": "ALARM", "stateReason": "testing",
                                "stateReasonData": {"version": "1.0", "recentDatapoints": [12.0]}}
    assert items[2]["HistorySummary"] == 'Alarm "latency" created'
    assert json.loads(items[2]["HistoryData"])["type"] == "Create"
    update = json.loads(items[1]["HistoryData"])
    assert items[1]["HistorySummary"] == 'Alarm "latency" updated'
    assert update["type"] == "Update"
    assert update["originalUpdatedAlarm"]["threshold"] == 5.0 and update["updatedAlarm"]["threshold"] == 9.0


def test_history_same_state_again_is_not_a_transition(cw):
    cw.put_metric_alarm(**metric_alarm("a"))
    cw.set_alarm_state(AlarmName="a", StateValue="OK", StateReason="one")
    cw.set_alarm_state(AlarmName="a", StateValue="OK", StateReason="two")
    items = cw.describe_alarm_history(AlarmName="a", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert len(items) == 1


def test_history_filters_types_dates_scan_order_and_pages(cw):
    for i in range(5):
        cw.put_metric_alarm(**metric_alarm(f"m{i}"))
    cw.put_composite_alarm(AlarmName="comp", AlarmRule="ALARM(m0)")
    assert {i["AlarmName"] for i in cw.describe_alarm_history()["AlarmHistoryItems"]} == {f"m{i}" for i in range(5)}
    composite = cw.describe_alarm_history(AlarmTypes=["CompositeAlarm"])["AlarmHistoryItems"]
    assert [i["AlarmName"] for i in composite] == ["comp"] and composite[0]["AlarmType"] == "CompositeAlarm"
    ascending = cw.describe_alarm_history(ScanBy="TimestampAscending", MaxRecords=2)
    names = [i["AlarmName"] for i in ascending["AlarmHistoryItems"]]
    token = ascending["NextToken"]
    while token:
        page = cw.describe_alarm_history(ScanBy="TimestampAscending", MaxRecords=2, NextToken=token)
        names += [i["AlarmName"] for i in page["AlarmHistoryItems"]]
        token = page.get("NextToken")
    assert names == [f"m{i}" for i in range(5)]
    paged = [i["AlarmName"] for p in cw.get_paginator("describe_alarm_history").paginate(
        PaginationConfig={"PageSize": 2}) for i in p["AlarmHistoryItems"]]
    assert paged == [f"m{i}" for i in reversed(range(5))]
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert cw.describe_alarm_history(StartDate=future)["AlarmHistoryItems"] == []
    assert len(cw.describe_alarm_history(EndDate=future)["AlarmHistoryItems"]) == 5
    assert cw.describe_alarm_history(HistoryItemType="Action")["AlarmHistoryItems"] == []


def test_history_outlives_the_alarm_and_rejects_bad_input(cw):
    cw.put_metric_alarm(**metric_alarm("gone"))
    cw.delete_alarms(AlarmNames=["gone"])
    items = cw.describe_alarm_history(AlarmName="gone")["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in items] == ['Alarm "gone" deleted', 'Alarm "gone" created']
    assert json.loads(items[0]["HistoryData"])["type"] == "Delete"
    with pytest.raises(ClientError) as bad_token:
        cw.describe_alarm_history(NextToken="not-a-token")
    assert bad_token.value.response["Error"]["Code"] == "InvalidNextToken"
    with pytest.raises(ClientError) as bad_max:
        cw.describe_alarm_history(MaxRecords=101)
    assert bad_max.value.response["Error"]["Code"] == "ValidationError"


# -- actions ---------------------------------------------------------------------------------

@pytest.fixture
def topic_queue(emu_client):
    """An SNS topic with an SQS queue subscribed; returns (topic_arn, receive())."""
    sns, sqs = emu_client("sns"), emu_client("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)

    def receive() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return topic, receive


def test_set_alarm_state_publishes_aws_alarm_notification_to_subscribed_queue(cw, topic_queue):
    topic, receive = topic_queue
    cw.put_metric_alarm(**metric_alarm("latency", AlarmActions=[topic], AlarmDescription="p99 too high",
                                       Dimensions=[{"Name": "Endpoint", "Value": "prod"}]))
    cw.set_alarm_state(AlarmName="latency", StateValue="ALARM", StateReason="Threshold Crossed")
    (envelope,) = receive()
    assert envelope["Subject"] == 'ALARM: "latency" in US East (N. Virginia)'
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == "latency"
    assert message["AlarmDescription"] == "p99 too high"
    assert message["AWSAccountId"] == "123456789012"
    assert message["NewStateValue"] == "ALARM" and message["OldStateValue"] == "INSUFFICIENT_DATA"
    assert message["NewStateReason"] == "Threshold Crossed"
    assert message["Region"] == "US East (N. Virginia)"
    assert message["AlarmArn"].endswith(":alarm:latency")
    assert message["StateChangeTime"].endswith("+0000")
    assert message["Trigger"]["MetricName"] == "Latency" and message["Trigger"]["Statistic"] == "AVERAGE"
    assert message["Trigger"]["Dimensions"] == [{"value": "prod", "name": "Endpoint"}]
    assert message["Trigger"]["Threshold"] == 5.0
    assert message["Trigger"]["TreatMissingData"] == "- TreatMissingData:                    missing"
    actions = cw.describe_alarm_history(AlarmName="latency", HistoryItemType="Action")["AlarmHistoryItems"]
    assert actions[0]["HistorySummary"] == f"Successfully executed action {topic}"


def test_only_the_new_states_actions_run_and_not_when_actions_disabled(cw, topic_queue):
    topic, receive = topic_queue
    cw.put_metric_alarm(**metric_alarm("quiet", OKActions=[topic]))
    cw.set_alarm_state(AlarmName="quiet", StateValue="ALARM", StateReason="x")
    assert receive() == []
    cw.set_alarm_state(AlarmName="quiet", StateValue="OK", StateReason="back")
    assert [json.loads(m["Message"])["NewStateValue"] for m in receive()] == ["OK"]
    cw.put_metric_alarm(**metric_alarm("off", AlarmActions=[topic], ActionsEnabled=False))
    cw.set_alarm_state(AlarmName="off", StateValue="ALARM", StateReason="x")
    assert receive() == []


def test_composite_alarm_state_change_notifies_with_its_rule(cw, topic_queue):
    topic, receive = topic_queue
    cw.put_metric_alarm(**metric_alarm("child"))
    cw.put_composite_alarm(AlarmName="parent", AlarmRule="ALARM(child)", AlarmActions=[topic])
    cw.set_alarm_state(AlarmName="parent", StateValue="ALARM", StateReason="child in alarm")
    (envelope,) = receive()
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == "parent" and message["AlarmRule"] == "ALARM(child)"
    assert "Trigger" not in message


@pytest.mark.parametrize("stat", ["tm90", "wm90", "IQM", "TM(10%:90%)", "tc90", "ts90", "PR(10:100)", "p99.9"])
def test_put_metric_alarm_accepts_trimmed_and_winsorized_statistics(cw, stat):
    params = metric_alarm("ext", ExtendedStatistic=stat)
    del params["Statistic"]
    cw.put_metric_alarm(**params)
    assert cw.describe_alarms(AlarmNames=["ext"])["MetricAlarms"][0]["ExtendedStatistic"] == stat


def test_composite_follows_its_children_and_notifies_with_the_triggering_child(cw, topic_queue):
    topic, receive = topic_queue
    cw.put_metric_alarm(**metric_alarm("latency"))
    cw.put_metric_alarm(**metric_alarm("errors"))
    cw.put_composite_alarm(AlarmName="service", AlarmRule="ALARM(latency) AND NOT OK(errors)",
                           AlarmActions=[topic], OKActions=[topic])
    cw.set_alarm_state(AlarmName="latency", StateValue="ALARM", StateReason="slow")
    (envelope,) = receive()
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == "service" and message["NewStateValue"] == "ALARM"
    assert [c["Arn"] for c in message["TriggeringChildren"]] == [message["AlarmArn"].replace("service", "latency")]
    assert message["TriggeringChildren"][0]["State"]["Value"] == "ALARM"
    cw.set_alarm_state(AlarmName="errors", StateValue="OK", StateReason="fine")
    assert [json.loads(m["Message"])["NewStateValue"] for m in receive()] == ["OK"]
    state = cw.describe_alarms(AlarmNames=["service"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert state["StateValue"] == "OK"
    history = cw.describe_alarm_history(AlarmName="service", AlarmTypes=["CompositeAlarm"],
                                        HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in history] == ["Alarm updated from ALARM to OK",
                                                       "Alarm updated from INSUFFICIENT_DATA to ALARM"]


def test_composite_with_suppressor_in_alarm_changes_state_without_actions(cw, topic_queue):
    topic, receive = topic_queue
    cw.put_metric_alarm(**metric_alarm("child"))
    cw.put_metric_alarm(**metric_alarm("maintenance"))
    cw.put_composite_alarm(AlarmName="parent", AlarmRule="ALARM(child)", AlarmActions=[topic],
                           ActionsSuppressor="maintenance", ActionsSuppressorWaitPeriod=60,
                           ActionsSuppressorExtensionPeriod=60)
    cw.set_alarm_state(AlarmName="maintenance", StateValue="ALARM", StateReason="window")
    cw.set_alarm_state(AlarmName="child", StateValue="ALARM", StateReason="x")
    assert receive() == []
    assert cw.describe_alarms(AlarmNames=["parent"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0][
        "StateValue"] == "ALARM"


def test_metric_math_alarm_notification_lists_its_metrics(cw, topic_queue):
    topic, receive = topic_queue
    cw.put_metric_alarm(AlarmName="ratio", EvaluationPeriods=1, Threshold=0.5, AlarmActions=[topic],
                        ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore", Metrics=[
                            {"Id": "e1", "Expression": "m1 / 100", "Label": "Ratio"},
                            {"Id": "m1", "ReturnData": False, "MetricStat": {
                                "Metric": {"Namespace": "App", "MetricName": "Errors",
                                           "Dimensions": [{"Name": "Endpoint", "Value": "prod"}]},
                                "Period": 60, "Stat": "Sum"}}])
    cw.set_alarm_state(AlarmName="ratio", StateValue="ALARM", StateReason="x")
    trigger = json.loads(receive()[0]["Message"])["Trigger"]
    assert trigger["Period"] == 60 and "MetricName" not in trigger
    assert trigger["TreatMissingData"].endswith(" ignore")
    assert [m["Id"] for m in trigger["Metrics"]] == ["e1", "m1"]
    assert trigger["Metrics"][1]["MetricStat"]["Metric"]["Dimensions"] == [{"value": "prod", "name": "Endpoint"}]

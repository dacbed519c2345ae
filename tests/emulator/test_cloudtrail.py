"""CloudTrail event history in the emulator: writes that reach it become management events,
LookupEvents finds them as the CloudTrail API reference describes, through plain boto3."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import REGION


def _client(emu, service, key="testing", secret="testing", region=REGION, user_agent_extra=None):
    return boto3.client(service, endpoint_url=emu.endpoint_url, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1},
                                      user_agent_extra=user_agent_extra))


def _put_alarm(cloudwatch, name="latency", threshold=500.0):
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="ML", MetricName="Latency", ExtendedStatistic="p90", Period=60,
        EvaluationPeriods=1, Threshold=threshold, ComparisonOperator="GreaterThanThreshold")


def _by_resource(cloudtrail, name, **extra):
    return cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}], **extra)["Events"]


@pytest.fixture
def alice(emu):
    iam = _client(emu, "iam")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_put_metric_alarm_is_an_event_of_the_alarm_with_who_and_how(emu, alice):
    key, secret = alice
    _put_alarm(_client(emu, "cloudwatch", key, secret, user_agent_extra="console-test/1.0"))
    _client(emu, "cloudwatch").describe_alarms()  # reads are not recorded

    events = _by_resource(_client(emu, "cloudtrail"), "latency")
    assert len(events) == 1
    event = events[0]
    assert event["EventName"] == "PutMetricAlarm"
    assert event["Username"] == "alice"
    assert event["AccessKeyId"] == key
    assert event["EventSource"] == "monitoring.amazonaws.com"
    assert event["ReadOnly"] == "false"
    assert event["Resources"] == [{"ResourceType": "AWS::CloudWatch::Alarm", "ResourceName": "latency"}]
    assert abs(event["EventTime"] - datetime.now(timezone.utc)) < timedelta(minutes=1)
    detail = json.loads(event["CloudTrailEvent"])
    assert detail["userIdentity"]["type"] == "IAMUser"
    assert detail["userIdentity"]["userName"] == "alice"
    assert detail["userIdentity"]["accessKeyId"] == key
    assert detail["userAgent"].endswith("console-test/1.0")
    assert detail["eventName"] == "PutMetricAlarm" and detail["eventID"] == event["EventId"]
    assert detail["requestParameters"]["Threshold"] == 500.0
    assert detail["awsRegion"] == REGION and detail["managementEvent"] is True
    assert detail["recipientAccountId"] == "123456789012"
    assert detail["sourceIPAddress"] == "127.0.0.1"


def test_each_service_names_its_resources(emu):
    logs, sns = _client(emu, "logs"), _client(emu, "sns")
    logs.create_log_group(logGroupName="/ml/churn")
    logs.put_retention_policy(logGroupName="/ml/churn", retentionInDays=30)
    arn = sns.create_topic(Name="oncall", Tags=[{"Key": "team", "Value": "ml"}])["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="On call")
    _client(emu, "cloudwatch").put_dashboard(DashboardName="ml", DashboardBody='{"widgets": []}')
    cloudtrail = _client(emu, "cloudtrail")

    assert [e["EventName"] for e in _by_resource(cloudtrail, "/ml/churn")] == [
        "PutRetentionPolicy", "CreateLogGroup"]  # newest first
    topic = _by_resource(cloudtrail, arn)
    assert [e["EventName"] for e in topic] == ["SetTopicAttributes", "CreateTopic"]
    assert all(e["EventSource"] == "sns.amazonaws.com" and e["Username"] == "root" for e in topic)
    create = json.loads(topic[1]["CloudTrailEvent"])
    assert create["requestParameters"]["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert create["userIdentity"]["type"] == "Root"
    assert [e["EventName"] for e in _by_resource(cloudtrail, "ml")] == ["PutDashboard"]


def test_failed_writes_and_other_regions_are_not_in_the_history(emu):
    with pytest.raises(ClientError):
        _client(emu, "logs").put_retention_policy(logGroupName="/missing", retentionInDays=30)
    _client(emu, "logs", region="eu-west-1").create_log_group(logGroupName="/missing")
    assert _by_resource(_client(emu, "cloudtrail"), "/missing") == []
    assert len(_by_resource(_client(emu, "cloudtrail", region="eu-west-1"), "/missing")) == 1


def test_lookup_by_each_attribute(emu, alice):
    key, secret = alice
    _put_alarm(_client(emu, "cloudwatch", key, secret))
    cloudtrail = _client(emu, "cloudtrail")
    event_id = _by_resource(cloudtrail, "latency")[0]["EventId"]
    for attribute, value in [("Username", "alice"), ("AccessKeyId", key), ("EventId", event_id),
                             ("EventName", "PutMetricAlarm"),
                             ("EventSource", "monitoring.amazonaws.com"),
                             ("ResourceType", "AWS::CloudWatch::Alarm")]:
        events = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": attribute, "AttributeValue": value}])["Events"]
        assert [e["EventId"] for e in events] == [event_id], attribute
    assert cloudtrail.lookup_events(LookupAttributes=[
        {"AttributeKey": "Username", "AttributeValue": "bob"}])["Events"] == []
    writes = cloudtrail.lookup_events(LookupAttributes=[
        {"AttributeKey": "ReadOnly", "AttributeValue": "false"}])["Events"]
    assert [e["EventName"] for e in writes] == ["PutMetricAlarm", "CreateAccessKey", "CreateUser"]
    assert all(e["EventSource"] == "iam.amazonaws.com" for e in writes[1:])


def test_time_range(emu):
    _put_alarm(_client(emu, "cloudwatch"))
    cloudtrail = _client(emu, "cloudtrail")
    now = datetime.now(timezone.utc)
    assert len(_by_resource(cloudtrail, "latency", StartTime=now - timedelta(days=7),
                            EndTime=now + timedelta(minutes=1))) == 1
    assert _by_resource(cloudtrail, "latency", StartTime=now + timedelta(minutes=1)) == []
    assert _by_resource(cloudtrail, "latency", EndTime=now - timedelta(hours=1)) == []


def test_paging_is_newest_first_and_complete(emu):
    cloudwatch = _client(emu, "cloudwatch")
    for threshold in range(7):
        _put_alarm(cloudwatch, threshold=float(threshold))
    cloudtrail = _client(emu, "cloudtrail")
    request = {"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": "latency"}],
               "MaxResults": 3}
    thresholds, pages = [], 0
    while True:
        page = cloudtrail.lookup_events(**request)
        pages += 1
        assert len(page["Events"]) <= 3
        thresholds += [json.loads(e["CloudTrailEvent"])["requestParameters"]["Threshold"]
                       for e in page["Events"]]
        if "NextToken" not in page:
            break
        request["NextToken"] = page["NextToken"]
    assert pages == 3
    assert thresholds == [6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
    paginated = [e for p in cloudtrail.get_paginator("lookup_events").paginate(
        PaginationConfig={"PageSize": 2}) for e in p["Events"]]
    assert len(paginated) == 7


@pytest.mark.parametrize("request_args, code", [
    ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "PutMetricAlarm"},
                           {"AttributeKey": "Username", "AttributeValue": "alice"}]},
     "InvalidLookupAttributesException"),
    ({"LookupAttributes": [{"AttributeKey": "Colour", "AttributeValue": "red"}]},
     "InvalidLookupAttributesException"),
    ({"MaxResults": 51}, "InvalidMaxResultsException"),
    ({"StartTime": datetime(2026, 1, 2, tzinfo=timezone.utc),
      "EndTime": datetime(2026, 1, 1, tzinfo=timezone.utc)}, "InvalidTimeRangeException"),
    ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
    ({"EventCategory": "management"}, "InvalidEventCategoryException"),
])
def test_validation_errors(emu, request_args, code):
    with pytest.raises(ClientError) as error:
        _client(emu, "cloudtrail").lookup_events(**request_args)
    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_token_only_continues_the_request_it_came_from(emu):
    cloudwatch = _client(emu, "cloudwatch")
    for threshold in range(3):
        _put_alarm(cloudwatch, threshold=float(threshold))
    cloudtrail = _client(emu, "cloudtrail")
    token = cloudtrail.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as error:
        _by_resource(cloudtrail, "latency", NextToken=token)
    assert error.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_assumed_role_events_carry_the_session_name(emu):
    sts = _client(emu, "sts")
    creds = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/obsctl",
                            RoleSessionName="ci-run-7")["Credentials"]
    logs = boto3.client("logs", endpoint_url=emu.endpoint_url, region_name=REGION,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])
    logs.create_log_group(logGroupName="/assumed")
    event = _by_resource(_client(emu, "cloudtrail"), "/assumed")[0]
    assert event["Username"] == "ci-run-7"
    identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == "arn:aws:sts::123456789012:assumed-role/obsctl/ci-run-7"


def test_reset_forgets_the_history(emu):
    _put_alarm(_client(emu, "cloudwatch"))
    emu.reset()
    assert _client(emu, "cloudtrail").lookup_events()["Events"] == []


def test_anomaly_detector_writes_are_events_of_the_detector(emu):
    logs = _client(emu, "logs")
    logs.create_log_group(logGroupName="/ml/churn")
    group = f"arn:aws:logs:{REGION}:123456789012:log-group:/ml/churn"
    detector = logs.create_log_anomaly_detector(logGroupArnList=[group])["anomalyDetectorArn"]
    logs.update_log_anomaly_detector(anomalyDetectorArn=detector, enabled=False)
    events = _by_resource(_client(emu, "cloudtrail"), detector)
    assert [e["EventName"] for e in events] == ["UpdateLogAnomalyDetector"]
    assert {"ResourceType": "AWS::Logs::LogAnomalyDetector", "ResourceName": detector} in \
        events[0]["Resources"]

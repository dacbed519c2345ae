"""IAM enforcement checks the resource a write acts on (reconciler/emulator/iam_resources.py),
through plain boto3 on an emulator of this module's own."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.emulator import Emulator
from tests.enforced_iam import ADMIN, REGION, set_enforcement, user_with_policy

ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture(scope="module")
def enforced():
    """An emulator of this module's own, for users created with enforcement off."""
    with Emulator() as running:
        yield running


def _user(enforced, name: str, statements: list[dict]) -> dict[str, str]:
    set_enforcement(enforced.endpoint_url, False)
    try:
        return user_with_policy(enforced.endpoint_url, name,
                                {"Version": "2012-10-17", "Statement": statements})
    finally:
        set_enforcement(enforced.endpoint_url, True)


def _client(enforced, service: str, credentials: dict[str, str]):
    return boto3.client(service, region_name=REGION, endpoint_url=enforced.endpoint_url,
                        **credentials)


DENIED = {"cloudwatch": "AccessDenied", "sns": "AuthorizationError"}  # others: ...Exception


def _denied(client, operation: str, **params) -> str:
    """The message of the access denial of `client.operation(**params)`, in the code AWS uses."""
    with pytest.raises(ClientError) as raised:
        getattr(client, operation)(**params)
    expected = DENIED.get(client.meta.service_model.service_name, "AccessDeniedException")
    assert raised.value.response["Error"]["Code"] == expected
    return raised.value.response["Error"]["Message"]


def _alarm(name: str) -> dict:
    return {"AlarmName": name, "MetricName": "Errors", "Namespace": "App", "Statistic": "Sum",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanThreshold"}


def test_put_metric_alarm_is_authorized_on_the_alarm_arn(enforced):
    credentials = _user(enforced, "alarms-a", [{
        "Effect": "Allow", "Action": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
        "Resource": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a-*"}])
    cloudwatch = _client(enforced, "cloudwatch", credentials)
    cloudwatch.put_metric_alarm(**_alarm("a-1"))
    message = _denied(cloudwatch, "put_metric_alarm", **_alarm("b-1"))
    assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/alarms-a is not authorized to perform: "
                       f"cloudwatch:PutMetricAlarm on resource: arn:aws:cloudwatch:{REGION}:"
                       f"{ACCOUNT}:alarm:b-1 because no identity-based policy allows the "
                       "cloudwatch:PutMetricAlarm action")
    # Every alarm DeleteAlarms names must be allowed.
    _denied(cloudwatch, "delete_alarms", AlarmNames=["a-1", "b-1"])
    cloudwatch.delete_alarms(AlarmNames=["a-1"])


def test_actions_use_the_iam_service_prefix_not_the_signing_name(enforced):
    credentials = _user(enforced, "reader", [{
        "Effect": "Allow", "Action": ["cloudwatch:DescribeAlarms", "tag:GetResources"],
        "Resource": "*"}])
    _client(enforced, "cloudwatch", credentials).describe_alarms()
    _client(enforced, "resourcegroupstaggingapi", credentials).get_resources()
    _denied(_client(enforced, "logs", credentials), "describe_log_groups")


def test_dashboards_log_groups_topics_and_rules_are_authorized_by_name(enforced):
    arn = f"arn:aws:%s:{REGION}:{ACCOUNT}:%s"
    credentials = _user(enforced, "writer", [{
        "Effect": "Allow",
        "Action": ["cloudwatch:PutDashboard", "logs:CreateLogGroup", "logs:PutRetentionPolicy",
                   "sns:CreateTopic", "sns:SetTopicAttributes", "events:PutRule"],
        "Resource": [f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/ok-*", arn % ("logs", "log-group:/ok/*"),
                     arn % ("sns", "ok-*"), arn % ("events", "rule/ok-*")]}])
    cloudwatch, logs = _client(enforced, "cloudwatch", credentials), _client(enforced, "logs", credentials)
    sns, events = _client(enforced, "sns", credentials), _client(enforced, "events", credentials)
    body = json.dumps({"widgets": []})
    cloudwatch.put_dashboard(DashboardName="ok-1", DashboardBody=body)
    _denied(cloudwatch, "put_dashboard", DashboardName="no-1", DashboardBody=body)
    logs.create_log_group(logGroupName="/ok/app")
    logs.put_retention_policy(logGroupName="/ok/app", retentionInDays=7)
    _denied(logs, "create_log_group", logGroupName="/no/app")
    topic = sns.create_topic(Name="ok-topic")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="x")
    _denied(sns, "create_topic", Name="no-topic")
    events.put_rule(Name="ok-rule", ScheduleExpression="rate(5 minutes)")
    _denied(events, "put_rule", Name="no-rule", ScheduleExpression="rate(5 minutes)")


def test_monitoring_schedules_are_authorized_on_their_lower_case_arn(enforced):
    credentials = _user(enforced, "sagemaker", [{
        "Effect": "Allow", "Action": "sagemaker:DeleteMonitoringSchedule",
        "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/ok-*"}])
    sagemaker = _client(enforced, "sagemaker", credentials)
    # Allowed, then not found: the check passed (no such schedule exists).
    with pytest.raises(ClientError) as raised:
        sagemaker.delete_monitoring_schedule(MonitoringScheduleName="OK-Drift")
    assert raised.value.response["Error"]["Code"] != "AccessDenied"
    _denied(sagemaker, "delete_monitoring_schedule", MonitoringScheduleName="no-drift")


def test_unknown_credentials_are_refused_while_enforcing(enforced):
    set_enforcement(enforced.endpoint_url, True)
    with pytest.raises(ClientError) as raised:
        _client(enforced, "cloudwatch", ADMIN).describe_alarms()
    assert raised.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_troubleshooting_calls_are_authorized_on_their_alarm_and_log_group(enforced):
    """SetAlarmState on the alarm ARN; StartQuery (by name or ARN) and CreateExportTask on the
    log group's ARN: a policy scoped to `a-*` / `/app/a*` allows those and refuses the others."""
    admin_logs = _client(enforced, "logs", ADMIN)
    set_enforcement(enforced.endpoint_url, False)
    _client(enforced, "cloudwatch", ADMIN).put_metric_alarm(**_alarm("a-fire"))
    _client(enforced, "cloudwatch", ADMIN).put_metric_alarm(**_alarm("b-fire"))
    for group in ("/app/a1", "/app/b1"):
        admin_logs.create_log_group(logGroupName=group)
    credentials = _user(enforced, "troubleshooter", [
        {"Effect": "Allow", "Action": "cloudwatch:SetAlarmState",
         "Resource": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a-*"},
        {"Effect": "Allow", "Action": ["logs:StartQuery", "logs:CreateExportTask"],
         "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/a*"}])
    cloudwatch, logs = (_client(enforced, s, credentials) for s in ("cloudwatch", "logs"))
    state = {"StateValue": "ALARM", "StateReason": "test"}
    cloudwatch.set_alarm_state(AlarmName="a-fire", **state)
    assert "cloudwatch:SetAlarmState" in _denied(cloudwatch, "set_alarm_state",
                                                 AlarmName="b-fire", **state)
    window = {"startTime": 0, "endTime": 60, "queryString": "fields @message"}
    logs.start_query(logGroupName="/app/a1", **window)
    logs.start_query(logGroupIdentifiers=[f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/a1"],
                     **window)
    assert "logs:StartQuery" in _denied(logs, "start_query", logGroupNames=["/app/a1", "/app/b1"],
                                        **window)
    assert "logs:CreateExportTask" in _denied(logs, "create_export_task", logGroupName="/app/b1",
                                              fromTime=0, to=60, destination="bucket")


def test_get_requests_without_a_body_are_signed_over_the_empty_payload(enforced):
    """Lambda's ListFunctions is a GET with no body: moto checked its signature over the
    request's headers (its stand-in for form data) and refused every such call."""
    allowed = _client(enforced, "lambda", _user(enforced, "lambda-reader", [{
        "Effect": "Allow", "Action": ["lambda:ListFunctions"], "Resource": "*"}]))
    assert allowed.list_functions()["Functions"] == []
    assert allowed.list_functions(MaxItems=50)["Functions"] == []  # a query string, no body
    refused = _client(enforced, "lambda", _user(enforced, "lambda-none", [{
        "Effect": "Allow", "Action": ["sns:ListTopics"], "Resource": "*"}]))
    assert "lambda:ListFunctions" in _denied(refused, "list_functions")


def test_anomaly_detectors_are_authorized_on_their_log_group_then_on_the_detector(enforced):
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
    set_enforcement(enforced.endpoint_url, False)
    try:
        admin = _client(enforced, "logs", ADMIN)
        for name in ("/ml/churn", "/other/app"):
            admin.create_log_group(logGroupName=name)
        other = admin.create_log_anomaly_detector(
            logGroupArnList=[f"{group}/other/app"])["anomalyDetectorArn"]
    finally:
        set_enforcement(enforced.endpoint_url, True)
    credentials = _user(enforced, "detectors-ml", [{
        "Effect": "Allow",
        "Action": ["logs:CreateLogAnomalyDetector", "logs:UpdateLogAnomalyDetector",
                   "logs:DeleteLogAnomalyDetector"],
        "Resource": [f"{group}/ml/*", f"arn:aws:logs:{REGION}:{ACCOUNT}:anomaly-detector:*"]}])
    logs = _client(enforced, "logs", credentials)
    # CreateLogAnomalyDetector: the log group it watches (Service Authorization Reference).
    arn = logs.create_log_anomaly_detector(logGroupArnList=[f"{group}/ml/churn"])["anomalyDetectorArn"]
    message = _denied(logs, "create_log_anomaly_detector", logGroupArnList=[f"{group}/other/app"])
    assert f"on resource: {group}/other/app because" in message
    # Update and Delete: the detector.
    logs.update_log_anomaly_detector(anomalyDetectorArn=arn, enabled=False)
    logs.delete_log_anomaly_detector(anomalyDetectorArn=arn)
    narrow = _client(enforced, "logs", _user(enforced, "detectors-none", [{
        "Effect": "Allow", "Action": ["logs:DeleteLogAnomalyDetector"],
        "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:anomaly-detector:nope"}]))
    assert f"on resource: {other} because" in _denied(narrow, "delete_log_anomaly_detector",
                                                      anomalyDetectorArn=other)

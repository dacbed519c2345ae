"""CloudWatch Logs anomaly detectors through plain boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def logs(emu_client):
    return emu_client("logs", parameter_validation=False)  # reach the server's own checks


def group_arn(logs, name: str) -> str:
    logs.create_log_group(logGroupName=name)
    return next(g["arn"] for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
                if g["logGroupName"] == name).removesuffix(":*")


def test_create_get_update_delete_detector_with_tags(logs):
    arn = group_arn(logs, "/app/api")
    detector = logs.create_log_anomaly_detector(
        logGroupArnList=[arn], detectorName="api-anomalies", evaluationFrequency="TEN_MIN",
        filterPattern="ERROR", tags={"team": "ml"})["anomalyDetectorArn"]
    assert detector.startswith("arn:aws:logs:us-east-1:123456789012:anomaly-detector:")
    got = logs.get_log_anomaly_detector(anomalyDetectorArn=detector)
    assert got["detectorName"] == "api-anomalies" and got["logGroupArnList"] == [arn]
    assert got["evaluationFrequency"] == "TEN_MIN" and got["filterPattern"] == "ERROR"
    assert got["anomalyDetectorStatus"] == "INITIALIZING" and got["anomalyVisibilityTime"] == 21
    assert logs.list_tags_for_resource(resourceArn=detector)["tags"] == {"team": "ml"}
    logs.tag_resource(resourceArn=detector, tags={"env": "prod"})
    assert logs.list_tags_for_resource(resourceArn=detector)["tags"] == {"team": "ml", "env": "prod"}
    logs.update_log_anomaly_detector(anomalyDetectorArn=detector, enabled=False,
                                     evaluationFrequency="ONE_HOUR", anomalyVisibilityTime=30)
    got = logs.get_log_anomaly_detector(anomalyDetectorArn=detector)
    assert got["anomalyDetectorStatus"] == "PAUSED" and got["evaluationFrequency"] == "ONE_HOUR"
    assert got["anomalyVisibilityTime"] == 30
    logs.delete_log_anomaly_detector(anomalyDetectorArn=detector)
    with pytest.raises(ClientError) as gone:
        logs.get_log_anomaly_detector(anomalyDetectorArn=detector)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert logs.list_tags_for_resource(resourceArn=detector)["tags"] == {}


def test_list_filters_by_log_group_and_pages(logs):
    api, worker = group_arn(logs, "/app/api"), group_arn(logs, "/app/worker")
    made = [logs.create_log_anomaly_detector(logGroupArnList=[api], detectorName=f"d{i}")["anomalyDetectorArn"]
            for i in range(3)]
    logs.create_log_anomaly_detector(logGroupArnList=[worker], detectorName="w")
    assert len(logs.list_log_anomaly_detectors()["anomalyDetectors"]) == 4
    filtered = logs.list_log_anomaly_detectors(filterLogGroupArn=api)["anomalyDetectors"]
    assert sorted(d["anomalyDetectorArn"] for d in filtered) == sorted(made)
    pages = list(logs.get_paginator("list_log_anomaly_detectors").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["anomalyDetectors"]) for p in pages] == [3, 1]


def test_create_refuses_unknown_group_and_bad_values(logs):
    with pytest.raises(ClientError) as missing:
        logs.create_log_anomaly_detector(
            logGroupArnList=["arn:aws:logs:us-east-1:123456789012:log-group:/nope"])
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    arn = group_arn(logs, "/app/api")
    with pytest.raises(ClientError) as bad:
        logs.create_log_anomaly_detector(logGroupArnList=[arn], evaluationFrequency="TWO_MIN")
    assert bad.value.response["Error"]["Code"] == "InvalidParameterException"

"""CloudWatch anomaly detectors through plain boto3 against the running emulator."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

SINGLE = {"Namespace": "AWS/SageMaker", "MetricName": "ModelLatency", "Stat": "Average",
          "Dimensions": [{"Name": "EndpointName", "Value": "prod-churn"}, {"Name": "VariantName", "Value": "AllTraffic"}]}


@pytest.fixture
def cw(emu_client):
    return emu_client("cloudwatch")


def test_single_metric_detector_lifecycle(cw):
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=SINGLE)
    (d,) = cw.describe_anomaly_detectors()["AnomalyDetectors"]
    assert d["SingleMetricAnomalyDetector"]["MetricName"] == "ModelLatency"
    assert d["MetricName"] == "ModelLatency" and d["StateValue"] == "PENDING_TRAINING"
    # the legacy parameters name the same detector: an update, not a second one
    cw.put_anomaly_detector(**SINGLE, Configuration={"MetricTimezone": "UTC"})
    (d2,) = cw.describe_anomaly_detectors()["AnomalyDetectors"]
    assert d2["AnomalyDetectorId"] == d["AnomalyDetectorId"]
    assert d2["Configuration"]["MetricTimezone"] == "UTC"
    assert len(cw.describe_anomaly_detectors(Dimensions=[SINGLE["Dimensions"][0]])["AnomalyDetectors"]) == 1
    assert cw.describe_anomaly_detectors(Namespace="Other")["AnomalyDetectors"] == []
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector=SINGLE)
    assert cw.describe_anomaly_detectors()["AnomalyDetectors"] == []
    with pytest.raises(ClientError) as err:
        cw.delete_anomaly_detector(SingleMetricAnomalyDetector=SINGLE)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_metric_math_detectors_are_listed_only_on_request(cw):
    queries = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors"}, "Period": 300,
                                           "Stat": "Sum"}, "ReturnData": False},
               {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]
    cw.put_anomaly_detector(MetricMathAnomalyDetector={"MetricDataQueries": queries})
    assert cw.describe_anomaly_detectors()["AnomalyDetectors"] == []
    (d,) = cw.describe_anomaly_detectors(AnomalyDetectorTypes=["METRIC_MATH"])["AnomalyDetectors"]
    assert d["MetricMathAnomalyDetector"]["MetricDataQueries"][1]["Expression"] == "m1 * 2"
    cw.delete_anomaly_detector(AnomalyDetectorId=d["AnomalyDetectorId"])
    assert cw.describe_anomaly_detectors(AnomalyDetectorTypes=["METRIC_MATH"])["AnomalyDetectors"] == []


def test_detector_validation_and_paging(cw):
    with pytest.raises(ClientError) as err:
        cw.put_anomaly_detector(Namespace="A", MetricName="M")
    assert err.value.response["Error"]["Code"] == "MissingParameter"
    with pytest.raises(ClientError) as err:
        cw.put_anomaly_detector(SingleMetricAnomalyDetector=SINGLE, MetricName="x")
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
    for i in range(5):
        cw.put_anomaly_detector(Namespace="A", MetricName=f"M{i}", Stat="Sum")
    pages = list(cw.get_paginator("describe_anomaly_detectors").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["AnomalyDetectors"]) for p in pages] == [2, 2, 1]
    assert sorted(d["MetricName"] for p in pages for d in p["AnomalyDetectors"]) == [f"M{i}" for i in range(5)]

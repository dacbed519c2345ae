"""Log anomaly detectors without AWS: both sides of the comparable form, AWS's defaults, and
the config entry an import writes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reconciler.kinds.log_anomaly_detectors import (AnomalyDetectionConfig, LogAnomalyDetectors,
                                                    desired_spec, detection_config, live_spec,
                                                    watched_group)

ARN = "arn:aws:logs:us-east-1:123456789012:anomaly-detector:0f1e2d3c-aaaa-bbbb-cccc-123456789012"
GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/ml/churn"
TAGS = {"obsctl:stack": "s"}
KIND = LogAnomalyDetectors()


def item(**fields) -> dict:
    """A ListLogAnomalyDetectors item as AWS answers for a detector created with no options."""
    return {"anomalyDetectorArn": ARN, "detectorName": "/ml/churn", "logGroupArnList": [GROUP_ARN],
            "evaluationFrequency": "FIVE_MIN", "anomalyDetectorStatus": "TRAINING",
            "anomalyVisibilityTime": 21, **fields}


def desired(**config) -> dict:
    return desired_spec("/ml/churn", AnomalyDetectionConfig.model_validate(config), TAGS)


def test_a_config_of_defaults_matches_what_aws_fills_in():
    # No filter pattern, 21 days, running, the log group's name; the frequency unmanaged.
    assert KIND.comparable(live_spec(item(), TAGS), desired()) == desired()
    assert "evaluation_frequency" not in desired() and "kms_key_id" not in desired()


@pytest.mark.parametrize("fields, key, value", [
    ({"anomalyDetectorStatus": "PAUSED"}, "enabled", False),
    ({"anomalyDetectorStatus": "FAILED"}, "enabled", True),  # failed, but not paused by anyone
    ({"filterPattern": "  ERROR "}, "filter_pattern", "ERROR"),
    ({"anomalyVisibilityTime": 30}, "anomaly_visibility_time", 30),
    ({"detectorName": None}, "detector_name", "0f1e2d3c-aaaa-bbbb-cccc-123456789012"),  # its id
])
def test_live_form(fields, key, value):
    assert live_spec(item(**fields), TAGS)[key] == value


def test_kms_key_is_managed_only_when_written():
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    live = live_spec(item(kmsKeyId=key), TAGS)
    assert "kms_key_id" not in KIND.comparable(live, desired())
    assert KIND.comparable(live, desired(kms_key_id=None))["kms_key_id"] == key  # null: no key
    assert desired(kms_key_id=key)["kms_key_id"] == key


def test_the_filter_pattern_is_trimmed_on_both_sides():
    assert desired(filter_pattern="  ?ERROR ?WARN ")["filter_pattern"] == "?ERROR ?WARN"


def test_import_writes_only_what_differs_from_the_defaults():
    assert detection_config(live_spec(item(), TAGS), "/ml/churn") == {"evaluation_frequency": "FIVE_MIN"}
    full = live_spec(item(detectorName="churn", filterPattern="ERROR", anomalyVisibilityTime=7,
                          anomalyDetectorStatus="PAUSED"), TAGS)
    entry = detection_config(full, "/ml/churn")
    assert entry == {"evaluation_frequency": "FIVE_MIN", "filter_pattern": "ERROR",
                     "anomaly_visibility_time": 7, "detector_name": "churn", "enabled": False}
    # ... and it reads back to the same comparable form.
    assert KIND.comparable(full, desired(**entry)) == desired(**entry)


@pytest.mark.parametrize("arns, group", [
    ([GROUP_ARN], "/ml/churn"),
    ([GROUP_ARN + ":*"], "/ml/churn"),
    ([GROUP_ARN, GROUP_ARN + "-2"], None),  # an older detector of two groups: no config entry
    ([], None),
])
def test_watched_group(arns, group):
    assert watched_group({"logGroupArnList": arns}) == group


@pytest.mark.parametrize("config", [
    {"anomaly_visibility_time": 6}, {"anomaly_visibility_time": 91},
    {"anomaly_visibility_time": True}, {"anomaly_visibility_time": 21.0},
    {"evaluation_frequency": "five_min"}, {"detector_name": "a\nb"}, {"detector_name": "x" * 513},
    {"kms_key_id": "arn:aws:kms:us-east-1:123456789012:alias/logs"},
    {"filter_pattern": "x" * 1025},
])
def test_values_aws_refuses_are_refused(config):
    with pytest.raises(ValidationError):
        AnomalyDetectionConfig.model_validate(config)


@pytest.mark.parametrize("days", [7, 90])
def test_visibility_bounds_are_inclusive(days):
    assert AnomalyDetectionConfig.model_validate({"anomaly_visibility_time": days})

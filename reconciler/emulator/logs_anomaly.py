"""CloudWatch Logs anomaly detectors (HTTP 500 in moto 5.2.5).

After the Logs API reference: CreateLogAnomalyDetector (logGroupArnList required, each group
must exist; detectorName defaults to the detector's ID), Get/Update/Delete by detector ARN
``arn:aws:logs:REGION:ACCOUNT:anomaly-detector:UUID``, ListLogAnomalyDetectors filtered by
filterLogGroupArn and paged with limit (1..50, default 50) and nextToken. A new detector is
``INITIALIZING`` (it never trains here); UpdateLogAnomalyDetector with ``enabled`` false pauses
it (``PAUSED``), true resumes it. Tags given on create sit on the detector ARN, so Logs'
ListTagsForResource / TagResource / UntagResource work on it; DeleteLogAnomalyDetector drops them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.core.utils import unix_time_millis, utcnow
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogsBackend
from moto.logs.responses import LogsResponse
from moto.moto_api._internal import mock_random

from . import _common
from ._common import patch

EVALUATION_FREQUENCIES = ("ONE_MIN", "FIVE_MIN", "TEN_MIN", "FIFTEEN_MIN", "THIRTY_MIN", "ONE_HOUR")
DEFAULT_VISIBILITY_DAYS = 21  # "If you omit this parameter, a default of 21 days is used."
_LOG_GROUP_ARN = re.compile(r"^arn:aws[-a-z]*:logs:[a-z0-9-]+:\d{12}:log-group:([^:]+)(?::\*)?$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z\-]*:kms:[-a-z0-9]*:[0-9]*:key/[-a-z0-9]*$")


def _detectors(backend: LogsBackend) -> dict[str, dict[str, Any]]:
    return _common.state(backend, "obsctl_log_anomaly_detectors", dict)


def _constraint(field: str, value: Any, constraint: str) -> InvalidParameterException:
    return InvalidParameterException(constraint=constraint, parameter=field, value=value)


def _check_options(resp: LogsResponse) -> None:
    frequency = resp._get_param("evaluationFrequency")
    if frequency is not None and frequency not in EVALUATION_FREQUENCIES:
        raise _constraint("evaluationFrequency", frequency,
                          f"Member must satisfy enum value set: [{', '.join(EVALUATION_FREQUENCIES)}]")
    visibility = resp._get_param("anomalyVisibilityTime")
    if visibility is not None and not 7 <= visibility <= 90:
        raise _constraint("anomalyVisibilityTime", visibility,
                          "Member must have value between 7 and 90")
    pattern = resp._get_param("filterPattern")
    if pattern is not None and len(pattern) > 1024:
        raise _constraint("filterPattern", pattern, "Member must have length less than or equal to 1024")


def _detector(resp: LogsResponse) -> dict[str, Any]:
    arn = resp._get_param("anomalyDetectorArn")
    if not arn:
        raise InvalidParameterException(msg="anomalyDetectorArn is required.")
    detector = _detectors(resp.logs_backend).get(arn)
    if detector is None:
        raise ResourceNotFoundException("The specified anomaly detector does not exist.")
    return detector


def create_log_anomaly_detector(self: LogsResponse) -> str:
    backend = self.logs_backend
    arns = self._get_param("logGroupArnList")
    if not arns:
        raise InvalidParameterException(msg="logGroupArnList is required.")
    for arn in arns:
        match = _LOG_GROUP_ARN.match(arn)
        if not match:
            raise InvalidParameterException(msg=f"Invalid log group ARN: {arn}")
        if match.group(1) not in backend.groups:
            raise ResourceNotFoundException()
    _check_options(self)
    kms_key = self._get_param("kmsKeyId")
    if kms_key is not None and not _KMS_KEY_ARN.match(kms_key):
        raise _constraint("kmsKeyId", kms_key,
                          "Member must satisfy regular expression pattern: "
                          "^arn:aws[a-z\\-]*:kms:[-a-z0-9]*:[0-9]*:key/[-a-z0-9]*$")
    tags = self._get_param("tags")
    if tags is not None and not 1 <= len(tags) <= 50:
        raise _constraint("tags", tags, "Member must have length between 1 and 50")
    arn = f"arn:{backend.partition}:logs:{backend.region_name}:{backend.account_id}:anomaly-detector:{mock_random.uuid4()}"
    now = int(unix_time_millis(utcnow()))
    detector = {
        "anomalyDetectorArn": arn,
        "detectorName": self._get_param("detectorName") or arn.rsplit(":", 1)[1],
        "logGroupArnList": list(arns),
        "evaluationFrequency": self._get_param("evaluationFrequency") or "FIVE_MIN",
        "filterPattern": self._get_param("filterPattern"),
        "anomalyDetectorStatus": "INITIALIZING",
        "kmsKeyId": kms_key,
        "creationTimeStamp": now,
        "lastModifiedTimeStamp": now,
        "anomalyVisibilityTime": self._get_param("anomalyVisibilityTime") or DEFAULT_VISIBILITY_DAYS,
    }
    _detectors(backend)[arn] = detector
    if tags:
        backend.tag_resource(arn, tags)
    return json.dumps({"anomalyDetectorArn": arn})


def _view(detector: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detector.items() if v is not None}


def get_log_anomaly_detector(self: LogsResponse) -> str:
    view = _view(_detector(self))
    view.pop("anomalyDetectorArn")  # GetLogAnomalyDetector's response has no ARN member
    return json.dumps(view)


def update_log_anomaly_detector(self: LogsResponse) -> str:
    detector = _detector(self)
    enabled = self._get_param("enabled")
    if enabled is None:
        raise InvalidParameterException(msg="enabled is required.")
    _check_options(self)
    for field in ("evaluationFrequency", "filterPattern", "anomalyVisibilityTime"):
        if self._get_param(field) is not None:
            detector[field] = self._get_param(field)
    if not enabled:
        detector["anomalyDetectorStatus"] = "PAUSED"
    elif detector["anomalyDetectorStatus"] == "PAUSED":
        detector["anomalyDetectorStatus"] = "INITIALIZING"
    detector["lastModifiedTimeStamp"] = int(unix_time_millis(utcnow()))
    return ""


def delete_log_anomaly_detector(self: LogsResponse) -> str:
    detector = _detector(self)
    del _detectors(self.logs_backend)[detector["anomalyDetectorArn"]]
    self.logs_backend.tagger.delete_all_tags_for_resource(detector["anomalyDetectorArn"])
    return ""


def list_log_anomaly_detectors(self: LogsResponse) -> str:
    limit = self._get_param("limit", 50)
    if not isinstance(limit, int) or not 1 <= limit <= 50:
        raise _constraint("limit", limit, "Member must have value between 1 and 50")
    detectors = list(_detectors(self.logs_backend).values())
    group_arn = self._get_param("filterLogGroupArn")
    if group_arn:
        wanted = group_arn.removesuffix(":*")
        detectors = [d for d in detectors if wanted in (a.removesuffix(":*") for a in d["logGroupArnList"])]
    try:
        page, token = _common.paginate(detectors, key=lambda d: (d["anomalyDetectorArn"],), limit=limit,
                                       token=self._get_param("nextToken"), kind="logs:ListLogAnomalyDetectors")
    except _common.BadToken:
        raise InvalidParameterException(msg="The specified nextToken is invalid.")
    result: dict[str, Any] = {"anomalyDetectors": [_view(d) for d in page]}
    if token:
        result["nextToken"] = token
    return json.dumps(result)


def install() -> None:
    patch(LogsResponse, "create_log_anomaly_detector", create_log_anomaly_detector)
    patch(LogsResponse, "get_log_anomaly_detector", get_log_anomaly_detector)
    patch(LogsResponse, "update_log_anomaly_detector", update_log_anomaly_detector)
    patch(LogsResponse, "delete_log_anomaly_detector", delete_log_anomaly_detector)
    patch(LogsResponse, "list_log_anomaly_detectors", list_log_anomaly_detectors)

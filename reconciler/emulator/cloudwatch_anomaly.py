"""CloudWatch anomaly detectors: Put/Describe/DeleteAnomalyDetector(s) (HTTP 500 in moto 5.2.5).

Per the CloudWatch API reference: a detector is identified by its metric (namespace, name,
dimensions, stat; the legacy top-level parameters or SingleMetricAnomalyDetector) or by its
metric math queries (MetricMathAnomalyDetector); putting the same one again updates its
Configuration/MetricCharacteristics. DescribeAnomalyDetectors returns SINGLE_METRIC detectors
unless AnomalyDetectorTypes says otherwise, pages with MaxResults (≤100) and NextToken.
A new detector reports StateValue PENDING_TRAINING (it never trains here)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from moto.cloudwatch.exceptions import (
    InvalidParameterCombination,
    InvalidParameterValue,
    ResourceNotFoundException,
)
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult, EmptyResult

from . import _common
from ._common import patch
from .cloudwatch_validation import InvalidNextToken, MissingParameter, _validation

_SINGLE_FIELDS = ("Namespace", "MetricName", "Dimensions", "Stat")
DETECTOR_TYPES = ("SINGLE_METRIC", "METRIC_MATH")


def _detectors(resp: CloudWatchResponse) -> dict[str, dict[str, Any]]:
    return _common.state(resp.cloudwatch_backend, "obsctl_anomaly_detectors", dict)


def _identity(p: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(type, normalized definition) from a Put/Delete request; validates the combination."""
    legacy = {k: p[k] for k in _SINGLE_FIELDS if p.get(k) is not None}
    single, math = p.get("SingleMetricAnomalyDetector"), p.get("MetricMathAnomalyDetector")
    if sum(bool(x) for x in (legacy, single, math)) > 1:
        raise InvalidParameterCombination(
            "Specify the metric either with Namespace/MetricName/Dimensions/Stat, with "
            "SingleMetricAnomalyDetector or with MetricMathAnomalyDetector, not several."
        )
    if math:
        queries = math.get("MetricDataQueries") or []
        if not queries:
            raise MissingParameter("The parameter MetricMathAnomalyDetector.MetricDataQueries is required.")
        return "METRIC_MATH", {"MetricDataQueries": queries}
    single = single or legacy
    for field in ("Namespace", "MetricName", "Stat"):
        if not single.get(field):
            raise MissingParameter(f"The parameter {field} is required.")
    _common_checks(single)
    return "SINGLE_METRIC", {
        "Namespace": single["Namespace"],
        "MetricName": single["MetricName"],
        "Dimensions": sorted(single.get("Dimensions") or [], key=lambda d: (d["Name"], d["Value"])),
        "Stat": single["Stat"],
        **({"AccountId": single["AccountId"]} if single.get("AccountId") else {}),
    }


def _common_checks(single: dict[str, Any]) -> None:
    if len(single.get("Dimensions") or []) > 30:
        raise _validation("dimensions", single["Dimensions"], "Member must have length less than or equal to 30")


def _key(kind: str, definition: dict[str, Any]) -> str:
    return kind + ":" + json.dumps(definition, sort_keys=True, default=str)


def _detector_id(key: str) -> str:
    # Stable per metric, so it survives an update of the configuration.
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _view(d: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {"AnomalyDetectorId": d["id"], "StateValue": "PENDING_TRAINING"}
    if d["type"] == "SINGLE_METRIC":
        single = d["definition"]
        view.update({k: single[k] for k in _SINGLE_FIELDS})  # legacy fields, still returned
        view["SingleMetricAnomalyDetector"] = single
    else:
        view["MetricMathAnomalyDetector"] = d["definition"]
    if d.get("Configuration") is not None:
        view["Configuration"] = d["Configuration"]
    if d.get("MetricCharacteristics") is not None:
        view["MetricCharacteristics"] = d["MetricCharacteristics"]
    return view


def put_anomaly_detector(self: CloudWatchResponse) -> ActionResult:
    p = self._get_params()
    kind, definition = _identity(p)
    config = p.get("Configuration")
    if config and len(config.get("ExcludedTimeRanges") or []) > 10:
        raise InvalidParameterValue("You can specify as many as 10 excluded time ranges.")
    key = _key(kind, definition)
    _detectors(self)[key] = {
        "id": _detector_id(key), "type": kind, "definition": definition,
        "Configuration": config, "MetricCharacteristics": p.get("MetricCharacteristics"),
    }
    return ActionResult({})


def describe_anomaly_detectors(self: CloudWatchResponse) -> ActionResult:
    p = self._get_params()
    ids = p.get("AnomalyDetectorIds") or []
    types = p.get("AnomalyDetectorTypes") or ["SINGLE_METRIC"]
    for t in types:
        if t not in DETECTOR_TYPES:
            raise _validation("anomalyDetectorTypes", t, f"Member must satisfy enum value set: [{', '.join(DETECTOR_TYPES)}]")
    if ids and any(p.get(k) for k in ("Namespace", "MetricName", "Dimensions", "AnomalyDetectorTypes")):
        raise InvalidParameterCombination(
            "AnomalyDetectorIds cannot be combined with Namespace, MetricName, Dimensions or AnomalyDetectorTypes."
        )
    max_results = p.get("MaxResults", 100)
    if not 1 <= max_results <= 100:
        raise InvalidParameterValue("The maximum value that you can specify for MaxResults is 100.")
    items = list(_detectors(self).values())
    if ids:
        items = [d for d in items if d["id"] in ids]
    else:
        items = [d for d in items if d["type"] in types]
        for field in ("Namespace", "MetricName"):
            if p.get(field):
                items = [d for d in items if d["type"] == "SINGLE_METRIC" and d["definition"][field] == p[field]]
        if p.get("Dimensions"):
            items = [d for d in items if d["type"] == "SINGLE_METRIC"
                     and all(dim in d["definition"]["Dimensions"] for dim in p["Dimensions"])]
    try:
        page, token = _common.paginate(items, key=lambda d: (d["id"],), limit=max_results,
                                       token=p.get("NextToken"), kind="cloudwatch:DescribeAnomalyDetectors")
    except _common.BadToken:
        raise InvalidNextToken("The service returned an invalid next token.")
    result: dict[str, Any] = {"AnomalyDetectors": [_view(d) for d in page]}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def delete_anomaly_detector(self: CloudWatchResponse) -> ActionResult:
    p = self._get_params()
    detectors = _detectors(self)
    detector_id = p.get("AnomalyDetectorId")
    if detector_id:
        key = next((k for k, d in detectors.items() if d["id"] == detector_id), None)
    else:
        kind, definition = _identity(p)
        key = _key(kind, definition)
    if key is None or detectors.pop(key, None) is None:
        raise ResourceNotFoundException("The anomaly detector does not exist.")
    return EmptyResult()


def install() -> None:
    patch(CloudWatchResponse, "put_anomaly_detector", put_anomaly_detector)
    patch(CloudWatchResponse, "describe_anomaly_detectors", describe_anomaly_detectors)
    patch(CloudWatchResponse, "delete_anomaly_detector", delete_anomaly_detector)

"""PutMetricAlarm requests for a comparable form.
"""

from __future__ import annotations

from reconciler.kinds.alarms.model import QUERY_ID, _ACTION_STATES
from reconciler.kinds.common import present


def _dimension_list(dimensions: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in dimensions.items()]


def _query_request(entry: dict) -> dict:
    request = {"Id": entry["id"], "ReturnData": entry["return_data"]}
    if "expression" in entry:
        request["Expression"] = entry["expression"]
        request.update(present({"Label": entry.get("label"), "Period": entry.get("period")}))
        return request
    metric = {"Namespace": entry["namespace"], "MetricName": entry["metric_name"],
              "Dimensions": _dimension_list(entry["dimensions"])}
    request["MetricStat"] = present({"Metric": metric, "Period": entry["period"],
                                      "Stat": entry["stat"], "Unit": entry.get("unit")})
    request.update(present({"AccountId": entry.get("account_id")}))
    return request


def put_request(name: str, spec: dict) -> dict:
    """PutMetricAlarm arguments for a comparable form (without Tags: create adds them)."""
    request = present({
        "AlarmName": name,
        "AlarmDescription": spec.get("description"),
        "ActionsEnabled": spec["actions_enabled"],
        **{key: spec[field] for _, field, key in _ACTION_STATES},
        "EvaluationPeriods": spec["evaluation_periods"],
        "DatapointsToAlarm": spec["datapoints_to_alarm"],
        "ComparisonOperator": spec["comparison"],
        "TreatMissingData": spec["treat_missing_data"],
        "EvaluateLowSampleCountPercentile": spec.get("evaluate_low_sample_count_percentile"),
        "Threshold": float(spec["threshold"]) if "threshold" in spec else None,
        "ThresholdMetricId": spec.get("threshold_metric_id"),
    })
    if "query" in spec:  # the Period goes on the query (PutMetricAlarm, Metrics Insights)
        request["Metrics"] = [{"Id": QUERY_ID, "Expression": spec["query"],
                               "Period": spec["period"], "ReturnData": True}]
        return request
    if "metrics" in spec:
        request["Metrics"] = [_query_request(entry) for entry in spec["metrics"]]
        return request
    return request | present({
        "Namespace": spec["namespace"], "MetricName": spec["metric_name"],
        "Dimensions": _dimension_list(spec["dimensions"]), "Period": spec["period"],
        "Statistic": spec.get("statistic"), "ExtendedStatistic": spec.get("extended_statistic"),
        "Unit": spec.get("unit"),
    })

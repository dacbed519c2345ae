"""PutMetricAlarm / PutCompositeAlarm request validation, after the CloudWatch API reference
(PutMetricAlarm request parameters, MetricDataQuery) and the botocore model's constraints.

Error codes follow the model: ValidationError for constraint violations (with AWS's
"1 validation error detected: ..." wording), InvalidParameterCombination for mutually exclusive
parameters, MissingParameter for a missing required one."""

from __future__ import annotations

import re
from typing import Any

from moto.cloudwatch.exceptions import (
    CloudWatchException,
    InvalidParameterCombination,
    ValidationError,
)


class MissingParameter(CloudWatchException):
    code = "MissingParameter"  # MissingRequiredParameterException in the model


class InvalidNextToken(CloudWatchException):
    code = "InvalidNextToken"


# Enums from the botocore model (cloudwatch 2010-08-01).
COMPARISON_OPERATORS = (
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold", "GreaterThanUpperThreshold",
)
ANOMALY_OPERATORS = COMPARISON_OPERATORS[4:]
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
)
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
STATE_VALUES = ("OK", "ALARM", "INSUFFICIENT_DATA")
ALARM_TYPES = ("CompositeAlarm", "MetricAlarm", "LogAlarm")
# PutMetricAlarm ExtendedStatistic: p90, tm90, tc90, ts90, wm90, IQM, PR(n:m), TC/TM/TS/WM(X%:X%).
_EXTENDED_STAT = re.compile(
    r"^(?:p(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)|(?:tm|tc|ts|wm)\d{1,2}(?:\.\d+)?|IQM"
    r"|PR\([^:()]*:[^:()]*\)|(?:TC|TM|TS|WM)\(\d{0,3}(?:\.\d+)?%?:\d{0,3}(?:\.\d+)?%?\))$"
)
_METRIC_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
_METRICS_INSIGHTS = re.compile(r"^\s*select\b", re.IGNORECASE)  # a Metrics Insights query
MAX_ACTIONS = 5  # ResourceList max 5
MAX_DIMENSIONS = 30
MAX_MATH_METRICS = 10  # docs/aws-behaviour.md: a metric math alarm reads at most 10 metrics


def _validation(field: str, value: Any, constraint: str) -> ValidationError:
    # The wording AWS uses for model-constraint violations.
    return ValidationError(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def _enum(field: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise _validation(field, value, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def _max_len(field: str, value: Any, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise _validation(field, value, f"Member must have length less than or equal to {limit}")


def _at_least(field: str, value: Any, low: int) -> None:
    if value is not None and value < low:
        raise _validation(field, value, f"Member must have value greater than or equal to {low}")


def _exclusive(p: dict[str, Any], a: str, b: str) -> None:
    if p.get(a) is not None and p.get(b) is not None:
        raise InvalidParameterCombination(
            f"The parameters {a} and {b} are mutually exclusive and you have specified both."
        )


def _valid_period(period: int, allowed_small: tuple[int, ...]) -> bool:
    return period in allowed_small or (period > 0 and period % 60 == 0)


def _check_common(p: dict[str, Any]) -> None:
    """Checks shared by PutMetricAlarm and PutCompositeAlarm."""
    _max_len("alarmName", p.get("AlarmName"), 255)
    _max_len("alarmDescription", p.get("AlarmDescription"), 1024)
    for field in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        _max_len(field[0].lower() + field[1:], p.get(field), MAX_ACTIONS)
    _max_len("tags", p.get("Tags"), 50)


def validate_metric_alarm(p: dict[str, Any]) -> None:
    """PutMetricAlarm request validation (API reference, PutMetricAlarm request parameters)."""
    _check_common(p)
    op = p.get("ComparisonOperator")
    if op is None:
        raise MissingParameter("The parameter ComparisonOperator is required.")
    _enum("comparisonOperator", op, COMPARISON_OPERATORS)
    evaluation_periods = p.get("EvaluationPeriods")
    if evaluation_periods is None:
        raise MissingParameter("The parameter EvaluationPeriods is required.")
    _at_least("evaluationPeriods", evaluation_periods, 1)
    datapoints = p.get("DatapointsToAlarm")
    _at_least("datapointsToAlarm", datapoints, 1)
    if datapoints is not None and datapoints > evaluation_periods:
        raise ValidationError("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
    tmd = p.get("TreatMissingData")
    if tmd is not None and tmd not in TREAT_MISSING_DATA:
        raise ValidationError(
            f"The value {tmd} is not supported for TreatMissingData parameter. "
            f"Supported values are [{', '.join(TREAT_MISSING_DATA)}]."
        )
    elscp = p.get("EvaluateLowSampleCountPercentile")
    if elscp is not None and elscp not in ("evaluate", "ignore"):
        raise ValidationError(
            f"Option {elscp} is not supported. Supported options for parameter "
            "EvaluateLowSampleCountPercentile are evaluate and ignore."
        )
    if p.get("Metrics"):
        for name in ("MetricName", "Namespace", "Dimensions", "Period", "Unit", "Statistic", "ExtendedStatistic"):
            _exclusive(p, "Metrics", name)
        _validate_metrics(p["Metrics"], op, p.get("ThresholdMetricId"))
        period = None
    else:
        if p.get("MetricName") is None:
            raise MissingParameter("One of the parameters MetricName or Metrics is required.")
        if op in ANOMALY_OPERATORS:
            raise ValidationError(
                f"ComparisonOperator {op} can only be used with an anomaly detection band "
                "(Metrics with ANOMALY_DETECTION_BAND and ThresholdMetricId)."
            )
        _exclusive(p, "Statistic", "ExtendedStatistic")
        if p.get("Statistic") is None and p.get("ExtendedStatistic") is None:
            raise MissingParameter("One of the parameters Statistic or ExtendedStatistic is required.")
        _enum("statistic", p.get("Statistic"), STATISTICS)
        ext = p.get("ExtendedStatistic")
        if ext is not None and not _EXTENDED_STAT.match(ext):
            raise ValidationError(f"The value {ext} for parameter ExtendedStatistic is not supported.")
        _enum("unit", p.get("Unit"), UNITS)
        _max_len("dimensions", p.get("Dimensions"), MAX_DIMENSIONS)
        period = p.get("Period")
        if period is None:
            raise MissingParameter("The parameter Period is required.")
        if not _valid_period(period, (10, 20, 30)):
            raise ValidationError("Period must be 10, 20, 30 or a multiple of 60")
    if op in ANOMALY_OPERATORS:
        if p.get("Threshold") is not None:
            raise InvalidParameterCombination(
                "The parameters Threshold and ThresholdMetricId are mutually exclusive; "
                "anomaly detection alarms use ThresholdMetricId."
            )
    else:
        if p.get("ThresholdMetricId") is not None:
            raise ValidationError(
                "ThresholdMetricId can only be used with ComparisonOperator "
                f"{', '.join(ANOMALY_OPERATORS)}."
            )
        if p.get("Threshold") is None:
            raise MissingParameter("The parameter Threshold is required.")
    if period:
        # AWS quota: evaluation range ≤ 1 day for periods under an hour, else ≤ 7 days.
        span = period * evaluation_periods
        if period < 3600 and span > 86400:
            raise ValidationError(
                "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)."
            )
        if span > 604800:
            raise ValidationError(
                "Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= 604800)."
            )


def _is_metrics_insights(expression: str | None) -> bool:
    return bool(expression) and _METRICS_INSIGHTS.match(expression) is not None


def _validate_expression_periods(metrics: list[dict[str, Any]], stats: int) -> None:
    """The Period of expression queries: an alarm with no MetricStat to take one from needs
    it ("Period must not be null"); an alarm reads one Metrics Insights query at most (AWS
    answers "Invalid metrics list" to two)."""
    for i, m in enumerate(metrics, 1):
        period = m.get("Period")
        if m.get("Expression") is not None and period is not None and not _valid_period(
                period, (1, 5, 10, 20, 30)):
            raise ValidationError(f"Metrics.member.{i}.Period must be 1, 5, 10, 20, 30 or a multiple of 60")
    if stats == 0 and not any(m.get("Period") for m in metrics):
        raise ValidationError("Period must not be null")
    if sum(_is_metrics_insights(m.get("Expression")) for m in metrics) > 1:
        raise ValidationError("Invalid metrics list")


def _validate_metrics(metrics: list[dict[str, Any]], op: str, threshold_id: str | None) -> None:
    """Metric math alarms (PutMetricAlarm Metrics, MetricDataQuery)."""
    ids: set[str] = set()
    stats = 0
    for i, m in enumerate(metrics, 1):
        mid = m.get("Id")
        if not mid or not _METRIC_ID.match(mid):
            raise ValidationError(
                f"The value {mid} for parameter Metrics.member.{i}.Id is invalid: it must start "
                "with a lowercase letter and contain only letters, numbers and underscores."
            )
        if mid in ids:
            raise ValidationError(f"The value {mid} for parameter Metrics.member.{i}.Id is not unique.")
        ids.add(mid)
        has_stat, has_expr = m.get("MetricStat") is not None, m.get("Expression") is not None
        if has_stat == has_expr:
            raise ValidationError(
                f"Exactly one of MetricStat and Expression must be specified for Metrics.member.{i}."
            )
        if has_stat:
            stats += 1
            stat = m["MetricStat"]
            if not stat.get("Metric", {}).get("MetricName"):
                raise MissingParameter(f"The parameter Metrics.member.{i}.MetricStat.Metric.MetricName is required.")
            _max_len(f"metrics.{i}.member.metricStat.metric.dimensions", stat["Metric"].get("Dimensions"), MAX_DIMENSIONS)
            if not _valid_period(stat.get("Period") or 0, (1, 5, 10, 20, 30)):
                raise ValidationError(f"Metrics.member.{i}.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60")
            _enum(f"metrics.{i}.member.metricStat.unit", stat.get("Unit"), UNITS)
    if stats > MAX_MATH_METRICS:
        raise ValidationError(f"The Metrics list may contain at most {MAX_MATH_METRICS} metrics.")
    _validate_expression_periods(metrics, stats)
    returning = [m for m in metrics if m.get("ReturnData", True)]
    if op in ANOMALY_OPERATORS:
        band = next((m for m in metrics if m.get("Id") == threshold_id), None)
        if threshold_id is None:
            raise MissingParameter("The parameter ThresholdMetricId is required for anomaly detection alarms.")
        if band is None or "ANOMALY_DETECTION_BAND" not in (band.get("Expression") or ""):
            raise ValidationError(
                f"ThresholdMetricId {threshold_id} must be the Id of an ANOMALY_DETECTION_BAND expression in Metrics."
            )
        returning = [m for m in returning if m is not band]  # the band and one metric return data
    if len(returning) != 1:
        raise ValidationError("Exactly one element of the metrics list should return data.")

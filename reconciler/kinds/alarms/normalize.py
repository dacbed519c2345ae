"""Comparable forms of a metric alarm: from the config (`desired_spec`) and from
DescribeAlarms (`live_spec`); see the package docstring for the form.
"""

from __future__ import annotations

from reconciler.config.fields import MetricRef, is_extended_statistic
from reconciler.config.metrics_insights import looks_like_a_query
from reconciler.kinds.alarms.model import (ANOMALY_BAND_ID, ANOMALY_METRIC_ID, AlarmConfig,
                                           BAND_COMPARISONS, EXPRESSION_ID, _ACTION_STATES)
from reconciler.kinds.common import as_number, present, resolve_action


def _dimension_map(dimensions) -> dict[str, str]:
    """Dimensions as a name-sorted map: AWS may reorder them and returns [] for none."""
    if isinstance(dimensions, dict):
        return dict(sorted(dimensions.items()))
    return dict(sorted((d["Name"], d.get("Value", "")) for d in dimensions or []))


def _stat_entry(query_id, namespace, metric_name, dimensions, stat, period, unit, account_id,
                return_data) -> dict:
    return present({"id": query_id, "return_data": return_data, "namespace": namespace,
                     "metric_name": metric_name, "dimensions": _dimension_map(dimensions),
                     "stat": stat, "period": period, "unit": unit, "account_id": account_id})


def _expression_entry(query_id, expression, label, period, return_data) -> dict:
    return present({"id": query_id, "return_data": return_data, "expression": expression,
                     "label": label or None, "period": period})


def _own_account(account_id: str | None, scope) -> str | None:
    """The alarm's own account is the default; name only other accounts."""
    return None if account_id == scope.account_id else account_id


def _desired_stat_entry(query_id: str, ref: MetricRef, alarm: AlarmConfig, scope,
                        return_data: bool) -> dict:
    """`_stat_entry` of a configured metric, built in place (one per alarm and metric)."""
    entry = {"id": query_id, "return_data": return_data, "namespace": ref.namespace,
             "metric_name": ref.name, "dimensions": _dimension_map(ref.dimensions),
             "stat": ref.stat}
    period, unit = ref.period or alarm.period, ref.unit or alarm.unit
    account_id = _own_account(ref.account_id, scope)
    if period is not None:
        entry["period"] = period
    if unit is not None:
        entry["unit"] = unit
    if account_id is not None:
        entry["account_id"] = account_id
    if ref.namespace is None or ref.name is None or ref.stat is None:
        return present(entry)  # not from a validated config: leave out what is unset
    return entry


def _by_id(entry: dict) -> str:
    return entry["id"]


def _add_desired_metric_fields(spec: dict, alarm: AlarmConfig, scope) -> None:
    if alarm.query is not None:
        spec["query"] = alarm.query  # verbatim: DescribeAlarms returns what PutMetricAlarm took
        spec["period"] = alarm.period
        return
    if alarm.anomaly_band is not None:
        deviations = as_number(float(alarm.anomaly_band.deviations))
        band = f"ANOMALY_DETECTION_BAND({ANOMALY_METRIC_ID}, {deviations})"
        # Both the metric and the band return data: the console's anomaly alarm shape.
        spec["metrics"] = [_expression_entry(ANOMALY_BAND_ID, band, None, None, True),
                           _desired_stat_entry(ANOMALY_METRIC_ID, alarm.metric, alarm, scope, True)]
        spec["threshold_metric_id"] = ANOMALY_BAND_ID
        return
    if alarm.metrics is not None:
        entries = [_desired_stat_entry(key, ref, alarm, scope, False)
                   for key, ref in alarm.metrics.items()]
        entries.append(_expression_entry(EXPRESSION_ID, alarm.expression, None, None, True))
        entries.sort(key=_by_id)
        spec["metrics"] = entries
        return
    metric = alarm.metric
    spec["namespace"] = metric.namespace
    spec["metric_name"] = metric.name
    spec["dimensions"] = _dimension_map(metric.dimensions)
    spec["extended_statistic" if is_extended_statistic(metric.stat) else "statistic"] = metric.stat
    period, unit = metric.period or alarm.period, metric.unit or alarm.unit
    if period is not None:
        spec["period"] = period
    if unit is not None:
        spec["unit"] = unit


def _add_condition_fields(spec: dict, alarm: AlarmConfig) -> None:
    if alarm.anomaly_band is not None:
        spec["comparison"] = BAND_COMPARISONS[alarm.anomaly_band.direction]
        return
    spec["comparison"], spec["threshold"] = alarm.condition()


def _resolved_actions(refs: list[str], scope) -> list[str]:
    """Sorted, duplicate-free ARNs of action references (most alarms have one or none)."""
    if not refs:
        return []
    if len(refs) == 1:
        return [resolve_action(refs[0], scope)]
    return sorted({resolve_action(ref, scope) for ref in refs})


def desired_spec(alarm: AlarmConfig, tags: dict[str, str], scope) -> dict:
    # Built key by key in the order of the comparable form; None values are left out.
    spec: dict = {}
    if alarm.description:
        spec["description"] = alarm.description
    _add_desired_metric_fields(spec, alarm, scope)
    _add_condition_fields(spec, alarm)
    spec["evaluation_periods"] = alarm.evaluation_periods
    spec["datapoints_to_alarm"] = alarm.datapoints_to_alarm or alarm.evaluation_periods
    spec["treat_missing_data"] = alarm.treat_missing_data
    if alarm.evaluate_low_sample_count_percentile is not None:
        spec["evaluate_low_sample_count_percentile"] = alarm.evaluate_low_sample_count_percentile
    spec["actions_enabled"] = alarm.actions_enabled
    actions = alarm.actions
    spec["alarm_actions"] = _resolved_actions(actions.alarm, scope)
    spec["ok_actions"] = _resolved_actions(actions.ok, scope)
    spec["insufficient_data_actions"] = _resolved_actions(actions.insufficient_data, scope)
    spec["tags"] = tags
    return spec if None not in spec.values() else present(spec)


def _live_query(query: dict, scope) -> dict:
    # ReturnData absent means true (MetricDataQuery.ReturnData in the CloudWatch API).
    return_data = query.get("ReturnData", True) is not False
    if "MetricStat" not in query:
        return _expression_entry(query.get("Id"), query.get("Expression"), query.get("Label"),
                                 query.get("Period"), return_data)
    stat, metric = query["MetricStat"], query["MetricStat"].get("Metric", {})
    return _stat_entry(query.get("Id"), metric.get("Namespace"), metric.get("MetricName"),
                       metric.get("Dimensions"), stat.get("Stat"), stat.get("Period"),
                       stat.get("Unit"), _own_account(query.get("AccountId"), scope), return_data)


def _query_id(entry: dict) -> str:
    return entry.get("id") or ""


def _lone_query(metrics: list[dict]) -> dict | None:
    """The MetricDataQuery of a query alarm: one Metrics Insights query returning data, with
    no label or account (which the `query` form cannot say). Its Id names nothing else, so
    whatever AWS holds (the console's q1, the API examples' m1) compares equal."""
    if len(metrics) != 1:
        return None
    query = metrics[0]
    expression = query.get("Expression")
    if (expression is None or not looks_like_a_query(expression) or query.get("Label")
            or query.get("AccountId") or query.get("ReturnData", True) is False):
        return None
    return query


def live_spec(alarm: dict, tags: dict[str, str], scope) -> dict:
    """The comparable form of one DescribeAlarms `MetricAlarms` entry."""
    # Built key by key in the order of the comparable form; None values are left out.
    get = alarm.get
    spec: dict = {}
    description = get("AlarmDescription")
    if description:
        spec["description"] = description
    lone_query = _lone_query(get("Metrics") or [])
    if lone_query is not None:
        spec["query"] = lone_query["Expression"]
        spec["period"] = lone_query.get("Period")
    elif get("Metrics"):  # math alarms may still carry `Dimensions: []` at the top level
        queries = [_live_query(query, scope) for query in alarm["Metrics"]]
        queries.sort(key=_query_id)
        spec["metrics"] = queries
    else:
        spec["namespace"] = get("Namespace")
        spec["metric_name"] = get("MetricName")
        spec["dimensions"] = _dimension_map(get("Dimensions"))
        # One of the two statistics, the unit rarely: set only when present.
        for field, key in (("statistic", "Statistic"), ("extended_statistic", "ExtendedStatistic"),
                           ("period", "Period"), ("unit", "Unit")):
            value = get(key)
            if value is not None:
                spec[field] = value
    band_metric_id = get("ThresholdMetricId")
    if band_metric_id:  # compares with a band: has no Threshold
        spec["threshold_metric_id"] = band_metric_id
    else:
        spec["threshold"] = as_number(get("Threshold"))
    spec["comparison"] = get("ComparisonOperator")
    evaluation_periods = get("EvaluationPeriods")
    spec["evaluation_periods"] = evaluation_periods
    # DatapointsToAlarm is optional; absent, AWS uses EvaluationPeriods (M out of N = N of N).
    spec["datapoints_to_alarm"] = get("DatapointsToAlarm") or evaluation_periods
    spec["treat_missing_data"] = get("TreatMissingData") or "missing"
    low_sample_count = get("EvaluateLowSampleCountPercentile")
    if low_sample_count:
        spec["evaluate_low_sample_count_percentile"] = low_sample_count
    spec["actions_enabled"] = get("ActionsEnabled", True)
    for _, field, key in _ACTION_STATES:
        arns = get(key)
        spec[field] = sorted(set(arns)) if arns else []
    spec["tags"] = tags
    return spec if None not in spec.values() else present(spec)

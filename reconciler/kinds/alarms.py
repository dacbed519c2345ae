"""CloudWatch metric alarms: one metric, metric math, or an anomaly band.

Comparable form (both sides; a key whose value is None is left out). It mirrors the
PutMetricAlarm request in snake_case, so any live alarm can be expressed in it:

  description                  AlarmDescription, absent when empty
  namespace, metric_name       one-metric alarms only
  dimensions                   {name: value}; {} when none (AWS returns [] and may reorder)
  statistic | extended_statistic   p90, tm90, ... are ExtendedStatistic
  period, unit
  metrics                      math and anomaly alarms, sorted by id; each entry is
                               {id, return_data, namespace, metric_name, dimensions, stat,
                                period, unit, account_id}  or  {id, return_data, expression,
                                label, period}; return_data explicit (AWS default: true)
  threshold                    number (AWS returns a double: 5.0 -> 5); absent for anomaly bands
  threshold_metric_id          anomaly alarms only ("ad1")
  comparison                   ComparisonOperator
  evaluation_periods
  datapoints_to_alarm          explicit; absent on read means = evaluation_periods
  treat_missing_data           explicit; absent on read means "missing"
  evaluate_low_sample_count_percentile   compared only when configured (AWS may fill it in)
  actions_enabled              explicit; AWS default true
  alarm_actions, ok_actions, insufficient_data_actions   sorted, duplicate-free ARNs; a
                               scaling policy the stack declares stays `scaling:NAME` (its ARN
                               holds a UUID AWS picks), resolved only at apply; live, only the
                               policy's current ARN reads as `scaling:NAME` (a dead one is a diff)
  tags

Output-only fields (state, timestamps, AlarmArn, EvaluationState) are never copied: the live
form is built from a whitelist. The alarms Application Auto Scaling creates for target
tracking policies (`TargetTracking-...`, AWS-managed) are left out of the live state.
Validation: per-field rules and rules between fields of one alarm live in the config model
(errors point at the field); references to topics and scaling policies are checked in
`Alarms.check`.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Annotated, Callable, Literal

from pydantic import (AfterValidator, Field, StringConstraints, ValidationInfo, field_validator,
                      model_validator)

from reconciler import iam
from reconciler.config.expressions import parse_metric_math
from reconciler.config.fields import (Actions, MetricRef, Period, StrictModel, Tags, Unit,
                                      is_extended_statistic, printable_name)
from reconciler.diagnostics import Diagnostic
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import (alarms_and_tags, as_number, desired_tags, existing_alarms,
                                     resolve_action, sync_cloudwatch_tags, tag_list)
from reconciler.kinds.scaling_policies import (declared_targets, live_references, policy_arns,
                                               reference_for, reference_problem)

# AWS: 1-255 characters; control characters are rejected ("AlarmName" in PutMetricAlarm).
AlarmName = printable_name(255)
# AWS MetricDataQuery.Id: "must start with a lowercase letter"; letters, digits, underscore.
MetricId = Annotated[str, StringConstraints(max_length=255, pattern=r"^[a-z][a-zA-Z0-9_]*$")]
EXPRESSION_ID = "expr"  # the id of a math alarm's expression entry; reserved in `metrics`
ANOMALY_METRIC_ID, ANOMALY_BAND_ID = "m1", "ad1"  # the ids the CloudWatch console uses
MAX_MATH_METRICS = 10  # CloudWatch quota: metrics per metric math alarm

COMPARISONS = {
    ">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold",
    "<": "LessThanThreshold", "<=": "LessThanOrEqualToThreshold",
}
BAND_COMPARISONS = {
    "outside": "LessThanLowerOrGreaterThanUpperThreshold",
    "above": "GreaterThanUpperThreshold",
    "below": "LessThanLowerThreshold",
}
Comparison = Literal[">", ">=", "<", "<=", "GreaterThanThreshold", "GreaterThanOrEqualToThreshold",
                     "LessThanThreshold", "LessThanOrEqualToThreshold"]
_WHEN = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*$")
# Metric math an alarm cannot use: SEARCH returns several time series ("You can't create an
# alarm based on a SEARCH expression"), a band is what `anomaly_band` alarms compare against.
_NOT_IN_ALARMS = {
    "SEARCH": "an alarm cannot watch a SEARCH expression (it returns several time series)",
    "ANOMALY_DETECTION_BAND": "an alarm on a band is an `anomaly_band` alarm: set `metric` and "
                              "`anomaly_band` instead",
}
# CloudWatch limits on period x evaluation periods (PutMetricAlarm "EvaluationPeriods").
MAX_EVALUATION_SECONDS = 7 * 86_400
MAX_EVALUATION_SECONDS_SHORT_PERIOD = 86_400  # when the period is under an hour
_AUTOSCALING_ARN = re.compile(r"^arn:[^:]+:autoscaling:")
# Fields the config may leave unset meaning "whatever AWS has" (AWS fills some in itself).
COMPARED_ONLY_WHEN_CONFIGURED = ("evaluate_low_sample_count_percentile",)
_ACTION_STATES = (("alarm", "alarm_actions", "AlarmActions"), ("ok", "ok_actions", "OKActions"),
                  ("insufficient_data", "insufficient_data_actions", "InsufficientDataActions"))


def parse_when(text: str) -> tuple[str, float | int]:
    """`"> 500000"` -> ("GreaterThanThreshold", 500000)."""
    match = _WHEN.match(text)
    if not match:
        raise ValueError(f'{text!r} should be a comparison and a number, like "> 500000" '
                         "(one of >, >=, <, <=)")
    threshold = float(match.group(2))
    if not math.isfinite(threshold):  # 1e400 overflows a double: AWS has no such threshold
        raise ValueError(f"{text!r}: the threshold {match.group(2)} is too large for a "
                         "CloudWatch threshold (a double)")
    return COMPARISONS[match.group(1)], as_number(threshold)


def _id_hint(name: str, defined) -> str:
    close = difflib.get_close_matches(name, sorted(defined), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def alarm_arn(name: str, scope) -> str:
    """The ARN of alarm `name` in `scope` (for composite alarm rules and dashboard widgets)."""
    return scope.arn("cloudwatch", f"alarm:{name}")


class AnomalyBand(StrictModel):
    deviations: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 2
    direction: Literal["outside", "above", "below"] = "outside"


def _check_when(text: str) -> str:
    parse_when(text)
    return text


When = Annotated[str, AfterValidator(_check_when)]


class AlarmConfig(StrictModel):
    # Field order matters: validators of later fields read earlier ones from `info.data`.
    description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    metric: MetricRef | None = None
    metrics: Annotated[dict[MetricId, MetricRef],
                       Field(min_length=1, max_length=MAX_MATH_METRICS)] | None = None
    expression: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    anomaly_band: AnomalyBand | None = None
    period: Period | None = None  # default for the metric(s) that set none
    unit: Unit | None = None  # default for the metric(s) that set none
    when: When | None = None
    comparison: Comparison | None = None
    threshold: Annotated[float, Field(allow_inf_nan=False)] | None = None
    evaluation_periods: Annotated[int, Field(ge=1, validate_default=True)] = 1
    datapoints_to_alarm: Annotated[int, Field(ge=1)] | None = None  # default: evaluation_periods
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"
    evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None
    actions: Actions = Actions()
    actions_enabled: bool = True
    tags: Tags = {}

    @field_validator("metrics")
    @classmethod
    def _expression_id_is_reserved(cls, metrics):
        if metrics and EXPRESSION_ID in metrics:
            raise ValueError(f"metric id {EXPRESSION_ID!r} is reserved for the alarm's expression; "
                             "choose another id")
        return metrics

    @field_validator("expression")
    @classmethod
    def _expression_is_metric_math_of_defined_metrics(cls, expression, info: ValidationInfo):
        used = parse_metric_math(expression)  # ExpressionError is a ValueError: a diagnostic
        for function, column in used.functions.items():
            if function in _NOT_IN_ALARMS:
                raise ValueError(f"the expression uses {function} at column {column}: "
                                 f"{_NOT_IN_ALARMS[function]}")
        defined = info.data.get("metrics") or {}
        unknown = {name: column for name, column in used.ids.items() if name not in defined}
        if defined and unknown:
            name, column = min(unknown.items(), key=lambda item: item[1])
            raise ValueError(f"{name!r} at column {column} is not a metric id defined in "
                             f"`metrics` (defined: {', '.join(sorted(defined))})"
                             f"{_id_hint(name, defined)}")
        return expression

    @field_validator("evaluation_periods")
    @classmethod
    def _evaluation_window_fits(cls, evaluation_periods, info: ValidationInfo):
        refs = ([info.data["metric"]] if info.data.get("metric")
                else list((info.data.get("metrics") or {}).values()))
        periods = {ref.period or info.data.get("period") for ref in refs} - {None}
        for period in sorted(periods):
            limit = (MAX_EVALUATION_SECONDS_SHORT_PERIOD if period < 3600
                     else MAX_EVALUATION_SECONDS)
            if period * evaluation_periods > limit:
                raise ValueError(
                    f"{evaluation_periods} x period {period} s = "
                    f"{period * evaluation_periods} s; CloudWatch allows at most {limit} s "
                    "(1 day when the period is under an hour, 7 days otherwise)")
        return evaluation_periods

    @field_validator("datapoints_to_alarm")
    @classmethod
    def _datapoints_within_evaluation_periods(cls, datapoints, info: ValidationInfo):
        evaluation_periods = info.data.get("evaluation_periods")
        if datapoints is not None and evaluation_periods and datapoints > evaluation_periods:
            raise ValueError(f"{datapoints} is more than evaluation_periods ({evaluation_periods})")
        return datapoints

    @model_validator(mode="after")
    def _consistent_shape(self):
        problems = self._metric_shape_problems() + self._condition_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _metric_shape_problems(self) -> list[str]:
        if (self.metric is None) == (self.expression is None):
            return ["set either `metric` (one metric) or `expression` and `metrics` (metric math)"]
        problems = []
        if self.expression is not None and not self.metrics:
            problems.append("`expression` needs `metrics`: the ids it uses")
        if self.metric is not None and self.metrics is not None:
            problems.append("`metrics` belongs to `expression`; a one-metric alarm uses `metric`")
        if self.period is None:
            without_period = ([] if self.metric is None or self.metric.period else ["`metric`"])
            without_period += [f"`metrics.{key}`" for key, ref in (self.metrics or {}).items()
                               if ref.period is None]
            if without_period:
                problems.append(f"set `period` on the alarm or on {', '.join(without_period)}")
        if self.metric and self.metric.account_id and not self.anomaly_band:
            problems.append("`metric.account_id` needs metric math: PutMetricAlarm takes a "
                            "cross-account metric only in `metrics`")
        percentile_alarm = (self.metric is not None and not self.anomaly_band
                            and is_extended_statistic(self.metric.stat))
        if self.evaluate_low_sample_count_percentile and not percentile_alarm:
            problems.append("`evaluate_low_sample_count_percentile` applies only to a one-metric "
                            "alarm with a percentile statistic such as p90")
        return problems

    def _condition_problems(self) -> list[str]:
        given = [key for key in ("when", "comparison", "threshold") if getattr(self, key) is not None]
        if self.anomaly_band is not None:
            if self.expression is not None:
                return ["`anomaly_band` applies to one `metric`, not to an `expression`"]
            if given:
                return [f"an anomaly_band alarm compares against the band: remove {', '.join(given)}"]
            return []
        if not given:
            return ['set `when` (like "> 5") or `comparison` and `threshold`']
        if self.when is not None and len(given) > 1:
            return ["set either `when` or `comparison` and `threshold`, not both"]
        if self.when is None and len(given) == 1:
            missing = "threshold" if self.comparison is not None else "comparison"
            return [f"`{given[0]}` needs `{missing}` (or use `when`, like \"> 5\")"]
        return []

    def condition(self) -> tuple[str, float | int]:
        """(ComparisonOperator, threshold) of a non-anomaly alarm."""
        if self.when is not None:
            return parse_when(self.when)
        return COMPARISONS.get(self.comparison, self.comparison), as_number(self.threshold)


# --- comparable form --------------------------------------------------------------------

def _present(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _dimension_map(dimensions) -> dict[str, str]:
    """Dimensions as a name-sorted map: AWS may reorder them and returns [] for none."""
    if isinstance(dimensions, dict):
        return dict(sorted(dimensions.items()))
    return dict(sorted((d["Name"], d.get("Value", "")) for d in dimensions or []))


def _stat_entry(query_id, namespace, metric_name, dimensions, stat, period, unit, account_id,
                return_data) -> dict:
    return _present({"id": query_id, "return_data": return_data, "namespace": namespace,
                     "metric_name": metric_name, "dimensions": _dimension_map(dimensions),
                     "stat": stat, "period": period, "unit": unit, "account_id": account_id})


def _expression_entry(query_id, expression, label, period, return_data) -> dict:
    return _present({"id": query_id, "return_data": return_data, "expression": expression,
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
        return _present(entry)  # not from a validated config: leave out what is unset
    return entry


def _by_id(entry: dict) -> str:
    return entry["id"]


def _add_desired_metric_fields(spec: dict, alarm: AlarmConfig, scope) -> None:
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
    return spec if None not in spec.values() else _present(spec)


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


def live_spec(alarm: dict, tags: dict[str, str], scope) -> dict:
    """The comparable form of one DescribeAlarms `MetricAlarms` entry."""
    # Built key by key in the order of the comparable form; None values are left out.
    get = alarm.get
    spec: dict = {}
    description = get("AlarmDescription")
    if description:
        spec["description"] = description
    if get("Metrics"):  # math alarms may still carry `Dimensions: []` at the top level
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
    return spec if None not in spec.values() else _present(spec)


# --- requests ---------------------------------------------------------------------------

# --- import: comparable form -> the config a person would write ---------------------------

_SYMBOLS = {name: symbol for symbol, name in COMPARISONS.items()}
_BAND_DIRECTIONS = {name: direction for direction, name in BAND_COMPARISONS.items()}
_BAND = re.compile(rf"^ANOMALY_DETECTION_BAND\({ANOMALY_METRIC_ID},\s*([0-9.]+)\)$")


def _metric_ref(entry: dict, stat_key: str = "stat") -> dict:
    return _present({"namespace": entry["namespace"], "name": entry["metric_name"],
                     "dimensions": entry.get("dimensions") or None, "stat": entry[stat_key],
                     "period": entry.get("period"), "unit": entry.get("unit"),
                     "account_id": entry.get("account_id")})


def _metric_config(spec: dict) -> dict:
    """metric / metrics + expression / anomaly_band, the way AlarmConfig spells them."""
    if "metrics" not in spec:
        stat = "extended_statistic" if "extended_statistic" in spec else "statistic"
        return {"metric": _metric_ref({**spec, "stat": spec[stat]})}
    by_id = {entry["id"]: entry for entry in spec["metrics"]}
    band = _BAND.match(by_id.get(ANOMALY_BAND_ID, {}).get("expression", ""))
    if band and ANOMALY_METRIC_ID in by_id:
        return {"metric": _metric_ref(by_id[ANOMALY_METRIC_ID]),
                "anomaly_band": {"deviations": as_number(float(band.group(1))),
                                 "direction": _BAND_DIRECTIONS[spec["comparison"]]}}
    expression = by_id.pop(EXPRESSION_ID, {}).get("expression")
    return {"expression": expression,
            "metrics": {query_id: _metric_ref(entry) for query_id, entry in by_id.items()}}


def alarm_config(spec: dict, tags: dict[str, str], refs) -> dict:
    """The `alarms` entry for a comparable form: short forms, AWS defaults left out."""
    entry = _present({"description": spec.get("description")}) | _metric_config(spec)
    if "threshold" in spec:
        symbol = _SYMBOLS.get(spec["comparison"])
        entry.update({"when": f"{symbol} {spec['threshold']}"} if symbol else
                     {"comparison": spec["comparison"], "threshold": spec["threshold"]})
    evaluation_periods = spec.get("evaluation_periods", 1)
    if evaluation_periods != 1:
        entry["evaluation_periods"] = evaluation_periods
    if spec.get("datapoints_to_alarm", evaluation_periods) != evaluation_periods:
        entry["datapoints_to_alarm"] = spec["datapoints_to_alarm"]
    if spec.get("treat_missing_data", "missing") != "missing":
        entry["treat_missing_data"] = spec["treat_missing_data"]
    if spec.get("evaluate_low_sample_count_percentile"):
        entry["evaluate_low_sample_count_percentile"] = spec["evaluate_low_sample_count_percentile"]
    actions = {state: [refs.action(arn) for arn in spec.get(field, [])]
               for state, field, _ in _ACTION_STATES if spec.get(field)}
    if actions:
        entry["actions"] = actions
    if spec.get("actions_enabled") is False:
        entry["actions_enabled"] = False
    if tags:
        entry["tags"] = tags
    return entry


def _dimension_list(dimensions: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in dimensions.items()]


def _query_request(entry: dict) -> dict:
    request = {"Id": entry["id"], "ReturnData": entry["return_data"]}
    if "expression" in entry:
        request["Expression"] = entry["expression"]
        request.update(_present({"Label": entry.get("label"), "Period": entry.get("period")}))
        return request
    metric = {"Namespace": entry["namespace"], "MetricName": entry["metric_name"],
              "Dimensions": _dimension_list(entry["dimensions"])}
    request["MetricStat"] = _present({"Metric": metric, "Period": entry["period"],
                                      "Stat": entry["stat"], "Unit": entry.get("unit")})
    request.update(_present({"AccountId": entry.get("account_id")}))
    return request


def put_request(name: str, spec: dict) -> dict:
    """PutMetricAlarm arguments for a comparable form (without Tags: create adds them)."""
    request = _present({
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
    if "metrics" in spec:
        request["Metrics"] = [_query_request(entry) for entry in spec["metrics"]]
        return request
    return request | _present({
        "Namespace": spec["namespace"], "MetricName": spec["metric_name"],
        "Dimensions": _dimension_list(spec["dimensions"]), "Period": spec["period"],
        "Statistic": spec.get("statistic"), "ExtendedStatistic": spec.get("extended_statistic"),
        "Unit": spec.get("unit"),
    })


# --- the kind ---------------------------------------------------------------------------

def action_problem(reference: str, topics: set[str], band_alarm: bool,
                   scaling_policies: dict | None = None) -> tuple[str, str | None] | None:
    """(message, hint) when an alarm action reference cannot be used (shared with the
    alarms that presets generate). `scaling_policies`: the stack's section."""
    if band_alarm and (reference.startswith("scaling:") or _AUTOSCALING_ARN.match(reference)):
        return "anomaly_band alarms cannot have Auto Scaling actions (CloudWatch rejects them)", None
    if reference.startswith("scaling:"):
        return reference_problem(reference.removeprefix("scaling:"), scaling_policies or {})
    topic = reference.removeprefix("topic:")
    if reference.startswith("topic:") and topic not in topics:
        close = difflib.get_close_matches(topic, sorted(topics), n=1)
        return (f"topic {topic!r} is not defined in `topics`",
                f"did you mean 'topic:{close[0]}'?" if close else None)
    return None


def action_diagnostics(stack, path: tuple, actions: Actions, band_alarm: bool,
                       extra_problem=None) -> list[Diagnostic]:
    """A Diagnostic at each action reference of `actions` (at `path` in the config) that an
    alarm cannot use; `extra_problem(reference)` adds a rule of the caller's."""
    topics, policies = set(stack.section("topics")), stack.section("scaling_policies")
    found = []
    for state, _, _ in _ACTION_STATES:
        for index, reference in enumerate(getattr(actions, state)):
            problem = ((extra_problem and extra_problem(reference))
                       or action_problem(reference, topics, band_alarm, policies))
            if problem:
                found.append(Diagnostic(problem[0], stack.locate(*path, "actions", state, index),
                                        hint=problem[1]))
    return found


def _without_tags(spec: dict) -> dict:
    return {key: value for key, value in spec.items() if key != "tags"}


def _with_scaling_references(spec: dict, reference: Callable[[str], str] | None) -> dict:
    """Actions naming a scaling policy of the stack as `scaling:NAME` where `reference` turns
    an ARN into one (its UUID is AWS's choice; see scaling_policies)."""
    if reference is None:
        return spec  # nothing to name: the actions are already sorted and duplicate-free
    actions = {field: sorted({reference(arn) for arn in spec[field]})
               for _, field, _ in _ACTION_STATES if field in spec}
    return spec | actions


def _written_references(stack) -> Callable[[str], str] | None:
    """Config side: a policy ARN written out for a declared policy means that policy."""
    declared = declared_targets(stack)
    return (lambda arn: reference_for(arn, declared)) if declared else None


def _live_references(aws, stack) -> Callable[[str], str] | None:
    """Live side: only the current ARN of a declared policy is `scaling:NAME`; an ARN of a
    policy since deleted (and maybe made again, with a new UUID) stays an ARN: a diff."""
    if not declared_targets(stack):
        return None
    live = live_references(aws, stack)
    return lambda arn: live.get(arn, arn)


def _with_policy_arns(aws, spec: dict) -> dict:
    """`scaling:NAME` actions resolved to the policies' ARNs, for PutMetricAlarm."""
    names = [ref.removeprefix("scaling:") for _, field, _ in _ACTION_STATES
             for ref in spec.get(field, []) if ref.startswith("scaling:")]
    if not names:
        return spec
    arns = policy_arns(aws, names)
    return spec | {field: sorted(arns.get(ref.removeprefix("scaling:"), ref)
                                 if ref.startswith("scaling:") else ref for ref in spec[field])
                   for _, field, _ in _ACTION_STATES if field in spec}


def _managed_by_auto_scaling(alarm: dict) -> bool:
    """The alarms Application Auto Scaling creates for a target tracking policy: AWS's to
    change and delete ("DO NOT EDIT OR DELETE"), so never planned, adopted or imported."""
    return (alarm["AlarmName"].startswith("TargetTracking-") and
            (alarm.get("AlarmDescription") or "").startswith("DO NOT EDIT OR DELETE."))


class Alarms(Kind):
    iam_read = ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "tag:GetResources",
                # `scaling:NAME` actions resolve to the policies' ARNs
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies")
    iam_write = ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
                 "cloudwatch:DeleteAlarms")

    def iam_resources(self, stack, scope, names):
        return iam.alarm_arns(scope, names)

    name = "alarms"
    section = "alarms"
    entry_model = AlarmConfig
    name_type = AlarmName
    defaults_key = "alarm"
    depends_on = ("topics", "scaling_policies")

    def check(self, stack):
        return [diagnostic for name, alarm in stack.section("alarms").items()
                for diagnostic in action_diagnostics(stack, ("alarms", name), alarm.actions,
                                                     alarm.anomaly_band is not None)]

    def comparable(self, live_spec, desired_spec):
        return {key: value for key, value in live_spec.items()
                if key in desired_spec or key not in COMPARED_ONLY_WHEN_CONFIGURED}

    def desired(self, stack, scope):
        references = _written_references(stack)
        return {
            name: Desired(name, _with_scaling_references(
                              desired_spec(alarm, desired_tags(stack, alarm.tags), scope), references),
                          location=stack.locate("alarms", name))
            for name, alarm in stack.section("alarms").items()
        }

    def read_live(self, aws, stack, owned_only: bool = True):
        # One page per 100 alarms (DescribeAlarms MaxRecords <= 100), shared with the
        # composite alarms kind; tags in bulk.
        alarms, tags = alarms_and_tags(aws, "MetricAlarms", owned_only)
        scope, references = aws.scope, _live_references(aws, stack)
        live = {}
        for alarm in alarms:
            if _managed_by_auto_scaling(alarm):
                continue
            arn, name = alarm.get("AlarmArn"), alarm["AlarmName"]
            spec = _with_scaling_references(live_spec(alarm, tags.get(arn, {}), scope), references)
            live[name] = Live(name, spec, tags=tags.get(arn), identity={"arn": arn})
        return live

    def read_for_import(self, aws, stack, prefix):
        live = self.read_live(aws, stack, owned_only=False)
        return {name: alarm for name, alarm in live.items() if name.startswith(prefix)}

    def to_config(self, live, refs):
        return ("alarms", live.name), alarm_config(live.spec, refs.own_tags(live.tags), refs)

    def existing(self, aws, names):
        return existing_alarms(aws, names)

    def create(self, aws, desired):
        request = put_request(desired.name, _with_policy_arns(aws, desired.spec))
        aws.client("cloudwatch").put_metric_alarm(**request, Tags=tag_list(desired.written_tags))

    def update(self, aws, desired, live):
        cloudwatch = aws.client("cloudwatch")
        if _without_tags(self.comparable(live.spec, desired.spec)) != _without_tags(desired.spec):
            # PutMetricAlarm replaces the whole alarm: keep what the config leaves to AWS.
            kept = {key: live.spec[key] for key in COMPARED_ONLY_WHEN_CONFIGURED if key in live.spec}
            cloudwatch.put_metric_alarm(**put_request(desired.name,
                                                      _with_policy_arns(aws, kept | desired.spec)))
        sync_cloudwatch_tags(cloudwatch, live.identity["arn"], live.tags, desired.written_tags)

    def delete(self, aws, live):
        aws.client("cloudwatch").delete_alarms(AlarmNames=[live.name])

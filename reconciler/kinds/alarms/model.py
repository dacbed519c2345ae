"""The `alarms` config: one metric, metric math, anomaly band or Metrics Insights query
alarm, and the rules between its fields (errors point at the field).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import (AfterValidator, Field, StringConstraints, ValidationInfo, field_validator,
                      model_validator)

from reconciler.config.expressions import ExpressionError, parse_metric_math
from reconciler.config.metrics_insights import looks_like_a_query, parse_metrics_insights
from reconciler.config.fields import (Actions, MetricRef, Period, StrictModel, Tags, Unit,
                                      is_extended_statistic, printable_name)
from reconciler.diagnostics import did_you_mean
from reconciler.kinds.common import as_number


# AWS: 1-255 characters; control characters are rejected ("AlarmName" in PutMetricAlarm).
AlarmName = printable_name(255)


# AWS MetricDataQuery.Id: "must start with a lowercase letter"; letters, digits, underscore.
MetricId = Annotated[str, StringConstraints(max_length=255, pattern=r"^[a-z][a-zA-Z0-9_]*$")]


EXPRESSION_ID = "expr"  # the id of a math alarm's expression entry; reserved in `metrics`


QUERY_ID = "q1"  # the id of a query alarm's one MetricDataQuery (the console's)


MAX_EXPRESSION_LENGTH = 2048  # MetricDataQuery.Expression: 1 to 2048 characters


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


def alarm_arn(name: str, scope) -> str:
    """The ARN of alarm `name` in `scope` (for composite alarm rules and dashboard widgets)."""
    return scope.arn("cloudwatch", f"alarm:{name}")


class AnomalyBand(StrictModel):
    deviations: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 2
    """Width of the anomaly detection band in standard deviations; default 2."""
    direction: Literal["outside", "above", "below"] = "outside"
    """Which side of the band alarms: outside (default), above or below."""


def _check_when(text: str) -> str:
    parse_when(text)
    return text


When = Annotated[str, AfterValidator(_check_when)]


class AlarmConfig(StrictModel):
    # Field order matters: validators of later fields read earlier ones from `info.data`.
    """A metric alarm on one metric, metric math, an anomaly band or a Metrics Insights query."""

    description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Alarm description shown in CloudWatch and notifications (up to 1024 characters)."""
    metric: MetricRef | None = None
    """The one metric the alarm watches (set this, or `metrics` + `expression`)."""
    metrics: Annotated[dict[MetricId, MetricRef],
                       Field(min_length=1, max_length=MAX_MATH_METRICS)] | None = None
    """Metrics named by id for a metric math `expression` (ids start with a lowercase letter)."""
    expression: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    """Metric math expression over the ids of `metrics` whose result the alarm watches."""
    query: Annotated[str, StringConstraints(min_length=1,
                                            max_length=MAX_EXPRESSION_LENGTH)] | None = None
    """Metrics Insights query (SELECT ...) the alarm watches, over every metric it matches."""
    anomaly_band: AnomalyBand | None = None
    """Alarm when the metric leaves an anomaly detection band instead of crossing a threshold."""
    period: Period | None = None  # default for the metric(s) that set none
    """Length of one datapoint in seconds: the query's, or for the metrics that set none."""
    unit: Unit | None = None  # default for the metric(s) that set none
    """Unit for the metrics that set none."""
    when: When | None = None
    """Shorthand for comparison and threshold, e.g. "> 500" (or use `comparison` + `threshold`)."""
    comparison: Comparison | None = None
    """CloudWatch comparison operator, e.g. GreaterThanThreshold (used with `threshold`)."""
    threshold: Annotated[float, Field(allow_inf_nan=False)] | None = None
    """Value the statistic is compared with (used with `comparison`)."""
    evaluation_periods: Annotated[int, Field(ge=1, validate_default=True)] = 1
    """Number of most recent periods evaluated; default 1."""
    datapoints_to_alarm: Annotated[int, Field(ge=1)] | None = None  # default: evaluation_periods
    """Breaching datapoints among the evaluated periods that trigger ALARM; default evaluation_periods."""
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"
    """How missing datapoints count: missing (default), notBreaching, breaching or ignore."""
    evaluate_low_sample_count_percentile: Literal["evaluate", "ignore"] | None = None
    """For percentile statistics: evaluate or ignore periods with too few samples; default evaluate."""
    # A factory, not a shared instance: pydantic deep-copies an instance default for every
    # alarm (a fifth of validating one; config load of hundreds of stacks is mostly alarms).
    actions: Actions = Field(default_factory=Actions)
    """What to notify or trigger on each state change."""
    actions_enabled: bool = True
    """Whether the actions run on state changes; default true."""
    tags: Tags = {}
    """Tags of this alarm, added to the stack's tags."""

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
        try:
            used = parse_metric_math(expression)  # ExpressionError is a ValueError: a diagnostic
        except ExpressionError as error:
            if looks_like_a_query(expression):
                raise ValueError("a Metrics Insights query (SELECT ...) goes in `query`, with "
                                 "`period`, instead of `expression` and `metrics`") from error
            raise
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
                             + (f"; {hint}" if (hint := did_you_mean(name, defined)) else ""))
        return expression

    @field_validator("query")
    @classmethod
    def _query_is_metrics_insights(cls, query):
        parsed = parse_metrics_insights(query)  # QueryError is a ValueError: a diagnostic
        if parsed.group_by and parsed.order_by is None:
            # "When creating multi-time series alarms, you must include two key clauses":
            # GROUP BY and ORDER BY (CloudWatch User Guide, Metrics Insights alarms).
            raise ValueError("a query with GROUP BY needs ORDER BY too (like ORDER BY MAX() "
                             "DESC): an alarm over several time series evaluates them in "
                             "that order")
        return query

    @field_validator("evaluation_periods")
    @classmethod
    def _evaluation_window_fits(cls, evaluation_periods, info: ValidationInfo):
        refs = ([info.data["metric"]] if info.data.get("metric")
                else list((info.data.get("metrics") or {}).values()))
        periods = ({ref.period or info.data.get("period") for ref in refs} if refs
                   else {info.data.get("period")}) - {None}  # a `query` has the alarm's period
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
        forms = [form for form in ("metric", "expression", "query") if getattr(self, form) is not None]
        if len(forms) != 1:
            return ["set either `metric` (one metric), `expression` and `metrics` (metric "
                    "math) or `query` (a Metrics Insights query)"
                    + (f", not {' and '.join(f'`{form}`' for form in forms)}" if forms else "")]
        if self.query is not None:
            return self._query_shape_problems()
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

    def _query_shape_problems(self) -> list[str]:
        problems = []
        if self.metrics is not None:
            problems.append("`metrics` belongs to `expression`; a `query` names its metric itself")
        if self.period is None:
            problems.append("a `query` alarm needs `period` (the length of one datapoint in "
                            "seconds)")
        if self.unit is not None:
            problems.append("`unit` applies to `metric` and `metrics`; a Metrics Insights "
                            "query has none")
        if self.anomaly_band is not None:
            problems.append("`anomaly_band` applies to one `metric`, not to a `query`")
        return problems

    def _condition_problems(self) -> list[str]:
        given = [key for key in ("when", "comparison", "threshold") if getattr(self, key) is not None]
        if self.anomaly_band is not None:
            if self.expression is not None:
                return ["`anomaly_band` applies to one `metric`, not to an `expression`"]
            if self.query is not None:
                return []  # said by _query_shape_problems
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

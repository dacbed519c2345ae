"""CloudWatch metric alarms: one metric, metric math, an anomaly band, or a Metrics Insights
query.

Comparable form (both sides; a key whose value is None is left out). It mirrors the
PutMetricAlarm request in snake_case, so any live alarm can be expressed in it:

  description                  AlarmDescription, absent when empty
  namespace, metric_name       one-metric alarms only
  dimensions                   {name: value}; {} when none (AWS returns [] and may reorder)
  statistic | extended_statistic   p90, tm90, ... are ExtendedStatistic
  period, unit
  query                        query alarms only: the Metrics Insights query, verbatim (AWS
                               returns it as sent), with `period`; live, an alarm whose one
                               MetricDataQuery is such a query (returning data, no label or
                               account) reads as this form, whatever its Id
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

from reconciler.kinds.alarms.model import (ANOMALY_BAND_ID, ANOMALY_METRIC_ID, AlarmConfig,
                                           AlarmName, AnomalyBand, BAND_COMPARISONS,
                                           COMPARED_ONLY_WHEN_CONFIGURED, COMPARISONS, Comparison,
                                           EXPRESSION_ID, MAX_EVALUATION_SECONDS,
                                           QUERY_ID,
                                           MAX_EVALUATION_SECONDS_SHORT_PERIOD, MAX_MATH_METRICS,
                                           MetricId, When, alarm_arn, parse_when)
from reconciler.kinds.alarms.normalize import desired_spec, live_spec
from reconciler.kinds.alarms.importing import alarm_config
from reconciler.kinds.alarms.requests import put_request
from reconciler.kinds.alarms.actions import (_with_scaling_references, action_diagnostics,
                                             action_problem)
from reconciler.kinds.alarms.kind import Alarms

__all__ = ["ANOMALY_BAND_ID", "ANOMALY_METRIC_ID", "AlarmConfig", "AlarmName", "Alarms",
           "AnomalyBand", "BAND_COMPARISONS", "COMPARED_ONLY_WHEN_CONFIGURED", "COMPARISONS",
           "Comparison", "EXPRESSION_ID", "MAX_EVALUATION_SECONDS",
           "MAX_EVALUATION_SECONDS_SHORT_PERIOD", "MAX_MATH_METRICS", "MetricId", "QUERY_ID", "When",
           "_with_scaling_references", "action_diagnostics", "action_problem", "alarm_arn",
           "alarm_config", "desired_spec", "live_spec", "parse_when", "put_request"]

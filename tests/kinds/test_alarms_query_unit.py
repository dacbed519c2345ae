"""Metrics Insights query alarms without AWS: config rules, both sides of the comparable form,
the PutMetricAlarm request, import."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reconciler.aws import Scope
from reconciler.kinds.alarms import (AlarmConfig, Alarms, alarm_config, desired_spec, live_spec,
                                     put_request)
from reconciler.kinds.alarms.importing import inexpressible

SCOPE = Scope(region="us-east-1", account_id="111111111111")
FLEET = 'SELECT MAX(ModelLatency) FROM SCHEMA("AWS/SageMaker", EndpointName, VariantName)'
QUERY = {"query": FLEET, "period": 60, "when": "> 500000", "evaluation_periods": 3}
# DescribeAlarms of that alarm as the console writes it: Id of its own, ReturnData left out.
DESCRIBED = {
    "AlarmName": "fleet-max-latency", "AlarmArn": "arn:aws:cloudwatch:us-east-1:111111111111:alarm:f",
    "StateValue": "OK", "ActionsEnabled": True, "OKActions": [], "AlarmActions": [],
    "InsufficientDataActions": [], "Dimensions": [], "EvaluationPeriods": 3, "Threshold": 500000.0,
    "ComparisonOperator": "GreaterThanThreshold", "EvaluationState": "PARTIAL_DATA",
    "Metrics": [{"Id": "m1", "Expression": FLEET, "Period": 60}],
}


def spec(**values) -> dict:
    return desired_spec(AlarmConfig.model_validate(values), {}, SCOPE)


def errors(**values) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as raised:
        AlarmConfig.model_validate(values)
    return [(e["loc"], e["msg"]) for e in raised.value.errors()]


def test_a_query_alarm_is_the_query_and_its_period():
    desired = spec(**QUERY)
    assert desired["query"] == FLEET and desired["period"] == 60
    assert not {"metrics", "namespace", "metric_name", "statistic"} & set(desired)


def test_the_query_reads_back_equal_whatever_id_aws_holds():
    desired = spec(**QUERY)
    live = live_spec(DESCRIBED, {}, SCOPE)
    assert Alarms().comparable(live, desired) == desired


def test_the_query_is_compared_verbatim():
    """What PutMetricAlarm took is what DescribeAlarms returns: a different spacing or case is
    a different query to CloudWatch, shown as a diff rather than guessed equal."""
    live = live_spec({**DESCRIBED, "Metrics": [{"Id": "q1", "Expression": FLEET.lower(),
                                                "Period": 60, "ReturnData": True}]}, {}, SCOPE)
    assert live["query"] == FLEET.lower() != spec(**QUERY)["query"]


@pytest.mark.parametrize("metrics", [
    [{"Id": "q1", "Expression": FLEET, "Period": 60, "Label": "fleet max"}],  # a label
    [{"Id": "q1", "Expression": FLEET, "Period": 60, "ReturnData": False},  # math over a query
     {"Id": "e1", "Expression": "q1 / 1000"}],
    [{"Id": "e1", "Expression": "100 * 2", "Period": 60}],  # metric math, not a query
])
def test_other_shapes_stay_in_the_metrics_form(metrics):
    live = live_spec({**DESCRIBED, "Metrics": metrics}, {}, SCOPE)
    assert "query" not in live and len(live["metrics"]) == len(metrics)


def test_put_request_puts_the_period_on_the_query():
    request = put_request("fleet-max-latency", spec(**QUERY))
    assert request["Metrics"] == [{"Id": "q1", "Expression": FLEET, "Period": 60, "ReturnData": True}]
    assert not {"Namespace", "MetricName", "Period", "Statistic", "Dimensions"} & set(request)
    assert request["Threshold"] == 500000.0 and request["EvaluationPeriods"] == 3


def test_import_writes_the_query_form():
    refs = type("Refs", (), {"action": staticmethod(lambda arn: arn)})()
    entry = alarm_config(live_spec(DESCRIBED, {}, SCOPE), {}, refs)
    assert entry == {"query": FLEET, "period": 60, "when": "> 500000", "evaluation_periods": 3}
    assert AlarmConfig.model_validate(entry) == AlarmConfig.model_validate(QUERY)


@pytest.mark.parametrize("values, loc, message", [
    ({**QUERY, "metric": {"namespace": "ML", "name": "M", "stat": "Sum"}}, (),
     "set either `metric` (one metric), `expression` and `metrics` (metric math) or `query` "
     "(a Metrics Insights query), not `metric` and `query`"),
    ({**QUERY, "expression": "m1", "metrics": {"m1": {"namespace": "ML", "name": "M", "stat": "Sum"}}},
     (), "set either `metric`"),
    ({**QUERY, "period": None}, (), "a `query` alarm needs `period`"),
    ({**QUERY, "unit": "Milliseconds"}, (), "`unit` applies to `metric` and `metrics`"),
    ({**QUERY, "when": None, "anomaly_band": {"deviations": 2}}, (),
     "`anomaly_band` applies to one `metric`, not to a `query`"),
    ({**QUERY, "query": "SELECT MAX(ModelLatency) FROM AWS/SageMaker"}, ("query",),
     "'AWS/SageMaker' at column 31: names with characters"),
    ({**QUERY, "query": FLEET + " GROUP BY EndpointName"}, ("query",),
     "a query with GROUP BY needs ORDER BY too"),
    ({**QUERY, "query": ""}, ("query",), "at least 1 character"),
    ({**QUERY, "query": FLEET + " " * 2048}, ("query",), "at most 2048 characters"),
    ({**QUERY, "evaluation_periods": 1441}, ("evaluation_periods",), "86400 s"),
    ({"expression": FLEET, "period": 60, "when": "> 1",
      "metrics": {"m1": {"namespace": "ML", "name": "M", "stat": "Sum"}}}, ("expression",),
     "a Metrics Insights query (SELECT ...) goes in `query`, with `period`"),
])
def test_invalid_query_alarm(values, loc, message):
    values = {key: value for key, value in values.items() if value is not None}
    found = errors(**values)
    assert any(l == loc and message in m for l, m in found), found


def test_a_grouped_query_with_order_by_is_an_alarm_over_several_time_series():
    grouped = ('SELECT MAX(ModelLatency) FROM SCHEMA("AWS/SageMaker", EndpointName, VariantName) '
               "GROUP BY EndpointName ORDER BY MAX() DESC LIMIT 10")
    assert spec(**{**QUERY, "query": grouped})["query"] == grouped


def test_import_refuses_math_over_a_query_and_takes_a_console_math_alarm():
    refs = type("Refs", (), {"action": staticmethod(lambda arn: arn)})()
    over_query = live_spec({**DESCRIBED, "Metrics": [
        {"Id": "q1", "Expression": FLEET, "Period": 60, "ReturnData": False},
        {"Id": "e1", "Expression": "q1 / 1000"}]}, {}, SCOPE)
    assert "(q1)" in inexpressible(over_query)
    console_math = live_spec({**DESCRIBED, "Metrics": [  # the console names the expression e1
        {"Id": "m1", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "ML", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"}},
        {"Id": "e1", "Expression": "m1 * 100"}]}, {}, SCOPE)
    assert inexpressible(console_math) is None
    entry = alarm_config(console_math, {}, refs)
    assert entry["expression"] == "m1 * 100" and list(entry["metrics"]) == ["m1"]

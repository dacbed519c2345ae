"""Alarms without AWS: config validation, both sides of the comparable form, requests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from reconciler.applied import APPLIED_TAG
from reconciler.aws import Scope
from reconciler.config.stack import Stack
from reconciler.diagnostics import Location
from reconciler.kinds.alarms import (AlarmConfig, AlarmName, Alarms, alarm_arn, desired_spec,
                                     live_spec, parse_when, put_request)
from reconciler.kinds.base import Desired, Live

SCOPE = Scope(region="us-east-1", account_id="111111111111")
TOPIC = "arn:aws:sns:us-east-1:111111111111:ml-oncall"
OWNER = {"obsctl:stack": "test"}
LATENCY = {"namespace": "AWS/SageMaker", "name": "ModelLatency",
           "dimensions": {"EndpointName": "churn", "VariantName": "AllTraffic"}, "stat": "p90",
           "period": 60}
MATH = {"expression": "100 * errors / invocations", "period": 300, "when": "> 5",
        "metrics": {"invocations": {"namespace": "AWS/SageMaker", "name": "Invocations", "stat": "Sum"},
                    "errors": {"namespace": "AWS/SageMaker", "name": "Invocation5XXErrors",
                               "stat": "Sum"}}}
BAND = {"metric": {"namespace": "AWS/SageMaker", "name": "Invocations", "stat": "Sum", "period": 300},
        "anomaly_band": {"deviations": 2, "direction": "above"}}
# What DescribeAlarms returns for these alarms, with every quirk docs/aws-behaviour.md lists.
OUTPUT_ONLY = {"AlarmArn": "arn:aws:cloudwatch:us-east-1:111111111111:alarm:x",
               "StateValue": "INSUFFICIENT_DATA", "StateReason": "Unchecked",
               "StateReasonData": "{}", "StateUpdatedTimestamp": "2024-01-01T00:00:00Z",
               "StateTransitionedTimestamp": "2024-01-01T00:00:00Z",
               "AlarmConfigurationUpdatedTimestamp": "2024-01-01T00:00:00Z",
               "EvaluationState": "PARTIAL_DATA"}
LATENCY_DESCRIBED = {
    **OUTPUT_ONLY, "AlarmName": "latency", "AlarmDescription": "p90 latency",
    "OKActions": [], "AlarmActions": [TOPIC, "arn:aws:sns:us-east-1:111111111111:a-first"],
    "InsufficientDataActions": [], "MetricName": "ModelLatency", "Namespace": "AWS/SageMaker",
    "ExtendedStatistic": "p90", "EvaluateLowSampleCountPercentile": "evaluate",
    "Dimensions": [{"Name": "VariantName", "Value": "AllTraffic"},
                   {"Name": "EndpointName", "Value": "churn"}],
    "Period": 60, "EvaluationPeriods": 3, "Threshold": 500000.0,
    "ComparisonOperator": "GreaterThanThreshold",
}
MATH_DESCRIBED = {
    **OUTPUT_ONLY, "AlarmName": "errors", "ActionsEnabled": True, "OKActions": [],
    "AlarmActions": [], "InsufficientDataActions": [], "Dimensions": [], "EvaluationPeriods": 1,
    "DatapointsToAlarm": 1, "Threshold": 5.0, "ComparisonOperator": "GreaterThanThreshold",
    "TreatMissingData": "missing",
    "Metrics": [
        {"Id": "expr", "Expression": "100 * errors / invocations"},  # ReturnData absent = true
        {"Id": "invocations", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocations", "Dimensions": []},
            "Period": 300, "Stat": "Sum"}},
        {"Id": "errors", "ReturnData": False, "AccountId": "111111111111", "MetricStat": {
            "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocation5XXErrors"},
            "Period": 300, "Stat": "Sum"}},
    ],
}
BAND_DESCRIBED = {
    **OUTPUT_ONLY, "AlarmName": "band", "ActionsEnabled": True, "OKActions": [], "AlarmActions": [],
    "InsufficientDataActions": [], "Dimensions": [], "EvaluationPeriods": 1,
    "ComparisonOperator": "GreaterThanUpperThreshold", "ThresholdMetricId": "ad1",
    "Metrics": [
        {"Id": "m1", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocations", "Dimensions": []},
            "Period": 300, "Stat": "Sum"}},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": True},
    ],
}


def config(**values) -> AlarmConfig:
    return AlarmConfig.model_validate(values)


def spec(**values) -> dict:
    return desired_spec(config(**values), OWNER, SCOPE)


def errors(**values) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as raised:
        config(**values)
    return [(e["loc"], e["msg"]) for e in raised.value.errors()]


# --- the comparable form: what AWS returns equals what the config asks for ---------------

def test_single_metric_alarm_reads_back_equal_despite_aws_rewrites():
    desired = spec(description="p90 latency", metric=LATENCY, when="> 500000", evaluation_periods=3,
                   actions={"alarm": ["topic:ml-oncall", "arn:aws:sns:us-east-1:111111111111:a-first"]})
    # Reordered dimensions and actions, 500000.0, p90 as ExtendedStatistic, no DatapointsToAlarm,
    # no TreatMissingData, no ActionsEnabled, EvaluateLowSampleCountPercentile filled in.
    live = live_spec(LATENCY_DESCRIBED, dict(reversed(OWNER.items())), SCOPE)
    assert Alarms().comparable(live, desired) == desired
    assert desired["extended_statistic"] == "p90" and "statistic" not in desired
    assert desired["threshold"] == 500000 and desired["datapoints_to_alarm"] == 3


def test_output_only_fields_never_reach_the_comparable_form():
    live = live_spec(LATENCY_DESCRIBED, {}, SCOPE)
    assert not {"state", "arn", "alarm_arn", "evaluation_state"} & set(live)
    assert "2024-01-01T00:00:00Z" not in repr(live)


def test_math_alarm_reads_back_equal_with_metrics_in_canonical_order():
    desired = spec(**MATH)
    live = live_spec(MATH_DESCRIBED, OWNER, SCOPE)
    assert live == desired
    assert [m["id"] for m in desired["metrics"]] == ["errors", "expr", "invocations"]
    assert [m["return_data"] for m in desired["metrics"]] == [False, True, False]
    assert "namespace" not in live and "dimensions" not in live  # top-level `Dimensions: []` of a math alarm


def test_anomaly_band_alarm_has_threshold_metric_id_and_no_threshold():
    desired = spec(**BAND)
    assert live_spec(BAND_DESCRIBED, OWNER, SCOPE) == desired
    assert desired["threshold_metric_id"] == "ad1" and "threshold" not in desired
    assert desired["comparison"] == "GreaterThanUpperThreshold"
    band = next(m for m in desired["metrics"] if m["id"] == "ad1")
    assert band == {"id": "ad1", "return_data": True, "expression": "ANOMALY_DETECTION_BAND(m1, 2)"}


def test_a_threshold_reported_for_a_band_alarm_is_ignored():
    described = {**BAND_DESCRIBED, "Threshold": 0.0}
    assert "threshold" not in live_spec(described, OWNER, SCOPE)


def test_fractional_thresholds_and_deviations_keep_their_fraction():
    assert spec(metric=LATENCY, when="<= 0.5")["threshold"] == 0.5
    assert spec(metric=LATENCY, comparison=">=", threshold=5)["threshold"] == 5
    band = spec(**{**BAND, "anomaly_band": {"deviations": 2.5}})
    assert "ANOMALY_DETECTION_BAND(m1, 2.5)" in repr(band["metrics"])


def test_dimensions_are_an_empty_map_when_none_were_set():
    described = {**LATENCY_DESCRIBED, "Dimensions": []}
    assert live_spec(described, {}, SCOPE)["dimensions"] == {}
    assert spec(metric={**LATENCY, "dimensions": {}}, when="> 1")["dimensions"] == {}


def test_other_accounts_are_kept_and_the_own_account_is_implicit():
    metrics = {**MATH["metrics"], "errors": {**MATH["metrics"]["errors"], "account_id": "222222222222"}}
    desired = spec(**{**MATH, "metrics": metrics})
    assert desired["metrics"][0]["account_id"] == "222222222222"
    own = {**MATH["metrics"], "errors": {**MATH["metrics"]["errors"], "account_id": "111111111111"}}
    assert "account_id" not in spec(**{**MATH, "metrics": own})["metrics"][0]


def test_low_sample_count_setting_is_compared_only_when_configured():
    live = live_spec({**LATENCY_DESCRIBED, "EvaluateLowSampleCountPercentile": "ignore"}, {}, SCOPE)
    unconfigured = spec(metric=LATENCY, when="> 1")
    configured = spec(metric=LATENCY, when="> 1", evaluate_low_sample_count_percentile="evaluate")
    assert "evaluate_low_sample_count_percentile" not in Alarms().comparable(live, unconfigured)
    assert Alarms().comparable(live, configured)["evaluate_low_sample_count_percentile"] == "ignore"


def test_alarm_level_period_and_unit_are_defaults_for_the_metrics():
    metric = {k: v for k, v in LATENCY.items() if k != "period"} | {"unit": "Milliseconds"}
    desired = spec(metric=metric, period=300, unit="Seconds", when="> 1")
    assert (desired["period"], desired["unit"]) == (300, "Milliseconds")
    assert all(m.get("period") == 300 for m in spec(**MATH)["metrics"] if "namespace" in m)


def test_defaults_made_explicit_on_the_desired_side():
    desired = spec(metric=LATENCY, when="> 1")
    assert desired["treat_missing_data"] == "missing"
    assert desired["actions_enabled"] is True
    assert desired["datapoints_to_alarm"] == desired["evaluation_periods"] == 1
    assert desired["ok_actions"] == [] and "description" not in desired


def test_duplicate_actions_collapse_like_a_set():
    desired = spec(metric=LATENCY, when="> 1", actions={"ok": ["topic:ml-oncall", "topic:ml-oncall"]})
    assert desired["ok_actions"] == [TOPIC]


# --- requests ---------------------------------------------------------------------------

def test_put_request_of_a_single_metric_alarm():
    desired = spec(metric=LATENCY, when="> 500000", actions={"alarm": ["topic:ml-oncall"]})
    request = put_request("latency", desired)
    assert request["ExtendedStatistic"] == "p90" and "Statistic" not in request
    assert request["Threshold"] == 500000.0 and isinstance(request["Threshold"], float)
    assert request["Dimensions"] == [{"Name": "EndpointName", "Value": "churn"},
                                     {"Name": "VariantName", "Value": "AllTraffic"}]
    assert request["AlarmActions"] == [TOPIC]
    assert "Metrics" not in request and "AlarmDescription" not in request and "Tags" not in request


def test_put_request_of_math_and_band_alarms():
    math = put_request("errors", spec(**MATH))
    assert "Namespace" not in math and "Statistic" not in math
    assert math["Metrics"][0] == {"Id": "errors", "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocation5XXErrors", "Dimensions": []},
        "Period": 300, "Stat": "Sum"}}
    band = put_request("band", spec(**BAND))
    assert band["ThresholdMetricId"] == "ad1" and "Threshold" not in band
    assert {q["Id"]: q["ReturnData"] for q in band["Metrics"]} == {"ad1": True, "m1": True}


class RecordingClient:
    def __init__(self):
        self.calls = []

    def __getattr__(self, operation):
        return lambda **kwargs: self.calls.append((operation, kwargs))


ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:latency"


def apply_update(desired: dict, live: dict, live_tags: dict) -> list:
    client = RecordingClient()
    aws = SimpleNamespace(client=lambda service: client)
    Alarms().update(aws, Desired("latency", desired),
                    Live("latency", live, tags=live_tags, identity={"arn": ALARM_ARN}))
    return client.calls


def marker(desired: dict) -> dict[str, str]:
    """The last-applied marker tag an alarm gets with the spec `desired`."""
    return {APPLIED_TAG: Desired("latency", desired).applied}


def test_a_tag_only_change_does_not_rewrite_the_alarm():
    desired = spec(metric=LATENCY, when="> 1")
    live = {**desired, "tags": {**OWNER, "team": "x"}}
    calls = apply_update(desired, live, {**live["tags"], **marker(desired)})
    assert calls == [("untag_resource", {"ResourceARN": ALARM_ARN, "TagKeys": ["team"]})]


def test_update_rewrites_the_alarm_without_tags_and_keeps_what_aws_filled_in():
    desired = {**spec(metric=LATENCY, when="> 2"), "tags": {**OWNER, "team": "ml"}}
    live = {**spec(metric=LATENCY, when="> 1"), "evaluate_low_sample_count_percentile": "ignore"}
    calls = apply_update(desired, live, OWNER)
    assert [c[0] for c in calls] == ["put_metric_alarm", "tag_resource"]
    put = calls[0][1]
    assert put["Threshold"] == 2.0 and "Tags" not in put
    assert put["EvaluateLowSampleCountPercentile"] == "ignore"
    [(key, value)] = marker(desired).items()
    assert calls[1][1]["Tags"] == [{"Key": key, "Value": value}, {"Key": "team", "Value": "ml"}]


def test_create_sends_tags_and_the_marker_beside_the_spec():
    client = RecordingClient()
    desired = spec(metric=LATENCY, when="> 1")
    Alarms().create(SimpleNamespace(client=lambda service: client), Desired("latency", desired))
    [(key, value)] = marker(desired).items()
    assert client.calls[0][1]["Tags"] == [{"Key": key, "Value": value},
                                          {"Key": "obsctl:stack", "Value": "test"}]
    assert desired["tags"] == {"obsctl:stack": "test"}


# --- config validation ------------------------------------------------------------------

def test_when_shorthand():
    assert parse_when("> 500000") == ("GreaterThanThreshold", 500000)
    assert parse_when(">=0.5") == ("GreaterThanOrEqualToThreshold", 0.5)
    assert parse_when("< -1e3") == ("LessThanThreshold", -1000)
    for bad in ("=> 5", "> five", "5 >", "> 5 ms", "!= 1", ""):
        with pytest.raises(ValueError):
            parse_when(bad)


def test_comparison_short_forms_and_full_names_agree():
    assert spec(metric=LATENCY, comparison="<=", threshold=1)["comparison"] == "LessThanOrEqualToThreshold"
    assert spec(metric=LATENCY, comparison="LessThanThreshold", threshold=1)["comparison"] == "LessThanThreshold"
    assert errors(metric=LATENCY, comparison="GreaterThanUpperThreshold", threshold=1)[0][0] == ("comparison",)


@pytest.mark.parametrize("values, loc, message", [
    ({"metric": LATENCY}, (), "set `when`"),
    ({"metric": LATENCY, "when": "> 1", "threshold": 2}, (), "not both"),
    ({"metric": LATENCY, "comparison": ">"}, (), "`comparison` needs `threshold`"),
    ({"metric": LATENCY, "threshold": 1}, (), "`threshold` needs `comparison`"),
    ({"metric": LATENCY, "when": "about 5"}, ("when",), "like \"> 500000\""),
    ({"metric": LATENCY, "when": "> 1", "expression": "errors", "metrics": MATH["metrics"]}, (), "set either `metric`"),
    ({"when": "> 1"}, (), "set either `metric`"),
    ({"expression": "a + b", "when": "> 1", "period": 60}, (), "`expression` needs `metrics`"),
    ({**MATH, "expression": "errors / requests"}, ("expression",), "'requests' at column 10 is not a metric id defined in `metrics`"),
    ({**MATH, "metrics": {**MATH["metrics"], "expr": LATENCY}}, ("metrics",), "reserved"),
    ({**MATH, "metrics": {"Errors": LATENCY}}, ("metrics", "Errors", "[key]"), "pattern"),
    ({**MATH, "metrics": {f"m{i}": LATENCY for i in range(11)}, "expression": "m1"}, ("metrics",), "at most 10"),
    ({**MATH, "period": None}, (), "set `period` on the alarm or on `metrics.invocations`, `metrics.errors`"),
    ({"metric": {**LATENCY, "period": None}, "when": "> 1"}, (), "set `period` on the alarm or on `metric`"),
    ({"metric": {**LATENCY, "period": 45}, "when": "> 1"}, ("metric", "period"), "multiple of 60"),
    ({"metric": {**LATENCY, "stat": "median"}, "when": "> 1"}, ("metric", "stat"), "unknown statistic"),
    ({"metric": LATENCY, "when": "> 1", "evaluation_periods": 1441}, ("evaluation_periods",), "86400 s"),
    ({"metric": {**LATENCY, "period": 3600}, "when": "> 1", "evaluation_periods": 169}, ("evaluation_periods",), "604800 s"),
    ({"metric": LATENCY, "when": "> 1", "evaluation_periods": 0}, ("evaluation_periods",), "greater than or equal to 1"),
    ({"metric": LATENCY, "when": "> 1", "evaluation_periods": 2, "datapoints_to_alarm": 3}, ("datapoints_to_alarm",), "3 is more than evaluation_periods (2)"),
    ({**BAND, "when": "> 1"}, (), "remove when"),
    ({**MATH, "anomaly_band": {"deviations": 2}, "when": None}, (), "`anomaly_band` applies to one `metric`"),
    ({**BAND, "anomaly_band": {"direction": "sideways"}}, ("anomaly_band", "direction"), "'outside', 'above' or 'below'"),
    ({**BAND, "anomaly_band": {"deviations": 0}}, ("anomaly_band", "deviations"), "greater than 0"),
    ({"metric": {**LATENCY, "account_id": "222222222222"}, "when": "> 1"}, (), "needs metric math"),
    ({"metric": {**LATENCY, "stat": "Average"}, "when": "> 1", "evaluate_low_sample_count_percentile": "ignore"}, (), "percentile"),
    ({"metric": LATENCY, "when": "> 1", "description": "x" * 1025}, ("description",), "at most 1024"),
    ({"metric": LATENCY, "when": "> 1", "treat_missing_data": "zero"}, ("treat_missing_data",), "'missing'"),
    ({"metric": LATENCY, "when": "> 1", "actions": {"alarm": [TOPIC] * 6}}, ("actions", "alarm"), "at most 5"),
    ({"metric": {**LATENCY, "dimensions": {f"d{i}": "v" for i in range(31)}}, "when": "> 1"}, ("metric", "dimensions"), "at most 30"),
    ({"metric": LATENCY, "when": "> 1", "threshold_value": 1}, ("threshold_value",), "Extra inputs"),
    ({"metric": LATENCY, "comparison": ">", "threshold": float("nan")}, ("threshold",), "finite"),
])
def test_invalid_alarm_config(values, loc, message):
    values = {k: v for k, v in values.items() if v is not None}
    found = errors(**values)
    assert any(l == loc and message in m for l, m in found), found


def test_several_problems_of_one_alarm_are_reported_together():
    found = errors(metric={**LATENCY, "period": 45}, when="about 5", evaluation_periods=0)
    assert {loc for loc, _ in found} == {("metric", "period"), ("when",), ("evaluation_periods",)}


@pytest.mark.parametrize("name, valid", [
    ("churn-latency-p90", True), ("a" * 255, True), ("with spaces: and colons", True),
    ("", False), ("a" * 256, False), ("tab\there", False), ("new\nline", False),
])
def test_alarm_names(name, valid):
    from pydantic import TypeAdapter

    adapter = TypeAdapter(AlarmName)
    if valid:
        assert adapter.validate_python(name) == name
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(name)


# --- references -------------------------------------------------------------------------

def make_stack(alarms: dict, topics=("ml-oncall",)) -> Stack:
    config = SimpleNamespace(alarms={n: AlarmConfig.model_validate(a) for n, a in alarms.items()},
                             topics={t: object() for t in topics}, tags={})
    sources = {("alarms", n, "actions", state, i): Location("stack.yaml", 10 + i, 7)
               for n, a in alarms.items() for state, refs in a.get("actions", {}).items()
               for i, _ in enumerate(refs)}
    return Stack(name="test", config=config, sources=sources)


def test_dangling_topic_is_an_error_at_the_reference_with_a_hint():
    stack = make_stack({"latency": {"metric": LATENCY, "when": "> 1",
                                    "actions": {"alarm": ["topic:ml-oncall", "topic:ml-oncal"]}}})
    [diagnostic] = Alarms().check(stack)
    assert diagnostic.message == "topic 'ml-oncal' is not defined in `topics`"
    assert diagnostic.hint == "did you mean 'topic:ml-oncall'?"
    assert diagnostic.location == Location("stack.yaml", 11, 7)


def test_scaling_reference_to_an_undeclared_policy_is_an_error():
    # Valid references are covered in test_scaling_policies_unit.py.
    stack = make_stack({"latency": {"metric": LATENCY, "when": "> 1",
                                    "actions": {"alarm": ["scaling:churn-step-out"]}}})
    [diagnostic] = Alarms().check(stack)
    assert diagnostic.message == "scaling policy 'churn-step-out' is not defined in `scaling_policies`"


def test_band_alarms_cannot_have_auto_scaling_actions():
    policy = ("arn:aws:autoscaling:us-east-1:111111111111:scalingPolicy:1:resource/sagemaker/"
              "endpoint/churn/variant/AllTraffic:policyName/out")
    stack = make_stack({"band": {**BAND, "actions": {"alarm": [policy, "topic:ml-oncall"],
                                                     "ok": ["scaling:x"]}}})
    found = Alarms().check(stack)
    assert [d.message for d in found] == ["anomaly_band alarms cannot have Auto Scaling actions "
                                          "(CloudWatch rejects them)"] * 2


def test_valid_references_give_no_diagnostics():
    stack = make_stack({"latency": {"metric": LATENCY, "when": "> 1",
                                    "actions": {"alarm": ["topic:ml-oncall", TOPIC]}}})
    assert Alarms().check(stack) == []


def test_alarm_arn():
    assert alarm_arn("churn-latency", SCOPE) == \
        "arn:aws:cloudwatch:us-east-1:111111111111:alarm:churn-latency"

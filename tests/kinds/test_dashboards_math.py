"""Dashboards through the CLI against the emulator (issue 13 item 11): metric math in metric
widgets, a y axis with only a minimum (or maximum), and `alarm` widgets graphing one alarm,
generated alarms included."""

from __future__ import annotations

import json
import re

import pytest

from reconciler.emulator.seed import seed
from tests.helpers import (addresses, apply_ok, assert_converged, change, field_diffs,
                           plan_json, summary)

ACCOUNT, REGION = "123456789012", "us-east-1"

ERROR_RATE = """
stack: test
dashboards:
  churn:
    widgets:
      - type: metric
        title: 5xx error rate (%)
        metrics:
          - {id: errors, namespace: AWS/SageMaker, name: Invocation5XXErrors, stat: Sum,
             dimensions: {EndpointName: churn, VariantName: AllTraffic}, visible: false}
          - {id: invocations, namespace: AWS/SageMaker, name: Invocations, stat: Sum,
             dimensions: {EndpointName: churn, VariantName: AllTraffic}, visible: false}
          - {expression: "100 * errors / invocations", label: 5xx error rate}
        y_axis: {min: 0}
"""

ERROR_RATE_METRICS = [
    ["AWS/SageMaker", "Invocation5XXErrors", "EndpointName", "churn", "VariantName", "AllTraffic",
     {"stat": "Sum", "id": "errors", "visible": False}],
    ["AWS/SageMaker", "Invocations", "EndpointName", "churn", "VariantName", "AllTraffic",
     {"stat": "Sum", "id": "invocations", "visible": False}],
    [{"expression": "100 * errors / invocations", "label": "5xx error rate", "id": "e1"}],
]


def stored_body(boto, name: str) -> dict:
    return json.loads(boto("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])


def put_body(boto, name: str, body: dict) -> None:
    boto("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=json.dumps(body, indent=2))


# --- 1. metric math -----------------------------------------------------------------------

def test_error_rate_graph_from_metric_math_is_written_in_the_aws_shape_and_converges(
        obsctl, write_config, boto):
    path = write_config(ERROR_RATE)
    apply_ok(obsctl, path)
    [widget] = stored_body(boto, "churn")["widgets"]
    assert widget["properties"]["metrics"] == ERROR_RATE_METRICS
    assert widget["properties"]["yAxis"] == {"left": {"min": 0}}
    assert_converged(obsctl, path)


def test_an_expression_edited_in_the_console_is_a_diff_and_apply_puts_it_back(
        obsctl, write_config, boto):
    path = write_config(ERROR_RATE)
    apply_ok(obsctl, path)
    body = stored_body(boto, "churn")
    body["widgets"][0]["properties"]["metrics"][2][0]["expression"] = "errors / invocations"
    put_body(boto, "churn", body)

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["dashboards/churn"] and doc["summary"] == summary(update=1)
    before, after = field_diffs(change(doc, "dashboards/churn"))["body.widgets[0].properties.metrics"]
    assert before[2] == [{"expression": "errors / invocations", "label": "5xx error rate", "id": "e1"}]
    assert after == ERROR_RATE_METRICS

    apply_ok(obsctl, path)
    assert stored_body(boto, "churn")["widgets"][0]["properties"]["metrics"] == ERROR_RATE_METRICS
    assert_converged(obsctl, path)


def test_a_changed_expression_in_the_config_is_an_update_of_the_metrics(obsctl, write_config, boto):
    apply_ok(obsctl, write_config(ERROR_RATE))
    path = write_config(ERROR_RATE.replace('"100 * errors / invocations", label: 5xx error rate',
                                           '"errors / invocations", label: 5xx ratio, id: rate'))
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert doc["summary"] == summary(update=1)
    before, after = field_diffs(change(doc, "dashboards/churn"))["body.widgets[0].properties.metrics"]
    assert after[2] == [{"expression": "errors / invocations", "label": "5xx ratio", "id": "rate"}]
    apply_ok(obsctl, path)
    assert_converged(obsctl, path)


@pytest.mark.parametrize("old, new, line, message", [
    ("/ invocations", "/ invocatons", 13,
     "dashboards.churn.widgets[0].metrics[2].expression: 'invocatons' at column 16 is not the id "
     "of a metric or expression of this widget"),
    ("{id: invocations,", "{id: errors,", 11,
     "dashboards.churn.widgets[0].metrics[1].id: id 'errors' is used twice in this widget"),
    ("{id: errors,", "{id: Errors,", 9,
     "dashboards.churn.widgets[0].metrics[0].id: metric ids start with a lowercase letter"),
    ("/ invocations", "/ invocations)", 13,
     "dashboards.churn.widgets[0].metrics[2].expression: unexpected ')' at column 27"),
])
def test_bad_metric_math_fails_validation_at_its_line_with_no_api_call(
        old, new, line, message, obsctl, write_config):
    path = write_config(ERROR_RATE.replace(old, new, 1))
    result = obsctl("validate", path)
    assert result.exit_code == 1, result.stdout
    assert re.search(rf"{re.escape(path)}:{line}:\d+: (error: )?{re.escape(message)}", result.stderr), \
        result.stderr
    assert "Traceback" not in result.stderr
    plan = obsctl("plan", path)
    assert plan.exit_code == 1 and sum(plan.calls.values()) == 0, plan.calls


def test_expressions_naming_each_other_in_a_cycle_fail_validation(obsctl, write_config):
    path = write_config(ERROR_RATE.replace(
        '{expression: "100 * errors / invocations", label: 5xx error rate}',
        '{expression: "100 * b", id: a}\n'
        '          - {expression: "a / invocations", id: b}'))
    result = obsctl("validate", path)
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(path)}:13:\d+: error: "
                     r"dashboards.churn.widgets\[0\].metrics\[2\].expression: "
                     "expressions name each other in a cycle: a -> b -> a",
                     result.stderr), result.stderr


# --- 2. y axis with only a minimum or a maximum -------------------------------------------

Y_AXIS = """
stack: test
dashboards:
  latency:
    widgets:
      - type: metric
        metrics: [{namespace: AWS/SageMaker, name: ModelLatency, stat: p90}]
        y_axis: {min: 0}
"""


def test_y_axis_with_only_a_minimum_is_written_without_a_maximum_and_converges(
        obsctl, write_config, boto):
    path = write_config(Y_AXIS)
    apply_ok(obsctl, path)
    assert stored_body(boto, "latency")["widgets"][0]["properties"]["yAxis"] == {"left": {"min": 0}}
    assert_converged(obsctl, path)

    only_max = write_config(Y_AXIS.replace("{min: 0}", "{max: 100, label: ms, show_units: false}"))
    doc = plan_json(obsctl, only_max, "--detailed-exitcode", exit_codes=(2,))
    assert field_diffs(change(doc, "dashboards/latency")) == {
        "body.widgets[0].properties.yAxis.left.label": (None, "ms"),
        "body.widgets[0].properties.yAxis.left.max": (None, 100),
        "body.widgets[0].properties.yAxis.left.min": (0, None),
        "body.widgets[0].properties.yAxis.left.showUnits": (None, False)}
    apply_ok(obsctl, only_max)
    assert stored_body(boto, "latency")["widgets"][0]["properties"]["yAxis"] == {
        "left": {"max": 100, "label": "ms", "showUnits": False}}
    assert_converged(obsctl, only_max)


def test_a_maximum_added_in_the_console_is_drift(obsctl, write_config, boto):
    path = write_config(Y_AXIS)
    apply_ok(obsctl, path)
    body = stored_body(boto, "latency")
    body["widgets"][0]["properties"]["yAxis"]["left"]["max"] = 1000.0
    put_body(boto, "latency", body)
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert field_diffs(change(doc, "dashboards/latency")) == {
        "body.widgets[0].properties.yAxis.left.max": (1000, None)}


def test_a_gauge_still_needs_both_ends_of_its_axis(obsctl, write_config):
    path = write_config(Y_AXIS.replace("type: metric", "type: metric\n        view: gauge"))
    result = obsctl("validate", path)
    assert result.exit_code == 1
    assert "a gauge needs y_axis: {min, max}" in result.stderr, result.stderr


# --- 3. alarm widgets naming generated alarms ---------------------------------------------

GENERATED = """
stack: test
region: us-east-1
alarms:
  churn-latency:
    metric: {namespace: ML, name: Latency, stat: p90, period: 60}
    when: "> 500"
endpoint_monitors:
  all-prod:
    endpoints: {match: "prod-*"}
    latency_p90_ms: 500
model_monitors:
  churn-dq:
    endpoint: prod-churn
    type: data_quality
    schedule: hourly
    baseline: {constraints: s3://ml-monitoring/churn/constraints.json}
    output: s3://ml-monitoring/churn/reports
    role_arn: arn:aws:iam::123456789012:role/monitor
    drift_alarms:
      - {name: churn-drift-age, feature: age, threshold: 0.2}
dashboards:
  churn:
    region: eu-west-1
    widgets:
      - {type: alarm, title: Drift of age, alarm: churn-drift-age, y_axis: {min: 0}}
      - {type: alarm, alarm: prod-churn-AllTraffic-latency-p90}
      - {type: alarm_status, alarms: [churn-drift-age, prod-fraud-AllTraffic-latency-p90]}
"""


@pytest.fixture
def endpoints(aws):
    seed(aws.endpoint_url)  # prod-churn, prod-fraud, staging-churn


def arn(alarm: str) -> str:
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{alarm}"


def test_alarm_widgets_graph_generated_alarms_in_the_stack_account_and_region(
        obsctl, write_config, boto, endpoints):
    path = write_config(GENERATED)
    assert obsctl("validate", path).exit_code == 0
    apply_ok(obsctl, path)
    drift, latency, status = stored_body(boto, "churn")["widgets"]
    # The dashboard's default region (eu-west-1) is for metrics: an alarm graph is drawn in
    # the region the alarm lives in.
    assert drift["type"] == "metric"
    assert drift["properties"] == {
        "title": "Drift of age", "view": "timeSeries", "region": REGION,
        "annotations": {"alarms": [arn("churn-drift-age")]}, "yAxis": {"left": {"min": 0}}}
    assert latency["properties"]["annotations"] == {
        "alarms": [arn("prod-churn-AllTraffic-latency-p90")]}
    assert status["properties"]["alarms"] == [arn("churn-drift-age"),
                                              arn("prod-fraud-AllTraffic-latency-p90")]
    # Each ARN names an alarm the apply created.
    live = {a["AlarmArn"] for a in boto("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert {arn("churn-drift-age"), arn("prod-churn-AllTraffic-latency-p90")} <= live
    assert_converged(obsctl, path)


def test_a_renamed_generated_alarm_is_a_diff_of_the_widget_naming_it(
        obsctl, write_config, boto, endpoints):
    apply_ok(obsctl, write_config(GENERATED))
    path = write_config(GENERATED.replace("churn-drift-age", "churn-drift-age-v2"))
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    diffs = field_diffs(change(doc, "dashboards/churn"))
    assert diffs["body.widgets[0].properties.annotations.alarms"] == (
        [arn("churn-drift-age")], [arn("churn-drift-age-v2")])
    assert diffs["body.widgets[2].properties.alarms"][1][0] == arn("churn-drift-age-v2")
    apply_ok(obsctl, path)
    assert stored_body(boto, "churn")["widgets"][0]["properties"]["annotations"]["alarms"] == [
        arn("churn-drift-age-v2")]
    assert_converged(obsctl, path)


def test_an_alarm_widget_naming_an_alarm_nothing_generates_is_a_plan_error_with_no_write(
        obsctl, write_config, endpoints):
    path = write_config(GENERATED.replace("alarm: prod-churn-AllTraffic-latency-p90",
                                          "alarm: prod-gone-AllTraffic-latency-p90"))
    assert obsctl("validate", path).exit_code == 0  # endpoints are discovered at plan time
    result = obsctl("apply", path, "--auto-approve")
    assert result.exit_code == 1 and result.writes == 0, result.stdout
    assert "Traceback" not in result.stderr
    assert re.search(rf"{re.escape(path)}:27:\d+: alarm widget names unknown alarm "
                     "'prod-gone-AllTraffic-latency-p90'", result.stderr), result.stderr


def test_an_alarm_widget_cannot_graph_a_composite_alarm(obsctl, write_config):
    path = write_config("""
        stack: test
        alarms:
          churn-latency:
            metric: {namespace: ML, name: Latency, stat: p90, period: 60}
            when: "> 500"
        composite_alarms:
          churn-unhealthy: {rule: ALARM(churn-latency)}
        dashboards:
          churn:
            widgets:
              - {type: alarm, alarm: churn-unhealthy}
        """)
    result = obsctl("validate", path)
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(path)}:12:\d+: error: alarm widget names composite alarm "
                     "'churn-unhealthy'", result.stderr), result.stderr

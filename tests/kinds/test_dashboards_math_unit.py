"""Dashboards without AWS: metric math in metric widgets, y axes with one end, alarm graphs."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from reconciler.aws import Scope
from reconciler.config.stack import Stack
from reconciler.kinds.dashboards import (DashboardConfig, Dashboards, MetricWidget,
                                         comparable_body, expression_ids, metric_math_problems)
from reconciler.plan import diff_fields

SCOPE = Scope(region="us-east-1", account_id="123456789012")
KIND = Dashboards()
ERRORS = {"id": "errors", "namespace": "AWS/SageMaker", "name": "Invocation5XXErrors", "stat": "Sum",
          "visible": False}
INVOCATIONS = {"id": "invocations", "namespace": "AWS/SageMaker", "name": "Invocations", "stat": "Sum",
               "visible": False}


def make_stack(dashboards: dict, alarms=(), composites=()) -> Stack:
    config = SimpleNamespace(
        dashboards={name: DashboardConfig.model_validate(d) for name, d in dashboards.items()},
        alarms={name: object() for name in alarms},
        composite_alarms={name: object() for name in composites},
        region=None, tags={}, prune={})
    return Stack(name="test", config=config, sources={})


def rendered_widgets(*widgets: dict, scope=SCOPE, **dashboard) -> list[dict]:
    stack = make_stack({"d": {"widgets": list(widgets), **dashboard}})
    return KIND.desired(stack, scope)["d"].spec["body"]["widgets"]


def metric_widget(*metrics: dict, **fields) -> dict:
    return {"type": "metric", "metrics": list(metrics), **fields}


def entries(*metrics: dict) -> list:
    return MetricWidget.model_validate(metric_widget(*metrics)).metrics


# --- rendering metric math ----------------------------------------------------------------

def test_hidden_inputs_and_an_expression_render_in_the_aws_metrics_array_shape():
    [widget] = rendered_widgets(metric_widget(
        ERRORS, INVOCATIONS, {"expression": "100 * errors / invocations", "label": "5xx rate"}))
    assert widget["properties"]["metrics"] == [
        ["AWS/SageMaker", "Invocation5XXErrors", {"id": "errors", "stat": "Sum", "visible": False}],
        ["AWS/SageMaker", "Invocations", {"id": "invocations", "stat": "Sum", "visible": False}],
        [{"expression": "100 * errors / invocations", "id": "e1", "label": "5xx rate"}]]


def test_expressions_without_an_id_get_the_first_free_e_numbers_in_order():
    metrics = entries({"id": "e1", "namespace": "N", "name": "M"},
                      {"expression": "e1 * 2"}, {"expression": "e1 * 3", "id": "e3"},
                      {"expression": "e1 * 4"}, {"expression": "e3 + 1", "visible": False})
    assert expression_ids(metrics) == ["e1", "e2", "e3", "e4", "e5"]
    [widget] = rendered_widgets(metric_widget(*[m.model_dump(exclude_defaults=True) for m in metrics]))
    assert widget["properties"]["metrics"][-1] == [{"expression": "e3 + 1", "id": "e5", "visible": False}]


def test_a_visible_metric_without_id_renders_as_before():
    [widget] = rendered_widgets(metric_widget({"namespace": "N", "name": "M", "visible": True}))
    assert widget["properties"]["metrics"] == [["N", "M", {"stat": "Average"}]]


def test_metric_math_read_back_with_other_key_order_and_whitespace_compares_equal():
    desired = KIND.desired(make_stack({"d": {"widgets": [metric_widget(
        ERRORS, INVOCATIONS, {"expression": "100 * errors / invocations", "label": "rate"})],
    }}), SCOPE)["d"].spec
    body = json.loads(json.dumps(desired["body"]))
    for entry in body["widgets"][0]["properties"]["metrics"]:
        entry[-1] = dict(reversed(list(entry[-1].items())))
    text = json.dumps(body, indent=4)
    assert comparable_body(text) == desired
    assert diff_fields(comparable_body(text), desired) == []


# --- y axis ---------------------------------------------------------------------------------

@pytest.mark.parametrize("y_axis, rendered", [
    ({"min": 0}, {"left": {"min": 0}}),
    ({"max": 100.0}, {"left": {"max": 100}}),
    ({"min": -1, "max": 1}, {"left": {"min": -1, "max": 1}}),
    ({"label": "ms", "show_units": False}, {"left": {"label": "ms", "showUnits": False}}),
])
def test_y_axis_renders_only_what_the_config_sets(y_axis, rendered):
    [widget] = rendered_widgets(metric_widget({"namespace": "N", "name": "M"}, y_axis=y_axis))
    assert comparable_body({"yAxis": widget["properties"]["yAxis"]})["body"] == {"yAxis": rendered}


@pytest.mark.parametrize("y_axis, view, message", [
    ({}, "timeSeries", "give at least one of min, max"),
    ({"min": 5, "max": 5}, "timeSeries", "min must be below max"),
    ({"min": 0}, "gauge", "a gauge needs y_axis: {min, max}"),
    ({"max": 100}, "gauge", "a gauge needs y_axis: {min, max}"),
    ({"min": 0, "showUnits": False}, "timeSeries", "Extra inputs"),
])
def test_invalid_y_axis_is_rejected(y_axis, view, message):
    with pytest.raises(ValidationError, match=message.replace("{", r"\{").replace("}", r"\}")):
        MetricWidget.model_validate(metric_widget({"namespace": "N", "name": "M"}, view=view,
                                                  y_axis=y_axis))


# --- alarm graphs ---------------------------------------------------------------------------

def test_an_alarm_graph_is_a_metric_widget_in_the_stack_region_whatever_the_dashboard_default():
    [widget] = rendered_widgets({"type": "alarm", "alarm": "churn-latency", "title": "Latency",
                                 "y_axis": {"min": 0}, "width": 6}, region="eu-west-1")
    assert widget == {"type": "metric", "x": 0, "y": 0, "width": 6, "height": 6, "properties": {
        "title": "Latency", "view": "timeSeries", "region": "us-east-1",
        "annotations": {"alarms": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-latency"]},
        "yAxis": {"left": {"min": 0}}}}


def test_an_alarm_graph_by_arn_is_drawn_in_the_region_of_the_arn():
    arn = "arn:aws-cn:cloudwatch:cn-north-1:111111111111:alarm:churn latency"
    [widget] = rendered_widgets({"type": "alarm", "alarm": arn})
    assert widget["properties"] == {"view": "timeSeries", "region": "cn-north-1",
                                    "annotations": {"alarms": [arn]}}


def test_alarm_arns_follow_the_stack_partition_account_and_region():
    scope = Scope(region="cn-north-1", account_id="222222222222", partition="aws-cn")
    graph, status = rendered_widgets({"type": "alarm", "alarm": "a"},
                                     {"type": "alarm_status", "alarms": ["a"]}, scope=scope)
    arn = "arn:aws-cn:cloudwatch:cn-north-1:222222222222:alarm:a"
    assert graph["properties"]["annotations"]["alarms"] == [arn] == status["properties"]["alarms"]
    assert graph["properties"]["region"] == "cn-north-1"


def test_alarm_widgets_are_checked_against_the_stack_alarms():
    stack = make_stack({"d": {"widgets": [{"type": "alarm", "alarm": "churn-latncy"},
                                          {"type": "alarm", "alarm": "churn-unhealthy"},
                                          {"type": "alarm", "alarm": "churn-latency"}]}},
                       alarms=["churn-latency"], composites=["churn-unhealthy"])
    messages = sorted((d.message, d.hint) for d in KIND.check(stack))
    assert messages == [
        ("alarm widget names composite alarm 'churn-unhealthy', which has no metric to graph",
         "show it in an alarm_status widget"),
        ("alarm widget names unknown alarm 'churn-latncy'", "did you mean 'churn-latency'?")]


# --- checks across a widget's entries -------------------------------------------------------

def problems(*metrics: dict) -> list[tuple]:
    return [(p.path, p.message, p.hint) for p in metric_math_problems(entries(*metrics))]


def test_a_valid_error_rate_has_no_problems():
    assert problems(ERRORS, INVOCATIONS, {"expression": "100 * errors / invocations"},
                    {"expression": "SEARCH('{AWS/SageMaker} Invocations', 'Sum', 300)"},
                    {"expression": "SUM(METRICS())"}) == []


def test_an_expression_may_use_another_expression():
    assert problems(ERRORS, INVOCATIONS, {"id": "ratio", "expression": "errors / invocations",
                                          "visible": False},
                    {"expression": "100 * ratio"}) == []


def test_unknown_ids_are_named_with_their_column_and_a_suggestion():
    assert problems(ERRORS, {"expression": "erors + requests"}) == [
        ((1, "expression"), "'erors' at column 1 is not the id of a metric or expression of this "
                            "widget (ids: errors)", "did you mean 'errors'?"),
        ((1, "expression"), "'requests' at column 9 is not the id of a metric or expression of "
                            "this widget (ids: errors)", None)]


def test_an_expression_in_a_widget_without_ids_says_so():
    [(path, message, _)] = problems({"namespace": "N", "name": "M"}, {"expression": "m1 * 2"})
    assert message.endswith("(no entry of it has an `id`)")


def test_duplicate_ids_are_reported_at_the_second():
    assert problems(ERRORS, {**INVOCATIONS, "id": "errors"}) == [
        ((1, "id"), "id 'errors' is used twice in this widget (first by metrics[0]); ids must be "
                    "unique", None)]


@pytest.mark.parametrize("expressions, cycle", [
    ([("a", "a * 2")], "a -> a"),
    ([("a", "b + 1"), ("b", "c + 1"), ("c", "a + errors")], "a -> b -> c -> a"),
])
def test_expressions_using_each_other_in_a_cycle_are_reported_once(expressions, cycle):
    found = problems(ERRORS, *[{"id": i, "expression": e} for i, e in expressions])
    assert [(path, message) for path, message, _ in found] == [
        ((1, "expression"), f"expressions name each other in a cycle: {cycle}; CloudWatch cannot "
                            "draw any of them")]

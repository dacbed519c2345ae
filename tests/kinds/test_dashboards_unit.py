"""Dashboards without AWS: rendering, layout, the comparable form, validation, references."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from pydantic import TypeAdapter, ValidationError

from reconciler.aws import Scope
from reconciler.config.stack import Stack
from reconciler.diagnostics import Location, ObsctlError
from reconciler.kinds import apply_order
from reconciler.kinds.base import Desired
from reconciler.kinds.dashboards import (
    DashboardConfig,
    DashboardName,
    Dashboards,
    comparable_body,
    layout,
)
from reconciler.plan import diff_fields

SCOPE = Scope(region="us-east-1", account_id="123456789012")
KIND = Dashboards()


def make_stack(dashboards: dict, alarms=(), sources=None) -> Stack:
    config = SimpleNamespace(
        dashboards={name: DashboardConfig.model_validate(d) for name, d in dashboards.items()},
        alarms={name: object() for name in alarms}, composite_alarms=None,
        region=None, tags={}, prune={})
    return Stack(name="test", config=config, sources=sources or {})


def rendered(dashboard: dict, **stack_args) -> dict:
    return KIND.desired(make_stack({"d": dashboard}, **stack_args), SCOPE)["d"].spec["body"]


# --- rendering ------------------------------------------------------------------------

def test_cross_region_cross_account_metric_widget_renders_compact_metric_arrays():
    body = rendered({"widgets": [{
        "type": "metric", "title": "Latency", "region": "eu-west-1", "account_id": "111111111111",
        "view": "singleValue", "period": 60,
        "metrics": [
            {"namespace": "AWS/SageMaker", "name": "ModelLatency", "stat": "p90",
             "dimensions": {"VariantName": "AllTraffic", "EndpointName": "churn"}},
            {"namespace": "AWS/SageMaker", "name": "Invocations", "stat": "Sum", "period": 300,
             "account_id": "222222222222", "label": "calls"},
        ],
        "annotations": {"horizontal": [{"value": 500000, "label": "SLO"}]},
    }]})
    assert body["widgets"] == [{
        "type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
        "properties": {
            "title": "Latency", "region": "eu-west-1", "view": "singleValue", "period": 60,
            "metrics": [
                # dimensions sorted by name; the widget's account goes to each metric
                ["AWS/SageMaker", "ModelLatency", "EndpointName", "churn", "VariantName", "AllTraffic",
                 {"stat": "p90", "accountId": "111111111111"}],
                # a metric's own account wins over the widget's
                ["AWS/SageMaker", "Invocations",
                 {"stat": "Sum", "period": 300, "label": "calls", "accountId": "222222222222"}],
            ],
            "annotations": {"horizontal": [{"value": 500000, "label": "SLO"}]},
        },
    }]


def test_logs_widget_names_its_log_groups_as_sources_in_the_query():
    body = rendered({"region": "us-west-2", "widgets": [{
        "type": "logs", "title": "Errors", "view": "timeSeries",
        "log_groups": ["/aws/sagemaker/Endpoints/churn", "/app/api"],
        "query": "filter @message like /Error/ | stats count(*) by bin(1h)"}]})
    assert body["widgets"][0]["type"] == "log"
    assert body["widgets"][0]["properties"] == {
        "title": "Errors", "region": "us-west-2", "view": "timeSeries",
        "query": "SOURCE '/aws/sagemaker/Endpoints/churn' | SOURCE '/app/api' | "
                 "filter @message like /Error/ | stats count(*) by bin(1h)",
    }


def test_alarm_status_widget_lists_alarm_arns_in_the_stack_region():
    other = "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:elsewhere"
    body = rendered({"widgets": [{"type": "alarm_status", "title": "Health",
                                  "alarms": ["churn-latency-p90", other]}]},
                    alarms=["churn-latency-p90"])
    assert body["widgets"][0]["type"] == "alarm"
    assert body["widgets"][0]["properties"] == {
        "title": "Health",
        "alarms": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-latency-p90", other],
    }


def test_dashboard_defaults_apply_to_widgets_and_stack_region_is_the_fallback():
    body = rendered({"period": 300, "start": "-PT6H", "widgets": [
        {"type": "metric", "metrics": [{"namespace": "N", "name": "M"}]},
        {"type": "text", "markdown": "# Runbook"},
    ]})
    assert body["start"] == "-PT6H"
    metric, text = body["widgets"]
    assert metric["properties"] == {"region": "us-east-1", "view": "timeSeries", "period": 300,
                                    "metrics": [["N", "M", {"stat": "Average"}]]}
    assert text["properties"] == {"markdown": "# Runbook"}


def test_gauge_renders_its_left_axis_range():
    body = rendered({"widgets": [{"type": "metric", "view": "gauge", "y_axis": {"min": 0, "max": 100},
                                  "metrics": [{"namespace": "N", "name": "M"}]}]})
    assert body["widgets"][0]["properties"]["yAxis"] == {"left": {"min": 0, "max": 100}}


def test_layout_fills_rows_of_24_columns_left_to_right_then_top_to_bottom():
    widgets = DashboardConfig.model_validate({"widgets": [
        {"type": "text", "markdown": "a"},
        {"type": "text", "markdown": "b", "height": 8},
        {"type": "text", "markdown": "c", "width": 24},
        {"type": "text", "markdown": "d", "width": 6, "height": 3},
        {"type": "text", "markdown": "pinned", "x": 18, "y": 40, "width": 6},
        {"type": "text", "markdown": "e", "width": 18},
    ]}).widgets
    assert layout(widgets) == [
        {"x": 0, "y": 0, "width": 12, "height": 6},
        {"x": 12, "y": 0, "width": 12, "height": 8},
        {"x": 0, "y": 8, "width": 24, "height": 6},  # the row is as tall as its tallest widget
        {"x": 0, "y": 14, "width": 6, "height": 3},
        {"x": 18, "y": 40, "width": 6, "height": 6},  # explicit position kept as given
        {"x": 6, "y": 14, "width": 18, "height": 6},
    ]


def test_rendering_is_deterministic():
    dashboard = {"widgets": [{"type": "metric", "metrics": [
        {"namespace": "N", "name": "M", "dimensions": {"b": "2", "a": "1"}}]}] * 3}
    assert json.dumps(rendered(dashboard)) == json.dumps(rendered(dashboard))


# --- the comparable form: what reads back differently compares equal ----------------------

HIGH_LEVEL = {"widgets": [
    {"type": "metric", "title": "Latency", "metrics": [{"namespace": "N", "name": "M", "stat": "p90"}],
     "annotations": {"horizontal": [{"value": 5.0}]}},
    {"type": "logs", "log_groups": ["/lg"], "query": "fields @message"},
]}


def test_read_back_with_other_key_order_whitespace_and_doubles_compares_equal():
    desired = KIND.desired(make_stack({"d": HIGH_LEVEL}), SCOPE)["d"].spec
    widgets = desired["body"]["widgets"]
    # What another writer (console, CDK) could store for the same dashboard: keys reversed,
    # pretty-printed, whole numbers as doubles.
    reordered = {"widgets": [dict(reversed(list(w.items()))) for w in widgets]}
    reordered["widgets"][0]["properties"]["annotations"]["horizontal"][0]["value"] = 5.0
    text = json.dumps(reordered, indent=4).replace('"x": 0', '"x": 0.0').replace('"width": 12', '"width": 12.0')
    assert '"x": 0.0' in text and '"width": 12.0' in text
    assert comparable_body(text) == desired
    assert diff_fields(comparable_body(text), desired) == []


def test_raw_body_as_json_string_or_mapping_compares_equal():
    mapping = {"start": "-PT3H", "widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "hi"}},
        {"type": "metric", "x": 0, "y": 2, "width": 12, "height": 6,
         "properties": {"region": "us-east-1", "period": 60.0, "metrics": [["N", "M"]]}}]}
    string = json.dumps(mapping, indent=2, sort_keys=True)
    from_mapping = KIND.desired(make_stack({"d": {"body": mapping}}), SCOPE)["d"].spec
    from_string = KIND.desired(make_stack({"d": {"body": string}}), SCOPE)["d"].spec
    assert from_mapping == from_string
    assert from_mapping["body"]["widgets"][1]["properties"]["period"] == 60
    live = comparable_body(json.dumps(mapping, separators=(",", ":")))
    assert live == from_mapping


def test_a_real_change_is_reported_at_the_widget_field():
    desired = KIND.desired(make_stack({"d": HIGH_LEVEL}), SCOPE)["d"].spec
    live_body = json.loads(json.dumps(desired["body"]))
    live_body["widgets"][0]["properties"]["title"] = "Latency (edited in console)"
    changes = diff_fields(comparable_body(json.dumps(live_body)), desired)
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("body.widgets[0].properties.title", "Latency (edited in console)", "Latency")]


# --- validation ---------------------------------------------------------------------------

METRIC = {"namespace": "N", "name": "M"}


@pytest.mark.parametrize("config, message", [
    ({}, "exactly one of `widgets` or `body`"),
    ({"widgets": [], "body": {"widgets": []}}, "exactly one of `widgets` or `body`"),
    ({"body": {"widgets": []}, "region": "us-east-1"}, "put them in the body"),
    ({"body": '{"widgets": ['}, "not valid JSON"),
    ({"body": "[]"}, "`widgets` list"),
    ({"body": {"start": "-PT1H"}}, "`widgets` list"),
    ({"body": {"widgets": [1]}}, "must be an object"),
    ({"body": {"widgets": [{"type": "text", "properties": {"markdown": float("nan")}}]}}, "plain JSON"),
    ({"body": {"widgets": [{"type": "text"}] * 501}}, "at most 500"),
    ({"body": {"widgets": [{"type": "metric", "properties": {"metrics": [["N", "M"]] * 501}}]}},
     "more than 500 metrics"),
    ({"body": {"widgets": [{"type": "metric", "properties": {"metrics": [["N", "M"]] * 500}}] * 6}},
     "at most 2500 per dashboard"),
    ({"widgets": [{"type": "text", "markdown": "x"}] * 501}, "at most 500 items"),
    ({"widgets": [{"type": "metric", "metrics": [METRIC] * 501}]}, "at most 500 items"),
    ({"widgets": [{"type": "metric", "metrics": [METRIC] * 500}] * 6}, "at most 2500"),
    ({"widgets": [{"type": "metric", "metrics": []}]}, "at least 1 item"),
    ({"widgets": [{"type": "metric", "metrics": [{**METRIC, "unit": "Count"}]}]}, "take no unit"),
    ({"widgets": [{"type": "metric", "account_id": "1234", "metrics": [METRIC]}]}, "pattern"),
    ({"widgets": [{"type": "metric", "region": "mars-1", "metrics": [METRIC]}]}, "pattern"),
    ({"widgets": [{"type": "metric", "period": 45, "metrics": [METRIC]}]}, "multiple of 60"),
    ({"widgets": [{"type": "metric", "view": "gauge", "metrics": [METRIC]}]}, "a gauge needs y_axis"),
    ({"widgets": [{"type": "metric", "view": "line", "metrics": [METRIC]}]}, "timeSeries"),
    ({"widgets": [{"type": "metric", "metircs": [METRIC]}]}, "Extra inputs"),
    ({"widgets": [{"type": "graph"}]}, "does not match any of the expected tags"),
    ({"widgets": [{"type": "text", "markdown": "x", "x": 3}]}, "both x and y"),
    ({"widgets": [{"type": "text", "markdown": "x", "x": 20, "y": 0, "width": 6}]}, "24-column grid"),
    ({"widgets": [{"type": "text", "markdown": "x", "width": "12"}]}, "valid integer"),
    ({"widgets": [{"type": "logs", "log_groups": [], "query": "fields @message"}]}, "at least 1 item"),
    ({"widgets": [{"type": "logs", "log_groups": ["it's"], "query": "q"}]}, "pattern"),
    ({"widgets": [{"type": "alarm_status", "alarms": []}]}, "at least 1 item"),
    ({"widgets": [], "start": "6 hours ago"}, "pattern"),
])
def test_invalid_config_is_rejected(config, message):
    with pytest.raises(ValidationError) as error:
        DashboardConfig.model_validate(config)
    assert message in str(error.value)


@pytest.mark.parametrize("name, valid", [
    ("ml-overview_2", True), ("x" * 255, True), ("", False), ("x" * 256, False),
    ("ml overview", False), ("ml.overview", False), ("ml/overview", False),
])
def test_dashboard_names(name, valid):
    adapter = TypeAdapter(DashboardName)
    if valid:
        assert adapter.validate_python(name) == name
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(name)


def test_dangling_alarm_reference_is_reported_at_its_location():
    where = Location("stack.yaml", 9, 31)
    stack = make_stack(
        {"d": {"widgets": [{"type": "alarm_status",
                            "alarms": ["churn-latency", "churn-latncy-p90",
                                       "arn:aws:cloudwatch:us-east-1:111111111111:alarm:x"]}]}},
        alarms=["churn-latency", "churn-latency-p90"],
        sources={("dashboards", "d", "widgets", 0, "alarms", 1): where})
    [diagnostic] = KIND.check(stack)
    assert diagnostic.location == where
    assert "churn-latncy-p90" in diagnostic.message
    assert diagnostic.hint == "did you mean 'churn-latency-p90'?"


def test_alarm_references_resolve_against_composite_alarms_too():
    stack = make_stack({"d": {"widgets": [{"type": "alarm_status", "alarms": ["churn-unhealthy"]}]}})
    stack.config.composite_alarms = {"churn-unhealthy": object()}
    assert KIND.check(stack) == []


# --- apply --------------------------------------------------------------------------------

def test_dashboards_are_applied_after_the_alarms_their_widgets_name():
    order = apply_order({"dashboards", "alarms", "composite_alarms"})
    assert order.index("dashboards") > max(order.index("alarms"), order.index("composite_alarms"))


class FakeCloudWatch:
    def __init__(self, messages):
        self.messages, self.bodies = messages, {}

    def put_dashboard(self, DashboardName, DashboardBody):
        self.bodies[DashboardName] = DashboardBody
        return {"DashboardValidationMessages": self.messages}


def test_put_dashboard_validation_messages_are_an_error():
    cloudwatch = FakeCloudWatch([{"DataPath": "/widgets/0/properties/metrics", "Message": "Should NOT be empty"}])
    aws = SimpleNamespace(client=lambda service: cloudwatch)
    desired = Desired("d", comparable_body({"widgets": []}))
    with pytest.raises(ObsctlError, match="PutDashboard d: /widgets/0/properties/metrics: Should NOT be empty"):
        KIND.create(aws, desired)


def test_put_dashboard_sends_the_desired_body():
    cloudwatch = FakeCloudWatch([])
    aws = SimpleNamespace(client=lambda service: cloudwatch)
    desired = KIND.desired(make_stack({"d": HIGH_LEVEL}), SCOPE)["d"]
    KIND.update(aws, desired, live=None)
    assert comparable_body(cloudwatch.bodies["d"]) == desired.spec

"""CloudWatch dashboards through the CLI against the emulator."""

from __future__ import annotations

import json
import re
from tests.helpers import (addresses, assert_converged, change, field_diffs, plan_json,
                           summary)

CONFIG = """
stack: test
dashboards:
  ml-overview:
    start: -PT6H
    widgets:
      - type: metric
        title: Latency
        region: eu-west-1
        account_id: "111111111111"
        metrics:
          - namespace: AWS/SageMaker
            name: ModelLatency
            dimensions: {VariantName: AllTraffic, EndpointName: churn}
            stat: p90
        annotations: {horizontal: [{value: 500000.0, label: SLO}]}
      - type: logs
        title: Errors
        log_groups: [/aws/sagemaker/Endpoints/churn, /app/api]
        query: "filter @message like /Error/ | stats count(*) by bin(1h)"
      - {type: text, markdown: "Managed by obsctl", width: 24, height: 2}
  ml-raw:
    body: '{"widgets": [{"type": "text", "x": 0, "y": 0, "width": 24, "height": 3,
            "properties": {"markdown": "raw"}}]}'
"""


def stored_body(boto, name: str) -> dict:
    return json.loads(boto("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])


def test_apply_then_plan_is_empty_and_second_apply_writes_nothing(obsctl, write_config, boto):
    path = write_config(CONFIG)
    first = obsctl("apply", path, "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    assert "+ dashboards/ml-overview: created" in first.stdout
    assert "+ dashboards/ml-raw: created" in first.stdout

    assert_converged(obsctl, path)
    assert stored_body(boto, "ml-raw")["widgets"][0]["properties"] == {"markdown": "raw"}


def test_cross_region_cross_account_metric_widget_and_logs_widget(obsctl, write_config, boto):
    assert obsctl("apply", write_config(CONFIG), "--auto-approve").exit_code == 0
    body = stored_body(boto, "ml-overview")
    assert body["start"] == "-PT6H"
    metric, logs, text = body["widgets"]
    assert (metric["type"], metric["x"], metric["y"], metric["width"], metric["height"]) == ("metric", 0, 0, 12, 6)
    assert metric["properties"]["region"] == "eu-west-1"
    assert metric["properties"]["metrics"] == [
        ["AWS/SageMaker", "ModelLatency", "EndpointName", "churn", "VariantName", "AllTraffic",
         {"stat": "p90", "accountId": "111111111111"}]]
    assert (logs["type"], logs["x"], logs["y"]) == ("log", 12, 0)
    assert logs["properties"] == {
        "title": "Errors", "region": "us-east-1", "view": "table",
        "query": "SOURCE '/aws/sagemaker/Endpoints/churn' | SOURCE '/app/api' | "
                 "filter @message like /Error/ | stats count(*) by bin(1h)"}
    assert (text["x"], text["y"], text["width"], text["height"]) == (0, 6, 24, 2)


def test_body_rewritten_with_other_key_order_whitespace_and_doubles_is_not_drift(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    for name in ("ml-overview", "ml-raw"):
        body = stored_body(boto, name)
        body["widgets"] = [dict(reversed(list(w.items()))) for w in body["widgets"]]
        text = json.dumps(dict(reversed(list(body.items()))), indent=3)
        text = re.sub(r'"(x|y|width|height|value)": (\d+)', r'"\1": \2.0', text)
        boto("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=text)

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(0,))
    assert doc["changes"] == [] and doc["summary"] == summary()


def test_out_of_band_edit_shows_as_the_changed_widget_field(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    body = stored_body(boto, "ml-overview")
    body["widgets"][0]["properties"]["title"] = "Edited in console"
    boto("cloudwatch").put_dashboard(DashboardName="ml-overview", DashboardBody=json.dumps(body))

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["dashboards/ml-overview"]
    assert field_diffs(change(doc, "dashboards/ml-overview")) == {
        "body.widgets[0].properties.title": ("Edited in console", "Latency")}
    assert doc["summary"] == summary(update=1)

    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert stored_body(boto, "ml-overview")["widgets"][0]["properties"]["title"] == "Latency"
    assert obsctl("plan", path, "--detailed-exitcode").exit_code == 0


def test_target_limits_the_plan(obsctl, write_config):
    doc = plan_json(obsctl, write_config(CONFIG), "--target", "dashboards/ml-raw",
                    exit_codes=(0,))
    assert addresses(doc, "create") == ["dashboards/ml-raw"]
    assert doc["summary"] == summary(create=1)


def test_bodies_are_read_only_for_declared_or_prunable_dashboards_and_prune_keeps_to_patterns(
        obsctl, write_config, boto):
    path = write_config("prune: {dashboards: [ml-*]}\n" + CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    for name in ("ml-old", "team-x", "other"):
        boto("cloudwatch").put_dashboard(DashboardName=name, DashboardBody='{"widgets": []}')

    plan = obsctl("plan", path, "--prune", "--format", "json")
    assert plan.calls["cloudwatch.GetDashboard"] == 3, plan.calls  # ml-overview, ml-raw, ml-old
    doc = json.loads(plan.stdout)
    assert addresses(doc) == ["dashboards/ml-old"]  # team-x and other match no prune pattern
    assert change(doc, "dashboards/ml-old")["action"] == "delete"

    assert obsctl("apply", path, "--auto-approve", "--prune").exit_code == 0
    names = {d["DashboardName"] for d in boto("cloudwatch").list_dashboards()["DashboardEntries"]}
    assert names == {"ml-overview", "ml-raw", "team-x", "other"}


def test_alarm_status_widget_points_at_the_stack_alarms(obsctl, write_config, boto):
    path = write_config("""
        stack: test
        alarms:
          churn-latency-p90:
            metric: {namespace: AWS/SageMaker, name: ModelLatency, dimensions: {EndpointName: churn},
                     stat: p90, period: 60}
            when: "> 500000"
            evaluation_periods: 3
        composite_alarms:
          churn-unhealthy:
            rule: ALARM(churn-latency-p90)
        dashboards:
          ml-alarms:
            widgets:
              - {type: alarm_status, title: Health, alarms: [churn-latency-p90, churn-unhealthy]}
        """)
    applied = obsctl("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    alarms = boto("cloudwatch").describe_alarms(AlarmNames=["churn-latency-p90", "churn-unhealthy"],
                                                AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    [metric_alarm], [composite] = alarms["MetricAlarms"], alarms["CompositeAlarms"]
    widget = stored_body(boto, "ml-alarms")["widgets"][0]
    assert widget["type"] == "alarm"
    assert widget["properties"] == {"title": "Health",
                                    "alarms": [metric_alarm["AlarmArn"], composite["AlarmArn"]]}
    assert obsctl("plan", path, "--detailed-exitcode").exit_code == 0


def test_dangling_alarm_reference_fails_validation_with_its_location(obsctl, write_config):
    path = write_config("""
        stack: test
        dashboards:
          ml-alarms:
            widgets:
              - type: alarm_status
                alarms: [nope]
        """)
    result = obsctl("validate", path)
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(path)}:\d+:\d+: error: .*unknown alarm 'nope'", result.stderr), result.stderr

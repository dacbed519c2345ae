"""Drift (AWS changed outside obsctl) told apart from config changes, with no state file:
the `obsctl:applied` marker tag records what each resource was last applied from."""

from __future__ import annotations

import json

CONFIG = """
stack: test
alarms:
  latency:
    metric: {namespace: ML, name: Latency, stat: p90, period: 60}
    when: "> 500"
"""


def cause_of(obsctl, path) -> dict:
    result = obsctl("plan", path, "--format", "json")
    return {c["name"]: c["cause"] for c in json.loads(result.stdout)["changes"]}


def put_threshold(boto, threshold):
    boto("cloudwatch").put_metric_alarm(
        AlarmName="latency", Namespace="ML", MetricName="Latency", ExtendedStatistic="p90",
        Period=60, EvaluationPeriods=1, DatapointsToAlarm=1, Threshold=threshold,
        ComparisonOperator="GreaterThanThreshold")


def test_console_edit_is_drift_config_edit_is_config_both_is_both(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0

    put_threshold(boto, 900)  # someone edits the alarm in the console
    assert cause_of(obsctl, path) == {"latency": "drift"}
    text = obsctl("plan", path).stdout
    assert "(drifted: changed outside obsctl since the last apply)" in text
    assert "⚠️ **1 drifted**" in obsctl("plan", path, "--format", "markdown").stdout

    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    edited = write_config(CONFIG.replace("> 500", "> 700"))
    assert cause_of(obsctl, edited) == {"latency": "config"}  # a pull request changes it

    put_threshold(boto, 900)
    assert cause_of(obsctl, edited) == {"latency": "config+drift"}

    assert obsctl("apply", edited, "--auto-approve").exit_code == 0
    assert obsctl("plan", edited, "--detailed-exitcode").exit_code == 0


def test_the_marker_is_never_shown_as_a_change(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    arn = boto("cloudwatch").describe_alarms(AlarmNames=["latency"])["MetricAlarms"][0]["AlarmArn"]
    boto("cloudwatch").untag_resource(ResourceARN=arn, TagKeys=["obsctl:applied"])
    plan = obsctl("plan", path, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout  # no marker: cause unknown, and nothing to change


def test_plans_never_show_the_marker(obsctl, write_config, boto):
    path = write_config(CONFIG)
    created = obsctl("plan", path, "--format", "json")
    assert "obsctl:applied" not in created.stdout
    assert "obsctl:applied" not in obsctl("plan", path).stdout
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    put_threshold(boto, 900)
    assert "obsctl:applied" not in obsctl("plan", path, "--format", "markdown").stdout

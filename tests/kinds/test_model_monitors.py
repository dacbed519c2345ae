"""Model monitors (scenario 2, drift -> SNS) through the CLI against the emulator."""

from __future__ import annotations

import pytest

from reconciler.emulator.seed import seed
from tests.helpers import (addresses, apply_ok, assert_no_changes, change, field_diffs, plan_json,
                           summary, without_marker)

CONFIG = """
stack: test
topics:
  ds-team: {}
model_monitors:
  churn-dq:
    endpoint: prod-churn
    type: data_quality
    schedule: hourly
    baseline:
      statistics: s3://ml-monitoring/churn/statistics.json
      constraints: s3://ml-monitoring/churn/constraints.json
    output: s3://ml-monitoring/churn/reports
    role_arn: arn:aws:iam::123456789012:role/monitor
    instance_count: INSTANCES
    drift_alarms:
      - {feature: age, threshold: 0.2, evaluation_periods: 3, actions: {alarm: [topic:ds-team]}}
"""


@pytest.fixture
def endpoints(aws):
    seed(aws.endpoint_url)  # prod-churn, prod-fraud, staging-churn


def config(write_config, instances: int = 1, **replace) -> str:
    text = CONFIG.replace("INSTANCES", str(instances))
    for old, new in replace.items():
        text = text.replace(old, new)
    return write_config(text)


def definition_names(sagemaker) -> list[str]:
    return [d["MonitoringJobDefinitionName"]
            for d in sagemaker.list_data_quality_job_definitions()["JobDefinitionSummaries"]]


def test_apply_creates_schedule_definition_and_drift_alarm_then_plan_is_empty(
        obsctl, write_config, boto, endpoints):
    path = config(write_config)
    first = apply_ok(obsctl, path)
    assert "+ model_monitors/churn-dq: created" in first.stdout
    assert "+ alarms/churn-dq-drift-age: created" in first.stdout
    assert_no_changes(obsctl, path)
    again = apply_ok(obsctl, path)
    assert again.writes == 0, again.calls

    sagemaker = boto("sagemaker")
    schedule = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")
    assert schedule["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    assert schedule["EndpointName"] == "prod-churn"
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=schedule["MonitoringScheduleArn"])["Tags"]}
    assert without_marker(tags) == {"obsctl:stack": "test"}
    assert definition_names(sagemaker) == [schedule["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]]

    alarm = boto("cloudwatch").describe_alarms(AlarmNames=["churn-dq-drift-age"])["MetricAlarms"][0]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "aws/sagemaker/Endpoints/data-metrics", "feature_baseline_drift_age", "Sum")
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
        "Endpoint": "prod-churn", "MonitoringSchedule": "churn-dq"}
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["EvaluationPeriods"], alarm["Period"]) == (
        0.2, "GreaterThanThreshold", 3, 3600)
    assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:ds-team"]


def test_plan_shows_the_generated_alarm_with_its_origin(obsctl, write_config, endpoints):
    doc = plan_json(obsctl, config(write_config), exit_codes=(0,))
    generated = change(doc, "alarms/churn-dq-drift-age")
    assert (generated["action"], generated["origin"]) == ("create", "model_monitors.churn-dq")


def test_schedule_changed_out_of_band_is_a_field_diff(obsctl, write_config, boto, endpoints):
    path = config(write_config)
    apply_ok(obsctl, path)
    sagemaker = boto("sagemaker")
    current = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")["MonitoringScheduleConfig"]
    current["ScheduleConfig"]["ScheduleExpression"] = "cron(0 0 ? * * *)"
    sagemaker.update_monitoring_schedule(MonitoringScheduleName="churn-dq", MonitoringScheduleConfig=current)

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["model_monitors/churn-dq"]
    assert field_diffs(change(doc, "model_monitors/churn-dq")) == {
        "schedule": ("cron(0 0 ? * * *)", "cron(0 * ? * * *)")}
    assert doc["summary"] == summary(update=1)
    fixed = apply_ok(obsctl, path)
    assert fixed.calls["sagemaker.UpdateMonitoringSchedule"] == 1
    assert_no_changes(obsctl, path)


def test_definition_change_makes_a_new_definition_and_deletes_the_old(obsctl, write_config, boto, endpoints):
    apply_ok(obsctl, config(write_config))
    sagemaker = boto("sagemaker")
    [old] = definition_names(sagemaker)

    path = config(write_config, instances=2)
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["model_monitors/churn-dq"]
    monitor = change(doc, "model_monitors/churn-dq")
    assert field_diffs(monitor) == {"job_definition.instance_count": (1, 2)}
    assert monitor["cause"] == "config"
    result = apply_ok(obsctl, path)
    assert result.calls["sagemaker.CreateDataQualityJobDefinition"] == 1
    assert result.calls["sagemaker.DeleteDataQualityJobDefinition"] == 1

    [new] = definition_names(sagemaker)
    assert new != old and new.startswith("churn-dq-")
    config_now = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")["MonitoringScheduleConfig"]
    assert config_now["MonitoringJobDefinitionName"] == new
    described = sagemaker.describe_data_quality_job_definition(JobDefinitionName=new)
    assert described["JobResources"]["ClusterConfig"]["InstanceCount"] == 2
    assert_no_changes(obsctl, path)


def test_a_definition_left_by_a_failed_apply_is_cleaned_up(obsctl, write_config, boto, endpoints):
    path = config(write_config)
    apply_ok(obsctl, path)
    sagemaker = boto("sagemaker")
    [current] = definition_names(sagemaker)
    # What a run that failed between UpdateMonitoringSchedule and the delete leaves behind.
    left = sagemaker.describe_data_quality_job_definition(JobDefinitionName=current)
    request = {k: v for k, v in left.items()
               if k not in ("JobDefinitionArn", "JobDefinitionName", "CreationTime", "ResponseMetadata")}
    sagemaker.create_data_quality_job_definition(
        JobDefinitionName="churn-dq-00000000", **request,
        Tags=[{"Key": "obsctl:stack", "Value": "test"}, {"Key": "obsctl:model-monitor", "Value": "churn-dq"}])

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["model_monitors/churn-dq"]
    assert field_diffs(change(doc, "model_monitors/churn-dq")) == {
        "stale_job_definitions": (["churn-dq-00000000"], None)}
    apply_ok(obsctl, path)
    assert definition_names(sagemaker) == [current]
    assert_no_changes(obsctl, path)


def test_missing_endpoint_is_an_error_at_its_line_and_nothing_is_written(obsctl, write_config, endpoints):
    path = config(write_config, **{"endpoint: prod-churn": "endpoint: prod-chrun"})
    plan = obsctl("plan", path)
    assert plan.exit_code == 1
    assert f"{path}:7:5: model_monitors.churn-dq: endpoint 'prod-chrun' does not exist" in plan.stderr
    apply = obsctl("apply", path, "--auto-approve")
    assert apply.exit_code == 1
    assert apply.writes == 0, apply.calls


def test_prune_deletes_schedule_definition_and_drift_alarm(obsctl, write_config, boto, endpoints):
    apply_ok(obsctl, config(write_config))
    empty = write_config("stack: test\ntopics:\n  ds-team: {}\n", name="empty.yaml")
    doc = plan_json(obsctl, empty, "--prune", "--allow-mass-delete")
    assert addresses(doc, "delete") == ["alarms/churn-dq-drift-age", "model_monitors/churn-dq"]
    result = obsctl("apply", empty, "--prune", "--allow-mass-delete", "--auto-approve")
    assert result.exit_code == 0, result.stdout + result.stderr
    sagemaker = boto("sagemaker")
    assert sagemaker.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    assert definition_names(sagemaker) == []
    assert boto("cloudwatch").describe_alarms(AlarmNames=["churn-dq-drift-age"])["MetricAlarms"] == []

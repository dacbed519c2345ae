"""Model Monitor honesty: no schedule on an endpoint that captures nothing, a stopped schedule
is drift, and the job definition's Environment (the SDK's publish_cloudwatch_metrics)."""

from __future__ import annotations

import pytest

from reconciler.emulator.seed import data_capture_config, seed
from tests.helpers import (addresses, apply_ok, assert_no_changes, change, field_diffs, plan_json)
from tests.kinds.test_model_monitors import CONFIG, config

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/obsctl-demo:latest"


@pytest.fixture
def endpoints(aws):
    seed(aws.endpoint_url)  # prod-churn, prod-fraud (capture data), staging-churn (does not)


def create_endpoint(sagemaker, name: str, capture: bool) -> None:
    """An endpoint whose config captures data (DataCaptureConfig) or does not."""
    sagemaker.create_model(ModelName=f"{name}-model", ExecutionRoleArn="arn:aws:iam::123456789012:role/m",
                           PrimaryContainer={"Image": IMAGE})
    sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": f"{name}-model", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}], **({"DataCaptureConfig": data_capture_config(name)} if capture else {}))
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def test_endpoint_without_data_capture_is_refused_at_plan_and_nothing_is_written(
        obsctl, write_config, boto, endpoints):
    create_endpoint(boto("sagemaker"), "no-capture", capture=False)
    path = config(write_config, **{"endpoint: prod-churn": "endpoint: no-capture"})
    plan = obsctl("plan", path)
    assert plan.exit_code == 1
    assert (f"{path}:6:3: model_monitors.churn-dq: endpoint 'no-capture' does not capture data"
            in plan.stderr)
    assert "enable data capture" in plan.stderr
    assert "Traceback" not in plan.stderr
    apply = obsctl("apply", path, "--auto-approve")
    assert apply.exit_code == 1
    assert apply.writes == 0, apply.calls
    assert boto("sagemaker").list_monitoring_schedules()["MonitoringScheduleSummaries"] == []


def test_seeded_staging_endpoint_without_capture_is_refused_too(obsctl, write_config, endpoints):
    path = config(write_config, **{"endpoint: prod-churn": "endpoint: staging-churn"})
    plan = obsctl("plan", path)
    assert plan.exit_code == 1
    assert "endpoint 'staging-churn' does not capture data" in plan.stderr


def test_stopped_schedule_is_drift_and_apply_starts_it(obsctl, write_config, boto, endpoints):
    path = config(write_config)
    apply_ok(obsctl, path)
    sagemaker = boto("sagemaker")
    sagemaker.stop_monitoring_schedule(MonitoringScheduleName="churn-dq")

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["model_monitors/churn-dq"]
    monitor = change(doc, "model_monitors/churn-dq")
    assert field_diffs(monitor) == {"enabled": (False, True)}
    assert monitor["cause"] == "drift"
    fixed = apply_ok(obsctl, path)
    assert fixed.calls["sagemaker.StartMonitoringSchedule"] == 1
    assert "sagemaker.UpdateMonitoringSchedule" not in fixed.calls
    status = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")
    assert status["MonitoringScheduleStatus"] == "Scheduled"
    assert_no_changes(obsctl, path)


def test_enabled_false_stops_the_schedule_and_true_starts_it_again(obsctl, write_config, boto, endpoints):
    sagemaker = boto("sagemaker")
    stopped = config(write_config, **{"schedule: hourly": "schedule: hourly\n    enabled: false"})
    created = apply_ok(obsctl, stopped)
    assert created.calls["sagemaker.StopMonitoringSchedule"] == 1
    described = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")
    assert described["MonitoringScheduleStatus"] == "Stopped"
    assert_no_changes(obsctl, stopped)

    running = config(write_config)
    doc = plan_json(obsctl, running, "--detailed-exitcode", exit_codes=(2,))
    monitor = change(doc, "model_monitors/churn-dq")
    assert field_diffs(monitor) == {"enabled": (False, True)}
    assert monitor["cause"] == "config"
    apply_ok(obsctl, running)
    described = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert_no_changes(obsctl, running)


ENVIRONMENT = "    environment:\n      publish_cloudwatch_metrics: Enabled\n"


def test_environment_is_sent_compared_and_a_change_is_a_new_definition(obsctl, write_config, boto, endpoints):
    sagemaker = boto("sagemaker")
    path = config(write_config, **{"    instance_count:": ENVIRONMENT + "    instance_count:"})
    apply_ok(obsctl, path)
    assert_no_changes(obsctl, path)
    name = sagemaker.describe_monitoring_schedule(
        MonitoringScheduleName="churn-dq")["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
    described = sagemaker.describe_data_quality_job_definition(JobDefinitionName=name)
    assert described["DataQualityAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}

    changed = config(write_config, **{"    instance_count:": ENVIRONMENT.replace("Enabled", "Disabled")
                                      + "    instance_count:"})
    doc = plan_json(obsctl, changed, "--detailed-exitcode", exit_codes=(2,))
    assert field_diffs(change(doc, "model_monitors/churn-dq")) == {
        "job_definition.environment.publish_cloudwatch_metrics": ("Enabled", "Disabled")}
    result = apply_ok(obsctl, changed)
    assert result.calls["sagemaker.CreateDataQualityJobDefinition"] == 1
    assert result.calls["sagemaker.DeleteDataQualityJobDefinition"] == 1
    assert_no_changes(obsctl, changed)


@pytest.mark.parametrize("environment, message", [
    ("{1bad: x}", "environment"),
    ("{KEY: " + "v" * 257 + "}", "environment"),
    ("{" + ", ".join(f"K{i}: v" for i in range(51)) + "}", "environment"),
])
def test_bad_environment_is_an_error_at_its_line(obsctl, write_config, endpoints, environment, message):
    path = config(write_config, **{"    instance_count:": f"    environment: {environment}\n    instance_count:"})
    plan = obsctl("plan", path)
    assert plan.exit_code == 1
    assert f"{path}:" in plan.stderr and message in plan.stderr
    assert plan.writes == 0


assert "instance_count: INSTANCES" in CONFIG  # the tests above insert before this line


MONITOR_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
ROLE = "arn:aws:iam::123456789012:role/monitor"


def make_sdk_style_monitor(sagemaker, name: str, endpoint: str) -> None:
    """What the SageMaker Python SDK's DefaultModelMonitor.create_monitoring_schedule makes
    (enable_cloudwatch_metrics=True): publish_cloudwatch_metrics in the environment, reports
    uploaded Continuous (MonitoringOutput's default), a 30 GB volume (the SDK's default)."""
    sagemaker.create_data_quality_job_definition(
        JobDefinitionName=f"{name}-definition", RoleArn=ROLE,
        DataQualityAppSpecification={"ImageUri": MONITOR_IMAGE,
                                     "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        DataQualityBaselineConfig={
            "ConstraintsResource": {"S3Uri": f"s3://ml-monitoring/{endpoint}/constraints.json"},
            "StatisticsResource": {"S3Uri": f"s3://ml-monitoring/{endpoint}/statistics.json"}},
        DataQualityJobInput={"EndpointInput": {
            "EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint",
            "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://ml-monitoring/{endpoint}/reports", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "Continuous"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                        "VolumeSizeInGB": 30}},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinitionName": f"{name}-definition", "MonitoringType": "DataQuality"})


def test_sdk_made_monitor_imports_and_the_plan_is_empty(obsctl, write_config, boto, endpoints, tmp_path):
    sagemaker = boto("sagemaker")
    make_sdk_style_monitor(sagemaker, "sdk-dq", "prod-churn")
    make_sdk_style_monitor(sagemaker, "sdk-stopped", "prod-fraud")
    sagemaker.stop_monitoring_schedule(MonitoringScheduleName="sdk-stopped")
    stack = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "monitors.yaml"
    result = obsctl("import", stack, "--kind", "model_monitors", "--output", str(out), "--adopt")
    assert result.exit_code == 0, result.stdout + result.stderr
    text = out.read_text()
    assert "publish_cloudwatch_metrics: Enabled" in text
    assert "output_upload_mode: Continuous" in text
    assert text.count("enabled: false") == 1  # sdk-stopped, and only it
    doc = plan_json(obsctl, str(tmp_path / "monitoring"), "--detailed-exitcode", exit_codes=(0,))
    assert doc["changes"] == []


def test_explain_drift_names_who_stopped_the_schedule(obsctl, write_config, boto, endpoints):
    path = config(write_config)
    apply_ok(obsctl, path)
    boto("sagemaker").stop_monitoring_schedule(MonitoringScheduleName="churn-dq")
    doc = plan_json(obsctl, path, "--explain-drift", exit_codes=(0,))
    attribution = change(doc, "model_monitors/churn-dq")["attribution"]
    assert (attribution["status"], attribution["event_name"]) == ("found", "StopMonitoringSchedule")


# --- pure helpers ------------------------------------------------------------------------

def test_environment_and_upload_mode_round_trip_through_request_and_describe():
    from reconciler.kinds.model_monitors import (MonitorConfig, desired_job_definition,
                                                 job_definition_request, live_job_definition)
    monitor = MonitorConfig.model_validate({
        "endpoint": "prod-churn", "type": "data_quality", "schedule": "hourly", "output": "s3://bucket/out",
        "role_arn": ROLE, "environment": {"publish_cloudwatch_metrics": "Enabled"},
        "output_upload_mode": "Continuous"})
    definition = desired_job_definition(monitor, MONITOR_IMAGE)
    spec = {"endpoint": "prod-churn", "type": "DataQuality", "job_definition": definition}
    request = job_definition_request("d", spec, {})
    assert request["DataQualityAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    assert request["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3UploadMode"] == "Continuous"
    assert live_job_definition("DataQuality", request) == definition
    # Defaults leave no trace: definitions made before these fields keep their names.
    plain = desired_job_definition(monitor.model_copy(update={"environment": {},
                                                              "output_upload_mode": "EndOfJob"}),
                                   MONITOR_IMAGE)
    assert "environment" not in plain and "output_upload_mode" not in plain
    request = job_definition_request("d", {**spec, "job_definition": plain}, {})
    assert "Environment" not in request["DataQualityAppSpecification"]
    assert "S3UploadMode" not in request["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]

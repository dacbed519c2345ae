"""Model monitors: config validation, comparable form of both sides, drift alarm specs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reconciler.kinds.model_monitors import (DriftAlarm, MonitorConfig, desired_job_definition,
                                             drift_alarm_config, drift_alarm_name, image_uri,
                                             job_definition_name, job_definition_request,
                                             live_job_definition, schedule_interval)

ROLE = "arn:aws:iam::123456789012:role/monitor"
BASE = dict(endpoint="prod-churn", type="data_quality", schedule="hourly",
            baseline={"statistics": "s3://ml-mon/stats.json", "constraints": "s3://ml-mon/c.json"},
            output="s3://ml-mon/reports", role_arn=ROLE)


def monitor(**changes) -> MonitorConfig:
    return MonitorConfig.model_validate({**BASE, **changes})


@pytest.mark.parametrize("schedule, expression, interval", [
    ("hourly", "cron(0 * ? * * *)", 3600),
    ("daily", "cron(0 0 ? * * *)", 86_400),
    ("cron(0 12 ? * * *)", "cron(0 12 ? * * *)", 86_400),
    ("cron(0 17/12 ? * * *)", "cron(0 17/12 ? * * *)", 43_200),
    ("cron(0 0/2 ? * * *)", "cron(0 0/2 ? * * *)", 7200),
])
def test_schedules_sagemaker_documents_and_their_interval(schedule, expression, interval):
    config = monitor(schedule=schedule)
    assert config.schedule_expression == expression
    assert schedule_interval(expression) == interval


@pytest.mark.parametrize("schedule", ["cron(5 * ? * * *)", "cron(0 24 ? * * *)", "rate(1 hour)",
                                      "NOW", "weekly", "cron(0 0/0 ? * * *)"])
def test_other_schedules_are_refused(schedule):
    with pytest.raises(ValidationError, match="not a schedule SageMaker accepts"):
        monitor(schedule=schedule)


@pytest.mark.parametrize("changes, message", [
    ({"type": "model_quality", "ground_truth": "s3://ml-mon/gt", "problem_type": "Regression"},
     "baseline.statistics` applies to data_quality only"),
    ({"type": "model_bias", "baseline": {}, "ground_truth": "s3://ml-mon/gt"}, "needs `analysis_config`"),
    ({"type": "model_quality", "baseline": {}, "problem_type": "Regression"}, "needs `ground_truth`"),
    ({"type": "model_quality", "baseline": {}, "ground_truth": "s3://ml-mon/gt"}, "needs `problem_type`"),
    ({"analysis_config": "s3://ml-mon/analysis.json"}, "applies to model_bias and model_explainability"),
    ({"type": "model_explainability", "baseline": {}, "analysis_config": "s3://ml-mon/a.json",
      "drift_alarms": [{"feature": "age", "threshold": 1}]}, "data_quality metrics"),
])
def test_each_type_gets_what_it_needs_and_nothing_else(changes, message):
    with pytest.raises(ValidationError, match=message):
        monitor(**changes)


def test_drift_alarm_takes_a_feature_or_a_metric():
    with pytest.raises(ValidationError, match="not both"):
        DriftAlarm(feature="age", metric="x", threshold=1)
    with pytest.raises(ValidationError, match="not both"):
        DriftAlarm(threshold=1)


def test_drift_alarm_is_a_sum_over_one_run_in_the_observed_namespace():
    config = monitor(drift_alarms=[{"feature": "age", "threshold": 0.2, "evaluation_periods": 3}])
    alarm = drift_alarm_config("churn-dq", config, config.drift_alarms[0])
    assert drift_alarm_name("churn-dq", config.drift_alarms[0]) == "churn-dq-drift-age"
    assert (alarm.metric.namespace, alarm.metric.name, alarm.metric.stat, alarm.metric.period) == (
        "aws/sagemaker/Endpoints/data-metrics", "feature_baseline_drift_age", "Sum", 3600)
    assert alarm.metric.dimensions == {"Endpoint": "prod-churn", "MonitoringSchedule": "churn-dq"}
    assert alarm.condition() == ("GreaterThanThreshold", 0.2)


def test_namespace_and_dimensions_can_be_overridden_per_monitor():
    config = monitor(metrics_namespace="/aws/sagemaker/Endpoints/data-metric",
                     metrics_dimensions={"EndpointName": "prod-churn", "ScheduleName": "churn-dq"},
                     drift_alarms=[{"feature": "age", "threshold": 0.2}])
    alarm = drift_alarm_config("churn-dq", config, config.drift_alarms[0])
    assert alarm.metric.namespace == "/aws/sagemaker/Endpoints/data-metric"
    assert alarm.metric.dimensions == {"EndpointName": "prod-churn", "ScheduleName": "churn-dq"}


def test_model_quality_alarm_names_its_metric_in_model_metrics():
    config = monitor(type="model_quality", baseline={}, ground_truth="s3://ml-mon/gt",
                     problem_type="BinaryClassification", schedule="daily",
                     drift_alarms=[{"metric": "f2", "threshold": 0.6, "comparison": "<",
                                    "statistic": "Average"}])
    alarm = drift_alarm_config("churn-mq", config, config.drift_alarms[0])
    assert drift_alarm_name("churn-mq", config.drift_alarms[0]) == "churn-mq-f2"
    assert (alarm.metric.namespace, alarm.metric.period) == ("aws/sagemaker/Endpoints/model-metrics", 86_400)
    assert alarm.condition() == ("LessThanThreshold", 0.6)


def test_image_defaults_come_from_sagemakers_registries():
    assert image_uri("DataQuality", "us-east-1") == (
        "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest")
    assert image_uri("ModelBias", "eu-west-1") == (
        "131013547314.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.0")
    assert image_uri("DataQuality", "cn-north-1").endswith(".amazonaws.com.cn/sagemaker-model-monitor-analyzer:latest")
    assert image_uri("DataQuality", "xx-nowhere-1") is None


def spec_of(config: MonitorConfig) -> dict:
    image = image_uri(config.monitoring_type, "us-east-1")
    return {"endpoint": config.endpoint, "type": config.monitoring_type,
            "schedule": config.schedule_expression,
            "job_definition": desired_job_definition(config, image)}


def described(request: dict, prefix: str) -> dict:
    """What Describe<Type>JobDefinition answers for a Create request: the request, with the
    defaults SageMaker fills in (the emulator does the same)."""
    answer = {k: v for k, v in request.items() if k not in ("Tags",)}
    answer.pop("StoppingCondition")  # left unset by someone else: AWS reports 3600
    endpoint_input = answer[f"{prefix}JobInput"]["EndpointInput"]
    del endpoint_input["S3InputMode"], endpoint_input["S3DataDistributionType"]
    return answer


@pytest.mark.parametrize("changes", [
    {},
    {"type": "model_quality", "baseline": {"constraints": "s3://ml-mon/c.json"},
     "ground_truth": "s3://ml-mon/gt", "problem_type": "Regression", "inference_attribute": "0"},
    {"type": "model_bias", "baseline": {}, "ground_truth": "s3://ml-mon/gt",
     "analysis_config": "s3://ml-mon/analysis.json", "probability_threshold_attribute": 0.5},
    {"type": "model_explainability", "baseline": {}, "analysis_config": "s3://ml-mon/a.json"},
])
def test_a_definition_reads_back_as_written_with_sagemakers_defaults(changes):
    spec = spec_of(monitor(**changes))
    request = job_definition_request("churn-dq-0123abcd", spec, {"obsctl:stack": "s"})
    assert live_job_definition(spec["type"], described(request, spec["type"])) == spec["job_definition"]


def test_definition_names_follow_the_content():
    spec = spec_of(monitor())
    name = job_definition_name("Churn-DQ", spec)
    assert name.startswith("churn-dq-") and len(name) == len("churn-dq-") + 8
    assert job_definition_name("Churn-DQ", spec) == name
    assert job_definition_name("Churn-DQ", spec_of(monitor(instance_count=2))) != name
    assert job_definition_name("Churn-DQ", spec_of(monitor(schedule="daily"))) == name

"""`obsctl import` of the ML kinds: scaling policies, event rules and model monitors made by
hand with plain boto3 -> YAML -> `obsctl plan` (round trip), plus the pure helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.aws import Scope
from reconciler.emulator.seed import seed
from reconciler.kinds.base import ImportRefs
from reconciler.kinds import event_rules, scaling_policies
from reconciler.kinds.event_rules import importable, rule_config
from reconciler.kinds.model_monitors import monitor_config, unexpressed_settings
from reconciler.kinds.scaling_policies import policy_config
from tests.helpers import addresses, change, field_diffs, field_paths, plan_json, summary
from tests.kinds.test_model_monitors_honesty import create_endpoint

ACCOUNT, REGION = "123456789012", "us-east-1"
SCOPE = Scope(region=REGION, account_id=ACCOUNT)
NAMESPACE, DIMENSION = "sagemaker", "sagemaker:variant:DesiredInstanceCount"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/monitor"
MONITOR_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
HOURLY, DAILY = "cron(0 * ? * * *)", "cron(0 0 ? * * *)"
STACK = "stack: adopted\ntags: {team: ml}\n"


@pytest.fixture
def endpoints(aws):
    seed(aws.endpoint_url)  # prod-churn, prod-fraud, staging-churn


def load(path) -> dict:
    return YAML(typ="safe").load(Path(path).read_text())


def imported(obsctl, config, kind, out, *flags):
    result = obsctl("import", config, "--kind", kind, "--output", str(out), *flags)
    assert result.exit_code == 0, result.stdout + result.stderr
    return load(out)


def assert_no_changes(obsctl, directory, *flags):
    doc = plan_json(obsctl, str(directory), "--detailed-exitcode", *flags, exit_codes=(0,))
    assert doc["changes"] == [] and doc["summary"] == summary()


# --- scaling_policies --------------------------------------------------------------------

def register(scaling, endpoint: str, low: int, high: int) -> None:
    scaling.register_scalable_target(
        ServiceNamespace=NAMESPACE, ResourceId=f"endpoint/{endpoint}/variant/AllTraffic",
        ScalableDimension=DIMENSION, MinCapacity=low, MaxCapacity=high)


def put_policy(scaling, name: str, endpoint: str, **policy) -> None:
    scaling.put_scaling_policy(PolicyName=name, ServiceNamespace=NAMESPACE,
                               ResourceId=f"endpoint/{endpoint}/variant/AllTraffic",
                               ScalableDimension=DIMENSION, **policy)


def make_policies_by_hand(boto):
    scaling = boto("application-autoscaling")
    register(scaling, "prod-churn", 1, 4)
    register(scaling, "prod-fraud", 2, 6)
    put_policy(scaling, "churn-step-out", "prod-churn", PolicyType="StepScaling",
               StepScalingPolicyConfiguration={
                   "AdjustmentType": "ChangeInCapacity", "Cooldown": 300,
                   "MetricAggregationType": "Average",
                   "StepAdjustments": [
                       {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 100.0,
                        "ScalingAdjustment": 1},
                       {"MetricIntervalLowerBound": 100.0, "ScalingAdjustment": 2}]})
    put_policy(scaling, "churn-invocations", "prod-churn", PolicyType="TargetTrackingScaling",
               TargetTrackingScalingPolicyConfiguration={
                   "TargetValue": 1000.0, "ScaleInCooldown": 600,
                   "PredefinedMetricSpecification": {
                       "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
    put_policy(scaling, "fraud-latency", "prod-fraud", PolicyType="TargetTrackingScaling",
               TargetTrackingScalingPolicyConfiguration={
                   "TargetValue": 200000.0, "DisableScaleIn": True,
                   "CustomizedMetricSpecification": {
                       "Namespace": "AWS/SageMaker", "MetricName": "ModelLatency",
                       "Dimensions": [{"Name": "EndpointName", "Value": "prod-fraud"},
                                      {"Name": "VariantName", "Value": "AllTraffic"}],
                       "Statistic": "Average", "Unit": "Microseconds"}})


SCALING_YAML = {
    "churn-invocations": {
        "endpoint": "prod-churn", "min_capacity": 1, "max_capacity": 4,
        "target_tracking": {"metric": "SageMakerVariantInvocationsPerInstance", "target": 1000,
                            "scale_in_cooldown": 600}},
    "churn-step-out": {
        "endpoint": "prod-churn", "min_capacity": 1, "max_capacity": 4,
        "step_scaling": {"adjustment_type": "ChangeInCapacity", "steps": [
            {"lower_bound": 0, "upper_bound": 100, "adjustment": 1},
            {"lower_bound": 100, "adjustment": 2}]}},
    "fraud-latency": {
        "endpoint": "prod-fraud", "min_capacity": 2, "max_capacity": 6,
        "target_tracking": {
            "metric": {"namespace": "AWS/SageMaker", "name": "ModelLatency",
                       "dimensions": {"EndpointName": "prod-fraud", "VariantName": "AllTraffic"},
                       "unit": "Microseconds"},
            "target": 200000, "disable_scale_in": True}},
}


def test_scaling_policies_import_short_and_plan_is_empty(obsctl, write_config, boto, endpoints, tmp_path):
    make_policies_by_hand(boto)
    config = write_config(STACK + 'prune: {scaling_policies: ["churn-*", "fraud-*"]}\n',
                          name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "scaling.yaml"
    result = obsctl("import", config, "--kind", "scaling_policies", "--output", str(out), "--adopt")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.writes == 0, result.calls  # nothing to tag: the prune patterns own them
    assert load(out) == {"stack": "adopted", "scaling_policies": SCALING_YAML}
    assert_no_changes(obsctl, tmp_path / "monitoring")
    assert_no_changes(obsctl, tmp_path / "monitoring", "--prune")


def test_scaling_policies_without_prune_patterns_are_claimed_by_declaring_them(
        obsctl, write_config, boto, endpoints, tmp_path):
    make_policies_by_hand(boto)
    config = write_config(STACK, name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "scaling.yaml"
    yaml = imported(obsctl, config, "scaling_policies", out, "--adopt")
    assert yaml["scaling_policies"] == SCALING_YAML
    assert_no_changes(obsctl, tmp_path / "monitoring")


def test_scaling_policies_outside_the_prune_patterns_are_reported_by_adopt(
        obsctl, write_config, boto, endpoints, tmp_path):
    make_policies_by_hand(boto)
    config = write_config(STACK + 'prune: {scaling_policies: ["churn-*"]}\n',
                          name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "scaling.yaml"
    result = obsctl("import", config, "--kind", "scaling_policies", "--output", str(out), "--adopt")
    assert result.exit_code == 1
    assert "! scaling_policies/fraud-latency: not adopted" in result.stderr
    assert "churn-" not in result.stderr
    doc = plan_json(obsctl, str(tmp_path / "monitoring"), "--detailed-exitcode", exit_codes=(1,))
    assert addresses(doc) == ["scaling_policies/fraud-latency"]  # the churn-* ones were adopted
    fraud = change(doc, "scaling_policies/fraud-latency")
    assert (fraud["action"], fraud["reason"]) == (
        "conflict", "exists outside this stack's prune patterns for scaling_policies (this kind "
        "has no owner tag); add a pattern that matches it to manage it")


def test_scaling_policy_name_on_two_variants_is_refused(obsctl, boto, endpoints):
    make_policies_by_hand(boto)
    scaling = boto("application-autoscaling")
    register(scaling, "staging-churn", 1, 2)
    put_policy(scaling, "churn-step-out", "staging-churn", PolicyType="StepScaling",
               StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [
                   {"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]})
    refused = obsctl("import", "--kind", "scaling_policies", "--stack", "mine", "--name-prefix", "churn-")
    assert refused.exit_code == 1
    assert ("churn-step-out (endpoint/prod-churn/variant/AllTraffic, "
            "endpoint/staging-churn/variant/AllTraffic)") in refused.stderr
    fine = obsctl("import", "--kind", "scaling_policies", "--stack", "mine", "--name-prefix", "fraud-")
    assert fine.exit_code == 0, fine.stderr


def test_scaling_policy_the_config_cannot_express_stops_the_import(obsctl, boto, endpoints):
    scaling = boto("application-autoscaling")
    register(scaling, "prod-churn", 1, 4)
    put_policy(scaling, "churn-percent", "prod-churn", PolicyType="StepScaling",
               StepScalingPolicyConfiguration={
                   "AdjustmentType": "PercentChangeInCapacity", "MinAdjustmentMagnitude": 2,
                   "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 50}]})
    refused = obsctl("import", "--kind", "scaling_policies", "--stack", "mine")
    assert refused.exit_code == 1
    assert ("scaling_policies/churn-percent (endpoint/prod-churn/variant/AllTraffic) cannot be "
            "written as a config entry: settings the config has no field for: "
            "StepScalingPolicyConfiguration.MinAdjustmentMagnitude") in refused.stderr


# --- event_rules -------------------------------------------------------------------------

FAILED = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Training Job State Change"],
          "detail": {"TrainingJobStatus": ["Stopped", "Failed"]}}


def test_event_rules_import_short_and_plan_is_empty(obsctl, write_config, boto, tmp_path):
    sns, events = boto("sns"), boto("events")
    topic = sns.create_topic(Name="legacy-alerts")["TopicArn"]
    events.put_rule(Name="legacy-training-failed", EventPattern=json.dumps(FAILED),
                    Description="Training failed",
                    Tags=[{"Key": "team", "Value": "ml"}, {"Key": "tier", "Value": "gold"}])
    events.put_targets(Rule="legacy-training-failed", Targets=[{"Id": "legacy-alerts", "Arn": topic}])
    events.create_event_bus(Name="ml-bus")
    endpoint_pattern = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Endpoint State Change"]}
    events.put_rule(Name="legacy-endpoint", EventBusName="ml-bus", State="DISABLED",
                    EventPattern=json.dumps(endpoint_pattern))
    events.put_targets(Rule="legacy-endpoint", EventBusName="ml-bus",
                       Targets=[{"Id": "legacy-alerts", "Arn": topic}])
    events.put_rule(Name="legacy-nightly", ScheduleExpression="rate(1 day)")  # no form for it

    config = write_config(STACK, name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "rules.yaml"
    result = obsctl("import", config, "--kind", "event_rules", "--name-prefix", "legacy-",
                    "--output", str(out), "--adopt")
    assert result.exit_code == 0, result.stdout + result.stderr
    text = out.read_text()
    assert text.index("source:") < text.index("detail-type:") < text.index("detail:")  # as written
    assert load(out)["event_rules"] == {
        "legacy-training-failed": {"pattern": FAILED, "targets": [topic],
                                   "description": "Training failed", "tags": {"tier": "gold"}},
        "legacy-endpoint": {"pattern": endpoint_pattern, "targets": [topic], "enabled": False,
                            "event_bus": "ml-bus"},
    }
    assert_no_changes(obsctl, tmp_path / "monitoring")


def test_event_rule_with_console_target_ids_and_a_config_topic(obsctl, write_config, boto, tmp_path):
    sns, events = boto("sns"), boto("events")
    topic = sns.create_topic(Name="oncall", Tags=[{"Key": "obsctl:stack", "Value": "adopted"}])["TopicArn"]
    rule = events.put_rule(Name="console-rule", EventPattern=json.dumps(FAILED))["RuleArn"]
    events.put_targets(Rule="console-rule", Targets=[{"Id": "Id4f1c2b7a", "Arn": topic}])
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "AWSEvents_console-rule_Id4f1c2b7a", "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
            "Resource": topic, "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]}))

    config = write_config(STACK + "topics:\n  oncall: {}\n", name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "rules.yaml"
    result = obsctl("import", config, "--kind", "event_rules", "--output", str(out), "--adopt")
    assert load(out)["event_rules"] == {"console-rule": {"pattern": FAILED, "targets": ["topic:oncall"]}}
    # Target ids are not compared: the console's id is no difference, so adopt only tags.
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.calls["events.TagResource"] == 1 and result.calls["events.PutTargets"] == 0

    # The topic policy becomes obsctl's: EventBridge may publish for this rule.
    doc = plan_json(obsctl, str(tmp_path / "monitoring"), "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["topics/oncall"]
    topic = change(doc, "topics/oncall")
    assert field_paths(topic) == ["policy.Id", "policy.Statement", "policy.Version", "tags.team"]
    _, statements = field_diffs(topic)["policy.Statement"]
    assert [s.get("Sid") for s in statements].count("obsctl-eventbridge-publish") == 1
    assert doc["summary"] == summary(update=1)
    applied = obsctl("apply", str(tmp_path / "monitoring"), "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="console-rule")["Targets"]] == ["Id4f1c2b7a"]
    assert_no_changes(obsctl, tmp_path / "monitoring")


def test_event_rule_that_obsctl_cannot_express_stops_the_import(obsctl, boto):
    events = boto("events")
    events.put_rule(Name="no-targets", EventPattern=json.dumps(FAILED))
    refused = obsctl("import", "--kind", "event_rules", "--stack", "mine", "--name-prefix", "no-")
    assert refused.exit_code == 1
    assert "event_rules/no-targets cannot be written as a config entry: targets" in refused.stderr
    topic = boto("sns").create_topic(Name="alerts")["TopicArn"]
    events.put_rule(Name="transformed", EventPattern=json.dumps(FAILED))
    events.put_targets(Rule="transformed", Targets=[{"Id": "alerts", "Arn": topic, "InputTransformer": {
        "InputPathsMap": {"job": "$.detail.TrainingJobName"}, "InputTemplate": '"<job> failed"'}}])
    refused = obsctl("import", "--kind", "event_rules", "--stack", "mine", "--name-prefix", "trans")
    assert refused.exit_code == 1
    assert "target settings the config has no field for: alerts.InputTransformer" in refused.stderr


# --- model_monitors ----------------------------------------------------------------------

def make_definition(sagemaker, name: str, endpoint: str, image: str = MONITOR_IMAGE,
                    instances: int = 1, **extra):
    sagemaker.create_data_quality_job_definition(
        JobDefinitionName=name, RoleArn=ROLE,
        DataQualityAppSpecification={"ImageUri": image},
        DataQualityBaselineConfig={
            "StatisticsResource": {"S3Uri": f"s3://ml-monitoring/{endpoint}/statistics.json"},
            "ConstraintsResource": {"S3Uri": f"s3://ml-monitoring/{endpoint}/constraints.json"}},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint,
                                               "LocalPath": "/opt/ml/processing/input"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://ml-monitoring/{endpoint}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": instances, "InstanceType": "ml.m5.xlarge",
                                        "VolumeSizeInGB": 20}},
        **extra)


def make_schedule(sagemaker, name: str, definition: str, expression: str, **extra):
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": expression},
        "MonitoringJobDefinitionName": definition, "MonitoringType": "DataQuality"}, **extra)


def baseline(endpoint: str) -> dict:
    return {"statistics": f"s3://ml-monitoring/{endpoint}/statistics.json",
            "constraints": f"s3://ml-monitoring/{endpoint}/constraints.json"}


def test_model_monitors_import_short_and_plan_is_empty(obsctl, write_config, boto, endpoints, tmp_path):
    sagemaker = boto("sagemaker")
    make_definition(sagemaker, "churn-dq-definition", "prod-churn",
                    StoppingCondition={"MaxRuntimeInSeconds": 1800})
    make_schedule(sagemaker, "churn-dq", "churn-dq-definition", HOURLY,
                  Tags=[{"Key": "team", "Value": "ml"}, {"Key": "tier", "Value": "gold"}])
    custom = "123456789012.dkr.ecr.us-east-1.amazonaws.com/own-analyzer:2"
    make_definition(sagemaker, "fraud-dq-definition", "prod-fraud", image=custom, instances=2)
    make_schedule(sagemaker, "fraud-dq", "fraud-dq-definition", DAILY)
    create_endpoint(sagemaker, "canary-churn", capture=True)  # staging-churn captures nothing
    make_definition(sagemaker, "staging-dq-definition", "canary-churn")
    make_schedule(sagemaker, "staging-dq", "staging-dq-definition", "cron(0 2/6 ? * * *)")
    # A drift alarm made by hand for churn-dq: imported as a plain alarm, not as drift_alarms.
    boto("cloudwatch").put_metric_alarm(
        AlarmName="churn-dq-drift-age", Namespace="aws/sagemaker/Endpoints/data-metrics",
        MetricName="feature_baseline_drift_age", Statistic="Sum", Period=3600, EvaluationPeriods=1,
        Threshold=0.2, ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "Endpoint", "Value": "prod-churn"},
                    {"Name": "MonitoringSchedule", "Value": "churn-dq"}])

    config = write_config(STACK, name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "monitors.yaml"
    yaml = imported(obsctl, config, "model_monitors", out, "--adopt")
    common = {"type": "data_quality", "role_arn": ROLE}
    assert yaml["model_monitors"] == {
        "churn-dq": {"endpoint": "prod-churn", **common, "schedule": "hourly",
                     "baseline": baseline("prod-churn"), "output": "s3://ml-monitoring/prod-churn/reports",
                     "max_runtime_seconds": 1800, "tags": {"tier": "gold"}},
        "fraud-dq": {"endpoint": "prod-fraud", **common, "schedule": "daily",
                     "baseline": baseline("prod-fraud"), "output": "s3://ml-monitoring/prod-fraud/reports",
                     "image_uri": custom, "instance_count": 2},
        "staging-dq": {"endpoint": "canary-churn", **common, "schedule": "cron(0 2/6 ? * * *)",
                       "baseline": baseline("canary-churn"),
                       "output": "s3://ml-monitoring/canary-churn/reports"},
    }
    assert list(yaml["model_monitors"]["churn-dq"])[:3] == ["endpoint", "type", "schedule"]
    assert_no_changes(obsctl, tmp_path / "monitoring")

    alarms = imported(obsctl, config, "alarms", tmp_path / "monitoring" / "alarms.yaml", "--adopt")
    assert alarms["alarms"]["churn-dq-drift-age"]["metric"]["name"] == "feature_baseline_drift_age"
    assert_no_changes(obsctl, tmp_path / "monitoring")


def test_model_monitor_with_settings_the_config_cannot_hold_stops_the_import(obsctl, boto, endpoints):
    sagemaker = boto("sagemaker")
    make_definition(sagemaker, "vpc-definition", "prod-churn",
                    NetworkConfig={"EnableNetworkIsolation": True})
    make_schedule(sagemaker, "vpc-dq", "vpc-definition", HOURLY)
    refused = obsctl("import", "--kind", "model_monitors", "--stack", "mine")
    assert refused.exit_code == 1
    assert "model_monitors/vpc-dq cannot be written as a config entry" in refused.stderr
    assert "NetworkConfig.EnableNetworkIsolation=True" in refused.stderr


# --- pure helpers ------------------------------------------------------------------------

REFS = ImportRefs(scope=SCOPE, topic_names={f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall": "oncall"},
                  stack_tags={"team": "ml"})


def test_policy_config_leaves_out_defaults_and_keeps_the_rest():
    spec = {"endpoint": "churn", "variant": "Blue", "min_capacity": 0, "max_capacity": 3,
            "policy_type": "StepScaling", "step_scaling": {
                "adjustment_type": "PercentChangeInCapacity", "steps": [{"upper_bound": 0, "adjustment": -1}],
                "cooldown": 60, "metric_aggregation": "Maximum"}}
    assert policy_config(spec) == {
        "endpoint": "churn", "variant": "Blue", "min_capacity": 0, "max_capacity": 3,
        "step_scaling": {"adjustment_type": "PercentChangeInCapacity",
                         "steps": [{"upper_bound": 0, "adjustment": -1}],
                         "cooldown": 60, "metric_aggregation": "Maximum"}}
    tracking = {"endpoint": "churn", "variant": "AllTraffic", "min_capacity": 1, "max_capacity": 2,
                "policy_type": "TargetTrackingScaling", "target_tracking": {
                    "metric": {"namespace": "ML", "metric_name": "Queue", "dimensions": {},
                               "statistic": "Sum"},
                    "target": 5, "scale_in_cooldown": 300, "scale_out_cooldown": 60,
                    "disable_scale_in": False}}
    assert policy_config(tracking) == {
        "endpoint": "churn", "min_capacity": 1, "max_capacity": 2,
        "target_tracking": {"metric": {"namespace": "ML", "name": "Queue", "stat": "Sum"},
                            "target": 5, "scale_out_cooldown": 60}}


@pytest.mark.parametrize("rule, expected", [
    ({"Name": "a-rule", "EventPattern": "{}"}, True),
    ({"Name": "b-rule", "EventPattern": "{}"}, False),  # not selected by the prefix
    ({"Name": "a-schedule", "ScheduleExpression": "rate(1 day)"}, False),
    ({"Name": "a-managed", "EventPattern": "{}", "ManagedBy": "autoscaling.amazonaws.com"}, False),
])
def test_importable_rules(rule, expected):
    assert importable(rule, "a-") is expected


def test_rule_config_references_config_topics_and_keeps_other_arns():
    spec = {"event_bus": "default", "pattern": {"source": ["aws.sagemaker"]}, "state": "ENABLED",
            "targets": [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn",
                        f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"],
            "tags": {"team": "ml"}}
    assert rule_config(spec, None, REFS.own_tags(spec["tags"]), REFS) == {
        "pattern": {"source": ["aws.sagemaker"]},
        "targets": [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn", "topic:oncall"]}


def test_monitor_config_writes_what_differs_from_the_defaults():
    spec = {"endpoint": "churn", "type": "ModelQuality", "schedule": "cron(0 3 ? * * *)",
            "job_definition": {
                "image_uri": MONITOR_IMAGE, "role_arn": ROLE, "output": "s3://b/out", "baseline": {},
                "instance_type": "ml.m5.large", "instance_count": 1, "volume_size_gb": 20,
                "max_runtime_seconds": 3600, "s3_input_mode": "File",
                "s3_data_distribution_type": "FullyReplicated", "ground_truth": "s3://b/truth",
                "problem_type": "BinaryClassification", "inference_attribute": "0"},
            "tags": {}}
    assert monitor_config(spec, REGION, {}) == {
        "endpoint": "churn", "type": "model_quality", "schedule": "cron(0 3 ? * * *)",
        "output": "s3://b/out", "role_arn": ROLE, "ground_truth": "s3://b/truth",
        "problem_type": "BinaryClassification", "inference_attribute": "0",
        "instance_type": "ml.m5.large"}
    # In another region, the us-east-1 image is not the default one.
    assert monitor_config(spec, "eu-west-1", {})["image_uri"] == MONITOR_IMAGE


def test_unexpressed_settings_names_what_the_comparable_form_leaves_out():
    schedule = {"MonitoringType": "DataQuality", "MonitoringScheduleConfig": {
        "ScheduleConfig": {"ScheduleExpression": HOURLY}, "MonitoringJobDefinitionName": "d"}}
    definition = {
        "JobDefinitionName": "d", "JobDefinitionArn": "arn", "RoleArn": ROLE,
        "ResponseMetadata": {"HTTPStatusCode": 200},
        "DataQualityAppSpecification": {"ImageUri": MONITOR_IMAGE,
                                        "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        "DataQualityJobInput": {"EndpointInput": {"EndpointName": "churn", "LocalPath": "/in"}},
        "DataQualityJobOutputConfig": {"MonitoringOutputs": [
            {"S3Output": {"S3Uri": "s3://b/o", "LocalPath": "/out", "S3UploadMode": "EndOfJob"}},
            {"S3Output": {"S3Uri": "s3://b/o2", "LocalPath": "/out2"}}]},
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                           "VolumeSizeInGB": 20, "VolumeKmsKeyId": "key"}},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    assert unexpressed_settings(schedule, definition) == [  # Environment is `environment`
        "DataQualityJobOutputConfig.MonitoringOutputs[1].S3Output.S3Uri='s3://b/o2'",
        "DataQualityJobOutputConfig.MonitoringOutputs[1].S3Output.LocalPath='/out2'",
        "JobResources.ClusterConfig.VolumeKmsKeyId='key'",
    ]
    schedule["MonitoringScheduleConfig"]["ScheduleConfig"]["DataAnalysisStartTime"] = "-PT1H"
    assert unexpressed_settings(schedule, None) == [
        "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime='-PT1H'"]


def test_scaling_policy_settings_the_config_has_no_field_for():
    policy = {"PolicyName": "p", "PolicyType": "StepScaling", "StepScalingPolicyConfiguration": {
        "AdjustmentType": "PercentChangeInCapacity", "MinAdjustmentMagnitude": 2, "Cooldown": 60,
        "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 50}]}}
    assert scaling_policies.unexpressed_settings(policy) == [
        "StepScalingPolicyConfiguration.MinAdjustmentMagnitude"]
    tracking = {"PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 5.0, "CustomizedMetricSpecification": {"Metrics": [{"Id": "m1"}]},
        "PredefinedMetricSpecification": {"PredefinedMetricType": "X", "ResourceLabel": "l"}}}
    assert scaling_policies.unexpressed_settings(tracking) == [
        "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel",
        "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification.Metrics"]


def test_event_rule_target_settings_the_config_has_no_field_for():
    assert event_rules.unexpressed_target_settings([
        {"Id": "a", "Arn": "arn:a", "RetryPolicy": {"MaximumRetryAttempts": 185,
                                                    "MaximumEventAgeInSeconds": 86400}},
        {"Id": "b", "Arn": "arn:b", "InputPath": "$.detail",
         "RetryPolicy": {"MaximumRetryAttempts": 3}},
    ]) == ["b.InputPath", "b.RetryPolicy"]

"""Endpoint monitors through the CLI against the emulator: discovery of live SageMaker
endpoints at plan time, generated alarms/log groups/dashboards with their origin, endpoints
appearing and disappearing, adoption of the log group SageMaker created."""

from __future__ import annotations

import json

from tests.helpers import (addresses, assert_converged, assert_no_changes, change, field_diffs,
                           plan_json, without_marker)
from tests.kinds.test_model_monitors_honesty import create_endpoint as create_endpoint_with_capture

CONFIG = """
stack: test
prune:
  dashboards: ["ml-endpoint-*"]
topics:
  ml-oncall: {}
endpoint_monitors:
  all-prod-endpoints:
    endpoints: {match: "prod-*"}
    latency_p90_ms: 500
    error_rate_percent: 1
    log_retention_days: 30
    dashboard: true
    actions: {alarm: [topic:ml-oncall]}
"""
ORIGIN = "endpoint_monitors.all-prod-endpoints[{}]"
SUFFIXES = ("latency-p90", "error-rate")
LOG_GROUP = "/aws/sagemaker/Endpoints/{}"


def create_endpoint(boto, name: str, variants=("AllTraffic",)) -> None:
    """What the emulator's seed does: model, endpoint config, endpoint (InService at once)."""
    sagemaker = boto("sagemaker")
    sagemaker.create_model(ModelName=f"{name}-model", ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
                           PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"})
    sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[
        {"VariantName": variant, "ModelName": f"{name}-model", "InitialInstanceCount": 1,
         "InstanceType": "ml.m5.large"} for variant in variants])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def seed(boto) -> None:
    for name in ("prod-churn", "prod-fraud", "staging-churn"):
        create_endpoint(boto, name)


def alarm_names(endpoint: str, variant: str = "AllTraffic") -> set[str]:
    return {f"{endpoint}-{variant}-{suffix}" for suffix in SUFFIXES}


def json_plan(obsctl, path, *args) -> dict:
    result = obsctl("plan", path, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def changes(plan: dict) -> set[tuple[str, str, str, str]]:
    return {(c["action"], c["kind"], c["name"], c["origin"]) for c in plan["changes"]}


def test_plan_shows_generated_resources_with_their_origin_and_apply_converges(obsctl, write_config, boto):
    seed(boto)
    path = write_config(CONFIG)
    plan = obsctl("plan", path, "--format", "json")
    assert plan.exit_code == 0, plan.stderr
    doc = json.loads(plan.stdout)
    expected = {("alarms", name, ORIGIN.format(endpoint))
                for endpoint in ("prod-churn", "prod-fraud") for name in alarm_names(endpoint)}
    expected |= {("dashboards", f"ml-endpoint-{endpoint}", ORIGIN.format(endpoint))
                 for endpoint in ("prod-churn", "prod-fraud")}
    generated = {(c["kind"], c["name"], c["origin"]) for c in doc["changes"]
                 if c["kind"] in ("alarms", "dashboards")}
    assert generated == expected  # nothing for staging-churn
    assert {c["action"] for c in doc["changes"]} == {"create"}
    assert not any("staging-churn" in c["name"] for c in doc["changes"])
    # Discovery: one listing of every endpoint, one DescribeEndpoint per matching endpoint.
    assert plan.calls["sagemaker.ListEndpoints"] == 1
    assert plan.calls["sagemaker.DescribeEndpoint"] == 2

    applied = obsctl("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert_converged(obsctl, path)

    latency = boto("cloudwatch").describe_alarms(
        AlarmNames=["prod-churn-AllTraffic-latency-p90"])["MetricAlarms"][0]
    assert (latency["Namespace"], latency["MetricName"], latency["ExtendedStatistic"]) == (
        "AWS/SageMaker", "ModelLatency", "p90")
    assert latency["Threshold"] == 500000.0  # microseconds
    assert sorted((d["Name"], d["Value"]) for d in latency["Dimensions"]) == [
        ("EndpointName", "prod-churn"), ("VariantName", "AllTraffic")]
    error_rate = boto("cloudwatch").describe_alarms(
        AlarmNames=["prod-churn-AllTraffic-error-rate"])["MetricAlarms"][0]
    assert {q["Id"]: q.get("Expression") or q["MetricStat"]["Metric"]["MetricName"]
            for q in error_rate["Metrics"]} == {"expr": "100 * errors / invocations",
                                                "errors": "Invocation5XXErrors",
                                                "invocations": "Invocations"}


def test_log_group_sagemaker_created_is_adopted_not_a_conflict(obsctl, write_config, boto):
    seed(boto)
    logs = boto("logs")
    logs.create_log_group(logGroupName=LOG_GROUP.format("prod-churn"))  # untagged, never expires
    path = write_config(CONFIG)
    doc = plan_json(obsctl, path)
    adopted = change(doc, f"log_groups:{LOG_GROUP.format('prod-churn')}")
    assert (adopted["action"], adopted["origin"], adopted["reason"]) == (
        "update", ORIGIN.format("prod-churn"), "adopting: it has no owner tag yet")
    assert doc["summary"]["conflict"] == 0

    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    group = logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP.format("prod-churn"))["logGroups"][0]
    assert group["retentionInDays"] == 30
    assert without_marker(logs.list_tags_log_group(logGroupName=group["logGroupName"])["tags"]) == {
        "obsctl:stack": "test"}
    assert_no_changes(obsctl, path)


def test_a_new_endpoint_adds_only_its_resources(obsctl, write_config, boto):
    seed(boto)
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    create_endpoint(boto, "prod-new", variants=("Blue", "Green"))
    origin = ORIGIN.format("prod-new")
    expected = {("create", "alarms", name, origin)
                for variant in ("Blue", "Green") for name in alarm_names("prod-new", variant)}
    expected |= {("create", "log_groups", LOG_GROUP.format("prod-new"), origin),
                 ("create", "dashboards", "ml-endpoint-prod-new", origin)}
    assert changes(json_plan(obsctl, path)) == expected


def test_a_deleted_endpoints_alarms_go_only_with_prune_and_its_logs_stay(obsctl, write_config, boto):
    seed(boto)
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    boto("sagemaker").delete_endpoint(EndpointName="prod-fraud")

    assert_no_changes(obsctl, path)
    origin = None  # a resource no longer in the config has no origin
    expected = {("delete", "alarms", name, origin) for name in alarm_names("prod-fraud")}
    expected.add(("delete", "dashboards", "ml-endpoint-prod-fraud", origin))
    assert changes(json_plan(obsctl, path, "--prune")) == expected  # the log group stays

    assert obsctl("apply", path, "--prune", "--auto-approve").exit_code == 0
    assert_no_changes(obsctl, path, "--prune")
    left = boto("cloudwatch").describe_alarms(AlarmNamePrefix="prod-fraud")["MetricAlarms"]
    assert left == []


def test_a_list_of_names_monitors_those_that_exist(obsctl, write_config, boto):
    seed(boto)
    path = write_config(CONFIG.replace('{match: "prod-*"}', "[prod-churn, staging-churn, prod-gone]"))
    plan = json_plan(obsctl, path)
    endpoints = {c["origin"] for c in plan["changes"] if c["origin"]}
    assert endpoints == {ORIGIN.format("prod-churn"), ORIGIN.format("staging-churn")}
    # the name no endpoint has is said, not silent: most often a typo
    [note] = plan["notes"]
    assert (note["source"], note["subjects"]) == ("endpoint_monitors.all-prod-endpoints", ["prod-gone"])
    assert note["message"].startswith("1 listed endpoint does not exist here: prod-gone;")


def test_a_glob_that_matches_no_endpoint_is_a_note_in_every_format(obsctl, write_config, boto):
    seed(boto)
    path = write_config(CONFIG.replace('{match: "prod-*"}', '{match: "prdo-*"}'))
    text = obsctl("plan", path)
    assert text.exit_code == 0, text.stderr
    assert ("Note: endpoint_monitors.all-prod-endpoints: no endpoint matches 'prdo-*' here: nothing is "
            "monitored yet") in text.stdout
    assert "no endpoint matches" in obsctl("plan", path, "--format", "markdown").stdout


def test_drift_on_a_generated_alarm_shows_the_field_and_origin(obsctl, write_config, boto):
    seed(boto)
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    cloudwatch = boto("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=["prod-churn-AllTraffic-latency-p90"])["MetricAlarms"][0]
    keep = ("AlarmName", "AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions",
            "InsufficientDataActions", "MetricName", "Namespace", "ExtendedStatistic", "Dimensions",
            "Period", "EvaluationPeriods", "DatapointsToAlarm", "ComparisonOperator", "TreatMissingData")
    cloudwatch.put_metric_alarm(**{k: alarm[k] for k in keep if k in alarm}, Threshold=900000.0)

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["alarms/prod-churn-AllTraffic-latency-p90"]
    drifted = change(doc, "alarms/prod-churn-AllTraffic-latency-p90")
    assert (drifted["action"], drifted["origin"], drifted["cause"]) == (
        "update", ORIGIN.format("prod-churn"), "drift")
    assert field_diffs(drifted) == {"threshold": (900000, 500000)}


def test_validate_and_a_stack_without_monitors_make_no_discovery_calls(obsctl, write_config, boto):
    seed(boto)
    assert sum(obsctl("validate", write_config(CONFIG)).calls.values()) == 0
    plain = obsctl("plan", write_config("stack: test\ntopics: {ml-oncall: {}}\n", "plain.yaml"))
    assert plain.exit_code == 0
    assert plain.calls["sagemaker.ListEndpoints"] == plain.calls["sagemaker.DescribeEndpoint"] == 0


def test_one_endpoint_listing_serves_monitors_and_model_monitors(obsctl, write_config, boto):
    seed(boto)
    create_endpoint_with_capture(boto("sagemaker"), "prod-captured", capture=True)  # Model Monitor reads it
    path = write_config("""
        stack: test
        endpoint_monitors:
          prod: {endpoints: {match: "prod-*"}, latency_p90_ms: 500}
          churn: {endpoints: {match: "*-churn"}, error_rate_percent: 1}
        model_monitors:
          churn-data:
            endpoint: prod-captured
            type: data_quality
            schedule: hourly
            output: s3://ml-monitoring/prod-churn/reports
            role_arn: arn:aws:iam::123456789012:role/model-monitor
        """)
    plan = obsctl("plan", path, "--format", "json")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert plan.calls["sagemaker.ListEndpoints"] == 1
    # One DescribeEndpoint per endpoint, whether endpoint monitors (variants) or the model
    # monitor (data capture) needs it, or both (prod-captured).
    listed = [e["EndpointName"] for e in boto("sagemaker").list_endpoints()["Endpoints"]]
    described = [e for e in listed if e.startswith("prod-") or e.endswith("-churn")]
    assert "prod-captured" in described
    assert plan.calls["sagemaker.DescribeEndpoint"] == len(described)
    created = addresses(json.loads(plan.stdout), "create")
    assert "alarms/prod-churn-AllTraffic-latency-p90" in created
    assert "alarms/staging-churn-AllTraffic-error-rate" in created

"""Trust in what a plan says (issue 10, items 1-4), through the CLI against the emulator:

1. a `scaling:NAME` alarm action holding a dead policy ARN is a diff, repaired by one apply;
2. `cause` reads `config` for a config change and `drift` for an edit in AWS, for declared
   and generated resources alike (the last-applied marker travels beside the spec);
3. composite alarms and alarm status widgets may name generated alarms; a name nothing
   defines is a plan error with file:line:col and no write;
4. dropping an event rule without --prune keeps its topic permission, and the plan says how
   many owned resources the config no longer has.
"""

from __future__ import annotations

import json

import pytest

from reconciler.emulator.seed import seed
from tests.emulator.test_autoscaling import make_endpoint
from tests.helpers import apply_ok, assert_converged, assert_no_changes, plan_json, summary


def json_plan(obsctl, path, *flags) -> dict:
    result = obsctl("plan", path, "--format", "json", *flags)
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def causes(obsctl, path, *flags) -> dict[str, str | None]:
    return {c["address"]: c["cause"] for c in json_plan(obsctl, path, *flags)["changes"]}


# --- 1. scaling:NAME against the live policy's ARN ---------------------------------------

SCALING = """
stack: test
scaling_policies:
  churn-step-out:
    endpoint: churn
    min_capacity: 1
    max_capacity: 8
    step_scaling:
      adjustment_type: ChangeInCapacity
      steps: [{lower_bound: 0, adjustment: 1}]
alarms:
  churn-latency:
    metric: {namespace: AWS/SageMaker, name: ModelLatency, stat: p90, period: 60,
             dimensions: {EndpointName: churn, VariantName: AllTraffic}}
    when: "> 300000"
    actions: {alarm: [scaling:churn-step-out]}
"""
CHURN_TARGET = {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/churn/variant/AllTraffic",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}


def step_policy_arn(boto) -> str:
    [policy] = boto("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="sagemaker", PolicyNames=["churn-step-out"])["ScalingPolicies"]
    return policy["PolicyARN"]


def latency_actions(boto) -> list[str]:
    return boto("cloudwatch").describe_alarms(
        AlarmNames=["churn-latency"])["MetricAlarms"][0]["AlarmActions"]


def test_a_dead_scaling_policy_arn_is_a_diff_and_one_apply_repairs_the_alarm(obsctl, write_config,
                                                                               boto):
    make_endpoint(boto("sagemaker"), "churn")
    path = write_config(SCALING)
    apply_ok(obsctl, path)
    dead = step_policy_arn(boto)
    assert latency_actions(boto) == [dead]

    # Deregistering the target deletes its policies (AWS does; so does the emulator).
    boto("application-autoscaling").deregister_scalable_target(**CHURN_TARGET)
    plan = json_plan(obsctl, path)
    by_address = {c["address"]: c for c in plan["changes"]}
    assert by_address["scaling_policies/churn-step-out"]["action"] == "create"
    alarm = by_address["alarms/churn-latency"]
    assert alarm["action"] == "update"
    assert [(f["path"], f["before"], f["after"]) for f in alarm["fields"]] == [
        ("alarm_actions", [dead], ["scaling:churn-step-out"])]

    apply_ok(obsctl, path)  # recreates the policy, then points the alarm at its new ARN
    alive = step_policy_arn(boto)
    assert alive != dead
    assert latency_actions(boto) == [alive]
    assert_converged(obsctl, path)


def test_a_live_scaling_policy_arn_is_no_diff(obsctl, write_config, boto):
    make_endpoint(boto("sagemaker"), "churn")
    path = write_config(SCALING)
    apply_ok(obsctl, path)
    # Written by hand with the live ARN: the same as `scaling:churn-step-out`.
    cloudwatch = boto("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=["churn-latency"])["MetricAlarms"][0]
    cloudwatch.put_metric_alarm(
        AlarmName="churn-latency", Namespace="AWS/SageMaker", MetricName="ModelLatency",
        ExtendedStatistic="p90", Period=60, EvaluationPeriods=1, DatapointsToAlarm=1,
        Threshold=300000, ComparisonOperator="GreaterThanThreshold",
        Dimensions=alarm["Dimensions"], TreatMissingData="missing",
        AlarmActions=[step_policy_arn(boto)])
    assert_no_changes(obsctl, path)


# --- 2. config versus drift, declared and generated alike ----------------------------------

CAUSES = """
stack: test
tags: {team: ml}
prune: {dashboards: ["ml-endpoint-*"]}
topics:
  ds-team: {}
alarms:
  queue-depth:
    metric: {namespace: ML, name: QueueDepth, stat: Average, period: 60}
    when: "> 100"
endpoint_monitors:
  all-prod:
    endpoints: {match: "prod-*"}
    latency_p90_ms: 500
    error_rate_percent: 1
    log_retention_days: 30
    dashboard: true
model_monitors:
  churn-dq:
    endpoint: prod-churn
    type: data_quality
    schedule: hourly
    baseline: {constraints: s3://ml-monitoring/churn/constraints.json}
    output: s3://ml-monitoring/churn/reports
    role_arn: arn:aws:iam::123456789012:role/monitor
    drift_alarms:
      - {feature: age, threshold: 0.2, actions: {alarm: [topic:ds-team]}}
      - {feature: tenure, threshold: 0.2}
"""
EDITED = {"latency_p90_ms: 500": "latency_p90_ms: 400", "log_retention_days: 30": "log_retention_days: 60",
          "{feature: age, threshold: 0.2,": "{feature: age, threshold: 0.3,", '"> 100"': '"> 150"',
          "schedule: hourly": "schedule: daily"}
ENDPOINTS = ("prod-churn", "prod-fraud")
LATENCY = "alarms/{}-AllTraffic-latency-p90"
LOG_GROUP = "log_groups:/aws/sagemaker/Endpoints/{}"


@pytest.fixture
def endpoints(aws):
    seed(aws.endpoint_url)  # prod-churn, prod-fraud, staging-churn


def edited(write_config, text: str = CAUSES, edits: dict = EDITED) -> str:
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new)
    return write_config(text)


def test_a_config_change_reads_config_for_declared_and_generated_resources(obsctl, write_config,
                                                                         endpoints):
    apply_ok(obsctl, write_config(CAUSES))
    path = edited(write_config)
    expected = {LATENCY.format(e): "config" for e in ENDPOINTS}
    expected |= {LOG_GROUP.format(e): "config" for e in ENDPOINTS}
    expected |= {"dashboards/ml-endpoint-prod-churn": None,  # untaggable: no marker, no cause
                 "dashboards/ml-endpoint-prod-fraud": None,
                 "alarms/churn-dq-drift-age": "config", "alarms/churn-dq-drift-tenure": "config",
                 "alarms/queue-depth": "config", "model_monitors/churn-dq": "config"}
    assert causes(obsctl, path) == expected
    assert "drifted" not in obsctl("plan", path).stdout
    markdown = obsctl("plan", path, "--format", "markdown").stdout
    assert "drifted" not in markdown and "· drift" not in markdown

    apply_ok(obsctl, path)
    assert_converged(obsctl, path)


def test_an_edit_in_aws_reads_drift_for_declared_and_generated_resources(obsctl, write_config,
                                                                        endpoints, boto):
    path = write_config(CAUSES)
    apply_ok(obsctl, path)
    cloudwatch, logs = boto("cloudwatch"), boto("logs")
    for name in ("prod-churn-AllTraffic-latency-p90", "churn-dq-drift-age", "queue-depth"):
        alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        cloudwatch.put_metric_alarm(**{k: alarm[k] for k in (
            "AlarmName", "Namespace", "MetricName", "Dimensions", "Period", "EvaluationPeriods",
            "ComparisonOperator") if k in alarm}, Threshold=alarm["Threshold"] + 1,
            **{k: alarm[k] for k in ("Statistic", "ExtendedStatistic", "AlarmActions",
                                     "TreatMissingData", "AlarmDescription") if alarm.get(k)})
    logs.put_retention_policy(logGroupName="/aws/sagemaker/Endpoints/prod-fraud", retentionInDays=7)
    sagemaker = boto("sagemaker")
    config = sagemaker.describe_monitoring_schedule(
        MonitoringScheduleName="churn-dq")["MonitoringScheduleConfig"]
    config["ScheduleConfig"]["ScheduleExpression"] = "cron(0 0 ? * * *)"
    sagemaker.update_monitoring_schedule(MonitoringScheduleName="churn-dq",
                                         MonitoringScheduleConfig=config)
    cloudwatch.put_dashboard(DashboardName="ml-endpoint-prod-churn", DashboardBody='{"widgets": []}')

    assert causes(obsctl, path) == {
        LATENCY.format("prod-churn"): "drift", "alarms/churn-dq-drift-age": "drift",
        "alarms/queue-depth": "drift", LOG_GROUP.format("prod-fraud"): "drift",
        "model_monitors/churn-dq": "drift", "dashboards/ml-endpoint-prod-churn": None}
    markdown = obsctl("plan", path, "--format", "markdown").stdout
    assert "⚠️ **5 drifted**" in markdown

    # Both at once: the config moves the latency threshold the edit above also moved.
    both = edited(write_config)
    assert causes(obsctl, both)[LATENCY.format("prod-churn")] == "config+drift"
    assert causes(obsctl, both)[LATENCY.format("prod-fraud")] == "config"
    apply_ok(obsctl, both)
    assert_converged(obsctl, both)


def test_a_tag_change_in_the_config_reads_config(obsctl, write_config, endpoints):
    apply_ok(obsctl, write_config(CAUSES))
    path = edited(write_config, edits={"tags: {team: ml}": "tags: {team: ml-platform}"})
    found = causes(obsctl, path)
    assert found and set(found.values()) == {"config"}, found
    assert LATENCY.format("prod-fraud") in found and "model_monitors/churn-dq" in found


def test_a_marker_of_an_older_obsctl_makes_no_change_and_reads_unknown(obsctl, write_config, boto):
    path = write_config(CAUSES.split("endpoint_monitors:")[0])
    apply_ok(obsctl, path)
    cloudwatch = boto("cloudwatch")
    arn = cloudwatch.describe_alarms(AlarmNames=["queue-depth"])["MetricAlarms"][0]["AlarmArn"]
    cloudwatch.tag_resource(ResourceARN=arn, Tags=[{"Key": "obsctl:applied",
                                                   "Value": "0123456789abcdef"}])
    assert_no_changes(obsctl, path)  # the spec matches: the marker alone is no change
    edited_path = edited(write_config, CAUSES.split("endpoint_monitors:")[0], {'"> 100"': '"> 150"'})
    assert causes(obsctl, edited_path) == {"alarms/queue-depth": None}
    apply_ok(obsctl, edited_path)  # writes the current marker with the update
    reverted = write_config(CAUSES.split("endpoint_monitors:")[0])
    assert causes(obsctl, reverted) == {"alarms/queue-depth": "config"}


# --- 3. composite alarms and alarm widgets naming generated alarms --------------------------

GENERATED_REFERENCES = """
stack: test
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
composite_alarms:
  churn-unhealthy:
    rule: ALARM(churn-latency) OR ALARM(churn-drift-age) OR ALARM(prod-churn-AllTraffic-latency-p90)
dashboards:
  churn:
    widgets:
      - type: alarm_status
        title: churn alarms
        alarms: [churn-drift-age, prod-fraud-AllTraffic-latency-p90, churn-unhealthy]
"""


def test_composites_and_alarm_widgets_may_name_generated_alarms(obsctl, write_config, endpoints,
                                                               boto):
    path = write_config(GENERATED_REFERENCES)
    validated = obsctl("validate", path)
    assert validated.exit_code == 0, validated.stdout + validated.stderr
    # The emulator, like CloudWatch, refuses a composite whose children do not exist yet:
    # generated alarms are applied before the composites and dashboards naming them.
    apply_ok(obsctl, path)
    composite = boto("cloudwatch").describe_alarms(
        AlarmNames=["churn-unhealthy"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert "ALARM(churn-drift-age)" in composite[0]["AlarmRule"]
    assert_converged(obsctl, path)


def test_a_name_no_monitor_could_generate_is_still_a_validation_error(obsctl, write_config):
    path = write_config(GENERATED_REFERENCES.replace(
        "ALARM(churn-drift-age)", "ALARM(churn-drift-tenure)").replace(
        "[churn-drift-age,", "[prod-churn-AllTraffic-error-rate,"))
    result = obsctl("validate", path)
    assert result.exit_code == 1
    assert "alarm rule names 'churn-drift-tenure'" in result.stderr
    # The monitor sets no error_rate_percent: it never generates `...-error-rate`.
    assert "unknown alarm 'prod-churn-AllTraffic-error-rate'" in result.stderr


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_name_of_an_endpoint_that_is_not_there_is_a_plan_error_and_nothing_is_written(
        command, obsctl, write_config, endpoints):
    path = write_config(GENERATED_REFERENCES.replace(
        "ALARM(prod-churn-AllTraffic-latency-p90)", "ALARM(prod-gone-AllTraffic-latency-p90)").replace(
        "prod-fraud-AllTraffic-latency-p90", "prod-fraud-Blue-latency-p90"))
    assert obsctl("validate", path).exit_code == 0  # endpoints are discovered at plan time
    result = obsctl(command, path, *(["--auto-approve"] if command == "apply" else []))
    assert result.exit_code == 1, result.stdout
    assert result.writes == 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    rule = next(line for line in lines if "prod-gone-AllTraffic-latency-p90" in line)
    assert rule.startswith(f"error: {path}:23:5: alarm rule names "), rule
    widget = next(line for line in lines if "prod-fraud-Blue-latency-p90" in line)
    assert widget.startswith(f"{path}:29:"), widget
    assert "nothing was changed" in result.stderr


# --- 4. removing a rule without --prune; owned resources left behind ----------------------

RULES = """
stack: test
topics:
  ml-oncall: {}
alarms:
  queue-depth:
    metric: {namespace: ML, name: QueueDepth, stat: Average, period: 60}
    when: "> 100"
  queue-age:
    metric: {namespace: ML, name: QueueAge, stat: Maximum, period: 60}
    when: "> 600"
event_rules:
  training-failed:
    pattern: {source: [aws.sagemaker], detail-type: [SageMaker Training Job State Change]}
    targets: [topic:ml-oncall]
  endpoint-failed:
    pattern: {source: [aws.sagemaker], detail-type: [SageMaker Endpoint State Change]}
    targets: [topic:ml-oncall]
"""
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ml-oncall"
RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/{}"


def publishers(boto) -> list[str]:
    policy = json.loads(boto("sns").get_topic_attributes(TopicArn=TOPIC_ARN)["Attributes"]["Policy"])
    [statement] = [s for s in policy["Statement"] if s.get("Sid") == "obsctl-eventbridge-publish"]
    arns = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    return sorted([arns] if isinstance(arns, str) else arns)


def without(text: str, *sections: str) -> str:
    """The config without the named entries (each a `  name:` line and its indented body)."""
    lines, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("  ") and not line.startswith("   "):
            skipping = line.strip().rstrip(":") in sections
        if not skipping:
            lines.append(line)
    return "".join(lines)


def test_a_rule_dropped_without_prune_keeps_its_topic_permission_until_pruned(obsctl, write_config,
                                                                             boto):
    apply_ok(obsctl, write_config(RULES))
    both = [RULE_ARN.format("endpoint-failed"), RULE_ARN.format("training-failed")]
    assert publishers(boto) == both

    path = write_config(without(RULES, "endpoint-failed"))
    # The live rule keeps its permission: no change, and the plan counts what it leaves.
    plan = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(0,))
    assert plan["changes"] == [] and plan["summary"] == summary()
    assert [s["unmanaged_owned"] for s in plan["stacks"]] == [["event_rules/endpoint-failed"]]
    applied = apply_ok(obsctl, path)
    assert applied.writes == 0 and publishers(boto) == both  # alerts keep flowing

    pruned = json_plan(obsctl, path, "--prune")
    assert {(c["action"], c["address"]) for c in pruned["changes"]} == {
        ("delete", "event_rules/endpoint-failed"), ("update", "topics/ml-oncall")}
    apply_ok(obsctl, path, "--prune")
    assert publishers(boto) == [RULE_ARN.format("training-failed")]
    assert_converged(obsctl, path)
    assert_converged(obsctl, path, "--prune")


def test_a_plan_without_prune_counts_the_owned_resources_it_leaves_behind(obsctl, write_config):
    apply_ok(obsctl, write_config(RULES))
    path = write_config(without(RULES, "endpoint-failed", "queue-depth").replace(
        "aws.sagemaker]", "aws.sagemaker, aws.batch]"))  # and one change
    text = obsctl("plan", path).stdout
    assert "2 owned resources are not in the config; --prune deletes them." in text
    markdown = obsctl("plan", path, "--format", "markdown").stdout
    assert "2 owned resources are not in the config; `--prune` deletes them." in markdown
    plan = json_plan(obsctl, path)
    assert plan["summary"] == summary(update=1)
    [stack] = plan["stacks"]
    assert stack["unmanaged_owned"] == ["alarms/queue-depth", "event_rules/endpoint-failed"]
    # --prune plans their deletes instead, and there is nothing left to mention.
    pruned = json_plan(obsctl, path, "--prune")
    assert pruned["stacks"][0]["unmanaged_owned"] == []
    assert "not in the config" not in obsctl("plan", path, "--prune").stdout


DECLARED = """
stack: test
topics:
  ml-oncall: {display_name: ML on-call}
log_groups:
  /ml/churn: {retention_days: 30}
alarms:
  queue-depth:
    metric: {namespace: ML, name: QueueDepth, stat: Average, period: 60}
    when: "> 100"
composite_alarms:
  queue-unhealthy: {rule: ALARM(queue-depth), description: queue unhealthy}
event_rules:
  training-failed:
    description: training failed
    pattern: {source: [aws.sagemaker]}
    targets: [topic:ml-oncall]
"""
DECLARED_ADDRESSES = ("topics/ml-oncall", "log_groups:/ml/churn", "composite_alarms/queue-unhealthy",
                      "event_rules/training-failed")


def test_every_declared_taggable_kind_tells_config_from_drift(obsctl, write_config, boto):
    apply_ok(obsctl, write_config(DECLARED))
    path = edited(write_config, DECLARED, {"ML on-call": "ML on call", "retention_days: 30": "retention_days: 60",
                                           "description: queue unhealthy": "description: queue down",
                                           "description: training failed": "description: training job failed"})
    assert causes(obsctl, path) == dict.fromkeys(DECLARED_ADDRESSES, "config")
    apply_ok(obsctl, path)

    topic = "arn:aws:sns:us-east-1:123456789012:ml-oncall"
    boto("sns").set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="x")
    boto("logs").put_retention_policy(logGroupName="/ml/churn", retentionInDays=7)
    boto("cloudwatch").put_composite_alarm(AlarmName="queue-unhealthy", AlarmRule="ALARM(queue-depth)",
                                           AlarmDescription="edited")
    boto("events").put_rule(Name="training-failed", EventPattern='{"source": ["aws.sagemaker"]}',
                            Description="edited")
    assert causes(obsctl, path) == dict.fromkeys(DECLARED_ADDRESSES, "drift")

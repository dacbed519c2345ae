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
from tests.helpers import apply_ok, assert_converged, assert_no_changes


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

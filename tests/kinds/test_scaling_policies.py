"""Scaling policies and `scaling:NAME` alarm actions through the CLI against the emulator."""

from __future__ import annotations

import pytest

from tests.emulator.test_autoscaling import make_endpoint
from tests.helpers import addresses, assert_no_changes, change, field_diffs, plan_json, summary

NAMESPACE, DIMENSION = "sagemaker", "sagemaker:variant:DesiredInstanceCount"
RESOURCE = "endpoint/churn/variant/AllTraffic"
CONFIG = """
stack: test
prune: {scaling_policies: ["churn-*"]}
topics:
  ml-oncall: {}
scaling_policies:
  churn-step-out:
    endpoint: churn
    min_capacity: 1
    max_capacity: 8
    step_scaling:
      adjustment_type: ChangeInCapacity
      steps: [{lower_bound: 0, upper_bound: 200000, adjustment: 1}, {lower_bound: 200000, adjustment: 2}]
  churn-invocations:
    endpoint: churn
    variant: AllTraffic
    min_capacity: 1
    max_capacity: 8
    target_tracking: {metric: SageMakerVariantInvocationsPerInstance, target: 1000}
alarms:
  churn-latency:
    metric: {namespace: AWS/SageMaker, name: ModelLatency, stat: p90, period: 60,
             dimensions: {EndpointName: churn, VariantName: AllTraffic}}
    when: "> 300000"
    evaluation_periods: 3
    actions: {alarm: [scaling:churn-step-out, topic:ml-oncall]}
"""


@pytest.fixture
def endpoint(boto):
    make_endpoint(boto("sagemaker"), "churn")


@pytest.fixture
def applied(endpoint, obsctl, write_config):
    path = write_config(CONFIG)
    result = obsctl("apply", path, "--auto-approve")
    assert result.exit_code == 0, result.stdout + result.stderr
    return path


def policies(boto) -> dict[str, dict]:
    found = boto("application-autoscaling").describe_scaling_policies(ServiceNamespace=NAMESPACE)
    return {p["PolicyName"]: p for p in found["ScalingPolicies"]}


def alarm_actions(boto, name: str) -> list[str]:
    return boto("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmActions"]


def test_apply_then_plan_is_empty_and_scaling_resolves_to_the_policy_arn(applied, obsctl, boto):
    assert_no_changes(obsctl, applied)
    assert_no_changes(obsctl, applied, "--prune")  # AWS's TargetTracking-... alarms stay out
    again = obsctl("apply", applied, "--auto-approve")
    assert again.exit_code == 0 and again.writes == 0, again.calls

    step_arn = policies(boto)["churn-step-out"]["PolicyARN"]
    assert sorted(alarm_actions(boto, "churn-latency")) == \
        sorted([step_arn, "arn:aws:sns:us-east-1:123456789012:ml-oncall"])
    [target] = boto("application-autoscaling").describe_scalable_targets(
        ServiceNamespace=NAMESPACE)["ScalableTargets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (RESOURCE, 1, 8)


def test_target_tracking_alarms_are_never_planned_adopted_or_imported(applied, obsctl, boto):
    managed = [a["AlarmName"] for a in boto("cloudwatch").describe_alarms()["MetricAlarms"]
               if a["AlarmName"].startswith("TargetTracking-")]
    assert len(managed) == 2  # AlarmHigh and AlarmLow, made by Application Auto Scaling
    doc = plan_json(obsctl, applied, "--prune", "--adopt", "alarms/*", exit_codes=(0,))
    assert doc["changes"] == [] and doc["kept"] == []
    assert [s["unmanaged_owned"] for s in doc["stacks"]] == [[]]
    imported = obsctl("import", "--kind", "alarms", applied)
    assert imported.exit_code == 0, imported.stderr
    assert "TargetTracking-" not in imported.stdout and "churn-latency" in imported.stdout


def test_min_capacity_changed_out_of_band_is_a_field_diff(applied, obsctl, boto):
    boto("application-autoscaling").register_scalable_target(
        ServiceNamespace=NAMESPACE, ResourceId=RESOURCE, ScalableDimension=DIMENSION, MinCapacity=3)
    doc = plan_json(obsctl, applied, "--detailed-exitcode", exit_codes=(2,))
    # One target, two policies: both show the change.
    assert addresses(doc, "update") == ["scaling_policies/churn-invocations",
                                        "scaling_policies/churn-step-out"]
    for address in addresses(doc):
        assert field_diffs(change(doc, address)) == {"min_capacity": (3, 1)}
    assert doc["summary"] == summary(update=2)
    fixed = obsctl("apply", applied, "--auto-approve")
    assert fixed.calls["application-autoscaling.RegisterScalableTarget"] == 2
    assert fixed.calls["application-autoscaling.PutScalingPolicy"] == 0
    assert_no_changes(obsctl, applied)


def test_changing_steps_updates_the_policy_and_the_alarm_keeps_its_action(applied, obsctl, boto,
                                                                          write_config):
    before = policies(boto)["churn-step-out"]["PolicyARN"]
    path = write_config(CONFIG.replace("adjustment: 2}", "adjustment: 3}"))
    doc = plan_json(obsctl, path, "--target", "scaling_policies/churn-step-out")
    assert addresses(doc) == ["scaling_policies/churn-step-out"]
    assert field_diffs(change(doc, "scaling_policies/churn-step-out")) == {
        "step_scaling.steps[1].adjustment": (2, 3)}
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert policies(boto)["churn-step-out"]["PolicyARN"] == before
    assert before in alarm_actions(boto, "churn-latency")
    assert_no_changes(obsctl, path)


def test_removing_the_policies_deletes_them_and_deregisters_the_target(applied, obsctl, boto,
                                                                       write_config):
    path = write_config("stack: test\nprune: {scaling_policies: [\"churn-*\"]}\ntopics:\n  ml-oncall: {}\n")
    result = obsctl("apply", path, "--auto-approve", "--prune", "--allow-mass-delete")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "- scaling_policies/churn-step-out: deleted" in result.stdout
    assert policies(boto) == {}
    scaling = boto("application-autoscaling")
    assert scaling.describe_scalable_targets(ServiceNamespace=NAMESPACE)["ScalableTargets"] == []
    assert boto("cloudwatch").describe_alarms()["MetricAlarms"] == []  # AWS's went with the policy


def test_a_missing_endpoint_fails_the_policy_and_its_alarm_only(obsctl, write_config):
    path = write_config(CONFIG)  # no endpoint `churn` in the emulator
    result = obsctl("apply", path, "--auto-approve")
    assert result.exit_code == 1
    assert "Could not find endpoint" in result.stdout + result.stderr
    assert "+ topics/ml-oncall: created" in result.stdout

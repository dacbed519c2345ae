"""Scaling policies without AWS: validation, both sides of the comparable form, requests,
and `scaling:NAME` references from alarms."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from reconciler.config.stack import Stack
from reconciler.diagnostics import Location
from reconciler.kinds.alarms import AlarmConfig, Alarms, _with_scaling_references
from reconciler.kinds.scaling_policies import (ScalingPolicies, ScalingPolicyConfig, Step,
                                               desired_spec, live_spec, policy_request,
                                               reference_for, step_problems)

STEP = {"endpoint": "churn", "variant": "AllTraffic", "min_capacity": 1, "max_capacity": 8,
        "step_scaling": {"adjustment_type": "ChangeInCapacity",
                         "steps": [{"lower_bound": 0, "upper_bound": 100, "adjustment": 1},
                                   {"lower_bound": 100, "adjustment": 3}]}}
TRACKING = {"endpoint": "churn", "min_capacity": 1, "max_capacity": 8,
            "target_tracking": {"metric": "SageMakerVariantInvocationsPerInstance", "target": 1000}}
POLICY_ARN = ("arn:aws:autoscaling:us-east-1:111111111111:scalingPolicy:0e4c-11:resource/sagemaker/"
              "endpoint/churn/variant/AllTraffic:policyName/churn-step-out")
LATENCY = {"namespace": "AWS/SageMaker", "name": "ModelLatency", "stat": "p90", "period": 60}


def policy(**fields) -> ScalingPolicyConfig:
    return ScalingPolicyConfig.model_validate(fields)


def steps(*bounds) -> list[Step]:
    return [Step(lower_bound=low, upper_bound=high, adjustment=1) for low, high in bounds]


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("bounds", [
    [(0, None)],
    [(None, 0)],
    [(None, 0), (0, None)],
    [(0, 10), (10, 20), (20, None)],
    [(None, -10), (-10, 0), (0, None)],
    [(5, None)],  # no negative lower bound, no positive upper bound: nothing else needed
])
def test_step_ranges_aws_accepts(bounds):
    assert step_problems(steps(*bounds)) == []


@pytest.mark.parametrize("bounds, problem", [
    ([(None, None)], "steps[0] needs lower_bound or upper_bound"),
    ([(10, 5), (20, None)], "steps[0]: lower_bound 10.0 is not below upper_bound 5.0"),
    ([(0, 10), (5, None)], "steps[0] and steps[1] overlap"),
    ([(0, 10), (20, None)], "gap between steps[0] (up to 10) and steps[1] (from 20)"),
    ([(0, None), (10, None)], "only one step may leave out upper_bound; steps 0, 1 do"),
    ([(-10, 0), (0, None)], "a negative lower_bound needs a step without lower_bound below it"),
    ([(0, 10)], "a positive upper_bound needs a step without upper_bound above it"),
])
def test_step_ranges_aws_refuses(bounds, problem):
    assert any(p.startswith(problem) for p in step_problems(steps(*bounds))), step_problems(steps(*bounds))


@pytest.mark.parametrize("fields, message", [
    ({**STEP, "min_capacity": 9}, "min_capacity 9 is above max_capacity 8"),
    ({**STEP, **{"target_tracking": TRACKING["target_tracking"]}}, "exactly one of"),
    ({k: v for k, v in STEP.items() if k != "step_scaling"}, "exactly one of"),
    ({**STEP, "endpoint": "churn_v2"}, "should match pattern"),
    ({**STEP, "step_scaling": {**STEP["step_scaling"], "adjustment_type": "ExactCapacity",
                               "steps": [{"lower_bound": 0, "adjustment": -1}]}}, "none may be negative"),
    ({**TRACKING, "target_tracking": {"metric": "SageMakerVariantInvocations", "target": 1}}, "Input should be"),
    ({**TRACKING, "target_tracking": {**TRACKING["target_tracking"], "target": 0}}, "greater than 0"),
    ({**STEP, "min_capacity": "1"}, "valid integer"),
])
def test_invalid_policies(fields, message):
    with pytest.raises(ValidationError, match=message):
        policy(**fields)


def make_stack(policies: dict, alarms: dict | None = None) -> Stack:
    config = SimpleNamespace(
        scaling_policies={n: ScalingPolicyConfig.model_validate(p) for n, p in policies.items()},
        alarms={n: AlarmConfig.model_validate(a) for n, a in (alarms or {}).items()},
        topics={}, tags={}, prune={})
    sources = {("scaling_policies", n): Location("stack.yaml", 10 * i + 1, 3)
               for i, n in enumerate(policies)}
    sources.update({("scaling_policies", n, "min_capacity"): Location("stack.yaml", 10 * i + 4, 19)
                    for i, n in enumerate(policies)})
    sources.update({("alarms", n, "actions", "alarm", 0): Location("alarms.yaml", 5, 16)
                    for n in alarms or {}})
    return Stack(name="test", config=config, sources=sources)


def test_policies_on_one_variant_must_agree_on_its_capacity_naming_both_places():
    stack = make_stack({"a": STEP, "b": {**TRACKING, "max_capacity": 4},
                        "elsewhere": {**TRACKING, "endpoint": "fraud", "max_capacity": 2}})
    [diagnostic] = ScalingPolicies().check(stack)
    assert diagnostic.location == Location("stack.yaml", 14, 19)
    assert "'a' (stack.yaml:1:3) and 'b' both scale churn/AllTraffic" in diagnostic.message
    assert "1..8 vs 1..4" in diagnostic.message


def alarm_with(*actions, band=False) -> dict:
    if band:
        return {"metric": LATENCY | {"stat": "Sum"}, "anomaly_band": {}, "actions": {"alarm": list(actions)}}
    return {"metric": LATENCY, "when": "> 1", "actions": {"alarm": list(actions)}}


@pytest.mark.parametrize("alarm, message", [
    (alarm_with("scaling:churn-step-out"), None),
    (alarm_with("scaling:churn-step"), "scaling policy 'churn-step' is not defined in `scaling_policies`"),
    (alarm_with("scaling:churn-tracking"), "scaling policy 'churn-tracking' is a target tracking policy"),
    (alarm_with("scaling:churn-step-out", band=True), "anomaly_band alarms cannot have Auto Scaling"),
])
def test_alarm_scaling_references(alarm, message):
    stack = make_stack({"churn-step-out": STEP, "churn-tracking": TRACKING}, {"latency": alarm})
    found = Alarms().check(stack)
    assert [d.message[:len(message)] for d in found] == ([message] if message else [])
    if message and "not defined" in message:
        assert found[0].hint == "did you mean 'scaling:churn-step-out'?"


# --- references ----------------------------------------------------------------------------

def test_policy_arns_of_declared_policies_become_references():
    declared = {"churn-step-out": "endpoint/churn/variant/AllTraffic"}
    assert reference_for(POLICY_ARN, declared) == "scaling:churn-step-out"
    other_variant = POLICY_ARN.replace("variant/AllTraffic", "variant/Blue")
    assert reference_for(other_variant, declared) == other_variant
    assert reference_for(POLICY_ARN + ":createdBy/9f", declared) == POLICY_ARN + ":createdBy/9f"
    assert reference_for(POLICY_ARN, {}) == POLICY_ARN
    spec = {"alarm_actions": [POLICY_ARN, "arn:aws:sns:us-east-1:111111111111:t"], "ok_actions": []}
    written = lambda arn: reference_for(arn, declared)  # noqa: E731
    assert _with_scaling_references(spec, written)["alarm_actions"] == \
        ["arn:aws:sns:us-east-1:111111111111:t", "scaling:churn-step-out"]


# --- comparable form ---------------------------------------------------------------------

def described(name: str, spec: dict, target_min=1, target_max=8) -> tuple[dict, dict]:
    """What DescribeScalingPolicies / DescribeScalableTargets answer after PutScalingPolicy
    with `policy_request`: numbers as doubles, plus output-only fields."""
    request = policy_request(name, spec)
    answer = {**request, "PolicyARN": POLICY_ARN, "CreationTime": "2024-01-01T00:00:00Z", "Alarms": []}
    for config in ("StepScalingPolicyConfiguration", "TargetTrackingScalingPolicyConfiguration"):
        if config in answer and "StepAdjustments" in answer[config]:
            answer[config]["StepAdjustments"] = list(reversed(answer[config]["StepAdjustments"]))
    target = {"ResourceId": request["ResourceId"], "MinCapacity": target_min, "MaxCapacity": target_max,
              "RoleARN": "arn:aws:iam::111111111111:role/aws-service-role/x", "SuspendedState": {}}
    return answer, target


@pytest.mark.parametrize("fields", [
    STEP, TRACKING,
    {**TRACKING, "target_tracking": {"target": 70.5, "disable_scale_in": True, "scale_in_cooldown": 600,
                                     "metric": {"namespace": "/aws/sagemaker/Endpoints",
                                                "name": "CPUUtilization", "unit": "Percent",
                                                "dimensions": {"VariantName": "AllTraffic",
                                                               "EndpointName": "churn"}}}},
])
def test_live_form_of_what_was_put_equals_the_desired_form(fields):
    spec = desired_spec(policy(**fields))
    assert live_spec(*described("p", spec)) == spec


def test_aws_defaults_left_out_of_a_live_policy_compare_equal():
    # A policy made elsewhere without cooldowns or aggregation: AWS's defaults apply.
    spec = desired_spec(policy(**STEP))
    answer, target = described("p", spec)
    config = answer["StepScalingPolicyConfiguration"]
    del config["Cooldown"], config["MetricAggregationType"]
    assert live_spec(answer, target) == spec


def test_capacity_drift_is_a_field_of_the_policy():
    spec = desired_spec(policy(**STEP))
    live = live_spec(*described("p", spec, target_min=2))
    assert {k for k in spec if spec[k] != live[k]} == {"min_capacity"}

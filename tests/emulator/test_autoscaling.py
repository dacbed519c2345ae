"""Application Auto Scaling of SageMaker variants through plain boto3 against the emulator."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

NAMESPACE, DIMENSION = "sagemaker", "sagemaker:variant:DesiredInstanceCount"
RESOURCE = "endpoint/churn/variant/AllTraffic"
TARGET = dict(ServiceNamespace=NAMESPACE, ResourceId=RESOURCE, ScalableDimension=DIMENSION)
INVOCATIONS = {"TargetValue": 1000.0,
               "PredefinedMetricSpecification": {
                   "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}
STEPS = {"AdjustmentType": "ChangeInCapacity", "Cooldown": 300,
         "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}


def make_endpoint(sagemaker, name: str) -> None:
    sagemaker.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
                           PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m"})
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)


@pytest.fixture
def scaling(emu_client):
    make_endpoint(emu_client("sagemaker"), "churn")
    return emu_client("application-autoscaling")


@pytest.fixture
def cloudwatch(emu_client):
    return emu_client("cloudwatch")


def register(scaling, resource=RESOURCE, low=1, high=4):
    scaling.register_scalable_target(ServiceNamespace=NAMESPACE, ResourceId=resource,
                                     ScalableDimension=DIMENSION, MinCapacity=low, MaxCapacity=high)


def put_tracking(scaling, name="invocations", **config):
    return scaling.put_scaling_policy(PolicyName=name, PolicyType="TargetTrackingScaling",
                                      TargetTrackingScalingPolicyConfiguration={**INVOCATIONS, **config},
                                      **TARGET)


def put_step(scaling, name="step-out"):
    return scaling.put_scaling_policy(PolicyName=name, PolicyType="StepScaling",
                                      StepScalingPolicyConfiguration=STEPS, **TARGET)


def alarms(cloudwatch) -> dict[str, dict]:
    return {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}


@pytest.mark.parametrize("resource, message", [
    ("endpoint/nope/variant/AllTraffic", 'Could not find endpoint'),
    ("endpoint/churn/variant/Blue", "[Blue] is/are not present in endpoint churn"),
])
def test_registering_a_missing_endpoint_or_variant_is_refused(scaling, resource, message):
    with pytest.raises(ClientError) as error:
        register(scaling, resource)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert message in error.value.response["Error"]["Message"]


def test_new_target_needs_capacities_in_order(scaling):
    with pytest.raises(ClientError, match="required"):
        scaling.register_scalable_target(**TARGET, MinCapacity=1)
    with pytest.raises(ClientError, match="Minimum capacity cannot be greater"):
        register(scaling, low=5, high=2)
    register(scaling)
    scaling.register_scalable_target(**TARGET, MaxCapacity=8)  # an update may name one bound
    [target] = scaling.describe_scalable_targets(ServiceNamespace=NAMESPACE)["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 8)


def test_a_policy_needs_a_registered_target(scaling):
    with pytest.raises(ClientError) as error:
        put_step(scaling)
    assert error.value.response["Error"]["Code"] == "ObjectNotFoundException"


def test_target_tracking_creates_the_alarms_aws_manages(scaling, cloudwatch):
    register(scaling)
    answer = put_tracking(scaling)
    found = alarms(cloudwatch)
    assert sorted(a["AlarmName"] for a in answer["Alarms"]) == sorted(found)
    high = next(a for n, a in found.items() if n.startswith(f"TargetTracking-{RESOURCE}-AlarmHigh-"))
    low = next(a for n, a in found.items() if n.startswith(f"TargetTracking-{RESOURCE}-AlarmLow-"))
    assert (high["ComparisonOperator"], high["Threshold"], high["EvaluationPeriods"]) == \
        ("GreaterThanThreshold", 1000.0, 3)
    assert (low["ComparisonOperator"], low["Threshold"], low["EvaluationPeriods"]) == \
        ("LessThanThreshold", 900.0, 15)
    assert (high["Namespace"], high["MetricName"], high["Statistic"]) == \
        ("AWS/SageMaker", "InvocationsPerInstance", "Sum")
    assert sorted((d["Name"], d["Value"]) for d in high["Dimensions"]) == \
        [("EndpointName", "churn"), ("VariantName", "AllTraffic")]
    [action] = high["AlarmActions"]
    assert action.startswith(answer["PolicyARN"] + ":createdBy/")
    assert high["AlarmDescription"] == f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}."
    arn = high["AlarmArn"]
    assert cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == []


def test_update_keeps_the_policy_arn_and_alarm_names(scaling, cloudwatch):
    register(scaling)
    first = put_tracking(scaling)
    second = put_tracking(scaling, TargetValue=500.0, DisableScaleIn=True)
    assert second["PolicyARN"] == first["PolicyARN"]
    [high] = alarms(cloudwatch).values()  # no AlarmLow when scale-in is disabled
    assert high["AlarmName"] in {a["AlarmName"] for a in first["Alarms"]}
    assert high["Threshold"] == 500.0


def test_step_policies_get_no_alarms_and_keep_their_arn(scaling, cloudwatch):
    register(scaling)
    first = put_step(scaling)
    assert first["Alarms"] == [] and alarms(cloudwatch) == {}
    assert put_step(scaling)["PolicyARN"] == first["PolicyARN"]
    assert f":resource/sagemaker/{RESOURCE}:policyName/step-out" in first["PolicyARN"]


def test_deleting_a_policy_deletes_its_alarms(scaling, cloudwatch):
    register(scaling)
    put_tracking(scaling)
    scaling.delete_scaling_policy(PolicyName="invocations", **TARGET)
    assert alarms(cloudwatch) == {}


def test_deregistering_a_target_deletes_its_policies_and_alarms(scaling, cloudwatch):
    register(scaling)
    put_tracking(scaling)
    put_step(scaling)
    scaling.deregister_scalable_target(**TARGET)
    assert scaling.describe_scaling_policies(ServiceNamespace=NAMESPACE)["ScalingPolicies"] == []
    assert alarms(cloudwatch) == {}


def test_describe_policies_filters_by_name_and_exact_resource(scaling, emu_client):
    make_endpoint(emu_client("sagemaker"), "churn-v2")
    register(scaling)
    register(scaling, "endpoint/churn-v2/variant/AllTraffic")
    put_step(scaling, "a")
    put_step(scaling, "b")
    scaling.put_scaling_policy(PolicyName="a", PolicyType="StepScaling",
                               StepScalingPolicyConfiguration=STEPS, ServiceNamespace=NAMESPACE,
                               ResourceId="endpoint/churn-v2/variant/AllTraffic",
                               ScalableDimension=DIMENSION)
    named = scaling.describe_scaling_policies(ServiceNamespace=NAMESPACE, PolicyNames=["a"])
    assert {p["ResourceId"] for p in named["ScalingPolicies"]} == \
        {RESOURCE, "endpoint/churn-v2/variant/AllTraffic"}
    exact = scaling.describe_scaling_policies(ServiceNamespace=NAMESPACE, ResourceId=RESOURCE)
    assert sorted(p["PolicyName"] for p in exact["ScalingPolicies"]) == ["a", "b"]


def test_both_listings_page_by_at_most_50(scaling, emu_client):
    sagemaker = emu_client("sagemaker")
    for index in range(3):
        make_endpoint(sagemaker, f"e{index}")
        register(scaling, f"endpoint/e{index}/variant/AllTraffic")
        scaling.put_scaling_policy(PolicyName="out", PolicyType="StepScaling",
                                   StepScalingPolicyConfiguration=STEPS, ServiceNamespace=NAMESPACE,
                                   ResourceId=f"endpoint/e{index}/variant/AllTraffic",
                                   ScalableDimension=DIMENSION)
    for operation, key in (("describe_scalable_targets", "ScalableTargets"),
                           ("describe_scaling_policies", "ScalingPolicies")):
        pages = scaling.get_paginator(operation).paginate(ServiceNamespace=NAMESPACE,
                                                          PaginationConfig={"PageSize": 2})
        sizes = [len(page[key]) for page in pages]
        assert sizes == [2, 1]
    with pytest.raises(ClientError, match="between 1 and 50"):
        scaling.describe_scalable_targets(ServiceNamespace=NAMESPACE, MaxResults=51)

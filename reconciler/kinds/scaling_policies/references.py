"""The `scaling:NAME` references that alarm actions make to the stack's scaling policies:
which policy an ARN names, which names are declared, and their live ARNs (a policy's ARN
holds a UUID AWS picks, so alarms keep `scaling:NAME` until apply).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.diagnostics import ObsctlError, did_you_mean
from reconciler.kinds.common import concurrently
from reconciler.kinds.scaling_policies.model import (DIMENSION, NAMESPACE, PAGE_SIZE, _POLICY_ARN,
                                                     STEP)

if TYPE_CHECKING:
    from reconciler.config.stack import Stack


def declared_targets(stack: "Stack") -> dict[str, str]:
    """Policy name -> resource id of every scaling policy the stack declares."""
    return {name: policy.resource_id for name, policy in stack.section("scaling_policies").items()}


def reference_for(arn: str, declared: dict[str, str]) -> str:
    """`scaling:NAME` for an ARN a config wrote for a policy the stack declares (on its
    declared target); anything else unchanged. The ARN carries a UUID that AWS picks, so
    configs and comparable forms name policies, never their ARNs."""
    match = _POLICY_ARN.match(arn)
    if match and declared.get(match.group(2)) == match.group(1):
        return f"scaling:{match.group(2)}"
    return arn


def live_references(aws, stack: "Stack") -> dict[str, str]:
    """ARN -> `scaling:NAME` for the live policy of each name the stack declares, on its
    declared target: the one ARN `scaling:NAME` stands for now. A policy that was deleted (AWS
    deletes a target's policies with it) and made again has a new UUID in its ARN, so an alarm
    action still holding the old ARN stays an ARN in the live form: a diff, which apply repairs."""
    declared = declared_targets(stack)
    if not declared:
        return {}  # no call: the stack names no policy
    _, policies = sagemaker_scaling(aws)
    return {policy["PolicyARN"]: f"scaling:{policy['PolicyName']}" for policy in policies
            if declared.get(policy["PolicyName"]) == policy["ResourceId"]}


def sagemaker_scaling(aws) -> tuple[dict[str, dict], list[dict]]:
    """Scalable targets by resource id, and every policy, of SageMaker variants: read once per
    run (DescribeScalableTargets and DescribeScalingPolicies, 50 a page, concurrently), shared
    by the scaling policies kind and the alarms' `scaling:NAME` actions."""
    def load():
        client = aws.client("application-autoscaling")

        def listing(operation: str, key: str) -> list[dict]:
            pages = client.get_paginator(operation).paginate(
                ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
                PaginationConfig={"PageSize": PAGE_SIZE})
            return [item for page in pages for item in page[key]]

        read = concurrently(
            targets=lambda: listing("describe_scalable_targets", "ScalableTargets"),
            policies=lambda: listing("describe_scaling_policies", "ScalingPolicies"))
        return {t["ResourceId"]: t for t in read["targets"]}, read["policies"]
    return aws.read_once("application-autoscaling:sagemaker", load)


def reference_problem(name: str, policies: dict) -> tuple[str, str | None] | None:
    """(message, hint) when `scaling:NAME` cannot be an alarm action."""
    policy = policies.get(name)
    if policy is None:
        return (f"scaling policy {name!r} is not defined in `scaling_policies`",
                did_you_mean(name, policies, "scaling:"))
    if policy.step_scaling is None:
        return (f"scaling policy {name!r} is a target tracking policy: Application Auto "
                "Scaling creates and watches its alarms itself; name a step_scaling policy", None)
    return None


def policy_arns(aws, names: list[str]) -> dict[str, str]:
    """Step policy name -> ARN, in one DescribeScalingPolicies call (at apply: the ARN exists
    only once the policy does)."""
    found: dict[str, list[dict]] = {}
    pages = aws.client("application-autoscaling").get_paginator("describe_scaling_policies")
    for page in pages.paginate(ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION,
                               PolicyNames=sorted(set(names))):
        for policy in page["ScalingPolicies"]:
            if policy.get("PolicyType") == STEP:
                found.setdefault(policy["PolicyName"], []).append(policy)
    arns = {}
    for name in names:
        policies = found.get(name, [])
        if len(policies) != 1:
            where = ", ".join(sorted(p["ResourceId"] for p in policies)) or "none found"
            raise ObsctlError(f"scaling:{name} must name exactly one step scaling policy on "
                              f"SageMaker variants in the region ({where})")
        arns[name] = policies[0]["PolicyARN"]
    return arns

"""Auto scaling of SageMaker endpoint variants (Application Auto Scaling).

    scaling_policies:
      churn-step-out:                     # the policy name; `scaling:churn-step-out` in alarm actions
        endpoint: prod-churn
        variant: AllTraffic               # default
        min_capacity: 1
        max_capacity: 8
        step_scaling: {adjustment_type: ChangeInCapacity, steps: [{lower_bound: 0, adjustment: 1}]}

A policy scales a *scalable target* (namespace `sagemaker`, resource id
`endpoint/<endpoint>/variant/<variant>`, dimension `sagemaker:variant:DesiredInstanceCount`)
that carries the capacity range; several policies may share one target, so they must agree
on it (checked at validation). Apply registers the target (RegisterScalableTarget is
create-or-update) and puts the policy; deleting the last policy of a target also deregisters
the target, unless scheduled actions still use it.

Ownership: scaling policies cannot be tagged (scalable targets can, but one target is shared by
policies that may belong to different owners), so a stack owns the policy names matching its
`prune.scaling_policies` patterns (the engine decides). Policy names are unique per scalable
target, not per region: a name the stack declares is matched with the live policy on the
declared target first; a name found on several other targets is an error.

Live state: DescribeScalableTargets and DescribeScalingPolicies, paginated (50 a page), for
the whole `sagemaker` namespace.

Import (`obsctl import --kind scaling_policies`): every policy on a SageMaker variant whose
name starts with the prefix, written short (no `variant: AllTraffic`, no 300 s cooldowns, no
`disable_scale_in: false`, no `metric_aggregation: Average`, no custom metric `stat: Average`).
A name found on several variants cannot be one config entry: the import stops and names them.
A policy the config cannot express (a metric math target tracking metric, a predefined metric
other than the two SageMaker variant ones, a MinAdjustmentMagnitude, a resource label) stops
the import too, naming what does not fit: PutScalingPolicy on a later change would drop it.
`--adopt` writes nothing for this kind (there is no tag to set): the imported entries claim
their policies by being declared, as long as the stack lists no `prune.scaling_policies`
patterns or one of them matches; when the stack has patterns and none matches, the policy is
a conflict and `--adopt` reports it: add a pattern (e.g. `prune: {scaling_policies:
["churn-*"]}`), which also lets `--prune` delete those policies later.

Comparable form:
  endpoint, variant, min_capacity, max_capacity     (the last two from the scalable target)
  policy_type          TargetTrackingScaling | StepScaling
  target_tracking      {metric: predefined type | {namespace, metric_name, dimensions, statistic,
                        unit?}, target, scale_in_cooldown, scale_out_cooldown, disable_scale_in}
  step_scaling         {adjustment_type, steps: [{lower_bound?, upper_bound?, adjustment}] by
                        lower bound, cooldown, metric_aggregation}
Defaults AWS fills in are explicit on both sides and always sent: cooldowns 300 s (the
Application Auto Scaling default for SageMaker variants), disable_scale_in false,
metric aggregation Average; numbers compare as numbers (AWS returns doubles).
"""

from __future__ import annotations

import difflib
import math
import re
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (Field, StringConstraints, ValidationError, field_validator,
                      model_validator)

from reconciler import iam
from reconciler.config.fields import Dimensions, StrictModel, Unit, printable_name
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import KeyedLocks, as_number, concurrently

if TYPE_CHECKING:
    from reconciler.config.stack import Stack

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
PAGE_SIZE = 50  # DescribeScalableTargets / DescribeScalingPolicies MaxResults: 1..50
DEFAULT_COOLDOWN = 300  # Application Auto Scaling's default for SageMaker endpoint variants
TARGET_TRACKING, STEP = "TargetTrackingScaling", "StepScaling"
_POLICY_ARN = re.compile(r"^arn:[^:]+:autoscaling:[^:]*:\d*:scalingPolicy:[^:]+:resource/"
                         rf"{NAMESPACE}/(endpoint/[^/]+/variant/[^:]+):policyName/(.+)$")

# SageMaker EndpointName / VariantName: "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}".
SageMakerName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")]
# PutScalingPolicy PolicyName: 1-256 printable characters.
PolicyName = printable_name(256)
Capacity = Annotated[int, Field(ge=0)]
Cooldown = Annotated[int, Field(ge=0)]
Bound = Annotated[float, Field(allow_inf_nan=False)]
PredefinedMetric = Literal["SageMakerVariantInvocationsPerInstance",
                           "SageMakerVariantProvisionedConcurrencyUtilization"]


class CustomMetric(StrictModel):
    namespace: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    dimensions: Dimensions = {}
    # CustomizedMetricSpecification.Statistic: no percentiles.
    stat: Literal["Average", "Minimum", "Maximum", "SampleCount", "Sum"] = "Average"
    unit: Unit | None = None


class TargetTracking(StrictModel):
    metric: PredefinedMetric | CustomMetric
    target: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    scale_in_cooldown: Cooldown = DEFAULT_COOLDOWN
    scale_out_cooldown: Cooldown = DEFAULT_COOLDOWN
    disable_scale_in: bool = False


class Step(StrictModel):
    lower_bound: Bound | None = None  # inclusive above the alarm threshold, exclusive below
    upper_bound: Bound | None = None
    adjustment: int


def _lower(step: Step) -> float:
    return -math.inf if step.lower_bound is None else step.lower_bound


def _upper(step: Step) -> float:
    return math.inf if step.upper_bound is None else step.upper_bound


def step_problems(steps: list[Step]) -> list[str]:
    """The StepAdjustment rules of the Application Auto Scaling API reference: ranges neither
    overlap nor leave a gap; at most one step without a lower and one without an upper bound,
    never both on one step; a negative lower bound needs a step without lower bound, a
    positive upper bound one without upper bound."""
    problems = []
    for index, step in enumerate(steps):
        if step.lower_bound is None and step.upper_bound is None:
            problems.append(f"steps[{index}] needs lower_bound or upper_bound (AWS refuses a "
                            "step unbounded on both sides)")
        elif _lower(step) >= _upper(step):
            problems.append(f"steps[{index}]: lower_bound {step.lower_bound} is not below "
                            f"upper_bound {step.upper_bound}")
    if problems:
        return problems
    for bound in ("lower_bound", "upper_bound"):
        open_ended = [i for i, step in enumerate(steps) if getattr(step, bound) is None]
        if len(open_ended) > 1:
            problems.append(f"only one step may leave out {bound}; steps "
                            f"{', '.join(map(str, open_ended))} do")
    ordered = sorted(enumerate(steps), key=lambda pair: _lower(pair[1]))
    for (i, before), (j, after) in pairwise(ordered):
        if _upper(before) > _lower(after):
            problems.append(f"steps[{i}] and steps[{j}] overlap")
        elif _upper(before) < _lower(after):
            problems.append(f"gap between steps[{i}] (up to {_upper(before):g}) and steps[{j}] "
                            f"(from {_lower(after):g}): step ranges must be contiguous")
    if any(_lower(s) < 0 for s in steps) and all(s.lower_bound is not None for s in steps):
        problems.append("a negative lower_bound needs a step without lower_bound below it")
    if any(_upper(s) > 0 for s in steps) and all(s.upper_bound is not None for s in steps):
        problems.append("a positive upper_bound needs a step without upper_bound above it")
    return problems


class StepScaling(StrictModel):
    adjustment_type: Literal["ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"]
    steps: Annotated[list[Step], Field(min_length=1)]
    cooldown: Cooldown = DEFAULT_COOLDOWN
    metric_aggregation: Literal["Average", "Minimum", "Maximum"] = "Average"

    @field_validator("steps")
    @classmethod
    def _steps_follow_aws_rules(cls, steps):
        problems = step_problems(steps)
        if problems:
            raise ValueError("; ".join(problems))
        return steps

    @model_validator(mode="after")
    def _exact_capacity_is_not_negative(self):
        if self.adjustment_type == "ExactCapacity" and any(s.adjustment < 0 for s in self.steps):
            raise ValueError("ExactCapacity adjustments are instance counts: none may be negative")
        return self


class ScalingPolicyConfig(StrictModel):
    endpoint: SageMakerName
    variant: SageMakerName = "AllTraffic"
    min_capacity: Capacity
    max_capacity: Capacity
    target_tracking: TargetTracking | None = None
    step_scaling: StepScaling | None = None

    @model_validator(mode="after")
    def _one_policy_within_capacity(self):
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"min_capacity {self.min_capacity} is above max_capacity "
                             f"{self.max_capacity}")
        if (self.target_tracking is None) == (self.step_scaling is None):
            raise ValueError("set exactly one of `target_tracking` and `step_scaling`")
        return self

    @property
    def resource_id(self) -> str:
        return resource_id(self.endpoint, self.variant)


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


# --- references from alarm actions -----------------------------------------------------

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
        close = difflib.get_close_matches(name, sorted(policies), n=1)
        return (f"scaling policy {name!r} is not defined in `scaling_policies`",
                f"did you mean 'scaling:{close[0]}'?" if close else None)
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


# --- comparable form -------------------------------------------------------------------

def _present(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _number(value):
    return None if value is None else as_number(float(value))


def _metric_spec(metric) -> str | dict:
    if isinstance(metric, str):
        return metric
    return _present({"namespace": metric.namespace, "metric_name": metric.name,
                     "dimensions": dict(sorted(metric.dimensions.items())),
                     "statistic": metric.stat, "unit": metric.unit})


def _steps(steps: list[dict]) -> list[dict]:
    return sorted((_present(step) for step in steps),
                  key=lambda step: step.get("lower_bound", -math.inf))


def desired_spec(policy: ScalingPolicyConfig) -> dict:
    spec = {"endpoint": policy.endpoint, "variant": policy.variant,
            "min_capacity": policy.min_capacity, "max_capacity": policy.max_capacity}
    tracking, step = policy.target_tracking, policy.step_scaling
    if tracking is not None:
        return spec | {"policy_type": TARGET_TRACKING, "target_tracking": {
            "metric": _metric_spec(tracking.metric), "target": _number(tracking.target),
            "scale_in_cooldown": tracking.scale_in_cooldown,
            "scale_out_cooldown": tracking.scale_out_cooldown,
            "disable_scale_in": tracking.disable_scale_in}}
    return spec | {"policy_type": STEP, "step_scaling": {
        "adjustment_type": step.adjustment_type,
        "steps": _steps([{"lower_bound": _number(s.lower_bound),
                          "upper_bound": _number(s.upper_bound), "adjustment": s.adjustment}
                         for s in step.steps]),
        "cooldown": step.cooldown, "metric_aggregation": step.metric_aggregation}}


def _live_metric(config: dict) -> str | dict | None:
    custom = config.get("CustomizedMetricSpecification")
    if custom is None:
        return (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    dimensions = {d["Name"]: d.get("Value", "") for d in custom.get("Dimensions") or []}
    return _present({"namespace": custom.get("Namespace"), "metric_name": custom.get("MetricName"),
                     "dimensions": dict(sorted(dimensions.items())),
                     "statistic": custom.get("Statistic"), "unit": custom.get("Unit")})


def live_spec(policy: dict, target: dict | None) -> dict:
    """The comparable form of a DescribeScalingPolicies entry and its scalable target."""
    _, endpoint, _, variant = policy["ResourceId"].split("/", 3)
    spec = _present({"endpoint": endpoint, "variant": variant,
                     "min_capacity": (target or {}).get("MinCapacity"),
                     "max_capacity": (target or {}).get("MaxCapacity"),
                     "policy_type": policy.get("PolicyType")})
    if policy.get("PolicyType") == TARGET_TRACKING:
        config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
        return spec | {"target_tracking": {
            "metric": _live_metric(config), "target": _number(config.get("TargetValue")),
            "scale_in_cooldown": config.get("ScaleInCooldown", DEFAULT_COOLDOWN),
            "scale_out_cooldown": config.get("ScaleOutCooldown", DEFAULT_COOLDOWN),
            "disable_scale_in": config.get("DisableScaleIn", False)}}
    config = policy.get("StepScalingPolicyConfiguration") or {}
    return spec | {"step_scaling": _present({
        "adjustment_type": config.get("AdjustmentType"),
        "steps": _steps([{"lower_bound": _number(s.get("MetricIntervalLowerBound")),
                          "upper_bound": _number(s.get("MetricIntervalUpperBound")),
                          "adjustment": s.get("ScalingAdjustment")}
                         for s in config.get("StepAdjustments") or []]),
        "cooldown": config.get("Cooldown", DEFAULT_COOLDOWN),
        "metric_aggregation": config.get("MetricAggregationType") or "Average"})}


# --- import: comparable form -> config ----------------------------------------------------

def _without(values: dict, defaults: dict) -> dict:
    """`values` without None and without the keys whose value is the default."""
    return {key: value for key, value in values.items()
            if value is not None and (key not in defaults or defaults[key] != value)}


def _metric_config(metric: str | dict | None):
    if not isinstance(metric, dict):
        return metric  # a predefined metric type (or None: the config check says what is missing)
    return _without({"namespace": metric.get("namespace"), "name": metric.get("metric_name"),
                     "dimensions": metric.get("dimensions") or None,
                     "stat": metric.get("statistic"), "unit": metric.get("unit")},
                    {"stat": "Average"})


def policy_config(spec: dict) -> dict:
    """The `scaling_policies` entry a person would write for a comparable form: the defaults
    of ScalingPolicyConfig (variant AllTraffic, cooldowns 300 s, scale-in enabled, Average)
    left out."""
    entry = _without({"endpoint": spec.get("endpoint"), "variant": spec.get("variant"),
                      "min_capacity": spec.get("min_capacity"),
                      "max_capacity": spec.get("max_capacity")}, {"variant": "AllTraffic"})
    if "target_tracking" in spec:
        tracking = spec["target_tracking"]
        entry["target_tracking"] = {"metric": _metric_config(tracking.get("metric")),
                                    "target": tracking.get("target")} | _without(
            {key: tracking.get(key) for key in ("scale_in_cooldown", "scale_out_cooldown",
                                                "disable_scale_in")},
            {"scale_in_cooldown": DEFAULT_COOLDOWN, "scale_out_cooldown": DEFAULT_COOLDOWN,
             "disable_scale_in": False})
    elif "step_scaling" in spec:
        step = spec["step_scaling"]
        entry["step_scaling"] = _without(
            {key: step.get(key) for key in ("adjustment_type", "steps", "cooldown",
                                            "metric_aggregation")},
            {"cooldown": DEFAULT_COOLDOWN, "metric_aggregation": "Average"})
    return entry


# What the config expresses of a DescribeScalingPolicies entry, by configuration key.
_EXPRESSED = {
    "StepScalingPolicyConfiguration": {"AdjustmentType", "StepAdjustments", "Cooldown",
                                       "MetricAggregationType"},
    "TargetTrackingScalingPolicyConfiguration": {"TargetValue", "ScaleInCooldown",
                                                 "ScaleOutCooldown", "DisableScaleIn"},
    "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification": {
        "PredefinedMetricType"},
    "TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification": {
        "Namespace", "MetricName", "Dimensions", "Statistic", "Unit"},
}


def unexpressed_settings(policy: dict) -> list[str]:
    """Settings of a DescribeScalingPolicies entry that the config has no field for."""
    found = []
    for path, expressed in _EXPRESSED.items():
        node = policy
        for key in path.split("."):
            node = node.get(key) or {}
        found += [f"{path}.{key}" for key in node
                  if key not in expressed and f"{path}.{key}" not in _EXPRESSED]
    return found


def _config_problems(entry: dict) -> list[str]:
    """Why `entry` is not a valid config entry: what the live policy has that obsctl cannot
    express."""
    try:
        ScalingPolicyConfig.model_validate(entry)
    except ValidationError as error:
        return [f"{'.'.join(map(str, e['loc'])) or 'entry'}: "
                f"{e['msg'].removeprefix('Value error, ')}" for e in error.errors()]
    return []


# --- requests --------------------------------------------------------------------------

def _target_request(spec: dict) -> dict:
    return {"ServiceNamespace": NAMESPACE, "ScalableDimension": DIMENSION,
            "ResourceId": resource_id(spec["endpoint"], spec["variant"])}


def _metric_request(metric: str | dict) -> dict:
    if isinstance(metric, str):
        return {"PredefinedMetricSpecification": {"PredefinedMetricType": metric}}
    return {"CustomizedMetricSpecification": _present({
        "Namespace": metric["namespace"], "MetricName": metric["metric_name"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in metric["dimensions"].items()],
        "Statistic": metric["statistic"], "Unit": metric.get("unit")})}


def policy_request(name: str, spec: dict) -> dict:
    """PutScalingPolicy arguments for a comparable form (every default spelled out)."""
    request = {"PolicyName": name, "PolicyType": spec["policy_type"], **_target_request(spec)}
    if spec["policy_type"] == TARGET_TRACKING:
        config = spec["target_tracking"]
        request["TargetTrackingScalingPolicyConfiguration"] = {
            "TargetValue": float(config["target"]), **_metric_request(config["metric"]),
            "ScaleInCooldown": config["scale_in_cooldown"],
            "ScaleOutCooldown": config["scale_out_cooldown"],
            "DisableScaleIn": config["disable_scale_in"]}
        return request
    config = spec["step_scaling"]
    request["StepScalingPolicyConfiguration"] = {
        "AdjustmentType": config["adjustment_type"],
        "StepAdjustments": [_present({"MetricIntervalLowerBound": _float(s.get("lower_bound")),
                                      "MetricIntervalUpperBound": _float(s.get("upper_bound")),
                                      "ScalingAdjustment": s["adjustment"]})
                            for s in config["steps"]],
        "Cooldown": config["cooldown"], "MetricAggregationType": config["metric_aggregation"]}
    return request


def _float(value):
    return None if value is None else float(value)


_CAPACITY = ("min_capacity", "max_capacity")
# RegisterScalableTarget and DeregisterScalableTarget of one target never interleave.
_TARGET_LOCKS = KeyedLocks()


class ScalingPolicies(Kind):
    iam_read = ("application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies",
                "application-autoscaling:DescribeScheduledActions",
                # What Application Auto Scaling calls as the caller (its user guide): the
                # variant it scales and the alarms of target tracking policies.
                "sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig",
                "cloudwatch:DescribeAlarms")
    iam_write = ("application-autoscaling:RegisterScalableTarget",
                 "application-autoscaling:PutScalingPolicy",
                 "application-autoscaling:DeleteScalingPolicy",
                 "application-autoscaling:DeregisterScalableTarget",
                 "sagemaker:UpdateEndpointWeightsAndCapacities", "cloudwatch:PutMetricAlarm",
                 "cloudwatch:DeleteAlarms", "iam:CreateServiceLinkedRole")

    def iam_resources(self, stack, scope, names):
        endpoints = sorted({p.endpoint for p in stack.section(self.section).values()})
        role = ("role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")
        return (iam.sagemaker_arns(scope, "endpoint", endpoints)
                + iam.alarm_arns(scope, ["TargetTracking-endpoint/*"])
                + [scope.arn("iam", role, region="")])

    name = "scaling_policies"
    section = "scaling_policies"
    entry_model = ScalingPolicyConfig
    name_type = PolicyName
    taggable = False  # scaling policies take no tags: `prune.scaling_policies` decides

    def check(self, stack):
        """Policies on one endpoint variant share its scalable target, so its capacity range."""
        diagnostics, first_on_target = [], {}
        for name, policy in stack.section(self.section).items():
            first = first_on_target.setdefault(policy.resource_id, name)
            other = stack.section(self.section)[first]
            if first != name and (policy.min_capacity, policy.max_capacity) != (
                    other.min_capacity, other.max_capacity):
                diagnostics.append(Diagnostic(
                    f"scaling policies {first!r} ({stack.locate(self.section, first)}) and "
                    f"{name!r} both scale {policy.endpoint}/{policy.variant} but disagree on its "
                    f"capacity: {other.min_capacity}..{other.max_capacity} vs "
                    f"{policy.min_capacity}..{policy.max_capacity}; one endpoint variant has one "
                    "min_capacity and max_capacity",
                    stack.locate(self.section, name, "min_capacity")))
        return diagnostics

    def desired(self, stack, scope):
        return {name: Desired(name, desired_spec(policy), location=stack.locate(self.section, name))
                for name, policy in stack.section(self.section).items()}

    def read_live(self, aws, stack):
        targets, policies = sagemaker_scaling(aws)
        return {name: self._live(name, policy, targets)
                for name, policy in self._one_per_name(policies, stack).items()}

    def read_for_import(self, aws, stack, prefix):
        targets, policies = sagemaker_scaling(aws)
        by_name: dict[str, list[dict]] = {}
        for policy in policies:
            if policy["PolicyName"].startswith(prefix):
                by_name.setdefault(policy["PolicyName"], []).append(policy)
        shared = {name: found for name, found in sorted(by_name.items()) if len(found) > 1}
        if shared:
            raise ObsctlError("a config names scaling policies by name, and these names are used "
                              "on several endpoint variants: " + "; ".join(
                                  f"{name} ({', '.join(sorted(p['ResourceId'] for p in found))})"
                                  for name, found in shared.items())
                              + ". Rename all but one of each, or import with a --name-prefix "
                              "that leaves them out.")
        live = {}
        for name, [found] in by_name.items():
            live[name] = self._live(name, found, targets)
            live[name].identity["unexpressed"] = unexpressed_settings(found)
        return live

    def to_config(self, live, refs):
        entry = policy_config(live.spec)
        problems = _config_problems(entry)
        if live.identity.get("unexpressed"):
            problems.append("settings the config has no field for: "
                            + ", ".join(live.identity["unexpressed"]))
        if problems:
            raise ObsctlError(f"scaling_policies/{live.name} ({live.identity['resource_id']}) "
                              f"cannot be written as a config entry: {'; '.join(problems)}")
        return (self.section, live.name), entry

    @staticmethod
    def _live(name: str, policy: dict, targets: dict[str, dict]) -> Live:
        return Live(name, live_spec(policy, targets.get(policy["ResourceId"])),
                    identity={"resource_id": policy["ResourceId"], "arn": policy["PolicyARN"]})

    def _one_per_name(self, policies: list[dict], stack) -> dict[str, dict]:
        """Names are unique per scalable target only: pick the declared target's policy."""
        by_name: dict[str, list[dict]] = {}
        for policy in policies:
            by_name.setdefault(policy["PolicyName"], []).append(policy)
        declared = declared_targets(stack)
        chosen = {}
        for name, found in by_name.items():
            on_declared = [p for p in found if p["ResourceId"] == declared.get(name)]
            if on_declared:
                chosen[name] = on_declared[0]
            elif len(found) > 1 and (name in declared or stack.owns_by_pattern(self.name, name)):
                raise ObsctlError(
                    f"scaling_policies/{name}: {len(found)} policies of this name exist, on "
                    f"{', '.join(sorted(p['ResourceId'] for p in found))}; obsctl cannot tell "
                    "which one the config means. Rename the policy in the config, or delete "
                    "the extra ones.")
            else:
                chosen[name] = min(found, key=lambda p: p["ResourceId"])
        return chosen

    def create(self, aws, desired):
        client = aws.client("application-autoscaling")
        spec = desired.spec
        with _TARGET_LOCKS(resource_id(spec["endpoint"], spec["variant"])):
            client.register_scalable_target(**_target_request(spec), MinCapacity=spec["min_capacity"],
                                            MaxCapacity=spec["max_capacity"])
            client.put_scaling_policy(**policy_request(desired.name, spec))

    def update(self, aws, desired, live):
        if live.identity["resource_id"] != resource_id(desired.spec["endpoint"], desired.spec["variant"]):
            self.create(aws, desired)  # moved to another endpoint variant
            self.delete(aws, live)
            return
        client = aws.client("application-autoscaling")
        capacity = {key: desired.spec[key] for key in _CAPACITY}
        if capacity != {key: live.spec.get(key) for key in _CAPACITY}:
            client.register_scalable_target(**_target_request(desired.spec),
                                            MinCapacity=capacity["min_capacity"],
                                            MaxCapacity=capacity["max_capacity"])
        policy_fields = {k: v for k, v in desired.spec.items() if k not in _CAPACITY}
        if policy_fields != {k: v for k, v in live.spec.items() if k not in _CAPACITY}:
            client.put_scaling_policy(**policy_request(desired.name, desired.spec))

    def delete(self, aws, live):
        client = aws.client("application-autoscaling")
        target = {"ServiceNamespace": NAMESPACE, "ScalableDimension": DIMENSION,
                  "ResourceId": live.identity["resource_id"]}
        with _TARGET_LOCKS(target["ResourceId"]):
            client.delete_scaling_policy(PolicyName=live.name, **target)
            # The target (and its capacity range) goes with its last policy, unless something
            # else still uses it: AWS deletes a target's scheduled actions with it.
            policies = client.describe_scaling_policies(**target)["ScalingPolicies"]
            scheduled = client.describe_scheduled_actions(**target)["ScheduledActions"]
            if not policies and not scheduled:
                client.deregister_scalable_target(**target)

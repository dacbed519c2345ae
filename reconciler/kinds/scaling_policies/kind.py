"""The scaling policies kind: requests and the Kind itself.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from reconciler import iam
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.base import Kind, Live
from reconciler.kinds.common import KeyedLocks, present
from reconciler.kinds.scaling_policies.forms import (_config_problems, desired_spec, live_spec,
                                                     policy_config, unexpressed_settings)
from reconciler.kinds.scaling_policies.model import (DIMENSION, NAMESPACE, PolicyName,
                                                     ScalingPolicyConfig, TARGET_TRACKING,
                                                     resource_id)
from reconciler.kinds.scaling_policies.references import declared_targets, sagemaker_scaling


def _target_request(spec: dict) -> dict:
    return {"ServiceNamespace": NAMESPACE, "ScalableDimension": DIMENSION,
            "ResourceId": resource_id(spec["endpoint"], spec["variant"])}


def _metric_request(metric: str | dict) -> dict:
    if isinstance(metric, str):
        return {"PredefinedMetricSpecification": {"PredefinedMetricType": metric}}
    return {"CustomizedMetricSpecification": present({
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
        "StepAdjustments": [present({"MetricIntervalLowerBound": _float(s.get("lower_bound")),
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


class PolicyIdentity(TypedDict):
    resource_id: str  # the scalable target: endpoint/<endpoint>/variant/<variant>
    arn: str
    unexpressed: NotRequired[list[str]]  # import reads: settings no config can express


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

    def spec(self, entry, stack, scope):
        return desired_spec(entry)

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        if not owned_only:
            return self._importable(aws, name_prefix)
        targets, policies = sagemaker_scaling(aws)
        return {name: self._live(name, policy, targets)
                for name, policy in self._one_per_name(policies, stack).items()}

    def _importable(self, aws, prefix: str) -> dict[str, Live]:
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
                    identity=PolicyIdentity(resource_id=policy["ResourceId"], arn=policy["PolicyARN"]))

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

"""Application Auto Scaling of SageMaker endpoint variants, as the API reference describes it.

moto 5.2.5 differs from AWS where obsctl's `scaling_policies` kind relies on it:

- RegisterScalableTarget registers a variant of an endpoint that does not exist; AWS answers
  ValidationException. It also takes a new target without MinCapacity/MaxCapacity ("required
  if you are registering a scalable target") and with MinCapacity > MaxCapacity.
- PutScalingPolicy works without a registered scalable target (AWS: ObjectNotFoundException,
  "You cannot create a scaling policy until you have registered the resource as a scalable
  target"), and gives an updated policy a new ARN: AWS keeps it, so alarm actions naming the
  policy keep working.
- A target tracking policy on a SageMaker variant gets no CloudWatch alarms. AWS creates and
  manages two (untagged; "DO NOT EDIT OR DELETE"): `TargetTracking-<resource id>-AlarmHigh-<uuid>`
  (3 of 3 one-minute periods above the target) and `...-AlarmLow-<uuid>` (15 periods below
  90 % of the target; none when scale-in is disabled), whose action is the policy ARN with
  `:createdBy/<uuid>` appended. They go when the policy goes.
- DeregisterScalableTarget leaves the target's policies behind; AWS deletes them ("Any scaling
  policies that were specified for the scalable target are deleted").
- DescribeScalingPolicies ignores PolicyNames and matches ResourceId as a substring;
  DescribeScalableTargets hands out a NextToken that repeats forever. Both page at most 50
  (MaxResults 1..50, default 50).
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import (ApplicationAutoscalingBackend,
                                                FakeApplicationAutoscalingPolicy)
from moto.applicationautoscaling.responses import (ApplicationAutoScalingResponse, _build_policy,
                                                   _build_target)
from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random

from . import _common
from ._common import original, patch

VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
_VARIANT_RESOURCE = re.compile(r"^endpoint/([^/]+)/variant/([^/]+)$")
MAX_RESULTS = 50
# Predefined metrics of SageMaker variants -> (namespace, metric, statistic) of the alarms.
PREDEFINED_METRICS = {
    "SageMakerVariantInvocationsPerInstance": ("AWS/SageMaker", "InvocationsPerInstance", "Sum"),
    "SageMakerVariantProvisionedConcurrencyUtilization":
        ("AWS/SageMaker", "ServerlessProvisionedConcurrencyUtilization", "Average"),
}
HIGH_PERIODS, LOW_PERIODS, SCALE_IN_SHARE = 3, 15, 0.9


class ObjectNotFoundException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ObjectNotFoundException", message)


# --- scalable targets -------------------------------------------------------------------

def _require_variant(backend: ApplicationAutoscalingBackend, resource_id: str) -> None:
    from moto.sagemaker.models import sagemaker_backends

    match = _VARIANT_RESOURCE.match(resource_id or "")
    if not match:
        raise AWSValidationException(f"Unsupported resource ID {resource_id!r}: expected "
                                     "endpoint/<endpoint name>/variant/<variant name>")
    endpoint_name, variant = match.groups()
    sagemaker = sagemaker_backends[backend.account_id][backend.region_name]
    endpoint = sagemaker.endpoints.get(endpoint_name)
    if endpoint is None:
        raise AWSValidationException(
            f'Could not find endpoint "arn:aws:sagemaker:{backend.region_name}:'
            f'{backend.account_id}:endpoint/{endpoint_name.lower()}".')
    if variant not in {v.get("VariantName") for v in endpoint.production_variants}:
        raise AWSValidationException(
            f"The variant name(s) [{variant}] is/are not present in endpoint {endpoint_name}.")


def _register_scalable_target(self: ApplicationAutoscalingBackend, namespace: str, r_id: str,
                              dimension: str, min_capacity: int | None,
                              max_capacity: int | None, role_arn: str, suspended_state: str):
    if namespace == "sagemaker" and dimension == VARIANT_DIMENSION:
        _require_variant(self, r_id)
    existing = self.targets.get(dimension, {}).get(r_id)
    if existing is None and (min_capacity is None or max_capacity is None):
        raise AWSValidationException("MinCapacity and MaxCapacity are required for registering "
                                     "a new scalable target.")
    low = existing.min_capacity if min_capacity is None else min_capacity
    high = existing.max_capacity if max_capacity is None else max_capacity
    if low > high:
        raise AWSValidationException("Minimum capacity cannot be greater than maximum capacity")
    return original(ApplicationAutoscalingBackend, "register_scalable_target")(
        self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn, suspended_state)


def _deregister_scalable_target(self: ApplicationAutoscalingBackend, namespace: str, r_id: str,
                                dimension: str) -> None:
    original(ApplicationAutoscalingBackend, "deregister_scalable_target")(self, namespace, r_id,
                                                                          dimension)
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id,
                policy.scalable_dimension) == (namespace, r_id, dimension):
            policy.delete_alarms(self.account_id, self.region_name)
            del self.policies[key]


# --- scaling policies -------------------------------------------------------------------

def _put_scaling_policy(self: ApplicationAutoscalingBackend, policy_name: str,
                        service_namespace: str, resource_id: str, scalable_dimension: str,
                        policy_body: dict[str, Any], policy_type: str | None):
    if resource_id not in self.targets.get(scalable_dimension, {}):
        raise ObjectNotFoundException(
            f"No scalable target registered for service namespace: {service_namespace}, "
            f"resource ID: {resource_id}, scalable dimension: {scalable_dimension}")
    key = FakeApplicationAutoscalingPolicy.formulate_key(service_namespace, resource_id,
                                                         scalable_dimension, policy_name)
    previous = self.policies.get(key)
    if previous is not None:
        previous.delete_alarms(self.account_id, self.region_name)
    policy = original(ApplicationAutoscalingBackend, "put_scaling_policy")(
        self, policy_name, service_namespace, resource_id, scalable_dimension, policy_body,
        policy_type)
    if previous is not None:  # an update: same policy, same ARN
        policy._guid, policy.policy_arn = previous._guid, previous.policy_arn
    if service_namespace == "sagemaker" and policy.policy_type == "TargetTrackingScaling":
        ids = getattr(previous, "obsctl_alarm_ids", None) or tuple(
            str(mock_random.uuid4()) for _ in range(3))
        policy.obsctl_alarm_ids = ids
        policy.alarms = _target_tracking_alarms(policy, ids)
    return policy


def _tracked_metric(config: dict[str, Any], resource_id: str) -> tuple[str, str, list, str, str | None]:
    """(namespace, metric name, dimensions, statistic, unit) a target tracking policy tracks."""
    custom = config.get("CustomizedMetricSpecification")
    if custom:
        return (custom["Namespace"], custom["MetricName"], custom.get("Dimensions", []),
                custom["Statistic"], custom.get("Unit"))
    predefined = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    if predefined not in PREDEFINED_METRICS:
        raise AWSValidationException(
            f"PredefinedMetricType {predefined!r} is not one the emulator models for SageMaker "
            f"variants: {', '.join(PREDEFINED_METRICS)}")
    namespace, metric, statistic = PREDEFINED_METRICS[predefined]
    endpoint, variant = _VARIANT_RESOURCE.match(resource_id).groups()
    dimensions = [{"Name": "EndpointName", "Value": endpoint},
                  {"Name": "VariantName", "Value": variant}]
    return namespace, metric, dimensions, statistic, None


def _target_tracking_alarms(policy: FakeApplicationAutoscalingPolicy, ids: tuple[str, ...]) -> list:
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch = cloudwatch_backends[policy.account_id][policy.region_name]
    config = policy.target_tracking_scaling_policy_configuration or {}
    namespace, metric, dimensions, statistic, unit = _tracked_metric(config, policy.resource_id)
    action = f"{policy.policy_arn}:createdBy/{ids[2]}"
    target = float(config["TargetValue"])

    def alarm(which: str, alarm_id: str, comparison: str, periods: int, threshold: float):
        return cloudwatch.put_metric_alarm(
            name=f"TargetTracking-{policy.resource_id}-{which}-{alarm_id}",
            namespace=namespace, metric_name=metric, metric_data_queries=[],
            comparison_operator=comparison, evaluation_periods=periods,
            datapoints_to_alarm=periods, period=60, threshold=threshold, statistic=statistic,
            unit=unit, description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}.",
            dimensions=dimensions, alarm_actions=[action])

    alarms = [alarm("AlarmHigh", ids[0], "GreaterThanThreshold", HIGH_PERIODS, target)]
    if not config.get("DisableScaleIn"):
        alarms.append(alarm("AlarmLow", ids[1], "LessThanThreshold", LOW_PERIODS,
                            SCALE_IN_SHARE * target))
    return alarms


def _create_alarms(self: FakeApplicationAutoscalingPolicy) -> None:
    # SageMaker alarms are made by _put_scaling_policy, once the policy's ARN is final.
    if self.service_namespace != "sagemaker":
        original(FakeApplicationAutoscalingPolicy, "create_alarms")(self)


# --- reads ------------------------------------------------------------------------------

def _max_results(resp: ApplicationAutoScalingResponse) -> int:
    value = resp._get_param("MaxResults", MAX_RESULTS)
    if not isinstance(value, int) or not 1 <= value <= MAX_RESULTS:
        raise AWSValidationException(
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value between 1 and {MAX_RESULTS}")
    return value


def _page(resp: ApplicationAutoScalingResponse, items: list, key, kind: str):
    try:
        return _common.paginate(items, key=key, limit=_max_results(resp),
                                token=resp._get_param("NextToken"), kind=kind)
    except _common.BadToken:
        raise AWSValidationException("Invalid NextToken")


def describe_scalable_targets(self: ApplicationAutoScalingResponse) -> str:
    self._validate_params()
    ids = self._get_param("ResourceIds") or []
    dimension = self._get_param("ScalableDimension")
    targets = [t for t in self.applicationautoscaling_backend.describe_scalable_targets(
                   self._get_param("ServiceNamespace"), None, dimension)
               if not ids or t.resource_id in ids]
    page, token = _page(self, targets, lambda t: (t.resource_id, t.scalable_dimension),
                        "scalable-targets")
    return json.dumps({"ScalableTargets": [_build_target(t) for t in page],
                       **({"NextToken": token} if token else {})})


def describe_scaling_policies(self: ApplicationAutoScalingResponse) -> str:
    self._validate_params()
    wanted = {"service_namespace": self._get_param("ServiceNamespace"),
              "resource_id": self._get_param("ResourceId"),
              "scalable_dimension": self._get_param("ScalableDimension")}
    names = self._get_param("PolicyNames") or []
    policies = [p for p in self.applicationautoscaling_backend.policies.values()
                if all(value is None or getattr(p, attr) == value for attr, value in wanted.items())
                and (not names or p.policy_name in names)]
    page, token = _page(self, policies,
                        lambda p: (p.resource_id, p.scalable_dimension, p.policy_name),
                        "scaling-policies")
    return json.dumps({"ScalingPolicies": [_build_policy(p) for p in page],
                       **({"NextToken": token} if token else {})})


def install() -> None:
    patch(ApplicationAutoscalingBackend, "register_scalable_target", _register_scalable_target)
    patch(ApplicationAutoscalingBackend, "deregister_scalable_target", _deregister_scalable_target)
    patch(ApplicationAutoscalingBackend, "put_scaling_policy", _put_scaling_policy)
    patch(FakeApplicationAutoscalingPolicy, "create_alarms", _create_alarms)
    patch(ApplicationAutoScalingResponse, "describe_scalable_targets", describe_scalable_targets)
    patch(ApplicationAutoScalingResponse, "describe_scaling_policies", describe_scaling_policies)

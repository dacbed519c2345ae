"""Comparable forms of a scaling policy (config and live) and the way back to config for
`obsctl import`.
"""

from __future__ import annotations

import math

from pydantic import ValidationError

from reconciler.kinds.common import as_number, present
from reconciler.kinds.scaling_policies.model import (DEFAULT_COOLDOWN, STEP, ScalingPolicyConfig,
                                                     TARGET_TRACKING)


def _number(value):
    return None if value is None else as_number(float(value))


def _metric_spec(metric) -> str | dict:
    if isinstance(metric, str):
        return metric
    return present({"namespace": metric.namespace, "metric_name": metric.name,
                     "dimensions": dict(sorted(metric.dimensions.items())),
                     "statistic": metric.stat, "unit": metric.unit})


def _steps(steps: list[dict]) -> list[dict]:
    return sorted((present(step) for step in steps),
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
    return present({"namespace": custom.get("Namespace"), "metric_name": custom.get("MetricName"),
                     "dimensions": dict(sorted(dimensions.items())),
                     "statistic": custom.get("Statistic"), "unit": custom.get("Unit")})


def live_spec(policy: dict, target: dict | None) -> dict:
    """The comparable form of a DescribeScalingPolicies entry and its scalable target."""
    _, endpoint, _, variant = policy["ResourceId"].split("/", 3)
    spec = present({"endpoint": endpoint, "variant": variant,
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
    return spec | {"step_scaling": present({
        "adjustment_type": config.get("AdjustmentType"),
        "steps": _steps([{"lower_bound": _number(s.get("MetricIntervalLowerBound")),
                          "upper_bound": _number(s.get("MetricIntervalUpperBound")),
                          "adjustment": s.get("ScalingAdjustment")}
                         for s in config.get("StepAdjustments") or []]),
        "cooldown": config.get("Cooldown", DEFAULT_COOLDOWN),
        "metric_aggregation": config.get("MetricAggregationType") or "Average"})}


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

"""The `scaling_policies` config: one policy on a SageMaker endpoint variant, and the
rules AWS enforces on it (checked at validation).
"""

from __future__ import annotations

import math
import re
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from reconciler.config.fields import Dimensions, StrictModel, Unit, printable_name


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
    """CloudWatch namespace of the metric tracked."""
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """Name of the metric tracked."""
    dimensions: Dimensions = {}
    """Dimensions of the metric tracked; default none."""
    # CustomizedMetricSpecification.Statistic: no percentiles.
    stat: Literal["Average", "Minimum", "Maximum", "SampleCount", "Sum"] = "Average"
    """Statistic tracked: Average (default), Minimum, Maximum, SampleCount or Sum."""
    unit: Unit | None = None
    """Unit of the metric tracked; default any unit."""


class TargetTracking(StrictModel):
    metric: PredefinedMetric | CustomMetric
    """Metric kept at the target: a predefined metric name or a custom metric."""
    target: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    """Value of the metric the policy keeps by scaling."""
    scale_in_cooldown: Cooldown = DEFAULT_COOLDOWN
    """Seconds after a scale-in before another scale-in; default 300."""
    scale_out_cooldown: Cooldown = DEFAULT_COOLDOWN
    """Seconds after a scale-out before another scale-out; default 300."""
    disable_scale_in: bool = False
    """Only ever scale out; default false."""


class Step(StrictModel):
    lower_bound: Bound | None = None  # inclusive above the alarm threshold, exclusive below
    """Lower bound of the step, relative to the alarm threshold; default minus infinity."""
    upper_bound: Bound | None = None
    """Upper bound of the step, relative to the alarm threshold; default infinity."""
    adjustment: int
    """Capacity change of the step, in the unit of `adjustment_type`."""


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
    """How adjustments count: ChangeInCapacity, PercentChangeInCapacity or ExactCapacity."""
    steps: Annotated[list[Step], Field(min_length=1)]
    """Adjustments by how far the metric is from the alarm threshold."""
    cooldown: Cooldown = DEFAULT_COOLDOWN
    """Seconds after a scaling activity before another; default 300."""
    metric_aggregation: Literal["Average", "Minimum", "Maximum"] = "Average"
    """How the alarm's datapoints are aggregated: Average (default), Minimum or Maximum."""

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
    """Application Auto Scaling of a SageMaker endpoint variant: its capacity range and one policy."""

    endpoint: SageMakerName
    """Name of the SageMaker endpoint scaled."""
    variant: SageMakerName = "AllTraffic"
    """Production variant scaled; default AllTraffic."""
    min_capacity: Capacity
    """Fewest instances the variant scales in to."""
    max_capacity: Capacity
    """Most instances the variant scales out to."""
    target_tracking: TargetTracking | None = None
    """Keep a metric at a target value (set this or `step_scaling`)."""
    step_scaling: StepScaling | None = None
    """Scale in steps when an alarm that names `scaling:NAME` fires (set this or `target_tracking`)."""

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

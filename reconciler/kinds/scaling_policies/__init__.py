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

from reconciler.kinds.scaling_policies.model import (Bound, Capacity, Cooldown, CustomMetric,
                                                     DEFAULT_COOLDOWN, DIMENSION, NAMESPACE,
                                                     PAGE_SIZE, PolicyName, PredefinedMetric, STEP,
                                                     SageMakerName, ScalingPolicyConfig, Step,
                                                     StepScaling, TARGET_TRACKING, TargetTracking,
                                                     resource_id, step_problems)
from reconciler.kinds.scaling_policies.references import (declared_targets, live_references,
                                                          policy_arns, reference_for,
                                                          reference_problem, sagemaker_scaling)
from reconciler.kinds.scaling_policies.forms import (desired_spec, live_spec, policy_config,
                                                     unexpressed_settings)
from reconciler.kinds.scaling_policies.kind import ScalingPolicies, policy_request

__all__ = ["Bound", "Capacity", "Cooldown", "CustomMetric", "DEFAULT_COOLDOWN", "DIMENSION",
           "NAMESPACE", "PAGE_SIZE", "PolicyName", "PredefinedMetric", "STEP", "SageMakerName",
           "ScalingPolicies", "ScalingPolicyConfig", "Step", "StepScaling", "TARGET_TRACKING",
           "TargetTracking", "declared_targets", "desired_spec", "live_references", "live_spec",
           "policy_arns", "policy_config", "policy_request", "reference_for", "reference_problem",
           "resource_id", "sagemaker_scaling", "step_problems", "unexpressed_settings"]

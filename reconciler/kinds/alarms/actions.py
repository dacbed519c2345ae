"""Alarm actions: which references an alarm may use (topics, `scaling:NAME` policies),
checked for the `alarms` section and for the alarms presets generate (model and endpoint
monitors); and the `scaling:NAME` form of actions on both sides of the diff (a policy's ARN
holds a UUID AWS picks, so only apply resolves it).
"""

from __future__ import annotations

from typing import Callable

from reconciler.config.fields import Actions
from reconciler.diagnostics import Diagnostic
from reconciler.kinds.alarms.model import _ACTION_STATES, _AUTOSCALING_ARN
from reconciler.kinds.common import topic_problem
from reconciler.kinds.scaling_policies.references import (declared_targets, live_references,
                                                          policy_arns, reference_for,
                                                          reference_problem)


def action_problem(reference: str, topics: set[str], band_alarm: bool,
                   scaling_policies: dict | None = None) -> tuple[str, str | None] | None:
    """(message, hint) when an alarm action reference cannot be used (shared with the
    alarms that presets generate). `scaling_policies`: the stack's section."""
    if band_alarm and (reference.startswith("scaling:") or _AUTOSCALING_ARN.match(reference)):
        return "anomaly_band alarms cannot have Auto Scaling actions (CloudWatch rejects them)", None
    if reference.startswith("scaling:"):
        return reference_problem(reference.removeprefix("scaling:"), scaling_policies or {})
    return topic_problem(reference, topics)


def action_diagnostics(stack, path: tuple, actions: Actions, band_alarm: bool,
                       extra_problem=None) -> list[Diagnostic]:
    """A Diagnostic at each action reference of `actions` (at `path` in the config) that an
    alarm cannot use; `extra_problem(reference)` adds a rule of the caller's."""
    topics, policies = set(stack.section("topics")), stack.section("scaling_policies")
    found = []
    for state, _, _ in _ACTION_STATES:
        for index, reference in enumerate(getattr(actions, state)):
            problem = ((extra_problem and extra_problem(reference))
                       or action_problem(reference, topics, band_alarm, policies))
            if problem:
                found.append(Diagnostic(problem[0], stack.locate(*path, "actions", state, index),
                                        hint=problem[1]))
    return found


def _with_scaling_references(spec: dict, reference: Callable[[str], str] | None) -> dict:
    """Actions naming a scaling policy of the stack as `scaling:NAME` where `reference` turns
    an ARN into one (its UUID is AWS's choice; see scaling_policies)."""
    if reference is None:
        return spec  # nothing to name: the actions are already sorted and duplicate-free
    actions = {field: sorted({reference(arn) for arn in spec[field]})
               for _, field, _ in _ACTION_STATES if field in spec}
    return spec | actions


def _written_references(stack) -> Callable[[str], str] | None:
    """Config side: a policy ARN written out for a declared policy means that policy."""
    declared = declared_targets(stack)
    return (lambda arn: reference_for(arn, declared)) if declared else None


def _live_references(aws, stack) -> Callable[[str], str] | None:
    """Live side: only the current ARN of a declared policy is `scaling:NAME`; an ARN of a
    policy since deleted (and maybe made again, with a new UUID) stays an ARN: a diff."""
    if not declared_targets(stack):
        return None
    live = live_references(aws, stack)
    return lambda arn: live.get(arn, arn)


def _with_policy_arns(aws, spec: dict) -> dict:
    """`scaling:NAME` actions resolved to the policies' ARNs, for PutMetricAlarm."""
    names = [ref.removeprefix("scaling:") for _, field, _ in _ACTION_STATES
             for ref in spec.get(field, []) if ref.startswith("scaling:")]
    if not names:
        return spec
    arns = policy_arns(aws, names)
    return spec | {field: sorted(arns.get(ref.removeprefix("scaling:"), ref)
                                 if ref.startswith("scaling:") else ref for ref in spec[field])
                   for _, field, _ in _ACTION_STATES if field in spec}

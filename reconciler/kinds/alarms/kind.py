"""The metric alarms kind.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler import iam
from reconciler.diagnostics import ObsctlError
from reconciler.kinds.alarms.actions import (_live_references, _with_policy_arns,
                                             _with_scaling_references, _written_references,
                                             action_diagnostics)
from reconciler.kinds.alarms.importing import alarm_config, inexpressible
from reconciler.kinds.alarms.model import AlarmConfig, AlarmName, COMPARED_ONLY_WHEN_CONFIGURED
from reconciler.kinds.alarms.normalize import desired_spec, live_spec
from reconciler.kinds.alarms.requests import put_request
from reconciler.kinds.base import ArnIdentity, Kind, Live
from reconciler.kinds.common import (alarms_and_tags, alarms_part, desired_tags,
                                     existing_alarms, sync_tags, tag_list)
from reconciler.text import visible


def _without_tags(spec: dict) -> dict:
    return {key: value for key, value in spec.items() if key != "tags"}


def _managed_by_auto_scaling(alarm: dict) -> bool:
    """The alarms Application Auto Scaling creates for a target tracking policy: AWS's to
    change and delete ("DO NOT EDIT OR DELETE"), so never planned, adopted or imported."""
    return (alarm["AlarmName"].startswith("TargetTracking-") and
            (alarm.get("AlarmDescription") or "").startswith("DO NOT EDIT OR DELETE."))


class Alarms(Kind):
    iam_read = ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "tag:GetResources",
                # `scaling:NAME` actions resolve to the policies' ARNs
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies")
    iam_write = ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
                 "cloudwatch:DeleteAlarms")

    def iam_resources(self, stack, scope, names):
        return iam.alarm_arns(scope, names)

    name = "alarms"
    section = "alarms"
    entry_model = AlarmConfig
    name_type = AlarmName
    defaults_key = "alarm"
    depends_on = ("topics", "scaling_policies")

    def defaults_ignored(self, entry):
        # A Metrics Insights query has no unit: `defaults.alarm.unit` is for metric alarms.
        return frozenset({"unit"}) if "query" in entry else frozenset()

    def check(self, stack):
        return [diagnostic for name, alarm in stack.section("alarms").items()
                for diagnostic in action_diagnostics(stack, ("alarms", name), alarm.actions,
                                                     alarm.anomaly_band is not None)]

    def comparable(self, live_spec, desired_spec):
        return {key: value for key, value in live_spec.items()
                if key in desired_spec or key not in COMPARED_ONLY_WHEN_CONFIGURED}

    def desired(self, stack, scope):
        desired = super().desired(stack, scope)
        references = _written_references(stack)  # once per stack, not per alarm
        if references is None:
            return desired  # no declared scaling policy for an action to name
        return {name: replace(alarm, spec=_with_scaling_references(alarm.spec, references))
                for name, alarm in desired.items()}

    def spec(self, entry, stack, scope):
        return desired_spec(entry, desired_tags(stack, entry.tags), scope)

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        # One page per 100 alarms (DescribeAlarms MaxRecords <= 100), shared with the
        # composite alarms kind; tags in bulk.
        alarms, tags = alarms_and_tags(aws, "MetricAlarms", owned_only)
        scope, references = aws.scope, _live_references(aws, stack)
        if owned_only:  # this stack's part of the account-region's listing
            alarms = alarms_part(aws, stack, self.name, alarms, tags)
        live = {}
        for alarm in alarms:
            arn, name = alarm.get("AlarmArn"), alarm["AlarmName"]
            if _managed_by_auto_scaling(alarm):
                continue
            spec = _with_scaling_references(live_spec(alarm, tags.get(arn, {}), scope), references)
            live[name] = Live(name, spec, tags=tags.get(arn), identity=ArnIdentity(arn=arn))
        return live

    def to_config(self, live, refs):
        problem = inexpressible(live.spec)
        if problem:
            raise ObsctlError(f"alarms/{visible(live.name)} cannot be written as an `alarms` "
                              f"entry: {problem}")
        return ("alarms", live.name), alarm_config(live.spec, refs.own_tags(live.tags), refs)

    def existing(self, aws, names):
        return existing_alarms(aws, names)

    def create(self, aws, desired):
        request = put_request(desired.name, _with_policy_arns(aws, desired.spec))
        aws.client("cloudwatch").put_metric_alarm(**request, Tags=tag_list(desired.written_tags))

    def update(self, aws, desired, live):
        cloudwatch = aws.client("cloudwatch")
        if _without_tags(self.comparable(live.spec, desired.spec)) != _without_tags(desired.spec):
            # PutMetricAlarm replaces the whole alarm: keep what the config leaves to AWS.
            kept = {key: live.spec[key] for key in COMPARED_ONLY_WHEN_CONFIGURED if key in live.spec}
            cloudwatch.put_metric_alarm(**put_request(desired.name,
                                                      _with_policy_arns(aws, kept | desired.spec)))
        sync_tags(aws, live.identity["arn"], live.tags, desired.written_tags)

    def delete(self, aws, live):
        aws.client("cloudwatch").delete_alarms(AlarmNames=[live.name])

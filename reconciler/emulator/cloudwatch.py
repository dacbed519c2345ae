"""CloudWatch alarms as the CloudWatch API reference (2010-08-01) describes them.

moto 5.2.5 gets these wrong (docs/aws-behaviour.md#moto): DescribeAlarms ignores
MaxRecords/NextToken/AlarmTypes and combines no filters; PutMetricAlarm validates almost
nothing, replaces tags and resets state on update; PutCompositeAlarm is not implemented;
DeleteAlarms ignores composite dependencies and leaves the tags behind; Untag/ListTags on an
alarm without tags misbehave.
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.exceptions import (
    InvalidParameterCombination,
    ResourceNotFoundException,
    ValidationError,
)
from moto.cloudwatch.models import Alarm, CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult, EmptyResult

from . import _common, cloudwatch_history
from ._alarm_rule import rule_references
from ._common import original, patch
from .cloudwatch_validation import (
    ALARM_TYPES,
    STATE_VALUES,
    InvalidNextToken,
    MissingParameter,
    _check_common,
    _enum,
    _max_len,
    _validation,
    validate_metric_alarm,
)


# -- views (what DescribeAlarms returns) ---------------------------------------------------

def _metrics_view(alarm: Alarm) -> list[dict[str, Any]] | None:
    metrics = getattr(alarm, "obsctl_metrics", None)
    if metrics is None:  # alarm made by moto itself (e.g. CloudFormation): convert its objects
        metrics = []
        for q in alarm.metric_data_queries:
            entry: dict[str, Any] = {"Id": q.id, "Label": q.label, "Expression": q.expression, "Period": q.period}
            if q.metric_stat is not None:
                s = q.metric_stat
                entry["MetricStat"] = {
                    "Metric": {"Namespace": s.metric.namespace, "MetricName": s.metric.metric_name,
                               "Dimensions": [{"Name": d.name, "Value": d.value} for d in s.metric.dimensions]},
                    "Period": s.period, "Stat": s.stat, "Unit": s.unit,
                }
            entry["ReturnData"] = q.return_data if q.return_data is not None else True
            metrics.append({k: v for k, v in entry.items() if v is not None})
    return metrics or None


def _state_view(alarm: Alarm) -> dict[str, Any]:
    return {
        "AlarmName": alarm.name,
        "AlarmArn": alarm.alarm_arn,
        "StateValue": alarm.state_value,
        "StateUpdatedTimestamp": alarm.state_updated_timestamp,
    }


def _common_view(alarm: Alarm) -> dict[str, Any]:
    return {
        **_state_view(alarm),
        "AlarmDescription": alarm.description,
        "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated_timestamp,
        "ActionsEnabled": alarm.actions_enabled,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "StateReason": alarm.state_reason,
        "StateReasonData": alarm.state_reason_data,
        "StateTransitionedTimestamp": getattr(alarm, "state_transitioned_timestamp", alarm.state_updated_timestamp),
    }


def metric_alarm_view(alarm: Alarm) -> dict[str, Any]:
    view = {
        **_common_view(alarm),
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "Statistic": alarm.statistic,
        "ExtendedStatistic": alarm.extended_statistic,
        "Dimensions": [{"Name": d.name, "Value": d.value} for d in alarm.dimensions],
        "Period": alarm.period,
        "Unit": alarm.unit,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "Threshold": float(alarm.threshold) if alarm.threshold is not None else None,
        "ComparisonOperator": alarm.comparison_operator,
        "TreatMissingData": alarm.treat_missing_data,
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile,
        "Metrics": _metrics_view(alarm),
        "ThresholdMetricId": alarm.threshold_metric_id,
    }
    return {k: v for k, v in view.items() if v is not None}


def composite_alarm_view(alarm: Alarm) -> dict[str, Any]:
    view = {
        **_common_view(alarm),
        "AlarmRule": alarm.rule,
        "ActionsSuppressor": getattr(alarm, "actions_suppressor", None),
        "ActionsSuppressorWaitPeriod": getattr(alarm, "actions_suppressor_wait_period", None),
        "ActionsSuppressorExtensionPeriod": getattr(alarm, "actions_suppressor_extension_period", None),
    }
    return {k: v for k, v in view.items() if v is not None}


# -- backend patches -------------------------------------------------------------------------

def _put_metric_alarm(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> Alarm:
    """Create-or-update with AWS update semantics.

    PutMetricAlarm/PutCompositeAlarm reference: "If you are using this operation to update an
    existing alarm, any tags you specify in this parameter are ignored" and "When you update an
    existing alarm, its state is left unchanged". A new alarm starts in INSUFFICIENT_DATA."""
    name = kwargs["name"] if "name" in kwargs else args[0]
    existing = self.alarms.get(name)
    if existing is not None:
        kwargs["tags"] = None
    # moto refuses every ExtendedStatistic but pNN; validate_metric_alarm checks them all.
    extended_statistic = kwargs.pop("extended_statistic", None)
    alarm = original(CloudWatchBackend, "put_metric_alarm")(self, *args, **kwargs)
    alarm.extended_statistic = extended_statistic
    if existing is not None:
        for attr in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history"):
            setattr(alarm, attr, getattr(existing, attr))
        alarm.state_transitioned_timestamp = getattr(existing, "state_transitioned_timestamp", existing.state_updated_timestamp)
    else:
        alarm.state_value = "INSUFFICIENT_DATA"
        alarm.state_reason = "Unchecked: Initial alarm creation"
        alarm.state_reason_data = None
        alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
    return alarm


def _set_alarm_state(self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
    before = self.alarms.get(alarm_name)
    previous = cloudwatch_history.old_state(before) if before else None
    original(CloudWatchBackend, "set_alarm_state")(self, alarm_name, reason, reason_data, state_value)
    if before is not None and previous["stateValue"] != state_value:
        before.state_transitioned_timestamp = before.state_updated_timestamp
        cloudwatch_history.state_changed(self, before, previous)


def _alarm_for_arn(backend: CloudWatchBackend, arn: str) -> Alarm | None:
    return next((a for a in backend.alarms.values() if a.alarm_arn == arn), None)


def _is_insight_rule(backend: CloudWatchBackend, arn: str) -> bool:
    return arn.rsplit("insight-rule/", 1)[-1] in backend.insight_rules and ":insight-rule/" in arn


def _untag_resource(self: CloudWatchBackend, arn: str, tag_keys: list[str]) -> None:
    # moto raises ResourceNotFound for an alarm that has no tags; AWS only for unknown ARNs.
    if _alarm_for_arn(self, arn) is None and not _is_insight_rule(self, arn):
        raise ResourceNotFoundException
    self.tagger.untag_resource_using_names(arn, tag_keys)


def _list_tags_for_resource(self: CloudWatchBackend, arn: str) -> dict[str, str]:
    if _alarm_for_arn(self, arn) is None and not _is_insight_rule(self, arn):
        raise ResourceNotFoundException
    return self.tagger.get_tag_dict_for_resource(arn)


# -- response patches ------------------------------------------------------------------------

def _backend(resp: CloudWatchResponse) -> CloudWatchBackend:
    return resp.cloudwatch_backend


def _alarm_name_from_ref(ref: str) -> str:
    return ref.split(":alarm:", 1)[1] if ref.startswith("arn:") and ":alarm:" in ref else ref


def _children(backend: CloudWatchBackend, alarm: Alarm) -> list[str]:
    return [_alarm_name_from_ref(r) for r in rule_references(alarm.rule)] if alarm.rule else []


def put_metric_alarm(self: CloudWatchResponse) -> ActionResult:
    p = self._get_params()
    validate_metric_alarm(p)
    existing = _backend(self).alarms.get(p["AlarmName"])
    if existing is not None and existing.rule is not None:
        raise ValidationError(f"Alarm {p['AlarmName']} is a composite alarm; use PutCompositeAlarm.")
    before = cloudwatch_history.snapshot(existing) if existing is not None else None
    original(CloudWatchResponse, "put_metric_alarm")(self)
    alarm = _backend(self).alarms[p["AlarmName"]]
    if p.get("Metrics"):
        # Stored as sent, with AWS's default filled in: ReturnData reads back as true when unset.
        alarm.obsctl_metrics = [{**m, "ReturnData": m.get("ReturnData", True)} for m in p["Metrics"]]
    else:
        alarm.obsctl_metrics = []
    cloudwatch_history.record_configuration(_backend(self), alarm, before)
    return EmptyResult()


def put_composite_alarm(self: CloudWatchResponse) -> ActionResult:
    """PutCompositeAlarm (missing from moto): rule syntax checked, children must exist."""
    p = self._get_params()
    _check_common(p)
    name, rule = p.get("AlarmName"), p.get("AlarmRule")
    if rule is None:
        raise MissingParameter("The parameter AlarmRule is required.")
    _max_len("alarmRule", rule, 10240)
    if rule != rule.strip():
        raise ValidationError("AlarmRule must not contain leading or trailing whitespace or be null")
    refs = rule_references(rule)  # raises ValidationError on bad syntax
    names = list(dict.fromkeys(_alarm_name_from_ref(r) for r in refs))
    if len(names) > 100:
        raise ValidationError("The AlarmRule can specify as many as 100 children alarms.")
    backend = _backend(self)
    missing = [n for n in names if n not in backend.alarms or n == name]
    if missing:
        raise ValidationError(
            f"Could not save the composite alarm as alarms [{', '.join(missing)}] in the alarm rule do not exist"
        )
    existing = backend.alarms.get(name)
    if existing is not None and existing.rule is None:
        raise ValidationError(f"Alarm {name} is a metric alarm; use PutMetricAlarm.")
    before = cloudwatch_history.snapshot(existing) if existing is not None else None
    suppressor = p.get("ActionsSuppressor")
    if suppressor is not None:
        if _alarm_name_from_ref(suppressor) not in backend.alarms:
            raise ValidationError(f"Could not save the composite alarm as the suppressor alarm {suppressor} does not exist")
        for field in ("ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"):
            if p.get(field) is None:
                raise ValidationError(f"{field} is required when ActionsSuppressor is specified.")
    alarm = backend.put_metric_alarm(
        name=name, namespace=None, metric_name=None, comparison_operator=None,
        evaluation_periods=None, period=None, threshold=None, statistic=None,
        description=p.get("AlarmDescription"), dimensions=[],
        alarm_actions=p.get("AlarmActions", []), ok_actions=p.get("OKActions", []),
        insufficient_data_actions=p.get("InsufficientDataActions", []),
        actions_enabled=p.get("ActionsEnabled"), rule=rule, tags=p.get("Tags", []),
    )
    alarm.obsctl_metrics = []
    alarm.actions_suppressor = suppressor
    alarm.actions_suppressor_wait_period = p.get("ActionsSuppressorWaitPeriod") if suppressor else None
    alarm.actions_suppressor_extension_period = p.get("ActionsSuppressorExtensionPeriod") if suppressor else None
    cloudwatch_history.record_configuration(backend, alarm, before)
    return EmptyResult()


def describe_alarms(self: CloudWatchResponse) -> ActionResult:
    """DescribeAlarms: filters combine, AlarmTypes defaults to metric alarms only, pages of
    MaxRecords (1..100, default 50) with an opaque NextToken; metric alarms come first, each
    kind ordered by name."""
    p = self._get_params()
    backend = _backend(self)
    names = p.get("AlarmNames") or []
    _max_len("alarmNames", names, 100)
    max_records = p.get("MaxRecords", 50)
    if not 1 <= max_records <= 100:
        raise _validation("maxRecords", max_records, "Member must have value less than or equal to 100"
                          if max_records > 100 else "Member must have value greater than or equal to 1")
    types = p.get("AlarmTypes") or ["MetricAlarm"]
    for t in types:
        _enum("alarmTypes", t, ALARM_TYPES)
    state, prefix, action_prefix = p.get("StateValue"), p.get("AlarmNamePrefix"), p.get("ActionPrefix")
    _enum("stateValue", state, STATE_VALUES)
    if names and prefix:
        raise InvalidParameterCombination(
            "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both."
        )
    children_of, parents_of = p.get("ChildrenOfAlarmName"), p.get("ParentsOfAlarmName")
    family = children_of or parents_of
    if children_of and parents_of:
        raise ValidationError("ChildrenOfAlarmName and ParentsOfAlarmName cannot be used together.")
    alarms = list(backend.alarms.values())
    if family:
        # "you cannot specify any other parameters in the request except for MaxRecords and
        # NextToken"; only name, ARN, state and state timestamp come back.
        if names or prefix or state or action_prefix or p.get("AlarmTypes"):
            raise ValidationError("ChildrenOfAlarmName/ParentsOfAlarmName cannot be used with other filters.")
        if children_of:
            parent = backend.alarms.get(children_of)
            kids = set(_children(backend, parent)) if parent is not None else set()
            alarms = [a for a in alarms if a.name in kids]
        else:
            alarms = [a for a in alarms if a.rule and parents_of in _children(backend, a)]
        types = ["MetricAlarm", "CompositeAlarm"]
    if names:
        alarms = [a for a in alarms if a.name in names]
    if prefix:
        alarms = [a for a in alarms if a.name.startswith(prefix)]
    if state:
        alarms = [a for a in alarms if a.state_value == state]
    if action_prefix:
        alarms = [
            a for a in alarms
            if any(x.startswith(action_prefix) for x in (*a.alarm_actions, *a.ok_actions, *a.insufficient_data_actions))
        ]
    alarms = [a for a in alarms if ("CompositeAlarm" if a.rule is not None else "MetricAlarm") in types]
    try:
        page, token = _common.paginate(
            alarms, key=lambda a: (0 if a.rule is None else 1, a.name), limit=max_records,
            token=p.get("NextToken"), kind="cloudwatch:DescribeAlarms",
        )
    except _common.BadToken:
        raise InvalidNextToken("The service returned an invalid next token.")
    metric_view = _state_view if family else metric_alarm_view
    composite_view = _state_view if family else composite_alarm_view
    result: dict[str, Any] = {
        "MetricAlarms": [metric_view(a) for a in page if a.rule is None],
        "CompositeAlarms": [composite_view(a) for a in page if a.rule is not None],
    }
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def delete_alarms(self: CloudWatchResponse) -> ActionResult:
    """DeleteAlarms: ≤100 names, at most one composite per call, unknown names ignored, and an
    alarm that a remaining composite depends on cannot be deleted (then nothing is deleted)."""
    names = list(dict.fromkeys(self._get_param("AlarmNames", []) or []))
    _max_len("alarmNames", names, 100)
    backend = _backend(self)
    found = [backend.alarms[n] for n in names if n in backend.alarms]
    if sum(1 for a in found if a.rule is not None) > 1:
        raise ValidationError("You can delete at most one composite alarm per DeleteAlarms request.")
    doomed = {a.name for a in found}
    blocked = [
        a.name for a in found
        if any(
            p.name not in doomed and (a.name in _children(backend, p) or
                                      _alarm_name_from_ref(getattr(p, "actions_suppressor", None) or "") == a.name)
            for p in backend.alarms.values() if p.rule is not None
        )
    ]
    if blocked:
        which = "them" if len(blocked) > 1 else "it"
        raise ValidationError(
            f"Cannot delete {','.join(blocked)} as there are composite alarm(s) depending on {which}."
        )
    for alarm in found:
        cloudwatch_history.record_deletion(backend, alarm)
        backend.alarms.pop(alarm.name, None)
        backend.tagger.delete_all_tags_for_resource(alarm.alarm_arn)  # moto kept them for a re-created alarm
    return EmptyResult()


def install() -> None:
    patch(CloudWatchBackend, "put_metric_alarm", _put_metric_alarm)
    patch(CloudWatchBackend, "set_alarm_state", _set_alarm_state)
    patch(CloudWatchBackend, "untag_resource", _untag_resource)
    patch(CloudWatchBackend, "list_tags_for_resource", _list_tags_for_resource)
    patch(CloudWatchResponse, "put_metric_alarm", put_metric_alarm)
    patch(CloudWatchResponse, "put_composite_alarm", put_composite_alarm)
    patch(CloudWatchResponse, "describe_alarms", describe_alarms)
    patch(CloudWatchResponse, "delete_alarms", delete_alarms)
    from . import cloudwatch_anomaly

    cloudwatch_anomaly.install()
    cloudwatch_history.install()

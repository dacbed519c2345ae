"""CloudWatch alarm history and alarm actions (DescribeAlarmHistory is HTTP 500 in moto 5.2.5,
and moto never runs an alarm's actions).

Per the CloudWatch API reference and user guide:
- every alarm change leaves a history item: ``ConfigurationUpdate`` when PutMetricAlarm /
  PutCompositeAlarm creates or updates it or DeleteAlarms deletes it, ``StateUpdate`` when its state changes (HistoryData
  is ``{"version":"1.0","oldState":{...},"newState":{...}}``), ``Action`` for each action run;
  the history outlives the alarm ("CloudWatch retains the history of an alarm even if you delete
  the alarm");
- on a state change, if ActionsEnabled, every SNS topic in the new state's action list gets the
  JSON alarm notification (AlarmName, NewStateValue, OldStateValue, Trigger, ...) published with
  the subject ``ALARM: "name" in US East (N. Virginia)``, so subscribers (SQS, ...) receive it.
  Actions other than SNS topics (Auto Scaling, EC2, Lambda, SSM) are not run here. Composite
  alarms follow their children (``cloudwatch_composite``).
- DescribeAlarmHistory filters by AlarmName, AlarmTypes (default: metric alarms only),
  HistoryItemType, StartDate/EndDate; ScanBy TimestampDescending (default) or Ascending;
  MaxRecords 1..100 (default 100) with NextToken.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone
from typing import Any

from moto.cloudwatch.models import Alarm, CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from . import _common
from ._common import patch
from .cloudwatch_validation import ALARM_TYPES, InvalidNextToken, _enum, _max_len, _validation

HISTORY_ITEM_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action")
SCAN_BY = ("TimestampDescending", "TimestampAscending")
# The region's display name, as alarm notifications and their subjects show it.
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-south-1": "Asia Pacific (Mumbai)",
    "ca-central-1": "Canada (Central)", "sa-east-1": "South America (Sao Paulo)",
}
_sequence = itertools.count()


def _history(backend: CloudWatchBackend) -> list[dict[str, Any]]:
    return _common.state(backend, "obsctl_alarm_history", list)


def _iso(ts: datetime) -> str:
    # The timestamp format inside AWS's JSON documents: 2014-04-09T18:59:06.419+0000
    ts = ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"


def _alarm_type(alarm: Alarm) -> str:
    return "CompositeAlarm" if alarm.rule is not None else "MetricAlarm"


def _record(backend: CloudWatchBackend, alarm: Alarm, item_type: str, summary: str, data: dict[str, Any],
            when: datetime | None = None) -> None:
    _history(backend).append({
        "seq": next(_sequence),
        "AlarmName": alarm.name,
        "AlarmType": _alarm_type(alarm),
        "Timestamp": when or utcnow(),
        "HistoryItemType": item_type,
        "HistorySummary": summary,
        "HistoryData": json.dumps(data, separators=(",", ":")),
    })


def _config_doc(alarm: Alarm) -> dict[str, Any]:
    from .cloudwatch import composite_alarm_view, metric_alarm_view

    view = composite_alarm_view(alarm) if alarm.rule is not None else metric_alarm_view(alarm)
    skip = {"StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp",
            "StateTransitionedTimestamp", "AlarmConfigurationUpdatedTimestamp"}
    doc = {k[0].lower() + k[1:]: v for k, v in view.items() if k not in skip}
    doc["timestamp"] = _iso(alarm.configuration_updated_timestamp)
    return json.loads(json.dumps(doc, default=lambda o: _iso(o) if isinstance(o, datetime) else str(o)))


def record_configuration(backend: CloudWatchBackend, alarm: Alarm, before: dict[str, Any] | None) -> None:
    """A ConfigurationUpdate item for a create (``before`` None) or an update."""
    if before is None:
        _record(backend, alarm, "ConfigurationUpdate", f'Alarm "{alarm.name}" created',
                {"type": "Create", "version": "1.0", "createdAlarm": _config_doc(alarm)})
    else:
        _record(backend, alarm, "ConfigurationUpdate", f'Alarm "{alarm.name}" updated',
                {"type": "Update", "version": "1.0", "originalUpdatedAlarm": before,
                 "updatedAlarm": _config_doc(alarm)})


def record_deletion(backend: CloudWatchBackend, alarm: Alarm) -> None:
    _record(backend, alarm, "ConfigurationUpdate", f'Alarm "{alarm.name}" deleted',
            {"type": "Delete", "version": "1.0", "deletedAlarm": _config_doc(alarm)})


def snapshot(alarm: Alarm) -> dict[str, Any]:
    """The alarm's configuration document, taken before an update."""
    return _config_doc(alarm)


def _state_doc(value: str, reason: str | None, reason_data: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"stateValue": value, "stateReason": reason or ""}
    if reason_data:
        try:
            parsed = json.loads(reason_data)
        except ValueError:
            parsed = None
        if parsed:
            doc["stateReasonData"] = parsed
    return doc


def state_changed(backend: CloudWatchBackend, alarm: Alarm, old: dict[str, Any]) -> None:
    """After a state change: the StateUpdate item, then the new state's actions."""
    new = _state_doc(alarm.state_value, alarm.state_reason, alarm.state_reason_data)
    from . import cloudwatch_composite

    _record(backend, alarm, "StateUpdate", f"Alarm updated from {old['stateValue']} to {alarm.state_value}",
            {"version": "1.0", "oldState": old, "newState": new}, when=alarm.state_updated_timestamp)
    if alarm.actions_enabled and not cloudwatch_composite.suppressed(backend, alarm):
        _run_actions(backend, alarm, old["stateValue"])
    alarm.obsctl_triggering_children = []
    cloudwatch_composite.propagate(backend, alarm)


def old_state(alarm: Alarm) -> dict[str, Any]:
    return _state_doc(alarm.state_value, alarm.state_reason, alarm.state_reason_data)


# -- actions ---------------------------------------------------------------------------------

def _actions_for(alarm: Alarm) -> list[str]:
    return list({"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
                 "INSUFFICIENT_DATA": alarm.insufficient_data_actions}[alarm.state_value] or [])


def _metric_view(query: dict[str, Any]) -> dict[str, Any]:
    """A metric math query as notifications show it: API names, dimensions as {value, name}."""
    view = dict(query)
    stat = view.get("MetricStat")
    if stat:
        metric = dict(stat["Metric"])
        metric["Dimensions"] = [{"value": d["Value"], "name": d["Name"]} for d in metric.get("Dimensions", [])]
        view["MetricStat"] = {**stat, "Metric": metric}
    return view


def _trigger(alarm: Alarm) -> dict[str, Any]:
    """The notification's Trigger, key order and quirks as CloudWatch sends them (the
    TreatMissingData value really reads "- TreatMissingData:" + 20 spaces + the setting)."""
    trigger: dict[str, Any] = {}
    metrics = getattr(alarm, "obsctl_metrics", None)
    if not metrics:
        trigger.update({
            "MetricName": alarm.metric_name, "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
        })
        if alarm.extended_statistic:
            trigger["ExtendedStatistic"] = alarm.extended_statistic
        else:
            trigger["Statistic"] = (alarm.statistic or "").upper()
        trigger["Unit"] = alarm.unit
        trigger["Dimensions"] = [{"value": d.value, "name": d.name} for d in alarm.dimensions]
    trigger["Period"] = alarm.period if not metrics else max(
        (m.get("MetricStat", {}).get("Period") or m.get("Period") or 0 for m in metrics), default=0)
    trigger["EvaluationPeriods"] = alarm.evaluation_periods
    if alarm.datapoints_to_alarm:
        trigger["DatapointsToAlarm"] = alarm.datapoints_to_alarm
    trigger.update({
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": float(alarm.threshold) if alarm.threshold is not None else None,
        "TreatMissingData": "- TreatMissingData:" + " " * 20 + (alarm.treat_missing_data or "missing"),
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
    })
    if metrics:
        trigger["Metrics"] = [_metric_view(m) for m in metrics]
    if alarm.threshold_metric_id:
        trigger["ThresholdMetricId"] = alarm.threshold_metric_id
    return trigger


def notification(backend: CloudWatchBackend, alarm: Alarm, old_value: str) -> dict[str, Any]:
    """The JSON document CloudWatch publishes to an alarm's SNS topics."""
    message: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": _iso(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _iso(alarm.state_updated_timestamp),
        "Region": REGION_NAMES.get(backend.region_name, backend.region_name),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_value,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
    }
    if alarm.rule is not None:
        message["AlarmRule"] = alarm.rule
        message["TriggeringChildren"] = list(getattr(alarm, "obsctl_triggering_children", []))
    else:
        message["Trigger"] = _trigger(alarm)
    return message


def _subject(backend: CloudWatchBackend, alarm: Alarm) -> str:
    subject = f'{alarm.state_value}: "{alarm.name}" in {REGION_NAMES.get(backend.region_name, backend.region_name)}'
    return subject if len(subject) <= 100 else subject[:97] + "..."


def _run_actions(backend: CloudWatchBackend, alarm: Alarm, old_value: str) -> None:
    from moto.sns.models import sns_backends

    for action in _actions_for(alarm):
        parts = action.split(":")
        if len(parts) < 6 or parts[2] != "sns":
            continue  # only SNS notifications are delivered by the emulator
        message = notification(backend, alarm, old_value)
        data: dict[str, Any] = {"actionState": "Succeeded", "notificationResource": action,
                                "stateUpdateTimestamp": int(alarm.state_updated_timestamp.timestamp() * 1000),
                                "publishedMessage": json.dumps(message)}
        try:
            topic_backend = sns_backends[parts[4]][parts[3]]
            topic_backend.get_topic(action)
            topic_backend.publish(json.dumps(message), arn=action, subject=_subject(backend, alarm))
            summary = f"Successfully executed action {action}"
        except Exception as exc:  # a missing topic is an action failure in the history, as in AWS
            data = {"actionState": "Failed", "notificationResource": action,
                    "stateUpdateTimestamp": data["stateUpdateTimestamp"], "error": type(exc).__name__}
            summary = f"Failed to execute action {action}"
        _record(backend, alarm, "Action", summary, data)


# -- DescribeAlarmHistory ----------------------------------------------------------------------

def describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
    p = self._get_params()
    name = p.get("AlarmName")
    _max_len("alarmName", name, 255)
    item_type = p.get("HistoryItemType")
    _enum("historyItemType", item_type, HISTORY_ITEM_TYPES)
    scan_by = p.get("ScanBy") or "TimestampDescending"
    _enum("scanBy", scan_by, SCAN_BY)
    types = p.get("AlarmTypes") or ["MetricAlarm"]
    for t in types:
        _enum("alarmTypes", t, ALARM_TYPES)
    max_records = p.get("MaxRecords", 100)
    if not 1 <= max_records <= 100:
        raise _validation("maxRecords", max_records, "Member must have value less than or equal to 100"
                          if max_records > 100 else "Member must have value greater than or equal to 1")
    start, end = _aware(p.get("StartDate")), _aware(p.get("EndDate"))
    items = [i for i in _history(self.cloudwatch_backend) if i["AlarmType"] in types]
    if name:
        items = [i for i in items if i["AlarmName"] == name]
    if item_type:
        items = [i for i in items if i["HistoryItemType"] == item_type]
    if start:
        items = [i for i in items if _aware(i["Timestamp"]) >= start]
    if end:
        items = [i for i in items if _aware(i["Timestamp"]) <= end]
    descending = scan_by == "TimestampDescending"
    try:
        page, token = _common.paginate(items, key=lambda i: (-i["seq"] if descending else i["seq"],),
                                       limit=max_records, token=p.get("NextToken"),
                                       kind=f"cloudwatch:DescribeAlarmHistory:{scan_by}")
    except _common.BadToken:
        raise InvalidNextToken("The service returned an invalid next token.")
    result: dict[str, Any] = {"AlarmHistoryItems": [{k: v for k, v in i.items() if k != "seq"} for i in page]}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def install() -> None:
    patch(CloudWatchResponse, "describe_alarm_history", describe_alarm_history)

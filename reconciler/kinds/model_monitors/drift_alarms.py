"""The CloudWatch alarms a monitor's `drift_alarms` generate, on the metrics its jobs
publish.
"""

from __future__ import annotations

from pydantic import ValidationError

from reconciler.config.fields import MetricRef
from reconciler.kinds.alarms import AlarmConfig
from reconciler.kinds.model_monitors.model import (DriftAlarm, METRIC_NAMESPACES, MonitorConfig,
                                                   schedule_interval)


def drift_alarm_name(monitor_name: str, alarm: DriftAlarm) -> str:
    if alarm.name:
        return alarm.name
    return f"{monitor_name}-drift-{alarm.feature}" if alarm.feature else f"{monitor_name}-{alarm.metric}"


def drift_alarm_config(monitor_name: str, monitor: MonitorConfig, alarm: DriftAlarm) -> AlarmConfig:
    """The `alarms` entry a drift alarm stands for; raises ValidationError like one would."""
    dimensions = monitor.metrics_dimensions or {"Endpoint": monitor.endpoint,
                                                "MonitoringSchedule": monitor_name}
    metric = MetricRef(namespace=monitor.metrics_namespace or METRIC_NAMESPACES[monitor.monitoring_type],
                       name=alarm.metric_name, dimensions=dimensions, stat=alarm.statistic,
                       period=alarm.period or schedule_interval(monitor.schedule_expression))
    description = alarm.description or (f"{alarm.metric_name} of model monitor {monitor_name} "
                                        f"(endpoint {monitor.endpoint}) {alarm.comparison} {alarm.threshold}")
    return AlarmConfig(description=description, metric=metric, comparison=alarm.comparison,
                       threshold=alarm.threshold, evaluation_periods=alarm.evaluation_periods,
                       datapoints_to_alarm=alarm.datapoints_to_alarm,
                       treat_missing_data=alarm.treat_missing_data, actions=alarm.actions)


def _alarm_problem(error: ValidationError) -> str:
    return "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())

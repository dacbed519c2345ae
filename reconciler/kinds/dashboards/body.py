"""Config -> dashboard JSON, and the comparable form of a dashboard body.

Rendering follows the CloudWatch API reference "Dashboard Body Structure and Syntax". Only
what the config sets is written (no nulls, no defaults spelled out), so the body that reads
back is the one written.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.kinds.common import as_number
from reconciler.kinds.dashboards.metric_math import expression_ids
from reconciler.kinds.dashboards.model import (DEFAULT_HEIGHT, DEFAULT_WIDTH, GRID_COLUMNS,
                                               AlarmStatusWidget, AlarmWidget, DashboardConfig,
                                               DashboardExpression, DashboardMetric, LogsWidget,
                                               MetricWidget, TextWidget, YAxis, alarm_region)


def layout(widgets: list) -> list[dict[str, int]]:
    """x/y/width/height of each widget: explicit ones as given, the others left to right and
    top to bottom on the 24-column grid, so the same config always renders the same JSON."""
    x = y = row_height = 0
    placed = []
    for widget in widgets:
        width, height = widget.width or DEFAULT_WIDTH, widget.height or DEFAULT_HEIGHT
        if widget.x is not None:
            placed.append({"x": widget.x, "y": widget.y, "width": width, "height": height})
            continue
        if x + width > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        placed.append({"x": x, "y": y, "width": width, "height": height})
        x, row_height = x + width, max(row_height, height)
    return placed


def metric_array(metric: DashboardMetric, widget_account: str | None) -> list:
    """Compact form `[namespace, name, dim, value, ..., {rendering options}]`; dimensions
    sorted by name so the rendering does not depend on YAML key order."""
    dimensions = [part for key, value in sorted(metric.dimensions.items()) for part in (key, value)]
    options: dict[str, Any] = {"stat": metric.stat}
    if metric.period:
        options["period"] = metric.period
    if metric.label:
        options["label"] = metric.label
    account = metric.account_id or widget_account
    if account:
        options["accountId"] = account
    if metric.id:
        options["id"] = metric.id
    if not metric.visible:
        options["visible"] = False
    return [metric.namespace, metric.name, *dimensions, options]


def expression_array(expression: DashboardExpression, expression_id: str) -> list:
    """`[{"expression": ..., "label": ..., "id": ...}]`: an expression is an entry of the
    metrics array holding only its options object."""
    options: dict[str, Any] = {"expression": expression.expression}
    if expression.label:
        options["label"] = expression.label
    options["id"] = expression_id
    if not expression.visible:
        options["visible"] = False
    return [options]


def metrics_array(widget: MetricWidget) -> list[list]:
    return [expression_array(entry, entry_id) if isinstance(entry, DashboardExpression)
            else metric_array(entry, widget.account_id)
            for entry, entry_id in zip(widget.metrics, expression_ids(widget.metrics))]


def y_axis_json(axis: YAxis) -> dict:
    """The `yAxis` property: only the ends and options the config sets (an end left out is
    automatic; a null would not be)."""
    left = {"min": axis.min, "max": axis.max, "label": axis.label, "showUnits": axis.show_units}
    return {"left": {key: value for key, value in left.items() if value is not None}}


def _metric_properties(widget: MetricWidget, config: DashboardConfig, scope) -> dict:
    properties: dict[str, Any] = {
        "view": widget.view,
        "region": widget.region or config.region or scope.region,
        "metrics": metrics_array(widget),
    }
    period = widget.period or config.period
    if period:
        properties["period"] = period
    if widget.stacked is not None:
        properties["stacked"] = widget.stacked
    if widget.annotations:
        properties["annotations"] = {"horizontal": [a.model_dump(exclude_none=True)
                                                    for a in widget.annotations.horizontal]}
    if widget.y_axis:
        properties["yAxis"] = y_axis_json(widget.y_axis)
    return properties


def alarm_arn_of(reference: str, scope) -> str:
    """An alarm named in a widget: an ARN as written, a name in the stack's account and region
    (where the stack's alarms, declared and generated, are created)."""
    return reference if reference.startswith("arn:") else scope.arn("cloudwatch", f"alarm:{reference}")


def _alarm_status_properties(widget: AlarmStatusWidget, config: DashboardConfig, scope) -> dict:
    return {"alarms": [alarm_arn_of(alarm, scope) for alarm in widget.alarms]}


def _alarm_graph_properties(widget: AlarmWidget, config: DashboardConfig, scope) -> dict:
    # A metric widget whose only content is the alarm annotation draws the alarm's metric and
    # threshold. It is drawn in the alarm's region, whatever the dashboard's default region.
    arn = alarm_arn_of(widget.alarm, scope)
    properties: dict[str, Any] = {"view": "timeSeries", "region": alarm_region(arn),
                                  "annotations": {"alarms": [arn]}}
    if widget.y_axis:
        properties["yAxis"] = y_axis_json(widget.y_axis)
    return properties


def _logs_properties(widget: LogsWidget, config: DashboardConfig, scope) -> dict:
    # A log widget names its log groups inside the query: "SOURCE 'a' | SOURCE 'b' | query".
    sources = " | ".join(f"SOURCE '{group}'" for group in widget.log_groups)
    return {
        "query": f"{sources} | {widget.query}",
        "region": widget.region or config.region or scope.region,
        "view": widget.view,
    }


def _text_properties(widget: TextWidget, config: DashboardConfig, scope) -> dict:
    return {"markdown": widget.markdown}


# High-level widget class -> (dashboard JSON widget type, properties renderer).
_RENDERERS = {
    MetricWidget: ("metric", _metric_properties),
    AlarmStatusWidget: ("alarm", _alarm_status_properties),
    AlarmWidget: ("metric", _alarm_graph_properties),
    LogsWidget: ("log", _logs_properties),
    TextWidget: ("text", _text_properties),
}


def render_widget(widget, placement: dict[str, int], config: DashboardConfig, scope) -> dict:
    widget_type, properties_of = _RENDERERS[type(widget)]
    properties = properties_of(widget, config, scope)
    if getattr(widget, "title", None):
        properties["title"] = widget.title
    return {"type": widget_type, **placement, "properties": properties}


def render_body(config: DashboardConfig, scope) -> dict:
    if config.body is not None:
        return config.body
    placements = layout(config.widgets)
    body: dict[str, Any] = {"widgets": [render_widget(w, p, config, scope)
                                        for w, p in zip(config.widgets, placements)]}
    if config.start:
        body["start"] = config.start
    return body


# --- comparable form ----------------------------------------------------------------------

def canonical(value: Any) -> Any:
    """JSON value with sorted keys and whole doubles as ints (5.0 == 5)."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return as_number(value)


def comparable_body(body: dict | str) -> dict:
    """Both sides go through JSON text, so YAML-only shapes (int keys) read as AWS reads them."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {"body": canonical(json.loads(text))}


def body_text(spec: dict) -> str:
    return json.dumps(spec["body"], separators=(",", ":"), sort_keys=True)

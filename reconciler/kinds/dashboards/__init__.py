"""CloudWatch dashboards: high-level widgets rendered to dashboard JSON, or a raw body.

Comparable form: `{"body": <the dashboard JSON as a canonical dict>}`. PutDashboard stores the
body as a string and GetDashboard returns that string, so key order, whitespace and `5` vs
`5.0` are the only differences between what was written and what reads back
(docs/aws-behaviour.md#read-back); both sides are parsed and canonicalized.

Modules: model (the config and its per-entry rules), metric_math (ids and references across a
metric widget's entries), body (rendering and the comparable form), kind (reads, writes,
checks across the stack). Rendering follows the CloudWatch API reference "Dashboard Body
Structure and Syntax". Dashboards cannot be tagged: ownership for prune comes from the
stack's `prune` patterns.
"""

from reconciler.kinds.dashboards.model import (
    AlarmStatusWidget, AlarmWidget, Annotations, DashboardConfig, DashboardExpression,
    DashboardMetric, DashboardName, HorizontalAnnotation, LogsWidget, MetricWidget, TextWidget,
    YAxis, parse_raw_body)
from reconciler.kinds.dashboards.body import (body_text, canonical, comparable_body, layout,
                                              metric_array, render_body, render_widget)
from reconciler.kinds.dashboards.metric_math import expression_ids, metric_math_problems
from reconciler.kinds.dashboards.kind import Dashboards, read_bodies

__all__ = ["AlarmStatusWidget", "AlarmWidget", "Annotations", "DashboardConfig",
           "DashboardExpression", "DashboardMetric", "DashboardName", "Dashboards",
           "HorizontalAnnotation", "LogsWidget", "MetricWidget", "TextWidget", "YAxis",
           "body_text", "canonical", "comparable_body", "expression_ids", "layout",
           "metric_array", "metric_math_problems", "parse_raw_body", "read_bodies",
           "render_body", "render_widget"]

"""The `dashboards` config: high-level widgets or a raw body, and the rules within one entry
(errors point at the field). Rules across a widget's metrics (ids, references between
expressions) and references to alarms need the whole entry or stack: see metric_math.py and
`Dashboards.check`."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (AfterValidator, Discriminator, Field, StringConstraints, Tag, WithJsonSchema,
                      field_validator, model_validator)

from reconciler.config.expressions import parse_metric_math
from reconciler.config.fields import AccountId, Finite, MetricRef, Period, Region, StrictModel

# Limits from docs/aws-behaviour.md (CloudWatch quotas) and the dashboard body reference.
MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
MAX_METRICS_PER_DASHBOARD = 2500
MAX_ALARMS_PER_WIDGET = 100  # alarm widget: "an array of 1-100 alarm ARNs"
MAX_LOG_GROUPS_PER_QUERY = 50  # Logs Insights queries at most 50 log groups
MAX_EXPRESSION_LENGTH = 2048  # GetMetricData's MetricDataQuery.Expression, which graphs run
GRID_COLUMNS = 24
DEFAULT_WIDTH, DEFAULT_HEIGHT = 12, 6

DashboardName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,255}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=255)]
LogGroupName = Annotated[str, StringConstraints(pattern=r"^[.\-_/#A-Za-z0-9]{1,512}$")]
# An alarm of this stack (alarms, composite_alarms or a generated one) by name, or any alarm
# by ARN (longer than the 255-character name); `check` and `check_generated` reject names the
# stack neither defines nor generates (reconciler/kinds/alarm_names.py).
AlarmRef = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# Dashboard time range: a relative ISO 8601 duration ("-PT6H", "-P7D") or an ISO timestamp.
Start = Annotated[str, StringConstraints(
    pattern=r"^(-P([0-9]+[YMWD])+(T([0-9]+[HMS])+)?|-PT([0-9]+[HMS])+|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)$")]

_METRIC_ID = re.compile(r"^[a-z][a-zA-Z0-9_]{0,254}$")
_ALARM_ARN = re.compile(r"^arn:[a-z-]+:cloudwatch:([a-z0-9-]+):[0-9]{12}:alarm:.+$")


def _check_metric_id(value: str) -> str:
    # The dashboard metrics array reference: "id ... must start with a lowercase letter" and
    # hold letters, digits and underscores, as in metric math.
    if not _METRIC_ID.match(value):
        raise ValueError(f"metric ids start with a lowercase letter and hold only letters, digits "
                         f"and underscores (at most 255), got {value!r}")
    return value


MetricId = Annotated[str, AfterValidator(_check_metric_id), WithJsonSchema({
    "type": "string", "pattern": _METRIC_ID.pattern,
    "description": "id an expression of the same widget names this entry by"})]


def _check_expression(text: str) -> str:
    parse_metric_math(text)  # ExpressionError is a ValueError: a diagnostic at the expression
    return text


Expression = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EXPRESSION_LENGTH),
                       AfterValidator(_check_expression)]


def alarm_region(arn: str) -> str:
    """The region of an alarm ARN that passed AlarmGraphRef."""
    return arn.split(":")[3]


def _check_alarm_graph_ref(value: str) -> str:
    if value.startswith("arn:") and not _ALARM_ARN.match(value):
        raise ValueError(f"{value!r} is not an alarm ARN (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME)")
    return value


AlarmGraphRef = Annotated[AlarmRef, AfterValidator(_check_alarm_graph_ref)]


class Placement(StrictModel):
    """Position on the 24-column grid; omitted x/y means auto-layout."""

    x: Annotated[int, Field(ge=0, le=GRID_COLUMNS - 1)] | None = None
    """Column of the widget's left edge (0-23); default: placed left to right, top to bottom."""
    y: Annotated[int, Field(ge=0)] | None = None
    """Row of the widget's top edge; default: placed left to right, top to bottom."""
    width: Annotated[int, Field(ge=1, le=GRID_COLUMNS)] | None = None
    """Width in grid columns (1-24); default 12."""
    height: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Height in grid rows (1-1000); default 6."""

    @model_validator(mode="after")
    def _position_fits(self):
        if (self.x is None) != (self.y is None):
            raise ValueError("give both x and y, or neither to place the widget automatically")
        if self.x is not None and self.x + (self.width or DEFAULT_WIDTH) > GRID_COLUMNS:
            raise ValueError(f"x + width exceeds the {GRID_COLUMNS}-column grid")
        return self


class DashboardMetric(MetricRef):
    label: Label | None = None
    """Legend label of the metric; default CloudWatch's."""
    id: MetricId | None = None
    """Id by which an `expression` of the same widget uses this metric (starts with a lowercase letter)."""
    visible: bool = True
    """Draw this metric; false hides an input of an expression; default true."""

    @field_validator("unit")
    @classmethod
    def _no_unit(cls, unit):
        # The metric array's rendering properties have no unit (dashboard body reference).
        raise ValueError("dashboard metrics take no unit; remove `unit`")


class DashboardExpression(StrictModel):
    """A metric math expression over metrics (and expressions) of the same widget."""

    expression: Expression
    """Metric math over the ids of this widget's metrics, e.g. "100 * errors / invocations"."""
    label: Label | None = None
    """Legend label of the result; default the expression."""
    id: MetricId | None = None
    """Id by which another expression uses this one; default e1, e2, ... in order."""
    visible: bool = True
    """Draw the result; false for an intermediate step of another expression; default true."""


def _metric_entry_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "DashboardExpression" if "expression" in value else "DashboardMetric"
    return type(value).__name__ if isinstance(value, (DashboardMetric, DashboardExpression)) else None


# An entry with `expression` is an expression, any other mapping a metric: one clear error
# per entry instead of one per union member.
MetricEntry = Annotated[
    Union[Annotated[DashboardMetric, Tag("DashboardMetric")],
          Annotated[DashboardExpression, Tag("DashboardExpression")]],
    Discriminator(_metric_entry_kind, custom_error_type="metric_entry",
                  custom_error_message="a metrics entry is a mapping: a metric (namespace, name, ...) "
                                       "or an expression (expression, label, id)")]


class HorizontalAnnotation(StrictModel):
    value: Finite
    """Y value at which the line is drawn."""
    label: Annotated[str, StringConstraints(max_length=255)] | None = None
    """Label shown next to the line."""


class Annotations(StrictModel):
    horizontal: Annotated[list[HorizontalAnnotation], Field(min_length=1)]
    """Horizontal lines, e.g. a threshold."""


class YAxis(StrictModel):
    """The left y axis: any of its ends, its label and whether units are shown."""

    min: Finite | None = None
    """Lowest value shown on the left y axis; default automatic."""
    max: Finite | None = None
    """Highest value shown on the left y axis; default automatic."""
    label: Label | None = None
    """Label of the left y axis; default none."""
    show_units: bool | None = None
    """Show the metrics' unit next to the label; default true (CloudWatch's)."""

    @model_validator(mode="after")
    def _ordered(self):
        if self.min is None and self.max is None and self.label is None and self.show_units is None:
            raise ValueError("give at least one of min, max, label or show_units (or leave "
                             "y_axis out for an automatic axis)")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("y_axis min must be below max")
        return self


class MetricWidget(Placement):
    type: Literal["metric"]
    """Widget type: a graph or number of metrics."""
    title: Title | None = None
    """Title shown above the widget."""
    metrics: Annotated[list[MetricEntry], Field(min_length=1, max_length=MAX_METRICS_PER_WIDGET)]
    """Metrics the widget shows, and metric math expressions over them (by `id`)."""
    region: Region | None = None
    """Region of the metrics; default the dashboard's region."""
    account_id: AccountId | None = None
    """12-digit account of the metrics, for cross-account dashboards; default this account."""
    view: Literal["timeSeries", "singleValue", "gauge", "bar", "pie"] = "timeSeries"
    """How the metrics are drawn: timeSeries (default), singleValue, gauge, bar or pie."""
    stacked: bool | None = None
    """Draw time series stacked; default false."""
    period: Period | None = None
    """Length of one datapoint in seconds; default the dashboard's period."""
    annotations: Annotations | None = None
    """Annotations drawn on the graph."""
    y_axis: YAxis | None = None
    """The left y axis: min and/or max, label, show_units; default automatic."""

    @model_validator(mode="after")
    def _gauge_has_range(self):
        # "If you specify gauge, you must set a value for min and max on the left side of yAxis."
        if self.view == "gauge" and (self.y_axis is None or None in (self.y_axis.min, self.y_axis.max)):
            raise ValueError("a gauge needs y_axis: {min, max}")
        return self


class AlarmStatusWidget(Placement):
    type: Literal["alarm_status"]
    """Widget type: the states of a list of alarms."""
    title: Title | None = None
    """Title shown above the widget."""
    alarms: Annotated[list[AlarmRef], Field(min_length=1, max_length=MAX_ALARMS_PER_WIDGET)]
    """Alarms shown: names of this stack's alarms or ARNs (1-100)."""


class AlarmWidget(Placement):
    type: Literal["alarm"]
    """Widget type: the graph of one metric alarm with its threshold."""
    title: Title | None = None
    """Title shown above the widget."""
    alarm: AlarmGraphRef
    """The metric alarm graphed: a name of this stack's alarms (generated ones too) or an ARN."""
    y_axis: YAxis | None = None
    """The left y axis: min and/or max, label, show_units; default automatic."""


class LogsWidget(Placement):
    type: Literal["logs"]
    """Widget type: the result of a CloudWatch Logs Insights query."""
    title: Title | None = None
    """Title shown above the widget."""
    log_groups: Annotated[list[LogGroupName], Field(min_length=1, max_length=MAX_LOG_GROUPS_PER_QUERY)]
    """Log groups the query reads."""
    query: Annotated[str, StringConstraints(min_length=1, max_length=10000)]
    """CloudWatch Logs Insights query text."""
    region: Region | None = None
    """Region of the log groups; default the dashboard's region."""
    view: Literal["table", "timeSeries", "bar", "pie"] = "table"
    """How the result is drawn: table (default), timeSeries, bar or pie."""


class TextWidget(Placement):
    type: Literal["text"]
    """Widget type: Markdown text."""
    markdown: Annotated[str, StringConstraints(min_length=1)]
    """Markdown text of the widget."""


Widget = Annotated[Union[MetricWidget, AlarmStatusWidget, AlarmWidget, LogsWidget, TextWidget],
                   Field(discriminator="type")]


def _metric_count(widget: dict) -> int:
    metrics = (widget.get("properties") or {}).get("metrics")
    return len(metrics) if isinstance(metrics, list) else 0


def parse_raw_body(value: Any) -> dict:
    """A raw `body` (mapping, or JSON string) checked against the dashboard limits."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"body is not valid JSON: {error}") from None
    if not isinstance(value, dict) or not isinstance(value.get("widgets"), list):
        raise ValueError("body must be a dashboard object with a `widgets` list, or a JSON string of one")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:  # YAML dates, NaN: not JSON, PutDashboard refuses
        raise ValueError(f"body must hold plain JSON values: {error}") from None
    widgets = value["widgets"]
    if len(widgets) > MAX_WIDGETS:
        raise ValueError(f"body has {len(widgets)} widgets; a dashboard holds at most {MAX_WIDGETS}")
    if not all(isinstance(w, dict) for w in widgets):
        raise ValueError("every entry of body.widgets must be an object")
    counts = [_metric_count(w) for w in widgets]
    if max(counts, default=0) > MAX_METRICS_PER_WIDGET:
        raise ValueError(f"a widget of body has more than {MAX_METRICS_PER_WIDGET} metrics")
    if sum(counts) > MAX_METRICS_PER_DASHBOARD:
        raise ValueError(f"body has {sum(counts)} metrics; at most {MAX_METRICS_PER_DASHBOARD} per dashboard")
    return value


# One type check inside parse_raw_body gives one clear error, not one per union member.
RawBody = Annotated[Any, AfterValidator(parse_raw_body), WithJsonSchema({
    "anyOf": [{"type": "object", "required": ["widgets"]}, {"type": "string"}],
    "description": "raw dashboard JSON: a mapping with a `widgets` list, or a JSON string"})]


class DashboardConfig(StrictModel):
    """A CloudWatch dashboard, from high-level widgets or a raw body."""

    widgets: Annotated[list[Widget], Field(max_length=MAX_WIDGETS)] | None = None
    """Widgets, laid out left to right and top to bottom unless placed (set this or `body`)."""
    body: RawBody | None = None
    """Raw dashboard body as CloudWatch stores it, a mapping or a JSON string (set this or `widgets`)."""
    region: Region | None = None  # default region of the widgets
    """Default region of the widgets; default the stack's region."""
    period: Period | None = None  # default period of the metric widgets
    """Default datapoint length in seconds of the metric widgets."""
    start: Start | None = None
    """Default time range: a relative ISO 8601 duration such as -PT6H, or a timestamp; default CloudWatch's (3 hours)."""

    @model_validator(mode="after")
    def _one_source(self):
        if (self.widgets is None) == (self.body is None):
            raise ValueError("give exactly one of `widgets` or `body`")
        if self.body is not None and (self.region or self.period or self.start):
            raise ValueError("region, period and start apply to `widgets`; with a raw `body`, "
                             "put them in the body")
        total = sum(len(w.metrics) for w in self.widgets or [] if isinstance(w, MetricWidget))
        if total > MAX_METRICS_PER_DASHBOARD:
            raise ValueError(f"{total} metrics; a dashboard holds at most {MAX_METRICS_PER_DASHBOARD}")
        return self

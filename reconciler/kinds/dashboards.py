"""CloudWatch dashboards: high-level widgets rendered to dashboard JSON, or a raw body.

Comparable form: `{"body": <the dashboard JSON as a canonical dict>}`. PutDashboard stores the
body as a string and GetDashboard returns that string, so key order, whitespace and `5` vs
`5.0` are the only differences between what was written and what reads back
(docs/aws-behaviour.md#read-back); both sides are parsed and canonicalized.

Rendering follows the CloudWatch API reference "Dashboard Body Structure and Syntax".
Dashboards cannot be tagged: ownership for prune comes from the stack's `prune` patterns.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal, Union

from botocore.exceptions import ClientError
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema, field_validator, model_validator

from reconciler import iam
from reconciler.config.fields import AccountId, Finite, MetricRef, Period, Region, StrictModel
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.alarm_names import AlarmNames
from reconciler.kinds.base import ArnIdentity, Desired, Kind, Live
from reconciler.kinds.common import as_number

# Limits from docs/aws-behaviour.md (CloudWatch quotas) and the dashboard body reference.
MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
MAX_METRICS_PER_DASHBOARD = 2500
MAX_ALARMS_PER_WIDGET = 100  # alarm widget: "an array of 1-100 alarm ARNs"
MAX_LOG_GROUPS_PER_QUERY = 50  # Logs Insights queries at most 50 log groups
GRID_COLUMNS = 24
DEFAULT_WIDTH, DEFAULT_HEIGHT = 12, 6
GET_WORKERS = 8  # GetDashboard has no batch form; 10/s per account and region

DashboardName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,255}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=255)]
LogGroupName = Annotated[str, StringConstraints(pattern=r"^[.\-_/#A-Za-z0-9]{1,512}$")]
# An alarm of this stack (alarms, composite_alarms or a generated one) by name, or any alarm
# by ARN (longer than the 255-character name); `check` and `check_generated` reject names the
# stack neither defines nor generates (reconciler/kinds/alarm_names.py).
AlarmRef = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# Dashboard time range: a relative ISO 8601 duration ("-PT6H", "-P7D") or an ISO timestamp.
Start = Annotated[str, StringConstraints(
    pattern=r"^(-P([0-9]+[YMWD])+(T([0-9]+[HMS])+)?|-PT([0-9]+[HMS])+|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)$")]


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
    label: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    """Legend label of the metric; default CloudWatch's."""

    @field_validator("unit")
    @classmethod
    def _no_unit(cls, unit):
        # The metric array's rendering properties have no unit (dashboard body reference).
        raise ValueError("dashboard metrics take no unit; remove `unit`")


class HorizontalAnnotation(StrictModel):
    value: Finite
    """Y value at which the line is drawn."""
    label: Annotated[str, StringConstraints(max_length=255)] | None = None
    """Label shown next to the line."""


class Annotations(StrictModel):
    horizontal: Annotated[list[HorizontalAnnotation], Field(min_length=1)]
    """Horizontal lines, e.g. a threshold."""


class YAxis(StrictModel):
    min: Finite
    """Lowest value shown on the left y axis."""
    max: Finite
    """Highest value shown on the left y axis."""

    @model_validator(mode="after")
    def _ordered(self):
        if self.min >= self.max:
            raise ValueError("y_axis min must be below max")
        return self


class MetricWidget(Placement):
    type: Literal["metric"]
    """Widget type: a graph or number of metrics."""
    title: Title | None = None
    """Title shown above the widget."""
    metrics: Annotated[list[DashboardMetric], Field(min_length=1, max_length=MAX_METRICS_PER_WIDGET)]
    """Metrics the widget shows."""
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
    """Range of the left y axis; default automatic."""

    @model_validator(mode="after")
    def _gauge_has_range(self):
        # "If you specify gauge, you must set a value for min and max on the left side of yAxis."
        if self.view == "gauge" and self.y_axis is None:
            raise ValueError("a gauge needs y_axis: {min, max}")
        return self


class AlarmStatusWidget(Placement):
    type: Literal["alarm_status"]
    """Widget type: the states of a list of alarms."""
    title: Title | None = None
    """Title shown above the widget."""
    alarms: Annotated[list[AlarmRef], Field(min_length=1, max_length=MAX_ALARMS_PER_WIDGET)]
    """Alarms shown: names of this stack's alarms or ARNs (1-100)."""


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


Widget = Annotated[Union[MetricWidget, AlarmStatusWidget, LogsWidget, TextWidget],
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


# --- rendering: config -> dashboard JSON ------------------------------------------------

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
    return [metric.namespace, metric.name, *dimensions, options]


def _metric_properties(widget: MetricWidget, config: DashboardConfig, scope) -> dict:
    properties: dict[str, Any] = {
        "view": widget.view,
        "region": widget.region or config.region or scope.region,
        "metrics": [metric_array(m, widget.account_id) for m in widget.metrics],
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
        properties["yAxis"] = {"left": widget.y_axis.model_dump()}
    return properties


def _alarm_properties(widget: AlarmStatusWidget, config: DashboardConfig, scope) -> dict:
    arns = [a if a.startswith("arn:") else scope.arn("cloudwatch", f"alarm:{a}") for a in widget.alarms]
    return {"alarms": arns}


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
    AlarmStatusWidget: ("alarm", _alarm_properties),
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


# --- the kind -------------------------------------------------------------------------------

class Dashboards(Kind):
    iam_read = ("cloudwatch:ListDashboards", "cloudwatch:GetDashboard")
    iam_write = ("cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards")

    def iam_resources(self, stack, scope, names):
        return iam.dashboard_arns(scope, names)

    name = "dashboards"
    section = "dashboards"
    entry_model = DashboardConfig
    name_type = DashboardName
    taggable = False
    regional = False  # one dashboard of a name per account, seen from every region
    depends_on = ("alarms", "composite_alarms")  # alarm status widgets name alarms

    def check(self, stack):
        return self._alarm_problems(stack, AlarmNames.at_validation(stack))

    def check_generated(self, stack, generated):
        # Names an endpoint monitor may generate passed validation: now they must exist.
        return self._alarm_problems(stack, AlarmNames.at_plan(stack, generated))

    @staticmethod
    def _alarm_problems(stack, names: AlarmNames) -> list[Diagnostic]:
        return [
            Diagnostic(f"alarm status widget names unknown alarm {alarm!r}{names.not_generated}",
                       stack.locate("dashboards", name, "widgets", i, "alarms", j),
                       hint=names.did_you_mean(alarm))
            for name, dashboard in stack.section("dashboards").items()
            for i, widget in enumerate(dashboard.widgets or [])
            if isinstance(widget, AlarmStatusWidget)
            for j, alarm in enumerate(widget.alarms)
            if names.unknown(alarm)
        ]

    def spec(self, entry, stack, scope):
        return comparable_body(render_body(entry, scope))

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        # GetDashboard is one call per dashboard: read only those this stack declares or may
        # prune (or, for an import, those selected). The others are listed with an unread
        # body; the engine never acts on them.
        if not owned_only:
            live = self._read(aws, lambda name: name.startswith(name_prefix))
            return {name: dashboard for name, dashboard in live.items()
                    if name.startswith(name_prefix)}
        declared = set(stack.section("dashboards"))
        return self._read(aws, lambda name: name in declared or stack.owns_by_pattern(self.name, name))

    def to_config(self, live, refs):
        # The raw body is the faithful inverse; high-level widgets are for writing by hand.
        return ("dashboards", live.name), {"body": live.spec["body"]}

    def _read(self, aws, detailed) -> dict[str, Live]:
        cloudwatch = aws.client("cloudwatch")
        entries = aws.read_once("cloudwatch:dashboards", lambda: [
            entry for page in cloudwatch.get_paginator("list_dashboards").paginate()
            for entry in page["DashboardEntries"]])
        wanted = {e["DashboardName"] for e in entries if detailed(e["DashboardName"])}
        bodies = read_bodies(cloudwatch, sorted(wanted))
        live = {}
        for entry in entries:
            name = entry["DashboardName"]
            if name in wanted and name not in bodies:
                continue  # deleted between ListDashboards and GetDashboard
            live[name] = Live(name, bodies.get(name, {"body": None}),
                              identity=ArnIdentity(arn=entry["DashboardArn"]))
        return live

    def create(self, aws, desired):
        _put(aws, desired)

    def update(self, aws, desired, live):
        _put(aws, desired)  # PutDashboard replaces the whole body

    def delete(self, aws, live):
        aws.client("cloudwatch").delete_dashboards(DashboardNames=[live.name])


def read_bodies(cloudwatch, names: list[str]) -> dict[str, dict]:
    """Comparable form of each named dashboard; one deleted since it was listed is left out."""
    def get(name: str):
        try:
            return name, comparable_body(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFound":
                return name, None
            raise

    with ThreadPoolExecutor(max_workers=GET_WORKERS) as pool:
        return {name: spec for name, spec in pool.map(get, names) if spec is not None}


def _put(aws, desired: Desired) -> None:
    cloudwatch = aws.client("cloudwatch")
    try:
        response = cloudwatch.put_dashboard(DashboardName=desired.name, DashboardBody=body_text(desired.spec))
    except ClientError as error:
        # InvalidParameterInput carries the same validation messages as a successful answer.
        messages = error.response.get("dashboardValidationMessages")
        if not messages:
            raise
        raise ObsctlError(_validation_error(desired.name, messages)) from None
    # Messages on success are warnings: the dashboard was written but parts may not render.
    messages = response.get("DashboardValidationMessages")
    if messages:
        raise ObsctlError(_validation_error(desired.name, messages))


def _validation_error(name: str, messages: list[dict]) -> str:
    details = "; ".join(f"{m.get('DataPath') or '/'}: {m.get('Message', '')}" for m in messages)
    return f"PutDashboard {name}: {details}"

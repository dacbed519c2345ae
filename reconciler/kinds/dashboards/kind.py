"""The dashboards kind: reads, writes, and the checks that need the whole stack (alarms that
widgets name, metric math across a widget's entries)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from reconciler import iam
from reconciler.config.model_errors import dotted
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.alarm_names import AlarmNames
from reconciler.kinds.base import ArnIdentity, Desired, Kind, Live
from reconciler.kinds.dashboards.body import body_text, comparable_body, render_body
from reconciler.kinds.dashboards.metric_math import metric_math_problems
from reconciler.kinds.dashboards.model import (AlarmStatusWidget, AlarmWidget, DashboardConfig,
                                               DashboardName, MetricWidget)

GET_WORKERS = 8  # GetDashboard has no batch form; 10/s per account and region


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
    depends_on = ("alarms", "composite_alarms")  # alarm widgets name alarms

    def check(self, stack):
        return (self._alarm_problems(stack, AlarmNames.at_validation(stack))
                + _composite_graph_problems(stack) + _metric_math_diagnostics(stack))

    def check_generated(self, stack, generated):
        # Names an endpoint monitor may generate passed validation: now they must exist.
        return self._alarm_problems(stack, AlarmNames.at_plan(stack, generated))

    @staticmethod
    def _alarm_problems(stack, names: AlarmNames) -> list[Diagnostic]:
        return [
            Diagnostic(f"{_DESCRIPTION[type(widget)]} names unknown alarm {alarm!r}"
                       f"{names.not_generated}",
                       stack.locate("dashboards", name, "widgets", i, *path),
                       hint=names.did_you_mean(alarm))
            for name, i, widget, path, alarm in _named_alarms(stack)
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


_DESCRIPTION = {AlarmStatusWidget: "alarm status widget", AlarmWidget: "alarm widget"}


def _named_alarms(stack):
    """(dashboard, widget index, widget, path in the widget, alarm) of each alarm a widget
    names."""
    for name, dashboard in stack.section("dashboards").items():
        for i, widget in enumerate(dashboard.widgets or []):
            if isinstance(widget, AlarmStatusWidget):
                for j, alarm in enumerate(widget.alarms):
                    yield name, i, widget, ("alarms", j), alarm
            elif isinstance(widget, AlarmWidget):
                yield name, i, widget, ("alarm",), widget.alarm


def _composite_graph_problems(stack) -> list[Diagnostic]:
    composites = stack.section("composite_alarms")
    return [Diagnostic(f"alarm widget names composite alarm {alarm!r}, which has no metric to "
                       "graph", stack.locate("dashboards", name, "widgets", i, *path),
                       hint="show it in an alarm_status widget")
            for name, i, widget, path, alarm in _named_alarms(stack)
            if isinstance(widget, AlarmWidget) and alarm in composites]


def _metric_math_diagnostics(stack) -> list[Diagnostic]:
    # Messages say "this widget": they name the field, like the config model's messages.
    def path(name, i, problem):
        return ("dashboards", name, "widgets", i, "metrics", *problem.path)

    return [Diagnostic(f"{dotted(path(name, i, problem))}: {problem.message}",
                       stack.locate(*path(name, i, problem)), hint=problem.hint)
            for name, dashboard in stack.section("dashboards").items()
            for i, widget in enumerate(dashboard.widgets or [])
            if isinstance(widget, MetricWidget)
            for problem in metric_math_problems(widget.metrics)]


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

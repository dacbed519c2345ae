"""Endpoint monitors: a preset that watches every SageMaker endpoint matching a pattern.

    endpoint_monitors:
      all-prod-endpoints:
        endpoints: {match: "prod-*"}        # or a list: [prod-churn, prod-fraud]
        latency_p90_ms: 500
        error_rate_percent: 1
        invocations_anomaly: {deviations: 2}
        cpu_utilization_percent: 300        # summed over cores: 4 vCPUs range 0-400
        memory_utilization_percent: 80
        disk_utilization_percent: 80
        log_retention_days: 30
        dashboard: true
        actions: {alarm: [topic:ml-oncall]}

It owns no AWS resources. At plan time `generate` discovers the live endpoints and expands,
per endpoint and production variant, into resources of other kinds, each with the origin
`endpoint_monitors.<monitor>[<endpoint>]`:

  alarms        <endpoint>-<variant>-latency-p90          p90 ModelLatency > latency_p90_ms x 1000
                <endpoint>-<variant>-error-rate           100 * Invocation5XXErrors / Invocations (Sum)
                <endpoint>-<variant>-invocations-anomaly  Invocations (Sum) outside the anomaly band
                <endpoint>-<variant>-cpu-utilization      CPUUtilization (Average)
                <endpoint>-<variant>-memory-utilization   MemoryUtilization (Average)
                <endpoint>-<variant>-disk-utilization     DiskUtilization (Average)
                (names <= 63 + 63 + 21 characters: within the 255 AWS allows)
  log_groups    /aws/sagemaker/Endpoints/<endpoint>: retention only, adopted (SageMaker creates
                it untagged; obsctl adds the owner tag instead of reporting a conflict)
  dashboards    <dashboard_prefix>-<endpoint>: latency, errors, invocations, utilization graphs
                and the status of the endpoint's alarms

Metrics, from the SageMaker developer guide, "Amazon SageMaker AI metrics in Amazon
CloudWatch" (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html):
- `AWS/SageMaker` (endpoint invocation metrics), dimensions EndpointName, VariantName:
  ModelLatency "Units: Microseconds", percentiles valid (hence the x 1000 on milliseconds);
  Invocations "use the Sum statistic"; Invocation5XXErrors "For each 5xx response, 1 is sent;
  otherwise, 0 is sent", statistics Average, Sum.
- `/aws/sagemaker/Endpoints` (endpoint instance metrics), same dimensions, "Units: Percent":
  CPUUtilization is "the sum of each individual CPU core's utilization ... if there are four
  CPUs, the CPUUtilization range is 0%-400%" (so no 100 % cap on its threshold);
  MemoryUtilization and DiskUtilization range 0%-100%.
- Serverless endpoints publish an exhaustive list without CPUUtilization and DiskUtilization
  ("Alarms and logs for tracking metrics from serverless endpoints"): serverless variants
  get no alarms on those two.
- Log group `/aws/sagemaker/Endpoints/[EndpointName]` ("CloudWatch Logs for Amazon SageMaker AI").

Discovery: one ListEndpoints listing of every endpoint (paginated, 100 a page), shared by all
monitors and by model_monitors' endpoint check (a NameContains narrowing per pattern would
list again for every monitor), then DescribeEndpoint for the production variants: there is no
batch form, so a few run at a time, each endpoint once however many monitors match it.
Endpoints that are Creating (variants not final yet), Deleting or Failed (never served) are
skipped; every other status (InService, Updating, SystemUpdating, RollingBack, OutOfService,
UpdateRollbackFailed) still has a deployed configuration worth watching. An endpoint that
disappears takes its alarms and dashboard out of the desired state, so `--prune` deletes them
(dashboards only where the stack's `prune` patterns cover them: they cannot be tagged); its
log group stays desired while it exists, keeping its retention, so pruning never deletes the
logs of an endpoint that is gone.

Composite alarms and alarm status widgets may name the generated alarms: a name this monitor
could generate (an endpoint its pattern matches, a suffix it generates) passes validation and
must exist among the generated alarms at plan time (`may_generate`; reconciler/kinds/alarm_names.py).

Generated alarms and dashboards are built with the alarms and dashboards kinds' own models
and functions, so they compare exactly like declared ones. Missing data: latency and error
rate treat it as not breaching (no traffic is not a failure); the others keep AWS's default.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from dataclasses import dataclass
from typing import Annotated, Union

from botocore.exceptions import ClientError
from pydantic import (AfterValidator, Discriminator, Field, StringConstraints, Tag, ValidationError,
                      WithJsonSchema, model_validator)

from reconciler.config.fields import Actions, MetricRef, Period, StrictModel, Tags
from reconciler.diagnostics import ObsctlError
from reconciler.kinds.alarms import AlarmConfig, AnomalyBand, action_diagnostics
from reconciler.kinds.alarms import desired_spec as alarm_spec
from reconciler.kinds.base import Desired, Preset
from reconciler.kinds.common import (as_number, describe_endpoint, desired_tags, endpoint_names,
                                     for_each, undiscovered)
from reconciler.kinds.dashboards import (AlarmStatusWidget, Annotations, DashboardConfig,
                                         DashboardMetric, HorizontalAnnotation, MetricWidget,
                                         comparable_body, render_body)
from reconciler.kinds.log_groups import LogGroupConfig, Retention
from reconciler.kinds.log_groups import desired_spec as log_group_spec
from reconciler.plan import Note, address

INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
SKIPPED_STATUSES = ("Creating", "Deleting", "Failed")
# CreateEndpoint EndpointName / ProductionVariant VariantName.
_ENDPOINT_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
# fnmatch wildcards over the endpoint name alphabet: * ? and [classes].
_GLOB = re.compile(r"([A-Za-z0-9*?-]|\[!?[A-Za-z0-9-]+\])+")
_WILDCARDS = re.compile(r"\[[^\]]*\]|[*?]")
_UTILIZATION = (  # (alarm suffix, config field, metric, published by serverless variants)
    ("cpu-utilization", "cpu_utilization_percent", "CPUUtilization", False),
    ("memory-utilization", "memory_utilization_percent", "MemoryUtilization", True),
    ("disk-utilization", "disk_utilization_percent", "DiskUtilization", False),
)


def check_glob(pattern: str) -> str:
    if not _GLOB.fullmatch(pattern):
        raise ValueError(f"endpoint pattern {pattern!r} may hold letters, digits, '-' and the "
                         "wildcards * ? [...] (endpoint names are letters, digits and '-')")
    return pattern


EndpointName = Annotated[str, StringConstraints(pattern=f"^{_ENDPOINT_NAME}$")]
EndpointGlob = Annotated[str, StringConstraints(max_length=255), AfterValidator(check_glob),
                         WithJsonSchema({"type": "string", "pattern": f"^{_GLOB.pattern}$"})]
MonitorName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]
# Dashboard names are [A-Za-z0-9_-]{1,255}; the endpoint name (<= 63) and a dash follow.
DashboardPrefix = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,191}$")]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Percent = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]


class EndpointMatch(StrictModel):
    match: EndpointGlob
    """Glob over endpoint names (`*`, `?`, `[...]`): every matching endpoint is monitored."""


def _endpoints_form(value) -> str | None:
    """Which form `endpoints` is written in, so errors come from that form only."""
    if isinstance(value, (dict, EndpointMatch)):
        return "EndpointMatch"
    return "EndpointNames" if isinstance(value, list) else None


Endpoints = Annotated[
    Union[Annotated[EndpointMatch, Tag("EndpointMatch")],
          Annotated[list[EndpointName], Field(min_length=1), Tag("EndpointNames")]],
    Discriminator(_endpoints_form, custom_error_type="endpoints_form",
                  custom_error_message='give {match: "<glob>"} or a list of endpoint names')]


class EndpointMonitorConfig(StrictModel):
    """Standard alarms (latency, errors, invocations, utilization), log retention and a dashboard for SageMaker endpoints."""

    endpoints: Endpoints
    """SageMaker endpoints to monitor: a list of names, or `{match: GLOB}`."""
    latency_p90_ms: Positive | None = None
    """Alarm when p90 model latency exceeds this many milliseconds."""
    error_rate_percent: Percent | None = None
    """Alarm when 4xx+5xx invocation errors exceed this percentage of invocations."""
    invocations_anomaly: AnomalyBand | None = None
    """Alarm when invocations leave an anomaly detection band."""
    cpu_utilization_percent: Positive | None = None  # summed over cores: may exceed 100
    """Alarm when instance CPU utilization exceeds this percentage (summed over cores: may exceed 100)."""
    memory_utilization_percent: Percent | None = None
    """Alarm when instance memory utilization exceeds this percentage."""
    disk_utilization_percent: Percent | None = None
    """Alarm when instance disk utilization exceeds this percentage."""
    period: Period = 60
    """Length of one datapoint in seconds for the generated alarms; default 60."""
    evaluation_periods: Annotated[int, Field(ge=1)] = 3
    """Number of periods the generated alarms evaluate; default 3."""
    log_retention_days: Retention = None  # None: the log group is not managed
    """Retention in days of each endpoint's log group; default the log group is not managed."""
    dashboard: bool = False
    """Also create one dashboard per endpoint; default false."""
    dashboard_prefix: DashboardPrefix = "ml-endpoint"
    """Prefix of the generated dashboards' names; default ml-endpoint."""
    actions: Actions = Actions()
    """Actions of the generated alarms on each state change."""
    tags: Tags = {}
    """Tags of the generated resources, added to the stack's tags."""

    @model_validator(mode="after")
    def _monitors_something(self):
        if not (alarm_configs(self, "endpoint", Variant("variant")) or self.dashboard
                or self.log_retention_days is not None):
            raise ValueError("monitors nothing: set a threshold (latency_p90_ms, "
                             "error_rate_percent, ...), log_retention_days or dashboard: true")
        if "dashboard_prefix" in self.model_fields_set and not self.dashboard:
            raise ValueError("dashboard_prefix needs dashboard: true")
        return self


@dataclass(frozen=True)
class Variant:
    name: str
    serverless: bool = False


# --- expansion: config x endpoint -> alarms, log group, dashboard ----------------------------

def _microseconds(milliseconds: float) -> float | int:
    # round(): 1.1 ms * 1000 is 1100.0000000000002 in binary floating point.
    return as_number(round(milliseconds * 1000, 3))


def alarm_configs(config: EndpointMonitorConfig, endpoint: str, variant: Variant
                  ) -> dict[str, AlarmConfig]:
    """The alarms kind's entry model for each alarm of one endpoint variant, by name suffix.

    Building them through AlarmConfig also validates them: the config model calls this with
    a placeholder endpoint, so a bad combination (e.g. a too long evaluation window) is a
    validation error, not a plan-time one."""
    dimensions = {"EndpointName": endpoint, "VariantName": variant.name}
    where = f"{endpoint} variant {variant.name}"

    def metric(name: str, stat: str, namespace: str = INVOCATION_NAMESPACE) -> MetricRef:
        return MetricRef(namespace=namespace, name=name, dimensions=dimensions, stat=stat)

    def alarm(**fields) -> AlarmConfig:
        try:
            return AlarmConfig(period=config.period, evaluation_periods=config.evaluation_periods,
                               actions=config.actions, tags=config.tags, **fields)
        except ValidationError as error:
            raise ValueError("; ".join(problem["msg"] for problem in error.errors())) from None

    alarms = {}
    if config.latency_p90_ms is not None:
        alarms["latency-p90"] = alarm(
            description=f"p90 model latency of {where} above {as_number(config.latency_p90_ms)} ms",
            metric=metric("ModelLatency", "p90"), comparison=">",
            threshold=_microseconds(config.latency_p90_ms), treat_missing_data="notBreaching")
    if config.error_rate_percent is not None:
        alarms["error-rate"] = alarm(
            description=f"5XX error rate of {where} above {as_number(config.error_rate_percent)} %",
            expression="100 * errors / invocations",
            metrics={"errors": metric("Invocation5XXErrors", "Sum"),
                     "invocations": metric("Invocations", "Sum")},
            comparison=">", threshold=config.error_rate_percent, treat_missing_data="notBreaching")
    if config.invocations_anomaly is not None:
        alarms["invocations-anomaly"] = alarm(
            description=f"invocations of {where} outside their expected band",
            metric=metric("Invocations", "Sum"), anomaly_band=config.invocations_anomaly)
    for suffix, field, name, serverless in _UTILIZATION:
        threshold = getattr(config, field)
        if threshold is not None and (serverless or not variant.serverless):
            alarms[suffix] = alarm(
                description=f"{name} of {where} above {as_number(threshold)} %",
                metric=metric(name, "Average", INSTANCE_NAMESPACE), comparison=">",
                threshold=threshold)
    return alarms


def dashboard_config(config: EndpointMonitorConfig, endpoint: str, variants: list[Variant],
                     alarm_names: list[str]) -> DashboardConfig:
    def metrics(name: str, stat: str, namespace: str = INVOCATION_NAMESPACE,
                only: list[Variant] = variants) -> list[DashboardMetric]:
        return [DashboardMetric(namespace=namespace, name=name, stat=stat, label=f"{v.name} {name}",
                                dimensions={"EndpointName": endpoint, "VariantName": v.name})
                for v in only]

    threshold = (None if config.latency_p90_ms is None else Annotations(horizontal=[
        HorizontalAnnotation(value=_microseconds(config.latency_p90_ms), label="alarm threshold")]))
    utilization = [m for _, _, name, serverless in _UTILIZATION
                   for m in metrics(name, "Average", INSTANCE_NAMESPACE,
                                    [v for v in variants if serverless or not v.serverless])]
    widgets = [
        MetricWidget(type="metric", title=f"{endpoint}: model latency p90 (microseconds)",
                     metrics=metrics("ModelLatency", "p90"), annotations=threshold),
        MetricWidget(type="metric", title=f"{endpoint}: errors",
                     metrics=metrics("Invocation4XXErrors", "Sum") + metrics("Invocation5XXErrors", "Sum")),
        MetricWidget(type="metric", title=f"{endpoint}: invocations", metrics=metrics("Invocations", "Sum")),
        MetricWidget(type="metric", title=f"{endpoint}: instance utilization (%)", metrics=utilization),
    ]
    if alarm_names:
        widgets.append(AlarmStatusWidget(type="alarm_status", title=f"{endpoint}: alarms",
                                         alarms=alarm_names, width=24, height=3))
    return DashboardConfig(widgets=widgets, period=config.period)


def expand(stack, monitor: str, config: EndpointMonitorConfig, endpoint: str,
           variants: list[Variant] | None, scope) -> dict[str, dict[str, Desired]]:
    """Generated resources for one endpoint; `variants` None: the endpoint is gone and only
    its log group is still there."""
    origin = f"endpoint_monitors.{monitor}[{endpoint}]"
    location = stack.locate("endpoint_monitors", monitor)
    tags = desired_tags(stack, config.tags)
    generated: dict[str, dict[str, Desired]] = {"alarms": {}, "log_groups": {}, "dashboards": {}}

    def add(kind: str, name: str, spec: dict, adopt: bool = False) -> None:
        generated[kind][name] = Desired(name, spec, location=location, origin=origin, adopt=adopt)

    if config.log_retention_days is not None:
        group = LogGroupConfig(retention_days=config.log_retention_days)
        add("log_groups", f"{LOG_GROUP_PREFIX}{endpoint}", log_group_spec(group, tags), adopt=True)
    for variant in variants or []:
        for suffix, alarm in alarm_configs(config, endpoint, variant).items():
            add("alarms", f"{endpoint}-{variant.name}-{suffix}", alarm_spec(alarm, tags, scope))
    if config.dashboard and variants:
        dashboard = dashboard_config(config, endpoint, variants, sorted(generated["alarms"]))
        add("dashboards", f"{config.dashboard_prefix}-{endpoint}",
            comparable_body(render_body(dashboard, scope)))
    return generated


# --- discovery ----------------------------------------------------------------------------

def log_group_prefix(config: EndpointMonitorConfig) -> str:
    """DescribeLogGroups prefix covering every log group of a matching endpoint."""
    if isinstance(config.endpoints, EndpointMatch):
        return LOG_GROUP_PREFIX + _WILDCARDS.split(config.endpoints.match)[0]
    return LOG_GROUP_PREFIX + os.path.commonprefix(config.endpoints)


def endpoint_globs(config: EndpointMonitorConfig) -> list[str]:
    """`fnmatch` globs of the endpoints a monitor may match."""
    if isinstance(config.endpoints, EndpointMatch):
        return [config.endpoints.match]
    return [glob.escape(name) for name in config.endpoints]


def matches(config: EndpointMonitorConfig, endpoint: str) -> bool:
    if isinstance(config.endpoints, EndpointMatch):
        return fnmatch.fnmatchcase(endpoint, config.endpoints.match)
    return endpoint in config.endpoints


def _discovery_error(error: ClientError, operation: str) -> ObsctlError:
    info = error.response.get("Error", {})
    return ObsctlError(f"endpoint_monitors: cannot discover SageMaker endpoints: {operation} "
                       f"failed with {info.get('Code', 'Error')}: {info.get('Message', error)} "
                       "(obsctl needs sagemaker:ListEndpoints, sagemaker:DescribeEndpoint and "
                       "logs:DescribeLogGroups for endpoint_monitors)")


def list_endpoint_names(aws) -> list[str]:
    try:
        return endpoint_names(aws)
    except ClientError as error:
        raise _discovery_error(error, "ListEndpoints") from None


def describe_variants(aws, endpoint: str) -> list[Variant] | None:
    """Production variants of a monitored endpoint; None when it is gone or skipped."""
    try:
        described = describe_endpoint(aws, endpoint)
    except ClientError as error:
        if "Could not find endpoint" in error.response.get("Error", {}).get("Message", ""):
            return None  # deleted since it was listed
        raise _discovery_error(error, "DescribeEndpoint") from None
    if described.get("EndpointStatus") in SKIPPED_STATUSES:
        return None
    return [Variant(v["VariantName"], serverless="CurrentServerlessConfig" in v)
            for v in described.get("ProductionVariants", [])]


def endpoint_log_groups(aws, prefix: str) -> list[str]:
    """Endpoint names of the existing `/aws/sagemaker/Endpoints/<endpoint>` log groups."""
    def load():
        paginator = aws.client("logs").get_paginator("describe_log_groups")
        try:
            names = [group["logGroupName"].removeprefix(LOG_GROUP_PREFIX)
                     for page in paginator.paginate(logGroupNamePrefix=prefix,
                                                    PaginationConfig={"PageSize": 50})
                     for group in page["logGroups"]]
        except ClientError as error:
            raise _discovery_error(error, "DescribeLogGroups") from None
        return [name for name in names if re.fullmatch(_ENDPOINT_NAME, name)]
    return aws.read_once(("logs:endpoint-log-groups", prefix), load)


# --- the kind --------------------------------------------------------------------------------

class EndpointMonitors(Preset):
    iam_read = ("sagemaker:ListEndpoints", "sagemaker:DescribeEndpoint", "logs:DescribeLogGroups")

    def iam_name_globs(self, stack, kind):
        # The alarms' variant part is known only after discovery: `<endpoint>-*`.
        globs = super().iam_name_globs(stack, kind)
        if kind == "alarms":
            globs |= {f"{e}-*" for c in stack.section(self.section).values()
                      for e in endpoint_globs(c)}
        return globs

    name = "endpoint_monitors"
    section = "endpoint_monitors"
    entry_model = EndpointMonitorConfig
    name_type = MonitorName
    generates = ("alarms", "log_groups", "dashboards")

    def check(self, stack):
        # The anomaly band alarm shares the actions, hence band_alarm.
        return [diagnostic for name, config in stack.section(self.section).items()
                for diagnostic in action_diagnostics(
                    stack, (self.section, name), config.actions,
                    band_alarm=config.invocations_anomaly is not None,
                    extra_problem=_scaling_problem)]

    def generated_name_globs(self, stack):
        # The alarms' variant part is only known after discovery: not listed here.
        names: dict[str, dict] = {"log_groups": {}, "dashboards": {}}
        for name, config in stack.section(self.section).items():
            location = stack.locate(self.section, name)
            for endpoint in endpoint_globs(config):
                if config.log_retention_days is not None:
                    names["log_groups"][glob.escape(LOG_GROUP_PREFIX) + endpoint] = location
                if config.dashboard:
                    names["dashboards"][f"{glob.escape(config.dashboard_prefix)}-{endpoint}"] = location
        return names

    def may_generate(self, stack, kind, name):
        return kind == "alarms" and any(may_name_alarm(config, name)
                                        for config in stack.section(self.section).values())

    def plan_notes(self, aws, stack):
        monitors = stack.section(self.section)
        if not monitors:
            return []
        listed = list_endpoint_names(aws)  # read once per run: generate listed it already
        notes = []
        for name, config in monitors.items():
            wanted = (config.endpoints.match if isinstance(config.endpoints, EndpointMatch)
                      else config.endpoints)
            unmatched = undiscovered(wanted, listed, "endpoint")
            if unmatched is not None:
                notes.append(Note(stack.name, f"{self.section}.{name}", *unmatched))
        return notes

    def generate(self, aws, stack, scope):
        monitors = stack.section(self.section)
        if not monitors:
            return {}  # no discovery, no API call
        listed = list_endpoint_names(aws)
        matched = {name: [e for e in listed if matches(config, e)]
                   for name, config in monitors.items()}
        endpoints = sorted({e for names in matched.values() for e in names})
        variants = dict(zip(endpoints, for_each(endpoints, lambda e: describe_variants(aws, e))))
        generated: dict[str, dict[str, Desired]] = {}
        for name, config in monitors.items():
            targets = {e: variants[e] for e in matched[name] if variants[e] is not None}
            if config.log_retention_days is not None:
                for endpoint in endpoint_log_groups(aws, log_group_prefix(config)):
                    if matches(config, endpoint):
                        targets.setdefault(endpoint, None)
            for endpoint, endpoint_variants in sorted(targets.items()):
                _merge(generated, expand(stack, name, config, endpoint, endpoint_variants, scope))
        return generated


def may_name_alarm(config: EndpointMonitorConfig, name: str) -> bool:
    """Is `name` an alarm `config` generates for some endpoint it may discover: `<endpoint>-
    <variant>-<suffix>` with an endpoint it matches and a suffix it generates? (Composite
    rules and alarm widgets naming one are checked at plan time, once endpoints are known.)"""
    for suffix in alarm_configs(config, "endpoint", Variant("variant")):
        head = name.removesuffix(f"-{suffix}")
        for dash in (i for i, char in enumerate(head) if char == "-" and head != name):
            endpoint, variant = head[:dash], head[dash + 1:]
            if (re.fullmatch(_ENDPOINT_NAME, endpoint) and re.fullmatch(_ENDPOINT_NAME, variant)
                    and matches(config, endpoint)):
                return True
    return False


def _scaling_problem(reference: str) -> tuple[str, None] | None:
    # A scaling policy scales one endpoint variant; these actions go on every matched one.
    if reference.startswith("scaling:"):
        return ("`scaling:` actions scale one endpoint variant, but endpoint_monitors alarms "
                "cover every matched endpoint: declare that alarm under `alarms` instead", None)
    return None


def _merge(generated: dict[str, dict[str, Desired]], more: dict[str, dict[str, Desired]]) -> None:
    for kind, resources in more.items():
        into = generated.setdefault(kind, {})
        for name, desired in resources.items():
            if name in into:
                raise ObsctlError(f"{address(kind, name)} is generated by both {into[name].origin} and "
                                  f"{desired.origin}: let each endpoint match one endpoint monitor")
            into[name] = desired

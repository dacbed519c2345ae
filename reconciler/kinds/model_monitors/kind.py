"""The model monitors kind: reads, requests and the Kind itself.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from botocore.exceptions import ClientError
from pydantic import ValidationError

from reconciler import iam
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.alarms import action_diagnostics, desired_spec
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import (concurrently, describe_endpoint, desired_tags, endpoint_names,
                                     for_each, read_owned_tags, sync_tags, tag_list)
from reconciler.kinds.model_monitors.drift_alarms import (_alarm_problem, drift_alarm_config,
                                                          drift_alarm_name)
from reconciler.kinds.model_monitors.images import image_uri
from reconciler.kinds.model_monitors.importing import (_import_problems, monitor_config,
                                                       unexpressed_settings)
from reconciler.kinds.model_monitors.job_definition import (_snake, desired_job_definition,
                                                            job_definition_name,
                                                            job_definition_request,
                                                            live_job_definition)
from reconciler.kinds.model_monitors.model import MONITOR_TAG, TYPES, MonitorConfig, MonitorName
from reconciler.ownership import OWNER_TAG, is_owned_by


def _list_schedules(sagemaker) -> list[dict]:
    pages = sagemaker.get_paginator("list_monitoring_schedules").paginate(
        PaginationConfig={"PageSize": 100})
    return [summary for page in pages for summary in page["MonitoringScheduleSummaries"]]


def _ignore(codes: tuple[str, ...], call, **kwargs) -> None:
    try:
        call(**kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in codes:
            raise


def _name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def _captures(aws, endpoint: str) -> bool:
    """Does the endpoint capture its requests? DescribeEndpoint's DataCaptureConfig is absent
    when its endpoint config has none."""
    described = describe_endpoint(aws, endpoint)
    return bool(described.get("DataCaptureConfig", {}).get("EnableCapture"))


class MonitorIdentity(TypedDict):
    arn: str
    # Read for monitors the stack declares or owns: (type, name) of the job definition in use
    # and of those made for the monitor but no longer used.
    job_definition: NotRequired[tuple[str, str] | None]
    stale: NotRequired[set[tuple[str, str]]]
    unexpressed: NotRequired[list[str]]  # import reads: settings no config can express


class ModelMonitors(Kind):
    iam_read = ("sagemaker:ListMonitoringSchedules", "sagemaker:DescribeMonitoringSchedule",
                *(f"sagemaker:Describe{t}JobDefinition" for t in TYPES.values()),
                "sagemaker:ListTags", "sagemaker:ListEndpoints", "sagemaker:DescribeEndpoint",
                "tag:GetResources")
    iam_write = ("sagemaker:CreateMonitoringSchedule", "sagemaker:UpdateMonitoringSchedule",
                 "sagemaker:StartMonitoringSchedule", "sagemaker:StopMonitoringSchedule",
                 "sagemaker:DeleteMonitoringSchedule", "sagemaker:AddTags", "sagemaker:DeleteTags",
                 *(f"sagemaker:{verb}{t}JobDefinition" for t in TYPES.values()
                   for verb in ("Create", "Delete")), "iam:PassRole")

    def iam_resources(self, stack, scope, names):
        # Job definitions are named `<monitor>-<hash>`; the monitors' roles are passed on.
        definitions = [f"{n}-*" for n in names]
        return (iam.sagemaker_arns(scope, "monitoring-schedule", names)
                + [arn for t in TYPES.values() for arn in iam.sagemaker_arns(
                    scope, f"{_snake(t).replace('_', '-')}-job-definition", definitions)]
                + sorted({m.role_arn for m in stack.section(self.section).values()}))

    name = "model_monitors"
    section = "model_monitors"
    entry_model = MonitorConfig
    name_type = MonitorName
    generates = ("alarms",)  # the drift alarms

    def check(self, stack):
        declared_alarms = set(stack.section("alarms"))
        diagnostics, seen = [], {}
        for monitor_name, monitor in stack.section("model_monitors").items():
            for index, alarm in enumerate(monitor.drift_alarms):
                path = ("model_monitors", monitor_name, "drift_alarms", index)
                alarm_name = drift_alarm_name(monitor_name, alarm)
                diagnostics += self._alarm_diagnostics(stack, path, monitor_name, monitor, alarm)
                if alarm_name in declared_alarms or alarm_name in seen:
                    other = stack.locate("alarms", alarm_name) or seen.get(alarm_name)
                    diagnostics.append(Diagnostic(
                        f"drift alarm {alarm_name!r} is also defined at {other}", stack.locate(*path),
                        hint="give it another `name`"))
                seen[alarm_name] = stack.locate(*path)
        return diagnostics

    def generated_names(self, stack, kind):
        # Drift alarm names come from the config alone: composites may name them at validation.
        if kind != "alarms":
            return set()
        return {drift_alarm_name(monitor_name, alarm)
                for monitor_name, monitor in stack.section("model_monitors").items()
                for alarm in monitor.drift_alarms}

    @staticmethod
    def _alarm_diagnostics(stack, path, monitor_name, monitor, alarm) -> list[Diagnostic]:
        try:
            drift_alarm_config(monitor_name, monitor, alarm)
        except ValidationError as error:
            return [Diagnostic(_alarm_problem(error), stack.locate(*path))]
        return action_diagnostics(stack, path, alarm.actions, band_alarm=False)

    def desired(self, stack, scope):
        found = {}
        for name, monitor in stack.section("model_monitors").items():
            image = monitor.image_uri or image_uri(monitor.monitoring_type, scope.region)
            if image is None:
                raise ObsctlError(f"{stack.locate('model_monitors', name)}: model_monitors.{name}: "
                                  f"no known {monitor.type} image in {scope.region}: set `image_uri`")
            found[name] = Desired(name, {
                "endpoint": monitor.endpoint,
                "type": monitor.monitoring_type,
                "schedule": monitor.schedule_expression,
                "job_definition": desired_job_definition(monitor, image),
                "enabled": monitor.enabled,
                "tags": desired_tags(stack, monitor.tags),
            }, location=stack.locate("model_monitors", name))
        return found

    def generate(self, aws, stack, scope):
        alarms = {}
        for monitor_name, monitor in stack.section("model_monitors").items():
            tags = desired_tags(stack, monitor.tags)
            for index, alarm in enumerate(monitor.drift_alarms):
                name = drift_alarm_name(monitor_name, alarm)
                config = drift_alarm_config(monitor_name, monitor, alarm)
                alarms[name] = Desired(name, desired_spec(config, dict(tags), scope),
                                       location=stack.locate("model_monitors", monitor_name,
                                                             "drift_alarms", index),
                                       origin=f"model_monitors.{monitor_name}")
        return {"alarms": alarms} if alarms else {}

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        if not owned_only:
            return self._importable(aws, name_prefix)
        declared = stack.section("model_monitors")
        sagemaker = aws.client("sagemaker")
        read = concurrently(
            schedules=lambda: _list_schedules(sagemaker),
            tags=lambda: read_owned_tags(aws, "sagemaker:monitoring-schedule"),
            endpoints=lambda: set(endpoint_names(aws)) if declared else set())
        self._check_endpoints(stack, read["endpoints"])
        self._check_data_capture(stack, aws)
        tags = read["tags"]
        wanted = [s for s in read["schedules"] if s["MonitoringScheduleName"] in declared
                  or is_owned_by(tags.get(s["MonitoringScheduleArn"]), stack.name)]
        details = dict(zip([s["MonitoringScheduleName"] for s in wanted],
                           for_each(wanted, lambda s: self._describe(sagemaker, s))))
        stale = self._job_definitions_by_monitor(aws, stack, {d[0]["MonitoringType"]
                                                              for d in details.values()})
        live = {}
        for summary in read["schedules"]:
            name, arn = summary["MonitoringScheduleName"], summary["MonitoringScheduleArn"]
            schedule_tags = tags.get(arn)
            if name not in details:  # neither declared nor ours: only ownership matters
                live[name] = Live(name, {"endpoint": summary.get("EndpointName"),
                                         "type": summary.get("MonitoringType")},
                                  tags=schedule_tags, identity=MonitorIdentity(arn=arn))
                continue
            schedule, definition = details[name]
            live[name] = self._live(name, schedule, definition, schedule_tags,
                                    stale.get(name, set()))
        return live

    def _importable(self, aws, prefix: str) -> dict[str, Live]:
        """Every monitoring schedule named `prefix`*, with what `to_config` needs."""
        sagemaker = aws.client("sagemaker")
        read = concurrently(
            schedules=lambda: _list_schedules(sagemaker),
            tags=lambda: read_owned_tags(aws, "sagemaker:monitoring-schedule", owned_only=False))
        selected = [s for s in read["schedules"] if s["MonitoringScheduleName"].startswith(prefix)]
        live = {}
        for summary, (schedule, definition) in zip(
                selected, for_each(selected, lambda s: self._describe(sagemaker, s))):
            name = summary["MonitoringScheduleName"]
            live[name] = self._live(name, schedule, definition,
                                    read["tags"].get(summary["MonitoringScheduleArn"]), set())
            live[name].identity["unexpressed"] = unexpressed_settings(schedule, definition)
        return live

    def to_config(self, live, refs):
        entry = monitor_config(live.spec, refs.scope.region, refs.own_tags(live.tags))
        problems = _import_problems(live.spec, entry, live.identity.get("unexpressed", []))
        if problems:
            raise ObsctlError(f"model_monitors/{live.name} cannot be written as a config entry: "
                              + "; ".join(problems))
        return (self.section, live.name), entry

    @staticmethod
    def _check_endpoints(stack, existing: set[str]) -> None:
        missing = [f"{stack.locate('model_monitors', name, 'endpoint')}: model_monitors.{name}: "
                   f"endpoint {monitor.endpoint!r} does not exist in SageMaker"
                   for name, monitor in stack.section("model_monitors").items()
                   if monitor.endpoint not in existing]
        if missing:
            raise ObsctlError("\n".join(missing) + "\n(Model Monitor schedules need a deployed "
                              "endpoint; nothing was changed)")

    @staticmethod
    def _check_data_capture(stack, aws) -> None:
        """Every monitoring type reads what the endpoint captured: a schedule on an endpoint
        that captures nothing runs jobs with nothing to analyse, so it is refused here."""
        monitors = stack.section("model_monitors")
        endpoints = sorted({monitor.endpoint for monitor in monitors.values()})
        capturing = dict(zip(endpoints, for_each(endpoints, lambda e: _captures(aws, e))))
        refused = [f"{stack.locate('model_monitors', name)}: model_monitors.{name}: endpoint "
                   f"{monitor.endpoint!r} does not capture data (its endpoint config has no "
                   "enabled DataCaptureConfig), so the monitor would have nothing to read; "
                   "enable data capture in the endpoint's deployment (obsctl does not change "
                   "endpoints)"
                   for name, monitor in monitors.items() if not capturing[monitor.endpoint]]
        if refused:
            raise ObsctlError("\n".join(refused) + "\n(nothing was changed)")

    @staticmethod
    def _describe(sagemaker, summary: dict) -> tuple[dict, dict | None]:
        schedule = sagemaker.describe_monitoring_schedule(
            MonitoringScheduleName=summary["MonitoringScheduleName"])
        config = schedule["MonitoringScheduleConfig"]
        definition_name = config.get("MonitoringJobDefinitionName")
        if not definition_name:
            return schedule, None  # an inline definition (not one obsctl makes)
        describe = getattr(sagemaker, f"describe_{_snake(schedule['MonitoringType'])}_job_definition")
        try:
            return schedule, describe(JobDefinitionName=definition_name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFound":
                raise
            return schedule, None

    @staticmethod
    def _job_definitions_by_monitor(aws, stack, types: set[str]) -> dict[str, set[tuple[str, str]]]:
        """(type, name) of this stack's job definitions, by the monitor that made them."""
        found: dict[str, set[tuple[str, str]]] = {}
        for monitoring_type in sorted(types):
            resource_type = f"sagemaker:{_snake(monitoring_type).replace('_', '-')}-job-definition"
            for arn, tags in read_owned_tags(aws, resource_type).items():
                if is_owned_by(tags, stack.name) and MONITOR_TAG in tags:
                    found.setdefault(tags[MONITOR_TAG], set()).add((monitoring_type, _name_from_arn(arn)))
        return found

    @staticmethod
    def _live(name: str, schedule: dict, definition: dict | None, tags, made: set) -> Live:
        config = schedule["MonitoringScheduleConfig"]
        monitoring_type = schedule["MonitoringType"]
        in_use = (monitoring_type, config.get("MonitoringJobDefinitionName"))
        stale = sorted(made - {in_use})
        spec = {
            "endpoint": schedule.get("EndpointName"),
            "type": monitoring_type,
            "schedule": config.get("ScheduleConfig", {}).get("ScheduleExpression"),
            "job_definition": live_job_definition(monitoring_type, definition) if definition else None,
            # Pending and Failed schedules are not stopped: only Stopped is a schedule at rest.
            "enabled": schedule.get("MonitoringScheduleStatus") != "Stopped",
            "tags": tags or {},
        }
        if stale:
            spec["stale_job_definitions"] = [definition_name for _, definition_name in stale]
        return Live(name, spec, tags=tags, identity=MonitorIdentity(
            arn=schedule["MonitoringScheduleArn"], job_definition=in_use if definition else None,
            stale=stale))

    # --- apply ---------------------------------------------------------------------------

    def create(self, aws, desired):
        sagemaker = aws.client("sagemaker")
        definition = self._ensure_job_definition(sagemaker, desired)
        sagemaker.create_monitoring_schedule(
            MonitoringScheduleName=desired.name,
            MonitoringScheduleConfig=self._schedule_config(desired.spec, definition),
            Tags=tag_list(desired.written_tags))
        if not desired.spec["enabled"]:
            sagemaker.stop_monitoring_schedule(MonitoringScheduleName=desired.name)

    def update(self, aws, desired, live):
        sagemaker = aws.client("sagemaker")
        configured = {key: value for key, value in desired.spec.items()
                      if key not in ("tags", "enabled")}
        if any(live.spec.get(key) != value for key, value in configured.items()):
            definition = self._ensure_job_definition(sagemaker, desired)
            sagemaker.update_monitoring_schedule(
                MonitoringScheduleName=desired.name,
                MonitoringScheduleConfig=self._schedule_config(desired.spec, definition))
            replaced = live.identity["job_definition"]
            if replaced and replaced != (desired.spec["type"], definition):
                self._delete_job_definitions(sagemaker, [replaced])
        self._delete_job_definitions(sagemaker, live.identity["stale"])
        if live.spec.get("enabled") != desired.spec["enabled"]:
            (sagemaker.start_monitoring_schedule if desired.spec["enabled"]
             else sagemaker.stop_monitoring_schedule)(MonitoringScheduleName=desired.name)
        sync_tags(aws, live.identity["arn"], live.tags, desired.written_tags)

    def delete(self, aws, live):
        sagemaker = aws.client("sagemaker")
        sagemaker.delete_monitoring_schedule(MonitoringScheduleName=live.name)
        in_use = [live.identity["job_definition"]] if live.identity.get("job_definition") else []
        self._delete_job_definitions(sagemaker, in_use + live.identity.get("stale", []))

    @staticmethod
    def _ensure_job_definition(sagemaker, desired: Desired) -> str:
        """Create the definition for the desired content; one left by an earlier, failed
        apply has the same name and content (ResourceInUse): use it."""
        spec = desired.spec
        name = job_definition_name(desired.name, spec)
        tags = {OWNER_TAG: spec["tags"][OWNER_TAG], MONITOR_TAG: desired.name}
        create = getattr(sagemaker, f"create_{_snake(spec['type'])}_job_definition")
        _ignore(("ResourceInUse",), create, **job_definition_request(name, spec, tags))
        return name

    @staticmethod
    def _schedule_config(spec: dict, definition: str) -> dict:
        return {"ScheduleConfig": {"ScheduleExpression": spec["schedule"]},
                "MonitoringJobDefinitionName": definition, "MonitoringType": spec["type"]}

    @staticmethod
    def _delete_job_definitions(sagemaker, definitions) -> None:
        for monitoring_type, name in definitions:
            delete = getattr(sagemaker, f"delete_{_snake(monitoring_type)}_job_definition")
            _ignore(("ResourceNotFound",), delete, JobDefinitionName=name)

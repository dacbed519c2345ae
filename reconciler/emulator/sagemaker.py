"""SageMaker Model Monitor: monitoring schedules and the four monitoring job definition
families, as the SageMaker API reference describes them.

moto 5.2.5 answers HTTP 500 for Create/Describe/List/Update/DeleteMonitoringSchedule. Its job
definitions exist but differ from AWS: no request validation, a second Create with the same
name silently replaces the first (AWS: ResourceInUse), List ignores every filter, MaxResults
and NextToken and reports the literal "EndpointName" as each definition's endpoint, and
Describe returns no CreationTime and none of the defaults SageMaker fills in. Its AddTags
appends a second value for an existing key (AWS: "Adds or overwrites"), and the tagging API
does not list monitoring schedules.

What this module does, per the API reference (sagemaker 2017-07-24):
- every request is checked against the botocore model (required members, lengths, ranges,
  enums, patterns) with AWS's "N validation errors detected: ..." wording;
- ScheduleExpression: the forms ScheduleConfig documents: hourly ``cron(0 * ? * * *)``, daily
  ``cron(0 [00-23] ? * * *)``, every N hours ``cron(0 [00-23]/[01-24] ? * * *)``, or ``NOW``
  (one run; needs DataAnalysisStartTime and DataAnalysisEndTime);
- CreateMonitoringSchedule checks that the endpoint and the named job definition exist
  (ValidationException "Could not find ...", the wording moto's own endpoint reads use) and
  leaves the schedule ``Scheduled`` at once (AWS passes through ``Pending``; moto likewise
  makes endpoints InService at once);
- Describe fills in the defaults SageMaker reports (docs/aws-behaviour.md): StoppingCondition
  MaxRuntimeInSeconds 3600, S3InputMode File, S3DataDistributionType FullyReplicated, and
  MonitoringType DataQuality for a schedule with an inline job definition;
- unknown names answer ResourceNotFound (the error the model lists for Describe/Update/Delete;
  Terraform's provider, tested against AWS, relies on that code);
- List* filter, sort (default CreationTime, Descending) and page with MaxResults (1..100,
  default 10) and NextToken.
"""

from __future__ import annotations

import copy
import functools
import re
from datetime import datetime
from typing import Any, Callable

import botocore.session
from botocore.model import Shape
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from ._common import BadToken, original, patch, paginate, state

DEFAULT_MAX_RESULTS, MAX_RESULTS = 10, 100
DEFAULT_MAX_RUNTIME_SECONDS = 3600
_HOURLY = re.compile(r"^cron\(0 \* \? \* \* \*\)$")
_DAILY = re.compile(r"^cron\(0 ([01]?\d|2[0-3]) \? \* \* \*\)$")
_EVERY_N_HOURS = re.compile(r"^cron\(0 ([01]?\d|2[0-3])/(0?[1-9]|1\d|2[0-4]) \? \* \* \*\)$")


class JobKind:
    """One monitoring job definition family: DataQuality, ModelQuality, ModelBias,
    ModelExplainability (Create<X>JobDefinition takes <X>JobInput, <X>BaselineConfig, ...)."""

    def __init__(self, monitoring_type: str, backend_attr: str, arn_type: str) -> None:
        self.monitoring_type = monitoring_type
        self.backend_attr = backend_attr  # moto's dict, so its tag calls find our objects
        self.arn_type = arn_type

    @property
    def job_input(self) -> str:
        return f"{self.monitoring_type}JobInput"

    def store(self, backend: SageMakerModelBackend) -> dict[str, "JobDefinition"]:
        return getattr(backend, self.backend_attr)


JOB_KINDS = {kind.monitoring_type: kind for kind in (
    JobKind("DataQuality", "data_quality_job_definitions", "data-quality-job-definition"),
    JobKind("ModelQuality", "model_quality_job_definitions", "model-quality-job-definition"),
    JobKind("ModelBias", "model_bias_job_definitions", "model-bias-job-definition"),
    JobKind("ModelExplainability", "model_explainability_job_definitions",
            "model-explainability-job-definition"),
)}


class JobDefinition:
    def __init__(self, kind: JobKind, name: str, arn: str, body: dict[str, Any],
                 tags: list[dict[str, str]]) -> None:
        self.kind, self.name, self.arn, self.body, self.tags = kind, name, arn, body, tags
        self.creation_time = utcnow()

    @property
    def endpoint_name(self) -> str | None:
        return (self.body.get(self.kind.job_input, {}).get("EndpointInput") or {}).get("EndpointName")

    def describe(self) -> dict[str, Any]:
        body = copy.deepcopy(self.body)
        body.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME_SECONDS})
        _fill_input_defaults(body.get(self.kind.job_input, {}))
        return {"JobDefinitionArn": self.arn, "JobDefinitionName": self.name,
                "CreationTime": self.creation_time, **body}

    def summary(self) -> dict[str, Any]:
        summary = {"MonitoringJobDefinitionName": self.name, "MonitoringJobDefinitionArn": self.arn,
                   "CreationTime": self.creation_time}
        if self.endpoint_name:
            summary["EndpointName"] = self.endpoint_name
        return summary


class MonitoringSchedule:
    def __init__(self, name: str, arn: str, config: dict[str, Any], endpoint: str | None,
                 tags: list[dict[str, str]]) -> None:
        self.name, self.arn, self.config, self.endpoint, self.tags = name, arn, config, endpoint, tags
        self.creation_time = self.last_modified_time = utcnow()
        self.status = "Scheduled"

    @property
    def monitoring_type(self) -> str:
        return self.config.get("MonitoringType", "DataQuality")

    def describe(self) -> dict[str, Any]:
        config = copy.deepcopy(self.config)
        config.setdefault("MonitoringType", self.monitoring_type)
        inline = config.get("MonitoringJobDefinition")
        if inline:
            inline.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME_SECONDS})
            for monitoring_input in inline.get("MonitoringInputs", []):
                _fill_input_defaults(monitoring_input)
        return {**self.summary(), "MonitoringScheduleConfig": config}

    def summary(self) -> dict[str, Any]:
        summary = {"MonitoringScheduleName": self.name, "MonitoringScheduleArn": self.arn,
                   "MonitoringScheduleStatus": self.status, "MonitoringType": self.monitoring_type,
                   "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}
        if self.endpoint:
            summary["EndpointName"] = self.endpoint
        if self.config.get("MonitoringJobDefinitionName"):
            summary["MonitoringJobDefinitionName"] = self.config["MonitoringJobDefinitionName"]
        return summary


def _fill_input_defaults(job_input: dict[str, Any]) -> None:
    """EndpointInput / BatchTransformInput: "Defaults to File" / "Defaults to FullyReplicated"."""
    for key in ("EndpointInput", "BatchTransformInput"):
        if job_input.get(key):
            job_input[key].setdefault("S3InputMode", "File")
            job_input[key].setdefault("S3DataDistributionType", "FullyReplicated")


# --- request validation against the botocore model -----------------------------------------

def _member_path(path: str, name: str) -> str:
    # AWS names members lowerCamelCase in validation messages: monitoringScheduleConfig.…
    member = name[:1].lower() + name[1:]
    return f"{path}.{member}" if path else member


def _problems(shape: Shape, value: Any, path: str) -> list[str]:
    if value is None:
        return []
    meta, kind = shape.metadata, shape.type_name
    def bad(constraint: str) -> list[str]:
        return [f"Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"]
    if kind == "structure":
        found = [f"Value null at '{_member_path(path, name)}' failed to satisfy constraint: "
                 "Member must not be null" for name in shape.required_members
                 if value.get(name) is None]
        for name, member in shape.members.items():
            found += _problems(member, value.get(name), _member_path(path, name))
        return found
    if kind in ("list", "map", "string"):
        if "min" in meta and len(value) < meta["min"]:
            return bad(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            return bad(f"Member must have length less than or equal to {meta['max']}")
    if kind == "list":
        return [p for i, item in enumerate(value) for p in _problems(shape.member, item, f"{path}.{i + 1}.member")]
    if kind == "string":
        if shape.enum and value not in shape.enum:
            return bad(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        if "pattern" in meta and "\\p{" not in meta["pattern"] and not re.fullmatch(meta["pattern"], value):
            return bad(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if kind in ("integer", "long", "double", "float"):
        if "min" in meta and value < meta["min"]:
            return bad(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            return bad(f"Member must have value less than or equal to {meta['max']}")
    return []


@functools.cache
def _input_shape(operation: str) -> Shape:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(operation).input_shape


def _request(resp: SageMakerResponse) -> dict[str, Any]:
    """The request body, checked against the operation's input shape."""
    params = resp.params.original_dict() if hasattr(resp.params, "original_dict") else dict(resp.params)
    found = _problems(_input_shape(resp._get_action()), params, "")
    if found:
        noun = "error" if len(found) == 1 else "errors"
        raise ValidationError(f"{len(found)} validation {noun} detected: {'; '.join(found)}")
    return params


def _check_schedule_expression(schedule: dict[str, Any] | None) -> None:
    if not schedule:
        return
    expression = schedule["ScheduleExpression"]
    if expression == "NOW":
        if not (schedule.get("DataAnalysisStartTime") and schedule.get("DataAnalysisEndTime")):
            raise ValidationError("DataAnalysisStartTime and DataAnalysisEndTime are required when "
                                  "ScheduleExpression is NOW.")
        return
    if not (_HOURLY.match(expression) or _DAILY.match(expression) or _EVERY_N_HOURS.match(expression)):
        raise ValidationError(
            f"Invalid ScheduleExpression {expression!r}: supported expressions are "
            "cron(0 * ? * * *), cron(0 [00-23] ? * * *), cron(0 [00-23]/[01-24] ? * * *) and NOW.")


# --- backend state ---------------------------------------------------------------------

def _schedules(backend: SageMakerModelBackend) -> dict[str, MonitoringSchedule]:
    return state(backend, "obsctl_monitoring_schedules", dict)


def _schedule(backend: SageMakerModelBackend, name: str) -> MonitoringSchedule:
    found = _schedules(backend).get(name)
    if found is None:
        raise ResourceNotFound(f"Monitoring Schedule {name} does not exist.")
    return found


def _require_endpoint(resp: SageMakerResponse, endpoint: str | None) -> None:
    if endpoint and endpoint not in resp.sagemaker_backend.endpoints:
        arn = arn_formatter("endpoint", endpoint, resp.current_account, resp.region)
        raise ValidationError(f'Could not find endpoint "{arn}".')


def _schedule_endpoint(resp: SageMakerResponse, config: dict[str, Any]) -> str | None:
    """The endpoint a schedule monitors: from its inline definition or the named one."""
    inline = config.get("MonitoringJobDefinition")
    if inline:
        return (inline["MonitoringInputs"][0].get("EndpointInput") or {}).get("EndpointName")
    name = config.get("MonitoringJobDefinitionName")
    if not name:
        raise ValidationError("MonitoringScheduleConfig needs MonitoringJobDefinition or "
                              "MonitoringJobDefinitionName.")
    kind = JOB_KINDS[config.get("MonitoringType") or "DataQuality"]
    definition = kind.store(resp.sagemaker_backend).get(name)
    if definition is None:
        arn = arn_formatter(kind.arn_type, name, resp.current_account, resp.region)
        raise ValidationError(f'Could not find job definition "{arn}".')
    return definition.endpoint_name


def _page_of(resp: SageMakerResponse, params: dict[str, Any], items: list, name: Callable[[Any], str],
             sort_keys: dict[str, Callable[[Any], Any]]) -> tuple[list, str | None]:
    sort_key = sort_keys[params.get("SortBy") or "CreationTime"]
    descending = (params.get("SortOrder") or "Descending") == "Descending"
    ordered = sorted(items, key=lambda i: (sort_key(i), name(i)), reverse=descending)
    rank = {name(item): index for index, item in enumerate(ordered)}
    try:
        return paginate(ordered, key=lambda i: [rank[name(i)], name(i)],
                        limit=params.get("MaxResults") or DEFAULT_MAX_RESULTS,
                        token=params.get("NextToken"), kind=f"sagemaker:{resp._get_action()}")
    except BadToken:
        raise ValidationError("Invalid pagination token.") from None


def _filtered(items: list, params: dict[str, Any], name: Callable[[Any], str],
              created: Callable[[Any], datetime]) -> list:
    if params.get("NameContains"):
        items = [i for i in items if params["NameContains"] in name(i)]
    if params.get("CreationTimeBefore"):
        items = [i for i in items if created(i) < _as_datetime(params["CreationTimeBefore"])]
    if params.get("CreationTimeAfter"):
        items = [i for i in items if created(i) > _as_datetime(params["CreationTimeAfter"])]
    return items


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.utcfromtimestamp(float(value))


# --- monitoring schedules --------------------------------------------------------------

def create_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    params = _request(self)
    name, config = params["MonitoringScheduleName"], params["MonitoringScheduleConfig"]
    _check_schedule_expression(config.get("ScheduleConfig"))
    schedules = _schedules(self.sagemaker_backend)
    if name in schedules:
        raise ResourceInUseException(f"Monitoring Schedule {name} already exists.")
    endpoint = _schedule_endpoint(self, config)
    _require_endpoint(self, endpoint)
    arn = arn_formatter("monitoring-schedule", name, self.current_account, self.region)
    schedules[name] = MonitoringSchedule(name, arn, config, endpoint, params.get("Tags") or [])
    return ActionResult({"MonitoringScheduleArn": arn})


def update_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    params = _request(self)
    schedule = _schedule(self.sagemaker_backend, params["MonitoringScheduleName"])
    config = params["MonitoringScheduleConfig"]
    _check_schedule_expression(config.get("ScheduleConfig"))
    endpoint = _schedule_endpoint(self, config)
    _require_endpoint(self, endpoint)
    schedule.config, schedule.endpoint = config, endpoint
    schedule.last_modified_time = utcnow()
    return ActionResult({"MonitoringScheduleArn": schedule.arn})


def describe_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    params = _request(self)
    return ActionResult(_schedule(self.sagemaker_backend, params["MonitoringScheduleName"]).describe())


def delete_monitoring_schedule(self: SageMakerResponse) -> EmptyResult:
    params = _request(self)
    _schedule(self.sagemaker_backend, params["MonitoringScheduleName"])
    del _schedules(self.sagemaker_backend)[params["MonitoringScheduleName"]]
    return EmptyResult()


def _set_schedule_status(resp: SageMakerResponse, status: str) -> EmptyResult:
    schedule = _schedule(resp.sagemaker_backend, _request(resp)["MonitoringScheduleName"])
    schedule.status = status
    schedule.last_modified_time = utcnow()
    return EmptyResult()


def stop_monitoring_schedule(self: SageMakerResponse) -> EmptyResult:
    return _set_schedule_status(self, "Stopped")


def start_monitoring_schedule(self: SageMakerResponse) -> EmptyResult:
    """"By default, when you successfully create a new schedule, the status of a monitoring
    schedule is scheduled"; StartMonitoringSchedule returns a stopped one to that status."""
    return _set_schedule_status(self, "Scheduled")


def list_monitoring_schedules(self: SageMakerResponse) -> ActionResult:
    params = _request(self)
    items = _filtered(list(_schedules(self.sagemaker_backend).values()), params,
                      name=lambda s: s.name, created=lambda s: s.creation_time)
    checks = {"EndpointName": lambda s: s.endpoint, "StatusEquals": lambda s: s.status,
              "MonitoringTypeEquals": lambda s: s.monitoring_type,
              "MonitoringJobDefinitionName": lambda s: s.config.get("MonitoringJobDefinitionName")}
    for param, value_of in checks.items():
        if params.get(param):
            items = [s for s in items if value_of(s) == params[param]]
    for param, keep in (("LastModifiedTimeBefore", lambda s, t: s.last_modified_time < t),
                        ("LastModifiedTimeAfter", lambda s, t: s.last_modified_time > t)):
        if params.get(param):
            items = [s for s in items if keep(s, _as_datetime(params[param]))]
    page, token = _page_of(self, params, items, name=lambda s: s.name, sort_keys={
        "Name": lambda s: s.name, "CreationTime": lambda s: s.creation_time,
        "Status": lambda s: s.status})
    result: dict[str, Any] = {"MonitoringScheduleSummaries": [s.summary() for s in page]}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


# --- job definitions (one set of handlers per family) -------------------------------------

def _job_handlers(kind: JobKind) -> dict[str, Callable[[SageMakerResponse], ActionResult]]:
    def create(self: SageMakerResponse) -> ActionResult:
        params = _request(self)
        name = params.pop("JobDefinitionName")
        tags = params.pop("Tags", None) or []
        store = kind.store(self.sagemaker_backend)
        if name in store:
            raise ResourceInUseException(f"Job definition {name} already exists.")
        arn = arn_formatter(kind.arn_type, name, self.current_account, self.region)
        store[name] = JobDefinition(kind, name, arn, params, tags)
        return ActionResult({"JobDefinitionArn": arn})

    def found(self: SageMakerResponse, name: str) -> JobDefinition:
        definition = kind.store(self.sagemaker_backend).get(name)
        if definition is None:
            raise ResourceNotFound(f"Job definition {name} does not exist.")
        return definition

    def describe(self: SageMakerResponse) -> ActionResult:
        return ActionResult(found(self, _request(self)["JobDefinitionName"]).describe())

    def delete(self: SageMakerResponse) -> EmptyResult:
        name = found(self, _request(self)["JobDefinitionName"]).name
        del kind.store(self.sagemaker_backend)[name]
        return EmptyResult()

    def list_(self: SageMakerResponse) -> ActionResult:
        params = _request(self)
        items = _filtered(list(kind.store(self.sagemaker_backend).values()), params,
                          name=lambda d: d.name, created=lambda d: d.creation_time)
        if params.get("EndpointName"):
            items = [d for d in items if d.endpoint_name == params["EndpointName"]]
        page, token = _page_of(self, params, items, name=lambda d: d.name, sort_keys={
            "Name": lambda d: d.name, "CreationTime": lambda d: d.creation_time})
        result: dict[str, Any] = {"JobDefinitionSummaries": [d.summary() for d in page]}
        if token:
            result["NextToken"] = token
        return ActionResult(result)

    stem = re.sub(r"(?<!^)(?=[A-Z])", "_", kind.monitoring_type).lower()  # model_bias
    return {f"create_{stem}_job_definition": create, f"describe_{stem}_job_definition": describe,
            f"delete_{stem}_job_definition": delete, f"list_{stem}_job_definitions": list_}


# --- tags ------------------------------------------------------------------------------

def describe_endpoint(self: SageMakerResponse) -> ActionResult:
    """DescribeEndpoint's DataCaptureConfig is a DataCaptureConfigSummary (EnableCapture,
    CaptureStatus, CurrentSamplingPercentage, DestinationS3Uri, KmsKeyId), absent when the
    endpoint config has none; moto echoes the endpoint config's DataCaptureConfig, or {}."""
    response = dict(self.sagemaker_backend.describe_endpoint(self._get_param("EndpointName")))
    capture = response.pop("DataCaptureConfig", None)
    if capture:
        enabled = bool(capture.get("EnableCapture", False))
        summary = {"EnableCapture": enabled, "CaptureStatus": "Started" if enabled else "Stopped",
                   "CurrentSamplingPercentage": capture.get("InitialSamplingPercentage", 0),
                   "DestinationS3Uri": capture.get("DestinationS3Uri")}
        if capture.get("KmsKeyId"):
            summary["KmsKeyId"] = capture["KmsKeyId"]
        response["DataCaptureConfig"] = summary
    return ActionResult(response)


def _get_resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
    for schedule in _schedules(self).values():
        if schedule.arn == arn:
            return schedule
    return original(SageMakerModelBackend, "_get_resource_from_arn")(self, arn)


def add_tags(self: SageMakerModelBackend, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """AddTags "adds or overwrites": a key that exists gets the new value."""
    resource = self._get_resource_from_arn(arn)
    new_keys = {tag["Key"] for tag in tags}
    resource.tags = [t for t in resource.tags if t["Key"] not in new_keys] + list(tags)
    return resource.tags


def iter_tagged_resources(self: SageMakerModelBackend):
    """The tagging API's GetResources covers every resource type (Resource Groups Tagging API
    reference, "Services that support..."), so monitoring schedules too."""
    from moto.core.resource_tagging import TaggedResource

    yield from original(SageMakerModelBackend, "iter_tagged_resources")(self)
    for schedule in _schedules(self).values():
        yield TaggedResource(arn=schedule.arn, tags={t["Key"]: t["Value"] for t in schedule.tags},
                             resource_type="sagemaker:monitoring-schedule")


def install() -> None:
    handlers: dict[str, Callable] = {
        "create_monitoring_schedule": create_monitoring_schedule,
        "update_monitoring_schedule": update_monitoring_schedule,
        "describe_monitoring_schedule": describe_monitoring_schedule,
        "delete_monitoring_schedule": delete_monitoring_schedule,
        "list_monitoring_schedules": list_monitoring_schedules,
        "stop_monitoring_schedule": stop_monitoring_schedule,
        "start_monitoring_schedule": start_monitoring_schedule,
        "describe_endpoint": describe_endpoint,
    }
    for kind in JOB_KINDS.values():
        handlers.update(_job_handlers(kind))
    for name, handler in handlers.items():
        patch(SageMakerResponse, name, handler)
    patch(SageMakerModelBackend, "_get_resource_from_arn", _get_resource_from_arn)
    patch(SageMakerModelBackend, "add_tags", add_tags)
    patch(SageMakerModelBackend, "iter_tagged_resources", iter_tagged_resources)

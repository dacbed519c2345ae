"""`obsctl import`: a live schedule and job definition back to the `model_monitors` entry a
person would write, and what in them the config cannot express.
"""

from __future__ import annotations

from pydantic import ValidationError

from reconciler.kinds.model_monitors.images import IMAGES, image_uri
from reconciler.kinds.model_monitors.model import MonitorConfig, SHORTHANDS, TYPES


SCHEDULE_SHORTHANDS = {expression: name for name, expression in SHORTHANDS.items()}


CONFIG_TYPES = {monitoring_type: name for name, monitoring_type in TYPES.items()}


_MANAGED_INPUT = ("EndpointName", "LocalPath", "S3InputMode", "S3DataDistributionType",
                  "InferenceAttribute", "ProbabilityAttribute", "ProbabilityThresholdAttribute")


def _managed_paths(monitoring_type: str) -> dict[str, str | None]:
    """Paths of a Describe<Type>JobDefinition answer the comparable form covers (or that do
    not matter), each with the one value it may have (None: any value)."""
    t = monitoring_type
    paths: dict[str, str | None] = dict.fromkeys([
        "JobDefinitionArn", "JobDefinitionName", "CreationTime", "RoleArn",
        "StoppingCondition.MaxRuntimeInSeconds",
        f"{t}AppSpecification.ImageUri", f"{t}AppSpecification.ConfigUri",
        f"{t}AppSpecification.ProblemType",
        *(f"{t}JobInput.EndpointInput.{key}" for key in _MANAGED_INPUT),
        f"{t}JobInput.GroundTruthS3Input.S3Uri",
        f"{t}JobOutputConfig.MonitoringOutputs[0].S3Output.S3Uri",
        f"{t}JobOutputConfig.MonitoringOutputs[0].S3Output.LocalPath",
        f"{t}BaselineConfig.ConstraintsResource.S3Uri",
        f"{t}BaselineConfig.StatisticsResource.S3Uri",
        f"{t}BaselineConfig.BaseliningJobName",  # the job that made the baseline: a record only
        "JobResources.ClusterConfig.InstanceCount", "JobResources.ClusterConfig.InstanceType",
        "JobResources.ClusterConfig.VolumeSizeInGB",
    ])
    return paths


def _managed(monitoring_type: str, path: str, value, managed: dict) -> bool:
    t = monitoring_type
    if path.startswith(f"{t}AppSpecification.Environment."):
        return True  # `environment`
    if path == f"{t}JobOutputConfig.MonitoringOutputs[0].S3Output.S3UploadMode":
        return True  # `output_upload_mode`
    return path in managed and managed[path] in (None, value)


def _leaves(value, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def unexpressed_settings(schedule: dict, definition: dict | None) -> list[str]:
    """Settings of a described schedule and job definition that the comparable form (so the
    config) does not hold, as `path=value`."""
    found = [f"MonitoringScheduleConfig.ScheduleConfig.{key}={value!r}"
             for key, value in schedule.get("MonitoringScheduleConfig", {})
             .get("ScheduleConfig", {}).items() if key != "ScheduleExpression"]
    if definition is None:
        return found
    managed = _managed_paths(schedule["MonitoringType"])
    for path, value in _leaves({k: v for k, v in definition.items() if k != "ResponseMetadata"}):
        if not _managed(schedule["MonitoringType"], path, value, managed):
            found.append(f"{path}={value!r}")
    return found


def monitor_config(spec: dict, region: str, tags: dict[str, str]) -> dict:
    """The `model_monitors` entry a person would write for a comparable form and the
    schedule's own tags: MonitorConfig's field order, its defaults left out."""
    definition = spec.get("job_definition") or {}
    monitoring_type = spec.get("type")
    values = {
        "endpoint": spec.get("endpoint"),
        "type": CONFIG_TYPES.get(monitoring_type, monitoring_type),
        "schedule": SCHEDULE_SHORTHANDS.get(spec.get("schedule"), spec.get("schedule")),
        "tags": tags,
        "enabled": spec.get("enabled"),
        **{key: value for key, value in definition.items() if key in MonitorConfig.model_fields},
    }
    if monitoring_type in IMAGES and values.get("image_uri") == image_uri(monitoring_type, region):
        del values["image_uri"]
    defaults = {key: field.default for key, field in MonitorConfig.model_fields.items()}
    defaults["baseline"] = {}
    return {key: values[key] for key in MonitorConfig.model_fields
            if values.get(key) is not None and values[key] != defaults[key]}


def _import_problems(spec: dict, entry: dict, unexpressed: list[str]) -> list[str]:
    definition = spec.get("job_definition")
    if definition is None:
        return ["its schedule has no job definition obsctl can read (an inline "
                "MonitoringJobDefinition, or a definition that no longer exists)"]
    problems = [f"{key} {definition.get(key)!r} (obsctl always uses {wanted})"
                for key, wanted in (("s3_input_mode", "File"),
                                    ("s3_data_distribution_type", "FullyReplicated"))
                if definition.get(key) != wanted]
    if unexpressed:
        problems.append(f"settings the config has no field for: {', '.join(unexpressed)}")
    try:
        MonitorConfig.model_validate(entry)
    except ValidationError as error:
        problems += [f"{'.'.join(map(str, e['loc'])) or 'entry'}: "
                     f"{e['msg'].removeprefix('Value error, ')}" for e in error.errors()]
    return problems

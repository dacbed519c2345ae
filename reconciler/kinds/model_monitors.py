"""SageMaker Model Monitor: one monitoring job definition and one monitoring schedule per
entry, plus the CloudWatch alarms its `drift_alarms` generate.

Comparable form (both sides):

  endpoint                the monitored endpoint (the job definition's EndpointInput)
  type                    MonitoringType: DataQuality | ModelQuality | ModelBias | ModelExplainability
  schedule                ScheduleExpression; `hourly` = cron(0 * ? * * *), `daily` = cron(0 0 ? * * *)
  job_definition          the definition's content: image_uri, role_arn, output, baseline
                          {statistics, constraints}, instance_type, instance_count,
                          volume_size_gb, max_runtime_seconds, s3_input_mode,
                          s3_data_distribution_type (and analysis_config, ground_truth,
                          problem_type, inference_attribute, probability_attribute,
                          probability_threshold_attribute when set). The defaults SageMaker
                          fills in on Describe (MaxRuntimeInSeconds 3600, S3InputMode File,
                          S3DataDistributionType FullyReplicated: docs/aws-behaviour.md)
                          are explicit on both sides.
  stale_job_definitions   live only, when not empty: definitions this stack made for the
                          monitor that its schedule no longer uses (left by an apply that
                          failed half-way); the update deletes them
  tags                    the schedule's tags

Job definitions are immutable (there is no Update<Type>JobDefinition): a changed definition is
a new one, named `<monitor>-<8 hex digits of its content>`, created before
UpdateMonitoringSchedule points the schedule at it; the old one is deleted after. Every step
is safe to repeat, so a failed apply converges on the next run: the content-addressed name
makes "create" find its own earlier attempt (ResourceInUse), and definitions left behind show
up as `stale_job_definitions` and are deleted.

Reads: ListMonitoringSchedules (100 a page); tags in bulk from the Resource Groups Tagging API,
whose GetResources "supports all resource types" (its API reference, "Services that support
the Resource Groups Tagging API"), resource type `sagemaker:monitoring-schedule`; then, for the
declared and owned schedules only (SageMaker has no batch describe),
DescribeMonitoringSchedule and Describe<Type>JobDefinition, a few at a time. At plan time a
monitor whose endpoint does not exist (ListEndpoints) is an error at its `endpoint:` line:
CreateMonitoringSchedule would refuse it, and validation cannot know (no AWS access).

Drift alarms: Model Monitor publishes one datapoint per feature and run. AWS's pages disagree
on where. The data quality page names `/aws/sagemaker/Endpoints/data-metric` with
`EndpointName` and `ScheduleName`
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-cloudwatch.html);
the bias drift page (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-cw.html),
the bring-your-own-container page
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-cloudwatch.html) and AWS's
own code use `aws/sagemaker/Endpoints/<type>-metrics` with `Endpoint` and `MonitoringSchedule`:
the model quality notebook lists the metrics the service emitted under that namespace and
those dimensions before alarming on them
(https://github.com/aws/amazon-sagemaker-examples/blob/main/sagemaker_model_monitor/model_quality/model_quality_churn_sdk.ipynb),
and AWS's drift detection sample alarms on `feature_baseline_drift_<feature>` in
`aws/sagemaker/Endpoints/data-metrics` with `Endpoint` and `MonitoringSchedule`
(https://github.com/aws-samples/amazon-sagemaker-drift-detection, deployment_pipeline/infra/sagemaker_stack.py).
obsctl uses the latter, observed form; `metrics_namespace` / `metrics_dimensions` override
it per monitor. The statistic is Sum (the data quality page: "query for MetricName:
feature_baseline_drift_{feature_name}, Stat: Sum"), over one schedule interval.

Import (`obsctl import --kind model_monitors`): every schedule whose name starts with the
prefix, described with its job definition, becomes an entry without defaults: `schedule:
hourly` / `daily` where the cron expression is that one, no `image_uri` when it is SageMaker's
image for the type and region, no instance_type ml.m5.xlarge, instance_count 1,
volume_size_gb 20 or max_runtime_seconds 3600. The import stops, naming the monitor and what
does not fit, when the config cannot hold the monitor: an inline or missing job definition, an
S3 input mode other than File / FullyReplicated, or any other setting the definition or the
schedule has (network config, KMS keys, environment, container entrypoint or arguments,
record preprocessor, several outputs, a batch transform input, data analysis window, ...).
Those are not in the comparable form, so the plan would not show them, and the first apply
that changes the monitor would make a new definition without them.

`drift_alarms` are not recovered from live alarms, and the import writes none. The alarms a
monitor would generate can be recognized (the monitor's metric namespace and its `Endpoint` /
`MonitoringSchedule` dimensions), and one whose regeneration gives back the same alarm could
be written as a drift alarm; but the import could not make the plan empty with it: `--adopt`
tags only the imported kind's resources (model_monitors/NAME), so a generated alarm that has
no owner tag yet would stay a conflict, and an alarm also imported with `--kind alarms` would
collide with the generated one. Import the alarms with `obsctl import --kind alarms` (plain
`alarms` entries are their exact inverse and round-trip); turning one into a `drift_alarms`
entry is then an edit, and `obsctl plan` shows whether the generated alarm matches.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Literal

from botocore.exceptions import ClientError
from pydantic import AfterValidator, Field, StringConstraints, ValidationError, model_validator

from reconciler import iam
from reconciler.config.fields import (OWNER_TAG, Actions, Dimensions, Finite, MetricRef, Period,
                                      Statistic, StrictModel, Tags)
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.alarms import AlarmConfig, AlarmName, action_diagnostics, desired_spec
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import (concurrently, desired_tags, endpoint_names, for_each, read_owned_tags,
                                     tag_delta, tag_list)

# SageMaker names: 1-63 of [a-zA-Z0-9-], no leading or trailing hyphen (the model's pattern).
# A monitor's name also prefixes its job definitions' names (+ "-" + 8 hex digits) within 63.
_SAGEMAKER_NAME = r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
MonitorName = Annotated[str, StringConstraints(max_length=54, pattern=_SAGEMAKER_NAME)]
EndpointName = Annotated[str, StringConstraints(max_length=63, pattern=_SAGEMAKER_NAME)]
S3Uri = Annotated[str, StringConstraints(max_length=512, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$")]
RoleArn = Annotated[str, StringConstraints(
    max_length=2048, pattern=r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")]
ImageUri = Annotated[str, StringConstraints(min_length=1, max_length=255)]
InstanceType = Annotated[str, StringConstraints(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")]
# ScheduleConfig.ScheduleExpression: hourly, daily at an hour, every N hours from an hour.
_DAILY = re.compile(r"^cron\(0 ([01]?\d|2[0-3]) \? \* \* \*\)$")
_EVERY_N_HOURS = re.compile(r"^cron\(0 ([01]?\d|2[0-3])/(0?[1-9]|1\d|2[0-4]) \? \* \* \*\)$")
HOURLY, DAILY = "cron(0 * ? * * *)", "cron(0 0 ? * * *)"
SHORTHANDS = {"hourly": HOURLY, "daily": DAILY}

TYPES = {"data_quality": "DataQuality", "model_quality": "ModelQuality",
         "model_bias": "ModelBias", "model_explainability": "ModelExplainability"}
METRIC_NAMESPACES = {"DataQuality": "aws/sagemaker/Endpoints/data-metrics",
                     "ModelQuality": "aws/sagemaker/Endpoints/model-metrics",
                     "ModelBias": "aws/sagemaker/Endpoints/bias-metrics",
                     "ModelExplainability": "aws/sagemaker/Endpoints/explainability-metrics"}
# ECR accounts of the images SageMaker runs, from the SageMaker Python SDK
# (src/sagemaker/image_uri_config/model-monitor.json and clarify.json).
_MODEL_MONITOR_ACCOUNTS = {
    "us-east-1": "156813124566", "us-east-2": "777275614652", "us-west-1": "890145073186",
    "us-west-2": "159807026194", "ca-central-1": "536280801234", "sa-east-1": "539772159869",
    "eu-west-1": "468650794304", "eu-west-2": "749857270468", "eu-west-3": "680080141114",
    "eu-central-1": "048819808253", "eu-north-1": "895015795356", "me-south-1": "607024016150",
    "ap-south-1": "126357580389", "ap-east-1": "001633400207", "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524", "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158", "cn-north-1": "453000072557", "cn-northwest-1": "453252182341"}
_CLARIFY_ACCOUNTS = {
    "us-east-1": "205585389593", "us-east-2": "211330385671", "us-west-1": "740489534195",
    "us-west-2": "306415355426", "ca-central-1": "675030665977", "sa-east-1": "520018980103",
    "eu-west-1": "131013547314", "eu-west-2": "440796970383", "eu-west-3": "341593696636",
    "eu-central-1": "017069133835", "eu-north-1": "763603941244", "eu-south-1": "638885417683",
    "me-south-1": "835444307964", "af-south-1": "811711786498", "ap-south-1": "452307495513",
    "ap-east-1": "098760798382", "ap-northeast-1": "377024640650", "ap-northeast-2": "263625296855",
    "ap-northeast-3": "364406365360", "ap-southeast-1": "834264404009",
    "ap-southeast-2": "007051062584", "cn-north-1": "122526803553", "cn-northwest-1": "122578899357"}
IMAGES = {"DataQuality": (_MODEL_MONITOR_ACCOUNTS, "sagemaker-model-monitor-analyzer:latest"),
          "ModelQuality": (_MODEL_MONITOR_ACCOUNTS, "sagemaker-model-monitor-analyzer:latest"),
          "ModelBias": (_CLARIFY_ACCOUNTS, "sagemaker-clarify-processing:1.0"),
          "ModelExplainability": (_CLARIFY_ACCOUNTS, "sagemaker-clarify-processing:1.0")}
# Where the processing container sees its input and writes its reports.
INPUT_PATH, OUTPUT_PATH = "/opt/ml/processing/input/endpoint", "/opt/ml/processing/output"
MONITOR_TAG = "obsctl:model-monitor"  # on job definitions: which monitor made them
DEFAULT_MAX_RUNTIME_SECONDS = 3600  # what SageMaker reports when StoppingCondition is unset


def _check_schedule(value: str) -> str:
    expression = SHORTHANDS.get(value, value)
    if expression == HOURLY or _DAILY.match(expression) or _EVERY_N_HOURS.match(expression):
        return value
    raise ValueError(f"{value!r} is not a schedule SageMaker accepts: use hourly, daily, "
                     "cron(0 * ? * * *), cron(0 H ? * * *) (daily at hour H, 0-23) or "
                     "cron(0 H/N ? * * *) (every N hours from hour H)")


Schedule = Annotated[str, StringConstraints(min_length=1, max_length=256),
                     AfterValidator(_check_schedule)]


class Baseline(StrictModel):
    statistics: S3Uri | None = None  # data quality only: the other types have constraints only
    constraints: S3Uri | None = None


class DriftAlarm(StrictModel):
    name: AlarmName | None = None  # default: <monitor>-drift-<feature> or <monitor>-<metric>
    feature: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    metric: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    threshold: Annotated[float, Field(allow_inf_nan=False)]
    comparison: Literal[">", ">=", "<", "<="] = ">"
    evaluation_periods: Annotated[int, Field(ge=1)] = 1
    datapoints_to_alarm: Annotated[int, Field(ge=1)] | None = None
    period: Period | None = None  # default: the schedule's interval (one datapoint per run)
    statistic: Statistic = "Sum"
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"
    description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    actions: Actions = Actions()

    @model_validator(mode="after")
    def _feature_or_metric(self):
        if (self.feature is None) == (self.metric is None):
            raise ValueError("set `feature` (alarms on feature_baseline_drift_<feature>) or "
                             "`metric` (any metric the monitor publishes), not both")
        return self

    @property
    def metric_name(self) -> str:
        return self.metric or f"feature_baseline_drift_{self.feature}"


class MonitorConfig(StrictModel):
    endpoint: EndpointName
    type: Literal["data_quality", "model_quality", "model_bias", "model_explainability"]
    schedule: Schedule
    baseline: Baseline = Baseline()
    output: S3Uri
    role_arn: RoleArn
    image_uri: ImageUri | None = None  # default: SageMaker's image for the type and region
    analysis_config: S3Uri | None = None  # model_bias / model_explainability: ConfigUri
    ground_truth: S3Uri | None = None  # model_quality / model_bias: GroundTruthS3Input
    problem_type: Literal["BinaryClassification", "MulticlassClassification", "Regression"] | None = None
    inference_attribute: Annotated[str, StringConstraints(min_length=1)] | None = None
    probability_attribute: Annotated[str, StringConstraints(min_length=1)] | None = None
    probability_threshold_attribute: Finite | None = None
    instance_type: InstanceType = "ml.m5.xlarge"
    instance_count: Annotated[int, Field(ge=1, le=100)] = 1
    volume_size_gb: Annotated[int, Field(ge=1, le=16384)] = 20
    max_runtime_seconds: Annotated[int, Field(ge=1, le=86400)] = DEFAULT_MAX_RUNTIME_SECONDS
    drift_alarms: list[DriftAlarm] = []
    metrics_namespace: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    metrics_dimensions: Dimensions | None = None
    tags: Tags = {}

    @model_validator(mode="after")
    def _fits_the_type(self):
        problems = [message for applies, message in (
            (self.type != "data_quality" and self.baseline.statistics is not None,
             "`baseline.statistics` applies to data_quality only (the other types take constraints)"),
            (self.type in ("model_bias", "model_explainability") and self.analysis_config is None,
             f"{self.type} needs `analysis_config` (the Clarify analysis configuration in S3)"),
            (self.type in ("data_quality", "model_quality") and self.analysis_config is not None,
             "`analysis_config` applies to model_bias and model_explainability"),
            (self.type in ("model_quality", "model_bias") and self.ground_truth is None,
             f"{self.type} needs `ground_truth` (the S3 prefix of the ground truth labels)"),
            (self.type not in ("model_quality", "model_bias") and self.ground_truth is not None,
             "`ground_truth` applies to model_quality and model_bias"),
            (self.type == "model_quality" and self.problem_type is None,
             "model_quality needs `problem_type`"),
            (self.type != "model_quality" and self.problem_type is not None,
             "`problem_type` applies to model_quality"),
            (self.type != "data_quality" and any(a.feature for a in self.drift_alarms),
             "drift alarms by `feature` (feature_baseline_drift_<feature>) are data_quality "
             "metrics; name the metric with `metric`"),
        ) if applies]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def monitoring_type(self) -> str:
        return TYPES[self.type]

    @property
    def schedule_expression(self) -> str:
        return SHORTHANDS.get(self.schedule, self.schedule)


def schedule_interval(expression: str) -> int:
    """Seconds between runs: the period of a drift alarm (one datapoint per run)."""
    if expression == HOURLY:
        return 3600
    every = _EVERY_N_HOURS.match(expression)
    return int(every.group(2)) * 3600 if every else 86_400


# --- comparable form ---------------------------------------------------------------------

def _present(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def image_uri(monitoring_type: str, region: str) -> str | None:
    accounts, repository = IMAGES[monitoring_type]
    account = accounts.get(region)
    suffix = ".cn" if region.startswith("cn-") else ""
    return f"{account}.dkr.ecr.{region}.amazonaws.com{suffix}/{repository}" if account else None


def desired_job_definition(monitor: MonitorConfig, image: str) -> dict:
    return _present({
        "image_uri": image,
        "role_arn": monitor.role_arn,
        "output": monitor.output,
        "baseline": _present({"statistics": monitor.baseline.statistics,
                              "constraints": monitor.baseline.constraints}),
        "instance_type": monitor.instance_type,
        "instance_count": monitor.instance_count,
        "volume_size_gb": monitor.volume_size_gb,
        "max_runtime_seconds": monitor.max_runtime_seconds,
        "s3_input_mode": "File",
        "s3_data_distribution_type": "FullyReplicated",
        "analysis_config": monitor.analysis_config,
        "ground_truth": monitor.ground_truth,
        "problem_type": monitor.problem_type,
        "inference_attribute": monitor.inference_attribute,
        "probability_attribute": monitor.probability_attribute,
        "probability_threshold_attribute": monitor.probability_threshold_attribute,
    })


def job_definition_name(monitor_name: str, spec: dict) -> str:
    """`<monitor>-<8 hex>` of what the definition holds: a new content is a new name.
    Lower case: SageMaker ARNs carry names in lower case, and names are read back from ARNs."""
    content = json.dumps({key: spec[key] for key in ("endpoint", "type", "job_definition")},
                         sort_keys=True, separators=(",", ":"))
    return f"{monitor_name.lower()}-{hashlib.sha256(content.encode()).hexdigest()[:8]}"


def live_job_definition(monitoring_type: str, described: dict) -> dict:
    """The comparable form of a Describe<Type>JobDefinition answer."""
    prefix = monitoring_type
    app = described.get(f"{prefix}AppSpecification", {})
    job_input = described.get(f"{prefix}JobInput", {})
    endpoint_input = job_input.get("EndpointInput", {})
    outputs = described.get(f"{prefix}JobOutputConfig", {}).get("MonitoringOutputs", [{}])
    baseline = described.get(f"{prefix}BaselineConfig", {})
    cluster = described.get("JobResources", {}).get("ClusterConfig", {})
    return _present({
        "image_uri": app.get("ImageUri"),
        "role_arn": described.get("RoleArn"),
        "output": outputs[0].get("S3Output", {}).get("S3Uri"),
        "baseline": _present({"statistics": baseline.get("StatisticsResource", {}).get("S3Uri"),
                              "constraints": baseline.get("ConstraintsResource", {}).get("S3Uri")}),
        "instance_type": cluster.get("InstanceType"),
        "instance_count": cluster.get("InstanceCount"),
        "volume_size_gb": cluster.get("VolumeSizeInGB"),
        "max_runtime_seconds": described.get("StoppingCondition", {}).get(
            "MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME_SECONDS),
        "s3_input_mode": endpoint_input.get("S3InputMode", "File"),
        "s3_data_distribution_type": endpoint_input.get("S3DataDistributionType", "FullyReplicated"),
        "analysis_config": app.get("ConfigUri"),
        "ground_truth": job_input.get("GroundTruthS3Input", {}).get("S3Uri"),
        "problem_type": app.get("ProblemType"),
        "inference_attribute": endpoint_input.get("InferenceAttribute"),
        "probability_attribute": endpoint_input.get("ProbabilityAttribute"),
        "probability_threshold_attribute": endpoint_input.get("ProbabilityThresholdAttribute"),
    })


def job_definition_request(name: str, spec: dict, tags: dict[str, str]) -> dict:
    """Create<Type>JobDefinition arguments for a comparable form."""
    prefix, definition = spec["type"], spec["job_definition"]
    endpoint_input = _present({
        "EndpointName": spec["endpoint"], "LocalPath": INPUT_PATH,
        "S3InputMode": definition["s3_input_mode"],
        "S3DataDistributionType": definition["s3_data_distribution_type"],
        "InferenceAttribute": definition.get("inference_attribute"),
        "ProbabilityAttribute": definition.get("probability_attribute"),
        "ProbabilityThresholdAttribute": definition.get("probability_threshold_attribute"),
    })
    job_input = {"EndpointInput": endpoint_input}
    if "ground_truth" in definition:
        job_input["GroundTruthS3Input"] = {"S3Uri": definition["ground_truth"]}
    baseline = definition.get("baseline", {})
    baseline_config = _present({
        "ConstraintsResource": {"S3Uri": baseline["constraints"]} if "constraints" in baseline else None,
        "StatisticsResource": {"S3Uri": baseline["statistics"]} if "statistics" in baseline else None,
    })
    return _present({
        "JobDefinitionName": name,
        f"{prefix}BaselineConfig": baseline_config or None,
        f"{prefix}AppSpecification": _present({"ImageUri": definition["image_uri"],
                                               "ConfigUri": definition.get("analysis_config"),
                                               "ProblemType": definition.get("problem_type")}),
        f"{prefix}JobInput": job_input,
        f"{prefix}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": definition["output"], "LocalPath": OUTPUT_PATH}}]},
        "JobResources": {"ClusterConfig": {"InstanceCount": definition["instance_count"],
                                           "InstanceType": definition["instance_type"],
                                           "VolumeSizeInGB": definition["volume_size_gb"]}},
        "RoleArn": definition["role_arn"],
        "StoppingCondition": {"MaxRuntimeInSeconds": definition["max_runtime_seconds"]},
        "Tags": tag_list(tags),
    })


def _snake(monitoring_type: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", monitoring_type).lower()  # ModelBias -> model_bias


# --- import: comparable form -> config ---------------------------------------------------

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
    # The default upload mode, which SageMaker may report.
    paths[f"{t}JobOutputConfig.MonitoringOutputs[0].S3Output.S3UploadMode"] = "EndOfJob"
    return paths


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
        if path not in managed or managed[path] not in (None, value):
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


# --- drift alarms ------------------------------------------------------------------------

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


# --- the kind ----------------------------------------------------------------------------

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


class ModelMonitors(Kind):
    iam_read = ("sagemaker:ListMonitoringSchedules", "sagemaker:DescribeMonitoringSchedule",
                *(f"sagemaker:Describe{t}JobDefinition" for t in TYPES.values()),
                "sagemaker:ListTags", "sagemaker:ListEndpoints", "tag:GetResources")
    iam_write = ("sagemaker:CreateMonitoringSchedule", "sagemaker:UpdateMonitoringSchedule",
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

    def read_live(self, aws, stack):
        declared = stack.section("model_monitors")
        sagemaker = aws.client("sagemaker")
        read = concurrently(
            schedules=lambda: _list_schedules(sagemaker),
            tags=lambda: read_owned_tags(aws, "sagemaker:monitoring-schedule"),
            endpoints=lambda: set(endpoint_names(aws)) if declared else set())
        self._check_endpoints(stack, read["endpoints"])
        tags = read["tags"]
        wanted = [s for s in read["schedules"] if s["MonitoringScheduleName"] in declared
                  or (tags.get(s["MonitoringScheduleArn"]) or {}).get(OWNER_TAG) == stack.name]
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
                                  tags=schedule_tags, identity={"arn": arn})
                continue
            schedule, definition = details[name]
            live[name] = self._live(name, schedule, definition, schedule_tags,
                                    stale.get(name, set()))
        return live

    def read_for_import(self, aws, stack, prefix):
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
                if tags.get(OWNER_TAG) == stack.name and MONITOR_TAG in tags:
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
            "tags": tags or {},
        }
        if stale:
            spec["stale_job_definitions"] = [definition_name for _, definition_name in stale]
        return Live(name, spec, tags=tags, identity={
            "arn": schedule["MonitoringScheduleArn"], "job_definition": in_use if definition else None,
            "stale": stale})

    # --- apply ---------------------------------------------------------------------------

    def create(self, aws, desired):
        sagemaker = aws.client("sagemaker")
        definition = self._ensure_job_definition(sagemaker, desired)
        sagemaker.create_monitoring_schedule(
            MonitoringScheduleName=desired.name,
            MonitoringScheduleConfig=self._schedule_config(desired.spec, definition),
            Tags=tag_list(desired.written_tags))

    def update(self, aws, desired, live):
        sagemaker = aws.client("sagemaker")
        untagged = {key: value for key, value in desired.spec.items() if key != "tags"}
        if any(live.spec.get(key) != value for key, value in untagged.items()):
            definition = self._ensure_job_definition(sagemaker, desired)
            sagemaker.update_monitoring_schedule(
                MonitoringScheduleName=desired.name,
                MonitoringScheduleConfig=self._schedule_config(desired.spec, definition))
            replaced = live.identity["job_definition"]
            if replaced and replaced != (desired.spec["type"], definition):
                self._delete_job_definitions(sagemaker, [replaced])
        self._delete_job_definitions(sagemaker, live.identity["stale"])
        to_set, to_remove = tag_delta(live.tags, desired.written_tags)
        if to_set:
            sagemaker.add_tags(ResourceArn=live.identity["arn"], Tags=tag_list(to_set))
        if to_remove:
            sagemaker.delete_tags(ResourceArn=live.identity["arn"], TagKeys=to_remove)

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

"""The `model_monitors` config: one monitoring schedule and its job definition on an
endpoint, with its drift alarms (checked at validation).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from reconciler.config.fields import (Actions, Dimensions, Finite, Period, Statistic, StrictModel,
                                      Tags)
from reconciler.kinds.alarms import AlarmName


# SageMaker names: 1-63 of [a-zA-Z0-9-], no leading or trailing hyphen (the model's pattern).
# A monitor's name also prefixes its job definitions' names (+ "-" + 8 hex digits) within 63.
_SAGEMAKER_NAME = r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"


MonitorName = Annotated[str, StringConstraints(max_length=54, pattern=_SAGEMAKER_NAME)]


EndpointName = Annotated[str, StringConstraints(max_length=63, pattern=_SAGEMAKER_NAME)]


S3Uri = Annotated[str, StringConstraints(max_length=512, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$")]


RoleArn = Annotated[str, StringConstraints(
    max_length=2048, pattern=r"^arn:aws[a-z\-]*:iam::[0-9]{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")]


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


# Where the processing container sees its input and writes its reports.
INPUT_PATH, OUTPUT_PATH = "/opt/ml/processing/input/endpoint", "/opt/ml/processing/output"


MONITOR_TAG = "obsctl:model-monitor"  # on job definitions: which monitor made them


DEFAULT_MAX_RUNTIME_SECONDS = 3600  # what SageMaker reports when StoppingCondition is unset


# AppSpecification.Environment (MonitoringEnvironmentMap): up to 50 entries, keys
# [a-zA-Z_][a-zA-Z0-9_]* and values of at most 256 characters (the API reference).
EnvironmentKey = Annotated[str, StringConstraints(min_length=1, max_length=256,
                                                  pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]


Environment = Annotated[dict[EnvironmentKey, Annotated[str, StringConstraints(max_length=256)]],
                        Field(max_length=50)]


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
    """S3 URI of the baseline statistics.json (data quality only)."""
    constraints: S3Uri | None = None
    """S3 URI of the baseline constraints.json."""


class DriftAlarm(StrictModel):
    name: AlarmName | None = None  # default: <monitor>-drift-<feature> or <monitor>-<metric>
    """Alarm name; default <monitor>-drift-<feature> or <monitor>-<metric>."""
    feature: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    """Feature whose drift the alarm watches (set this or `metric`)."""
    metric: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    """Monitor metric the alarm watches (set this or `feature`)."""
    threshold: Annotated[float, Field(allow_inf_nan=False)]
    """Value the metric is compared with."""
    comparison: Literal[">", ">=", "<", "<="] = ">"
    """Comparison with the threshold: >, >=, < or <=; default >."""
    evaluation_periods: Annotated[int, Field(ge=1)] = 1
    """Number of most recent periods evaluated; default 1."""
    datapoints_to_alarm: Annotated[int, Field(ge=1)] | None = None
    """Breaching datapoints among the evaluated periods that trigger ALARM; default evaluation_periods."""
    period: Period | None = None  # default: the schedule's interval (one datapoint per run)
    """Length of one datapoint in seconds; default the schedule's interval (one datapoint per run)."""
    statistic: Statistic = "Sum"
    """Statistic of the metric; default Sum."""
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"
    """How missing datapoints count: missing (default), notBreaching, breaching or ignore."""
    description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    """Alarm description (up to 1024 characters)."""
    actions: Actions = Actions()
    """What to notify or trigger on each state change."""

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
    """A SageMaker Model Monitor schedule for an endpoint, with alarms on the metrics it publishes."""

    endpoint: EndpointName
    """Name of the SageMaker endpoint monitored."""
    type: Literal["data_quality", "model_quality", "model_bias", "model_explainability"]
    """Monitoring type: data_quality, model_quality, model_bias or model_explainability."""
    schedule: Schedule
    """When the monitor runs: hourly, daily or a cron(...) expression."""
    baseline: Baseline = Baseline()
    """S3 URIs of the baseline the data is compared with."""
    output: S3Uri
    """S3 URI where the monitoring reports are written."""
    role_arn: RoleArn
    """IAM role SageMaker assumes to run the monitoring jobs."""
    image_uri: ImageUri | None = None  # default: SageMaker's image for the type and region
    """Container image of the monitoring jobs; default SageMaker's image for the type and region."""
    analysis_config: S3Uri | None = None  # model_bias / model_explainability: ConfigUri
    """S3 URI of the analysis configuration (model_bias and model_explainability)."""
    ground_truth: S3Uri | None = None  # model_quality / model_bias: GroundTruthS3Input
    """S3 URI of the ground truth labels (model_quality and model_bias)."""
    problem_type: Literal["BinaryClassification", "MulticlassClassification", "Regression"] | None = None
    """Problem type for model_quality: BinaryClassification, MulticlassClassification or Regression."""
    inference_attribute: Annotated[str, StringConstraints(min_length=1)] | None = None
    """Attribute of the endpoint output holding the prediction."""
    probability_attribute: Annotated[str, StringConstraints(min_length=1)] | None = None
    """Attribute of the endpoint output holding the probability."""
    probability_threshold_attribute: Finite | None = None
    """Probability above which a binary prediction counts as positive."""
    instance_type: InstanceType = "ml.m5.xlarge"
    """Instance type of the monitoring jobs; default ml.m5.xlarge."""
    instance_count: Annotated[int, Field(ge=1, le=100)] = 1
    """Number of instances of a monitoring job (1-100); default 1."""
    volume_size_gb: Annotated[int, Field(ge=1, le=16384)] = 20
    """Storage volume per instance in GB (1-16384); default 20."""
    max_runtime_seconds: Annotated[int, Field(ge=1, le=86400)] = DEFAULT_MAX_RUNTIME_SECONDS
    """Longest run of one monitoring job in seconds (1-86400); default 3600."""
    drift_alarms: list[DriftAlarm] = []
    """CloudWatch alarms on the metrics the monitor publishes."""
    metrics_namespace: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    """Namespace of the monitor's metrics; default SageMaker's for the type."""
    metrics_dimensions: Dimensions | None = None
    """Dimensions of the monitor's metrics; default Endpoint and MonitoringSchedule."""
    tags: Tags = {}
    """Tags of the monitoring schedule, added to the stack's tags."""
    enabled: bool = True
    """False stops the schedule (StopMonitoringSchedule); a schedule stopped outside obsctl
    while this is true is drift, and apply starts it again."""
    environment: Environment = {}
    """The job's environment variables (up to 50), e.g. `publish_cloudwatch_metrics: Enabled` as
    the SageMaker SDK sets it; part of the job definition."""
    output_upload_mode: Literal["EndOfJob", "Continuous"] = "EndOfJob"
    """When reports go to S3 (S3UploadMode): EndOfJob, or Continuous as the SageMaker SDK uploads
    them; part of the job definition."""

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

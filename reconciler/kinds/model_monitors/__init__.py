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
                          probability_threshold_attribute, environment, and
                          output_upload_mode when it is Continuous, when set). The defaults SageMaker
                          fills in on Describe (MaxRuntimeInSeconds 3600, S3InputMode File,
                          S3DataDistributionType FullyReplicated: docs/aws-behaviour.md)
                          are explicit on both sides.
  stale_job_definitions   live only, when not empty: definitions this stack made for the
                          monitor that its schedule no longer uses (left by an apply that
                          failed half-way); the update deletes them
  enabled                 the schedule runs: MonitoringScheduleStatus is not Stopped (Pending
                          and Failed are not at rest). A schedule stopped outside obsctl is
                          drift, and the update runs StartMonitoringSchedule; `enabled: false`
                          stops it (StopMonitoringSchedule, also right after a create)
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
CreateMonitoringSchedule would refuse it, and validation cannot know (no AWS access). A
monitor whose endpoint captures no data (DescribeEndpoint, one per distinct endpoint, a few at
a time: DataCaptureConfig absent or EnableCapture false) is an error at its entry: every type
reads the captured requests ("Model Monitor automatically parses this captured data",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html; model quality
and bias merge ground truth labels with them), so its schedule would run on nothing, silently.
Enabling capture is the endpoint's deployment, which obsctl does not change.

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
schedule has (network config, KMS keys, container entrypoint or arguments,
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

from reconciler.kinds.model_monitors.model import (Baseline, DAILY, DEFAULT_MAX_RUNTIME_SECONDS,
                                                   DriftAlarm, EndpointName, HOURLY, INPUT_PATH,
                                                   ImageUri, InstanceType, METRIC_NAMESPACES,
                                                   MONITOR_TAG, MonitorConfig, MonitorName,
                                                   OUTPUT_PATH, RoleArn, S3Uri, SHORTHANDS,
                                                   Schedule, TYPES, schedule_interval)
from reconciler.kinds.model_monitors.job_definition import (desired_job_definition,
                                                            job_definition_name,
                                                            job_definition_request,
                                                            live_job_definition)
from reconciler.kinds.model_monitors.importing import (CONFIG_TYPES, SCHEDULE_SHORTHANDS,
                                                       monitor_config, unexpressed_settings)
from reconciler.kinds.model_monitors.drift_alarms import drift_alarm_config, drift_alarm_name
from reconciler.kinds.model_monitors.kind import ModelMonitors
from reconciler.kinds.model_monitors.images import IMAGES, image_uri

__all__ = ["Baseline", "CONFIG_TYPES", "DAILY", "DEFAULT_MAX_RUNTIME_SECONDS", "DriftAlarm",
           "EndpointName", "HOURLY", "IMAGES", "INPUT_PATH", "ImageUri", "InstanceType",
           "METRIC_NAMESPACES", "MONITOR_TAG", "ModelMonitors", "MonitorConfig", "MonitorName",
           "OUTPUT_PATH", "RoleArn", "S3Uri", "SCHEDULE_SHORTHANDS", "SHORTHANDS", "Schedule",
           "TYPES", "desired_job_definition", "drift_alarm_config", "drift_alarm_name", "image_uri",
           "job_definition_name", "job_definition_request", "live_job_definition", "monitor_config",
           "schedule_interval", "unexpressed_settings"]

"""CloudWatch Logs metric filters, declared under their log group:

    log_groups:
      /aws/sagemaker/Endpoints/churn:
        metric_filters:
          inference-errors:
            pattern: '?ERROR ?Exception'
            metric: {namespace: ML/Churn, name: InferenceErrors, value: "1", default_value: 0}

A filter's resource name is `<log group>:<filter name>` (log group names cannot contain ':'),
so `--target 'metric_filters:/aws/sagemaker/Endpoints/churn:*'` selects one group's filters.
AWS cannot tag metric filters: a stack owns the ones matching its `prune.metric_filters`
patterns (the engine decides).

Live state: DescribeMetricFilters without a log group lists the whole account, 50 a page.
Comparable form (optional keys only when set):
    {"log_group", "pattern", "metric_namespace", "metric_name", "metric_value",
     "default_value"?, "unit"?, "dimensions"?}
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema, model_validator

from reconciler.config.fields import Finite, StrictModel, Unit, check_no_control_characters
from reconciler.kinds.base import Desired, FilterIdentity, Live, LogGroupFilter
from reconciler.kinds.common import as_number
from reconciler.kinds.filter_pattern import FilterPattern

def check_filter_name(name: str) -> str:
    if not 1 <= len(name) <= 512 or ":" in name or "*" in name:
        raise ValueError(f"metric filter name {name!r} must be 1-512 characters without ':' or '*'")
    return check_no_control_characters(name)


# PutMetricFilter: filterName 1-512 chars matching [^:*]*; filterPattern ≤ 1024 chars;
# metricName/metricNamespace ≤ 255 chars matching [^:*$]*; metricValue ≤ 100 chars.
MetricFilterName = Annotated[str, AfterValidator(check_filter_name), WithJsonSchema(
    {"type": "string", "pattern": "^[^:*]{1,512}$"})]
MetricPart = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^:*$]+$")]
MAX_FILTERS_PER_LOG_GROUP = 100  # PutMetricFilter API reference
MAX_DIMENSIONS = 3  # MetricTransformation.dimensions: "as many as three dimensions"

FilterDimensions = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=255)],
         Annotated[str, StringConstraints(min_length=1, max_length=255)]],
    Field(max_length=MAX_DIMENSIONS),
]


class MetricTransformationConfig(StrictModel):
    namespace: MetricPart
    """CloudWatch namespace the metric is published in."""
    name: MetricPart
    """Name of the published metric."""
    value: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # "1" or "$.latency"
    """Value published per matching event: a number such as "1" or a field such as "$.latency"."""
    default_value: Finite | None = None
    """Value published when no event matches in a period; default none."""
    unit: Unit | None = None
    """CloudWatch unit of the published metric."""
    dimensions: FilterDimensions = {}
    """Dimensions of the published metric: name -> a field of the event such as "$.model"."""

    @model_validator(mode="after")
    def _dimensions_exclude_default_value(self):
        # CloudWatch Logs rejects a transformation with both (Terraform's
        # aws_cloudwatch_log_metric_filter marks them ConflictsWith for the same reason).
        if self.dimensions and self.default_value is not None:
            raise ValueError("a metric filter with dimensions cannot have a default_value "
                             "(CloudWatch Logs rejects the combination)")
        return self


class MetricFilterConfig(StrictModel):
    pattern: FilterPattern
    """CloudWatch Logs filter pattern selecting the events; "" matches every event."""
    metric: MetricTransformationConfig
    """The metric the matching events publish."""


MetricFilterMap = Annotated[dict[MetricFilterName, MetricFilterConfig],
                            Field(max_length=MAX_FILTERS_PER_LOG_GROUP)]


def resource_name(log_group: str, filter_name: str) -> str:
    return f"{log_group}:{filter_name}"


def comparable_filter(log_group: str, pattern: str, transformation: dict) -> dict:
    """Comparable form of one filter from PutMetricFilter/DescribeMetricFilters shapes.

    - pattern: surrounding whitespace trimmed, and sent trimmed (as Terraform does).
    - default_value: a double in AWS (0 and 0.0 are equal); absent means "emit nothing".
    - unit: AWS sets "None" when omitted, so "None" and absent are the same.
    - dimensions: a map; absent and {} are the same.
    """
    spec = {
        "log_group": log_group,
        "pattern": pattern.strip(),
        "metric_namespace": transformation["metricNamespace"],
        "metric_name": transformation["metricName"],
        "metric_value": transformation["metricValue"],
    }
    if transformation.get("defaultValue") is not None:
        spec["default_value"] = as_number(transformation["defaultValue"])
    if transformation.get("unit") not in (None, "None"):
        spec["unit"] = transformation["unit"]
    if transformation.get("dimensions"):
        spec["dimensions"] = dict(sorted(transformation["dimensions"].items()))
    return spec


def config_transformation(config: MetricTransformationConfig) -> dict:
    """The PutMetricFilter `metricTransformations` item for a config entry."""
    item = {"metricNamespace": config.namespace, "metricName": config.name,
            "metricValue": config.value}
    if config.default_value is not None:
        item["defaultValue"] = config.default_value
    if config.unit is not None:
        item["unit"] = config.unit
    if config.dimensions:
        item["dimensions"] = dict(config.dimensions)
    return item


def spec_transformation(spec: dict) -> dict:
    """The PutMetricFilter `metricTransformations` item for a comparable form."""
    item = {"metricNamespace": spec["metric_namespace"], "metricName": spec["metric_name"],
            "metricValue": spec["metric_value"]}
    if "default_value" in spec:
        item["defaultValue"] = spec["default_value"]
    if "unit" in spec:
        item["unit"] = spec["unit"]
    if "dimensions" in spec:
        item["dimensions"] = spec["dimensions"]
    return item


def filter_config(spec: dict) -> dict:
    """The `metric_filters` entry a person would write for a comparable form."""
    metric = {"namespace": spec["metric_namespace"], "name": spec["metric_name"],
              "value": spec["metric_value"]}
    metric.update({key: spec[key] for key in ("default_value", "unit", "dimensions") if key in spec})
    return {"pattern": spec["pattern"], "metric": metric}


class MetricFilters(LogGroupFilter):
    iam_read = ("logs:DescribeMetricFilters",)
    iam_write = ("logs:PutMetricFilter", "logs:DeleteMetricFilter")

    name = "metric_filters"

    def desired(self, stack, scope):
        return {
            resource_name(group_name, filter_name): Desired(
                resource_name(group_name, filter_name),
                comparable_filter(group_name, config.pattern, config_transformation(config.metric)),
                location=stack.locate("log_groups", group_name, "metric_filters", filter_name))
            for group_name, group in stack.section("log_groups").items()
            for filter_name, config in group.metric_filters.items()
        }

    def read_filters(self, aws, stack):
        # Only botocore's paginator: moto echoes `nextToken` back, so a hand-written token
        # loop never ends (docs/aws-behaviour.md#moto). No logGroupName: one listing for the
        # whole account.
        def load():
            pages = aws.client("logs").get_paginator("describe_metric_filters").paginate(
                PaginationConfig={"PageSize": 50})
            return [item for page in pages for item in page["metricFilters"]]
        live = {}
        for item in aws.read_once("logs:metric-filters", load):  # shared per account-region
            name = resource_name(item["logGroupName"], item["filterName"])
            live[name] = Live(name, comparable_filter(
                item["logGroupName"], item.get("filterPattern", ""),
                item["metricTransformations"][0]),
                identity=FilterIdentity(log_group=item["logGroupName"], filter_name=item["filterName"]))
        return live

    def put(self, logs, group, filter_name, spec):
        logs.put_metric_filter(logGroupName=group, filterName=filter_name,
                               filterPattern=spec["pattern"],
                               metricTransformations=[spec_transformation(spec)])

    def remove(self, logs, group, filter_name):
        logs.delete_metric_filter(logGroupName=group, filterName=filter_name)

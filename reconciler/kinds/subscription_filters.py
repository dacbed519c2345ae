"""CloudWatch Logs subscription filters (log export), declared under their log group:

    log_groups:
      /aws/sagemaker/Endpoints/prod-churn:
        subscription_filters:
          to-archive:
            pattern: ""                  # every event
            destination_arn: arn:aws:firehose:us-east-1:111111111111:deliverystream/ml-logs
            role_arn: arn:aws:iam::111111111111:role/cwl-to-firehose

A filter's resource name is `<log group>:<filter name>`, as for metric filters. Destinations
(PutSubscriptionFilter API reference): a Kinesis data stream, a Firehose delivery stream or a
Lambda function of the same account, or a logical destination (`logs:...:destination:NAME`)
of another account. Kinesis and Firehose need `role_arn` (the role CloudWatch Logs assumes
to write there); Lambda takes none (its resource policy grants access). `distribution`
(ByLogStream|Random) is "only applicable when the destination is a Kinesis Data Streams
stream": refused for Firehose and Lambda, allowed for a logical destination (which may
forward to one); AWS reports ByLogStream when unset.

At most 2 filters per log group: the PutSubscriptionFilter reference ("Each log group can have
up to two subscription filters") and AWS's LimitExceededException; the "5" sometimes quoted is
the quota of regular-expression patterns per log group, not of filters.

Live state: DescribeSubscriptionFilters takes a log group name: there is no account-wide
listing. `read_live` therefore reads only the log groups that this stack declares subscription
filters on or owns (tagged obsctl:stack), one paginated call each, 8 at a time. Filters on
other log groups are invisible to the plan, so `--prune` cannot reach them.
AWS cannot tag subscription filters: a stack owns the ones matching its
`prune.subscription_filters` patterns (the engine decides).

Comparable form: {"log_group", "pattern" (trimmed), "destination_arn", "role_arn"?,
"distribution"} with distribution explicit (ByLogStream when unset, as AWS reports it).

Import: filters are imported with their log group (`obsctl import --kind log_groups` writes
each group's metric and subscription filters), so that `--adopt` tags the group that holds
them; AWS cannot tag the filters themselves.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from botocore.exceptions import ClientError
from pydantic import (AfterValidator, Field, StringConstraints, ValidationInfo, WithJsonSchema,
                      field_validator, model_validator)

from reconciler.config.fields import StrictModel, check_no_control_characters
from reconciler.kinds.base import Desired, FilterIdentity, Live, LogGroupFilter
from reconciler.kinds.common import for_each, read_owned_tags
from reconciler.kinds.filter_pattern import FilterPattern
from reconciler.kinds.metric_filters import resource_name
from reconciler.ownership import is_owned_by

MAX_FILTERS_PER_LOG_GROUP = 2  # see the module docstring
PAGE_SIZE = 50  # DescribeSubscriptionFilters limit
DEFAULT_DISTRIBUTION = "ByLogStream"
_DESTINATION = re.compile(
    r"^arn:aws[a-z-]*:(?:"
    r"kinesis:[a-z0-9-]+:[0-9]{12}:stream/[A-Za-z0-9_.-]{1,128}"
    r"|firehose:[a-z0-9-]+:[0-9]{12}:deliverystream/[A-Za-z0-9_.-]{1,64}"
    r"|lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?"
    r"|logs:[a-z0-9-]+:[0-9]{12}:destination:[^:*]{1,512}"
    r")$")
_ROLE_ARN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$"
_SERVICE_NAMES = {"firehose": "Firehose delivery stream", "lambda": "Lambda function"}


def check_filter_name(name: str) -> str:
    # PutSubscriptionFilter filterName: 1-512 characters matching [^:*]*.
    if not 1 <= len(name) <= 512 or ":" in name or "*" in name:
        raise ValueError(f"subscription filter name {name!r} must be 1-512 characters without "
                         "':' or '*'")
    return check_no_control_characters(name)


def check_destination(arn: str) -> str:
    if not _DESTINATION.fullmatch(arn):
        raise ValueError(
            f"destination_arn {arn!r} is not a subscription destination: use the ARN of a "
            "Kinesis stream (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME), a Firehose delivery "
            "stream (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME), a Lambda function "
            "(arn:aws:lambda:REGION:ACCOUNT:function:NAME) or a logs destination "
            "(arn:aws:logs:REGION:ACCOUNT:destination:NAME)")
    return arn


def destination_service(arn: str) -> str:
    # The service is an ARN's third field; the plain pattern (no named groups) stays a valid
    # ECMA-262 regex for the JSON Schema.
    return arn.split(":", 3)[2]


SubscriptionFilterName = Annotated[str, AfterValidator(check_filter_name), WithJsonSchema(
    {"type": "string", "pattern": "^[^:*]{1,512}$"})]
DestinationArn = Annotated[str, StringConstraints(max_length=2048), AfterValidator(check_destination),
                           WithJsonSchema({"type": "string", "pattern": _DESTINATION.pattern})]


class SubscriptionFilterConfig(StrictModel):
    pattern: FilterPattern
    """CloudWatch Logs filter pattern selecting the events sent; "" sends every event."""
    destination_arn: DestinationArn
    """ARN of the Kinesis stream, Firehose delivery stream, Lambda function or logs destination."""
    role_arn: Annotated[str, StringConstraints(max_length=2048, pattern=_ROLE_ARN)] | None = None
    """IAM role CloudWatch Logs assumes to write to a Kinesis or Firehose destination."""
    distribution: Literal["ByLogStream", "Random"] | None = None
    """How events spread over a Kinesis stream's shards: ByLogStream (default) or Random."""

    @model_validator(mode="after")
    def _role_fits_destination(self):
        service = destination_service(self.destination_arn)
        if service in ("kinesis", "firehose") and self.role_arn is None:
            raise ValueError(f"a {service} destination needs `role_arn`: the IAM role CloudWatch "
                             "Logs assumes to write to it")
        if service == "lambda" and self.role_arn is not None:
            raise ValueError("a Lambda destination takes no `role_arn` (the function's resource "
                             "policy grants CloudWatch Logs access); remove it")
        return self

    @field_validator("distribution")
    @classmethod
    def _distribution_only_for_kinesis(cls, distribution, info: ValidationInfo):
        # PutSubscriptionFilter: "only applicable when the destination is a Kinesis Data
        # Streams stream". A logs destination may forward to one, so it may set it.
        destination = info.data.get("destination_arn")
        service = destination and destination_service(destination)
        if distribution is not None and service in _SERVICE_NAMES:
            raise ValueError(f"applies only to a Kinesis stream destination, not "
                             f"to a {_SERVICE_NAMES[service]}; remove it")
        return distribution


SubscriptionFilterMap = Annotated[dict[SubscriptionFilterName, SubscriptionFilterConfig],
                                  Field(max_length=MAX_FILTERS_PER_LOG_GROUP)]


def comparable_filter(log_group: str, pattern: str, destination_arn: str, role_arn: str | None,
                      distribution: str | None) -> dict:
    spec = {"log_group": log_group, "pattern": pattern.strip(), "destination_arn": destination_arn,
            "distribution": distribution or DEFAULT_DISTRIBUTION}
    if role_arn:
        spec["role_arn"] = role_arn
    return spec


def log_group_of(arn: str) -> str:
    """`arn:aws:logs:R:A:log-group:NAME[:*]` -> NAME."""
    return arn.split(":log-group:", 1)[1].removesuffix(":*")


def filter_config(spec: dict) -> dict:
    """The `subscription_filters` entry a person would write for a comparable form."""
    entry = {"pattern": spec["pattern"],
             "destination_arn": spec["destination_arn"]}
    if "role_arn" in spec:
        entry["role_arn"] = spec["role_arn"]
    if spec.get("distribution", DEFAULT_DISTRIBUTION) != DEFAULT_DISTRIBUTION:
        entry["distribution"] = spec["distribution"]
    return entry


class SubscriptionFilters(LogGroupFilter):
    iam_read = ("logs:DescribeSubscriptionFilters", "tag:GetResources")
    iam_write = ("logs:PutSubscriptionFilter", "logs:DeleteSubscriptionFilter", "iam:PassRole")

    def iam_resources(self, stack, scope, names):
        # Also the roles passed to CloudWatch Logs, and Logs destinations (other accounts').
        filters = [f for group in stack.section("log_groups").values()
                   for f in group.subscription_filters.values()]
        return (super().iam_resources(stack, scope, names) + [f.role_arn for f in filters if f.role_arn]
                + [f.destination_arn for f in filters if f.destination_arn.split(":")[2] == "logs"])

    # One writer per log group also because AWS checks the per-group limit of 2 against
    # the group's filters.
    name = "subscription_filters"

    def desired(self, stack, scope):
        return {
            resource_name(group_name, filter_name): Desired(
                resource_name(group_name, filter_name),
                comparable_filter(group_name, config.pattern, config.destination_arn,
                                  config.role_arn, config.distribution),
                location=stack.locate("log_groups", group_name, "subscription_filters", filter_name))
            for group_name, group in stack.section("log_groups").items()
            for filter_name, config in group.subscription_filters.items()
        }

    def read_filters(self, aws, stack):
        declared = {name for name, group in stack.section("log_groups").items()
                    if group.subscription_filters}
        # No account-wide listing exists: one call per log group. Filters cannot be tagged, so
        # the stack owns (and may prune) only names matching its `prune` patterns; without
        # patterns there is nothing to prune and only the declaring groups are read.
        owned = set()
        if stack.prune_patterns(self.name):
            owned = {log_group_of(arn) for arn, tags in read_owned_tags(aws, "logs:log-group").items()
                     if is_owned_by(tags, stack.name)}
        logs = aws.client("logs")
        live = {}
        for filters in for_each(sorted(declared | owned), lambda group: read_group(logs, group)):
            for item in filters:
                name = resource_name(item["logGroupName"], item["filterName"])
                live[name] = Live(name, comparable_filter(
                    item["logGroupName"], item.get("filterPattern", ""), item["destinationArn"],
                    item.get("roleArn"), item.get("distribution")),
                    identity=FilterIdentity(log_group=item["logGroupName"], filter_name=item["filterName"]))
        return live

    def put(self, logs, group, filter_name, spec):
        optional = {"roleArn": spec["role_arn"]} if "role_arn" in spec else {}
        logs.put_subscription_filter(
            logGroupName=group, filterName=filter_name, filterPattern=spec["pattern"],
            destinationArn=spec["destination_arn"], distribution=spec["distribution"], **optional)

    def remove(self, logs, group, filter_name):
        logs.delete_subscription_filter(logGroupName=group, filterName=filter_name)


def read_group(logs, group: str) -> list[dict]:
    """Every subscription filter of one log group (there is no account-wide listing)."""
    pages = logs.get_paginator("describe_subscription_filters").paginate(
        logGroupName=group, PaginationConfig={"PageSize": PAGE_SIZE})
    try:
        return [item for page in pages for item in page["subscriptionFilters"]]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return []  # declared on a log group that this apply creates
        raise

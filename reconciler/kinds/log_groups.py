"""CloudWatch Logs log groups: retention, KMS key and tags (metric and subscription filters and
anomaly detectors are their own kinds).

What an omitted field means — obsctl manages only what the config writes down:
- `retention_days` omitted: retention is not managed; whatever the group has stays, and no
  diff is shown either way (log groups are often created by AWS services and adopted later).
  `retention_days: never` manages it as "never expire" (DeleteRetentionPolicy).
- `kms_key_id` omitted: the KMS association is not managed either. `kms_key_id: <key ARN>`
  associates that key; an explicit `kms_key_id: null` manages it as "no customer key"
  (DisassociateKmsKey), the counterpart of `never`.
- `tags` are always managed (they carry the `obsctl:stack` ownership tag).

Comparable form: {"retention_days": int | "never", "kms_key_id": str | None, "tags": {...}},
with only the managed keys on the desired side; `comparable()` narrows live to those keys.

Live state: DescribeLogGroups, 50 a page; `retentionInDays` is absent when logs never expire.
It returns two ARNs: `arn` ends in `:*` (for IAM policies), `logGroupArn` has none and is the
one TagResource/UntagResource and the tagging API use. Tags come in bulk from the tagging API.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal, NotRequired, TypedDict

from pydantic import (AfterValidator, PlainValidator, StringConstraints, WithJsonSchema,
                      model_validator)

from reconciler import iam
from reconciler.config.fields import StrictModel, Tags
from reconciler.kinds.base import Kind, Live
from reconciler.kinds.common import (concurrently, desired_tags, for_each, listing_part,
                                     read_owned_tags, sync_tags)
from reconciler.kinds.filter_pattern import MAX_REGEX_PATTERNS_PER_LOG_GROUP, uses_regex
from reconciler.kinds.log_anomaly_detectors import KIND as DETECTORS
from reconciler.kinds.log_anomaly_detectors import AnomalyDetectionConfig, detection_config
from reconciler.kinds.log_anomaly_detectors import importable as importable_detectors
from reconciler.kinds.metric_filters import MetricFilterMap, filter_config
from reconciler.kinds.subscription_filters import SubscriptionFilterMap, comparable_filter, read_group
from reconciler.kinds.subscription_filters import filter_config as subscription_config

if TYPE_CHECKING:
    from reconciler.config.stack import Stack

NEVER = "never"
# The values PutRetentionPolicy accepts (API reference, retentionInDays). The botocore model
# has no enum for them, and moto accepts any number, so this list is the only check.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)


def check_retention(value):
    # `type(...) is int`: strict, so neither True nor 30.0 nor "30" passes as 30.
    if value == NEVER or (type(value) is int and value in RETENTION_DAYS):
        return value
    accepted = f"use one of {', '.join(map(str, RETENTION_DAYS))}, or {NEVER}"
    if value is None:
        raise ValueError(f"retention_days is empty; {accepted} (or leave the key out to keep "
                         "whatever retention the log group has)")
    quoted = isinstance(value, str) and value.strip().isdigit()
    note = " (write the number without quotes)" if quoted else ""
    raise ValueError(f"retention_days {value!r}{note} is not accepted by CloudWatch Logs; {accepted}")


_LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
_KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]{1,128}")


def check_log_group_name(name: str) -> str:
    # CreateLogGroup: 1-512 chars of [.-_/#A-Za-z0-9], "can't start with aws/" (reserved
    # for AWS services' own groups).
    if not _LOG_GROUP_NAME.fullmatch(name):
        raise ValueError(f"log group name {name!r} must be 1-512 characters of letters, digits "
                         "and . - _ / #")
    if name.startswith("aws/"):
        raise ValueError(f"log group name {name!r} cannot start with 'aws/'")
    return name


def check_kms_key_arn(arn: str) -> str:
    # AssociateKmsKey / CreateLogGroup take the key's ARN, not an alias or a bare key id.
    if not _KMS_KEY_ARN.fullmatch(arn):
        raise ValueError(f"kms_key_id {arn!r} must be a KMS key ARN like "
                         "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (not an alias or a key id)")
    return arn


Retention = Annotated[int | str, PlainValidator(
    check_retention, json_schema_input_type=Literal[RETENTION_DAYS + (NEVER,)])]
# Checked by functions for readable errors; the JSON Schema (editor completion) gets the regex.
LogGroupName = Annotated[str, AfterValidator(check_log_group_name), WithJsonSchema(
    {"type": "string", "pattern": r"^(?!aws/)[.\-_/#A-Za-z0-9]{1,512}$"})]
KmsKeyArn = Annotated[str, StringConstraints(max_length=256), AfterValidator(check_kms_key_arn),
                      WithJsonSchema({"type": "string", "pattern": f"^{_KMS_KEY_ARN.pattern}$"})]


class LogGroupConfig(StrictModel):
    """A CloudWatch Logs log group with its retention, encryption, metric and subscription filters."""

    retention_days: Retention = None  # None: not managed (an explicit null is rejected)
    """Days log events are kept (a CloudWatch Logs retention value); default retention is not managed."""
    kms_key_id: KmsKeyArn | None = None  # managed only when written (see module docstring)
    """ARN of the KMS key that encrypts the log group; managed only when set."""
    tags: Tags = {}
    """Tags of this log group, added to the stack's tags."""
    metric_filters: MetricFilterMap = {}
    """Metric filters of this log group, keyed by filter name."""
    subscription_filters: SubscriptionFilterMap = {}
    """Subscription filters of this log group (at most 2), keyed by filter name."""
    anomaly_detection: AnomalyDetectionConfig | None = None
    """CloudWatch Logs anomaly detector on this log group (its own kind); default none."""

    @model_validator(mode="after")
    def _regex_quota(self):
        with_regex = [name for filters in (self.metric_filters, self.subscription_filters)
                      for name, config in filters.items() if uses_regex(config.pattern)]
        if len(with_regex) > MAX_REGEX_PATTERNS_PER_LOG_GROUP:
            raise ValueError(f"{len(with_regex)} filter patterns of this log group use a regex "
                             f"({', '.join(map(repr, with_regex))}); CloudWatch Logs allows "
                             f"at most {MAX_REGEX_PATTERNS_PER_LOG_GROUP} per log group")
        return self


def desired_spec(config: LogGroupConfig, tags: dict[str, str]) -> dict:
    spec: dict = {}
    if config.retention_days is not None:
        spec["retention_days"] = config.retention_days
    if "kms_key_id" in config.model_fields_set:
        spec["kms_key_id"] = config.kms_key_id
    spec["tags"] = tags
    return spec


def live_spec(group: dict, tags: dict[str, str]) -> dict:
    return {"retention_days": group.get("retentionInDays", NEVER),
            "kms_key_id": group.get("kmsKeyId"),
            "tags": tags}


def tagging_arn(group: dict) -> str:
    # `logGroupArn` is newer than `arn`; both name the group, only the suffix differs.
    return group.get("logGroupArn") or group["arn"].removesuffix(":*")


class LogGroupIdentity(TypedDict):
    arn: str
    # Import reads only: the group's filters (comparable forms by filter name), which the
    # import writes inside the group's entry.
    metric_filters: NotRequired[dict[str, dict]]
    subscription_filters: NotRequired[dict[str, dict]]
    anomaly_detector: NotRequired[Live]  # the one the import writes, if any


class LogGroups(Kind):
    iam_read = ("logs:DescribeLogGroups", "logs:ListTagsForResource", "tag:GetResources")
    iam_write = ("logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
                 "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource",
                 "logs:UntagResource", "logs:DeleteLogGroup")

    def iam_resources(self, stack, scope, names):
        return iam.log_group_arns(scope, names)

    name = "log_groups"
    section = "log_groups"
    entry_model = LogGroupConfig
    name_type = LogGroupName
    holds_data = True  # deleting a log group deletes its events

    def spec(self, entry, stack, scope):
        return desired_spec(entry, desired_tags(stack, entry.tags))

    def comparable(self, live_spec, desired_spec):
        return {key: live_spec[key] for key in desired_spec}

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        if not owned_only:
            return self._importable(aws, stack, name_prefix)
        return self._read(aws, owned_only=True, stack=stack)

    def _read(self, aws, owned_only: bool, stack: Stack | None = None) -> dict[str, Live]:
        """Every log group, or with `stack` the part of them its plan needs (stack_part)."""
        # Keyed by the ARN without `:*`, whichever of the two forms the tagging API answers.
        paginator = aws.client("logs").get_paginator("describe_log_groups")
        read = concurrently(
            groups=lambda: aws.read_once("logs:log-groups", lambda: [
                group for page in paginator.paginate(PaginationConfig={"PageSize": 50})
                for group in page["logGroups"]]),
            tags=lambda: aws.read_once(("logs:log-group tags by arn", owned_only), lambda: {
                arn.removesuffix(":*"): group_tags for arn, group_tags
                in read_owned_tags(aws, "logs:log-group", owned_only).items()}))
        groups, tags = read["groups"], read["tags"]
        if stack is not None:
            groups = listing_part(aws, stack, self.name, groups, tags,
                                  lambda group: group["logGroupName"], tagging_arn)
        live = {}
        for group in groups:
            arn, name = tagging_arn(group), group["logGroupName"]
            live[name] = Live(name, live_spec(group, tags.get(arn, {})), tags=tags.get(arn),
                              identity=LogGroupIdentity(arn=arn))
        return live

    def _importable(self, aws, stack, prefix: str) -> dict[str, Live]:
        """Every log group named `prefix`*, with its metric and subscription filters in its
        identity (the filters are imported with their group)."""
        from reconciler.kinds import KINDS  # the registry imports this module

        read = concurrently(groups=lambda: self._read(aws, owned_only=False),
                            filters=lambda: KINDS["metric_filters"].read_live(aws, stack))
        groups = {n: g for n, g in read["groups"].items() if n.startswith(prefix)}
        for live in read["filters"].values():
            group = groups.get(live.identity["log_group"])
            if group:
                group.identity.setdefault("metric_filters", {})[live.identity["filter_name"]] = live.spec
        # No account-wide listing of subscription filters: one call per imported group.
        logs = aws.client("logs")
        for name, filters in zip(sorted(groups), for_each(sorted(groups),
                                                          lambda group: read_group(logs, group))):
            groups[name].identity["subscription_filters"] = {
                item["filterName"]: comparable_filter(name, item.get("filterPattern", ""),
                                                      item["destinationArn"], item.get("roleArn"),
                                                      item.get("distribution"))
                for item in filters}
        for name, detector in importable_detectors(aws, stack, set(groups)).items():
            groups[name].identity["anomaly_detector"] = detector
        return groups

    def adopted_with(self, live):
        detector = live.identity.get("anomaly_detector")
        return [(DETECTORS, live.name)] if detector and detector.owner is None else []

    def to_config(self, live, refs):
        # `never` is spelled out: a log group without `retention_days` leaves retention as
        # it is, so the config would not keep the group never-expiring.
        entry = {key: live.spec[key] for key in ("retention_days", "kms_key_id")
                 if live.spec.get(key) is not None}
        own_tags = refs.own_tags(live.tags)
        if own_tags:
            entry["tags"] = own_tags
        filters = live.identity.get("metric_filters", {})
        if filters:
            entry["metric_filters"] = {name: filter_config(spec) for name, spec in sorted(filters.items())}
        subscriptions = live.identity.get("subscription_filters", {})
        if subscriptions:
            entry["subscription_filters"] = {name: subscription_config(spec)
                                             for name, spec in sorted(subscriptions.items())}
        if live.identity.get("anomaly_detector"):
            entry["anomaly_detection"] = detection_config(live.identity["anomaly_detector"].spec,
                                                          live.name)
        return ("log_groups", live.name), entry

    def create(self, aws, desired):
        logs = aws.client("logs")
        spec = desired.spec
        extra = {"kmsKeyId": spec["kms_key_id"]} if spec.get("kms_key_id") else {}
        logs.create_log_group(logGroupName=desired.name, tags=desired.written_tags, **extra)
        # A new group never expires, so only a number of days needs a call.
        if spec.get("retention_days", NEVER) != NEVER:
            logs.put_retention_policy(logGroupName=desired.name, retentionInDays=spec["retention_days"])

    def update(self, aws, desired, live):
        logs = aws.client("logs")
        wanted, current = desired.spec, live.spec
        if "retention_days" in wanted and wanted["retention_days"] != current["retention_days"]:
            _set_retention(logs, desired.name, wanted["retention_days"])
        if "kms_key_id" in wanted and wanted["kms_key_id"] != current["kms_key_id"]:
            _set_kms_key(logs, desired.name, wanted["kms_key_id"])
        sync_tags(aws, live.identity["arn"], live.tags, desired.written_tags)

    def delete(self, aws, live):
        aws.client("logs").delete_log_group(logGroupName=live.name)


def _set_retention(logs, name: str, days: int | str) -> None:
    if days == NEVER:
        logs.delete_retention_policy(logGroupName=name)
    else:
        logs.put_retention_policy(logGroupName=name, retentionInDays=days)


def _set_kms_key(logs, name: str, key_arn: str | None) -> None:
    # "Associating a KMS key with a log group overrides any existing associations"
    # (AssociateKmsKey API reference): only "no key" needs DisassociateKmsKey.
    if key_arn is None:
        logs.disassociate_kms_key(logGroupName=name)
    else:
        logs.associate_kms_key(logGroupName=name, kmsKeyId=key_arn)

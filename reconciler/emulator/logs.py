"""CloudWatch Logs as the Logs API reference (2014-03-28) describes it.

moto 5.2.5 differs (docs/aws-behaviour.md#moto): no Associate/DisassociateKmsKey; any
retention value accepted; PutMetricFilter adds a duplicate instead of replacing;
DescribeMetricFilters ignores ``limit`` and echoes ``nextToken``; DescribeLogGroups' token
breaks when the next group is deleted; deleting a log group leaves its tags and metric
filters behind. Saved queries (query definitions) live in ``logs_queries``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.core.utils import unix_time_millis, utcnow
from moto.logs.exceptions import (
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from moto.logs.models import LogGroup, LogsBackend
from moto.logs.responses import LogsResponse

from . import _common
from ._common import original, patch

# PutRetentionPolicy retentionInDays: the only values AWS accepts (the model has no enum).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)
# AssociateKmsKey/CreateLogGroup kmsKeyId: "The Amazon Resource Name (ARN) of the KMS key".
_KMS_KEY_ARN = re.compile(r"^arn:aws[-a-z]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_LOG_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_LOG_GROUP_ARN = re.compile(r"^arn:aws[-a-z]*:logs:[a-z0-9-]+:\d{12}:log-group:([^:]+)(?::\*)?$")
_QUERY_RESULT_ARN = re.compile(r"^arn:aws[-a-z]*:logs:[a-z0-9-]+:\d{12}:query-result:\*$")
MAX_METRIC_FILTERS_PER_GROUP = 100
LOG_GROUP_CLASSES = ("STANDARD", "INFREQUENT_ACCESS", "DELIVERY", "ESSENTIALS")


def _constraint(field: str, value: Any, constraint: str) -> InvalidParameterException:
    return InvalidParameterException(constraint=constraint, parameter=field, value=value)


def _limit(resp: LogsResponse, name: str, default: int, maximum: int) -> int:
    value = resp._get_param(name, default)
    if not isinstance(value, int) or value < 1:
        raise _constraint(name, value, "Member must have value greater than or equal to 1")
    if value > maximum:
        raise _constraint(name, value, f"Member must have value less than or equal to {maximum}")
    return value


def _page(resp: LogsResponse, items, key, limit: int, kind: str):
    try:
        return _common.paginate(items, key=key, limit=limit, token=resp._get_param("nextToken"), kind=kind)
    except _common.BadToken:
        raise InvalidParameterException(msg="The specified nextToken is invalid.")


def _check_kms_key(kms_key_id: Any) -> None:
    if not isinstance(kms_key_id, str) or not _KMS_KEY_ARN.match(kms_key_id):
        raise InvalidParameterException(
            msg=f"Specified KMS key ARN is not valid: '{kms_key_id}'. "
            "Expected arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID."
        )


def _group(backend: LogsBackend, name: str) -> LogGroup:
    group = backend.groups.get(name)
    if group is None:
        raise ResourceNotFoundException()
    return group


def _filters_of(backend: LogsBackend, group_name: str) -> list[dict[str, Any]]:
    return [f for f in backend.filters.metric_filters if f["logGroupName"] == group_name]


def group_view(backend: LogsBackend, group: LogGroup) -> dict[str, Any]:
    view = group.to_describe_dict()
    view["metricFilterCount"] = len(_filters_of(backend, group.name))  # moto always says 0
    view["logGroupClass"] = getattr(group, "log_group_class", "STANDARD")
    return view


# -- backend patches ------------------------------------------------------------------------

def _put_metric_filter(self: LogsBackend, filter_name: str, filter_pattern: str, log_group_name: str,
                       metric_transformations: Any) -> None:
    """A filter name is unique within its log group: putting it again replaces it (AWS
    PutMetricFilter "Creates or updates a metric filter")."""
    _group(self, log_group_name)
    entry = {
        "filterName": filter_name,
        "filterPattern": filter_pattern,
        "logGroupName": log_group_name,
        "metricTransformations": metric_transformations,
        "creationTime": int(unix_time_millis(utcnow())),
    }
    filters = self.filters.metric_filters
    for i, f in enumerate(filters):
        if f["logGroupName"] == log_group_name and f["filterName"] == filter_name:
            filters[i] = entry
            return
    if len(_filters_of(self, log_group_name)) >= MAX_METRIC_FILTERS_PER_GROUP:
        raise LimitExceededException()
    filters.append(entry)


def _delete_metric_filter(self: LogsBackend, filter_name: str | None = None, log_group_name: str | None = None) -> None:
    _group(self, log_group_name)
    before = len(self.filters.metric_filters)
    self.filters.metric_filters = [
        f for f in self.filters.metric_filters
        if not (f["logGroupName"] == log_group_name and f["filterName"] == filter_name)
    ]
    if len(self.filters.metric_filters) == before:
        raise ResourceNotFoundException("The specified metric filter does not exist.")


def _delete_log_group(self: LogsBackend, log_group_name: str) -> None:
    group = _group(self, log_group_name)
    original(LogsBackend, "delete_log_group")(self, log_group_name)
    # A log group's metric filters and tags go with it; a re-created group starts clean.
    self.filters.metric_filters = [f for f in self.filters.metric_filters if f["logGroupName"] != log_group_name]
    self.tagger.delete_all_tags_for_resource(group.arn)


# -- response patches -----------------------------------------------------------------------

def create_log_group(self: LogsResponse) -> str:
    name = self._get_param("logGroupName")
    if not isinstance(name, str) or not _LOG_GROUP_NAME.match(name):
        raise _constraint("logGroupName", name, "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
    if name.startswith("aws/"):
        raise InvalidParameterException(msg="Log group names can't start with 'aws/'.")
    if self._get_param("kmsKeyId") is not None:
        _check_kms_key(self._get_param("kmsKeyId"))
    group_class = self._get_param("logGroupClass", "STANDARD")
    if group_class not in LOG_GROUP_CLASSES:
        raise _constraint("logGroupClass", group_class, f"Member must satisfy enum value set: [{', '.join(LOG_GROUP_CLASSES)}]")
    result = original(LogsResponse, "create_log_group")(self)
    self.logs_backend.groups[name].log_group_class = group_class
    return result


def put_retention_policy(self: LogsResponse) -> str:
    days = self._get_param("retentionInDays")
    if days not in RETENTION_DAYS:
        raise _constraint("retentionInDays", days,
                          f"Member must satisfy enum value set: [{', '.join(map(str, RETENTION_DAYS))}]")
    return original(LogsResponse, "put_retention_policy")(self)


def _target_group(self: LogsResponse) -> LogGroup | None:
    """logGroupName or resourceIdentifier (exactly one); None for the query-results target."""
    name, resource = self._get_param("logGroupName"), self._get_param("resourceIdentifier")
    if (name is None) == (resource is None):
        raise InvalidParameterException(msg="Specify either logGroupName or resourceIdentifier, but not both.")
    if resource is not None:
        if _QUERY_RESULT_ARN.match(resource):
            return None
        match = _LOG_GROUP_ARN.match(resource)
        if not match:
            raise InvalidParameterException(msg=f"Invalid resourceIdentifier: {resource}")
        name = match.group(1)
    return _group(self.logs_backend, name)


def associate_kms_key(self: LogsResponse) -> str:
    kms_key_id = self._get_param("kmsKeyId")
    _check_kms_key(kms_key_id)
    group = _target_group(self)
    if group is None:
        self.logs_backend.__dict__["obsctl_query_results_kms_key"] = kms_key_id
    else:
        group.kms_key_id = kms_key_id  # shown as kmsKeyId by DescribeLogGroups
    return ""


def disassociate_kms_key(self: LogsResponse) -> str:
    group = _target_group(self)
    if group is None:
        self.logs_backend.__dict__.pop("obsctl_query_results_kms_key", None)
    else:
        group.kms_key_id = None
    return ""


def describe_log_groups(self: LogsResponse) -> str:
    backend = self.logs_backend
    prefix, pattern = self._get_param("logGroupNamePrefix"), self._get_param("logGroupNamePattern")
    identifiers = self._get_param("logGroupIdentifiers")
    group_class = self._get_param("logGroupClass")
    if prefix is not None and pattern is not None:
        raise InvalidParameterException(
            msg="LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
        )
    if identifiers and (prefix is not None or pattern is not None):
        raise InvalidParameterException(msg="logGroupIdentifiers cannot be combined with other filters.")
    limit = _limit(self, "limit", 50, 50)
    groups = list(backend.groups.values())
    if prefix is not None:
        groups = [g for g in groups if g.name.startswith(prefix)]
    if pattern:
        groups = [g for g in groups if pattern in g.name]  # case-sensitive substring, per the docs
    if identifiers:
        wanted = {i.removesuffix(":*") for i in identifiers}
        groups = [g for g in groups if g.name in wanted or g.arn in wanted]
    if group_class in ("INFREQUENT_ACCESS", "ESSENTIALS"):  # documented: each includes the other
        groups = [g for g in groups if getattr(g, "log_group_class", "STANDARD") in ("INFREQUENT_ACCESS", "ESSENTIALS")]
    elif group_class:
        groups = [g for g in groups if getattr(g, "log_group_class", "STANDARD") == group_class]
    page, token = _page(self, groups, key=lambda g: (g.name,), limit=limit, kind="logs:DescribeLogGroups")
    result: dict[str, Any] = {"logGroups": [group_view(backend, g) for g in page]}
    if token:
        result["nextToken"] = token
    return json.dumps(result)


def describe_metric_filters(self: LogsResponse) -> str:
    backend = self.logs_backend
    group_name = self._get_param("logGroupName")
    prefix = self._get_param("filterNamePrefix")
    metric_name, namespace = self._get_param("metricName"), self._get_param("metricNamespace")
    if (metric_name is None) != (namespace is None):
        missing = "metricNamespace" if namespace is None else "metricName"
        raise InvalidParameterException(
            msg=f"If you include the {'metricName' if missing == 'metricNamespace' else 'metricNamespace'} "
            f"parameter in your request, you must also include the {missing} parameter."
        )
    limit = _limit(self, "limit", 50, 50)
    filters = list(backend.filters.metric_filters)
    if group_name is not None:
        _group(backend, group_name)
        filters = [f for f in filters if f["logGroupName"] == group_name]
        if prefix:  # "uses the value ... only if you also include the logGroupName parameter"
            filters = [f for f in filters if f["filterName"].startswith(prefix)]
    if metric_name is not None:
        filters = [
            f for f in filters
            if any(t.get("metricName") == metric_name and t.get("metricNamespace") == namespace
                   for t in f["metricTransformations"])
        ]
    page, token = _page(self, filters, key=lambda f: (f["logGroupName"], f["filterName"]), limit=limit,
                        kind="logs:DescribeMetricFilters")
    result: dict[str, Any] = {"metricFilters": page}
    if token:
        result["nextToken"] = token
    return json.dumps(result)


def install() -> None:
    patch(LogsBackend, "put_metric_filter", _put_metric_filter)
    patch(LogsBackend, "delete_metric_filter", _delete_metric_filter)
    patch(LogsBackend, "delete_log_group", _delete_log_group)
    patch(LogsResponse, "create_log_group", create_log_group)
    patch(LogsResponse, "put_retention_policy", put_retention_policy)
    patch(LogsResponse, "associate_kms_key", associate_kms_key)
    patch(LogsResponse, "disassociate_kms_key", disassociate_kms_key)
    patch(LogsResponse, "describe_log_groups", describe_log_groups)
    patch(LogsResponse, "describe_metric_filters", describe_metric_filters)
    from . import logs_anomaly, logs_export, logs_filter_pattern, logs_queries

    logs_queries.install()
    logs_anomaly.install()
    logs_export.install()
    logs_filter_pattern.install()

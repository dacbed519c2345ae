"""CloudWatch Logs subscription filters as the Logs API reference describes them.

moto 5.2.5 checks the destination (the Kinesis stream, Firehose stream or Lambda function must
exist, as AWS's test delivery requires) but differs elsewhere: it ignores ``distribution``
(always reports ByLogStream), refuses to *update* a filter once a log group has two (the
limit applies to new filters only: "Each log group can have up to two subscription filters
associated with it. If you are updating an existing filter, you must specify the correct name
in filterName"), validates no field, and DescribeSubscriptionFilters ignores
``filterNamePrefix``, ``limit`` (1..50, default 50) and ``nextToken``."""

from __future__ import annotations

import json
from typing import Any

from moto.logs.exceptions import InvalidParameterException, LimitExceededException
from moto.logs.models import LogGroup, SubscriptionFilter
from moto.logs.responses import LogsResponse

from ._common import original, patch
from .logs import _constraint, _group, _limit, _page

MAX_FILTERS_PER_GROUP = 2
DISTRIBUTIONS = ("Random", "ByLogStream")
DEFAULT_DISTRIBUTION = "ByLogStream"


def _put_filter(self: LogGroup, filter_name: str, filter_pattern: str, destination_arn: str,
                role_arn: str) -> None:
    """Create, or replace the filter of that name; only a new filter counts against the limit."""
    existing = self.subscription_filters.get(filter_name)
    if existing is not None:
        existing.update(filter_pattern, destination_arn, role_arn)
        return
    if len(self.subscription_filters) >= MAX_FILTERS_PER_GROUP:
        raise LimitExceededException()
    self.subscription_filters[filter_name] = SubscriptionFilter(
        name=filter_name, log_group_name=self.name, filter_pattern=filter_pattern,
        destination_arn=destination_arn, role_arn=role_arn)


def _filter_view(self: SubscriptionFilter) -> dict[str, Any]:
    view = original(SubscriptionFilter, "to_json")(self)
    view["distribution"] = getattr(self, "obsctl_distribution", DEFAULT_DISTRIBUTION)
    if not view.get("roleArn"):
        view.pop("roleArn", None)  # AWS leaves out a role that was never given (Lambda)
    return view


def _check_name(value: Any) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= 512:
        raise _constraint("filterName", value, "Member must have length between 1 and 512")
    if ":" in value or "*" in value:
        raise _constraint("filterName", value, "Member must satisfy regular expression pattern: [^:*]*")


def put_subscription_filter(self: LogsResponse) -> str:
    group_name, filter_name = self._get_param("logGroupName"), self._get_param("filterName")
    pattern, destination = self._get_param("filterPattern"), self._get_param("destinationArn")
    distribution = self._get_param("distribution") or DEFAULT_DISTRIBUTION
    _check_name(filter_name)
    if not isinstance(pattern, str) or len(pattern) > 1024:
        raise _constraint("filterPattern", pattern, "Member must have length less than or equal to 1024")
    if not destination:
        raise InvalidParameterException(msg="destinationArn is required.")
    if distribution not in DISTRIBUTIONS:
        raise _constraint("distribution", distribution,
                          f"Member must satisfy enum value set: [{', '.join(DISTRIBUTIONS)}]")
    # moto's backend checks the log group and that the destination exists, then calls the
    # patched LogGroup.put_subscription_filter.
    self.logs_backend.put_subscription_filter(group_name, filter_name, pattern, destination,
                                              self._get_param("roleArn"))
    stored = _group(self.logs_backend, group_name).subscription_filters[filter_name]
    stored.obsctl_distribution = distribution  # a put replaces the whole filter
    return ""


def describe_subscription_filters(self: LogsResponse) -> str:
    group = _group(self.logs_backend, self._get_param("logGroupName"))
    limit = _limit(self, "limit", 50, 50)
    prefix = self._get_param("filterNamePrefix") or ""
    # "The results are ASCII-sorted by filter name."
    filters = [f for f in group.subscription_filters.values() if f.name.startswith(prefix)]
    page, token = _page(self, filters, key=lambda f: (f.name,), limit=limit,
                        kind="logs:DescribeSubscriptionFilters")
    result: dict[str, Any] = {"subscriptionFilters": [f.to_json() for f in page]}
    if token:
        result["nextToken"] = token
    return json.dumps(result)


def install() -> None:
    patch(LogGroup, "put_subscription_filter", _put_filter)
    patch(SubscriptionFilter, "to_json", _filter_view)
    patch(LogsResponse, "put_subscription_filter", put_subscription_filter)
    patch(LogsResponse, "describe_subscription_filters", describe_subscription_filters)

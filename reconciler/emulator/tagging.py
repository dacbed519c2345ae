"""Resource Groups Tagging API: resource types and page sizes as AWS has them.

GetResources' ResourceTypeFilters use ``service:resource-type`` from the ARN format; for
CloudWatch Logs that is ``logs:log-group`` (ARN ``arn:aws:logs:REGION:ACCOUNT:log-group:NAME``).
moto 5.2.5 labels log groups ``logs:loggroup``, so the AWS filter matched nothing.

moto lists EventBridge event buses but not rules (``events:rule``, ARN
``arn:aws:events:REGION:ACCOUNT:rule/[BUS/]NAME``), which AWS's GetResources covers.

moto also cuts pages one resource short (it stops when the tag count *reaches* TagsPerPage,
and applies a TagsPerPage of 100 even when the caller did not ask for one), and its tokens
die after one use."""

from __future__ import annotations

from collections.abc import Iterator

from typing import Any

from moto.core.resource_tagging import TaggedResource
from moto.core.responses import ActionResult
from moto.events.models import EventsBackend
from moto.logs.models import LogsBackend
from moto.moto_api._internal import mock_random
from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError
from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

from ._common import patch


def _log_group_resources(self: LogsBackend) -> Iterator[TaggedResource]:
    for group in self.groups.values():
        yield TaggedResource(
            arn=group.arn,
            tags=self.tagger.get_tag_dict_for_resource(group.arn),
            resource_type="logs:log-group",
        )


def _event_resources(self: EventsBackend) -> Iterator[TaggedResource]:
    for bus in self.event_buses.values():
        yield TaggedResource(arn=bus.arn, tags=self.tagger.get_tag_dict_for_resource(bus.arn),
                             resource_type="events:event-bus")
        for rule in bus.rules.values():
            yield TaggedResource(arn=rule.arn, tags=self.tagger.get_tag_dict_for_resource(rule.arn),
                                 resource_type="events:rule")


def _get_resources(
    self: ResourceGroupsTaggingAPIBackend,
    pagination_token: str | None = None,
    resources_per_page: int = 50,
    tags_per_page: int | None = None,
    tag_filters: list[dict[str, Any]] | None = None,
    resource_type_filters: list[str] | None = None,
    resource_arn_list: list[str] | None = None,
) -> tuple[str | None, list[TaggedResource]]:
    """GetResources reference: a page holds at most ResourcesPerPage resources and, when
    TagsPerPage is given, at most that many tags, "a resource with no tags is counted as having
    one tag", and a resource is never split across pages."""
    if pagination_token:
        if pagination_token not in self._pages:
            raise ResourceGroupsTaggingAPIError("PaginationTokenExpiredException", "Token does not exist")
        remaining = self._pages[pagination_token]
    else:
        remaining = list(self._get_resources_generator(
            tag_filters=tag_filters, resource_type_filters=resource_type_filters,
            resource_arn_list=resource_arn_list,
        ))
    page: list[TaggedResource] = []
    tags = 0
    for resource in remaining:
        weight = max(1, len(resource.tags))
        if len(page) >= resources_per_page or (tags_per_page and page and tags + weight > tags_per_page):
            break
        page.append(resource)
        tags += weight
    rest = remaining[len(page):]
    if not rest:
        return None, page
    token = str(mock_random.uuid4())
    self._pages[token] = rest  # kept, so a retried request with the same token still works
    return token, page


def get_resources(self: ResourceGroupsTaggingAPIResponse) -> ActionResult:
    tags_per_page = self._get_int_param("TagsPerPage")  # None: no tag limit (moto assumed 100)
    per_page = self._get_int_param("ResourcesPerPage", 50)
    if tags_per_page is not None and not 100 <= tags_per_page <= 500:
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "TagsPerPage must be between 100 and 500")
    if not 1 <= per_page <= 100:
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
    token, resources = self.backend.get_resources(
        pagination_token=self._get_param("PaginationToken"),
        resources_per_page=per_page,
        tags_per_page=tags_per_page,
        tag_filters=self._get_param("TagFilters", []),
        resource_type_filters=self._get_param("ResourceTypeFilters", []),
        resource_arn_list=self._get_param("ResourceARNList", []),
    )
    return ActionResult({
        "ResourceTagMappingList": [
            {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]}
            for r in resources
        ],
        "PaginationToken": token or "",  # AWS answers an empty token on the last page
    })


def install() -> None:
    patch(LogsBackend, "iter_tagged_resources", _log_group_resources)
    patch(EventsBackend, "iter_tagged_resources", _event_resources)
    patch(ResourceGroupsTaggingAPIBackend, "get_resources", _get_resources)
    patch(ResourceGroupsTaggingAPIResponse, "get_resources", get_resources)

"""Helpers several kinds share: ownership tags, bulk tag reads and tag writes, reference
resolution, hints.

Tag reads leave out AWS's own tags (`aws:...`, e.g. what CloudFormation puts on resources it
created): the config may not name them and nobody but AWS may remove them, so they are no part
of the comparable form, and an apply never tries to untag them.
"""

from __future__ import annotations

import fnmatch
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, Iterable, TypeVar

from reconciler.config.tags import is_aws_tag_key
from reconciler.diagnostics import did_you_mean
from reconciler.ownership import OWNER_TAG, owner_of

if TYPE_CHECKING:
    from reconciler.aws import AwsContext, Scope
    from reconciler.config.stack import Stack


T = TypeVar("T")
R = TypeVar("R")
# Per-resource reads (no batch API exists) run at most this many at a time per kind.
PER_RESOURCE_READERS = 8


def concurrently(**reads: Callable[[], R]) -> dict[str, R]:
    """Run independent reads (e.g. a describe paginator and the bulk tag read) at once."""
    with ThreadPoolExecutor(max_workers=len(reads)) as pool:
        futures = {name: pool.submit(read) for name, read in reads.items()}
        return {name: future.result() for name, future in futures.items()}


def for_each(items: Iterable[T], read: Callable[[T], R]) -> list[R]:
    """One read per item, for APIs without a batched form, a few at a time."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(PER_RESOURCE_READERS, len(items))) as pool:
        return list(pool.map(read, items))


class KeyedLocks:
    """One lock per key (e.g. per log group), created on first use; thread-safe."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def sync_tags(aws: "AwsContext", arn: str, before: dict[str, str] | None,
              after: dict[str, str]) -> None:
    """Turn a resource's tags from `before` into `after` through its service's tagging calls
    (the ARN names the service, as for `list_tags`). Put/Delete alarm APIs ignore Tags on
    update (docs/aws-behaviour.md): every kind changes tags this way."""
    to_set, to_remove = tag_delta(before, after)
    if not (to_set or to_remove):
        return
    service = arn.split(":", 3)[2]
    client = aws.client(service)
    if service == "logs":
        if to_set:
            client.tag_resource(resourceArn=arn, tags=to_set)
        if to_remove:
            client.untag_resource(resourceArn=arn, tagKeys=to_remove)
        return
    if service == "oam":  # tags as a map, as for logs
        if to_set:
            client.tag_resource(ResourceArn=arn, Tags=to_set)
        if to_remove:
            client.untag_resource(ResourceArn=arn, TagKeys=to_remove)
        return
    if service == "sagemaker":
        if to_set:
            client.add_tags(ResourceArn=arn, Tags=tag_list(to_set))
        if to_remove:
            client.delete_tags(ResourceArn=arn, TagKeys=to_remove)
        return
    arn_key = "ResourceArn" if service == "sns" else "ResourceARN"  # cloudwatch, events
    if to_set:
        client.tag_resource(**{arn_key: arn}, Tags=tag_list(to_set))
    if to_remove:
        client.untag_resource(**{arn_key: arn}, TagKeys=to_remove)


def desired_tags(stack: "Stack", own: dict[str, str] | None = None) -> dict[str, str]:
    """Stack tags, then the resource's own, then the ownership tag (which nobody overrides)."""
    return {**stack.tags, **(own or {}), OWNER_TAG: stack.name}


def read_owned_tags(aws: "AwsContext", resource_type: str,
                    owned_only: bool = True) -> dict[str, dict[str, str]]:
    """Tags of every resource of `resource_type` that carries an ownership tag (or, for an
    import, any tag), by ARN.

    One Resource Groups Tagging API page covers 100 resources; the per-resource
    ListTagsForResource calls are limited to 10/s (docs/aws-behaviour.md#tags).
    """
    def load():
        paginator = aws.client("resourcegroupstaggingapi").get_paginator("get_resources")
        owner_filter = {"TagFilters": [{"Key": OWNER_TAG}]} if owned_only else {}
        pages = paginator.paginate(ResourceTypeFilters=[resource_type], ResourcesPerPage=100,
                                   **owner_filter)
        return {
            item["ResourceARN"]: {t["Key"]: t["Value"] for t in item.get("Tags", [])
                                  if not is_aws_tag_key(t["Key"])}
            for page in pages for item in page.get("ResourceTagMappingList", [])
        }
    return aws.read_once(("tags", resource_type, owned_only), load)


def stack_part(stack: "Stack", kind_name: str) -> Callable[[str, dict | None], bool]:
    """(name, tags) -> does a plan of `stack` need this listed resource of `kind_name`?

    A listing is shared by every stack of the account-region (aws.SharedReads); each stack
    normalizes only its part: what it declares or owns (tagged with its name). A plan never
    acts on the rest. Every resource when a section of the stack generates resources of the
    kind: their names are known only after discovery."""
    from reconciler.kinds import KINDS  # the registry imports this module

    if _generated_in(stack, kind_name):
        return lambda name, tags: True
    declared = set(KINDS[kind_name].declared_names(stack))
    return lambda name, tags: name in declared or owner_of(tags) == stack.name


class _ListingIndex:
    """A shared listing's positions by name and by owner: each stack finds its part (see
    `stack_part`) by lookups instead of scanning the whole listing, so a run of many stacks
    costs what one listing costs, not stacks x listing."""

    def __init__(self, listing: list, tags: dict, name_of: Callable, arn_of: Callable) -> None:
        self.listing, self.tags = listing, tags
        self.by_name: dict[str, list[int]] = {}
        self.by_owner: dict[str, list[int]] = {}
        for position, item in enumerate(listing):
            self.by_name.setdefault(name_of(item), []).append(position)
            owner = owner_of(tags.get(arn_of(item)))
            if owner is not None:
                self.by_owner.setdefault(owner, []).append(position)

    def part(self, stack: "Stack", kind_name: str) -> list:
        from reconciler.kinds import KINDS  # the registry imports this module

        if _generated_in(stack, kind_name):
            return self.listing
        positions = set(self.by_owner.get(stack.name, ()))
        for name in KINDS[kind_name].declared_names(stack):
            positions.update(self.by_name.get(name, ()))
        return [self.listing[position] for position in sorted(positions)]


def listing_part(aws: "AwsContext", stack: "Stack", kind_name: str, listing: list,
                 tags: dict[str, dict[str, str]], name_of: Callable, arn_of: Callable) -> list:
    """The items of `listing` (shared by the stacks of an account-region, with their `tags`
    by `arn_of(item)`) that a plan of `stack` needs, by the rule of `stack_part`, in listing
    order. The index behind it is built once per listing and run."""
    def index():
        return _ListingIndex(listing, tags, name_of, arn_of)

    shared = aws.read_once(("listing index", id(listing), id(tags)), index)
    if shared.listing is not listing or shared.tags is not tags:  # not shared: nothing to reuse
        shared = index()
    return shared.part(stack, kind_name)


def _generated_in(stack: "Stack", kind_name: str) -> bool:
    from reconciler.kinds import KINDS  # the registry imports this module

    return any(kind_name in g.generates and g.section and stack.section(g.section)
               for g in KINDS.values())


def list_tags(aws: "AwsContext", arn: str) -> dict[str, str]:
    """One resource's tags from its own service (ListTagsForResource or SageMaker's ListTags):
    read-after-write consistent, unlike the tagging API (see engine.confirm_tags)."""
    service = arn.split(":", 3)[2]
    client = aws.client(service)
    if service in ("logs", "oam"):  # tags as a map
        tags = (client.list_tags_for_resource(resourceArn=arn.removesuffix(":*"))["tags"]
                if service == "logs" else client.list_tags_for_resource(ResourceArn=arn)["Tags"])
        return {key: value for key, value in tags.items() if not is_aws_tag_key(key)}
    if service == "sagemaker":
        pages = client.get_paginator("list_tags").paginate(ResourceArn=arn)
        listed = [tag for page in pages for tag in page["Tags"]]
    elif service == "sns":
        listed = client.list_tags_for_resource(ResourceArn=arn)["Tags"]
    else:  # cloudwatch, events
        listed = client.list_tags_for_resource(ResourceARN=arn)["Tags"]
    return {tag["Key"]: tag["Value"] for tag in listed if not is_aws_tag_key(tag["Key"])}


def describe_all_alarms(aws: "AwsContext") -> dict[str, list[dict]]:
    """Metric and composite alarms from one DescribeAlarms listing (100 a page), shared by
    the two kinds: {"MetricAlarms": [...], "CompositeAlarms": [...]}."""
    def load():
        paginator = aws.client("cloudwatch").get_paginator("describe_alarms")
        found: dict[str, list[dict]] = {"MetricAlarms": [], "CompositeAlarms": []}
        for page in paginator.paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                                       PaginationConfig={"PageSize": 100}):
            for key, alarms in found.items():
                alarms.extend(page.get(key, []))
        return found
    return aws.read_once("describe_alarms", load)


ALARM_NAMES_PER_CALL = 100  # DescribeAlarms AlarmNames


def existing_alarms(aws: "AwsContext", names: list[str]) -> set[str]:
    """Which of `names` are alarms now, metric or composite (they share one namespace): one
    DescribeAlarms per 100 names."""
    cloudwatch, found = aws.client("cloudwatch"), set()
    for start in range(0, len(names), ALARM_NAMES_PER_CALL):
        pages = cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNames=names[start:start + ALARM_NAMES_PER_CALL],
            AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        found.update(alarm["AlarmName"] for page in pages
                     for key in ("MetricAlarms", "CompositeAlarms") for alarm in page.get(key, []))
    return found


def alarms_and_tags(aws: "AwsContext", alarm_type: str, owned_only: bool
                    ) -> tuple[list[dict], dict[str, dict[str, str]]]:
    """`alarm_type` ("MetricAlarms" or "CompositeAlarms") from the shared DescribeAlarms
    listing, and the alarms' tags by ARN (DescribeAlarms returns none), read concurrently."""
    read = concurrently(alarms=lambda: describe_all_alarms(aws)[alarm_type],
                        tags=lambda: read_owned_tags(aws, "cloudwatch:alarm", owned_only))
    return read["alarms"], read["tags"]


def alarms_part(aws: "AwsContext", stack: "Stack", kind_name: str, alarms: list[dict],
                tags: dict[str, dict[str, str]]) -> list[dict]:
    """The alarms of the shared listing (from alarms_and_tags) that `stack` plans."""
    return listing_part(aws, stack, kind_name, alarms, tags,
                        lambda alarm: alarm["AlarmName"], lambda alarm: alarm.get("AlarmArn"))


def endpoint_names(aws: "AwsContext") -> list[str]:
    """Every SageMaker endpoint's name: one ListEndpoints listing (100 a page) per run, shared
    by the kinds that discover or check endpoints."""
    def load():
        pages = aws.client("sagemaker").get_paginator("list_endpoints").paginate(
            PaginationConfig={"PageSize": 100})
        return [endpoint["EndpointName"] for page in pages for endpoint in page["Endpoints"]]
    return aws.read_once("sagemaker:endpoints", load)


def describe_endpoint(aws: "AwsContext", name: str) -> dict:
    """DescribeEndpoint of one endpoint, once per run: endpoint monitors read its variants and
    model monitors its data capture (there is no batched form). A ClientError (the endpoint
    is gone) is raised to every caller."""
    return aws.read_once(("sagemaker:endpoint", name),
                         lambda: aws.client("sagemaker").describe_endpoint(EndpointName=name))


def tag_delta(before: dict[str, str] | None, after: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """What to set and which keys to remove to turn `before` tags into `after`."""
    before = before or {}
    to_set = {k: v for k, v in after.items() if before.get(k) != v}
    to_remove = sorted(set(before) - set(after))
    return to_set, to_remove


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """CloudWatch / SNS style: [{"Key": k, "Value": v}]."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def topic_arn(name: str, scope: "Scope") -> str:
    return scope.arn("sns", name)


def resolve_action(reference: str, scope: "Scope") -> str:
    """`topic:NAME` -> the topic's ARN; raw ARNs pass through."""
    if reference.startswith("topic:"):
        return topic_arn(reference.removeprefix("topic:"), scope)
    return reference


def present(values: dict) -> dict:
    """`values` without the keys whose value is None (optional request and spec fields)."""
    return {key: value for key, value in values.items() if value is not None}


def topic_problem(reference: str, topics: set[str]) -> tuple[str, str | None] | None:
    """(message, hint) when an action `topic:NAME` names no topic of the stack."""
    topic = reference.removeprefix("topic:")
    if reference.startswith("topic:") and topic not in topics:
        return f"topic {topic!r} is not defined in `topics`", did_you_mean(topic, topics, "topic:")
    return None


def as_number(value):
    """AWS returns doubles: 5 and 5.0 must compare equal, so keep whole numbers as int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- presets' discovery ---------------------------------------------------------------------

NOTE_NAMES_LISTED = 20  # names a plan note spells out; its `subjects` has them all


def listed_names(names: list[str]) -> str:
    """`a, b, c`, and `and N more` past NOTE_NAMES_LISTED."""
    shown = ", ".join(names[:NOTE_NAMES_LISTED])
    if len(names) > NOTE_NAMES_LISTED:
        shown += f" and {len(names) - NOTE_NAMES_LISTED} more"
    return shown


def undiscovered(wanted: list[str] | str, found: Iterable[str],
                 what: str) -> tuple[str, tuple[str, ...]] | None:
    """A preset's names that no `what` (function, endpoint) has, or its glob that none
    matches: the message of a plan note and its subjects, or None. Silent otherwise, and most
    often a typo (such a resource gets its alarms once it exists, in the next plan)."""
    found = list(found)
    if isinstance(wanted, str):
        if any(fnmatch.fnmatchcase(name, wanted) for name in found):
            return None
        return f"no {what} matches {wanted!r} here: nothing is monitored yet", ()
    missing = tuple(name for name in wanted if name not in set(found))
    if not missing:
        return None
    which, then = ((f"{what} does", "it gets alarms once it exists") if len(missing) == 1
                   else (f"{what}s do", "they get alarms once they exist"))
    return (f"{len(missing)} listed {which} not exist here: {listed_names(list(missing))}; "
            f"{then}", missing)

"""CloudWatch Logs anomaly detectors (the console's log Patterns, run continuously), declared
on their log group:

    log_groups:
      /aws/sagemaker/Endpoints/churn:
        anomaly_detection:
          evaluation_frequency: FIFTEEN_MIN   # ONE_MIN FIVE_MIN TEN_MIN FIFTEEN_MIN THIRTY_MIN ONE_HOUR
          filter_pattern: "?ERROR ?WARN"      # optional: only the events it matches are examined
          anomaly_visibility_time: 21         # days, 7-90 (AWS's default 21)
          detector_name: churn-anomalies      # optional: default the log group's name
          enabled: true                       # false pauses it (the model is kept)
          kms_key_id: arn:aws:kms:...         # optional: encrypts its findings

One detector per log group; its resource name is the log group's
(`log_anomaly_detectors:/aws/sagemaker/Endpoints/churn`). Detectors are taggable: a stack owns
the ones tagged `obsctl:stack=<stack>`, which carry the stack's tags and their log group's own.
Another detector on a group that declares `anomaly_detection` is a conflict (adopt an
untagged one with `--adopt`), never a second detector beside it.

UpdateLogAnomalyDetector changes the frequency, the filter pattern, the visibility time and
`enabled` in place; the name and the KMS key cannot change, so a new one replaces the detector
(delete, then create: the new one trains from scratch). Omitted `evaluation_frequency` leaves
AWS's choice, unmanaged; `kms_key_id` is managed only when written (null: no key), as on log
groups.

Live state: one ListLogAnomalyDetectors listing (50 a page) per account-region and run, then
ListTagsForResource for the detectors on log groups the stack declares or owns (tagged), 8 at
a time: detectors of other log groups are never looked at, so `--prune` cannot reach them.
Comparable form: {"detector_name", "evaluation_frequency"?, "filter_pattern" (trimmed),
"anomaly_visibility_time", "enabled" (status not PAUSED), "kms_key_id"?, "tags"}; live has
every key, `comparable()` narrows it to the desired ones.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal, TypedDict

from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from reconciler import iam
from reconciler.config.fields import StrictModel, printable_name
from reconciler.diagnostics import ObsctlError
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import desired_tags, for_each, list_tags, read_owned_tags, sync_tags
from reconciler.kinds.filter_pattern import FilterPattern
from reconciler.kinds.subscription_filters import log_group_of
from reconciler.ownership import APPLIED_TAG, is_owned_by, owner_of

if TYPE_CHECKING:
    from reconciler.aws import AwsContext
    from reconciler.config.stack import Stack

KIND = "log_anomaly_detectors"
EVALUATION_FREQUENCIES = ("ONE_MIN", "FIVE_MIN", "TEN_MIN", "FIFTEEN_MIN", "THIRTY_MIN", "ONE_HOUR")
VISIBILITY_DAYS = (7, 90)  # anomalyVisibilityTime: "Minimum value of 7. Maximum value of 90."
DEFAULT_VISIBILITY_DAYS = 21  # "If you omit this parameter, a default of 21 days is used."
PAGE_SIZE = 50  # ListLogAnomalyDetectors limit
PAUSED = "PAUSED"
# The API sets no maximum for detectorName (min 1); 512 is what the default, a log group's
# name, can reach.
MAX_NAME = 512
# CreateLogAnomalyDetector's own pattern for kmsKeyId (lower-case key ids), at most 256 chars.
_KMS_KEY_ARN = re.compile(r"arn:aws[a-z\-]*:kms:[-a-z0-9]*:[0-9]*:key/[-a-z0-9]*")
# Fields UpdateLogAnomalyDetector changes; the others need a new detector.
UPDATABLE = ("evaluation_frequency", "filter_pattern", "anomaly_visibility_time", "enabled")
REPLACED = ("detector_name", "kms_key_id")


def check_visibility(days: int) -> int:
    low, high = VISIBILITY_DAYS
    if not low <= days <= high:
        raise ValueError(f"anomaly_visibility_time {days} is outside {low}-{high} days, the "
                         "range CloudWatch Logs accepts")
    return days


def check_kms_key(arn: str) -> str:
    if not _KMS_KEY_ARN.fullmatch(arn):
        raise ValueError(f"kms_key_id {arn!r} must be a KMS key ARN like "
                         "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (lower case; not an alias)")
    return arn


VisibilityDays = Annotated[int, AfterValidator(check_visibility), WithJsonSchema(
    {"type": "integer", "minimum": VISIBILITY_DAYS[0], "maximum": VISIBILITY_DAYS[1]})]
DetectorName = printable_name(MAX_NAME)
DetectorKmsKey = Annotated[str, StringConstraints(max_length=256), AfterValidator(check_kms_key),
                           WithJsonSchema({"type": "string", "maxLength": 256,
                                           "pattern": f"^{_KMS_KEY_ARN.pattern}$"})]


class AnomalyDetectionConfig(StrictModel):
    """A CloudWatch Logs anomaly detector on this log group."""

    evaluation_frequency: Literal[EVALUATION_FREQUENCIES] | None = None  # type: ignore[valid-type]
    """How often the detector looks for anomalies; default AWS's choice, left unmanaged."""
    filter_pattern: FilterPattern = ""
    """CloudWatch Logs filter pattern: only matching events are examined; "" (default) all."""
    anomaly_visibility_time: VisibilityDays = DEFAULT_VISIBILITY_DAYS
    """Days an anomaly is shown before it counts as normal: 7-90, default 21."""
    detector_name: DetectorName | None = None
    """Name of the detector; default the log group's name. A new name replaces the detector."""
    enabled: bool = True
    """false pauses the detector; true (default) runs it."""
    kms_key_id: DetectorKmsKey | None = None
    """ARN of a KMS key that encrypts the findings; managed only when set; a change replaces it."""


class DetectorIdentity(TypedDict):
    arn: str  # the detector's ARN
    log_group: str


def desired_spec(group: str, config: AnomalyDetectionConfig, tags: dict[str, str]) -> dict:
    spec: dict = {"detector_name": config.detector_name or group}
    if config.evaluation_frequency is not None:
        spec["evaluation_frequency"] = config.evaluation_frequency
    spec.update(filter_pattern=config.filter_pattern.strip(),
                anomaly_visibility_time=config.anomaly_visibility_time, enabled=config.enabled)
    if "kms_key_id" in config.model_fields_set:
        spec["kms_key_id"] = config.kms_key_id
    spec["tags"] = tags
    return spec


def live_spec(item: dict, tags: dict[str, str]) -> dict:
    """Comparable form of a ListLogAnomalyDetectors item: AWS's defaults filled in, so that
    a detector created without them compares equal to a config that leaves them out."""
    return {
        "detector_name": item.get("detectorName") or item["anomalyDetectorArn"].rsplit(":", 1)[1],
        "evaluation_frequency": item.get("evaluationFrequency"),
        "filter_pattern": (item.get("filterPattern") or "").strip(),
        "anomaly_visibility_time": item.get("anomalyVisibilityTime", DEFAULT_VISIBILITY_DAYS),
        "enabled": item.get("anomalyDetectorStatus") != PAUSED,
        "kms_key_id": item.get("kmsKeyId"),
        "tags": tags,
    }


def detection_config(spec: dict, group: str) -> dict:
    """The `anomaly_detection` entry a person would write for a comparable form: defaults left
    out, the frequency spelled out (so that the config manages it)."""
    entry = {}
    if spec.get("evaluation_frequency"):
        entry["evaluation_frequency"] = spec["evaluation_frequency"]
    if spec["filter_pattern"]:
        entry["filter_pattern"] = spec["filter_pattern"]
    if spec["anomaly_visibility_time"] != DEFAULT_VISIBILITY_DAYS:
        entry["anomaly_visibility_time"] = spec["anomaly_visibility_time"]
    if spec["detector_name"] != group:
        entry["detector_name"] = spec["detector_name"]
    if not spec["enabled"]:
        entry["enabled"] = False
    if spec.get("kms_key_id"):
        entry["kms_key_id"] = spec["kms_key_id"]
    return entry


def watched_group(item: dict) -> str | None:
    """The log group a detector watches; None for the older detectors of several groups
    (CreateLogAnomalyDetector now takes exactly one), which no config entry describes."""
    arns = item.get("logGroupArnList") or []
    return log_group_of(arns[0]) if len(arns) == 1 and ":log-group:" in arns[0] else None


def list_detectors(aws: "AwsContext") -> list[dict]:
    """Every anomaly detector of the account-region, once per run (shared by the stacks)."""
    def load():
        pages = aws.client("logs").get_paginator("list_log_anomaly_detectors").paginate(
            PaginationConfig={"PageSize": PAGE_SIZE})
        # A detector being deleted is no longer there for the config to match.
        return [item for page in pages for item in page["anomalyDetectors"]
                if item.get("anomalyDetectorStatus") != "DELETED"]
    return aws.read_once("logs:anomaly-detectors", load)


def detectors_by_group(aws: "AwsContext", groups: set[str]) -> dict[str, list[tuple[dict, dict]]]:
    """(detector, its tags) of each of `groups` that has detectors, oldest first."""
    if not groups:
        return {}
    found = sorted((item for item in list_detectors(aws) if watched_group(item) in groups),
                   key=lambda item: (item.get("creationTimeStamp", 0), item["anomalyDetectorArn"]))
    tags = for_each(found, lambda item: list_tags(aws, item["anomalyDetectorArn"]))
    by_group: dict[str, list[tuple[dict, dict]]] = {}
    for item, item_tags in zip(found, tags):
        by_group.setdefault(watched_group(item), []).append((item, item_tags))
    return by_group


def to_live(name: str, group: str, item: dict, tags: dict[str, str],
            duplicate_of: str | None = None) -> Live:
    return Live(name, live_spec(item, tags), tags=tags, duplicate_of=duplicate_of,
                identity=DetectorIdentity(arn=item["anomalyDetectorArn"], log_group=group))


def importable(aws: "AwsContext", stack: "Stack", groups: set[str]) -> dict[str, Live]:
    """For `obsctl import --kind log_groups`: the detector each of `groups` would be written
    with, if any: the stack's own first, else an untagged one; never another stack's."""
    chosen = {}
    for group, found in detectors_by_group(aws, groups).items():
        candidates = [(item, tags) for item, tags in found if owner_of(tags) in (None, stack.name)]
        candidates.sort(key=lambda pair: owner_of(pair[1]) != stack.name)
        if candidates:
            chosen[group] = to_live(group, group, *candidates[0])
    return chosen


def _refuse_import():
    # Written inside their log group's entry, so that `--adopt` tags the group too.
    raise ObsctlError("log anomaly detectors are imported with their log group: "
                      "obsctl import --kind log_groups")


class LogAnomalyDetectors(Kind):
    iam_read = ("logs:ListLogAnomalyDetectors", "logs:ListTagsForResource", "tag:GetResources")
    iam_write = ("logs:CreateLogAnomalyDetector", "logs:UpdateLogAnomalyDetector",
                 "logs:DeleteLogAnomalyDetector", "logs:TagResource", "logs:UntagResource")

    name = KIND
    section = None  # declared inside `log_groups` entries
    depends_on = ("log_groups",)

    def declared_names(self, stack):
        return {group: stack.locate("log_groups", group, "anomaly_detection")
                for group, entry in stack.section("log_groups").items() if entry.anomaly_detection}

    def iam_resources(self, stack, scope, names):
        # Create authorizes on the log group; the rest on the detector, whose ARN ends in an
        # id AWS picks.
        return iam.log_group_arns(scope, names) + [scope.arn("logs", "anomaly-detector:*")]

    def desired(self, stack, scope):
        return {
            group: Desired(group, desired_spec(group, entry.anomaly_detection,
                                               desired_tags(stack, entry.tags)),
                           location=stack.locate("log_groups", group, "anomaly_detection"))
            for group, entry in stack.section("log_groups").items() if entry.anomaly_detection
        }

    def comparable(self, live_spec, desired_spec):
        return {key: live_spec[key] for key in desired_spec}

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        if not owned_only:
            _refuse_import()
        owned_groups = {log_group_of(arn) for arn, tags in read_owned_tags(aws, "logs:log-group").items()
                        if is_owned_by(tags, stack.name)}
        groups = set(stack.section("log_groups")) | owned_groups
        if not groups:
            return {}
        declared = set(self.declared_names(stack))
        live = {}
        for group, found in detectors_by_group(aws, groups).items():
            # The one to keep: one obsctl finished writing (it carries the marker), oldest first.
            ours = sorted(((item, tags) for item, tags in found if is_owned_by(tags, stack.name)),
                          key=lambda pair: APPLIED_TAG not in pair[1])
            if not ours:
                if group in declared:  # someone else's: a conflict, never a second detector
                    live[group] = to_live(group, group, *found[0])
                continue
            (item, tags), extra = ours[0], ours[1:]
            live[group] = to_live(group, group, item, tags)
            for item, tags in extra:  # one per group: the stack's others go
                name = f"{group}#{item['anomalyDetectorArn'].rsplit(':', 1)[1]}"
                live[name] = to_live(name, group, item, tags,
                                     duplicate_of=group if group in declared else None)
        return live

    def to_config(self, live, refs):
        _refuse_import()

    def cloudtrail_names(self, change, live):
        return [live.identity["arn"]] if live else [change.name]

    def create(self, aws, desired):
        spec, logs = desired.spec, aws.client("logs")
        optional = {key: spec[field] for key, field in (("evaluationFrequency", "evaluation_frequency"),
                                                        ("kmsKeyId", "kms_key_id"))
                    if spec.get(field)}
        if spec["filter_pattern"]:
            optional["filterPattern"] = spec["filter_pattern"]
        arn = logs.create_log_anomaly_detector(
            logGroupArnList=[aws.scope.arn("logs", f"log-group:{desired.name}")],
            detectorName=spec["detector_name"], anomalyVisibilityTime=spec["anomaly_visibility_time"],
            tags=desired.written_tags, **optional)["anomalyDetectorArn"]
        if not spec["enabled"]:  # created running: pausing it is a second call
            logs.update_log_anomaly_detector(anomalyDetectorArn=arn, enabled=False)

    def update(self, aws, desired, live):
        wanted, current = desired.spec, self.comparable(live.spec, desired.spec)
        if any(wanted.get(key) != current.get(key) for key in REPLACED if key in wanted):
            self.delete(aws, live)
            self.create(aws, desired)
            return
        arn = live.identity["arn"]
        if any(wanted[key] != current[key] for key in UPDATABLE if key in wanted):
            optional = ({"evaluationFrequency": wanted["evaluation_frequency"]}
                        if "evaluation_frequency" in wanted else {})
            aws.client("logs").update_log_anomaly_detector(
                anomalyDetectorArn=arn, enabled=wanted["enabled"],
                filterPattern=wanted["filter_pattern"],
                anomalyVisibilityTime=wanted["anomaly_visibility_time"], **optional)
        sync_tags(aws, arn, live.tags, desired.written_tags)

    def delete(self, aws, live):
        aws.client("logs").delete_log_anomaly_detector(anomalyDetectorArn=live.identity["arn"])

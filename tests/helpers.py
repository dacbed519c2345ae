"""Small assertions shared by end-to-end tests."""

from __future__ import annotations

import json
import re

from reconciler.applied import APPLIED_TAG


def without_marker(tags: dict[str, str]) -> dict[str, str]:
    """The tags of an applied resource minus the last-applied marker, which must be there."""
    assert re.fullmatch(r"v2-[0-9a-f]{16}", tags.get(APPLIED_TAG, "")), tags
    return {k: v for k, v in tags.items() if k != APPLIED_TAG}


def apply_ok(obsctl, path, *flags):
    """`obsctl apply --auto-approve`, which must succeed."""
    result = obsctl("apply", path, "--auto-approve", *flags)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def assert_no_changes(obsctl, path, *flags):
    """The idempotency check: a plan right after an apply is empty."""
    doc = plan_json(obsctl, path, "--detailed-exitcode", *flags, exit_codes=(0,))
    assert doc["changes"] == [] and doc["summary"] == summary(), doc["changes"]


def create_log_destinations(boto, role_arn: str) -> None:
    """A Firehose stream `archive` (to S3) and a Kinesis stream `errors`: subscription filter
    destinations, which CloudWatch Logs requires to exist."""
    boto("s3").create_bucket(Bucket="obsctl-test-archive")
    boto("firehose").create_delivery_stream(
        DeliveryStreamName="archive",
        ExtendedS3DestinationConfiguration={"RoleARN": role_arn,
                                            "BucketARN": "arn:aws:s3:::obsctl-test-archive"})
    boto("kinesis").create_stream(StreamName="errors", ShardCount=1)


def assert_converged(obsctl, path, *flags):
    """Right after an apply: the plan is empty, and applying again writes nothing."""
    assert_no_changes(obsctl, path, *flags)
    again = obsctl("apply", path, "--auto-approve", *flags)
    assert again.exit_code == 0 and again.writes == 0, again.calls


def plan_json(obsctl, path, *flags, exit_codes=(0, 2)) -> dict:
    """`obsctl plan PATH --format json FLAGS...`: its exit code must be one of `exit_codes`;
    returns the parsed plan document (README "JSON plan", schemas/plan.schema.json)."""
    result = obsctl("plan", path, "--format", "json", *flags)
    assert result.exit_code in exit_codes, result.stdout + result.stderr
    return json.loads(result.stdout)


def changes(doc: dict, kind: str | None = None, action: str | None = None) -> list[dict]:
    """The plan's changes, optionally only those of one kind and/or action, in plan order."""
    return [c for c in doc["changes"]
            if (kind is None or c["kind"] == kind) and (action is None or c["action"] == action)]


def addresses(doc: dict, action: str | None = None) -> list[str]:
    """Sorted addresses (KIND/NAME, KIND:/NAME) of the plan's changes, optionally of one action."""
    return sorted(c["address"] for c in changes(doc, action=action))


def change(doc: dict, address: str) -> dict:
    """The one change at `address`."""
    found = [c for c in doc["changes"] if c["address"] == address]
    assert len(found) == 1, (address, [c["address"] for c in doc["changes"]])
    return found[0]


def field_paths(change_: dict) -> list[str]:
    """The dotted paths of a change's field diffs, sorted."""
    return sorted(f["path"] for f in change_["fields"])


def field_diffs(change_: dict) -> dict[str, tuple]:
    """A change's field diffs as {path: (before, after)}."""
    return {f["path"]: (f["before"], f["after"]) for f in change_["fields"]}


def summary(create: int = 0, update: int = 0, delete: int = 0, conflict: int = 0) -> dict:
    """The expected `summary` of a plan document, e.g. `doc["summary"] == summary(update=1)`."""
    return {"create": create, "update": update, "delete": delete, "conflict": conflict}

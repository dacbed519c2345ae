"""Small assertions shared by end-to-end tests."""

from __future__ import annotations

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
    plan = obsctl("plan", path, "--detailed-exitcode", *flags)
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout


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

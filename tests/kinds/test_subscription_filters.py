"""Subscription filters through the CLI against the emulator, with real destinations: the
emulator (like CloudWatch Logs) refuses a filter whose Kinesis/Firehose stream does not exist."""

from __future__ import annotations

import pytest
from tests.helpers import (addresses, assert_converged, assert_no_changes, change,
                           create_log_destinations, field_diffs, plan_json)

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/cwl-to-streams"
CONFIG = f"""
stack: test
log_groups:
  /ml/churn:
    retention_days: 14
    subscription_filters:
      to-archive:
        pattern: ""
        destination_arn: arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/archive
        role_arn: {ROLE}
      errors-to-stream:
        pattern: "?ERROR ?Exception"
        destination_arn: arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/errors
        role_arn: {ROLE}
        distribution: Random
  /ml/fraud: {{}}
"""


@pytest.fixture
def destinations(boto):
    create_log_destinations(boto, ROLE)


def filters(boto, group: str) -> dict:
    return {f["filterName"]: f for f in
            boto("logs").describe_subscription_filters(logGroupName=group)["subscriptionFilters"]}


def test_apply_then_plan_is_empty_and_second_apply_writes_nothing(obsctl, write_config, boto,
                                                                   destinations):
    path = write_config(CONFIG)
    first = obsctl("apply", path, "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    assert "+ subscription_filters:/ml/churn:to-archive: created" in first.stdout
    assert first.calls["logs.PutSubscriptionFilter"] == 2
    assert_converged(obsctl, path)
    live = filters(boto, "/ml/churn")
    assert live["errors-to-stream"]["distribution"] == "Random"
    assert live["to-archive"]["roleArn"] == ROLE


def test_reads_only_declaring_groups_unless_the_stack_may_prune_filters(obsctl, write_config, boto,
                                                                         destinations):
    path = write_config(CONFIG)
    obsctl("apply", path, "--auto-approve")
    for other in ("/someone/else", "/another/team"):
        boto("logs").create_log_group(logGroupName=other)
    plan = obsctl("plan", path, "--target", "subscription_filters/*")
    # No account-wide listing exists; without prune patterns the stack can own no other
    # filter, so only /ml/churn, which declares filters, is read.
    assert plan.calls["logs.DescribeSubscriptionFilters"] == 1
    assert plan.calls["resourcegroupstaggingapi.GetResources"] == 0

    pruning = write_config(CONFIG.replace("stack: test\n", "stack: test\nprune: {subscription_filters: ['/ml/*']}\n"),
                           name="pruning.yaml")
    plan = obsctl("plan", pruning, "--target", "subscription_filters/*")
    # /ml/churn declares filters, /ml/fraud is owned (tagged) and may hold prunable ones.
    assert plan.calls["logs.DescribeSubscriptionFilters"] == 2
    assert plan.calls["resourcegroupstaggingapi.GetResources"] == 1


def test_out_of_band_change_is_a_field_diff(obsctl, write_config, boto, destinations):
    path = write_config(CONFIG)
    obsctl("apply", path, "--auto-approve")
    boto("logs").put_subscription_filter(
        logGroupName="/ml/churn", filterName="errors-to-stream", filterPattern="ERROR",
        destinationArn=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/errors", roleArn=ROLE)
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["subscription_filters:/ml/churn:errors-to-stream"]  # not to-archive
    assert field_diffs(change(doc, "subscription_filters:/ml/churn:errors-to-stream")) == {
        "pattern": ("ERROR", "?ERROR ?Exception"), "distribution": ("ByLogStream", "Random")}
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert_no_changes(obsctl, path)


def test_missing_destination_fails_that_filter_only(obsctl, write_config, boto):
    boto("kinesis").create_stream(StreamName="errors", ShardCount=1)
    result = obsctl("apply", write_config(CONFIG), "--auto-approve")
    assert result.exit_code == 1
    assert "to-archive: create failed: InvalidParameterException" in result.stderr
    assert set(filters(boto, "/ml/churn")) == {"errors-to-stream"}


def test_prune_removes_filters_matching_the_patterns(obsctl, write_config, boto, destinations):
    path = write_config(CONFIG + "prune: {subscription_filters: ['/ml/*']}\n")
    obsctl("apply", path, "--auto-approve")
    write_config(CONFIG.split("      errors-to-stream:")[0] + "  /ml/fraud: {}\n"
                 + "prune: {subscription_filters: ['/ml/*']}\n")
    pruned = obsctl("apply", path, "--auto-approve", "--prune", "--allow-mass-delete")
    assert pruned.exit_code == 0, pruned.stdout + pruned.stderr
    assert "- subscription_filters:/ml/churn:errors-to-stream: deleted" in pruned.stdout
    assert set(filters(boto, "/ml/churn")) == {"to-archive"}

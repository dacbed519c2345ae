"""Log groups through the CLI against the emulator."""

from __future__ import annotations

from tests.helpers import (addresses, assert_no_changes, change, field_diffs, plan_json, summary,
                           without_marker)

import pytest

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-12ab-34cd-56ef-1234567890ab"

CONFIG = f"""
stack: test
tags: {{team: ml}}
log_groups:
  /ml/churn:
    retention_days: 30
    kms_key_id: {KEY}
    tags: {{model: churn}}
  /ml/forever:
    retention_days: never
  /ml/adopted: {{}}
"""


def log_group(boto, name: str) -> dict:
    [group] = [g for g in boto("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
               if g["logGroupName"] == name]
    return group


def tags_of(boto, name: str) -> dict:
    return boto("logs").list_tags_for_resource(resourceArn=log_group(boto, name)["logGroupArn"])["tags"]


@pytest.fixture
def applied(obsctl, write_config, aws):
    path = write_config(CONFIG)
    result = obsctl("apply", path, "--auto-approve")
    assert result.exit_code == 0, result.stdout + result.stderr
    return path


def drift(obsctl, path, group: str = "/ml/churn") -> dict[str, tuple]:
    """The field diffs of the plan's only change, an update of `group`."""
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == [f"log_groups:{group}"]
    assert doc["summary"] == summary(update=1)
    return field_diffs(change(doc, f"log_groups:{group}"))


def test_apply_then_plan_is_empty_and_second_apply_writes_nothing(obsctl, applied, boto):
    assert_no_changes(obsctl, applied)
    again = obsctl("apply", applied, "--auto-approve")
    assert again.exit_code == 0
    assert again.writes == 0, again.calls

    churn = log_group(boto, "/ml/churn")
    assert (churn["retentionInDays"], churn["kmsKeyId"]) == (30, KEY)
    assert "retentionInDays" not in log_group(boto, "/ml/forever")
    assert without_marker(tags_of(boto, "/ml/churn")) == {"obsctl:stack": "test", "team": "ml", "model": "churn"}


def test_plan_reads_log_groups_and_their_tags_in_bulk(obsctl, applied):
    plan = obsctl("plan", applied, "--target", "log_groups/*")
    assert plan.calls["logs.DescribeLogGroups"] == 1
    assert plan.calls["resourcegroupstaggingapi.GetResources"] == 1
    assert "logs.ListTagsForResource" not in plan.calls


def test_retention_changed_out_of_band_diffs_on_retention_only(obsctl, applied, boto):
    boto("logs").put_retention_policy(logGroupName="/ml/churn", retentionInDays=7)
    assert drift(obsctl, applied) == {"retention_days": (7, 30)}

    assert obsctl("apply", applied, "--auto-approve").exit_code == 0
    assert log_group(boto, "/ml/churn")["retentionInDays"] == 30
    assert_no_changes(obsctl, applied)


def test_never_expiring_group_given_a_retention_is_reset_with_delete_retention_policy(obsctl, applied, boto):
    boto("logs").put_retention_policy(logGroupName="/ml/forever", retentionInDays=14)
    assert drift(obsctl, applied, "/ml/forever") == {"retention_days": (14, "never")}

    result = obsctl("apply", applied, "--auto-approve")
    assert result.calls["logs.DeleteRetentionPolicy"] == 1
    assert "retentionInDays" not in log_group(boto, "/ml/forever")
    assert_no_changes(obsctl, applied)


def test_switching_config_between_days_and_never(obsctl, applied, write_config, boto):
    path = write_config(CONFIG.replace("retention_days: 30", "retention_days: never"))
    assert drift(obsctl, path) == {"retention_days": (30, "never")}
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert "retentionInDays" not in log_group(boto, "/ml/churn")

    path = write_config(CONFIG.replace("retention_days: 30", "retention_days: 3653"))
    assert drift(obsctl, path) == {"retention_days": ("never", 3653)}
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert log_group(boto, "/ml/churn")["retentionInDays"] == 3653
    assert_no_changes(obsctl, path)


def test_unmanaged_retention_and_key_never_diff(obsctl, applied, boto):
    logs = boto("logs")
    logs.put_retention_policy(logGroupName="/ml/adopted", retentionInDays=90)
    logs.associate_kms_key(logGroupName="/ml/adopted", kmsKeyId=OTHER_KEY)
    assert_no_changes(obsctl, applied)


def test_kms_key_drift_is_repaired(obsctl, applied, boto):
    boto("logs").disassociate_kms_key(logGroupName="/ml/churn")
    assert drift(obsctl, applied) == {"kms_key_id": (None, KEY)}
    assert obsctl("apply", applied, "--auto-approve").exit_code == 0
    assert log_group(boto, "/ml/churn")["kmsKeyId"] == KEY

    boto("logs").associate_kms_key(logGroupName="/ml/churn", kmsKeyId=OTHER_KEY)
    assert drift(obsctl, applied) == {"kms_key_id": (OTHER_KEY, KEY)}
    assert obsctl("apply", applied, "--auto-approve").exit_code == 0
    assert log_group(boto, "/ml/churn")["kmsKeyId"] == KEY
    assert_no_changes(obsctl, applied)


def test_explicit_null_key_disassociates(obsctl, applied, write_config, boto):
    path = write_config(CONFIG.replace(f"kms_key_id: {KEY}", "kms_key_id: null"))
    assert drift(obsctl, path) == {"kms_key_id": (KEY, None)}
    result = obsctl("apply", path, "--auto-approve")
    assert result.calls["logs.DisassociateKmsKey"] == 1
    assert "kmsKeyId" not in log_group(boto, "/ml/churn")
    assert_no_changes(obsctl, path)


def test_tags_added_out_of_band_show_as_drift(obsctl, applied, boto):
    arn = log_group(boto, "/ml/churn")["logGroupArn"]
    boto("logs").tag_resource(resourceArn=arn, tags={"extra": "1", "team": "other"})
    assert drift(obsctl, applied) == {"tags.extra": ("1", None), "tags.team": ("other", "ml")}

    assert obsctl("apply", applied, "--auto-approve").exit_code == 0
    assert without_marker(tags_of(boto, "/ml/churn")) == {"obsctl:stack": "test", "team": "ml", "model": "churn"}
    assert_no_changes(obsctl, applied)


def test_target_limits_the_plan(obsctl, applied, boto):
    logs = boto("logs")
    logs.put_retention_policy(logGroupName="/ml/churn", retentionInDays=7)
    logs.put_retention_policy(logGroupName="/ml/forever", retentionInDays=7)
    doc = plan_json(obsctl, applied, "--target", "log_groups:/ml/forever")
    assert addresses(doc, "update") == ["log_groups:/ml/forever"]
    assert doc["summary"] == summary(update=1)


def test_prune_deletes_only_owned_groups(obsctl, applied, write_config, boto):
    boto("logs").create_log_group(logGroupName="/ml/someone-else")
    path = write_config(CONFIG.replace("  /ml/adopted: {}\n", ""))
    doc = plan_json(obsctl, path, "--prune")
    assert addresses(doc) == ["log_groups:/ml/adopted"]  # not /ml/someone-else
    adopted = change(doc, "log_groups:/ml/adopted")
    assert adopted["action"] == "delete" and adopted["data_loss"] is True
    assert doc["summary"] == summary(delete=1)
    assert obsctl("apply", path, "--auto-approve", "--prune", "--allow-data-loss").exit_code == 0
    names = {g["logGroupName"] for g in boto("logs").describe_log_groups()["logGroups"]}
    assert names == {"/ml/churn", "/ml/forever", "/ml/someone-else"}


@pytest.mark.parametrize("days", ["45", "0", "-1", '"30"'])
def test_bad_retention_fails_validation_at_its_line_with_no_api_call(obsctl, write_config, aws, days):
    path = write_config(f"stack: test\nlog_groups:\n  /ml/churn:\n    retention_days: {days}\n")
    for command in ("validate", "plan"):
        result = obsctl(command, path)
        assert result.exit_code == 1
        assert f"{path}:4:5: error: " in result.stderr
        assert "is not accepted by CloudWatch Logs; use one of 1, 3, 5, 7, 14, 30," in result.stderr
        assert sum(result.calls.values()) == 0

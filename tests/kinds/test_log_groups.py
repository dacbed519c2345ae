"""Log groups through the CLI against the emulator."""

from __future__ import annotations

from tests.helpers import assert_no_changes, without_marker

import re

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


def drift(obsctl, path) -> str:
    plan = obsctl("plan", path, "--detailed-exitcode")
    assert plan.exit_code == 2, plan.stdout + plan.stderr
    return plan.stdout


def update_lines(stdout: str) -> list[str]:
    return re.findall(r"^\s+~ (\S.*)$", stdout, re.MULTILINE)


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
    stdout = drift(obsctl, applied)
    assert update_lines(stdout) == ["log_groups//ml/churn", "retention_days: 7 -> 30"]
    assert "Plan: 0 to create, 1 to update, 0 to delete." in stdout

    assert obsctl("apply", applied, "--auto-approve").exit_code == 0
    assert log_group(boto, "/ml/churn")["retentionInDays"] == 30
    assert_no_changes(obsctl, applied)


def test_never_expiring_group_given_a_retention_is_reset_with_delete_retention_policy(obsctl, applied, boto):
    boto("logs").put_retention_policy(logGroupName="/ml/forever", retentionInDays=14)
    assert 'retention_days: 14 -> "never"' in drift(obsctl, applied)

    result = obsctl("apply", applied, "--auto-approve")
    assert result.calls["logs.DeleteRetentionPolicy"] == 1
    assert "retentionInDays" not in log_group(boto, "/ml/forever")
    assert_no_changes(obsctl, applied)


def test_switching_config_between_days_and_never(obsctl, applied, write_config, boto):
    path = write_config(CONFIG.replace("retention_days: 30", "retention_days: never"))
    assert 'retention_days: 30 -> "never"' in drift(obsctl, path)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert "retentionInDays" not in log_group(boto, "/ml/churn")

    path = write_config(CONFIG.replace("retention_days: 30", "retention_days: 3653"))
    assert 'retention_days: "never" -> 3653' in drift(obsctl, path)
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
    assert f'kms_key_id: (none) -> "{KEY}"' in drift(obsctl, applied)
    assert obsctl("apply", applied, "--auto-approve").exit_code == 0
    assert log_group(boto, "/ml/churn")["kmsKeyId"] == KEY

    boto("logs").associate_kms_key(logGroupName="/ml/churn", kmsKeyId=OTHER_KEY)
    assert f'kms_key_id: "{OTHER_KEY}" -> "{KEY}"' in drift(obsctl, applied)
    assert obsctl("apply", applied, "--auto-approve").exit_code == 0
    assert log_group(boto, "/ml/churn")["kmsKeyId"] == KEY
    assert_no_changes(obsctl, applied)


def test_explicit_null_key_disassociates(obsctl, applied, write_config, boto):
    path = write_config(CONFIG.replace(f"kms_key_id: {KEY}", "kms_key_id: null"))
    assert f'kms_key_id: "{KEY}" -> (none)' in drift(obsctl, path)
    result = obsctl("apply", path, "--auto-approve")
    assert result.calls["logs.DisassociateKmsKey"] == 1
    assert "kmsKeyId" not in log_group(boto, "/ml/churn")
    assert_no_changes(obsctl, path)


def test_tags_added_out_of_band_show_as_drift(obsctl, applied, boto):
    arn = log_group(boto, "/ml/churn")["logGroupArn"]
    boto("logs").tag_resource(resourceArn=arn, tags={"extra": "1", "team": "other"})
    lines = update_lines(drift(obsctl, applied))
    assert 'tags.extra: "1" -> (none)' in lines
    assert 'tags.team: "other" -> "ml"' in lines

    assert obsctl("apply", applied, "--auto-approve").exit_code == 0
    assert without_marker(tags_of(boto, "/ml/churn")) == {"obsctl:stack": "test", "team": "ml", "model": "churn"}
    assert_no_changes(obsctl, applied)


def test_target_limits_the_plan(obsctl, applied, boto):
    logs = boto("logs")
    logs.put_retention_policy(logGroupName="/ml/churn", retentionInDays=7)
    logs.put_retention_policy(logGroupName="/ml/forever", retentionInDays=7)
    plan = obsctl("plan", applied, "--target", "log_groups//ml/forever")
    assert "log_groups//ml/forever" in plan.stdout
    assert "log_groups//ml/churn" not in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in plan.stdout


def test_prune_deletes_only_owned_groups(obsctl, applied, write_config, boto):
    boto("logs").create_log_group(logGroupName="/ml/someone-else")
    path = write_config(CONFIG.replace("  /ml/adopted: {}\n", ""))
    plan = obsctl("plan", path, "--prune")
    assert "- log_groups//ml/adopted" in plan.stdout
    assert "someone-else" not in plan.stdout
    assert "Plan: 0 to create, 0 to update, 1 to delete." in plan.stdout
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

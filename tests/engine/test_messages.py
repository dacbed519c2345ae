"""What plans and apply say: conflict reasons that tell what to type, addresses of names that
start with `/` (log groups) without a double slash, and counts in the right number."""

from __future__ import annotations

import json

import pytest

from reconciler.engine import Target
from reconciler.plan import address, split_address
from reconciler.render.values import plural
from tests.helpers import addresses, apply_ok, assert_no_changes, change, plan_json

ALARM = "metric: {namespace: ML, name: Errors, stat: Sum, period: 60}\n    when: \"> 5\""
CONFIG = f"""
stack: test
log_groups:
  /ml/app: {{retention_days: 14}}
  /ml/other: {{retention_days: 14}}
alarms:
  "errors of o'brien":
    {ALARM}
"""


def untagged_alarm(boto, name: str) -> None:
    boto("cloudwatch").put_metric_alarm(
        AlarmName=name, Namespace="ML", MetricName="Errors", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=5, ComparisonOperator="GreaterThanThreshold")


def test_untagged_resources_are_conflicts_that_say_the_adopt_to_type(obsctl, write_config, boto):
    boto("logs").create_log_group(logGroupName="/ml/app")
    untagged_alarm(boto, "errors of o'brien")
    boto("logs").create_log_group(logGroupName="/ml/other", tags={"obsctl:stack": "other"})
    path = write_config(CONFIG)

    doc = plan_json(obsctl, path, exit_codes=(1,))
    reasons = {c["address"]: c["reason"] for c in doc["changes"]}
    assert reasons == {
        "log_groups:/ml/app": ("exists without an owner tag; adopt it with "
                               "--adopt log_groups:/ml/app"),
        "log_groups:/ml/other": "owned by stack 'other'; only that stack changes it",
        "alarms/errors of o'brien": ("exists without an owner tag; adopt it with "
                                     "--adopt 'alarms/errors of o'\"'\"'brien'"),
    }
    text = obsctl("plan", path).stdout
    assert ("  # log_groups:/ml/app cannot be managed: exists without an owner tag; adopt it with "
            "--adopt log_groups:/ml/app\n  ! log_groups:/ml/app\n") in text
    assert text.endswith("3 conflicts: they exist in AWS and this stack does not own them, so "
                         "they are left alone.\n")
    markdown = obsctl("plan", path, "--format", "markdown").stdout
    assert "⛔ 3 conflicts: they exist in AWS and this stack does not own them" in markdown

    # What the reason says to type (after the shell removes its quotes) takes them over.
    apply_ok(obsctl, path, "--adopt", "log_groups:/ml/app", "--adopt", "alarms/errors of o'brien",
             "--target", "log_groups:/ml/app", "--target", "alarms/*")
    doc = plan_json(obsctl, path, exit_codes=(1,))
    assert addresses(doc, "conflict") == ["log_groups:/ml/other"]
    assert doc["changes"] == [change(doc, "log_groups:/ml/other")]


def test_one_conflict_is_counted_in_the_singular(obsctl, write_config, boto):
    boto("logs").create_log_group(logGroupName="/ml/app", tags={"obsctl:stack": "other"})
    text = obsctl("plan", write_config("stack: test\nlog_groups:\n  /ml/app: {}\n")).stdout
    assert text.endswith("Plan: 0 to create, 0 to update, 0 to delete.\n"
                         "1 conflict: it exists in AWS and this stack does not own it, so it is "
                         "left alone.\n")


def test_log_group_addresses_have_no_double_slash_and_target_takes_both_forms(
        obsctl, write_config, aws):
    path = write_config("stack: test\nlog_groups:\n  /ml/app: {}\n  /ml/other: {}\n"
                        "  plain: {}\n")
    doc = plan_json(obsctl, path)
    assert addresses(doc) == ["log_groups/plain", "log_groups:/ml/app", "log_groups:/ml/other"]
    text = obsctl("plan", path).stdout
    assert "//" not in text and "  + log_groups:/ml/app\n" in text
    # --target takes what the plan prints, the older KIND//NAME, and globs of either.
    for target in ("log_groups:/ml/app", "log_groups//ml/app", "log_groups:/ml/a*"):
        assert addresses(plan_json(obsctl, path, "--target", target)) == ["log_groups:/ml/app"]
    applied = apply_ok(obsctl, path, "--target", "log_groups:/ml/app")
    assert applied.stdout.endswith("+ log_groups:/ml/app: created\n\n"
                                   "Apply complete: 1 created, 0 updated, 0 deleted, 0 failed.\n")
    assert_no_changes(obsctl, path, "--target", "log_groups:/ml/app")


def test_a_plan_saved_with_double_slash_addresses_still_applies(obsctl, write_config, boto,
                                                                tmp_path):
    boto("logs").create_log_group(logGroupName="/ml/app", tags={"obsctl:stack": "test"})
    path = write_config("stack: test\nlog_groups:\n  /ml/app: {retention_days: 7}\n")
    planfile = str(tmp_path / "plan.json")
    assert obsctl("plan", path, "--out", planfile).exit_code == 0
    saved = json.loads(open(planfile).read())
    fingerprints = saved["saved"]["stacks"]["test"]["live_fingerprints"]
    assert list(fingerprints) == ["log_groups:/ml/app"]
    # As an obsctl before the KIND:NAME form wrote it.
    saved["saved"]["stacks"]["test"]["live_fingerprints"] = {
        "log_groups//ml/app": fingerprints["log_groups:/ml/app"]}
    open(planfile, "w").write(json.dumps(saved))
    applied = obsctl("apply", planfile)
    assert applied.exit_code == 0, applied.stderr
    assert "~ log_groups:/ml/app: updated" in applied.stdout


def test_mass_delete_refusal_lists_what_it_would_delete(obsctl, write_config, aws):
    groups = "".join(f"  /ml/g{i:02}: {{}}\n" for i in range(3))
    path = write_config(f"stack: test\nlog_groups:\n{groups}  /ml/keep: {{}}\n")
    apply_ok(obsctl, path)
    emptied = write_config("stack: test\nlog_groups:\n  /ml/keep: {}\n", name="emptied.yaml")
    refused = obsctl("plan", emptied, "--prune")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.partition("api calls:")[0] == (
        "error: stack 'test': refusing to delete 3 of 4 owned resources (75%; limits: 20 "
        "resources or 50%). Check the config, or pass --allow-mass-delete. It would delete:\n"
        "  - log_groups:/ml/g00\n"
        "  - log_groups:/ml/g01\n"
        "  - log_groups:/ml/g02\n")


@pytest.mark.parametrize("kind, name, shown", [
    ("alarms", "churn", "alarms/churn"),
    ("log_groups", "/aws/sagemaker/Endpoints/churn", "log_groups:/aws/sagemaker/Endpoints/churn"),
    ("metric_filters", "/ml/app:errors", "metric_filters:/ml/app:errors"),
    ("log_groups", "ml/app", "log_groups/ml/app"),
    ("log_groups", ":odd", "log_groups/:odd"),
])
def test_addresses_read_back_as_what_they_name(kind, name, shown):
    assert address(kind, name) == shown
    assert split_address(shown) == (kind, name)
    assert Target.parse(shown).matches(kind, name)


def test_the_older_double_slash_form_reads_as_the_same_name():
    assert split_address("log_groups//aws/x") == ("log_groups", "/aws/x")
    assert Target.parse("metric_filters//ml/app:*").matches("metric_filters", "/ml/app:errors")


def test_plural():
    assert [plural(n, "conflict") for n in (0, 1, 2)] == ["0 conflicts", "1 conflict",
                                                         "2 conflicts"]
    assert plural(1, "log group") == "1 log group" and plural(3, "log group") == "3 log groups"
    assert plural(2, "policy", "policies") == "2 policies"

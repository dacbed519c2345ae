"""Composite alarms through the CLI against the emulator."""

from __future__ import annotations

from tests.helpers import (addresses, assert_converged, assert_no_changes, change, field_diffs,
                           plan_json, summary)

CONFIG = """
stack: test
tags: {team: ml}
topics:
  ml-oncall: {}
alarms:
  latency: {metric: {namespace: AWS/SageMaker, name: ModelLatency, period: 60}, when: "> 500000"}
  errors: {metric: {namespace: AWS/SageMaker, name: Invocation5XXErrors, period: 60}, when: "> 0"}
  maintenance: {metric: {namespace: MLPlatform, name: Maintenance, period: 60}, when: ">= 1"}
composite_alarms:
  down:
    rule: ALARM(degraded) AND NOT OK(errors)
    actions: {alarm: [topic:ml-oncall]}
    actions_suppressor: {alarm: maintenance, wait_period: 120, extension_period: 60}
  degraded:
    description: slow or failing
    rule: |
      ALARM(latency)
        OR ALARM(errors)
"""


def composite(boto, name: str) -> dict:
    return boto("cloudwatch").describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])[
        "CompositeAlarms"][0]


def test_apply_creates_children_first_then_plan_is_empty(obsctl, write_config, boto):
    path = write_config(CONFIG)
    first = obsctl("apply", path, "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    # The emulator, like CloudWatch, rejects a rule naming an alarm that does not exist yet.
    assert first.stdout.index("composite_alarms/degraded: created") < \
        first.stdout.index("composite_alarms/down: created")
    assert first.calls["cloudwatch.PutCompositeAlarm"] == 2
    assert_converged(obsctl, path)

    down = composite(boto, "down")
    assert down["AlarmRule"] == "ALARM(degraded) AND NOT OK(errors)"
    assert down["ActionsSuppressor"] == "maintenance"
    assert composite(boto, "degraded")["AlarmRule"] == "ALARM(latency) OR ALARM(errors)"
    arn = down["AlarmArn"]
    tags = boto("cloudwatch").list_tags_for_resource(ResourceARN=arn)["Tags"]
    live_tags = {t["Key"]: t["Value"] for t in tags}
    assert live_tags.items() >= {"obsctl:stack": "test", "team": "ml"}.items()


def test_plan_reads_composites_in_one_describe_page(obsctl, write_config):
    path = write_config(CONFIG)
    obsctl("apply", path, "--auto-approve")
    plan = obsctl("plan", path, "--target", "composite_alarms/*")
    # Only the targeted kind is read: one DescribeAlarms page of composites, tags in bulk.
    assert plan.calls["cloudwatch.DescribeAlarms"] == 1
    assert plan.calls["resourcegroupstaggingapi.GetResources"] == 1


def test_whitespace_only_rule_edit_is_no_change(obsctl, write_config):
    path = write_config(CONFIG)
    obsctl("apply", path, "--auto-approve")
    write_config(CONFIG.replace("ALARM(degraded) AND NOT OK(errors)",
                                "ALARM( degraded )   AND\n      NOT OK(errors)"))
    assert_no_changes(obsctl, path)


def test_out_of_band_rule_and_tag_changes_show_as_field_diffs(obsctl, write_config, boto):
    path = write_config(CONFIG)
    obsctl("apply", path, "--auto-approve")
    cloudwatch = boto("cloudwatch")
    cloudwatch.put_composite_alarm(AlarmName="degraded", AlarmRule="ALARM(latency)",
                                   AlarmDescription="slow or failing")
    arn = composite(boto, "degraded")["AlarmArn"]
    cloudwatch.untag_resource(ResourceARN=arn, TagKeys=["team"])

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["composite_alarms/degraded"]
    degraded = change(doc, "composite_alarms/degraded")
    assert degraded["action"] == "update" and degraded["cause"] == "drift"
    assert field_diffs(degraded) == {"rule": ("ALARM(latency)", "ALARM(latency) OR ALARM(errors)"),
                                     "tags.team": (None, "ml")}

    fixed = obsctl("apply", path, "--auto-approve")
    assert fixed.exit_code == 0, fixed.stderr
    assert fixed.calls["cloudwatch.PutCompositeAlarm"] == 1
    assert fixed.calls["cloudwatch.TagResource"] == 1
    assert_no_changes(obsctl, path)


def test_target_limits_the_plan_to_one_composite(obsctl, write_config):
    path = write_config(CONFIG)
    doc = plan_json(obsctl, path, "--target", "composite_alarms/down")
    assert addresses(doc, "create") == ["composite_alarms/down"]
    assert doc["summary"] == summary(create=1)


def test_prune_deletes_parents_before_the_composites_they_name(obsctl, write_config, boto):
    path = write_config(CONFIG)
    obsctl("apply", path, "--auto-approve")
    write_config(CONFIG.split("composite_alarms:")[0])
    pruned = obsctl("apply", path, "--auto-approve", "--prune")
    # CloudWatch refuses to delete an alarm that a remaining composite names.
    assert pruned.exit_code == 0, pruned.stdout + pruned.stderr
    assert pruned.stdout.index("composite_alarms/down: deleted") < \
        pruned.stdout.index("composite_alarms/degraded: deleted")
    assert boto("cloudwatch").describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []

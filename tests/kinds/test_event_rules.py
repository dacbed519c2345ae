"""EventBridge rules and their topics' policy through the CLI against the emulator."""

from __future__ import annotations

import json

from tests.helpers import (addresses, apply_ok, assert_no_changes, change, field_diffs, plan_json,
                           without_marker)

TOPIC = "arn:aws:sns:us-east-1:123456789012:ml-oncall"
RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/training-job-failed"
CONFIG = """
stack: test
tags: {team: ml}
topics:
  ml-oncall: {}
  ds-team: {}
event_rules:
  training-job-failed:
    description: A SageMaker training job failed
    pattern:
      source: [aws.sagemaker]
      detail-type: [SageMaker Training Job State Change]
      detail: {TrainingJobStatus: [Failed, Stopped]}
    targets: [topic:ml-oncall, topic:ds-team]
"""


def policy_statements(boto, topic_arn: str) -> dict[str, dict]:
    policy = boto("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"]
    return {s.get("Sid"): s for s in json.loads(policy)["Statement"]}


def test_apply_then_plan_is_empty_and_eventbridge_may_publish(obsctl, write_config, boto):
    path = write_config(CONFIG)
    first = apply_ok(obsctl, path)
    assert "+ event_rules/training-job-failed: created" in first.stdout
    assert_no_changes(obsctl, path)
    again = apply_ok(obsctl, path)
    assert again.writes == 0, again.calls
    assert again.calls["events.ListTargetsByRule"] == 1  # only for the declared rule

    events = boto("events")
    targets = events.list_targets_by_rule(Rule="training-job-failed")["Targets"]
    assert sorted((t["Id"], t["Arn"]) for t in targets) == [
        ("ds-team", TOPIC.replace("ml-oncall", "ds-team")), ("ml-oncall", TOPIC)]
    tags = events.list_tags_for_resource(ResourceARN=RULE_ARN)["Tags"]
    assert without_marker({t["Key"]: t["Value"] for t in tags}) == {"obsctl:stack": "test", "team": "ml"}
    publish = policy_statements(boto, TOPIC)["obsctl-eventbridge-publish"]
    assert publish["Principal"] == {"Service": ["events.amazonaws.com"]}
    assert publish["Condition"] == {"ArnEquals": {"aws:SourceArn": [RULE_ARN]}}
    assert "__default_statement_ID" in policy_statements(boto, TOPIC)


def test_target_removed_out_of_band_is_a_field_diff(obsctl, write_config, boto):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    boto("events").remove_targets(Rule="training-job-failed", Ids=["ds-team"])
    boto("events").disable_rule(Name="training-job-failed")
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["event_rules/training-job-failed"]
    rule = change(doc, "event_rules/training-job-failed")
    assert rule["action"] == "update" and rule["cause"] == "drift"
    assert field_diffs(rule) == {"state": ("DISABLED", "ENABLED"), "targets": (
        [TOPIC], [TOPIC.replace("ml-oncall", "ds-team"), TOPIC])}
    fixed = apply_ok(obsctl, path)
    assert fixed.calls["events.PutTargets"] == 1 and fixed.calls["events.RemoveTargets"] == 0
    assert_no_changes(obsctl, path)


def test_policy_edited_out_of_band_is_drift_and_untargeted_topics_are_left_alone(obsctl, write_config,
                                                                                 boto):
    path = write_config(CONFIG.replace("topic:ml-oncall, topic:ds-team", "topic:ml-oncall"))
    apply_ok(obsctl, path)
    sns = boto("sns")
    sns.set_topic_attributes(TopicArn=TOPIC.replace("ml-oncall", "ds-team"), AttributeName="Policy",
                             AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": []}))
    assert_no_changes(obsctl, path)  # ds-team's policy is not obsctl's
    sns.set_topic_attributes(TopicArn=TOPIC, AttributeName="Policy",
                             AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": []}))
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["topics/ml-oncall"]
    policy = field_diffs(change(doc, "topics/ml-oncall"))
    assert sorted(policy) == ["policy.Id", "policy.Statement", "policy.Version"]
    before, after = policy["policy.Statement"]
    assert before == [] and "obsctl-eventbridge-publish" in [s.get("Sid") for s in after]
    apply_ok(obsctl, path)
    assert "obsctl-eventbridge-publish" in policy_statements(boto, TOPIC)
    assert_no_changes(obsctl, path)


def test_pattern_change_and_prune(obsctl, write_config, boto):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    changed = write_config(CONFIG.replace("[Failed, Stopped]", "[Stopped, Failed, Stopping]"))
    doc = plan_json(obsctl, changed, "--target", "event_rules/*")
    assert addresses(doc) == ["event_rules/training-job-failed"]
    assert field_diffs(change(doc, "event_rules/training-job-failed")) == {
        "pattern.detail.TrainingJobStatus": (["Failed", "Stopped"], ["Failed", "Stopped", "Stopping"])}
    apply_ok(obsctl, changed)
    assert_no_changes(obsctl, changed)

    empty = write_config("stack: test\ntags: {team: ml}\ntopics:\n  ml-oncall: {}\n  ds-team: {}\n")
    pruned = apply_ok(obsctl, empty, "--prune")
    assert "- event_rules/training-job-failed: deleted" in pruned.stdout
    assert boto("events").list_rules()["Rules"] == []

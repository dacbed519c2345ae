"""Log anomaly detectors (`anomaly_detection:` on a log group) through the CLI against the
emulator: create, converge, update in place, replace, drift, prune, ownership, refusals."""

from __future__ import annotations

import boto3
import pytest
from ruamel.yaml import YAML

from tests.helpers import (addresses, apply_ok, assert_converged, assert_no_changes, change,
                           field_diffs, plan_json, summary, without_marker)

ADDRESS = "log_anomaly_detectors:/ml/churn"
CONFIG = """
stack: test
tags: {team: ml}
log_groups:
  /ml/churn:
    retention_days: 30
    tags: {model: churn}
    anomaly_detection:
      evaluation_frequency: FIFTEEN_MIN
      filter_pattern: "?ERROR ?WARN"
  /ml/fraud: {}
"""


def detectors(boto, group: str | None = None) -> list[dict]:
    logs = boto("logs")
    found = [d for page in logs.get_paginator("list_log_anomaly_detectors").paginate()
             for d in page["anomalyDetectors"]]
    return [d for d in found if group is None
            or any(arn.endswith(f":log-group:{group}") for arn in d["logGroupArnList"])]


def only_detector(boto, group: str = "/ml/churn") -> dict:
    [found] = detectors(boto, group)
    return found


def group_arn(boto, name: str) -> str:
    [group] = [g for g in boto("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
               if g["logGroupName"] == name]
    return group["arn"].removesuffix(":*")


@pytest.fixture
def applied(obsctl, write_config):
    path = write_config(CONFIG)
    result = apply_ok(obsctl, path)
    assert f"+ {ADDRESS}: created" in result.stdout
    return path


def test_create_then_plan_is_empty_and_a_second_apply_writes_nothing(obsctl, applied, boto):
    assert_converged(obsctl, applied)
    detector = only_detector(boto)
    assert detector["detectorName"] == "/ml/churn"  # default: the log group's name
    assert detector["evaluationFrequency"] == "FIFTEEN_MIN"
    assert detector["filterPattern"] == "?ERROR ?WARN"
    assert detector["anomalyVisibilityTime"] == 21
    assert detector["logGroupArnList"] == [group_arn(boto, "/ml/churn")]
    tags = boto("logs").list_tags_for_resource(resourceArn=detector["anomalyDetectorArn"])["tags"]
    # The stack's tags and its log group's, like the group itself.
    assert without_marker(tags) == {"team": "ml", "model": "churn", "obsctl:stack": "test"}
    assert detectors(boto, "/ml/fraud") == []


def test_plan_reads_one_listing_and_the_tags_of_the_stack_s_detectors_only(obsctl, applied, boto):
    logs = boto("logs")
    for index in range(3):  # detectors of log groups this stack neither declares nor owns
        logs.create_log_group(logGroupName=f"/other/{index}")
        logs.create_log_anomaly_detector(logGroupArnList=[group_arn(boto, f"/other/{index}")])
    plan = obsctl("plan", applied, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert plan.calls["logs.ListLogAnomalyDetectors"] == 1
    assert plan.calls["logs.ListTagsForResource"] == 1  # /ml/churn's detector


def test_changed_frequency_is_an_update_in_place(obsctl, applied, write_config, boto):
    before = only_detector(boto)["anomalyDetectorArn"]
    write_config(CONFIG.replace("FIFTEEN_MIN", "ONE_HOUR").replace(
        '"?ERROR ?WARN"', '"?ERROR ?WARN"\n      anomaly_visibility_time: 30'))
    doc = plan_json(obsctl, applied, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == [ADDRESS] and doc["summary"] == summary(update=1)
    assert field_diffs(change(doc, ADDRESS)) == {
        "evaluation_frequency": ("FIFTEEN_MIN", "ONE_HOUR"), "anomaly_visibility_time": (21, 30)}
    result = apply_ok(obsctl, applied)
    assert result.calls["logs.UpdateLogAnomalyDetector"] == 1
    assert result.calls["logs.CreateLogAnomalyDetector"] == 0
    after = only_detector(boto)
    assert after["anomalyDetectorArn"] == before  # the same detector: its training is kept
    assert (after["evaluationFrequency"], after["anomalyVisibilityTime"]) == ("ONE_HOUR", 30)
    assert_converged(obsctl, applied)


def test_disabled_in_the_console_is_drift_and_apply_enables_it_again(obsctl, applied, boto):
    arn = only_detector(boto)["anomalyDetectorArn"]
    boto("logs").update_log_anomaly_detector(anomalyDetectorArn=arn, enabled=False,
                                             filterPattern="ERROR")
    doc = plan_json(obsctl, applied, "--detailed-exitcode", exit_codes=(2,))
    found = change(doc, ADDRESS)
    assert found["cause"] == "drift"
    assert field_diffs(found) == {"enabled": (False, True),
                                  "filter_pattern": ("ERROR", "?ERROR ?WARN")}
    apply_ok(obsctl, applied)
    assert only_detector(boto)["anomalyDetectorStatus"] != "PAUSED"
    assert_no_changes(obsctl, applied)


def test_enabled_false_pauses_the_detector(obsctl, applied, write_config, boto):
    write_config(CONFIG.replace('"?ERROR ?WARN"', '"?ERROR ?WARN"\n      enabled: false'))
    apply_ok(obsctl, applied)
    assert only_detector(boto)["anomalyDetectorStatus"] == "PAUSED"
    assert_converged(obsctl, applied)


def test_a_new_name_replaces_the_detector(obsctl, applied, write_config, boto):
    before = only_detector(boto)["anomalyDetectorArn"]
    write_config(CONFIG.replace('"?ERROR ?WARN"', '"?ERROR ?WARN"\n      detector_name: churn-logs'))
    doc = plan_json(obsctl, applied, "--detailed-exitcode", exit_codes=(2,))
    assert field_diffs(change(doc, ADDRESS)) == {"detector_name": ("/ml/churn", "churn-logs")}
    result = apply_ok(obsctl, applied)
    assert (result.calls["logs.DeleteLogAnomalyDetector"],
            result.calls["logs.CreateLogAnomalyDetector"]) == (1, 1)
    after = only_detector(boto)
    assert after["detectorName"] == "churn-logs" and after["anomalyDetectorArn"] != before
    assert_converged(obsctl, applied)


def test_removed_from_config_is_deleted_only_with_prune(obsctl, applied, write_config, boto):
    write_config(CONFIG.replace('    anomaly_detection:\n      evaluation_frequency: FIFTEEN_MIN\n'
                                '      filter_pattern: "?ERROR ?WARN"\n', ""))
    kept = plan_json(obsctl, applied, "--detailed-exitcode")
    assert kept["changes"] == []
    assert apply_ok(obsctl, applied).writes == 0
    assert len(detectors(boto, "/ml/churn")) == 1

    doc = plan_json(obsctl, applied, "--prune", "--allow-mass-delete", exit_codes=(0, 2))
    assert addresses(doc, "delete") == [ADDRESS]
    result = apply_ok(obsctl, applied, "--prune", "--allow-mass-delete")
    assert f"- {ADDRESS}: deleted" in result.stdout
    assert detectors(boto, "/ml/churn") == []
    assert_no_changes(obsctl, applied, "--prune")


def test_a_detector_the_stack_does_not_own_is_never_touched(obsctl, write_config, boto):
    logs = boto("logs")
    logs.create_log_group(logGroupName="/ml/churn", tags={"obsctl:stack": "test"})
    console = logs.create_log_anomaly_detector(
        logGroupArnList=[group_arn(boto, "/ml/churn")], evaluationFrequency="FIVE_MIN",
        detectorName="made-in-console")["anomalyDetectorArn"]
    other = logs.create_log_anomaly_detector(
        logGroupArnList=[group_arn(boto, "/ml/churn")], detectorName="other-stack",
        tags={"obsctl:stack": "someone-else"})["anomalyDetectorArn"]
    path = write_config(CONFIG)

    doc = plan_json(obsctl, path, "--prune", "--allow-mass-delete", exit_codes=(1,))
    assert change(doc, ADDRESS)["action"] == "conflict"
    assert "exists without an owner tag; adopt it with --adopt" in change(doc, ADDRESS)["reason"]
    result = obsctl("apply", path, "--auto-approve", "--prune", "--allow-mass-delete")
    assert result.exit_code == 1  # the conflict; the log groups' changes are applied
    assert not [call for call in result.calls if "AnomalyDetector" in call and result.calls[call]
                and not call.startswith("logs.List")], result.calls
    assert {d["anomalyDetectorArn"]: d["evaluationFrequency"] for d in detectors(boto)} == {
        console: "FIVE_MIN", other: "FIVE_MIN"}
    assert logs.list_tags_for_resource(resourceArn=console)["tags"] == {}

    # Removed from the config: still not this stack's, so --prune leaves both alone.
    write_config(CONFIG.replace('    anomaly_detection:\n      evaluation_frequency: FIFTEEN_MIN\n'
                                '      filter_pattern: "?ERROR ?WARN"\n', ""))
    pruned = obsctl("apply", path, "--auto-approve", "--prune", "--allow-mass-delete")
    assert pruned.calls["logs.DeleteLogAnomalyDetector"] == 0
    assert len(detectors(boto)) == 2


def test_adopt_takes_over_an_untagged_detector(obsctl, write_config, boto):
    logs = boto("logs")
    logs.create_log_group(logGroupName="/ml/churn")
    console = logs.create_log_anomaly_detector(
        logGroupArnList=[group_arn(boto, "/ml/churn")], evaluationFrequency="FIVE_MIN",
        detectorName="/ml/churn")["anomalyDetectorArn"]
    path = write_config(CONFIG)
    result = apply_ok(obsctl, path, "--adopt", ADDRESS, "--adopt", "log_groups:/ml/churn")
    assert "~ log_anomaly_detectors:/ml/churn: updated" in result.stdout
    assert only_detector(boto)["anomalyDetectorArn"] == console
    assert only_detector(boto)["evaluationFrequency"] == "FIFTEEN_MIN"
    assert_converged(obsctl, path)


@pytest.mark.parametrize("entry, message", [
    ("{evaluation_frequency: TWO_MIN}", "anomaly_detection.evaluation_frequency: "),
    ("{anomaly_visibility_time: 5}", "anomaly_detection.anomaly_visibility_time: "),
    ("{filter_pattern: '{ $.level = '}", "anomaly_detection.filter_pattern: "),
    ("{kms_key_id: alias/logs}", "anomaly_detection.kms_key_id: "),
    ("{evaluation_frequncy: ONE_MIN}", "anomaly_detection: unknown key 'evaluation_frequncy'"),
])
def test_bad_values_are_refused_with_zero_writes(obsctl, write_config, entry, message):
    path = write_config(f"stack: test\nlog_groups:\n  /ml/churn:\n    anomaly_detection: {entry}\n")
    for command in (("plan", path), ("apply", path, "--auto-approve")):
        result = obsctl(*command)
        assert result.exit_code == 1
        assert f"stack.yaml:4:" in result.stderr
        assert f"log_groups./ml/churn.{message}" in result.stderr, result.stderr
        assert not result.calls, result.calls


def test_import_writes_the_detector_with_its_log_group_and_adopt_owns_both(obsctl, write_config,
                                                                           boto, tmp_path):
    logs = boto("logs")
    logs.create_log_group(logGroupName="/legacy/app", tags={"tier": "gold"})
    paused = logs.create_log_anomaly_detector(
        logGroupArnList=[group_arn(boto, "/legacy/app")], detectorName="legacy-app-anomalies",
        evaluationFrequency="TEN_MIN", filterPattern="ERROR", anomalyVisibilityTime=45,
        tags={"tier": "gold"})["anomalyDetectorArn"]
    logs.update_log_anomaly_detector(anomalyDetectorArn=paused, enabled=False)
    logs.create_log_group(logGroupName="/legacy/quiet")
    logs.create_log_anomaly_detector(logGroupArnList=[group_arn(boto, "/legacy/quiet")],
                                     evaluationFrequency="FIVE_MIN", detectorName="/legacy/quiet")
    logs.create_log_group(logGroupName="/legacy/theirs")
    logs.create_log_anomaly_detector(logGroupArnList=[group_arn(boto, "/legacy/theirs")],
                                     tags={"obsctl:stack": "someone-else"})
    config = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = tmp_path / "monitoring/groups.yaml"

    result = obsctl("import", config, "--kind", "log_groups", "--name-prefix", "/legacy/",
                    "--output", str(out), "--adopt")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.calls["logs.ListLogAnomalyDetectors"] == 1
    written = YAML(typ="safe").load(out.read_text())
    assert written["log_groups"] == {
        "/legacy/app": {"retention_days": "never", "tags": {"tier": "gold"}, "anomaly_detection": {
            "evaluation_frequency": "TEN_MIN", "filter_pattern": "ERROR",
            "anomaly_visibility_time": 45, "detector_name": "legacy-app-anomalies",
            "enabled": False}},
        "/legacy/quiet": {"retention_days": "never",
                          "anomaly_detection": {"evaluation_frequency": "FIVE_MIN"}},
        # Another stack's detector is not written: the group alone is imported.
        "/legacy/theirs": {"retention_days": "never"}}
    # The groups and the two untagged detectors now carry the owner tag.
    assert "~ log_anomaly_detectors:/legacy/app: updated" in result.stdout
    assert "~ log_anomaly_detectors:/legacy/quiet: updated" in result.stdout
    assert_no_changes(obsctl, str(tmp_path / "monitoring"))
    assert only_detector(boto, "/legacy/app")["anomalyDetectorArn"] == paused


def test_detectors_alone_point_at_the_log_group_import(obsctl):
    refused = obsctl("import", "--kind", "log_anomaly_detectors", "--stack", "mine")
    assert refused.exit_code == 1
    assert "obsctl import --kind log_groups" in refused.stderr
    assert refused.calls["logs.ListLogAnomalyDetectors"] == 0


def test_defaults_only_converge_although_aws_picks_the_frequency(obsctl, write_config, boto):
    path = write_config("stack: test\nlog_groups:\n  /ml/churn:\n    anomaly_detection: {}\n")
    apply_ok(obsctl, path)
    assert only_detector(boto)["evaluationFrequency"]  # AWS's choice, left unmanaged
    assert_converged(obsctl, path)


def test_a_second_detector_of_the_stack_on_one_group_is_deleted(obsctl, applied, boto):
    logs = boto("logs")
    kept = only_detector(boto)["anomalyDetectorArn"]
    extra = logs.create_log_anomaly_detector(
        logGroupArnList=[group_arn(boto, "/ml/churn")],
        tags={"obsctl:stack": "test"})["anomalyDetectorArn"]  # e.g. a create retried by hand
    doc = plan_json(obsctl, applied, "--detailed-exitcode", exit_codes=(2,))
    extra_address = f"{ADDRESS}#{extra.rsplit(':', 1)[1]}"
    assert addresses(doc) == [extra_address]
    assert change(doc, extra_address)["action"] == "delete"
    apply_ok(obsctl, applied)
    assert [d["anomalyDetectorArn"] for d in detectors(boto)] == [kept]
    assert_no_changes(obsctl, applied)


def test_explain_drift_names_who_paused_the_detector(obsctl, applied, boto, aws):
    iam = boto("iam")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    console = boto3.client("logs", region_name="us-east-1", endpoint_url=aws.endpoint_url,
                           aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"])
    console.update_log_anomaly_detector(anomalyDetectorArn=only_detector(boto)["anomalyDetectorArn"],
                                        enabled=False)
    doc = plan_json(obsctl, applied, "--explain-drift", "--detailed-exitcode", exit_codes=(2,))
    attribution = change(doc, ADDRESS)["attribution"]
    assert attribution["status"] == "found", attribution
    assert (attribution["username"], attribution["event_name"]) == ("alice", "UpdateLogAnomalyDetector")

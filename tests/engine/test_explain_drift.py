"""`obsctl plan --explain-drift`: who changed a drifted resource and when, from CloudTrail
LookupEvents (the emulator records every write that reaches it), through the CLI."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultproxy import Fault, FaultProxy, deny  # noqa: E402

CONFIG = """
stack: test
alarms:
  latency:
    metric: {namespace: ML, name: Latency, stat: p90, period: 60}
    when: "> 500"
  errors:
    metric: {namespace: ML, name: Errors, stat: Sum, period: 60}
    when: "> 5"
  quiet:
    metric: {namespace: ML, name: Quiet, stat: Sum, period: 60}
    when: "> 1"
"""
ISO_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def person(boto, aws, name: str):
    """An IAM user with an access key, and a CloudWatch client acting as them (the console)."""
    iam = boto("iam")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=aws.endpoint_url,
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"]), key["AccessKeyId"]


def put_threshold(cloudwatch, name: str, metric: str, stat: str, threshold: float):
    statistic = {"ExtendedStatistic": stat} if stat.startswith("p") else {"Statistic": stat}
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="ML", MetricName=metric, Period=60, EvaluationPeriods=1,
        DatapointsToAlarm=1, Threshold=threshold, ComparisonOperator="GreaterThanThreshold",
        **statistic)


def changes(result) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(result.stdout)["changes"]}


def test_drift_is_attributed_to_who_changed_it_and_when(obsctl, write_config, boto, aws):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    alice, alice_key = person(boto, aws, "alice")
    bob, _ = person(boto, aws, "bob")
    put_threshold(alice, "latency", "Latency", "p90", 900)
    put_threshold(bob, "errors", "Errors", "Sum", 50)
    put_threshold(alice, "errors", "Errors", "Sum", 60)  # the newest change wins

    text = obsctl("plan", path, "--explain-drift")
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    header = lines.index("  # alarms/latency will be updated in place "
                         "(drifted: changed outside obsctl since the last apply)")
    assert re.fullmatch(rf"  # changed by alice at {ISO_TIME} \(PutMetricAlarm\)", lines[header + 1])
    assert lines[header + 2] == "  ~ alarms/latency"
    assert re.search(rf"# alarms/errors .*\n  # changed by alice at {ISO_TIME} \(PutMetricAlarm\)",
                     text.stdout)
    assert text.calls["cloudtrail.LookupEvents"] == 2  # one per drifted resource
    assert "drift attribution unavailable" not in text.stderr

    found = changes(obsctl("plan", path, "--explain-drift", "--format", "json"))
    assert sorted(found) == ["errors", "latency"]  # quiet did not drift: no change, no lookup
    latency = found["latency"]["attribution"]
    assert latency["status"] == "found"
    assert latency["username"] == "alice" and latency["event_name"] == "PutMetricAlarm"
    assert latency["access_key_id"] == alice_key
    assert latency["event_source"] == "monitoring.amazonaws.com"
    assert latency["source_ip"] == "127.0.0.1"
    assert re.fullmatch(ISO_TIME, latency["event_time"])
    assert "obsctl/" not in latency["user_agent"]

    markdown = obsctl("plan", path, "--explain-drift", "--format", "markdown").stdout
    assert re.search(rf"<sub>changed by alice at {ISO_TIME} \(PutMetricAlarm\)</sub>", markdown)
    assert re.search(rf"</summary>\n\nchanged by alice at {ISO_TIME} \(PutMetricAlarm\)\n\n```diff",
                     markdown)


def test_no_lookups_without_the_flag_or_without_updates(obsctl, write_config, boto, aws):
    path = write_config(CONFIG)
    created = obsctl("plan", path, "--explain-drift")  # only creates: nothing to attribute
    assert created.exit_code == 0 and created.calls["cloudtrail.LookupEvents"] == 0
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    empty = obsctl("plan", path, "--explain-drift", "--detailed-exitcode")
    assert empty.exit_code == 0 and empty.calls["cloudtrail.LookupEvents"] == 0

    alice, _ = person(boto, aws, "alice")
    put_threshold(alice, "latency", "Latency", "p90", 900)
    plain = obsctl("plan", path)
    assert not any(op.startswith("cloudtrail.") for op in plain.calls)
    assert "changed by" not in plain.stdout
    assert changes(obsctl("plan", path, "--format", "json"))["latency"]["attribution"] is None

    # A config-only change: AWS still holds what obsctl applied, nobody to look for.
    edited = write_config(CONFIG.replace("> 5", "> 7"), name="edited/stack.yaml")
    config_only = obsctl("plan", edited, "--explain-drift", "--target", "alarms/errors",
                         "--format", "json")
    assert config_only.calls["cloudtrail.LookupEvents"] == 0
    errors = changes(config_only)["errors"]
    assert (errors["cause"], errors["attribution"]) == ("config", None)


def test_obsctls_own_writes_are_never_the_cause(obsctl, write_config, boto):
    # Dashboards carry no marker, so a config edit is an update of unknown cause: looked up.
    config = """
    stack: test
    dashboards:
      ml-overview:
        widgets:
          - {type: text, markdown: "v1"}
    """
    assert obsctl("apply", write_config(config), "--auto-approve").exit_code == 0
    ours = boto("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": "ml-overview"}])["Events"]
    assert [e["EventName"] for e in ours] == ["PutDashboard"]  # CloudTrail has obsctl's write
    assert "obsctl/" in json.loads(ours[0]["CloudTrailEvent"])["userAgent"]

    plan = obsctl("plan", write_config(config.replace("v1", "v2")), "--explain-drift")
    assert plan.exit_code == 0
    assert "  # no CloudTrail event found in the last 7 days" in plan.stdout
    assert "changed by" not in plan.stdout
    assert plan.calls["cloudtrail.LookupEvents"] == 1


def test_cloudtrail_access_denied_leaves_the_plan_working(obsctl, write_config, boto, aws):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    alice, _ = person(boto, aws, "alice")
    put_threshold(alice, "latency", "Latency", "p90", 900)
    put_threshold(alice, "errors", "Errors", "Sum", 50)
    # The CI role's policy has no cloudtrail:LookupEvents.
    denied = deny("LookupEvents", "LookupAttributes", message=(
        "User: arn:aws:sts::123456789012:assumed-role/obsctl/ci is not authorized to perform: "
        "cloudtrail:LookupEvents because no identity-based policy allows the "
        "cloudtrail:LookupEvents action"))
    with FaultProxy(aws.endpoint_url, fault_rate=0, latency=(0, 0), rules=[denied]) as proxy:
        result = obsctl("plan", path, "--explain-drift", "--detailed-exitcode",
                        "--endpoint-url", proxy.endpoint_url)
        as_json = obsctl("plan", path, "--explain-drift", "--format", "json",
                         "--endpoint-url", proxy.endpoint_url)
    assert result.exit_code == 2  # the plan's own exit code: it has changes
    notes = [line for line in result.stderr.splitlines() if "drift attribution" in line]
    assert notes == ["drift attribution unavailable: CloudTrail LookupEvents in us-east-1: "
                     "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/obsctl/ci "
                     "is not authorized to perform: cloudtrail:LookupEvents because no "
                     "identity-based policy allows the cloudtrail:LookupEvents action"]
    assert "changed by" not in result.stdout and "no CloudTrail event" not in result.stdout
    # A 403 is not retried, and the first denial stops the stack's other lookups (the two
    # drifted alarms may both be under way already: 4 lookup threads).
    assert 1 <= result.calls["cloudtrail.LookupEvents"] <= 2
    assert as_json.exit_code == 0
    assert sorted(changes(as_json)) == ["errors", "latency"]
    assert {c["action"] for c in changes(as_json).values()} == {"update"}
    attribution = changes(as_json)["latency"]["attribution"]
    assert attribution["status"] == "unavailable" and "AccessDenied" in attribution["reason"]


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_unreachable_cloudtrail_is_a_note(obsctl, write_config, boto, aws, output_format,
                                          monkeypatch):
    # A proxy that drops every CloudTrail connection: botocore retries, then gives up (after
    # 2 attempts here; with the default 10, about 15 s of backoff).
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    alice, _ = person(boto, aws, "alice")
    put_threshold(alice, "latency", "Latency", "p90", 900)

    def drop(request):
        return Fault("reset") if request.operation == "LookupEvents" else None

    with FaultProxy(aws.endpoint_url, fault_rate=0, latency=(0, 0), rules=[drop]) as proxy:
        result = obsctl("plan", path, "--explain-drift", "--format", output_format,
                        "--endpoint-url", proxy.endpoint_url)
    assert result.exit_code == 0, result.stderr
    assert result.calls["cloudtrail.LookupEvents"] == 2  # both attempts, then the note
    assert re.search(r"^drift attribution unavailable: CloudTrail not reachable in us-east-1: ",
                     result.stderr, re.M)
    if output_format == "json":  # stdout stays a valid plan document, attribution marked
        attribution = changes(result)["latency"]["attribution"]
        assert attribution["status"] == "unavailable"
        assert attribution["reason"].startswith("CloudTrail not reachable in us-east-1: ")
    else:
        assert "~ alarms/latency" in result.stdout and "changed by" not in result.stdout

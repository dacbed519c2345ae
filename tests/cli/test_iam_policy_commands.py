"""`obsctl iam-policy --for status|test-alarm|query`: on an emulator of this module's own with IAM
enforcement on, a user holding only the printed policy runs that command on examples/ml-platform
(every alarm-generating preset included), and nothing more: the status user cannot fire an
alarm, the test-alarm user cannot fire an alarm the stacks do not declare."""

from __future__ import annotations

import json
import shutil

import boto3
import pytest

from reconciler.emulator import Emulator
from tests.cli.test_iam_policy import EXAMPLE, allowed_actions, iam_actions, obsctl, policy_for
from tests.enforced_iam import ADMIN, REGION, set_enforcement, user_with_policy


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """examples/ml-platform applied (as the emulator's admin, before enforcement is on), a
    foreign alarm beside it, and one user per command holding that command's policy only."""
    stack = str(tmp_path_factory.mktemp("iam") / "ml-platform")
    shutil.copytree(EXAMPLE.parent / "ml-platform", stack)
    with Emulator(seed=True) as running:
        url = running.endpoint_url
        done = obsctl("apply", stack, "--auto-approve", "-q", endpoint_url=url, credentials=ADMIN)
        assert done.exit_code == 0, done.stdout + done.stderr
        cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=url, **ADMIN)
        cloudwatch.put_metric_alarm(AlarmName="someone-elses", MetricName="M", Namespace="N",
                                    Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                    ComparisonOperator="GreaterThanThreshold")
        # One of the stack's alarms loses its owner tag: status asks for its tags directly.
        untagged = cloudwatch.describe_alarms(AlarmNames=["prod-churn-health-latency"])
        cloudwatch.untag_resource(ResourceARN=untagged["MetricAlarms"][0]["AlarmArn"],
                                  TagKeys=["obsctl:stack"])
        policies = {c: policy_for(stack, c) for c in ("status", "test-alarm", "query")}
        users = {c: user_with_policy(url, f"obsctl-{c}", p) for c, p in policies.items()}
        set_enforcement(url, True)
        yield {"stack": stack, "url": url, "policies": policies, "users": users}


def run_as(applied, command: str, *args: str):
    return obsctl(*args, endpoint_url=applied["url"], credentials=applied["users"][command])


def test_status_runs_with_its_policy_alone(applied):
    result = run_as(applied, "status", "status", applied["stack"], "--history", "1",
                    "--format", "json")
    assert result.exit_code == 0, result.stderr
    alarms = [a for s in json.loads(result.stdout)["stacks"] for a in s["alarms"]]
    # generated alarms are there too: the presets' discovery reads are in the policy
    assert {"prod-churn-down", "prod-churn-data-quality-drift-age"} <= {a["name"] for a in alarms}
    assert all(a["state"] != "MISSING" for a in alarms)
    assert [a["name"] for a in alarms if a["conflict"]] == ["prod-churn-health-latency"]
    assert result.calls["cloudwatch.ListTagsForResource"] == 1
    assert iam_actions(result.calls) <= allowed_actions(applied["policies"]["status"])
    fired = run_as(applied, "status", "test-alarm", "prod-churn-down", applied["stack"])
    assert fired.exit_code == 1 and "not authorized to perform" in fired.stderr


def test_test_alarm_fires_the_stacks_alarms_only(applied):
    cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=applied["url"],
                              **applied["users"]["test-alarm"])
    with pytest.raises(cloudwatch.exceptions.ClientError, match="not authorized"):
        cloudwatch.set_alarm_state(AlarmName="someone-elses", StateValue="ALARM",
                                   StateReason="outside the stacks")
    fired = run_as(applied, "test-alarm", "test-alarm", "prod-fraud-AllTraffic-latency-p90",
                   applied["stack"])
    assert fired.exit_code == 0, fired.stderr
    assert "is in ALARM now" in fired.stdout
    assert iam_actions(fired.calls) <= allowed_actions(applied["policies"]["test-alarm"])


def test_query_starts_queries_on_the_saved_queries_log_groups_only(applied):
    result = run_as(applied, "query", "query", "prod-churn-errors-per-hour", applied["stack"],
                    "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert iam_actions(result.calls) <= allowed_actions(applied["policies"]["query"])
    logs = boto3.client("logs", region_name=REGION, endpoint_url=applied["url"],
                        **applied["users"]["query"])
    with pytest.raises(logs.exceptions.ClientError, match="not authorized"):
        logs.start_query(logGroupName="/aws/other", queryString="fields @message",
                         startTime=0, endTime=1)


def test_explain_drift_goes_with_plan_or_apply_only():
    result = obsctl("iam-policy", str(EXAMPLE), "--for", "status", "--explain-drift")
    assert result.exit_code == 1 and "--explain-drift goes with" in result.stderr


def test_the_status_policy_has_the_owner_tag_reads_without_any_preset(tmp_path):
    """status reads whose each alarm is (bulk tags, then the unlisted ones directly) for a
    stack of plain alarms too, not only where a preset's reads happen to bring them."""
    (tmp_path / "stack.yaml").write_text(
        "stack: plain\nalarms:\n  a: {metric: {namespace: N, name: M, stat: Sum, period: 60}, "
        "when: '> 1'}\n")
    actions = allowed_actions(policy_for(str(tmp_path), "status"))
    assert {"tag:GetResources", "cloudwatch:ListTagsForResource"} <= actions

